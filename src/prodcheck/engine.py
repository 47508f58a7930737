"""discover -> read -> parse Python (pool, cache) -> project model -> rules -> policy -> sorted findings."""
from __future__ import annotations

import gc
import hashlib
import os
import sys
import warnings
from contextlib import nullcontext
from collections.abc import Callable, Collection, Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prodcheck import cache, incremental, knowledge
from prodcheck.discovery.classify import classify, shebang_kind
from prodcheck.discovery.context import ContextRules
from prodcheck.discovery.ignore_memo import IgnoreMemo
from prodcheck.discovery.sources import SourceFile, read_source, recording
from prodcheck.discovery.named_scripts import named_scripts
from prodcheck.discovery.walk import Walked, gitignore_spec, walk
from prodcheck.model.files import FileKind
from prodcheck.model.finding import Finding
from prodcheck.model.record import slotted
from prodcheck.parsing import quiet_parser_warnings
from prodcheck.settings import Settings

if TYPE_CHECKING:
    from prodcheck.discovery.stat_memo import StatMemo
    from prodcheck.model.facts import PyFacts
    from prodcheck.python_pass import PythonPlan
    from prodcheck.rules.base import RuleMeta

# The Python pass (python_pass.py, with the facts' model and the prefilter), the policy, pragmas and the rules'
# inputs are imported when a run has Python to plan or rules to run: a run that reuses its findings never loads
# them (11 ms of a 0.26 s re-run on polar). Their entry points stay importable from here (tests, bench).
_REEXPORTED = {
    "SYNTAX_OK": "prodcheck.python_pass", "default_jobs": "prodcheck.python_pass",
    "parse_python": "prodcheck.python_pass", "python_index": "prodcheck.python_pass",
    "python_table": "prodcheck.python_pass", "syntax_check": "prodcheck.python_pass",
    "_needs_parse": "prodcheck.prefilter", "async_needles": "prodcheck.prefilter",
    "python_needles": "prodcheck.prefilter",
}


def __getattr__(name: str) -> Any:
    module = _REEXPORTED.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def plan_python(root: Path, files: list[SourceFile], settings: Settings,
                progress: Callable[[int, int], None] | None = None) -> PythonPlan:
    from prodcheck import python_pass

    return python_pass.plan_python(root, files, settings, progress)


def load_python(plan: PythonPlan) -> dict[str, PyFacts]:
    from prodcheck import python_pass

    return python_pass.load_python(plan)


# The project model and the rules are imported when the rules run (rules_pass.py): a run that reuses
# cached findings never loads them (nor libcst, which the rules' fixes use).


@slotted
class RunResult:
    root: Path
    findings: list[Finding]
    files: int
    # Every registered rule (None: looked up when first asked for, so a cached run imports no rule).
    known_rules: list[RuleMeta] | None
    suppressed: int = 0
    baseline_matched: int = 0
    internal_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the run could not do (charts not rendered...)
    # The files as read (code frames use these bytes, never reopen a file: it may be a FIFO now).
    sources: dict[str, SourceFile] = field(default_factory=dict)
    # (path, line) -> every literal secret any finding (even a suppressed one) has on that line.
    secrets: dict[tuple[str, int], frozenset[str]] = field(default_factory=dict)

    @property
    def rules(self) -> list[RuleMeta]:
        if self.known_rules is None:
            from prodcheck.rules import all_rules

            self.known_rules = [rule.meta for rule in all_rules().values()]
        return self.known_rules

    def source_line(self, path: str, number: int) -> str | None:
        source = self.sources.get(path)
        if source is None or source.data is None:
            return None
        if source.text is None:
            source.text = source.data.decode("utf-8", "replace")
        lines = source.lines
        return lines[number - 1] if 0 < number <= len(lines) else None

    def secrets_on(self, path: str, number: int) -> frozenset[str]:
        return self.secrets.get((path, number), frozenset())


