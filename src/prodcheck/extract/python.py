"""One `ast` pass over a Python file, reduced to `PyFacts`.

`ast` rather than libcst for analysis: it is an order of magnitude faster on large trees and its
positions are exact. The facts are small and picklable, so they travel through a process pool and
into the content-hash cache. Nothing here imports or executes the scanned code.
"""
from __future__ import annotations

import ast
import re
import sys
from itertools import chain
from dataclasses import dataclass, field
from typing import Any

from prodcheck.knowledge import load
from prodcheck.limits import PYTHON_MAX_FACTS, OverBudget, too_large
from prodcheck.model.facts import (AWAITED, COLUMN_LIMIT, COLUMN_SHIFT, END_LINE_LIMIT, END_LINE_SHIFT, IN_MAIN,
                                   LINE_LIMIT, LINE_SHIFT, OFFLOADED, ONCE, Assign, Call, ClassDef, Function, Param,
                                   PyFacts, StringLiteral, VALUE_SHAPES, Value, pack_position)
from prodcheck.extract.guards import constant_truth, param_guards
from prodcheck.extract.once import Neighbours, once_statements
from prodcheck.extract.types import (UNPLACED_POSITIONS, has_call, shared, shared_def_span, shared_imports,
                                     shared_param, shared_params)
from prodcheck.model.finding import Span

# Calls whose callable argument runs in a worker thread, not on the event loop.
OFFLOADERS = frozenset(load("blocking")["offload"]["functions"])
_OFFLOAD_METHODS = frozenset(load("blocking")["offload"]["methods"])
# Calls that call a lambda they are given on the calling thread or on the event loop (knowledge/blocking.toml [eager]).
_EAGER_FUNCTIONS = frozenset(load("blocking")["eager"]["functions"])
_EAGER_METHODS = frozenset(load("blocking")["eager"]["methods"])
_PRAGMA = re.compile(rb"#\s*prodcheck\s*:")
_INTERESTING_STRING = re.compile(r"://[^/\s]*@|^[a-z][a-z0-9+.-]*://")


class _Positions:
    """ast columns are UTF-8 byte offsets; the output wants 1-based character columns."""

    def __init__(self, source: bytes) -> None:
        # One int object per line number for the whole file: Python shares only those up to 256, and
        # every span holds two. (Only an identity: a line past the list keeps the parser's int.) Made at
        # the first span past line 256: most files record few spans (URL literals, classes), or none.
        self._ints: list[int] = []
        self._count = source.count(b"\n") + 2
        # Lines holding a non-ASCII byte, found once: most files have none, and checking the line
        # on every node costs as much as the line is long (generated data files have huge ones).
        # Only such a file needs its lines (a bytes object per line: not made for the others).
        self._lines: list[bytes] = [] if source.isascii() else source.splitlines()
        self._wide: frozenset[int] = frozenset(
            number for number, raw in enumerate(self._lines, 1) if not raw.isascii())

    def column(self, line: int, byte_offset: int) -> int:
        if line in self._wide:
            return len(self._lines[line - 1][:byte_offset].decode("utf-8", "replace")) + 1
        return byte_offset + 1

    def span(self, node: ast.AST) -> Span:
        line = node.lineno  # type: ignore[attr-defined]  # positioned nodes only (expr, stmt, arg)
        end_line = node.end_lineno or line  # type: ignore[attr-defined]  # positioned nodes only (expr, stmt, arg)
        col, end_col = node.col_offset, node.end_col_offset or 0  # type: ignore[attr-defined]  # positioned nodes only (expr, stmt, arg)
        if end_line > 256:  # up to 256 Python shares the int objects itself
            ints = self._ints
            if not ints:
                ints = self._ints = list(range(self._count))
            if line > 256 and line < len(ints):
                line = ints[line]
            if end_line < len(ints):
                end_line = ints[end_line]
        wide = self._wide
        if wide:
            if line in wide:
                col = len(self._lines[line - 1][:col].decode("utf-8", "replace"))
            if end_line in wide:
                end_col = len(self._lines[end_line - 1][:end_col].decode("utf-8", "replace"))
        if end_line == line and end_col < col:
            end_col = col
        return _new_tuple(Span, (line, col + 1, end_line, end_col + 1))


    def at(self, node: ast.AST) -> int | Span:
        """The position of a Value (`Value.at`): `span`'s four numbers packed in one int."""
        line = node.lineno  # type: ignore[attr-defined]  # positioned nodes only (expr, stmt, arg)
        end_line = node.end_lineno or line  # type: ignore[attr-defined]  # positioned nodes only (expr, stmt, arg)
        col, end_col = node.col_offset, node.end_col_offset or 0  # type: ignore[attr-defined]  # positioned nodes only (expr, stmt, arg)
        wide = self._wide
        if wide:
            if line in wide:
                col = len(self._lines[line - 1][:col].decode("utf-8", "replace"))
            if end_line in wide:
                end_col = len(self._lines[end_line - 1][:end_col].decode("utf-8", "replace"))
        if end_line == line and end_col < col:
            end_col = col
        lines = end_line - line
        # `pack_position` inlined, its limits and shifts written as numbers (asserted below): this runs for
        # every Value, and the names were a global load each. Joined with `|`, never `+`: an int sum is
        # allocated one digit longer than its result needs, and a million positions kept that digit
        # (17 MiB of a cold scan's peak).
        if line < 65536 and 0 <= lines < 4096 and col < 65535 and end_col < 65535:
            return line << 44 | (col + 1) << 28 | lines << 16 | end_col + 1
        return pack_position(line, col + 1, end_line, end_col + 1)  # too large to pack: a Span


assert (LINE_LIMIT, END_LINE_LIMIT, COLUMN_LIMIT) == (65536, 4096, 65536)
assert (LINE_SHIFT, COLUMN_SHIFT, END_LINE_SHIFT) == (44, 28, 16)


