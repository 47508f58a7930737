"""What an unannotated parameter of a project class's `__init__` holds: what the project builds the class with
(`Repo(db)` with `db` a sync session, `Counter(cache)` with `cache` a sync Redis client), so that the attribute
`__init__` keeps it in (`self.db = db`) holds it in every method. Each construction of the class outside test files
counts; what they give, as one holding (`union`: an attribute that may hold a sync client or session blocks)."""
from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from prodcheck.model.facts import Call, Function, PyFacts, Value
from prodcheck.model.files import Context
from prodcheck.rules.concurrency.branches import given_argument
from prodcheck.rules.concurrency.holding import Holding, HoldsBase, union

MAX_SITES = 20  # constructions read for one parameter: beyond, the class is built everywhere and says nothing


class Built(HoldsBase):
    """Constructor arguments of project classes."""

    _builds: dict[str, list[Call]]
    _builds_first: dict[str, list[Call]]  # the first MAX_SITES of `_builds`, for names whose later calls are not read

    def constructed_with(self, init: Function, name: str, depth: int) -> Holding | None:
        """What the project's constructions of `init`'s class give its parameter `name` (unannotated)."""
        return self._own((init.qualname, "(" + name, -3), lambda: self._given(init, name, depth))

    def _given(self, init: Function, name: str, depth: int) -> Holding | None:
        cls = init.qualname.rpartition(".")[0]
        position = next((i for i, p in enumerate(init.params) if p.name == name), None)
        if position is None or position == 0:
            return None
        # the class a call builds, as its writer names it (the copy of the writer's service when several services
        # of the repository have a module of that name: `resolve_written`)
        sites = [call for call in self._sites(cls.rsplit(".", 1)[-1])
                 if (resolved := self.index.resolve_written(call.value.text, self._scope_of(call))) is not None
                 and resolved.cls and resolved.qualname == cls]
        held: list[Holding] = []
        for call in sites[:MAX_SITES]:
            argument = given_argument(call, init, name, position)
            if argument is None:
                continue
            scope = self.index.functions.get(call.scope)
            found = self.value(argument, scope[0] if scope else None, depth + 1)
            if found is not None:
                held.append(found)
        return union(held) if held else None

    def _scope_of(self, call: Call) -> Function | None:
        scope = self.index.functions.get(call.scope)
        return scope[0] if scope else None

    def awaited_with(self, function: Function, name: str, depth: int) -> Holding | None:
        """What the project's calls of the `async def` helper `function` give its parameter `name` (unannotated, no
        default): `await read_count(cache, key)` with `async def read_count(r, key)` and `cache` a sync Redis client.
        A blocking client or a sync session only when every call that gives the parameter a value gives one: a
        helper awaited with a sync client here and an async one there is not known to block."""
        return self._own((function.qualname, ")" + name, -3), lambda: self._awaited(function, name, depth))

    def _awaited(self, function: Function, name: str, depth: int) -> Holding | None:
        held: list[Holding] = []
        for found in self.given_at_sites(function, name, depth):
            if found is None or not (found.blocking_session or (found.kind == "client" and self.family(found))):
                return None
            held.append(found)
        return union(held) if held else None

    def given_at_sites(self, function: Function, name: str, depth: int) -> Iterator[Holding | None]:
        """What each of the project's calls of `function` (outside test files, the first MAX_SITES named like it)
        gives its parameter `name`, as the caller holds it (None: not known); nothing for a call that gives none."""
        for argument, caller in self._given_arguments(function, name):
            yield self.value(argument, caller, depth + 1)

    def handed_functions(self, function: Function, name: str) -> list[tuple[Function, PyFacts]]:
        """The project functions the project's calls of `function` give its parameter `name` by reference
        (`background_task_wrapper(indexing.update_indexes, logger)`): what a closure it returns calls as `name`."""
        found: dict[str, tuple[Function, PyFacts]] = {}
        for argument, _caller in self._given_arguments(function, name):
            handed = self.index.function(argument.text) if argument.kind == "name" else None
            if handed is not None:
                found.setdefault(handed[0].qualname, handed)
        return list(found.values())

    def _given_arguments(self, function: Function, name: str) -> Iterator[tuple[Value, Function | None]]:
        """(argument, caller) for each of the project's calls of `function` (the first MAX_SITES named like it) that
        gives its parameter `name` a value."""
        position = next((i for i, p in enumerate(function.params) if p.name == name), None)
        if position is None:
            return
        for call in self._first_sites(function.qualname.rsplit(".", 1)[-1]):
            caller = self._scope_of(call)
            target = self.index.call_target(call, caller)
            if target is None or target[0].qualname != function.qualname:
                continue
            argument = given_argument(call, function, name, position)
            if argument is not None:
                yield argument, caller

    def _sites(self, short: str) -> list[Call]:
        """The calls with arguments named `short` by their last part (`Repo(db)`, `repos.Repo(db)`), outside test
        files, in the order of the facts and of each file's calls. Collected for the names asked about, through
        the project's call index: a table of every call with arguments by its last name (122,000 of the bench
        corpus) was 7 MiB kept to the end of the run."""
        found = self._builds.get(short)
        if found is None:
            found = self._builds[short] = list(self._each_site(short))
        return found

    def _first_sites(self, short: str) -> list[Call]:
        """The first MAX_SITES of `_sites`, read only as far as they go: a common name (`get`, `create`) is called
        in most files, and its later calls are never read here."""
        found = self._builds.get(short)
        if found is not None:
            return found[:MAX_SITES]
        first = self._builds_first.get(short)
        if first is None:
            first = self._builds_first[short] = list(islice(self._each_site(short), MAX_SITES))
        return first

    def _each_site(self, short: str) -> Iterator[Call]:
        index = self.index
        names = {name for name in self.called_as(short) if "[]" not in name}
        return (call for facts, call in index.calls.among(names)
                if (call.value.items or call.value.flat_keywords) and index.context_of(facts) != Context.TEST)

