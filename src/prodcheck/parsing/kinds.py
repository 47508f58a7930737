"""File kinds that parser modules declare themselves: a new kind is one parser module.

A module under `prodcheck.parsing` that defines `KIND = DeclaredKind(...)` (a top-level line starting `KIND =`) is
found the first time the registry is used (as rules are found under `prodcheck.rules`); only such modules are
imported then (a module whose source cannot be read is imported to see): the others pull in PyYAML and
dockerfile-parse, which a re-run that finds its findings in the cache never uses (~23 ms of a 0.28 s run on polar). Its `name` is what rules
list in `RuleMeta.kinds` and `Project.of_kind` selects; `matches(relpath)` says which files are of
the kind by their path (asked only for files no built-in kind claims); `parse(path, text)` turns a
file into the view rules read, or raises `ParseError`, which is reported as PC000 whichever rules
run, since the engine parses every file of a known kind before any rule (`Project.parse_all`).
Rules read the view with `project.parsed(source)`.
"""
from __future__ import annotations

import importlib
import importlib.machinery
import pkgutil
import re
from collections.abc import Callable
from functools import lru_cache
from prodcheck.model.record import record
from prodcheck.lazy_pattern import lazy


@record
class DeclaredKind:
    name: str
    matches: Callable[[str], bool]
    parse: Callable[[str, str], object]


_EXTRA: dict[str, DeclaredKind] = {}


@lru_cache(maxsize=1)
def _declared_in_modules() -> dict[str, DeclaredKind]:
    import prodcheck.parsing as package

    found: dict[str, DeclaredKind] = {}
    for module_info in pkgutil.iter_modules(package.__path__, prefix=f"{package.__name__}."):
        if not _may_declare(module_info):
            continue
        module = importlib.import_module(module_info.name)
        kind = getattr(module, "KIND", None)
        if isinstance(kind, DeclaredKind):
            found[kind.name] = kind
    return found


_KIND_LINE = lazy(rb"^KIND\s*[:=]", re.MULTILINE)


def _may_declare(module_info: pkgutil.ModuleInfo) -> bool:
    """Whether the module's source has a top-level `KIND` line (or cannot be read: then it may)."""
    find_spec = getattr(module_info.module_finder, "find_spec", None)
    spec = find_spec(module_info.name) if find_spec is not None else None
    loader = spec.loader if spec is not None else None
    if spec is None or spec.origin is None or not isinstance(loader, importlib.machinery.SourceFileLoader):
        return True
    try:
        source = loader.get_data(spec.origin)
    except OSError:
        return True
    return _KIND_LINE.search(source) is not None


def declared_kinds() -> dict[str, DeclaredKind]:
    """Every declared kind by name."""
    return {**_declared_in_modules(), **_EXTRA}


def register(kind: DeclaredKind) -> DeclaredKind:
    """Declare a kind from outside `prodcheck.parsing` (a plugin, a test)."""
    _EXTRA[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    _EXTRA.pop(name, None)


def declared_kind_of(relpath: str) -> DeclaredKind | None:
    for kind in declared_kinds().values():
        if kind.matches(relpath):
            return kind
    return None
