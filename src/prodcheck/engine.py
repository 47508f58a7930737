"""discover -> read -> parse Python (pool, cache) -> project model -> rules -> policy -> sorted findings."""
from __future__ import annotations

import fnmatch
import gc
import hashlib
import os
import sys
import traceback
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pathspec

from prodcheck import cache, incremental
from prodcheck.discovery.classify import classify
from prodcheck.discovery.context import ContextRules
from prodcheck.discovery.walk import gitignore_spec, walk
from prodcheck.model.facts import PyFacts
from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Finding, Location, Severity, Span
from prodcheck.parsing import ParseError
from prodcheck.discovery.sources import SourceFile, read_source, recording
from prodcheck.settings import Settings
from prodcheck.suppress import Pragmas

if TYPE_CHECKING:
    from prodcheck.project import Project
    from prodcheck.rules.base import RuleMeta

# The project model and the rules are imported when the rules run (`_check`): a run that reuses
# cached findings never loads them (nor libcst, which the rules' fixes use).

# A Python file that contains none of the needles cannot hold anything a rule looks at, so it is
# never parsed (Ruff's `seen_module` idea). Everything cross-module needs one of them to matter.
# The needles are derived from the knowledge (`python_needles`): no word list lives here.


@lru_cache(maxsize=1)
def python_needles() -> tuple[bytes, ...]:
    """The prefilter: a needle for every Python name the knowledge holds (`knowledge.needle`), and
    the words a topic's `[prefilter] words` lists. A file with none of them is not parsed."""
    from prodcheck.knowledge import needle, prefilter_words, qualified_names
    from prodcheck.knowledge.servers import servers

    words = {server.encode() for server in servers()}  # `uvicorn.run(app, workers=4)` (PC101, PC402)
    words.update(word.encode() for _, word in prefilter_words())
    base = tuple(words)
    for _, name in qualified_names():
        # A file can only name `django.contrib.auth.hashers.make_password` by writing its last part
        # (however it imports it, even through a project re-export): when that part already holds a
        # word (`password`), the name needs no needle of its own. Its package as a needle would let
        # every file that merely imports the package through (570 Django files of the real corpus).
        last = name.rsplit(".", 1)[-1].removesuffix("()").encode()
        if not any(word in last for word in base):
            words.add(needle(name).encode())
    # A needle that contains another is redundant: the shorter one already matches.
    ordered = sorted(words, key=len)
    kept: list[bytes] = []
    for word in ordered:
        if not any(shorter in word for shorter in kept):
            kept.append(word)
    return tuple(kept)


@lru_cache(maxsize=1)
def async_needles() -> tuple[bytes, ...]:
    """Words that make a file with an `async def` worth parsing (knowledge: blocking.toml [prefilter])."""
    from prodcheck.knowledge import load

    return tuple(word.encode() for word in load("blocking")["prefilter"]["async_words"])


POOL_THRESHOLD = 150
MIN_POOL_CPUS = 4  # below this the pool costs more than it saves: see default_jobs


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


def _python_work(item: tuple[str, bytes]) -> tuple[str, PyFacts | tuple[str, int, int]]:
    """Runs in worker processes: must stay a top-level function over picklable data."""
    from prodcheck.extract.python import extract

    from prodcheck.limits import PYTHON_MAX_FACTS, OverBudget, too_large

    path, data = item
    try:
        facts = extract(path, data)
        count = len(facts.calls) + len(facts.strings) + len(facts.assigns) + len(facts.functions) + len(facts.classes)
        if count > PYTHON_MAX_FACTS:
            # The rules' work grows with the facts: a file of 200,000 `create_engine()` calls is not analysed.
            return path, (too_large("calls, literals and definitions", count, PYTHON_MAX_FACTS), 1, 1)
        return path, facts
    except OverBudget as error:  # the extractor stops at the first fact over the budget
        return path, (str(error), 1, 1)
    except SyntaxError as error:
        return path, (f"Python syntax error: {error.msg}", error.lineno or 1, error.offset or 1)
    except (ValueError, RecursionError, MemoryError) as error:
        return path, (f"cannot parse Python: {type(error).__name__}", 1, 1)


