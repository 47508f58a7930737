"""Python files: the prefilter (which files are worth parsing), extraction in worker processes,
the facts cache and its index, and the syntax check of the files no rule reads (PC000)."""
from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from prodcheck import cache
from prodcheck.discovery.run_scripts import is_run_script, run_scripts
from prodcheck.discovery.sources import SourceFile
from prodcheck.memory import release_freed
from prodcheck.model.facts import PyFacts
from prodcheck.model.files import Context, FileKind
from prodcheck.parsing import ParseError
from prodcheck.settings import Settings
from prodcheck.prefilter import _needs_parse, _reexports, forget_runs
from prodcheck.lazy_pattern import lazy
from prodcheck.python_work import _pooled_work, _python_work, _worker_init, default_jobs, syntax_check

POOL_THRESHOLD = 150
RELEASE_EVERY = 500  # files packed between two returns of freed memory to the system (memory.release_freed)



# What the index holds for a Python file the prefilter leaves unparsed and that parses (`syntax_check`).
SYNTAX_OK = "ok"
# ... and, before the digest of its facts, for such a file that async code imports (python_links.py): the
# prefilter says no, and the second round parsed it in some run.
SECOND = "2:"


def _second(known: object) -> bool:
    return isinstance(known, str) and known.startswith(SECOND)


def _cache_key(path: str, digest: bytes, reduced: bool = False) -> str:
    """A Python file's entry: its path and bytes, by their digest (`SourceFile.digest`, made once for the run key;
    prodcheck's own code is in every table's header), and whether its facts are a test file's reduced ones
    (`reducible`: the same bytes under a configured glob are not)."""
    return hashlib.blake2b(path.encode("utf-8", "surrogateescape") + (b"\0t\0" if reduced else b"\0") + digest,
                           digest_size=16).hexdigest()


_PRAGMA = lazy(rb"#\s*prodcheck\s*:")


def reducible(source: SourceFile, data: bytes | None) -> bool:
    """A test file whose test functions are extracted without their calls' arguments (extract/test_bodies.py): a
    Python file its path places in tests (SPEC section 4, no configured glob pins it), holding no URL (PC301 reads
    every file's URL literals with the calls around them) and no pragma (a finding on a line of it, and so an
    unused-suppression one, masks the secrets of every draft on that line). The model may still place it elsewhere
    (deploy evidence, a router the production app serves): the engine then extracts it whole (engine.py)."""
    if source.kind != FileKind.PYTHON or source.context != Context.TEST:
        return False
    if data is None:  # left on disk (`SourceFile.resting`): noted whether they hold a URL; no `prodcheck`, no pragma
        return source.noted_absent(b"://")
    return b"://" not in data and _PRAGMA.search(data) is None


# The facts cache is spread over this many files: a run after one edit rewrites one or two of them.
PYTHON_SHARDS = 64


def python_table(folder: Path | None) -> cache.LazyTable:
    """The Python facts of one scanned root, one entry per file (`_cache_key`), read shard by shard."""
    return cache.LazyTable(folder, "python", shards=PYTHON_SHARDS)


def python_index(folder: Path | None) -> cache.Table:
    """One small file: per Python file entry (`_cache_key`), the digest of its facts or its parse error.
    A run compares these instead of loading the facts (incremental.py)."""
    return cache.Table(folder, "pyindex")


def python_links(folder: Path | None) -> cache.Table:
    """Per parsed Python file entry (`_cache_key`): what the second round follows from it (`python_links.Links`)."""
    return cache.Table(folder, "pylinks")


