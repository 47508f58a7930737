"""`record`, `hashed_record` and `slotted` (model/record.py) behave as the dataclasses they stand for: equality,
hashing and repr by the same fields, compiled or made on first use."""
from __future__ import annotations

import pickle
from dataclasses import dataclass, field, fields, replace

import pytest

from prodcheck.model.record import hashed_record, record, slotted


@record
class Point:
    x: int
    y: int = 0
    note: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class PointDC:
    x: int
    y: int = 0
    note: str = field(default="", compare=False, repr=False)


@hashed_record
class Box:
    items: tuple[int, ...]
    label: str = field(default="", hash=False)


@dataclass(slots=True, unsafe_hash=True)
class BoxDC:
    items: tuple[int, ...]
    label: str = field(default="", hash=False)


@slotted
class Node:
    name: str
    children: list[Node] = field(default_factory=list)


@dataclass(slots=True)
class NodeDC:
    name: str
    children: list[NodeDC] = field(default_factory=list)


def test_equality_and_hash_as_dataclass() -> None:
    assert Point(1, 2, "a") == Point(1, 2, "b")  # `note` is not compared
    assert Point(1, 2) != Point(1, 3)
    assert hash(Point(1, 2, "a")) == hash(PointDC(1, 2, "b"))  # the same tuple hashed
    assert Point(1, 2) != PointDC(1, 2)  # another class: NotImplemented both ways, then identity
    assert Point.__eq__(Point(1), "x") is NotImplemented
    assert Box((1, 2), "a") == Box((1, 2), "a") and Box((1, 2), "a") != Box((1, 2), "b")
    assert hash(Box((1, 2), "a")) == hash(Box((1, 2), "b")) == hash(BoxDC((1, 2), "c"))
    assert {Point(1, 2), Point(1, 2, "other")} == {Point(1, 2)}


def test_slotted_is_unhashable_and_equal_by_value() -> None:
    assert Node.__hash__ is None and NodeDC.__hash__ is None
    with pytest.raises(TypeError):
        hash(Node("a"))
    assert Node("a", [Node("b")]) == Node("a", [Node("b")])
    assert Node("a") != Node("b")


def test_repr_as_dataclass() -> None:
    assert repr(Point(1, 2, "hidden")) == repr(PointDC(1, 2, "hidden")).replace("PointDC", "Point")
    assert repr(Box((1,), "x")) == "Box(items=(1,), label='x')"
    loop = Node("a")
    loop.children.append(loop)
    assert repr(loop) == "Node(name='a', children=[...])"  # a cycle, as dataclass's reprlib guard shows it


def test_dataclass_tools_and_pickle_still_work() -> None:
    assert [f.name for f in fields(Point)] == ["x", "y", "note"]
    assert replace(Point(1, 2), y=5) == Point(1, 5)
    assert pickle.loads(pickle.dumps(Box((3,), "z"))) == Box((3,), "z")
    assert not hasattr(Point(1), "__dict__")  # slotted


def test_a_class_writing_its_own_method_keeps_it() -> None:
    @record
    class Named:
        name: str

        def __repr__(self) -> str:
            return f"<{self.name}>"

    assert repr(Named("n")) == "<n>"
    assert Named("n") == Named("n") and hash(Named("n")) == hash(Named("n"))
