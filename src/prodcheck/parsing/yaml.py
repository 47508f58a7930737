"""YAML with a position for every key and value.

Composed with PyYAML's C loader (the fast path) into a small `YNode` tree. Tags are never
constructed, so `!!python/object` and CloudFormation's `!Ref` are inert strings, and a node budget
stops alias bombs ("billion laughs") before they expand.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import yaml

from prodcheck.model.finding import Span
from prodcheck.parsing import ParseError

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

MAX_NODES = 200_000

_BOOL_TRUE = {"true", "yes", "on", "y"}
_BOOL_FALSE = {"false", "no", "off", "n"}


@dataclass(slots=True, eq=False)
class YNode:
    kind: str  # "map", "seq", "scalar"
    span: Span
    value: object = None  # str for scalars, list[YNode] for seq, list[tuple[YNode, YNode]] for maps
    tag: str = ""
    style: str | None = None
    _index: dict[str, tuple["YNode", "YNode"]] | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ access

    @property
    def is_map(self) -> bool:
        return self.kind == "map"

    @property
    def is_seq(self) -> bool:
        return self.kind == "seq"

    @property
    def is_scalar(self) -> bool:
        return self.kind == "scalar"

    def items(self) -> list[tuple["YNode", "YNode"]]:
        return self.value if self.kind == "map" else []  # type: ignore[return-value]

    def entries(self) -> Iterator[tuple[str, "YNode"]]:
        for key, value in self.items():
            if key.is_scalar:
                yield str(key.value), value

    def _lookup(self) -> dict[str, tuple["YNode", "YNode"]]:
        if self._index is None:
            self._index = {str(k.value): (k, v) for k, v in self.items() if k.is_scalar}
        return self._index

    def get(self, key: str) -> "YNode | None":
        pair = self._lookup().get(key) if self.kind == "map" else None
        return pair[1] if pair else None

    def key_node(self, key: str) -> "YNode | None":
        pair = self._lookup().get(key) if self.kind == "map" else None
        return pair[0] if pair else None

    def path(self, *keys: str | int) -> "YNode | None":
        node: YNode | None = self
        for key in keys:
            if node is None:
                return None
            if isinstance(key, int):
                node = node.list()[key] if node.is_seq and len(node.list()) > key else None
            else:
                node = node.get(key)
        return node

    def list(self) -> list["YNode"]:
        return self.value if self.kind == "seq" else []  # type: ignore[return-value]

    # ------------------------------------------------------------------ scalars

    @property
    def text(self) -> str | None:
        if self.kind != "scalar" or self.value is None:
            return None
        return str(self.value)

    def as_str(self) -> str | None:
        if self.kind != "scalar" or self.tag.endswith(":null"):
            return None
        return str(self.value)

    def as_int(self) -> int | None:
        text = self.as_str()
        if text is None:
            return None
        try:
            return int(text.strip().replace("_", ""), 0)
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

    def strings(self) -> list[str]:
        """A scalar or a sequence of scalars as a list of strings."""
        if self.is_scalar:
            text = self.as_str()
            return [] if text is None else [text]
        return [s for n in self.list() for s in ([n.as_str()] if n.is_scalar else []) if s is not None]

    def walk(self) -> Iterator["YNode"]:
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


def _span(node: yaml.Node) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def _convert(node: yaml.Node, budget: list[int], depth: int = 0) -> YNode:
    budget[0] -= 1
    if budget[0] < 0:
        raise ParseError("YAML document expands to too many nodes (alias bomb?)", node.start_mark.line + 1)
    if depth > 200:
        raise ParseError("YAML nesting too deep", node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        value: str | None = node.value
        if node.tag.endswith(":null") or (node.style is None and node.value in ("", "~", "null", "Null", "NULL")):
            value = None
        return YNode("scalar", _span(node), value, node.tag, node.style)
    if isinstance(node, yaml.SequenceNode):
        return YNode("seq", _span(node), [_convert(n, budget, depth + 1) for n in node.value], node.tag)
    pairs: list[tuple[YNode, YNode]] = []
    for key, value in node.value:
        if key.tag == "tag:yaml.org,2002:merge" and isinstance(value, yaml.MappingNode):
            merged = _convert(value, budget, depth + 1)
            pairs.extend(merged.items())
            continue
        pairs.append((_convert(key, budget, depth + 1), _convert(value, budget, depth + 1)))
    return YNode("map", _span(node), pairs, node.tag)


def load_documents(text: str) -> list[YNode]:
    """Every document of a (multi-document) YAML stream; empty documents are dropped."""
    budget = [MAX_NODES]
    documents: list[YNode] = []
    try:
        for document in yaml.compose_all(text, Loader=_Loader):
            if document is not None:
                documents.append(_convert(document, budget))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 1
        raise ParseError(f"invalid YAML: {error.problem or error}", line, column) from None
    except yaml.YAMLError as error:
        raise ParseError(f"invalid YAML: {error}") from None
    except RecursionError:
        raise ParseError("YAML nesting too deep") from None
    return documents