def python_rounds(folder: Path | None) -> cache.Table:
    """One entry: the key of the second round's inputs (`python_links.rounds_key`) and the files it parsed."""
    return cache.Table(folder, "pyrounds")


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
    folder: Path | None  # the cache's: the links and rounds tables are read only when the second round needs them
    sources: dict[str, SourceFile] = field(default_factory=dict)  # the files that are parsed
    keys: dict[str, str] = field(default_factory=dict)  # path -> _cache_key
    checked: dict[str, str] = field(default_factory=dict)  # the same for files only syntax-checked
    unparsed: list[SourceFile] = field(default_factory=list)  # those files
    # ... whose check waits for the second round, which may parse them: one parse each (`_check_syntax`); with the
    # bytes as read
    unchecked: list[tuple[SourceFile, bytes]] = field(default_factory=list)
    packed: int = 0  # files whose bytes were packed so far (`release_freed` every RELEASE_EVERY of them)
    digests: dict[str, str | tuple[str, int, int] | None] = field(default_factory=dict)
    facts: dict[str, PyFacts] = field(default_factory=dict)  # extracted (or loaded) so far
    second: set[str] = field(default_factory=set)  # the files the second round parses (python_links.py)
    reduced: set[str] = field(default_factory=set)  # the test files extracted reduced (`reducible`)
    links_missed: bool = False  # a parsed file's links were neither in the table nor in its cached facts

    @cached_property
    def links(self) -> cache.Table:
        return python_links(self.folder)

    @cached_property
    def rounds(self) -> cache.Table:
        return python_rounds(self.folder)

    def record(self, source: SourceFile, result: PyFacts | tuple[str, int, int], blob: bytes | None = None) -> None:
        """A file's facts (or its parse error), and `blob`, their pickle when a worker made it (`_pooled_work`)."""
        stored = self.table.put(self.keys[source.path], result, blob=blob)
        self.digests[source.path] = stored if isinstance(result, PyFacts) else result
        _store(source, self.facts, result)
        self.pack(source)  # its facts are extracted: the bytes wait, compressed, for a finding or pragma

    def pack(self, source: SourceFile) -> None:
        """Compress the file's bytes now that they are read; every RELEASE_EVERY files, return the freed
        memory to the system."""
        source.pack()
        self.packed += 1
        if self.packed % RELEASE_EVERY == 0:
            release_freed()

    def save(self) -> None:
        live = set(self.keys.values())
        for path, key in self.keys.items():
            known = self.digests.get(path)
            if isinstance(known, str) and path in self.second:
                known = SECOND + known
            if known is not None and self.index.get(key) != known:
                self.index.put(key, known)
        checked = set(self.checked.values())
        stale = set(self.index.entries) - live - checked
        self.table.save(live, stale)
        if self.index.dirty or stale:
            self.index.save(live | checked)
        if "links" in self.__dict__ and (self.links.dirty or set(self.links.entries) - live):
            self.links.save(live)
        if "rounds" in self.__dict__ and self.rounds.dirty:
            self.rounds.save(set(self.rounds.entries))


def plan_python(root: Path, files: list[SourceFile], settings: Settings,
                progress: Callable[[int, int], None] | None = None) -> PythonPlan:
    """Keys and digests of every Python file to parse; a file the index does not know is extracted now."""
    with _collector_paused():
        folder = cache.run_folder(root, settings)
        plan = PythonPlan(python_table(folder), python_index(folder), folder)
        pending: list[tuple[str, bytes, bool]] = []
        # What deployment commands run as a script is read whatever it holds (asked of Python files alone).
        scripts = run_scripts(files) if any(source.kind == FileKind.PYTHON for source in files) else frozenset()
        for source in files:
            if source.kind not in (FileKind.PYTHON, FileKind.GUNICORN_CONF):
                continue  # (`raw` would encode a text file's text again for nothing)
            # (a file left on disk by discovery, stat_memo.py, is read only when the index does not know its entry)
            resting = source.is_resting
            data = None if resting else source.raw
            if data is None and not resting:
                continue
            reduced = reducible(source, data)
            digest = source.digest()
            assert digest is not None  # the bytes were read, or noted
            key = _cache_key(source.path, digest, reduced)
            known = plan.index.get(key)
            if data is None and not isinstance(known, str):
                data = source.raw
                if data is None:
                    continue  # changed since discovery noted it, or gone: left out, as a file that cannot be read
            if reduced:
                plan.reduced.add(source.path)
            # The index knows which of its files were parsed (a digest of facts) and which only checked
            # (SYNTAX_OK): the prefilter, a function of the path and bytes, is asked only about the others.
            if source.kind == FileKind.PYTHON and not is_run_script(source.path, scripts) and (
                    known == SYNTAX_OK or _second(known) or (
                    data is not None and not isinstance(known, str) and not _needs_parse(data)
                    and not _reexports(source.path, data))):
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
                assert data is not None  # read for a key the index does not know
                pending.append((source.path, data, reduced))
        forget_runs()
        _extract(plan, pending, settings, progress)
        if any(source.error is None for source in plan.unparsed):  # else the second round has nothing to parse
            from prodcheck.python_rounds import second_round  # (nor its modules to import: an infra-only scan)

            second_round(plan, settings)
        _check_unchecked(plan)
        return plan