# What the index holds for a Python file the prefilter leaves unparsed and that parses (`syntax_check`).
SYNTAX_OK = "ok"


def syntax_check(path: str, data: bytes) -> tuple[str, int, int] | None:
    """None when a file the prefilter skips parses; else its error as `_python_work` reports it.

    PC000 must not depend on the prefilter: a file no rule reads is still checked. `compile` is the
    cheapest full check the interpreter offers (it builds no Python objects of the tree: ~25 % less
    CPU than `ast.parse` on the corpus's skipped files); it is stricter than `ast.parse` (`return`
    outside a function) and older than the newer-syntax reader, so a file it rejects goes through
    the extractor, whose verdict decides (and whose messages PC000 reports for every file)."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # `is` with a literal, invalid escapes: not prodcheck's output
            compile(data, path, "exec", dont_inherit=True)
        return None
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        result = _python_work((path, data))[1]
        return result if isinstance(result, tuple) else None


# The needles in the order they are tried: the one that last matched moves to the front. Files of one
# project share their imports (`django`, `sqlalchemy`), so a file that passes usually passes on the
# first try; the answer is the same in any order. This halves the prefilter on the real corpus.
_needle_order: list[bytes] = []


def _needs_parse(data: bytes) -> bool:
    order = _needle_order
    if not order:
        order.extend(python_needles())
    for index, needle in enumerate(order):
        if needle in data:
            if index:
                order.insert(0, order.pop(index))
            return True
    return b"async def" in data and any(needle in data for needle in async_needles())


def _reexports(path: str, data: bytes) -> bool:
    """A package's `__init__.py` that imports: the names it re-exports (`from .service import S3Service`)
    are how other modules reach the project's classes and functions, whatever words it holds. These
    files are few and small (436 files, 0.2 % of the bytes of the bench corpus)."""
    return path.endswith("__init__.py") and b"import" in data


def _cache_key(path: str, data: bytes) -> str:
    """A Python file's entry: its path and bytes (prodcheck's own code is in every table's header)."""
    return hashlib.blake2b(path.encode("utf-8", "surrogateescape") + b"\0" + data, digest_size=16).hexdigest()


# The facts cache is spread over this many files: a run after one edit rewrites one or two of them.
PYTHON_SHARDS = 64


def python_table(folder: Path | None) -> cache.LazyTable:
    """The Python facts of one scanned root, one entry per file (`_cache_key`), read shard by shard."""
    return cache.LazyTable(folder, "python", shards=PYTHON_SHARDS)


def python_index(folder: Path | None) -> cache.Table:
    """One small file: per Python file entry (`_cache_key`), the digest of its facts or its parse error.
    A run compares these instead of loading the facts (incremental.py)."""
    return cache.Table(folder, "pyindex")


def _cache_folder(root: Path, settings: Settings) -> Path | None:
    return cache.folder_for(root, settings.cache_dir) if settings.use_cache else None


def discover(root: Path, settings: Settings) -> list[SourceFile]:
    exclude = gitignore_spec(settings.exclude) if settings.exclude else None
    contexts = ContextRules(settings.production, settings.development)
    files = []
    for walked in walk(root, exclude, wanted=classify):
        kind = walked.kind
        assert isinstance(kind, (FileKind, str))  # classify's answer, never None once wanted
        context, reason = contexts.explain(walked.relpath)
        source = read_source(root, walked.relpath, kind, context)
        source.context_reason = reason
        files.append(source)
    return files


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while facts are built, loaded or saved, then the facts are
    moved out of its sight (`gc.freeze`). They are hundreds of thousands of long-lived objects
    without cycles: every collection pass over them was pure cost (a third of loading the cache,
    a sixth of extraction). Objects still die by reference counting; `run` unfreezes at its end."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.enable()


def parse_python(root: Path, files: list[SourceFile], settings: Settings,
                 progress: Callable[[int, int], None] | None = None) -> dict[str, PyFacts]:
    plan = plan_python(root, files, settings, progress)
    facts = load_python(plan)
    plan.save()
    return facts


