"""The walk of the extractor (extract/python.py): each node visited once, dispatched by its type through a dict.

`ast.NodeVisitor` looks a method up by name for every node; here one dict per visitor class maps a node type to its
visit function (`dispatch_table`), a leaf or a plain value to None (not entered), and any other type to
`Walk.generic_visit` (walked): one lookup per child, by subscript (every type has a key)."""
from __future__ import annotations

import ast
from typing import Any

from prodcheck.extract.ast_fields import CHILD_FIELDS, node_types
from prodcheck.extract.call_sites import CallSites

_Constant = ast.Constant
# What the walk does not enter: leaves with nothing to extract below them, and the plain values a field
# or a list can hold instead of a node (identifiers in `Global.names`, an absent optional node).
# Operators (`==` in a Compare's `ops`, `+` in a BinOp's `op`) are leaves too: singletons without fields.
_OPERATORS = tuple(kind for base in (ast.operator, ast.cmpop, ast.unaryop, ast.boolop) for kind in base.__subclasses__())
_LEAVES = (ast.Name, ast.Load, ast.Store, ast.Del, ast.Pass, ast.Break, ast.Continue, *_OPERATORS)
_NOT_NODES = (str, int, float, complex, bool, bytes, type(None), type(...))
_DISPATCH: dict[type, dict[type, Any]] = {}


def dispatch_table(cls: type) -> dict[type, Any]:
    """A visitor class's dispatch (a `Walk`: extract/python.py `_Extractor`): node type to its visit function, computed
    once per class. Plain functions, called with the walker (`method(self, node)`): no bound method per file (they
    made a cycle per walker)."""
    table = _DISPATCH.get(cls)
    if table is None:
        # Every node type and plain value has a key (the walk generic, leaves and plain values None): the walk looks
        # a type up by subscript, a specialised instruction, not by the method call `get`.
        table = _DISPATCH[cls] = dict.fromkeys(node_types(), Walk.generic_visit)
        table.update(dict.fromkeys((*_LEAVES, *_NOT_NODES)))
        table.update((getattr(ast, name[6:]), getattr(cls, name)) for name in dir(cls)
                     if name.startswith("visit_") and hasattr(ast, name[6:]))
    return table


class Walk(CallSites):
    """Visits each node once; dispatch by type through a dict (NodeVisitor's getattr per node is slow).
    The dict maps a node type to its visit function (one dict per class, `dispatch_table`), a leaf or a
    plain value to None (not entered), and any other node type to `generic_visit`: one lookup per child."""

    _dispatch: dict[type, Any]  # `dispatch_table` of the class, set by the subclass's `__init__`

    def visit(self, node: ast.AST) -> None:
        method = self._dispatch[type(node)]
        if method is not None:
            method(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        # `visit` inlined: this loop runs for every node of every file.
        dispatch = self._dispatch
        for name in CHILD_FIELDS[type(node)]:  # (every node type has its entry: ast_fields.py)
            child = getattr(node, name, None)
            if type(child) is list:
                for item in child:
                    item_type = type(item)
                    if item_type is _Constant:  # `visit_Constant` inlined: a literal is one node in eight
                        literal = item.value
                        if type(literal) is str and "://" in literal:
                            self._string(item, "")
                        continue
                    method = dispatch[item_type]
                    if method is not None:
                        method(self, item)
            elif type(child) is _Constant:  # (`visit_Constant` inlined)
                literal = child.value
                if type(literal) is str and "://" in literal:
                    self._string(child, "")
            else:
                method = dispatch[type(child)]
                if method is not None:
                    method(self, child)
