"""Which statements of a function run only until state it keeps is set: set-up, not per-call work.

Two shapes (knowledge/blocking.toml [memo] says why they are set-up and which calls are registries):

- a guarded early return on state the function sets after it:
  `if logger.handlers: return logger` ... `logger.addHandler(handler)`,
  `if _client is not None: return _client` ... `_client = build()`: what follows the guard runs once;
- a lazy-initialisation block that sets the state it tests: `if _client is None: _client = build()`:
  its body runs once (an `else:` runs every time).

After a guarded early return (an accessor that returns what it keeps), the state may be set by a helper
called after the guard: a method of the same class called on `self` (`if self._instance is not None:
return self._instance` ... `return self._initialize()`, which sets `self._instance`), or a module-level
function of the same file that declares the global `global`. A lazy block must set it itself: `if not
self.country: self.fill_country()` on a database row fills each row once, every request for a new one. A
test may compare kept state to a constant (`if self.state == State.READY and self._instance is not
None: return self._instance`): it holds once the state is set to that constant.

State is a global name (not a parameter or a plain local), an attribute of `self`/`cls` or of a global,
or an attribute of an object a process-wide registry returns (`logger = logging.getLogger(name)`). A
membership test counts only when its key does not come from the function's parameters: a cache keyed by
a request's values fills once per key, which can be every call.
"""
from __future__ import annotations

import ast
from collections.abc import Callable, Iterable

from prodcheck.knowledge import listed


def memo_decorators() -> frozenset[str]:
    """knowledge/blocking.toml [memo] decorators (`functools.cache`, ...), read when first asked."""
    return listed("blocking", "memo", "decorators")


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


Definition = ast.FunctionDef | ast.AsyncFunctionDef


class Neighbours:
    """The functions a function's own calls may name: the methods of its class (called on `self`/`cls`)
    and the module-level functions of its file (called by plain name). Listed when first asked."""

    def __init__(self, owner: ast.ClassDef | None, module: ast.Module | None) -> None:
        self._bodies = (owner, module)
        self._listed: tuple[dict[str, Definition], dict[str, Definition]] | None = None

    def callee(self, call: ast.Call) -> Definition | None:
        if self._listed is None:
            self._listed = tuple(  # type: ignore[assignment]  # two bodies in, so two mappings out
                {} if node is None else {d.name: d for d in node.body if isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef))}
                for node in self._bodies)
        assert self._listed is not None
        methods, functions = self._listed
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in {"self", "cls"}:
            return methods.get(func.attr)
        if isinstance(func, ast.Name):
            return functions.get(func.id)
        return None


_NO_BLOCKS: frozenset[int] = frozenset()
_HELPER_DEPTH = 3  # helpers of helpers followed to find where kept state is set


class _State:
    """What counts as kept state inside one function."""

    def __init__(self, node: ast.FunctionDef | ast.AsyncFunctionDef, qualify: Callable[[str], str],
                 neighbours: Neighbours) -> None:
        self.node = node
        self.neighbours = neighbours
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
                if called is not None and qualify(called) in listed("blocking", "memo", "registries"):
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
        return all(_head(s) in {"self", "cls"} or _head(s) in self.registry_objects
                   or self.is_global(_head(s)) for s in states)

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
            constant = _constant(right)
            if isinstance(op, (ast.Eq, ast.NotEq)) and constant is not None:
                # `self.state == State.READY`: holds once the state is set to that constant (`==` in the state:
                # only an assignment of that constant sets it)
                state = self.kept(node.left)
                return None if state is None else ({f"{state}=={constant}"}, isinstance(op, ast.Eq))
            return None
        state = self.kept(node)
        return None if state is None else ({state}, True)

    def writes(self, statements: Iterable[ast.stmt], states: set[str], depth: int = 0) -> bool:
        """Some statement sets one of `states`: assigns it (or an item or attribute of it), or calls a method
        on it (`_cache.update(...)`) or on the registry object it belongs to (`logger.addHandler(...)`), or
        calls a helper that does (a method on `self` for the instance's state, a module function that
        declares the global `global`)."""
        owners = {s.partition("==")[0].rpartition(".")[0] for s in states if _head(s) in self.registry_objects}
        for statement in statements:
            for child in ast.walk(statement):
                targets: list[ast.expr] = []
                if isinstance(child, ast.Call) and depth < _HELPER_DEPTH and self._helper_writes(child, states, depth):
                    return True
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
                    if written is not None and any(_sets(written, s, child) for s in states):
                        return True
        return False

    def _helper_writes(self, call: ast.Call, states: set[str], depth: int) -> bool:
        callee = self.neighbours.callee(call)
        if callee is None or callee is self.node:
            return False
        if isinstance(call.func, ast.Attribute):  # `self.m()`: the same instance, so the same `self.x` states
            kept = {s for s in states if _head(s) in {"self", "cls"}}
        else:  # `build()`: a module global it declares `global`
            declared = {name for child in ast.walk(callee) if isinstance(child, ast.Global) for name in child.names}
            kept = {s for s in states if _head(s) in declared}
        return bool(kept) and self.writes(callee.body, kept, depth + 1)


def _head(state: str) -> str:
    """The name a state starts from: `self` of `self.state==State.READY`, `_client` of `_client`."""
    return state.partition("==")[0].partition(".")[0]


def _constant(node: ast.expr | None) -> str | None:
    """The text of a literal other than None, or of a name in capitals (`READY`, `State.READY`), else None."""
    if isinstance(node, ast.Constant):
        return None if node.value is None else repr(node.value)
    dotted = None if node is None else _dotted(node)
    return dotted if dotted is not None and dotted.rpartition(".")[2].isupper() else None


def _sets(written: str, state: str, assignment: ast.AST) -> bool:
    """Writing `written` in `assignment` sets `state` (`self.state==State.READY`: only assigning that constant)."""
    name, equals, constant = state.partition("==")
    if equals:
        value = assignment.value if isinstance(assignment, (ast.Assign, ast.AnnAssign)) else None
        return written == name and _constant(value) == constant
    return written == state or written.startswith(state + ".")


def once_statements(node: ast.FunctionDef | ast.AsyncFunctionDef, qualify: Callable[[str], str],
                    owner: ast.ClassDef | None = None, module: ast.Module | None = None) -> tuple[int, frozenset[int]]:
    """(index in `node.body` of the first statement after a set-up guard, len(body) when there is none;
    ids of the top-level `if` statements whose body is a lazy initialisation). `owner`: the class of a method,
    `module` the file's tree, where the helpers it calls are looked up (`Neighbours`)."""
    body = node.body
    if ast.If not in map(type, body):  # most functions (the parser makes exact node types, never subclasses)
        return len(body), _NO_BLOCKS
    state = _State(node, qualify, Neighbours(owner, module))
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
        elif state.writes(statement.body, states, depth=_HELPER_DEPTH) and state.confirmed(states):
            # a lazy block's write must be its own: `if not self.country: self.fill_country()` on a row
            # loaded per request fills each row once, which is every request for a new row
            blocks.add(id(statement))
    return len(body), frozenset(blocks)
