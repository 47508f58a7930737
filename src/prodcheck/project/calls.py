"""Every call of the project by name: rules that want the calls of a few names (engine factories,
environment getters, CORS middleware) ask once per distinct name instead of once per call."""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterator

from prodcheck.model.facts import Call, PyFacts


class CallIndex:
    """For each call name, the files that make such a call (by their position in the facts dict)."""

    def __init__(self, facts: dict[str, PyFacts]) -> None:
        self._files = list(facts.values())
        by_name: dict[str, list[int]] = {}
        for position, file_facts in enumerate(self._files):
            for name in {call.value.text for call in file_facts.calls}:
                found = by_name.get(name)
                if found is None:
                    by_name[name] = [position]
                else:
                    found.append(position)
        # Kept as tuples: most names are called in one file, and a list of one is 88 bytes, a tuple 48
        # (tens of thousands of names on a large project; the index lives until the last rule).
        self._files_by_name: dict[str, tuple[int, ...]] = {name: tuple(found) for name, found in by_name.items()}

    @property
    def names(self) -> Iterator[str]:
        """Every distinct call name of the project."""
        return iter(self._files_by_name)

    def matching(self, wanted: Callable[[str], object]) -> frozenset[str]:
        """The distinct call names `wanted` accepts (asked once per name)."""
        return frozenset(name for name in self._files_by_name if wanted(name))

    def paths_calling(self, names: Collection[str]) -> set[str]:
        """The paths of the files that call any of `names`."""
        files, by_name = self._files, self._files_by_name
        return {files[position].path for name in names for position in by_name.get(name, ())}

    def named(self, wanted: Callable[[str], object]) -> Iterator[tuple[PyFacts, Call]]:
        """(facts, call) for every call whose name `wanted` accepts (asked once per distinct name), in
        the order of the facts dict and of each file's calls: the order of a loop over every call."""
        names = {name for name in self._files_by_name if wanted(name)}
        positions = sorted({position for name in names for position in self._files_by_name[name]})
        for position in positions:
            file_facts = self._files[position]
            for call in file_facts.calls:
                if call.value.text in names:
                    yield file_facts, call