def discover(root: Path, settings: Settings) -> list[SourceFile]:
    exclude = gitignore_spec(settings.exclude) if settings.exclude else None
    contexts = ContextRules(settings.production, settings.development)
    top = str(root)
    ignored: list[Walked] = []

    folder = cache.run_folder(root, settings)
    # Python files an earlier run read and that have not changed since are not read again (a cached run only)
    stats: StatMemo | None = None
    if folder is not None:
        from prodcheck.discovery.stat_memo import StatMemo

        stats = StatMemo.load(folder)
    reader = stats.read if stats is not None else read_source

    def read(walked: Walked) -> SourceFile:
        kind = walked.kind
        assert isinstance(kind, (FileKind, str))  # classify's answer, never None once wanted
        context, reason = contexts.explain(walked.relpath)
        source = reader(root, walked.relpath, kind, context)
        source.context_reason = reason
        return source

    memo = IgnoreMemo.load(folder)
    files = [read(walked) for walked in walk(root, exclude, ignored=ignored, memo=memo,
                                              wanted=lambda relpath: classify(relpath) or shebang_kind(top, relpath))]
    if memo is not None:
        memo.save()
    files += [read(walked) for walked in named_scripts(files, ignored)]
    if stats is not None:
        stats.save()
    return files


def _helm_key(root: Path, files: list[SourceFile]) -> bytes:
    """Charts render differently with a helm binary, and with another one."""
    if not any(source.path.rsplit("/", 1)[-1] == "Chart.yaml" for source in files):
        return b""
    from prodcheck.project.helm_binary import helm_binary, helm_version

    binary = helm_binary(root)
    return f"\0helm:{binary}:{helm_version(binary) if binary else None}".encode()


def _run_key(files: list[SourceFile], settings: Settings, helm: bytes) -> str:
    """Everything a run's findings depend on: tool version, settings, and every file's bytes."""
    digest = hashlib.blake2b(incremental.settings_key(settings), digest_size=20)
    digest.update(helm)
    for source in files:
        digest.update(f"\0{source.path}\0{source.kind}\0{source.context}\0".encode())
        known = source.digest()
        if known is not None:
            digest.update(known)
        else:
            digest.update(str(source.error).encode())
    return digest.hexdigest()


def run(root: Path, settings: Settings, only: Sequence[str] = (), baseline: Collection[str] | None = None,
        progress: Callable[[int, int], None] | None = None) -> RunResult:
    try:
        with warnings.catch_warnings():
            quiet_parser_warnings()  # the parser's warnings about scanned code quote it unescaped
            return _run(root, settings, only, baseline, progress)
    finally:
        gc.unfreeze()  # the facts frozen by parse_python are ordinary objects again


def _run(root: Path, settings: Settings, only: Sequence[str], baseline: Collection[str] | None,
         progress: Callable[[int, int], None] | None) -> RunResult:
    root = root.resolve()
    files = discover(root, settings)
    run_table = cache.Table(cache.run_folder(root, settings), "run")
    knowledge.keep_parsed(run_table.folder)  # the topics as an earlier run parsed them, read when first needed
    helm = _helm_key(root, files) if run_table.enabled else b""
    key = _run_key(files, settings, helm) if run_table.enabled else ""
    # Nothing changed since the last run (the same bytes, the same root files read directly): its
    # findings (before baseline and file filters) stand.
    found = incremental.reuse(run_table, key, root, files, every_byte=True) if run_table.enabled else None
    reused = found[0] if found is not None else None
    if reused is None:
        plan = plan_python(root, files, settings, progress)
        memo = incremental.model_table(run_table.folder)
        model_key = incremental.model_key(files, plan.digests, settings, helm) if memo.enabled else None
        found = incremental.reuse(memo, model_key, root, files) if model_key is not None else None
        if found is not None:
            # Nothing the rules see has moved (incremental.py): the findings stand without loading a fact, or only
            # what the finishing steps read moved, and the rules' findings are finished again.
            reused = found[0] if found[1] else refinish(root, files, settings, plan, found[0])
        if reused is not None:
            plan.save()
            incremental.store(run_table, key, reused)
            if found is not None and not found[1] and model_key is not None:
                incremental.store(memo, model_key, reused)
    if reused is not None:
        knowledge.save_parsed()  # (a run that asked the prefilter about an edited file parsed every topic)
        result = _finish(root, list(reused[0]), len(files), None, reused[1], [], only, baseline, files, reused[2])
        result.notes.extend(reused[3])
        return result
    python = load_python(plan)
    plan.save()
    if memo.enabled:  # the facts as loaded (an entry may have been extracted again); before the model moves contexts
        model_key = incremental.model_key(files, plan.digests, settings, helm)
    # The model and the rules build long-lived views (YAML trees, Dockerfiles, indexes) and no cycles
    # worth collecting: collection passes over them were a third of the infra scan.
    from prodcheck.fix.memo import remembering
    from prodcheck.parsing import yaml_memo
    from prodcheck.python_pass import _collector_paused
    from prodcheck.rule_inputs import RuleInputs
    from prodcheck.rules_pass import check

    # What the model and the rules read of the files' own bytes is noted only for a result that is stored
    # (incremental.entry): without the cache, the ~70,000 reads of a text on the infra corpus note nothing.
    with (recording() if run_table.enabled else nullcontext()) as reads, _collector_paused(), \
            remembering(run_table.folder), yaml_memo.remembering(run_table.folder):
        kept, suppressed, secrets, notes, internal, metas, staged = check(root, files, python, settings,
                                                                           RuleInputs(run_table.folder, plan.digests),
                                                                           plan.reduced)
    if reads is not None and not internal:
        stored = incremental.entry((kept, suppressed, secrets, notes), reads, files, staged)
        incremental.store(run_table, key, stored)
        if model_key is not None:
            incremental.store(memo, model_key, stored)
    knowledge.save_parsed()
    for message in internal:
        print(f"prodcheck: {message.splitlines()[0]} (please report this)", file=sys.stderr)
        if os.environ.get("PRODCHECK_DEBUG"):
            print(message, file=sys.stderr)
    result = _finish(root, kept, len(files), list(metas.values()), suppressed, internal, only, baseline, files,
                     secrets)
    result.notes.extend(notes)
    return result


