"""Is an `if` condition about a development or test run (`if settings.ENV == "local":`, `if settings.DEBUG:`,
`if is_development():`)? Read from the condition's syntax against knowledge/dev_guards.toml [python_conditions]:
the application's environment switch compared with development values, or a flag named for a development or test
run. A negated condition (`not`, `!=`, `is not`, `not in`) is production's branch. Narrower than the text-based
project/dev_guards.py that start-up rules use: a blocking call stays a stall wherever a deployment may take the
branch, so `if provider == "local":` (local disk storage) counts for nothing here."""
from __future__ import annotations

import ast

from prodcheck.knowledge import load

_CONDITIONS = load("dev_guards")["python_conditions"]
_VALUES = frozenset(_CONDITIONS["values"])
_FLAGS = frozenset(_CONDITIONS["flags"])
_SWITCHES = frozenset(name.lower() for name in load("contexts")["scripts"]["environment_variables"])
_DEV_OPERATORS = frozenset({ast.Eq, ast.In, ast.Is})


def _name(node: ast.expr) -> str | None:
    """The last name of `settings.ENV`, `ENV`, `get_config().DEBUG`, `is_development()` (lower-cased)."""
    if type(node) is ast.Call:
        node = node.func
    if type(node) is ast.Attribute:
        return node.attr.lower()
    if type(node) is ast.Name:
        return node.id.lower()
    return None


def _dev_values(node: ast.expr) -> bool:
    """A string constant, or a tuple/list/set of them, every one a development value."""
    items = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
    texts = [item.value.lower() for item in items if type(item) is ast.Constant and isinstance(item.value, str)]
    return bool(texts) and len(texts) == len(items) and all(text in _VALUES for text in texts)


def dev_condition(test: ast.expr) -> bool:
    """The condition reads a development flag or compares the environment switch with development values (in an
    `and`, one such part is enough: the branch runs only in development)."""
    kind = type(test)
    if kind is ast.BoolOp:  # (an `or` names no flag itself)
        return type(test.op) is ast.And and any(dev_condition(value) for value in test.values)  # type: ignore[attr-defined]  # an ast.BoolOp
    if kind is ast.Compare:
        ops = test.ops  # type: ignore[attr-defined]  # an ast.Compare
        if len(ops) != 1 or type(ops[0]) not in _DEV_OPERATORS:  # (a chain names no flag itself)
            return False
        left, right = test.left, test.comparators[0]  # type: ignore[attr-defined]  # an ast.Compare
        return (_name(left) in _SWITCHES and _dev_values(right)) or (_name(right) in _SWITCHES and _dev_values(left))
    return _name(test) in _FLAGS
