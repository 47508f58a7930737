"""What a function's body is, read from its statements before the walk enters them: a generator (`yields`), or a
method that only declares itself for a subclass to implement (`declares_only`)."""
from __future__ import annotations

import ast


def yields(statements: list[ast.stmt]) -> bool:
    """A `yield` among the statements, outside the functions and classes they define."""
    todo: list[ast.AST] = list(statements)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(node))
    return False


def declares_only(statements: list[ast.stmt]) -> bool:
    """A body that only declares the method (`...`, `pass`, a docstring, `raise NotImplementedError`): a base's or a
    Protocol's stand-in for what a subclass implements. A body that ends by returning a fixed default (`return None`,
    `return {}`, `return HookResult()`) and does nothing else is the same: a hook a subclass overrides when it needs
    it ("not abstract, so a subclass need not implement every hook"), a call of which on an instance of the base runs
    the subclass's."""
    last = len(statements) - 1
    for index, statement in enumerate(statements):
        kind = type(statement)
        if kind is ast.Pass or (kind is ast.Expr and type(statement.value) is ast.Constant):  # type: ignore[attr-defined]  # an ast.Expr
            continue
        if kind is ast.Assign and type(statement.value) in (ast.Constant, ast.JoinedStr):  # type: ignore[attr-defined]  # an ast.Assign
            continue  # `msg = f"{type(self)}.process"` before `raise NotImplementedError(msg)`
        if kind is ast.Raise:
            raised = statement.exc  # type: ignore[attr-defined]  # an ast.Raise
            raised = raised.func if type(raised) is ast.Call else raised
            if type(raised) is ast.Name and raised.id == "NotImplementedError":
                continue
        if kind is ast.Return and index == last and _fixed_default(statement.value):  # type: ignore[attr-defined]  # an ast.Return
            continue
        return False
    return True


def _fixed_default(value: ast.expr | None) -> bool:
    """`None`, a constant, an empty literal, or a class or factory called with no argument (`HookResult()`, `dict()`)."""
    if value is None or isinstance(value, ast.Constant):
        return True
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        return not value.elts
    if isinstance(value, ast.Dict):
        return not value.keys
    if isinstance(value, ast.Call) and not value.args and not value.keywords:
        func = value.func
        while isinstance(func, ast.Attribute):
            func = func.value
        # `HookResult()`, `models.Result()`: a class or factory by name, not a method of the object (`self.name()`)
        return isinstance(func, ast.Name) and func.id not in {"self", "cls"}
    return False