@dataclass
class _Scope:
    qualname: str
    is_function: bool
    locals: list[tuple[str, Value, bool]] = field(default_factory=list)
    local_names: set[str] = field(default_factory=set)  # the names in `locals`, for membership
    returns: list[Value] = field(default_factory=list)
    is_generator: bool = False
    declared: list[str] = field(default_factory=list)  # `global` / `nonlocal` names
    local_types: list[tuple[str, Value]] = field(default_factory=list)  # `name: Annotation` in a function


# Values are built as plain tuples in `Value._fields` order (kind, at, text, literal, items, flat_keywords,
# has_star): `Value(...)` is a Python function, a frame per value. Each is built in its own shape
# (model/facts.py: the fields up to the last one that is not the default), `_V2`..`_V6` or `Value`.
_new_tuple = tuple.__new__
assert Value._fields == ("kind", "at", "text", "literal", "items", "flat_keywords", "has_star")
_V2, _V3, _V4, _V5, _V6 = VALUE_SHAPES[2:7]
# The dotted names of values (`sqlalchemy.orm.Session`, `self.db.execute`), string literals
# (`"CASCADE"`, `"utf-8"`), imported names and assignment targets repeat across a project's files:
# one string object each, not one per occurrence (16 MiB of duplicates on the bench corpus).
_intern = sys.intern
_chain = chain.from_iterable


_DISPATCH_NAMES: dict[type, tuple[tuple[type, str], ...]] = {}


def _dispatch_names(cls: type) -> tuple[tuple[type, str], ...]:
    """(node type, visit method name) pairs of a visitor class, computed once per class."""
    names = _DISPATCH_NAMES.get(cls)
    if names is None:
        names = _DISPATCH_NAMES[cls] = tuple(
            (getattr(ast, name[6:]), name) for name in dir(cls) if name.startswith("visit_") and hasattr(ast, name[6:]))
    return names


_Name, _Attribute, _Constant, _CallNode, _Starred = ast.Name, ast.Attribute, ast.Constant, ast.Call, ast.Starred
_Subscript = ast.Subscript
_BinOp, _Div = ast.BinOp, ast.Div
# Fields that never hold a node: the grammar's identifiers and numbers (`Name.id`, `alias.name`,
# `ImportFrom.level`...), a Constant's value, and what no rule reads (`ctx`, type comments).
_SKIPPED_FIELDS = frozenset({"ctx", "type_comment", "kind", "id", "attr", "arg", "name", "module", "level", "conversion",
                             "is_async", "simple", "tag", "rest"})
# What the walk does not enter: leaves with nothing to extract below them, and the plain values a field
# or a list can hold instead of a node (identifiers in `Global.names`, an absent optional node).
_LEAVES = (ast.Name, ast.Load, ast.Store, ast.Del, ast.Pass, ast.Break, ast.Continue)
_NOT_NODES = (str, int, float, complex, bool, bytes, type(None), type(...))
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}  # a node type's fields that may hold nodes
_LOCAL_VALUE_TYPES = frozenset({ast.Call, ast.Name, ast.Attribute, ast.Constant, ast.Await, ast.Subscript, ast.Lambda,
                                ast.IfExp, ast.BoolOp})


# What a function's tuple assignment or `for` loop may bind a followable value from (a project function's
# result, a typed container): other shapes are not recorded as locals.
_UNPACKED_LOCAL = frozenset({ast.Call, ast.Await, ast.Name, ast.Attribute, ast.Tuple})
_ITERATED_LOCAL = frozenset({ast.Call, ast.Await, ast.Name, ast.Attribute, ast.Tuple, ast.List})


def _joined(node: ast.expr) -> bool:
    """`root / name`: a path joined to a name (pathlib's `/`), kept so the path it holds is known."""
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)


def _built_dict(node: ast.expr) -> bool:
    """`clients = {"a": boto3.client("s3")}`: a dict literal whose entries are built by calls (a registry of
    clients or services); other dict literals (payloads, options) are not worth a Value."""
    return type(node) is ast.Dict and any(type(v) is _CallNode for v in node.values)


def _function_table(target: ast.expr, node: ast.expr) -> bool:
    """`self._handlers = {"save": self.on_save, "load": load}`: an attribute bound to a dict literal of names only,
    a dispatch table whose entries a method calls (`await self._handlers[kind](data)`)."""
    return type(target) is ast.Attribute and type(node) is ast.Dict and bool(node.values) \
        and all(type(v) is _Name or type(v) is _Attribute for v in node.values)


def _yields(statements: list[ast.stmt]) -> bool:
    """A `yield` among the statements, outside the functions and classes they define."""
    todo: list[ast.AST] = list(statements)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(node))
    return False


def _child_fields(node_type: type) -> tuple[str, ...]:
    if node_type is _Constant:
        return ()
    return tuple(n for n in getattr(node_type, "_fields", ()) if n not in _SKIPPED_FIELDS)


