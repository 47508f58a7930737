"""The answer to "what does this name hold" (`Holding`), how several answers combine (`union`), and the
shared ground of the parts of `Holds` that compute it: its state and the methods the parts call on each other.

`Holds` is put together from one part per question (holds.py: expressions and values; annotations.py;
containers.py; members.py; scopes.py; hierarchy.py). Each part is a mixin of `HoldsBase`, which declares, for
the type checker only, what the parts use of each other.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from prodcheck.knowledge import load
from prodcheck.knowledge.blocking import Blocking, Family, Orm
from prodcheck.model.facts import Assign, Call, Function, PyFacts, Value
from prodcheck.project.python_index import PythonIndex

if TYPE_CHECKING:
    from prodcheck.rules.concurrency.attributes import Attributes
_T = TypeVar("_T")

MAX_DEPTH = 8  # steps within one expression's answer
MAX_NESTING = 32  # expressions whose answers wait on each other (a module global -> an attribute -> a parameter's default ...)
INSTANCE = frozenset({"self", "cls"})


class Holding(NamedTuple):
    kind: str  # client | session | engine | factory | inspector | object | class | maker | query | module | arguments
    # | function (a closure a project factory returned; ref: its qualname)
    ref: str  # family key, "sync"/"async", or a class qualname

    @property
    def blocking_session(self) -> bool:
        return self.kind in {"session", "engine", "inspector"} and self.ref == "sync"


def union(held: list[Holding]) -> Holding:
    """One holding for what a name may hold (`A | B`, an attribute assigned in two places): a blocking one
    (a sync client, session or engine) wins, as either branch may run; project classes become one object of
    every class (`A|B`: a call on it may run either class's method); else the first."""
    for found in held:
        if found.kind == "client" or found.ref == "sync":
            return found
    classes = list(dict.fromkeys(part for found in held if found.kind == "object" for part in found.ref.split("|")))
    if len(classes) > 1:
        return Holding("object", "|".join(classes))
    return held[0]


_OPTIONAL = frozenset({"Optional", "typing.Optional"})


def not_none(annotation: Value | None) -> Value | None:
    """`X` of `Optional[X]`, `X | None`, `None | X`; anything else as it is."""
    if annotation is None:
        return None
    if annotation.kind == "subscript" and (annotation.text in _OPTIONAL or annotation.last == "Optional") \
            and len(annotation.items) == 1:
        return annotation.items[0]
    if annotation.kind == "binop" and annotation.text == "BitOr" and len(annotation.items) == 2:
        left, right = annotation.items
        if right.kind == "const" and right.literal is None:
            return left
        if left.kind == "const" and left.literal is None:
            return right
    return annotation


@cache
def _doubles() -> tuple[str, ...]:
    return tuple(load("blocking")["doubles"]["prefixes"])  # read when first asked, not at import


def double(cls: str) -> bool:
    """A test double by its name (`MockAgentService`, `FakeStorage`): knowledge/blocking.toml [doubles]."""
    return cls.rsplit(".", 1)[-1].startswith(_doubles())


class HoldsBase:
    """The state every part of `Holds` reads (set by `Holds.__init__`) and, for the type checker, the methods
    one part calls on another."""

    index: PythonIndex
    kb: Blocking
    attributes: Attributes
    dotted_locals: dict[str, list[Assign]]
    app_state: dict[str, list[tuple[Value, Function | None]]]
    entries: dict[str, list[tuple[Value, Function | None]]]  # module global -> values functions store in it
    _memo: dict[tuple[str, str, int], Holding | None]
    _locals: dict[str, dict[str, list[Value]]]
    _module_dots: dict[str, str]  # function -> its module and a dot (`Scopes.unshadow`)
    _bound: dict[int, tuple[Function, tuple[str, ...], tuple[str, ...]]]  # by id: `Scopes._bound_names`
    _active: dict[tuple[str, str, int], int]
    _low: int
    _subclasses: dict[str, list[str]] | None
    _registry: frozenset[str] | None
    _orms: dict[str, Orm | None]
    _constructed: dict[str, tuple[str, ...]] | None
    _imports: dict[str, frozenset[str]]
    _import_firsts: dict[str, dict[str, list[tuple[str, str]]]]  # file path -> `Scopes._imports_by_first`
    _mro: dict[str, tuple[str, ...]]  # class -> `Hierarchy.mro` at depth 0
    _short_names: bytearray | None  # the hashes of the project's functions' last names (`Hierarchy.defines`)
    _implemented: dict[tuple[str, str], tuple[tuple[Function, PyFacts], ...]]  # `Hierarchy.implementations`
    _named_types: dict[str, Holding | None]  # what an annotation that is a name says (`Annotations.annotation`)
    _claims: dict[str, bool]  # callee -> whether a knowledge table names it (`Called._callee`)
    _tables: frozenset[str] | None  # last parts of names bound to a dict of names (`Containers._table_named`)

    if TYPE_CHECKING:
        def expression(self, dotted: str, function: Function | None, depth: int = 0,
                       line: int = 0) -> Holding | None: ...
        def value(self, value: Value | None, function: Function | None, depth: int = 0) -> Holding | None: ...
        def _name(self, dotted: str, function: Function | None, depth: int, line: int = 0) -> Holding | None: ...
        def _call(self, value: Value, function: Function | None, depth: int) -> Holding | None: ...
        def _callee(self, callee: str, value: Value | None, function: Function | None, depth: int,
                    line: int = 0) -> Holding | None: ...
        def annotation(self, value: Value | None, function: Function | None, depth: int = 0) -> Holding | None: ...
        def _depends(self, depends: Value, annotation: Value | None, function: Function | None,
                     depth: int) -> Holding | None: ...
        def _forward(self, value: Value, function: Function | None) -> Value | None: ...
        def returns(self, function: Function, depth: int = 0) -> Holding | None: ...
        def generic_instance(self, function: Function, value: Value) -> Holding | None: ...
        def member(self, holder: Holding, name: str, is_call: bool, depth: int,
                   value: Value | None = None) -> Holding | None: ...
        def local(self, function: Function, name: str, line: int = 0) -> Value | None: ...
        def _local_values(self, function: Function) -> dict[str, list[Value]]: ...
        def _parameter_here(self, function: Function, name: str, line: int) -> bool: ...
        def _own(self, key: tuple[str, str, int], compute: Callable[[], _T]) -> _T | None: ...
        @staticmethod
        def local_type(function: Function, name: str) -> Value | None: ...
        def _reassigned(self, function: Function, name: str) -> bool: ...
        def _line_matters(self, function: Function, name: str) -> bool: ...
        def _global_call(self, function: Function, text: str) -> bool: ...
        def named_after_import(self, function: Function, name: str) -> bool: ...
        def _expression(self, parts: list[str], function: Function | None, depth: int,
                        line: int = 0) -> Holding | None: ...
        def _element(self, subscript: Value, function: Function | None, depth: int,
                     built: bool = False) -> Holding | None: ...
        def _table_named(self, dotted: str) -> bool: ...
        def binds(self, function: Function, name: str) -> bool: ...
        def mro(self, cls: str, depth: int = 0) -> tuple[str, ...]: ...
        def _interface(self, cls: str) -> bool: ...
        def orm(self, cls: str) -> Orm | None: ...
        def client_base(self, cls: str) -> Family | None: ...
        def model_builds(self, cls: str, name: str) -> bool: ...
        def called_as(self, short: str) -> tuple[str, ...]: ...
        def _descendants(self, cls: str) -> list[str]: ...
        def _registered(self, base: Value) -> Holding | None: ...
        def _imported_subclass(self, base: Value) -> Holding | None: ...
        def family(self, holder: Holding) -> Family | None: ...
        def abstract(self, function: Function) -> bool: ...
        def method(self, cls: str, name: str) -> tuple[Function, PyFacts] | None: ...
        def implementations(self, cls: str, name: str) -> list[tuple[Function, PyFacts]]: ...
        def _sites(self, short: str) -> list[Call]: ...
        def given_at_sites(self, function: Function, name: str, depth: int) -> Iterator[Holding | None]: ...
        def handed_functions(self, function: Function, name: str) -> list[tuple[Function, PyFacts]]: ...
        def arguments_member(self, holder: Holding, name: str, is_call: bool, depth: int,
                             value: Value | None) -> Holding | None: ...