@dataclass
class PythonPlan:
    """The Python files of a run before their facts are loaded: each file's cache key, and the digest
    of its facts (or its parse error) as the index knows it or as extracted now."""

    table: cache.LazyTable
    index: cache.Table
    sources: dict[str, SourceFile] = field(default_factory=dict)  # the files that are parsed
    keys: dict[str, str] = field(default_factory=dict)  # path -> _cache_key
    checked: dict[str, str] = field(default_factory=dict)  # the same for files only syntax-checked
    digests: dict[str, str | tuple[str, int, int] | None] = field(default_factory=dict)
    facts: dict[str, PyFacts] = field(default_factory=dict)  # extracted (or loaded) so far

    def record(self, source: SourceFile, result: PyFacts | tuple[str, int, int]) -> None:
        stored = self.table.put(self.keys[source.path], result)
        self.digests[source.path] = stored if isinstance(result, PyFacts) else result
        _store(source, self.facts, result)

    def save(self) -> None:
        live = set(self.keys.values())
        for path, key in self.keys.items():
            known = self.digests.get(path)
            if known is not None and self.index.get(key) != known:
                self.index.put(key, known)
        checked = set(self.checked.values())
        stale = set(self.index.entries) - live - checked
        self.table.save(live, stale)
        if self.index.dirty or stale:
            self.index.save(live | checked)