def _extract(plan: PythonPlan, pending: list[tuple[str, bytes, bool]], settings: Settings,
             progress: Callable[[int, int], None] | None) -> None:
    """Extract the facts of `pending` (path, bytes): in worker processes when there are enough of them."""
    jobs = settings.jobs or default_jobs()
    if len(pending) >= POOL_THRESHOLD and jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init) as pool:
            results = pool.map(_pooled_work, pending, chunksize=max(8, len(pending) // (jobs * 8)))
            for done, (path, result) in enumerate(results, 1):
                if isinstance(result, bytes):
                    blob, facts = result, cache.unpickled(result)
                    if not isinstance(facts, PyFacts):  # (only the model's classes are built: never expected)
                        facts, blob = _python_work(next(item for item in pending if item[0] == path))[1], None
                    plan.record(plan.sources[path], facts, blob)
                else:
                    plan.record(plan.sources[path], result)
                if progress:
                    progress(done, len(pending))
    else:
        total = len(pending)
        pending.reverse()
        done = 0
        while pending:
            item = pending.pop()  # the list lets go of the bytes: `record` packs the file's copy
            path, result = _python_work(item)
            del item
            plan.record(plan.sources[path], result)
            done += 1
            if progress:
                progress(done, total)


def _check_syntax(plan: PythonPlan, source: SourceFile, key: str, data: bytes | None) -> None:
    """A file no rule reads: only whether it parses (PC000), remembered in the index by its key. A file the index
    does not know is checked once the second round is done (`_check_unchecked`): the round parses some of these
    files whole (python_rounds.py), and a file is parsed once."""
    plan.checked[source.path] = key
    plan.unparsed.append(source)
    known = plan.index.get(key)
    if known == SYNTAX_OK or _second(known):
        return
    if _valid_result(known) and isinstance(known, tuple):
        _store(source, plan.facts, known)
    else:
        assert data is not None  # read for a key the index does not know (`plan_python`)
        plan.unchecked.append((source, data))


def _check_unchecked(plan: PythonPlan) -> None:
    """The syntax check of the skipped files the index did not know and the second round did not parse."""
    for source, data in plan.unchecked:
        if source.path in plan.second or source.error is not None:
            continue  # parsed whole; or a parse of the round's failed, and its error stands (`_revert_failed`)
        known = syntax_check(source.path, data) or SYNTAX_OK
        plan.index.put(plan.checked[source.path], known)
        plan.pack(source)
        _store(source, plan.facts, known)
    plan.unchecked = []


def load_python(plan: PythonPlan) -> dict[str, PyFacts]:
    """The facts of every parsed file: those extracted by `plan_python`, the rest from the cache (a
    missing or unexpected entry is extracted again)."""
    with _collector_paused():
        wanted = {path: key for path, key in plan.keys.items()
                  if path not in plan.facts and plan.sources[path].error is None}
        loaded = plan.table.get_many(wanted.values())
        for path, key in wanted.items():
            source = plan.sources[path]
            cached = loaded.pop(key, None)
            if isinstance(cached, PyFacts):
                plan.facts[path] = cached
            else:
                data = source.raw
                if data is None:  # left on disk by discovery (stat_memo.py), changed since or gone
                    source.error = ParseError("file changed while prodcheck read it: not checked (run again)")
                    del plan.sources[path], plan.keys[path]
                    plan.digests.pop(path, None)
                    continue
                plan.record(source, _python_work((path, data, path in plan.reduced))[1])
        _in_plan_order(plan)
        # The rules run next: no file's bytes wait unpacked for them (the extracted ones are packed already).
        for source in (*plan.sources.values(), *plan.unparsed):
            source.pack()
        release_freed()
        return plan.facts


def _in_plan_order(plan: PythonPlan) -> None:
    """The facts in the order of `plan.keys` (the discovered files, then those of the second round as it parsed
    them), which is the order a run without the cache extracts them in. A re-run extracts the edited files first and
    takes the rest from the cache, and the second round loads some files' facts early (`python_rounds._links`):
    where two answers are equally right (the route a finding names among several that reach it), a rule's choice
    follows this order, and a result must not depend on what the cache held."""
    facts = plan.facts
    ordered = [(path, facts[path]) for path in plan.keys if path in facts]
    if len(ordered) == len(facts) and all(a == b for a, (b, _) in zip(facts, ordered, strict=True)):
        return
    extra = [(path, found) for path, found in facts.items() if path not in plan.keys]  # (none expected)
    facts.clear()
    facts.update(ordered)
    facts.update(extra)


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
