"""discover -> read -> parse Python (pool, cache) -> project model -> rules -> policy -> sorted findings."""
from __future__ import annotations

import gc
import hashlib
import os
import sys
import warnings
from contextlib import nullcontext
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prodcheck import cache, incremental
from prodcheck.discovery.classify import classify, shebang_kind
from prodcheck.discovery.context import ContextRules
from prodcheck.discovery.sources import ENCODING_ERROR, SourceFile, read_source, recording
from prodcheck.discovery.named_scripts import named_scripts
from prodcheck.discovery.walk import Walked, gitignore_spec, walk
from prodcheck.model.files import FileKind
from prodcheck.model.finding import Finding
from prodcheck.parsing import quiet_parser_warnings
from prodcheck.settings import Settings

if TYPE_CHECKING:
    from prodcheck.model.facts import PyFacts
    from prodcheck.project import Project
    from prodcheck.python_pass import PythonPlan
    from prodcheck.rule_inputs import RuleInputs
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


def _python_work(item: tuple[str, bytes] | tuple[str, bytes, bool]) -> tuple[str, PyFacts | tuple[str, int, int]]:
    from prodcheck import python_pass

    return python_pass._python_work(item)


# The project model and the rules are imported when the rules run (`_check`): a run that reuses
# cached findings never loads them (nor libcst, which the rules' fixes use).


@dataclass(slots=True)
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

    def read(walked: Walked) -> SourceFile:
        kind = walked.kind
        assert isinstance(kind, (FileKind, str))  # classify's answer, never None once wanted
        context, reason = contexts.explain(walked.relpath)
        source = read_source(root, walked.relpath, kind, context)
        source.context_reason = reason
        return source

    files = [read(walked) for walked in walk(root, exclude, ignored=ignored,
                                              wanted=lambda relpath: classify(relpath) or shebang_kind(top, relpath))]
    return files + [read(walked) for walked in named_scripts(files, ignored)]


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


_Secrets = dict[tuple[str, int], frozenset[str]]


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
    helm = _helm_key(root, files) if run_table.enabled else b""
    key = _run_key(files, settings, helm) if run_table.enabled else ""
    # Nothing changed since the last run (the same bytes, the same root files read directly): its
    # findings (before baseline and file filters) stand.
    reused = incremental.reuse(run_table, key, root, files) if run_table.enabled else None
    if reused is None:
        plan = plan_python(root, files, settings, progress)
        memo = incremental.model_table(run_table.folder)
        model_key = incremental.model_key(files, plan.digests, settings, helm) if memo.enabled else None
        reused = incremental.reuse(memo, model_key, root, files) if model_key is not None else None
        if reused is not None:
            # Nothing the rules see has moved (incremental.py): the findings stand without loading a fact.
            plan.save()
            incremental.store(run_table, key, reused)
    if reused is not None:
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
    from prodcheck.python_pass import _collector_paused
    from prodcheck.rule_inputs import RuleInputs

    # What the model and the rules read of the files' own bytes is noted only for a result that is stored
    # (incremental.entry): without the cache, the ~70,000 reads of a text on the infra corpus note nothing.
    with (recording() if run_table.enabled else nullcontext()) as reads, _collector_paused(), \
            remembering(run_table.folder):
        kept, suppressed, secrets, notes, internal, metas = _check(root, files, python, settings,
                                                                   RuleInputs(run_table.folder, plan.digests),
                                                                   plan.reduced)
    if reads is not None and not internal:
        stored = incremental.entry((kept, suppressed, secrets, notes), reads, files)
        incremental.store(run_table, key, stored)
        if model_key is not None:
            incremental.store(memo, model_key, stored)
    for message in internal:
        print(f"prodcheck: {message.splitlines()[0]} (please report this)", file=sys.stderr)
        if os.environ.get("PRODCHECK_DEBUG"):
            print(message, file=sys.stderr)
    result = _finish(root, kept, len(files), list(metas.values()), suppressed, internal, only, baseline, files,
                     secrets)
    result.notes.extend(notes)
    return result


