"""File kinds that parser modules declare themselves: a new kind is one parser module.

A module under `prodcheck.parsing` that defines `KIND = DeclaredKind(...)` is found the first
time the registry is used (as rules are found under `prodcheck.rules`). Its `name` is what rules
list in `RuleMeta.kinds` and `Project.of_kind` selects; `matches(relpath)` says which files are of
the kind by their path (asked only for files no built-in kind claims); `parse(path, text)` turns a
file into the view rules read, or raises `ParseError`, which is reported as PC000 whichever rules
run, since the engine parses every file of a known kind before any rule (`Project.parse_all`).
Rules read the view with `project.parsed(source)`.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
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
        module = importlib.import_module(module_info.name)
        kind = getattr(module, "KIND", None)
        if isinstance(kind, DeclaredKind):
            found[kind.name] = kind
    return found


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
