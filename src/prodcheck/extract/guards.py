"""Which lines of a function run only for some values of its own parameters: `if validate:` ...,
`if not background:` ..., `if workflow is not None:` ..., the `else:` of `if background:`, and what
follows `if not p: return` in the function's body.

A caller that passes a constant (or leaves a parameter at its constant default) decides such a branch:
`detect(data, validate=False)` never runs what `if validate:` guards in `detect`. Recorded as
(first line, last line, parameter, need, position), need one of NEEDS, position the parameter's index
among the positional ones (`self` included) or -1 when it is keyword-only; a parameter the function
rebinds is left out, unless it is bound again only in branches other parameters guard (`_unless_rebound`).
"""
from __future__ import annotations

import ast

from prodcheck.extract.ast_fields import CHILD_FIELDS, child_fields

Guard = tuple[int, int, str, str, int]

TRUTHY, FALSY, NONE, NOT_NONE = "truthy", "falsy", "none", "not-none"
# A default the function builds for a parameter the caller left out: `store = store or Store()`,
# `if client is None: client = Client()`. It runs when the caller gives nothing (or None, or a falsy constant);
# a caller that hands an object of its own does not run it.
UNSET = "unset"
NEEDS = (TRUTHY, FALSY, NONE, NOT_NONE, UNSET)
_PLAIN = (TRUTHY, FALSY, NONE, NOT_NONE)
# Joins a need to the other parameters' needs of the branches that bind the parameter again: `truthy|user:truthy:3`
# is "truthy, unless a branch that needs `user` truthy ran" (`_unless_rebound`; read by rules/concurrency/branches.py)
ALTERNATIVE = "|"
_OPPOSITE = {TRUTHY: FALSY, FALSY: TRUTHY, NONE: NOT_NONE, NOT_NONE: NONE}
_MAX_GUARDS = 24  # per function: a dispatch on a flag, not a table of them
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_Name, _UnaryOp, _Compare, _Constant = ast.Name, ast.UnaryOp, ast.Compare, ast.Constant
_IDENTITY = (ast.Is, ast.IsNot)


def _test(node: ast.expr, params: frozenset[str]) -> tuple[str, str] | None:
    """(parameter, what the test needs of it to hold) for a test on one parameter alone. (Exact node types: the
    parser makes no subclasses; this reads every `if` of every function that has one.)"""
    kind = type(node)
    if kind is _Name:
        return (node.id, TRUTHY) if node.id in params else None  # type: ignore[attr-defined]  # an ast.Name
    if kind is _UnaryOp:
        if type(node.op) is not ast.Not:  # type: ignore[attr-defined]  # an ast.UnaryOp
            return None
        inner = _test(node.operand, params)  # type: ignore[attr-defined]  # an ast.UnaryOp
        return None if inner is None or inner[1] not in (TRUTHY, FALSY) else (inner[0], _OPPOSITE[inner[1]])
    if kind is _Compare:
        left, ops, right = node.left, node.ops, node.comparators[0]  # type: ignore[attr-defined]  # an ast.Compare
        if len(ops) == 1 and type(left) is _Name and left.id in params and type(right) is _Constant \
                and right.value is None and type(ops[0]) in _IDENTITY:
            return left.id, NONE if type(ops[0]) is ast.Is else NOT_NONE
    return None


