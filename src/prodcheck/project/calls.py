"""Every call of the project by name: rules that want the calls of a few names (engine factories,
environment getters, CORS middleware) ask once per distinct name instead of once per call."""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator

from prodcheck.knowledge.names import Names, sweeping
from prodcheck.model.facts import Call, PyFacts


class CallIndex:
    """For each call name, the files that make such a call (by their position in the facts dict)."""

    def __init__(self, facts: dict[str, PyFacts]) -> None:
        self._files = list(facts.values())
        by_name: dict[str, list[int]] = {}
        for position, file_facts in enumerate(self._files):
            for name in file_facts.call_names:  # each distinct name once
                found = by_name.get(name)
                if found is None:
                    by_name[name] = [position]
                else:
                    found.append(position)
        # Most names are called in one file: its position alone (an int up to 256 is shared, a larger one 32
        # bytes), else a tuple (a list of one is 88 bytes, a tuple 48; 33,000 names on the bench corpus, and the
        # index lives until the last rule). `_positions` reads either.
        self._files_by_name: dict[str, int | tuple[int, ...]] = {
            name: found[0] if len(found) == 1 else tuple(found) for name, found in by_name.items()}
        self._by_last: dict[str, list[str]] | None = None  # the names by their last dotted part (`ending`)

    def _positions(self, name: str) -> tuple[int, ...]:
        found = self._files_by_name.get(name, ())
        return (found,) if type(found) is int else found  # type: ignore[return-value]  # an int or a tuple of them

    @property
    def names(self) -> Iterator[str]:
        """Every distinct call name of the project."""
        return iter(self._files_by_name)

    def matching(self, wanted: Callable[[str], object]) -> frozenset[str]:
        """The distinct call names `wanted` accepts (asked once per name: the knowledge tables it asks do not
        memoise these answers, `names.sweeping`)."""
        with sweeping():
            return frozenset(name for name in self._files_by_name if wanted(name))

    def entries_of(self, table: Names) -> frozenset[str]:
        """`matching(lambda name: name in table)`, as one set intersection when the table's entries are all exact
        names, and its `*.method` entries asked of the names of their last part alone (`Names.select`)."""
        return table.select(self._files_by_name.keys(), self._last_parts)

    def paths_calling(self, names: Collection[str]) -> set[str]:
        """The paths of the files that call any of `names`."""
        files = self._files
        return {files[position].path for name in names for position in self._positions(name)}

    def named(self, wanted: Callable[[str], object]) -> Iterator[tuple[PyFacts, Call]]:
        """(facts, call) for every call whose name `wanted` accepts (asked once per distinct name), in
        the order of the facts dict and of each file's calls: the order of a loop over every call."""
        with sweeping():
            names = {name for name in self._files_by_name if wanted(name)}
        return self.among(names)

    def given_keyword(self, keyword: str) -> set[str]:
        """The distinct names of the calls given `keyword=` (`dependencies` of `APIRouter(dependencies=[...])`): one
        pass over the calls, for a question too costly to ask of every distinct name."""
        return {call.value.text for file_facts in self._files for call in file_facts.calls
                if keyword in call.value.flat_keywords}  # (a keyword's name is the only str among them)

    def called(self, names: Iterable[str]) -> frozenset[str]:
        """The names among `names` (a knowledge table's: few) that the project calls: `matching` for a name's
        equality with one of them, without judging every distinct call name."""
        called = self._files_by_name
        return frozenset(name for name in names if name in called)

    def names_ending(self, last: Collection[str], dotted: bool = False) -> frozenset[str]:
        """The distinct call names whose last dotted part is one of `last` (`add_task` of `tasks.add_task`; with
        `dotted`, only names with an owner): `matching` by a table of the names by their last part, made once,
        instead of judging every distinct name."""
        by_last = self._last_parts()
        return frozenset(name for part in last for name in by_last.get(part, ()) if not dotted or "." in name)

    def names_ending_with(self, suffixes: tuple[str, ...]) -> frozenset[str]:
        """`matching(lambda name: name.endswith(suffixes))`, from the names by their last dotted part: a name ends with
        a suffix holding a dot (`Tortoise.init`) only when its last part is the suffix's (`init`), and with one
        holding none only when its last part does (each distinct last part asked, not each name)."""
        by_last = self._last_parts()
        found: set[str] = set()
        for suffix in suffixes:
            _head, dot, last = suffix.rpartition(".")
            if dot:
                found.update(name for name in by_last.get(last, ()) if name.endswith(suffix))
            else:
                found.update(name for part, names in by_last.items() if part.endswith(suffix) for name in names)
        return frozenset(found)

    def by_last(self, part: str) -> list[str]:
        """The distinct call names whose last dotted part is `part` (`Repo` of `repos.Repo`), in the order of `names`."""
        return self._last_parts().get(part, [])

    def _last_parts(self) -> dict[str, list[str]]:
        """The distinct call names by their last dotted part, in the order of `names` (made when first asked)."""
        by_last = self._by_last
        if by_last is None:
            by_last = self._by_last = {}
            for name in self._files_by_name:
                by_last.setdefault(name.rpartition(".")[2], []).append(name)
        return by_last

    def ending(self, last: Collection[str], dotted: bool = False) -> Iterator[tuple[PyFacts, Call]]:
        """`named` for the names `names_ending` gives."""
        return self.among(self.names_ending(last, dotted))

    def among(self, names: Collection[str]) -> Iterator[tuple[PyFacts, Call]]:
        """(facts, call) for every call named one of `names` (a set), in the order of `named`."""
        positions = sorted({position for name in names for position in self._positions(name)})
        for position in positions:
            file_facts = self._files[position]
            for call in file_facts.calls:
                if call.value.text in names:
                    yield file_facts, call


