"""Names as a function writes them: a bare name a nested function calls (its enclosing function's binding), and a
dotted name where two copies of an application in one repository make its module ambiguous (the copy under the
writer's own folders). A base of `NameIndex` (python_names.py), which holds the tables these read."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prodcheck.model.facts import Function, PyFacts
    from prodcheck.model.module_names import ModuleNames
    from prodcheck.project.python_names import Resolved


class WrittenNames:
    """`resolve` for names as they are written in a function (the tables and `resolve` are `NameIndex`'s)."""

    functions: dict[str, tuple[Function, PyFacts]]
    _names: ModuleNames
    _ambiguous: dict[str, bool]
    _anchored: dict[tuple[str, str], str | None]

    def resolve(self, dotted: str, depth: int = 0) -> Resolved | None:
        raise NotImplementedError  # NameIndex.resolve

    def enclosed_function(self, name: str, function: Function) -> Resolved | None:
        """The function a bare name written in `function` calls when it is defined in the function's body, or beside
        it in an enclosing one: a free name of a nested function is its enclosing function's binding (Python's
        scoping), a helper defined beside it in a decorator's or an app factory's body."""
        nested = self.resolve(f"{function.qualname}.{name}")
        scope = function.qualname.rpartition(".")[0]
        while (nested is None or not nested.function) and scope in self.functions:
            nested = self.resolve(f"{scope}.{name}")
            scope = scope.rpartition(".")[0]
        return nested if nested is not None and nested.function else None

    def resolve_written(self, dotted: str, function: Function | None) -> Resolved | None:
        """`resolve` for a name as `function` writes it: where two copies of an app make the name ambiguous, the copy
        under the writer's own folders (`anchored`)."""
        resolved = self.resolve(dotted)
        if resolved is None and function is not None and self.anchorable(dotted):  # (`anchored` is None otherwise)
            anchored = self.anchored(dotted, function)
            resolved = self.resolve(anchored) if anchored else None
        return resolved

    def anchored(self, dotted: str, function: Function | None) -> str | None:
        """`chalicelib.core.signup.create_tenant` written in `api/routers/core.py`, where `chalicelib.core.signup` is
        the tail of two modules (`api/chalicelib/...` and `ee/api/chalicelib/...`: two copies of an application in
        one repository): the copy under the writer's own folders (`api.chalicelib.core.signup.create_tenant`), the one
        its interpreter imports when it runs from there. None when no module of the name is ambiguous, or no copy sits
        beside the writer."""
        if function is None:
            return None
        defined = self.functions.get(function.qualname)
        return self.anchored_in(dotted, defined[1].module if defined else "")

    def anchorable(self, dotted: str) -> bool:
        """Whether where `dotted` is written can change what it names (`anchored_in`): a module part of it is the
        dotted tail of several modules. Else `anchored` is None wherever it is asked."""
        prefix = dotted.rpartition(".")[0]
        ambiguous = self._ambiguous.get(prefix)
        if ambiguous is None:
            ambiguous = self._ambiguous[prefix] = self._names.ambiguous(prefix)
        return ambiguous

    def anchored_in(self, dotted: str, module: str) -> str | None:
        """`anchored` for a name written at module level or in a module's function: the copy under `module`'s
        folders when a module of the name is ambiguous."""
        if not module:
            return None
        # Asked for every name a rule fails to resolve (a few hundred distinct module parts in
        # tens of thousands of questions): each part's answer is kept, and each answer for an ambiguous
        # part (80,000 questions, 14,500 distinct on polar).
        if not self.anchorable(dotted):
            return None
        key = (dotted, module)
        if key in self._anchored:
            return self._anchored[key]
        found = self._anchored[key] = next((candidate for candidate in self._names.under_folders(dotted, module)
                                            if self.resolve(candidate) is not None), None)
        return found