def _when(test: ast.expr, params: frozenset[str]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(what the body needs, what the `else:` needs): each part of an `and` is needed by the body, each
    part of an `or` is false in the `else:`; a part on other values needs nothing."""
    single = _test(test, params)
    if single is not None:
        return [single], [(single[0], _OPPOSITE[single[1]])]
    if isinstance(test, ast.BoolOp):
        parts = [p for p in (_test(value, params) for value in test.values) if p is not None]
        if isinstance(test.op, ast.And):
            return parts, []
        return [], [(name, _OPPOSITE[need]) for name, need in parts]
    return [], []


def _short_circuit(test: ast.expr, params: frozenset[str], guards: list[tuple[int, int, str, str]]) -> None:
    """`if verify_exists and not self.exists(key):`: the operands after the tests of parameters alone are evaluated
    only when those tests hold (`and`), or fail (`or`): their lines are guarded as a body would be. Only leading
    operands that test a parameter and call nothing, so the lines guarded hold no call of theirs."""
    if type(test) is not ast.BoolOp:
        return
    lead: list[tuple[str, str]] = []
    for operand in test.values[:-1]:
        tested = _test(operand, params)
        if tested is None:
            break
        lead.append(tested)
    if not lead:
        return
    rest = test.values[len(lead):]
    first, last = rest[0].lineno, max(operand.end_lineno or operand.lineno for operand in rest)
    conjunction = type(test.op) is ast.And
    guards.extend((first, last, name, need if conjunction else _OPPOSITE[need]) for name, need in lead)


def constant_truth(test: ast.expr) -> bool | None:
    """What a test made of constants alone is, whatever runs it: `if False:`, `if flag and False:` (a branch
    switched off by hand) never run their body, `if True:` never runs its `else:`; None when a value decides."""
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = constant_truth(test.operand)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp):
        parts = [constant_truth(value) for value in test.values]
        decisive = isinstance(test.op, ast.Or)  # an `or` is true with one true part, an `and` false with one false
        if decisive in parts:
            return decisive
        return (not decisive) if all(part is not None for part in parts) else None
    return None


def _span(statements: list[ast.stmt]) -> tuple[int, int]:
    return statements[0].lineno, max(s.end_lineno or s.lineno for s in statements)


def _exits(statements: list[ast.stmt]) -> bool:
    return bool(statements) and isinstance(statements[-1], (ast.Return, ast.Raise))


def _or_default(statement: ast.stmt, params: frozenset[str]) -> list[str]:
    """The parameters `x = p or Default()` (`self.x = p or q or Default()`, `x = p if p is not None else Default()`)
    falls back from: the operands after them run only when each is falsy (or None)."""
    value = statement.value if isinstance(statement, (ast.Assign, ast.AnnAssign)) else None
    if isinstance(value, ast.IfExp) and isinstance(value.body, ast.Name) and value.body.id in params:
        tested = _test(value.test, params)  # `p if p is not None else Default()`, `p if p else Default()`
        return [value.body.id] if tested in ((value.body.id, NOT_NONE), (value.body.id, TRUTHY)) else []
    if not isinstance(value, ast.BoolOp) or not isinstance(value.op, ast.Or):
        return []
    leading: list[str] = []
    for operand in value.values[:-1]:
        if not isinstance(operand, ast.Name) or operand.id not in params:
            break
        leading.append(operand.id)
    return leading


def _defaults(statement: ast.If, needs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`if p is None: p = Default()` (or `if not p:`): a body that only binds the parameter builds its default."""
    if len(needs) != 1 or needs[0][1] not in (NONE, FALSY) or statement.orelse:
        return needs
    name = needs[0][0]
    binds = all(isinstance(s, (ast.Assign, ast.AnnAssign)) for s in statement.body) and any(
        isinstance(t, ast.Name) and t.id == name
        for s in statement.body for t in (s.targets if isinstance(s, ast.Assign) else [s.target]))  # type: ignore[attr-defined]  # `binds` checked every s is an Assign or AnnAssign first
    return [(name, UNSET)] if binds else needs


# The statement fields `_block` enters, per statement type (looked up once per type: this runs on every
# statement of every function). A nested function's or class's body is not the function's own.
_BODIES: dict[type, tuple[str, ...]] = {}
_BODY_FIELDS = ("body", "orelse", "finalbody", "handlers")
_If, _Assign, _AnnAssign, _BoolOp = ast.If, ast.Assign, ast.AnnAssign, ast.BoolOp
# The values `_or_default` reads (`p or Default()`, `p if p else Default()`): with an `if`, what a function's
# statements need for it to have a guard (the walk notes them: extract/values.py `Scope.branches`).
FALLBACKS = (ast.BoolOp, ast.IfExp)


def _bodies(statement_type: type) -> tuple[str, ...]:
    fields = _BODIES.get(statement_type)
    if fields is None:
        fields = _BODIES[statement_type] = () if issubclass(statement_type, _NESTED) else tuple(
            name for name in _BODY_FIELDS if name in getattr(statement_type, "_fields", ()))
    return fields


def _block(statements: list[ast.stmt], top: bool, params: frozenset[str], guards: list[tuple[int, int, str, str]]) -> None:
    for position, statement in enumerate(statements):
        if len(guards) >= _MAX_GUARDS:
            return
        statement_type = type(statement)  # the parser makes exact node types, never subclasses
        if statement_type is _Assign or statement_type is _AnnAssign:
            if type(statement.value) in FALLBACKS:  # type: ignore[attr-defined]  # an Assign or AnnAssign
                fallback = _or_default(statement, params)
                if fallback:
                    first, last = _span([statement])
                    guards.extend((first, last, name, UNSET) for name in fallback)
        elif statement_type is _If:
            test = statement.test  # type: ignore[attr-defined]  # an ast.If
            if type(test) is _BoolOp:
                _short_circuit(test, params, guards)
            body_needs, else_needs = _when(test, params)
            if body_needs or else_needs:  # else a test on other values (most): no line it guards is kept
                _needs(statement, statements, position, top, body_needs, else_needs, guards)  # type: ignore[arg-type]  # an ast.If
        fields = _BODIES.get(statement_type)
        if fields is None:
            fields = _bodies(statement_type)
        for field in fields:
            inner = getattr(statement, field)
            if inner:
                if field == "handlers":
                    for handler in inner:
                        _block(handler.body, False, params, guards)
                else:
                    _block(inner, False, params, guards)


def _needs(statement: ast.If, statements: list[ast.stmt], position: int, top: bool, body_needs: list[tuple[str, str]],
           else_needs: list[tuple[str, str]], guards: list[tuple[int, int, str, str]]) -> None:
    """The guards of an `if` on parameters (`_block`): its body's, its `else:`'s, or what follows an early exit's."""
    body_needs = _defaults(statement, body_needs)
    if statement.body:
        first, last = _span(statement.body)
        guards.extend((first, last, name, need) for name, need in body_needs)
    if statement.orelse:
        first, last = _span(statement.orelse)
        guards.extend((first, last, name, need) for name, need in else_needs)
    elif top and else_needs and _exits(statement.body) and position + 1 < len(statements):
        # `if not validate: return data`: the rest of the function needs the opposite
        first, last = _span(statements[position + 1:])
        guards.extend((first, last, name, need) for name, need in else_needs)


_Store = ast.Store


def _stores(statements: list[ast.stmt], params: frozenset[str]) -> dict[str, list[int]]:
    """The lines where the statements (nested functions and lambdas included, as `ast.walk` goes) bind each of
    `params` as a plain name: a walk by a stack of nodes and each type's node fields (`ast.walk`'s generators
    cost twice as much, and this runs for every function that has a guard)."""
    stores: dict[str, list[int]] = {}
    todo: list[object] = list(statements)
    pop, push, extend, known = todo.pop, todo.append, todo.extend, CHILD_FIELDS.get
    while todo:
        node = pop()
        node_type = type(node)
        if node_type is _Name:
            if node.id in params and type(node.ctx) is _Store:  # type: ignore[attr-defined]  # an ast.Name
                stores.setdefault(node.id, []).append(node.lineno)  # type: ignore[attr-defined]  # an ast.Name
            continue
        fields = known(node_type)
        if fields is None:
            fields = child_fields(node_type)
        for field in fields:
            child = getattr(node, field, None)
            if type(child) is list:
                extend(child)
            elif child is not None:
                push(child)
    return stores


def param_guards(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[Guard, ...]:
    # `_block` is a module function, not a closure calling itself: such a closure is a reference cycle
    # (function -> cell -> function) that outlives the call, and extraction runs with the cyclic collector
    # off and then freezes what is left (python_pass._collector_paused): 17 MiB of the bench corpus's peak.
    args = node.args
    params = frozenset([a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]) - {"self", "cls"}
    if not params:
        return ()
    guards: list[tuple[int, int, str, str]] = []
    _block(node.body, True, params, guards)  # statements only: cheap, and most functions test no parameter
    if not guards:
        return ()
    positions = {a.arg: i for i, a in enumerate((*args.posonlyargs, *args.args))}
    positions.update((a.arg, -1) for a in args.kwonlyargs)
    # A parameter the function binds again is no longer the caller's value where a later test reads it; a binding
    # inside the guarded lines themselves (`p = p or Default()`, `if p is None: p = Default()`) comes after the test.
    stores = _stores(node.body, params)
    plain = [g for g in guards if all(g[0] <= line <= g[1] for line in stores.get(g[2], ()))]
    kept: list[Guard] = []
    for g in guards:
        need = g[3] if g in plain else _unless_rebound(g, stores[g[2]], plain, positions) if g[3] in _PLAIN else None
        if need is not None:
            kept.append((g[0], g[1], g[2], need, positions[g[2]]))
    return tuple(kept)


def _unless_rebound(guard: tuple[int, int, str, str], lines: list[int], plain: list[tuple[int, int, str, str]],
                    positions: dict[str, int]) -> str | None:
    """`if frontend_user and not auth_method: auth_method, username = frontend_user` then `elif auth_method and
    username:`: the parameter is bound again only in a branch another parameter's test guards, so the later test
    reads the caller's value unless that branch ran. The guard's need, with `|param:need:position` for each such
    branch (extract/guards.py ALTERNATIVE): a call rules the line out only when it fails the need and every
    branch's. None when a binding runs unguarded, or under a parameter bound again itself."""
    alternatives: list[str] = []
    for line in sorted(lines):
        if guard[0] <= line <= guard[1]:
            continue
        cover = next((g for g in plain if g[0] <= line <= g[1] and g[2] != guard[2] and g[3] in _PLAIN), None)
        if cover is None:
            return None
        alternatives.append(f"{ALTERNATIVE}{cover[2]}:{cover[3]}:{positions[cover[2]]}")
    return guard[3] + "".join(dict.fromkeys(alternatives))