def _check(root: Path, files: list[SourceFile], python: dict[str, PyFacts], settings: Settings,
           inputs: RuleInputs | None = None, reduced: Collection[str] = ()
           ) -> tuple[list[Finding], int, _Secrets, list[str], list[str], dict[str, RuleMeta]]:
    """The project model, every selected rule, pragmas: (findings, suppressed, secrets, notes, internal
    errors, metas). `inputs`: the drafts kept from the last run of the rules that read only its Python
    side (rule_inputs.py). `reduced`: the test files whose facts were extracted reduced (python_pass.reducible)."""
    import traceback

    from prodcheck.copies import merge_copies
    from prodcheck.memory import release_freed
    from prodcheck.model.facts import PyFacts
    from prodcheck.model.finding import Location, Severity, Span
    from prodcheck.parsing import ParseError
    from prodcheck.policy import _apply_per_file_ignores, _dedupe, _finalise, _note_secrets, _per_file_ignored, _selected
    from prodcheck.project import Project
    from prodcheck.project.helm_render import remap
    from prodcheck.rule_inputs import RuleInputs
    from prodcheck.rules import all_rules
    from prodcheck.rules.base import Rule
    from prodcheck.suppress import Pragmas

    placed = [(source, source.context, source.context_reason) for source in files]
    project = Project(root, files, python, settings)
    moved = _placed_elsewhere(project, python, reduced)
    while moved:
        # The model placed a test file elsewhere (a deploy path runs it, the production app serves its router):
        # its facts are extracted whole and the model is built again from the contexts the paths gave.
        for source, context, reason in placed:
            source.context, source.context_reason = context, reason
        for path in moved:
            data = project.by_path[path].raw
            if data is None:
                continue  # changed or gone since it was read (SourceFile.pack): its reduced facts stand
            result = _python_work((path, data))[1]
            assert isinstance(result, PyFacts)  # the same bytes parsed, and counted, when extracted reduced
            python[path] = result
        reduced = set(reduced) - set(moved)
        inputs = None  # the digests the kept drafts go by are the reduced facts'
        project = Project(root, files, python, settings)
        moved = _placed_elsewhere(project, python, reduced)
    inputs = inputs or RuleInputs(None, {})
    rules = all_rules()
    findings: list[Finding] = []
    internal: list[str] = []
    secret_lines: dict[tuple[str, int], set[str]] = {}
    try:
        project.parse_all()  # every parse error is known before any rule, whatever is selected
    except Exception:  # a model bug must not abort the run; the rules parse lazily then
        internal.append(f"parsing: internal error\n{traceback.format_exc()}")
    metas = {code: rule.meta for code, rule in rules.items()}
    selected = {code: rule_class for code, rule_class in rules.items()
                if code not in {"PC000", "PC001"} and _selected(rule_class.meta, settings)}
    # The last selected rule reading each shared analysis: after it, the analysis is let go of.
    last_reader = {analysis: code for code, rule_class in selected.items() for analysis in rule_class.analyses}
    for code, rule_class in selected.items():
        rule: Rule = rule_class()
        try:
            for draft in inputs.drafts(code, rule, project):
                draft = remap(project.views.helm, draft)  # a rendered chart line -> values.yaml/template
                if draft.secrets:
                    _note_secrets(secret_lines, draft.location, draft.secrets)
                finding = _finalise(project, rule_class.meta, draft, settings)
                if finding is not None:
                    findings.append(finding)
        except Exception:  # one broken rule must not abort the run
            internal.append(f"{code}: internal error\n{traceback.format_exc()}")
        for analysis in [analysis for analysis, last in last_reader.items() if last == code]:
            project.python.drop(analysis)
        # What the rule built and let go (its analysis, the dicts its caches outgrew) sits in freed pages of the
        # C heap that the next rule's small objects never reuse: given back, they do not add to the peak the
        # next rules reach (4.5 MiB of the 7,574-file cold scan's, at the end of PC503).
        release_freed()
    inputs.save()
    if _selected(metas["PC000"], settings):
        # A Python file the parser read but the interpreter would refuse (not UTF-8, no declared
        # encoding) is analysed like any other and reported too.
        undeclared = [(source, source.views[ENCODING_ERROR]) for source in project.files
                      if source.error is None and ENCODING_ERROR in source.views]
        for source, error in [*((source, source.error) for source in project.parse_errors), *undeclared]:
            if "{{" in source.path or "{%" in source.path:
                continue  # cookiecutter/copier templates are rendered before they are valid files
            assert isinstance(error, ParseError)
            from prodcheck.rules.base import Draft

            text = source.text if source.text is not None else (source.data or b"").decode("utf-8", "replace")
            # A file holding template markers is a template rendered before anything reads it (a Helm
            # chart's disabled templates, a code generator's Jinja): its parse error is no defect.
            templated = any(marker in text for marker in ("{{", "{%"))
            draft = Draft(str(error) + (" (it holds template markers `{{ }}`/`{% %}`: a template, rendered "
                                        "before use)" if templated else ""),
                          Location(source.path, Span(error.line, error.column, error.line, error.column)),
                          severity=Severity.INFO if templated else None)
            finding = _finalise(project, metas["PC000"], draft, settings)
            if finding is not None:
                findings.append(finding)
    findings = _dedupe(findings)
    findings = _apply_per_file_ignores(findings, settings)
    findings = merge_copies(findings, project.views.by_path, root)
    pragmas = Pragmas()
    for source in files:
        if source.kind in (FileKind.PYTHON, FileKind.GUNICORN_CONF):
            file_facts = python.get(source.path)
            if file_facts is not None and file_facts.comments:
                text = (source.data or b"").decode("utf-8", "replace")
                pragmas.add_comments(source.path, file_facts.comments, text.splitlines())
            elif file_facts is None and source.holds(b"prodcheck"):
                # No tokens for a file that does not parse (ignore-file[PC000]) or that the prefilter left
                # unparsed (its pragmas still count for PC001): read its pragmas as text.
                pragmas.add_from_text(source.path, (source.data or b"").decode("utf-8", "replace"))
        elif source.text and "prodcheck" in source.text:
            pragmas.add_from_text(source.path, source.text)
    kept: list[Finding] = []
    suppressed = 0
    for finding in findings:
        if pragmas.suppresses(finding):
            suppressed += 1
        else:
            kept.append(finding)
    if _selected(metas["PC001"], settings):
        from prodcheck.rules.base import Draft

        def enabled(code: str, path: str) -> bool:
            meta = metas.get(code)
            return meta is not None and _selected(meta, settings) and not _per_file_ignored(code, meta.name, path, settings)

        def resolve(selector: str) -> str | None:
            meta = _rule_for(selector)
            return meta.code if meta else None

        for unused in pragmas.unused_reports(resolve, enabled):
            pragma = unused.pragma
            draft = Draft(unused.message, Location(pragma.path, Span(pragma.line, pragma.column, pragma.line,
                                                                     pragma.column + len(pragma.text))))
            finding = _finalise(project, metas["PC001"], draft, settings)
            if finding is not None:
                kept.append(finding)
    kept.sort(key=Finding.sort_key)
    secrets = {where: frozenset(values) for where, values in secret_lines.items() if values}
    notes = project.views.helm.notes()  # how Helm charts were read (helm template, or statically)
    return kept, suppressed, secrets, notes, internal, metas


def _placed_elsewhere(project: Project, python: dict[str, PyFacts], reduced: Collection[str]) -> list[str]:
    """The test files extracted reduced that the project model does not place in tests."""
    from prodcheck.model.files import Context

    return sorted(path for path in reduced if path in python and project.context_of(path) != Context.TEST)


def _finish(root: Path, findings: list[Finding], files: int, metas: list[RuleMeta] | None, suppressed: int,
            internal: list[str], only: Sequence[str], baseline: Collection[str] | None,
            sources: list[SourceFile] | None = None, secrets: _Secrets | None = None) -> RunResult:
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


def _rule_for(selector: str) -> RuleMeta | None:
    from prodcheck.rules import by_code_or_name

    rule = by_code_or_name(selector)
    return rule.meta if rule else None
