"""What the project's classes assign to their attributes, collected for a class when a rule first asks about it.

`self.client = Minio(...)` in a method and `client = Minio(...)` in the class body: (class, attribute) ->
[(value, the method that assigns it, None in the class body)], in the order of the facts and of each file's
assignments. PC501 asks about the classes its request paths reach; a table of every class attribute of the
project, made up front, held ~6 MiB on the bench corpus (Django, SQLAlchemy and GraphQL classes declare
their fields in the class body).
"""
from __future__ import annotations

from typing import overload

from prodcheck.model.facts import Assign, Function, Value
from prodcheck.project.python_index import PythonIndex

Entries = list[tuple[Value, Function | None]]


def attribute_of(assign: Assign, index: PythonIndex) -> tuple[str, str] | None:
    """(class, attribute) an assignment sets: `self.x = ...` in a method of a project class, `x = ...` in a
    class body; else None. (Entries of a module global's container, `target[]`, are no attribute.)"""
    target, scope = assign.target, assign.scope
    if target.endswith("[]"):
        return None
    if target.startswith("self.") and target.count(".") == 1:
        owner = scope.rpartition(".")[0]
        return (owner, target[5:]) if owner in index.classes else None
    if scope in index.classes and target.startswith(scope + ".") and target.count(".") == scope.count(".") + 1:
        return scope, target.rsplit(".", 1)[1]
    return None


class Attributes:
    """(class, attribute) -> Entries, read like the dict of every class attribute it replaces (`get`, `in`)."""

    def __init__(self, index: PythonIndex) -> None:
        self._index = index
        self._files = list(index.files.values())
        self._by_module: dict[str, list[int]] = {}
        for position, facts in enumerate(self._files):
            self._by_module.setdefault(facts.module, []).append(position)
        self._classes: dict[str, dict[str, Entries]] = {}
        self._by_file: dict[int, dict[str, list[tuple[str, Value, Function | None]]]] = {}  # `_assigned_in`

    @overload
    def get(self, key: tuple[str, str]) -> Entries | None: ...

    @overload
    def get(self, key: tuple[str, str], default: tuple[()]) -> Entries | tuple[()]: ...

    def get(self, key: tuple[str, str], default: tuple[()] | None = None) -> Entries | tuple[()] | None:
        return self._of(key[0]).get(key[1], default)

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key[1] in self._of(key[0])

    def _of(self, owner: str) -> dict[str, Entries]:
        found = self._classes.get(owner)
        if found is None:
            found = self._classes[owner] = self._collect(owner)
        return found

    def _collect(self, owner: str) -> dict[str, Entries]:
        # A class's (and its methods') qualified names start with the name of the module that defines them,
        # which may be the class's own name (`class models:` in app/__init__.py, methods in app/models.py).
        parts = owner.split(".")
        positions = sorted(position for cut in range(1, len(parts) + 1)
                           for position in self._by_module.get(".".join(parts[:cut]), ()))
        found: dict[str, Entries] = {}
        for position in positions:
            for name, value, method in self._assigned_in(position).get(owner, ()):
                found.setdefault(name, []).append((value, method))
        return found

    def _assigned_in(self, position: int) -> dict[str, list[tuple[str, Value, Function | None]]]:
        """A file's attribute assignments by class: (attribute, value, the method that assigns it), in the file's
        order. Made once per file when a class it may define is first asked about: a module defines several
        classes, and each one's collection read every assignment of the module again (on polar, 23,658 reads of
        6,374 assignments)."""
        table = self._by_file.get(position)
        if table is None:
            table = self._by_file[position] = {}
            functions = self._index.functions
            for assign in self._files[position].assigns:
                key = attribute_of(assign, self._index)
                if key is None:
                    continue
                method = functions.get(assign.scope) if assign.target.startswith("self.") else None
                table.setdefault(key[0], []).append((key[1], assign.value, method[0] if method else None))
        return table
