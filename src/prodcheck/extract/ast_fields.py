"""Which fields of an `ast` node type can hold nodes: what the extractor's walk (extract/python.py) and the guards'
scan of a function's stores (extract/guards.py) enter."""
from __future__ import annotations

import ast

# Fields that never hold a node: the grammar's identifiers and numbers (`Name.id`, `alias.name`,
# `ImportFrom.level`...), a Constant's value, and what no reader takes (`ctx`, type comments). Operators too (`op` of
# a BinOp, BoolOp, UnaryOp or AugAssign, `ops` of a Compare): nodes without fields, nothing below them.
_NO_NODES = frozenset({"ctx", "type_comment", "kind", "id", "attr", "arg", "name", "module", "level", "conversion",
                       "is_async", "simple", "tag", "rest", "op", "ops"})
# A node type's fields that may hold nodes, as `child_fields` found them: hot loops look a type up here first.
CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def child_fields(node_type: type) -> tuple[str, ...]:
    fields = CHILD_FIELDS.get(node_type)
    if fields is None:
        fields = CHILD_FIELDS[node_type] = () if node_type is ast.Constant else tuple(
            name for name in getattr(node_type, "_fields", ()) if name not in _NO_NODES)
    return fields


def node_types() -> list[type]:
    """Every `ast` node type (the deprecated aliases too)."""
    found: list[type] = []
    todo: list[type] = [ast.AST]
    while todo:
        kind = todo.pop()
        found.append(kind)
        todo.extend(kind.__subclasses__())
    return found


# Every node type is in CHILD_FIELDS from the start: the walk (extract/walk.py) looks one up by subscript.
for _kind in node_types():
    child_fields(_kind)
