"""The second round of the parse: project modules that async code imports, which the prefilter skipped.

The prefilter (python_pass.py) parses a file when it holds a word of the knowledge base. A project helper
that holds none (`class ActionsCRUD` whose methods call `db.create_action(...)` of another module) is still
how a request reaches a blocking call: an `async def` route calls the helper, the helper calls the module
that blocks. So the modules that parsed async code imports, and that the prefilter left unparsed, are parsed
too, and so are the ones those import in turn, and the modules that define the base classes of the parsed
modules it reaches (a model class in a module the prefilter read, whose base two levels up, in a module it
skipped, writes the file) and the classes their functions' return annotations name. A module nobody's async
code reaches that way stays unparsed.

What a file imports is read from its facts (`PyFacts.imported_modules`); a run that finds a file's facts in
the cache reads the same list from a small table kept next to the index (`links`), without loading facts. And
a run whose inputs to the round are the last run's (every parsed file's facts digest, every skipped file's bytes:
`rounds_key`) parses the files that run did without reading any links (python_pass.py `pyrounds`); so does a run
whose parsed files' links are the last run's though a file's facts moved (a statement edited): the round reads a
parsed file's facts only through its links (python_rounds.py `links_key`).
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from prodcheck.model.module_names import module_name_for
from prodcheck.model.facts import PyFacts
from prodcheck.model.module_names import ModuleNames


# What the second round keeps of a parsed file: whether it defines async code (the round starts from those
# files), and the modules it follows from it: every module it imports (async code, a package's `__init__.py`
# that re-exports, a file parsed in the second round); from any other parsed module async code reaches, the
# base classes of its classes (a models module the prefilter read for its ORM, whose classes derive from a
# base in a module the prefilter skipped: what they inherit runs when a request calls them).
Links = tuple[bool, tuple[str, ...]]


def links_of(path: str, facts: PyFacts, second: bool) -> Links:
    is_async = any(function.is_async for function in facts.functions)
    if is_async or second or path.endswith("__init__.py"):
        return is_async, facts.imported_modules
    # `app.stored.Stored`: its module, by the name an import spells (`named` finds the file); and the module of a
    # class a function returns by its annotation (`def embedding_model(self) -> EmbeddingModel` of a settings
    # object: what a request calls on the returned object is that class's, or its subclasses')
    bases = (base for cls in facts.classes for base in cls.bases if "." in base)
    returned = (function.annotation.text for function in facts.functions
                if function.annotation is not None and function.annotation.kind == "name" and "." in function.annotation.text)
    return False, tuple(dict.fromkeys(name.rpartition(".")[0] for name in (*bases, *returned)))


class Modules(ModuleNames):
    """The project's Python files by the module names an import can spell (model/module_names.py)."""

    __slots__ = ("_named", "_near")

    def __init__(self, paths: Iterable[str]) -> None:
        super().__init__()
        # Per imported module name, what `named` finds whatever the importer: the file, "" for none, None when a
        # tail of it is ambiguous (`beside` the importer decides). Every parsed file imports the same few
        # hundred names (`typing`, `fastapi`, `app.models`), asked once each.
        self._named: dict[str, str | None] = {}
        self._near: dict[tuple[str, str], str | None] = {}  # (module, importer's folders) -> `nearest`
        for path in paths:
            self.add(module_name_for(path), path)

    def path(self, module: str) -> str | None:
        return self.get(module)

    def named(self, module: str, importer: str) -> str | None:
        """`path(module)`, else `beside(module, importer)`."""
        known = self._named.get(module, "\0")
        if known == "\0":
            known = self._named[module] = self.get(module) or (None if self.ambiguous(module) else "")
        if known is None:  # the copy under the importer's folders: the same for every file of its folder
            if not importer:
                return None
            key = module, importer.removesuffix(".py").replace("/", ".").rpartition(".")[0]
            near = self._near.get(key, "\0")
            if near == "\0":
                near = self._near[key] = self.nearest(module, importer)
            return near
        return known or None


def named(imported: Iterable[str], modules: Modules, importer: str = "") -> list[str]:
    """The project files that imported module names (`app.crud`, `app.crud.create_user`) name, in order. A name
    two copies of an application share (`chalicelib.core.signup` under `api/` and `ee/api/`) is the copy under the
    importer's own folders (`importer`: its path)."""
    found: dict[str, None] = {}
    for module in imported:
        path = modules.named(module, importer)
        if path is not None:
            found[path] = None
    return list(found)


def rounds_key(digests: Mapping[str, object], parsed: Mapping[str, str], checked: Mapping[str, str],
               kind: str = "p") -> str | None:
    """What the second round is a function of: the path and facts digest of every parsed file (its links come
    from its facts), and the path and bytes (`checked`: the cache key) of every skipped file, which decide whether
    it parses too (a file that does not is never one of the round's: python_rounds.py `_revert_failed`). None when
    a parsed file has no digest. With `digests` the parsed files' links (python_rounds.py `links_key`), `kind` "l"
    keeps the two keys apart."""
    digest = hashlib.blake2b(digest_size=20)
    for path in sorted(parsed):
        known = digests.get(path)
        if known is None:
            return None
        digest.update(f"\0{kind}{path}\0{known!r}".encode("utf-8", "surrogateescape"))
    for path in sorted(checked):
        digest.update(f"\0u{path}\0{checked[path]}".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()
