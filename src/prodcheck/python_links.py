"""The second round of the parse: project modules that async code imports, which the prefilter skipped.

The prefilter (python_pass.py) parses a file when it holds a word of the knowledge base. A project helper
that holds none (`class ActionsCRUD` whose methods call `db.create_action(...)` of another module) is still
how a request reaches a blocking call: an `async def` route calls the helper, the helper calls the module
that blocks. So the modules that parsed async code imports, and that the prefilter left unparsed, are parsed
too, and so are the ones those import in turn (only modules the prefilter skipped: a parsed module is
followed by the model already). A module nobody's async code imports stays unparsed.

What a file imports is read from its facts (`PyFacts.imported_modules`); a run that finds a file's facts in
the cache reads the same list from a small table kept next to the index (`links`), without loading facts.
"""
from __future__ import annotations

from collections.abc import Iterable

from prodcheck.extract.python import module_name_for
from prodcheck.model.facts import PyFacts


# What the second round keeps of a parsed file: whether it defines async code (the round starts from those
# files), and the modules it imports when they are followed (async code, a package's `__init__.py` that
# re-exports, a file parsed in the second round); `()` otherwise.
Links = tuple[bool, tuple[str, ...]]


def links_of(path: str, facts: PyFacts, second: bool) -> Links:
    is_async = any(function.is_async for function in facts.functions)
    if is_async or second or path.endswith("__init__.py"):
        return is_async, facts.imported_modules
    return False, ()


class Modules:
    """The project's Python files by the module names an import can spell: the file's full module name, or
    any dotted tail of it that names no other file (`services.actions` for `keep/api/services/actions.py`,
    as the model resolves names: project/python_names.py)."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.full: dict[str, str] = {}
        tails: dict[str, str] = {}
        for path in paths:
            module = module_name_for(path)
            self.full.setdefault(module, path)
            parts = module.split(".")
            for start in range(len(parts)):
                tail = ".".join(parts[start:])
                tails[tail] = "" if tails.get(tail, path) != path else path
        self.tails = tails

    def path(self, module: str) -> str | None:
        found = self.full.get(module) or self.tails.get(module)
        if found:
            return found
        head, _, rest = module.partition(".")
        return self.path(rest) if head in {"src", "lib"} and rest else None


def named(imported: Iterable[str], modules: Modules) -> list[str]:
    """The project files that imported module names (`app.crud`, `app.crud.create_user`) name, in order."""
    found: dict[str, None] = {}
    for module in imported:
        path = modules.path(module)
        if path is not None:
            found[path] = None
    return list(found)
