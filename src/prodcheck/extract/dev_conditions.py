"""Is an `if` condition about development or tests (`if settings.ENV == "local":`, `if DEBUG:`,
`if settings.is_sqlite():`)? Read from the condition's names and strings, split at `_` and case-folded, against the
words of knowledge/dev_guards.toml, as project/dev_guards.py reads a condition's text; a negated condition
(`not`, `!=`) is about production. Only names, attributes and strings count: a comment beside the `if` does not."""
from __future__ import annotations

import ast
import re

from prodcheck.knowledge import load

_GUARD = load("dev_guards")["condition"]
_WORDS = frozenset(_GUARD["words"])
_SPLIT = re.compile(r"[^A-Za-z0-9]+|_")


def _words(text: str) -> set[str]:
    return {word.lower() for word in _SPLIT.split(text) if word}


def dev_condition(test: ast.expr) -> bool:
    """The condition names development or tests and is neither negated nor an inequality."""
    found: set[str] = set()
    for node in ast.walk(test):
        node_type = type(node)
        if node_type is ast.UnaryOp and type(node.op) is ast.Not:  # type: ignore[attr-defined]  # a UnaryOp
            return False
        if node_type is ast.Compare and any(type(op) in {ast.NotEq, ast.IsNot, ast.NotIn}
                                            for op in node.ops):  # type: ignore[attr-defined]  # a Compare
            return False
        if node_type is ast.Name:
            found |= _words(node.id)  # type: ignore[attr-defined]  # a Name
        elif node_type is ast.Attribute:
            found |= _words(node.attr)  # type: ignore[attr-defined]  # an Attribute
        elif node_type is ast.Constant and isinstance(node.value, str) and len(node.value) < 40:  # type: ignore[attr-defined]
            found |= _words(node.value)  # type: ignore[attr-defined]  # a Constant
    return bool(found & _WORDS)