def refinish(root: Path, files: list[SourceFile], settings: Settings, plan: PythonPlan,
             stored: incremental.Entry) -> incremental.Entry | None:
    """The stored entry with its findings finished again (finishing.py): only what the finishing steps read has
    moved since it was stored. None when they cannot be (a finding in a file no longer discovered, or a test file
    the model moved, whose facts the rules read whole)."""
    from prodcheck.finishing import StoredPlaces, finish, marked
    from prodcheck.model.facts import PyFacts as Facts

    _, _, secrets, notes, raw, root_files, _, _, staged, regions = stored
    made, contexts = staged
    by_path = {source.path: source for source in files}
    if any(finding.path not in by_path for finding in made) or any(path not in by_path for path in contexts) \
            or set(contexts) & plan.reduced:
        return None

    def facts_of(path: str) -> PyFacts | None:
        key = plan.keys.get(path)
        loaded = plan.table.get_many([key]).get(key) if key is not None else None
        return loaded if isinstance(loaded, Facts) else None

    def metas() -> dict[str, RuleMeta]:
        from prodcheck.rules import all_rules

        return {code: rule.meta for code, rule in all_rules().items()}

    parsed = {path for path, source in plan.sources.items() if source.error is None}
    with recording() as reads:
        kept, suppressed = finish(list(made), files, StoredPlaces(files, contexts, facts_of), settings, root, metas,
                                  parsed)
    return (kept, suppressed, secrets, notes, raw, root_files, incremental.digests_of(reads.finished, files),
            marked(files), staged, incremental.regions_now(regions, files))


def _finish(root: Path, findings: list[Finding], files: int, metas: list[RuleMeta] | None, suppressed: int,
            internal: list[str], only: Sequence[str], baseline: Collection[str] | None,
            sources: list[SourceFile] | None = None, secrets: incremental.Secrets | None = None) -> RunResult:
    """Baseline and explicit-file filters: applied after the (cacheable) whole-project result."""
    baseline_matched = 0
    if baseline is not None:
        from prodcheck.baseline import apply

        findings, baseline_matched = apply(findings, baseline)
    if only:
        # Explicit files or folders (pre-commit, editors): the whole root is modelled, and a finding is
        # reported when any of its locations (primary or related) is inside them: a Dockerfile's worker
        # count staged alone still reports the pool finding it feeds in app/database.py.
        findings = [f for f in findings if touches_scope(f, only)]
    return RunResult(root, findings, files, metas, suppressed, baseline_matched, internal,
                     sources={source.path: source for source in sources or ()}, secrets=secrets or {})


def in_scope(path: str, only: Sequence[str]) -> bool:
    return any(o in ("", ".") or path == o or path.startswith(o.rstrip("/") + "/") for o in only)


def touches_scope(finding: Finding, only: Sequence[str]) -> bool:
    """The finding's primary location or any related location is among the explicit paths."""
    return in_scope(finding.path, only) or any(r.path and in_scope(r.path, only) for r in finding.related)