class ScopeCalls:
    """The calls of each scope (a function's qualified name; "" for module and class bodies), collected when a
    rule first asks for that scope: rules ask about the functions on a request path or start-up chain, a tenth
    of a project's scopes (3,100 of 32,700 on the bench corpus, whose tables of every scope held ~4 MiB).

    `get` answers as the dict it replaces did: the scope's calls in the order of the facts (sorted by path)
    and of each file, or `default` (as a tuple) when the scope makes no call."""

    def __init__(self, files: list[PyFacts], field: str = "calls") -> None:
        self._files = files  # sorted by path
        self._field = field  # `calls`, or `reads` (attribute reads that make a request)
        self._by_module: dict[str, list[int]] = {}
        for position, file_facts in enumerate(files):
            self._by_module.setdefault(file_facts.module, []).append(position)
        self._built: dict[str, tuple[Call, ...]] = {}
        self._grouped: dict[int, dict[str, list[Call]]] = {}  # a file's calls by scope, made when first read

    def get(self, scope: str, default: Iterable[Call] = ()) -> tuple[Call, ...]:
        found = self._built.get(scope)
        if found is None:
            found = self._built[scope] = self._collect(scope)
        return found or tuple(default)

    def _collect(self, scope: str) -> tuple[Call, ...]:
        if scope:
            # A function's qualified name starts with its module's name (extract/python.py `_function`).
            parts = scope.split(".")
            positions = sorted(position for cut in range(1, len(parts))
                               for position in self._by_module.get(".".join(parts[:cut]), ()))
        else:
            field = self._field
            return tuple(call for file_facts in self._files for call in getattr(file_facts, field) if call.scope == scope)
        found: list[Call] = []
        for position in positions:
            # taken out of the file's groups: `get` collects each scope once (`_built`), so the list is not asked for
            # again, and the groups of a file hold only the scopes not yet collected
            calls = self._by_scope(position).pop(scope, None)
            if calls is not None:
                found.extend(calls)
        return tuple(found)

    def _by_scope(self, position: int) -> dict[str, list[Call]]:
        """The calls of the file at `position` by their scope, in the file's order: made once, for every scope of
        the file asked after (a file of a hundred functions on the path was read through once for each)."""
        grouped = self._grouped.get(position)
        if grouped is None:
            grouped = self._grouped[position] = {}
            for call in getattr(self._files[position], self._field):
                calls = grouped.get(call.scope)
                if calls is None:
                    grouped[call.scope] = [call]
                else:
                    calls.append(call)
        return grouped


class ModuleImports:
    """Each module's imports as a dict (local name -> qualified name), made when name resolution first enters
    the module (1,700 of 4,100 modules on the bench corpus). A module name two files share has the imports of
    the last of them in path order, as when every table was made up front."""

    def __init__(self, files: list[PyFacts]) -> None:
        self._facts = {file_facts.module: file_facts for file_facts in files}  # sorted by path: the last wins
        self._built: dict[str, dict[str, str]] = {}
        self._stars: dict[str, list[tuple[str, str]]] = {}

    def get(self, module: str, default: dict[str, str]) -> dict[str, str]:
        found = self._built.get(module)
        if found is None:
            file_facts = self._facts.get(module)
            if file_facts is None:
                return default
            found = self._built[module] = dict(file_facts.imports)
        return found

    def stars(self, module: str) -> list[tuple[str, str]]:
        """The module's `from x import *` entries ("*module" key, module), in the order of its imports."""
        found = self._stars.get(module)
        if found is None:
            found = self._stars[module] = [(key, star) for key, star in self.get(module, {}).items()
                                           if key.startswith("*")]
        return found