def plan_python(root: Path, files: list[SourceFile], settings: Settings,
                progress: Callable[[int, int], None] | None = None) -> PythonPlan:
    """Keys and digests of every Python file to parse; a file the index does not know is extracted now."""
    with _collector_paused():
        folder = _cache_folder(root, settings)
        plan = PythonPlan(python_table(folder), python_index(folder))
        pending: list[tuple[str, bytes]] = []
        for source in files:
            data = source.raw
            if source.kind not in (FileKind.PYTHON, FileKind.GUNICORN_CONF) or data is None:
                continue
            key = _cache_key(source.path, data)
            known = plan.index.get(key)
            # The index knows which of its files were parsed (a digest of facts) and which only checked
            # (SYNTAX_OK): the prefilter, a function of the path and bytes, is asked only about the others.
            if source.kind == FileKind.PYTHON and (known == SYNTAX_OK or (
                    not isinstance(known, str) and not _needs_parse(data) and not _reexports(source.path, data))):
                _check_syntax(plan, source, key, data)
                continue
            plan.sources[source.path] = source
            plan.keys[source.path] = key
            if isinstance(known, str):
                plan.digests[source.path] = known
            elif _valid_result(known) and isinstance(known, tuple):
                plan.digests[source.path] = known
                _store(source, plan.facts, known)
            else:
                pending.append((source.path, data))
        jobs = settings.jobs or default_jobs()
        if len(pending) >= POOL_THRESHOLD and jobs > 1:
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(max_workers=jobs, initializer=gc.disable) as pool:
                results = pool.map(_python_work, pending, chunksize=max(8, len(pending) // (jobs * 8)))
                for done, (path, result) in enumerate(results, 1):
                    plan.record(plan.sources[path], result)
                    if progress:
                        progress(done, len(pending))
        else:
            for done, item in enumerate(pending, 1):
                path, result = _python_work(item)
                plan.record(plan.sources[path], result)
                if progress:
                    progress(done, len(pending))
        return plan


def _check_syntax(plan: PythonPlan, source: SourceFile, key: str, data: bytes) -> None:
    """A file no rule reads: only whether it parses (PC000), remembered in the index by its key."""
    plan.checked[source.path] = key
    known = plan.index.get(key)
    if known == SYNTAX_OK:
        return
    if not (_valid_result(known) and isinstance(known, tuple)):
        known = syntax_check(source.path, data) or SYNTAX_OK
        plan.index.put(key, known)
    _store(source, plan.facts, known)


def load_python(plan: PythonPlan) -> dict[str, PyFacts]:
    """The facts of every parsed file: those extracted by `plan_python`, the rest from the cache (a
    missing or unexpected entry is extracted again)."""
    with _collector_paused():
        for path, key in plan.keys.items():
            source = plan.sources[path]
            if path in plan.facts or source.error is not None:
                continue
            cached = plan.table.get(key)
            if isinstance(cached, PyFacts):
                plan.facts[path] = cached
            else:
                data = source.raw
                assert data is not None
                plan.record(source, _python_work((path, data))[1])
        return plan.facts


def default_jobs() -> int:
    """Parser processes when `--jobs` is not given: the pool only where it pays for itself.

    Measured on the real corpus (bench/real.py): workers cost ~1.45x the CPU of parsing in one
    process (start-up, imports, every fact pickled back), so with two CPUs the parallel part
    gains nothing once anything else runs; from four usable CPUs on it wins in wall time."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return cores if cores >= MIN_POOL_CPUS else 1


def _valid_result(result: object) -> bool:
    """A cached entry of the expected shape (anything else is recomputed)."""
    if isinstance(result, PyFacts):
        return True
    return (isinstance(result, tuple) and len(result) == 3 and isinstance(result[0], str)
            and isinstance(result[1], int) and isinstance(result[2], int))


def _store(source: SourceFile, facts: dict[str, PyFacts], result: object) -> None:
    if isinstance(result, PyFacts):
        facts[source.path] = result
    elif isinstance(result, tuple):
        message, line, column = result
        source.error = ParseError(message, line, column)


def _selected(meta: RuleMeta, settings: Settings) -> bool:
    from prodcheck.rules import matches

    if settings.select and not any(matches(meta, s) for s in settings.select):
        return False
    return not any(matches(meta, s) for s in settings.ignore)


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
        data = source.raw
        if data is not None:
            digest.update(hashlib.blake2b(data, digest_size=16).digest())
        else:
            digest.update(str(source.error).encode())
    return digest.hexdigest()


_Secrets = dict[tuple[str, int], frozenset[str]]
SECRET_LINES = 50  # a secret is masked on at most this many lines of its finding's span


def _note_secrets(secrets: dict[tuple[str, int], set[str]], location: Location, values: Sequence[str]) -> None:
    span = location.span
    for line in range(span.line, min(max(span.line, span.end_line), span.line + SECRET_LINES) + 1):
        secrets.setdefault((location.path, line), set()).update(v for v in values if v)


def run(root: Path, settings: Settings, only: Sequence[str] = (), baseline: Collection[str] | None = None,
        progress: Callable[[int, int], None] | None = None) -> RunResult:
    try:
        return _run(root, settings, only, baseline, progress)
    finally:
        gc.unfreeze()  # the facts frozen by parse_python are ordinary objects again


def _run(root: Path, settings: Settings, only: Sequence[str], baseline: Collection[str] | None,
         progress: Callable[[int, int], None] | None) -> RunResult:
    root = root.resolve()
    files = discover(root, settings)
    run_table = cache.Table(_cache_folder(root, settings), "run")
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

    with recording() as reads, _collector_paused(), remembering(run_table.folder):
        kept, suppressed, secrets, notes, internal, metas = _check(root, files, python, settings)
    if run_table.enabled and not internal:
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


def _check(root: Path, files: list[SourceFile], python: dict[str, PyFacts], settings: Settings
           ) -> tuple[list[Finding], int, _Secrets, list[str], list[str], dict[str, RuleMeta]]:
    """The project model, every selected rule, pragmas: (findings, suppressed, secrets, notes, internal
    errors, metas)."""
    from prodcheck.project import Project
    from prodcheck.project.helm_render import remap
    from prodcheck.rules import all_rules
    from prodcheck.rules.base import Rule

    project = Project(root, files, python, settings)
    rules = all_rules()
    findings: list[Finding] = []
    internal: list[str] = []
    secret_lines: dict[tuple[str, int], set[str]] = {}
    try:
        project.parse_all()  # every parse error is known before any rule, whatever is selected
    except Exception:  # a model bug must not abort the run; the rules parse lazily then
        internal.append(f"parsing: internal error\n{traceback.format_exc()}")
    metas = {code: rule.meta for code, rule in rules.items()}
    for code, rule_class in rules.items():
        if code in {"PC000", "PC001"} or not _selected(rule_class.meta, settings):
            continue
        rule: Rule = rule_class()
        try:
            for draft in rule.check(project):
                draft = remap(project.views.helm, draft)  # a rendered chart line -> values.yaml/template
                if draft.secrets:
                    _note_secrets(secret_lines, draft.location, draft.secrets)
                finding = _finalise(project, rule_class.meta, draft, settings)
                if finding is not None:
                    findings.append(finding)
        except Exception:  # one broken rule must not abort the run
            internal.append(f"{code}: internal error\n{traceback.format_exc()}")
    if _selected(metas["PC000"], settings):
        for source in project.parse_errors:
            if "{{" in source.path or "{%" in source.path:
                continue  # cookiecutter/copier templates are rendered before they are valid files
            error = source.error
            assert error is not None
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
    pragmas = Pragmas()
    for source in files:
        if source.kind in (FileKind.PYTHON, FileKind.GUNICORN_CONF):
            file_facts = python.get(source.path)
            if file_facts is not None and file_facts.comments:
                text = (source.data or b"").decode("utf-8", "replace")
                pragmas.add_comments(source.path, file_facts.comments, text.splitlines())
            elif file_facts is None and source.data and b"prodcheck" in source.data:
                # No tokens for a file that does not parse (ignore-file[PC000]) or that the prefilter left
                # unparsed (its pragmas still count for PC001): read its pragmas as text.
                pragmas.add_from_text(source.path, source.data.decode("utf-8", "replace"))
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


def _finalise(project: Project, meta: RuleMeta, draft: object, settings: Settings) -> Finding | None:
    """Context and configured severity applied; None when the rule is silent in this context."""
    from prodcheck.rules.base import Draft

    assert isinstance(draft, Draft)
    context = draft.context or project.context_of(draft.location.path)
    if context in (Context.DEV, Context.TEST) and meta.dev == "skip":
        return None
    source = project.by_path.get(draft.location.path)
    if draft.context is not None and (source is None or draft.context != source.context):
        reason = draft.context_reason or f"the finding is about a {context.value} use (the rule's own evidence)"
    else:
        reason = source.context_reason if source is not None else ""
    if draft.context is None and context == Context.PROD and source is not None and source.kind == FileKind.PYTHON:
        from prodcheck.project.deployment import settings_class_context

        scoped = settings_class_context(project.python_facts.get(source.path), draft.location.span.line)
        if scoped is not None:
            context, reason = scoped.context, scoped.reason
            if meta.dev == "skip":
                return None
    anchor = ""
    if source is not None:
        if source.text is None and source.data is not None:
            source.text = source.data.decode("utf-8", "replace")
        anchor = source.line(draft.location.span.line).strip()
        from prodcheck.model.finding import mask_secret

        for secret in draft.secrets:
            anchor = mask_secret(anchor, secret)
    from prodcheck.rules.base import build_finding

    finding = build_finding(meta, draft, context, anchor, reason)
    severity = settings.severity.get(meta.code, finding.severity)
    if context in (Context.DEV, Context.TEST):
        severity = Severity.INFO if meta.dev == "downgrade" else severity
    elif context == Context.AMBIGUOUS:
        severity = Severity(max(Severity.INFO, severity - 1))  # one lower than production, never an error
    if severity != finding.severity:
        from dataclasses import replace

        finding = replace(finding, severity=severity)
    if finding.fix is not None and context != Context.PROD:
        # `--reload` in docker-compose.override.yml is the point of that file: fixes (and `fixable`)
        # are for what production runs.
        from dataclasses import replace

        finding = replace(finding, fix=None)
    return finding


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: dict[tuple[str, str, int, int], Finding] = {}
    for finding in findings:
        key = (finding.code, finding.path, finding.span.line, finding.span.column)
        current = seen.get(key)
        if current is None or finding.severity > current.severity:
            seen[key] = finding
    return list(seen.values())


@lru_cache(maxsize=256)
def _glob(pattern: str) -> pathspec.GitIgnoreSpec:
    return gitignore_spec([pattern])


def _per_file_ignored(code: str, name: str, path: str, settings: Settings) -> bool:
    for glob, selectors in settings.per_file_ignores.items():
        if fnmatch.fnmatch(path, glob) or _glob(glob).match_file(path):
            if any(s.upper() == code or s.lower() == name or code.startswith(s.upper()) for s in selectors):
                return True
    return False


def _apply_per_file_ignores(findings: list[Finding], settings: Settings) -> list[Finding]:
    if not settings.per_file_ignores:
        return findings
    return [f for f in findings if not _per_file_ignored(f.code, f.name, f.path, settings)]
