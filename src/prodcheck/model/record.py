"""`record`: a frozen dataclass to the type checker, built at run time without the cost of a frozen one.

A `frozen=True` dataclass's `__init__` sets each field through `object.__setattr__` (a global lookup and a
call per field): four to five times a plain `__init__`'s slot stores. The classes built by the ten thousand
per scan (a Dockerfile's instructions, locations, shell commands) are records nothing assigns to; `record`
makes them slotted dataclasses with the hash and equality of a frozen one (`unsafe_hash`: by field values),
and `dataclass_transform(frozen_default=True)` has mypy treat every field as read-only, as it did when they
were frozen. (The Python facts, model/facts.py, made the same choice before, without the type check.)
Building the class is cheaper too: a frozen dataclass also compiles a `__setattr__` and a `__delattr__` from source
(~1.4 M instructions a class, ~60 M of every run's start-up over prodcheck's forty records).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar, dataclass_transform

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True)
def record(cls: type[_T]) -> type[_T]:
    """`@dataclass(frozen=True, slots=True)` as mypy sees it; unfrozen at run time (see the module)."""
    return dataclass(slots=True, unsafe_hash=True)(cls)
