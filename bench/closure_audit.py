#!/usr/bin/env python3
"""What PC501's per-function work reads outside the import closure of the function's module.

    python bench/closure_audit.py /tmp/prodcheck-real/polarsource+polar --sample 100

A one-file edit re-checked in well under a second (issue #11) needs PC501 and PC503 to re-run only the
request-path functions whose inputs moved. The cheap over-approximation of a function's inputs is the import
closure of its module: what it imports, directly or through others. This tool measures where that is not
enough. For a sample of the functions on the request path it runs, with every memo of the analysis emptied
first, the walk's step from the function (`_successors`) and PC501's analysis of it (`direct`,
`through_helpers`), and records each read of a fact (a file's facts, a function, class, assignment or call,
a name looked up in the project's name tables) whose file lies outside the closure. It prints, per reading
code site (the site and its caller), how many of the sampled functions read outside their closure there:
each is a channel an incremental PC501 has to record or to compare between runs (a table of every file's
assignments built once, the implementations of a method, a decorator's wrapped functions).

Reads are recorded by giving the fact objects a subclass whose fields are properties (the same slots, so
nothing else changes) and the name tables a dict subclass. It is slow (about a second a function on polar):
a research tool, run by hand, never in CI.
"""
from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

# (path of the file read, "site <- caller") of each read while a function is measured; None between them
_reads: set[tuple[str, str]] | None = None
_owner: dict[int, str] = {}  # id of a fact object -> the path of its file


def _site(frame: FrameType | None) -> str:
    """The first two frames outside the facts' own module, as `module:function`."""
    names: list[str] = []
    while frame is not None and len(names) < 2:
        code = frame.f_code
        module = code.co_filename.rsplit("/", 1)[-1].removesuffix(".py")
        if module not in {"facts", "closure_audit"}:
            names.append(f"{module}:{code.co_name}")
        frame = frame.f_back
    return " <- ".join(names)


def _recording(base: type) -> type:
    """A subclass of a slotted fact class whose fields record their reads, for `obj.__class__ = ...`."""
    namespace: dict[str, Any] = {"__slots__": ()}
    for name in base.__slots__:
        def read(self: object, slot: Any = base.__dict__[name]) -> Any:
            if _reads is not None and (path := _owner.get(id(self))) is not None:
                _reads.add((path, _site(sys._getframe(1))))
            return slot.__get__(self, base)
        namespace[name] = property(read)
    return type(f"Recording{base.__name__}", (base,), namespace)


class _RecordingTable(dict[str, Any]):
    """A name table (`functions`, `assigns`, ...) whose lookups record the file defining the name."""

    def __init__(self, table: dict[str, Any], owners: dict[str, str]) -> None:
        super().__init__(table)
        self.owners = owners

    def _note(self, key: object) -> None:
        if _reads is not None and isinstance(key, str) and (path := self.owners.get(key)) is not None:
            _reads.add((path, _site(sys._getframe(2))))

    def get(self, key: Any, default: Any = None) -> Any:
        self._note(key)
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self._note(key)
        return super().__contains__(key)


def audit(root: Path, sample: int, seed: int) -> tuple[int, int, Counter[str]]:
    """(functions measured, those that read outside their closure, per site: how many of them read there)."""
    global _reads
    from prodcheck import engine
    from prodcheck.model import facts as model
    from prodcheck.project import Project
    from prodcheck.project.calls import ModuleImports, ScopeCalls
    from prodcheck.rules.concurrency import request_path as walk
    from prodcheck.rules.concurrency.blocking_calls import classify_blocking
    from prodcheck.rules.concurrency.holds import Holds
    from prodcheck.rules.concurrency.summaries import BlockingAnalysis
    from prodcheck.settings import Settings

    settings = Settings(use_cache=False)
    root = root.resolve()
    files = engine.discover(root, settings)
    python = engine.parse_python(root, files, settings)
    project = Project(root, files, python, settings)
    index = project.python
    kept = {"files", "contexts", "_unread_paths", "modules", "_names", "functions", "assigns", "annotations",
            "classes"}
    entries = walk.request_path(index)

    module_path = {facts.module: facts.path for facts in index.files.values()}
    classes = {base: _recording(base) for base in (model.PyFacts, model.Function, model.ClassDef, model.Assign,
                                                   model.Call)}
    for facts in index.files.values():
        _owner[id(facts)] = facts.path
        facts.__class__ = classes[model.PyFacts]
        for part in (facts.functions, facts.classes, facts.assigns, facts.calls, facts.reads):
            for item in part:
                _owner[id(item)] = facts.path
                item.__class__ = classes[type(item)]
    annotated = {name: facts.path for facts in index.files.values() for name, _value in facts.annotations}
    for table in ("functions", "assigns", "classes", "annotations"):
        names: dict[str, Any] = getattr(index, table)
        owners = annotated if table == "annotations" else {name: held[1].path for name, held in names.items()}
        index.__dict__[table] = _RecordingTable(names, owners)
    ordered = [facts for _path, facts in sorted(index.files.items())]

    def fresh() -> None:
        """Every memo of the analysis and of the name index emptied: each read is the function's own."""
        for key in [key for key in index.__dict__ if key not in kept]:
            del index.__dict__[key]
        for key in ("_resolved", "_unresolved_from", "_lazy_names", "_constructors", "_ambiguous", "_anchored"):
            index.__dict__[key] = {}
        index.__dict__["calls_by_scope"] = ScopeCalls(ordered)
        index.__dict__["reads_by_scope"] = ScopeCalls(ordered, "reads")
        index.__dict__["imports"] = ModuleImports(ordered)

    chosen = random.Random(seed).sample(sorted(entries), min(sample, len(entries)))
    sites: Counter[str] = Counter()
    outside = 0
    for qualname in chosen:
        entry = entries[qualname]
        fresh()
        allowed = {module_path[module] for module in closure(index.import_graph, entry.facts.module)
                   if module in module_path}
        _reads = set()
        holds = Holds.of(index)
        analysis = BlockingAnalysis(project, classify_blocking)
        walk._successors(index, holds, entry.function, walk._deferring(index))
        list(analysis.direct(entry.function, entry.facts))
        list(analysis.through_helpers(entry.function))
        read, _reads = _reads, None
        found = {site for path, site in read if path not in allowed}
        outside += bool(found)
        sites.update(found)
    return len(chosen), outside, sites


def closure(graph: dict[str, tuple[str, ...]], module: str) -> set[str]:
    """The modules importing `module` runs: those it imports, directly or through others, and each one's
    parent packages (`import a.b.c` runs `a/__init__.py` and `a/b/__init__.py` first)."""
    seen: set[str] = set()
    stack = [module]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        stack.extend(graph.get(name, ()))
        parts = name.split(".")
        stack.extend(parent for size in range(1, len(parts)) if (parent := ".".join(parts[:size])) in graph)
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path)
    parser.add_argument("--sample", type=int, default=50, help="request-path functions measured (default 50)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top", type=int, default=40, help="sites printed (default 40)")
    args = parser.parse_args()
    measured, outside, sites = audit(args.root, args.sample, args.seed)
    print(f"{measured} request-path functions measured; {outside} read facts outside their module's import closure")
    for site, count in sites.most_common(args.top):
        print(f"{count:6d}  {site}")


if __name__ == "__main__":
    main()
