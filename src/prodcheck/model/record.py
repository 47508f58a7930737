"""`record`: a frozen dataclass to the type checker, built at run time without the cost of a frozen one.

A `frozen=True` dataclass's `__init__` sets each field through `object.__setattr__` (a global lookup and a
call per field): four to five times a plain `__init__`'s slot stores. The classes built by the ten thousand
per scan (a Dockerfile's instructions, locations, shell commands) are records nothing assigns to; `record`
makes them slotted dataclasses with the hash and equality of a frozen one (`unsafe_hash`: by field values),
and `dataclass_transform(frozen_default=True)` has mypy treat every field as read-only, as it did when they
were frozen. (The Python facts, model/facts.py, made the same choice before, without the type check.)
Building the class is cheaper too: a frozen dataclass also compiles a `__setattr__` and a `__delattr__` from source
(~1.4 M instructions a class, ~60 M of every run's start-up over prodcheck's forty records).

dataclass writes each method as a text and compiles it (a parse and a compile per method, ~0.5 M instructions
each), four per class at every run's start-up. Here only `__init__` is compiled when the class is made; `__eq__`
and `__hash__` are the same text compiled together when an instance is first compared or hashed (most classes of
a run never are), and `__repr__` is a closure (`_by_value`).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from reprlib import recursive_repr
from typing import Any, TypeVar, dataclass_transform

_T = TypeVar("_T")
_WRITTEN = ("__eq__", "__hash__", "__repr__")  # a class that writes one of them is made by `dataclass` itself


@dataclass_transform(frozen_default=True)
def record(cls: type[_T]) -> type[_T]:
    """`@dataclass(frozen=True, slots=True)` as mypy sees it; unfrozen at run time (see the module)."""
    return _built(cls, hashable=True)


@dataclass_transform()
def hashed_record(cls: type[_T]) -> type[_T]:
    """`@dataclass(slots=True, unsafe_hash=True)`, built as `record` is (fields mypy lets code assign to)."""
    return _built(cls, hashable=True)


@dataclass_transform()
def slotted(cls: type[_T]) -> type[_T]:
    """`@dataclass(slots=True)`, built as `record` is: equal by value, unhashable (`__hash__` None, as dataclass
    makes a mutable class that compares by value)."""
    return _built(cls, hashable=False)


def _built(cls: type[_T], hashable: bool) -> type[_T]:
    """A slotted dataclass equal by value, hashed by value when `hashable` (`unsafe_hash`), else unhashable; made
    by `dataclass` itself when the class writes its own `__eq__`, `__hash__` or `__repr__`."""
    if any(name in cls.__dict__ for name in _WRITTEN):
        return dataclass(slots=True, unsafe_hash=hashable)(cls)
    return _by_value(dataclass(slots=True, repr=False, eq=False)(cls), hashable)


def _by_value(cls: type[_T], hashable: bool = True) -> type[_T]:
    """The `__eq__`, `__hash__` and `__repr__` dataclass writes (`eq=True`, and `unsafe_hash=True` when `hashable`).
    `__eq__` and `__hash__` are compiled from the same text dataclass writes (the field tuples compared and hashed:
    an object equals itself even where `==` says otherwise), both at once and only when an instance is first
    compared or hashed (`_compile`): most classes of a run never are. `__repr__` is a closure giving dataclass's
    `QualName(name=value!r, ...)` of the shown fields ("..." for an object met again inside its own repr)."""
    known = fields(cls)  # type: ignore[arg-type]  # a dataclass type; typeshed wants an instance
    compared = tuple(field.name for field in known if field.compare)
    hashed = tuple(field.name for field in known if (field.compare if field.hash is None else field.hash))
    shown = tuple(field.name for field in known if field.repr)
    methods = ("__eq__", "__hash__") if hashable else ("__eq__",)

    def _compile() -> None:
        made: dict[str, Any] = {}
        exec(_text(compared, hashed), {}, made)  # (only field names, checked identifiers, enter the text)
        for name in methods:
            made[name].__qualname__ = f"{cls.__qualname__}.{name}"
            setattr(cls, name, made[name])

    def __eq__(self: Any, other: object) -> bool:
        _compile()
        return cls.__eq__(self, other)  # (the compiled method from now on)

    def __hash__(self: Any) -> int:
        _compile()
        return cls.__hash__(self)

    @recursive_repr()
    def __repr__(self: Any) -> str:
        return self.__class__.__qualname__ + "(" + ", ".join(
            [f"{name}={getattr(self, name)!r}" for name in shown]) + ")"

    for method in (__eq__, __hash__, __repr__) if hashable else (__eq__, __repr__):
        method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
        setattr(cls, method.__name__, method)
    if not hashable:
        cls.__hash__ = None  # type: ignore[assignment]  # what dataclass sets for a mutable class equal by value
    return cls


def _text(compared: tuple[str, ...], hashed: tuple[str, ...]) -> str:
    """dataclass's `__eq__` and `__hash__`, as source."""
    assert all(name.isidentifier() for name in (*compared, *hashed))
    mine, theirs, kept = (
        "(" + "".join(f"{owner}.{name}," for name in names) + ")"
        for owner, names in (("self", compared), ("other", compared), ("self", hashed)))
    return (f"def __eq__(self, other):\n"
            f"    if other.__class__ is self.__class__:\n"
            f"        return {mine} == {theirs}\n"
            f"    return NotImplemented\n"
            f"def __hash__(self):\n"
            f"    return hash({kept})\n")
