"""The tree `load_documents` (parsing/yaml.py) builds: a YNode per key and value, with its position.

A mapping keeps its pairs in order (a lookup by key is built on first use), a sequence its items, a scalar its text
and its resolved tag; `walk`, `scalars` and `maps` visit a tree without recursion.

A node's position is kept as the composer read it, a plain tuple of the four fields of its `Span`, and made a `Span`
when `span` is first read: a tuple subclass is built through `tuple.__new__` and the collector's allocation, several
times the cost of a plain tuple, and the infra scan's composer built 260,000 of them, for the few thousand nodes a
finding or a location ever points at (~0.4 G instructions, 2.4 % of the scan).
"""
from __future__ import annotations

import builtins
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial

from prodcheck.model.finding import Span

_BOOL_TRUE = {"true", "yes", "on", "y"}
_BOOL_FALSE = {"false", "no", "off", "n"}
_as_span = partial(tuple.__new__, Span)  # a Span of four fields already in order, without a Python frame


@dataclass(slots=True, eq=False)
class YNode:
    # (parsing/yaml.py's composer makes its nodes field by field, without this `__init__`: a new field is set there)
    kind: str  # "map", "seq", "scalar"
    # The node's Span, or (as the composer builds it) its four fields as a plain tuple, in order, until `span` is read
    position: tuple[int, int, int, int]
    value: object = None  # str for scalars, list[YNode] for seq, list[tuple[YNode, YNode]] for maps
    tag: str = ""
    style: str | None = None
    _index: dict[str, tuple[YNode, YNode]] | None = field(default=None, repr=False)
    origin: str | None = field(default=None, repr=False)  # the file it came from, when merged from another

    # ------------------------------------------------------------------ access

    @property
    def span(self) -> Span:
        position = self.position
        if position.__class__ is not Span:
            position = self.position = _as_span(position)
        return position

    @property
    def is_map(self) -> bool:
        return self.kind == "map"

    @property
    def is_seq(self) -> bool:
        return self.kind == "seq"

    @property
    def is_scalar(self) -> bool:
        return self.kind == "scalar"

    def items(self) -> list[tuple[YNode, YNode]]:
        return self.value if self.kind == "map" else []  # type: ignore[return-value]  # a map node's value is its pair list

    def entries(self) -> Iterator[tuple[str, YNode]]:
        for key, value in self.items():
            if key.is_scalar:
                yield str(key.value), value

    def _lookup(self) -> dict[str, tuple[YNode, YNode]]:
        if self._index is None:
            # the map's own pair tuples, not copies of them (a map's pair list holds tuples of two nodes)
            self._index = {str(pair[0].value): pair for pair in self.items() if pair[0].kind == "scalar"}
        return self._index

    def get(self, key: str) -> YNode | None:
        # The most called method of the infra scan: the built index read inline, `_lookup` only to build it.
        index = self._index
        if index is None:
            if self.kind != "map":
                return None
            index = self._lookup()
        pair = index.get(key)
        return pair[1] if pair else None

    def key_node(self, key: str) -> YNode | None:
        pair = self._lookup().get(key) if self.kind == "map" else None
        return pair[0] if pair else None

    def path(self, *keys: str | int) -> YNode | None:
        node: YNode | None = self
        for key in keys:
            if node is None:
                return None
            if isinstance(key, int):
                node = node.list()[key] if node.is_seq and len(node.list()) > key else None
            else:
                node = node.get(key)
        return node

    def list(self) -> list[YNode]:
        return self.value if self.kind == "seq" else []  # type: ignore[return-value]  # a seq node's value is its node list

    # ------------------------------------------------------------------ scalars

    @property
    def text(self) -> str | None:
        if self.kind != "scalar" or self.value is None:
            return None
        return str(self.value)

    def as_str(self) -> str | None:
        if self.kind != "scalar" or self.tag.endswith(":null"):
            return None
        value = self.value
        return value if value.__class__ is str else str(value)

    def as_int(self) -> int | None:
        text = self.as_str()
        if text is None:
            return None
        text = text.strip().replace("_", "")
        if len(text) > 24:
            return None  # far beyond any count, and Python's int digit limit
        try:
            return int(text, 0)
        except ValueError:
            return None

    def as_bool(self) -> bool | None:
        text = self.as_str()
        if text is None:
            return None
        lowered = text.strip().lower()
        if lowered in _BOOL_TRUE:
            return True
        if lowered in _BOOL_FALSE:
            return False
        return None

    def strings(self) -> builtins.list[str]:
        """A scalar or a sequence of scalars as a list of strings."""
        if self.is_scalar:
            text = self.as_str()
            return [] if text is None else [text]
        return [s for n in self.list() for s in ([n.as_str()] if n.is_scalar else []) if s is not None]

    def walk(self) -> Iterator[YNode]:
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            if node.kind == "map":
                for key, value in reversed(node.items()):
                    stack.append(value)
                    stack.append(key)
            elif node.kind == "seq":
                stack.extend(reversed(node.list()))

    def scalars(self) -> Iterator[YNode]:
        """The scalar nodes of `walk`, in its order (the scans of every value skip the containers)."""
        stack = [self]
        pop, push = stack.pop, stack.append
        while stack:
            node = pop()
            kind = node.kind
            if kind == "scalar":
                yield node
            elif kind == "map":
                for key, value in reversed(node.value):  # type: ignore[call-overload]  # a map's pair list
                    push(value)
                    push(key)
            elif kind == "seq":
                stack.extend(reversed(node.value))  # type: ignore[call-overload]  # a seq's node list

    def scalars_with(self, *needles: str) -> builtins.list[YNode]:
        """The scalar nodes of `scalars`, in its order, whose `text` holds one of `needles`: for the scans that look
        for a few marks (`://`, `${`) in every value of a document."""
        found: builtins.list[YNode] = []
        keep = found.append
        for node in self.scalars():
            value = node.value
            if value is not None:
                text = value if value.__class__ is str else str(value)
                for needle in needles:
                    if needle in text:
                        keep(node)
                        break
        return found

    def maps(self) -> Iterator[YNode]:
        """The mapping nodes of `walk`, in its order."""
        stack = [self]
        pop, push = stack.pop, stack.append
        while stack:
            node = pop()
            kind = node.kind
            if kind == "map":
                yield node
                for key, value in reversed(node.value):  # type: ignore[call-overload]  # a map's pair list
                    if value.kind != "scalar":
                        push(value)
                    if key.kind != "scalar":
                        push(key)
            elif kind == "seq":
                stack.extend(reversed(node.value))  # type: ignore[call-overload]  # a seq's node list
