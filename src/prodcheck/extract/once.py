"""Which statements of a function run only until state it keeps is set: set-up, not per-call work.

Two shapes (knowledge/blocking.toml [memo] says why they are set-up and which calls are registries):

- a guarded early return on state the function sets after it:
  `if logger.handlers: return logger` ... `logger.addHandler(handler)`,
  `if _client is not None: return _client` ... `_client = build()`: what follows the guard runs once;
- a lazy-initialisation block that sets the state it tests: `if _client is None: _client = build()`:
  its body runs once (an `else:` runs every time).

State is a global name (not a parameter or a plain local), an attribute of `self`/`cls` or of a global,
or an attribute of an object a process-wide registry returns (`logger = logging.getLogger(name)`). A
membership test counts only when its key does not come from the function's parameters: a cache keyed by
a request's values fills once per key, which can be every call.
"""
from __future__ import annotations

import ast
from collections.abc import Callable, Iterable

from prodcheck.knowledge import load

REGISTRIES = frozenset(load("blocking")["memo"]["registries"])
MEMO_DECORATORS = frozenset(load("blocking")["memo"]["decorators"])


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


class _State:
    """What counts as kept state inside one function."""

    def __init__(self, node: ast.FunctionDef | ast.AsyncFunctionDef, qualify: Callable[[str], str]) -> None:
        self.node = node
        args = node.args
        self.params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
        self.params.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
        self._scanned: tuple[set[str], set[str]] | None = None  # (declared global, assigned), walked on demand
        self.registry_objects: set[str] = set()
        self.bound_before: set[str] = set()  # plain locals bound by the statements before the one looked at
        self.declared = {name for statement in node.body if isinstance(statement, ast.Global) for name in statement.names}

    def after(self, statement: ast.stmt, qualify: Callable[[str], str]) -> None:
        """Note the locals a top-level statement binds (cheap: an `if` on one of them tests no kept state)."""
        targets: list[ast.expr] = []
        if isinstance(statement, ast.Assign):
            targets = statement.targets
            if isinstance(statement.value, ast.Call):
                called = _dotted(statement.value.func)
                if called is not None and qualify(called) in REGISTRIES:
                    self.registry_objects.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(statement, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
            targets = [statement.target]
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            targets = [item.optional_vars for item in statement.items if item.optional_vars is not None]
        for target in targets:
            if isinstance(target, ast.Name) and target.id not in self.declared:
                self.bound_before.add(target.id)

    def is_global(self, name: str) -> bool:
        """`name` is not a local of the function: never bound in it, or declared `global`/`nonlocal`."""
        if self._scanned is None:
            declared: set[str] = set()
            assigned: set[str] = set()
            for statement in self.node.body:
                for child in ast.walk(statement):
                    if isinstance(child, (ast.Global, ast.Nonlocal)):
                        declared.update(child.names)
                    elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                        assigned.add(child.id)
            self._scanned = declared, assigned
        declared, assigned = self._scanned
        return name in declared or name not in assigned

    def kept(self, node: ast.AST) -> str | None:
        """The dotted name of `node` when it may be kept state (a plain global name is confirmed by
        `confirmed`, which walks the body), else None."""
        dotted = _dotted(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        if head in {"self", "cls"} or head in self.registry_objects:
            return dotted if rest else None
        return None if head in self.params or head in self.bound_before else dotted

    def confirmed(self, states: set[str]) -> bool:
        return all(s.partition(".")[0] in {"self", "cls"} or s.partition(".")[0] in self.registry_objects
                   or self.is_global(s.partition(".")[0]) for s in states)

    def test(self, node: ast.expr) -> tuple[set[str], bool] | None:
        """(the states `node` tests, True when it holds once they are set) for a test on kept state only."""
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = self.test(node.operand)
            return None if inner is None else (inner[0], not inner[1])
        if isinstance(node, ast.BoolOp):
            parts = [self.test(value) for value in node.values]
            if not parts or any(p is None for p in parts) or len({p[1] for p in parts if p}) != 1:
                return None
            return set().union(*(p[0] for p in parts if p)), parts[0][1] if parts[0] else False
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            op, right = node.ops[0], node.comparators[0]
            if isinstance(op, (ast.Is, ast.IsNot)) and isinstance(right, ast.Constant) and right.value is None:
                state = self.kept(node.left)
                return None if state is None else ({state}, isinstance(op, ast.IsNot))
            if isinstance(op, (ast.In, ast.NotIn)) and not (_names(node.left) & self.params):
                state = self.kept(right)
                return None if state is None else ({state}, isinstance(op, ast.In))
            return None
        state = self.kept(node)
        return None if state is None else ({state}, True)

    def writes(self, statements: Iterable[ast.stmt], states: set[str]) -> bool:
        """Some statement sets one of `states`: assigns it (or an item or attribute of it), or calls a method
        on it (`_cache.update(...)`) or on the registry object it belongs to (`logger.addHandler(...)`)."""
        owners = {s.rpartition(".")[0] for s in states if s.partition(".")[0] in self.registry_objects}
        for statement in statements:
            for child in ast.walk(statement):
                targets: list[ast.expr] = []
                if isinstance(child, ast.Assign):
                    targets = child.targets
                elif isinstance(child, (ast.AugAssign, ast.AnnAssign)):
                    targets = [child.target]
                elif isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute):
                    receiver = _dotted(child.func.value)
                    if receiver is not None and (receiver in states or receiver in owners):
                        return True
                for target in targets:
                    while isinstance(target, ast.Subscript):
                        target = target.value
                    written = _dotted(target)
                    if written is not None and any(written == s or written.startswith(s + ".") for s in states):
                        return True
        return False


def once_statements(node: ast.FunctionDef | ast.AsyncFunctionDef,
                    qualify: Callable[[str], str]) -> tuple[int, frozenset[int]]:
    """(index in `node.body` of the first statement after a set-up guard, len(body) when there is none;
    ids of the top-level `if` statements whose body is a lazy initialisation)."""
    body = node.body
    if not any(isinstance(statement, ast.If) for statement in body):
        return len(body), frozenset()
    state = _State(node, qualify)
    blocks: set[int] = set()
    noted = 0  # the statements before this one whose bindings `state` knows
    for position, statement in enumerate(body):
        if not isinstance(statement, ast.If) or state.test(statement.test) is None:
            continue
        for earlier in body[noted:position]:
            state.after(earlier, qualify)
        noted = position
        tested = state.test(statement.test)
        if tested is None:
            continue
        states, holds_when_set = tested
        if holds_when_set:
            returns = bool(statement.body) and isinstance(statement.body[-1], ast.Return) and not statement.orelse
            if returns and all(isinstance(s, (ast.Return, ast.Expr)) for s in statement.body) \
                    and state.writes(body[position + 1:], states) and state.confirmed(states):
                return position + 1, frozenset(blocks)
        elif state.writes(statement.body, states) and state.confirmed(states):
            blocks.add(id(statement))
    return len(body), frozenset(blocks)
