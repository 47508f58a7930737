"""One matcher over resolved qualified names, for every knowledge entry that names Python code.

The facts carry call and reference names already resolved through the file's imports and aliases
(`from sqlalchemy import create_engine as ce; ce()` is `sqlalchemy.create_engine`), as ruff's
`resolve_qualified_name` and Fixit's `QualifiedNameProvider` do. A knowledge entry is one of:

- `pkg.mod.func`          exactly that qualified name;
- `pkg.mod.*`             anything under that module or class;
- `*.method`              a method of that name on any object (`*.metadata.create_all`: a
                          dotted tail), used where the receiver cannot be resolved;
- `pkg.Class().method`    a method on an instance of `pkg.Class`: matches the chained call
                          `pkg.Class().method` and `x.method` where `x` was assigned `pkg.Class(...)`
                          (ask with a `constructor` resolver, e.g. `PythonIndex.constructor_of`);
- `pkg.Class()`           calling such an instance itself (`env("NAME")` where `env = environ.Env()`);
- `name`                  a bare name, for code that uses it without an import (star imports).

Rules ask `names(topic, key).match(call.name)` instead of keeping their own `in SET` and
`.endswith(...)` checks.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, KeysView, Mapping
from contextlib import contextmanager
from functools import cache

from prodcheck.knowledge import load

Resolver = Callable[[str], "str | None"]

# False while a caller judges each distinct name of a project once (`project/calls.py` `CallIndex.matching`,
# `named`): the answers are not memoised then, since no one asks again (`sweeping`).
_remember = True


@contextmanager
def sweeping() -> Iterator[None]:
    """Names asked inside the block are answered without being memoised: a sweep over every distinct call name
    of a project (33,000 on the bench corpus) asks each once, and four tables kept a memo entry for each of
    them to the end of the run (3.7 MiB of the cold scan's peak). What the tables answer is the same."""
    global _remember
    previous, _remember = _remember, False
    try:
        yield
    finally:
        _remember = previous


_UNKNOWN = "\0unknown"  # not a memoised answer (no entry holds a NUL)


class Names:
    """A set of knowledge entries; `match` says which entry (if any) a qualified name is."""

    __slots__ = ("_built", "_exact", "_instances", "_plain", "_prefixes", "_suffixes", "entries")

    def __init__(self, entries: Iterable[str]) -> None:
        self.entries: tuple[str, ...] = tuple(entries)
        self._exact: dict[str, str] = {}
        self._prefixes: list[tuple[str, str]] = []
        self._suffixes: list[tuple[str, str]] = []
        self._instances: list[tuple[str, str, str]] = []  # (constructor, tail after "()", entry)
        # name -> its entry without a constructor resolver: rules ask about every call of a project,
        # the same few thousand names again and again (the entries never change once built).
        self._plain: dict[str, str | None] = {}
        # The same for the instance entries, for the last resolver asked with (one project's index).
        self._built: tuple[Resolver | None, dict[str, str | None]] = (None, {})
        for entry in self.entries:
            if entry.startswith("*."):
                self._suffixes.append((entry[1:], entry))
            elif entry.endswith(".*"):
                self._prefixes.append((entry[:-1], entry))
            else:
                self._exact[entry] = entry
                if "()" in entry:
                    constructor, _, tail = entry.partition("()")
                    self._instances.append((constructor, tail, entry))

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        hit = self._plain.get(name, _UNKNOWN)  # `match`'s memo first: most names are asked again and again
        return hit is not None and (hit is not _UNKNOWN or self.match(name) is not None)

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def match(self, name: str, constructor: Resolver | None = None) -> str | None:
        """The entry `name` is, or None. `constructor(dotted)` names what built the object `dotted`
        refers to (`"environ.Env"` for a module-level `env = environ.Env()`), when known."""
        if not name:
            return None
        # `get` with a default rather than `try: [name]`: in a sweep (`sweeping`) and on a project's first
        # question every name misses, and a raised KeyError costs several times a lookup (145,000 misses of
        # 209,000 questions on the cold bench corpus).
        hit = self._plain.get(name, _UNKNOWN)
        if hit is _UNKNOWN:
            hit = self._match_plain(name)
            if _remember:
                self._plain[name] = hit
        if hit is not None:
            return hit
        if constructor is None or not self._instances:
            return None
        resolver, answers = self._built
        if resolver != constructor:  # bound methods are equal when they are of the same object
            answers = {}
            self._built = (constructor, answers)
        hit = answers.get(name, _UNKNOWN)
        if hit is _UNKNOWN:
            hit = self._match_instance(name, constructor)
            if _remember:
                answers[name] = hit
        return hit

    def _match_instance(self, name: str, constructor: Resolver) -> str | None:
        for built, tail, entry in self._instances:
            receiver = name[: len(name) - len(tail)] if tail else name
            if (not tail or name.endswith(tail)) and receiver and constructor(receiver) == built:
                return entry
        return None

    def _match_plain(self, name: str) -> str | None:
        hit = self._exact.get(name)
        if hit is not None:
            return hit
        for prefix, entry in self._prefixes:
            if name.startswith(prefix):
                return entry
        for suffix, entry in self._suffixes:
            if name.endswith(suffix) or name == suffix[1:]:
                return entry
        return None

    def select(self, names: KeysView[str], by_last: Callable[[], Mapping[str, list[str]]] | None = None
               ) -> frozenset[str]:
        """The names among `names` (a project's distinct call names) that `name in self` accepts, without
        memoising them (as `sweeping`): when every entry is an exact name (no `pkg.*`, no `*.method`), one set
        intersection; an instance entry (`pkg.Class().method`) is asked without a constructor, as `in` does.
        `by_last()`: the same names by their last dotted part (`CallIndex`), where a `*.method` entry asks only the
        names of its last part (a name that ends as `.method`, or is `method`, has that last part)."""
        if self._prefixes or (self._suffixes and by_last is None):
            return frozenset(name for name in names if name and self._match_plain(name) is not None)
        found = names & self._exact.keys()
        if self._suffixes and by_last is not None:
            parts = by_last()
            for suffix, _entry in self._suffixes:
                found.update(name for name in parts.get(suffix.rpartition(".")[2], ())
                             if name.endswith(suffix) or name == suffix[1:])
        return frozenset(found).difference(("",))  # (`match` answers None for "")

    def constructors(self) -> frozenset[str]:
        """The callables whose instances the `pkg.Class()` entries name (`environ.Env`)."""
        return frozenset(built for built, _, _ in self._instances)

    def instance_tails(self) -> tuple[str, ...]:
        """What follows the `()` of each `pkg.Class().method` entry (`.method`; "" for `pkg.Class()` itself)."""
        return tuple(tail for _, tail, _ in self._instances)

    def last_names(self) -> frozenset[str]:
        """The last component of every entry (`get` of `requests.get`), for tail-only checks."""
        return frozenset(entry.rsplit(".", 1)[-1].removesuffix("()") for entry in self.entries)


class Tables:
    """Several named `Names` tables asked at once: `naming(name)` is the names of the tables that hold `name` (as
    `name in table`), from one index of their entries instead of a question to each table: the exact entries by
    name, the `*.method` entries by their last part (a name that ends as one, or is one, has the same last part)."""

    __slots__ = ("_exact", "_prefixes", "_suffixes")

    def __init__(self, tables: Iterable[tuple[str, Names]]) -> None:
        self._exact: dict[str, frozenset[str]] = {}
        self._prefixes: list[tuple[str, str]] = []
        self._suffixes: dict[str, list[tuple[str, str]]] = {}
        for kind, table in tables:
            for entry in table._exact:
                self._exact[entry] = self._exact.get(entry, frozenset()) | {kind}
            self._prefixes.extend((prefix, kind) for prefix, _ in table._prefixes)
            for suffix, _ in table._suffixes:
                self._suffixes.setdefault(suffix.rpartition(".")[2], []).append((suffix, kind))

    def naming(self, name: str) -> set[str]:
        """The tables `name` is in (`Names.__contains__`: an exact entry, a `pkg.*` prefix, a `*.method` tail)."""
        if not name:
            return set()
        found = set(self._exact.get(name, ()))
        for prefix, kind in self._prefixes:
            if name.startswith(prefix):
                found.add(kind)
        for suffix, kind in self._suffixes.get(name.rpartition(".")[2], ()):
            if name.endswith(suffix) or name == suffix[1:]:
                found.add(kind)
        return found


@cache
def names(topic: str, *keys: str) -> Names:
    """The entries under `[table] key` of a topic, e.g. `names("environment", "getters", "names")`."""
    node: object = load(topic)
    for key in keys:
        assert isinstance(node, dict), f"{topic}: {keys} is not a table path"
        node = node[key]
    assert isinstance(node, list) and all(isinstance(e, str) for e in node), f"{topic}: {keys} is not a list of names"
    return Names(node)