class _Extractor(ast.NodeVisitor):
    """Visits each node once; dispatch by type through a dict (NodeVisitor's getattr per node is slow).
    The dict maps a node type to its visit method, a leaf or a plain value to None (not entered), and
    any other type is walked (`generic_visit`): one lookup per child."""

    def visit(self, node: ast.AST) -> None:
        method = self._dispatch.get(type(node), self.generic_visit)
        if method is not None:
            method(node)

    def generic_visit(self, node: ast.AST) -> None:
        # `visit` inlined: this loop runs for every node of every file.
        dispatch, generic = self._dispatch, self.generic_visit
        node_type = type(node)
        names = _CHILD_FIELDS.get(node_type)
        if names is None:
            names = _CHILD_FIELDS[node_type] = _child_fields(node_type)
        for name in names:
            child = getattr(node, name, None)
            if type(child) is list:
                for item in child:
                    method = dispatch.get(type(item), generic)
                    if method is not None:
                        method(item)
            else:
                method = dispatch.get(type(child), generic)
                if method is not None:
                    method(child)

    def __init__(self, module: str, path: str, source: bytes) -> None:
        self._dispatch: dict[type, Any] = dict.fromkeys((*_LEAVES, *_NOT_NODES))
        self._dispatch.update((node_type, getattr(self, name)) for node_type, name in _dispatch_names(type(self)))
        self.module = module
        self.package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
        self.path = path
        self.pos = _Positions(source)
        self.imports: dict[str, str] = {}
        self.imported_modules: list[str] = []
        self.calls: list[Call] = []
        self.functions: list[Function] = []
        self.assigns: list[Assign] = []
        self.annotations: list[tuple[str, Value]] = []  # module globals' declared types
        self.classes: list[ClassDef] = []
        self.strings: list[StringLiteral] = []
        self.main_block: Span | None = None
        self.module_names: set[str] = set()
        self.global_names: set[str] = set()  # names a module-level function or method declares `global`
        self.scopes: list[_Scope] = [_Scope(module, False)]
        self.class_stack: list[str] = []
        self.class_nodes: list[ast.ClassDef] = []  # the classes being visited, innermost last
        self.tree: ast.Module | None = None
        self.in_main = False
        self.await_depth: set[int] = set()
        self.offload_depth = 0
        self.deferred_depth = 0
        self.once_depth = 0
        self._values: dict[int, Value | None] = {}
        self.local_assigns = 0  # assignments to a function's plain names: `locals` only, no Assign (a budget's count)
        self._eager_lambdas: set[int] = set()  # lambdas given to a call of [eager]: their calls run here

    # ------------------------------------------------------------ names and values

    def qualify(self, dotted: str) -> str:
        head, _, rest = dotted.partition(".")
        scope = self.scopes[-1]
        if scope.is_function and head in scope.local_names:
            return dotted
        if head in self.imports:
            base = self.imports[head]
            return f"{base}.{rest}" if rest else base
        if head in self.module_names and not scope.is_function:
            return f"{self.module}.{dotted}"
        if head in self.module_names:
            return f"{self.module}.{dotted}"
        if head.endswith(("()", "[]")):  # `Path(p).write_text`, `CLIENTS[k].get`: qualified like any other name
            called = head.rstrip("()[]")
            qualified = self.qualify(called)
            if qualified != called:
                return f"{qualified}{head[len(called):]}.{rest}" if rest else f"{qualified}{head[len(called):]}"
        return dotted

    def dotted(self, node: ast.AST) -> str | None:
        current: Any = node  # dispatched on exact node types (the parser makes no subclasses)
        current_type = type(current)
        if current_type is _Name:
            return current.id
        parts: list[str] = []
        while current_type is _Attribute:
            parts.append(current.attr)
            current = current.value
            current_type = type(current)
        if current_type is _Name:
            parts.append(current.id)
            return ".".join(reversed(parts))
        if current_type is _CallNode:
            inner = self.dotted(current.func)
            if inner is not None:
                parts.append(inner + "()")
                return ".".join(reversed(parts))
        elif current_type is _BinOp and type(current.op) is _Div and parts:
            # `(root / name).write_text(...)`: `a / b` is `a.joinpath(b)` for a path
            # (https://docs.python.org/3/library/pathlib.html#operators), named so, after the operand that is a name
            inner = self.dotted(current.left) or self.dotted(current.right)
            if inner is not None:
                parts.append(inner + ".joinpath()")
                return ".".join(reversed(parts))
        return None

    def _element_method(self, func: ast.AST) -> str | None:
        """`CLIENTS[kind].upload` as `CLIENTS[].upload`: a method called on an element of a container (the key
        is left out: what the entries hold is what a reader of the name needs); `HANDLERS[kind]` as `HANDLERS[]`,
        an element called."""
        parts: list[str] = []
        current: Any = func
        while type(current) is _Attribute:
            parts.append(current.attr)
            current = current.value
        if type(current) is not ast.Subscript:
            return None  # (no attribute at all: `HANDLERS[kind](data)`, an entry of a dispatch table called)
        inner = self.dotted(current.value)
        if inner is None or "()" in inner:
            return None  # `s3.get_object(...)["Body"].read()` is one call of the client's, named by its call
        parts.append(inner + "[]")
        return ".".join(reversed(parts))

    def value(self, node: ast.AST | None, depth: int = 0) -> Value | None:
        """The Value of an expression, computed once per node (nested calls are visited again)."""
        if node is None:
            return None
        node_type = type(node)
        if node_type is _Constant or node_type is _Name:
            return self._compute_value(node, depth)  # leaves: built again if asked again, never cached
        key = id(node)
        cached = self._values.get(key)
        if cached is not None:
            return cached
        result = self._compute_value(node, depth)
        self._values[key] = result
        return result

    def _compute_value(self, node: ast.AST, depth: int) -> Value | None:
        span = self.pos.at(node)
        if depth > 6:
            return _new_tuple(_V2, ("other", span))
        node_type = type(node)  # the parser makes exact node types, never subclasses
        if node_type is _Constant:
            literal = node.value  # type: ignore[attr-defined]  # an ast.Constant
            literal_type = type(literal)
            if literal_type is str:
                return _new_tuple(_V4, ("const", span, "", _intern(literal)))
            if literal_type is int:
                return _new_tuple(_V4, ("const", span, "", literal))
            if literal_type is bytes:
                literal = _intern(literal.decode("latin-1"))
            if not isinstance(literal, (str, int, float, bool, type(None))):
                return _new_tuple(_V2, ("other", span))
            if literal is None:
                return _new_tuple(_V2, ("const", span))
            return _new_tuple(_V4, ("const", span, "", literal))
        if node_type is _Name or node_type is _Attribute:
            dotted = self.dotted(node)
            if dotted is not None:
                text = _intern(self.qualify(dotted))
                return _new_tuple(_V3, ("name", span, text)) if text else _new_tuple(_V2, ("name", span))
            return _new_tuple(_V2, ("other", span))
        if node_type is _CallNode:
            dotted = self.dotted(node.func) or self._element_method(node.func)  # type: ignore[attr-defined]  # an ast.Call
            text = _intern(self.qualify(dotted)) if dotted else ""
            # `value` of a node is never None: no filtering of the parts is needed.
            value, inner = self.value, depth + 1
            args, keyword_nodes = node.args, node.keywords  # type: ignore[attr-defined]  # an ast.Call
            items: tuple[Value, ...] = ()
            has_star = False
            if args:
                items = tuple([value(a, inner) for a in args if type(a) is not _Starred])  # type: ignore[misc]  # never None
                has_star = len(items) != len(args)
            keywords: tuple[str | Value, ...] = ()  # flat: name, value, name, value (`Value.flat_keywords`)
            if keyword_nodes:
                flat: list[str | Value] = []
                for kw in keyword_nodes:
                    if kw.arg is None:  # `**options`
                        has_star = True
                    else:
                        flat += (kw.arg, value(kw.value, inner))  # type: ignore[arg-type]  # never None
                keywords = tuple(flat)
            if has_star:
                return _new_tuple(Value, ("call", span, text, None, items, keywords, True))
            if keywords:
                return _new_tuple(_V6, ("call", span, text, None, items, keywords))
            if items:
                return _new_tuple(_V5, ("call", span, text, None, items))
            return _new_tuple(_V3, ("call", span, text)) if text else _new_tuple(_V2, ("call", span))
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items = tuple([self.value(e, depth + 1) for e in node.elts])  # type: ignore[misc]  # never None
            return _new_tuple(_V5, ("seq", span, "", None, items)) if items else _new_tuple(_V2, ("seq", span))
        if isinstance(node, ast.Dict):  # keywords: the str-keyed entries; items: the values of every other key
            keyed: list[str | Value] = []  # flat: key, value, key, value (`Value.flat_keywords`)
            others: list[Value] = []
            for k, val in zip(node.keys, node.values, strict=True):
                if k is None:
                    continue  # `**spread`
                entry = self.value(val, depth + 1)
                if entry is None:
                    continue
                if type(k) is _Constant and type(k.value) is str:
                    keyed += (k.value, entry)
                else:  # `{Kind.avatar: Bucket("a")}`: an Enum member, a constant, any hashable key
                    others.append(entry)
            if keyed:
                return _new_tuple(_V6, ("dict", span, "", None, tuple(others), tuple(keyed)))
            return _new_tuple(_V5, ("dict", span, "", None, tuple(others))) if others else _new_tuple(_V2, ("dict", span))
        if isinstance(node, ast.Subscript):
            dotted = self.dotted(node.value)
            inner = node.slice
            elts = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            items = tuple(v for v in (self.value(e, depth + 1) for e in elts) if v)
            text = _intern(self.qualify(dotted)) if dotted else ""
            if items:
                return _new_tuple(_V5, ("subscript", span, text, None, items))
            return _new_tuple(_V3, ("subscript", span, text)) if text else _new_tuple(_V2, ("subscript", span))
        if isinstance(node, ast.BinOp):
            left, right = self.value(node.left, depth + 1), self.value(node.right, depth + 1)
            items = tuple(v for v in (left, right) if v)
            if items:
                return _new_tuple(_V5, ("binop", span, type(node.op).__name__, None, items))
            return _new_tuple(_V3, ("binop", span, type(node.op).__name__))
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                part.value if isinstance(part, ast.Constant) and isinstance(part.value, str) else "{}"
                for part in node.values
            )
            return _new_tuple(_V3, ("fstring", span, text)) if text else _new_tuple(_V2, ("fstring", span))
        if isinstance(node, ast.Await):
            return self.value(node.value, depth + 1)
        if isinstance(node, ast.Lambda):
            return _new_tuple(_V2, ("lambda", span))  # its body's calls are recorded (deferred) within this span
        if isinstance(node, ast.BoolOp):
            items = tuple(v for v in (self.value(e, depth + 1) for e in node.values) if v)
            if items:
                return _new_tuple(_V5, ("boolop", span, type(node.op).__name__, None, items))
            return _new_tuple(_V3, ("boolop", span, type(node.op).__name__))
        if isinstance(node, ast.IfExp):  # items: test, body, orelse
            parts = (self.value(node.test, depth + 1), self.value(node.body, depth + 1),
                     self.value(node.orelse, depth + 1))
            if all(parts):
                return _new_tuple(_V5, ("ifexp", span, "", None, parts))
        if isinstance(node, ast.Compare) and len(node.ops) == 1:  # text: the operator (Eq, NotEq, In, ...)
            left, right = self.value(node.left, depth + 1), self.value(node.comparators[0], depth + 1)
            if left and right:
                return _new_tuple(_V5, ("compare", span, type(node.ops[0]).__name__, None, (left, right)))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            inner_value = node.operand.value
            if isinstance(inner_value, (int, float)) and not isinstance(inner_value, bool):
                return _new_tuple(_V4, ("const", span, "", -inner_value))
        return _new_tuple(_V2, ("other", span))

    # ------------------------------------------------------------ imports

    def _import_base(self, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        parts = self.package.split(".") if self.package else []
        if node.level > 1:
            parts = parts[: len(parts) - (node.level - 1)] if len(parts) >= node.level - 1 else []
        base = ".".join(parts)
        if node.module:
            base = f"{base}.{node.module}" if base else node.module
        return base

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            name = _intern(alias.name)
            self.imported_modules.append(name)
            if alias.asname:
                self.imports[alias.asname] = name
            else:
                head = _intern(name.partition(".")[0])
                self.imports[head] = head

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = _intern(self._import_base(node))
        if base:
            self.imported_modules.append(base)
        for alias in node.names:
            if alias.name == "*":
                if base:  # `from .base_controllers import *`: "*" + the module, for names found nowhere else
                    self.imports[f"*{base}"] = base
                continue
            full = _intern(f"{base}.{alias.name}" if base else alias.name)
            self.imports[alias.asname or alias.name] = full
            self.imported_modules.append(full)

    # ------------------------------------------------------------ structure

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        is_main = (
            isinstance(test, ast.Compare)
            and isinstance(test.left, ast.Name)
            and test.left.id == "__name__"
            and len(test.comparators) == 1
            and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__"
        )
        if is_main and not self.scopes[-1].is_function:
            self.main_block = self.pos.span(node)
            previous, self.in_main = self.in_main, True
            self.generic_visit(node)
            self.in_main = previous
            return
        scope = self.scopes[-1]
        truth = constant_truth(test) if scope.is_function else None
        if truth is not None:  # `if debug and False:` inside a function: the branch it switches off never runs
            self.visit(test)
            for statement in node.body if truth else node.orelse:
                self.visit(statement)
            # a `yield` in the branch still makes the function a generator, as the compiler reads it
            scope.is_generator = scope.is_generator or _yields(node.orelse if truth else node.body)
            return
        if not scope.is_function or not node.orelse:
            self.generic_visit(node)
            return
        self.visit(node.test)
        start = len(scope.locals)
        for statement in node.body:
            self.visit(statement)
        middle = len(scope.locals)
        for statement in node.orelse:
            self.visit(statement)
        if middle > start and len(scope.locals) > middle:
            self._either(scope, node, start, middle)

    def _either(self, scope: _Scope, node: ast.If, start: int, middle: int) -> None:
        """A local that both branches of an if/else assign holds what either gave it after the statement:
        one `ifexp` local (items: test, body, orelse), placed where the statement ends (a use inside a branch
        still sees its own branch's assignment)."""
        body = {name: value for name, value, _ in scope.locals[start:middle]}
        orelse = {name: value for name, value, _ in scope.locals[middle:]}
        end_line, end_col = node.end_lineno or node.lineno, node.end_col_offset or 0
        at = pack_position(end_line, end_col, end_line, end_col)
        test = self.value(node.test) or _new_tuple(_V2, ("other", at))
        for name, value in body.items():
            other = orelse.get(name)
            if other is not None and other is not value:
                scope.locals.append((name, _new_tuple(_V5, ("ifexp", at, "", None, (test, value, other))), False))

    def _param(self, name: str, annotation: ast.expr | None, default: ast.expr | None) -> tuple[Param, bool]:
        """A parameter without a default and with no annotation (`self`, `cls`, `request`) or one without a call
        (`db: Session`) is one shared Param per name and annotation (extract/types.py): a Param is never changed
        once built, and every method has a `self`. And whether it is that shared Param."""
        declared, one = self._annotation(annotation)
        if default is None and one:
            return shared_param(name, declared), True  # `db: Session`: one Param for the run (extract/types.py)
        return Param(name, declared, self.value(default)), False

    def annotation(self, node: ast.expr | None) -> Value | None:
        return self._annotation(node)[0]

    def _annotation(self, node: ast.expr | None) -> tuple[Value | None, bool]:
        """A type annotation's Value: without positions and one object per distinct annotation, unless it
        holds a call (extract/types.py); and whether it is that one object (absent: True)."""
        if node is None:
            return None, True
        if has_call(node):
            return self.value(node), False
        positions, self.pos = self.pos, UNPLACED_POSITIONS  # type: ignore[assignment]  # `at` only
        try:
            value = self.value(node)
        finally:
            self.pos = positions
        return shared(value) if value is not None else (None, False)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        built = [
            self._param(a.arg, a.annotation, d) for a, d in zip(positional, defaults, strict=True)
        ] + [
            self._param(a.arg, a.annotation, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
        ]
        params = shared_params(tuple(param for param, _ in built), all(one for _, one in built))
        for default in (*args.defaults, *(d for d in args.kw_defaults if d is not None)):
            self.visit(default)
        owner = self.scopes[-1].qualname
        qualname = f"{owner}.{node.name}"
        decorators = tuple(v for v in (self.value(d) for d in node.decorator_list) if v)
        scope = _Scope(qualname, True)
        scope.local_names.update(p.name for p in params)  # parameters are local names, not `locals` facts
        self.scopes.append(scope)
        outer_once, self.once_depth = self.once_depth, 0
        in_class = bool(self.class_stack) and self.scopes[-2].qualname == self.class_stack[-1]  # a method
        neighbours = Neighbours(self.class_nodes[-1] if in_class else None, self.tree)
        once_from, lazy_blocks = once_statements(node, self.qualify, neighbours)
        for position, statement in enumerate(node.body):
            if position == once_from:
                self.once_depth += 1
            if id(statement) in lazy_blocks and isinstance(statement, ast.If):
                self.visit(statement.test)
                self.once_depth += 1
                for inner in statement.body:
                    self.visit(inner)
                self.once_depth -= 1
                for inner in statement.orelse:
                    self.visit(inner)
            else:
                self.visit(statement)
        self.once_depth = outer_once
        self.scopes.pop()
        self.functions.append(
            Function(
                qualname,  # qualname, is_async, span, decorators, params, is_generator, returns, flat_locals,
                isinstance(node, ast.AsyncFunctionDef),  # class_name, in_main, annotation: Function's fields
                shared_def_span(node.lineno, self.pos.column(node.lineno, node.col_offset)),
                decorators,
                params,
                scope.is_generator,
                tuple(scope.returns),
                tuple(_chain(scope.locals)),  # `Function.flat_locals`: the triples laid flat
                self.class_stack[-1] if self.class_stack else "",
                self.in_main,
                self.annotation(node.returns),
                tuple(scope.declared),
                param_guards(node),
                tuple(scope.local_types),
            )
        )

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_Global(self, node: ast.Global | ast.Nonlocal) -> None:
        scope = self.scopes[-1]
        if scope.is_function:
            scope.declared.extend(name for name in node.names if name not in scope.declared)

    visit_Nonlocal = visit_Global

    def visit_Lambda(self, node: ast.Lambda) -> None:
        if id(node) in self._eager_lambdas:  # `sorted(rows, key=lambda r: ...)`: called right here
            self.generic_visit(node)
            return
        self.deferred_depth += 1
        self.generic_visit(node)
        self.deferred_depth -= 1

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        bases = tuple(_intern(self.qualify(d)) for d in (self.dotted(b.value if isinstance(b, ast.Subscript) else b)
                                                for b in node.bases) if d)
        qualname = f"{self.scopes[-1].qualname}.{node.name}"
        # a method of an object called registers a class-based endpoint (`@router.websocket("/ws")`); `@dataclass(...)`
        # and the like, most class decorators, are kept out of the facts
        decorators = tuple(v for v in (self.value(d) for d in node.decorator_list
                                       if type(d) is ast.Call and type(d.func) is ast.Attribute) if v is not None)
        self.classes.append(ClassDef(qualname, bases, self.pos.span(node), decorators))
        self.scopes.append(_Scope(qualname, False))
        self.class_stack.append(qualname)
        self.class_nodes.append(node)
        for statement in node.body:
            self.visit(statement)
        self.class_nodes.pop()
        self.class_stack.pop()
        self.scopes.pop()

    # ------------------------------------------------------------ statements

    def _record_assign(self, target: ast.expr, value_node: ast.expr | None, node: ast.stmt) -> None:
        if value_node is not None and self.scopes[-1].is_function and type(value_node) not in _LOCAL_VALUE_TYPES \
                and not _built_dict(value_node) and not _joined(value_node) and not _function_table(target, value_node):
            # Locals matter for what they are bound to (a session, a client); skip building the rest.
            value: Value | None = _new_tuple(_V2, ("other", self.pos.at(value_node)))
        else:
            value = self.value(value_node)
        if value is None:
            return
        scope = self.scopes[-1]
        if isinstance(target, ast.Name):
            if scope.is_function:
                # A function's own name: its binding is one of the function's `locals`, and no Assign
                # (a hundred thousand on the bench corpus that no reader of `assigns` took: ~10 MiB).
                scope.locals.append((target.id, value, False))
                scope.local_names.add(target.id)
                self.local_assigns += 1
                if target.id in self.global_names and target.id in scope.declared:
                    # `global store` then `store = await make_store()` in a start-up function: the module's
                    # global, as every other function of the module reads it
                    self.assigns.append(Assign(_intern(f"{self.module}.{target.id}"), value, self.pos.at(node),
                                               scope.qualname, self.in_main))
                return
            name = _intern(f"{scope.qualname}.{target.id}")
            self.assigns.append(Assign(name, value, self.pos.at(node), scope.qualname, self.in_main))
        elif isinstance(target, ast.Attribute):
            dotted = self.dotted(target)
            if dotted:
                self.assigns.append(
                    Assign(_intern(self.qualify(dotted)), value, self.pos.at(node), scope.qualname, self.in_main)
                )
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) \
                and target.value.id in self.module_names and target.value.id not in scope.local_names:
            # `worker_map[name] = worker` in a start-up function: an entry of a module global's container,
            # recorded as `module.worker_map[]`
            self.assigns.append(Assign(_intern(f"{self.module}.{target.value.id}[]"), value, self.pos.at(node),
                                       scope.qualname, self.in_main))

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, (ast.Tuple, ast.List)):
                self._record_unpack(target, node.value, node)
            else:
                self._record_assign(target, node.value, node)
        self.visit(node.value)

    def _record_unpack(self, target: ast.Tuple | ast.List, value_node: ast.expr, node: ast.stmt) -> None:
        """`args, controller = create_controller()` outside a function (a module's `if __name__ == "__main__":`
        block that sets the globals its routes use): each name holds one item of what the value unpacks to, an
        `unpack` Value (literal: the position; items: the value). Plain names only, none starred: then each
        position is exact."""
        scope = self.scopes[-1]
        names = [element.id for element in target.elts if isinstance(element, ast.Name)]
        if len(names) != len(target.elts):
            return
        if scope.is_function:
            # `visit, note = get_pair(key)` in a function: each name a local holding one item of what the call
            # (or the tuple) gives; what else a function unpacks says nothing a rule reads
            if type(value_node) in _UNPACKED_LOCAL:
                self._unpack_locals(scope, names, self.value(value_node))
            return
        value = self.value(value_node)
        if value is None:
            return
        for position, name in enumerate(names):
            unpacked = _new_tuple(_V5, ("unpack", value.at, "", position, (value,)))
            self.assigns.append(
                Assign(_intern(f"{scope.qualname}.{name}"), unpacked, self.pos.at(node), scope.qualname, self.in_main))

    @staticmethod
    def _unpack_locals(scope: _Scope, names: list[str], value: Value | None) -> None:
        if value is None:
            return
        for position, name in enumerate(names):
            scope.locals.append((name, _new_tuple(_V5, ("unpack", value.at, "", position, (value,))), False))
            scope.local_names.add(name)

    def _for(self, node: ast.For | ast.AsyncFor) -> None:
        """`for visit in visits:` in a function: the name a local holding one item of the iterated value (an
        `each` Value: items, the iterated value), placed at the `for` line; `for i, visit in enumerate(visits)`
        unpacks that item. Only what a rule can follow is kept: a name, an attribute or a call iterated."""
        scope = self.scopes[-1]
        target = node.target
        if scope.is_function and type(node.iter) in _ITERATED_LOCAL:
            iterated = self.value(node.iter)
            if iterated is not None:
                each = _new_tuple(_V5, ("each", self.pos.at(node), "", None, (iterated,)))
                if isinstance(target, ast.Name):
                    scope.locals.append((target.id, each, False))
                    scope.local_names.add(target.id)
                elif isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
                    self._unpack_locals(scope, [e.id for e in target.elts if isinstance(e, ast.Name)], each)
        self.generic_visit(node)

    visit_For = _for
    visit_AsyncFor = _for

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if len(self.scopes) == 1 and isinstance(node.target, ast.Name):
            # `embeddings_model: Dict[str, EmbeddingsModel] = None` in a state module, filled in at start-up:
            # the declared type is what the global holds once requests use it
            annotation = self.annotation(node.annotation)
            if annotation is not None:
                self.annotations.append((_intern(f"{self.module}.{node.target.id}"), annotation))
        elif self.class_stack and self.scopes[-1].qualname == self.class_stack[-1] and isinstance(node.target, ast.Name):
            # `session_maker: sessionmaker` in a class body (a dataclass field, an attribute `__init__` fills
            # in): the declared type of each instance's attribute
            annotation = self.annotation(node.annotation)
            if annotation is not None:
                self.annotations.append((_intern(f"{self.class_stack[-1]}.{node.target.id}"), annotation))
        elif self.class_stack and len(self.scopes) > 1 and self.scopes[-2].qualname == self.class_stack[-1] \
                and type(node.target) is _Attribute and type(node.target.value) is _Name and node.target.value.id == "self":
            # `self.contexts: Dict[str, Context] = {}` in a method (`__init__`): declared for every instance, as in
            # the class body
            annotation = self.annotation(node.annotation)
            if annotation is not None:
                self.annotations.append((_intern(f"{self.class_stack[-1]}.{node.target.attr}"), annotation))
        elif self.scopes[-1].is_function and type(node.target) is _Name:
            # `chosen: Visit | Note = pick(kind)`, `drafts: list[Draft] = []` in a function: what the local is
            # declared to hold, beside what it is assigned
            annotation = self.value(node.annotation)
            if annotation is not None:
                scope = self.scopes[-1]
                scope.local_types.append((node.target.id, annotation))
                scope.local_names.add(node.target.id)
        if node.value is not None:
            self._record_assign(node.target, node.value, node)
            self.visit(node.value)

    def _with(self, node: ast.With | ast.AsyncWith) -> None:
        scope = self.scopes[-1]
        for item in node.items:
            self.visit(item.context_expr)
            if isinstance(item.optional_vars, ast.Name) and scope.is_function:
                value = self.value(item.context_expr)
                if value is not None:
                    scope.locals.append((item.optional_vars.id, value, isinstance(node, ast.AsyncWith)))
                    scope.local_names.add(item.optional_vars.id)
        for statement in node.body:
            self.visit(statement)

    visit_With = _with
    visit_AsyncWith = _with

    def visit_Return(self, node: ast.Return) -> None:
        value = self.value(node.value)
        if value is not None:
            self.scopes[-1].returns.append(value)
        self.generic_visit(node)

    def _yield(self, node: ast.Yield | ast.YieldFrom) -> None:
        scope = self.scopes[-1]
        scope.is_generator = True
        value = self.value(node.value)
        if value is not None:
            scope.returns.append(value)
        self.generic_visit(node)

    visit_Yield = _yield
    visit_YieldFrom = _yield

    def visit_Expr(self, node: ast.Expr) -> None:
        value = node.value
        if type(value) is _Constant and type(value.value) is str:
            return  # docstrings and bare strings say nothing about runtime behaviour
        method = self._dispatch.get(type(value), self.generic_visit)  # its one child, as `generic_visit` would
        if method is not None:
            method(value)

    def visit_Await(self, node: ast.Await) -> None:
        if isinstance(node.value, ast.Call):
            self.await_depth.add(id(node.value))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        # Runs for every call of every file: exact type tests (the parser makes no subclasses), the
        # scope read once, and the children dispatched as `generic_visit` does.
        value = self.value(node)
        func = node.func
        scope = self.scopes[-1]
        text = value.text if value is not None else ""
        if text and value is not None:
            receiver = ""
            if type(func) is _Attribute:
                base = func.value
                while type(base) is _Attribute or type(base) is _Subscript:
                    base = base.value
                if type(base) is _Name and scope.is_function and base.id in scope.local_names:
                    receiver = base.id
            flags = AWAITED if id(node) in self.await_depth else 0
            if self.in_main:
                flags |= IN_MAIN
            if self.offload_depth > 0 or self.deferred_depth > 0:
                flags |= OFFLOADED
            if self.once_depth > 0:
                flags |= ONCE
            calls = self.calls
            calls.append(Call(value, scope.qualname if scope.is_function else "", receiver, flags))
            if len(calls) > PYTHON_MAX_FACTS:
                raise OverBudget(too_large("calls", len(calls), PYTHON_MAX_FACTS))
        offloads = eager = False
        if value is not None:
            last = text.rpartition(".")[2]  # `Value.last`, computed once per call
            offloads = text in OFFLOADERS or last in _OFFLOAD_METHODS
            eager = not offloads and (text in _EAGER_FUNCTIONS or last in _EAGER_METHODS)
        if eager:
            self._eager_lambdas.update(id(a) for a in (*node.args, *(k.value for k in node.keywords))
                                       if type(a) is ast.Lambda)
        while type(func) is _Attribute:  # `a.b.c(...)`: the attribute names hold nothing, only what they end on
            func = func.value
        dispatch, generic = self._dispatch, self.generic_visit
        method = dispatch.get(type(func), generic)
        if method is not None:
            method(func)
        if offloads:
            self.offload_depth += 1
        for arg in node.args:
            method = dispatch.get(type(arg), generic)
            if method is not None:
                method(arg)
        for keyword in node.keywords:
            argument = keyword.value
            if type(argument) is _Constant:  # `url="postgres://..."`: a URL literal, recorded with its keyword
                literal = argument.value
                if keyword.arg and type(literal) is str and "://" in literal:
                    self._string(argument, f"kwarg:{keyword.arg}")
            method = dispatch.get(type(argument), generic)
            if method is not None:
                method(argument)
        if offloads:
            self.offload_depth -= 1

    def visit_Constant(self, node: ast.Constant) -> None:
        literal = node.value
        if type(literal) is str and "://" in literal:  # `_string` keeps only URL-like literals
            self._string(node, "")

    def _string(self, node: ast.Constant, role: str) -> None:
        text = node.value
        if not isinstance(text, str) or "://" not in text or len(text) > 2000:
            return
        if not _INTERESTING_STRING.search(text):
            return
        span = self.pos.span(node)
        if any(s.span == span for s in self.strings[-3:]):
            return
        scope = self.scopes[-1].qualname if self.scopes[-1].is_function else ""
        self.strings.append(StringLiteral(text, span, scope, role, self.in_main))
        if len(self.strings) > PYTHON_MAX_FACTS:
            raise OverBudget(too_large("URL literals", len(self.strings), PYTHON_MAX_FACTS))

    def collect_module_names(self, tree: ast.Module) -> None:
        """The names a module binds at its top level, in `if`/`try` blocks there too (`if __name__ ==
        "__main__": args, controller = create_controller()` sets the global its routes use)."""
        statements = list(tree.body)
        while statements:
            statement = statements.pop()
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.module_names.add(statement.name)
                # `global store` at the top of a module-level function's (or method's) body: a module name
                # even when no module-level statement assigns it
                bodies = [statement.body] if not isinstance(statement, ast.ClassDef) else [
                    m.body for m in statement.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
                for body in bodies:
                    for inner in body:
                        if isinstance(inner, ast.Global):
                            self.global_names.update(inner.names)
                            self.module_names.update(inner.names)
            elif isinstance(statement, ast.Assign):
                for target in statement.targets:
                    elements = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
                    self.module_names.update(e.id for e in elements if isinstance(e, ast.Name))
            elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                self.module_names.add(statement.target.id)
            elif isinstance(statement, ast.If):
                statements.extend((*statement.body, *statement.orelse))
            elif isinstance(statement, ast.Try):
                statements.extend((*statement.body, *statement.orelse, *statement.finalbody,
                                   *(s for handler in statement.handlers for s in handler.body)))


def module_name_for(path: str) -> str:
    if "{{" in path:  # `{{cookiecutter.project_name}}/web/app.py`: the package a template generates
        from prodcheck.extract.jinja import render_placeholders

        path = render_placeholders(path)
    parts = path.removesuffix(".py").split("/")
    if parts and parts[-1] == "__init__":
        parts.pop()
    if parts and parts[0] in {"src", "lib"} and len(parts) > 1:
        parts = parts[1:]
    return ".".join(p for p in parts if p) or "__root__"


def pragma_comments(source: bytes) -> tuple[tuple[int, str], ...]:
    if not _PRAGMA.search(source):
        return ()
    import io
    import tokenize

    found: list[tuple[int, str]] = []
    try:
        for token in tokenize.tokenize(io.BytesIO(source).readline):
            if token.type == tokenize.COMMENT and "prodcheck" in token.string:
                found.append((token.start[0], token.string))
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
        pass
    return tuple(found)


def extract(path: str, source: bytes) -> PyFacts:
    """Parse and summarise one file. Raises SyntaxError / ValueError on unparsable input."""
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as error:
        if "integer string conversion" in str(error.msg):
            raise SyntaxError("integer literal too large (more digits than Python converts)", (
                path, error.lineno or 1, error.offset or 1, "")) from None
        from prodcheck.extract.jinja import is_templated, superset
        from prodcheck.extract.newer_syntax import parse_newer

        parsed = None
        if is_templated(source):  # a cookiecutter/copier template: read as the project it generates
            rendered = superset(source)
            try:
                parsed = ast.parse(rendered, filename=path), rendered
            except SyntaxError:
                parsed = parse_newer(rendered, path)
        if parsed is None:
            parsed = parse_newer(source, path)
        if parsed is None:
            raise
        tree, source = parsed
    module = module_name_for(path)
    extractor = _Extractor(module, path, source)
    extractor.collect_module_names(tree)
    extractor.tree = tree
    extractor.visit(tree)
    extractor._dispatch.clear()  # bound methods: a cycle the (paused) garbage collector would keep
    extractor._values.clear()
    extractor._eager_lambdas.clear()
    extractor.tree = None
    count = (len(extractor.calls) + len(extractor.strings) + len(extractor.assigns) + extractor.local_assigns
             + len(extractor.functions) + len(extractor.classes))
    if count > PYTHON_MAX_FACTS:
        # The rules' work grows with the facts: a file of 200,000 `create_engine()` calls is not analysed.
        raise OverBudget(too_large("calls, literals and definitions", count, PYTHON_MAX_FACTS))
    return PyFacts(
        module=module,
        path=path,
        imports=shared_imports(extractor.imports),
        imported_modules=tuple(dict.fromkeys(extractor.imported_modules)),
        calls=tuple(extractor.calls),
        functions=tuple(extractor.functions),
        assigns=tuple(extractor.assigns),
        classes=tuple(extractor.classes),
        strings=tuple(extractor.strings),
        main_block=extractor.main_block,
        comments=pragma_comments(source),
        annotations=tuple(extractor.annotations),
    )
