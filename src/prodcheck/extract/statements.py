"""Statements that bind names: assignments (a module's or class's `Assign` facts, a function's `locals`),
tuple unpacking, `for` targets, annotated names, `with ... as`, and what a function returns or yields."""
from __future__ import annotations

import ast
import sys
from typing import Any

from prodcheck.extract.guards import FALLBACKS
from prodcheck.extract.scope import Scope
from prodcheck.extract.values import ValueBuilder
from prodcheck.model.facts import ASYNC_WITH, VALUE_SHAPES, WITH, Assign, Value

_new_tuple = tuple.__new__
_V2, _V5 = VALUE_SHAPES[2], VALUE_SHAPES[5]
_intern = sys.intern
_Name, _Attribute, _CallNode, _Tuple, _List = ast.Name, ast.Attribute, ast.Call, ast.Tuple, ast.List
_LOCAL_VALUE_TYPES = frozenset({ast.Call, ast.Name, ast.Attribute, ast.Constant, ast.Await, ast.Subscript, ast.Lambda,
                                ast.IfExp, ast.BoolOp})


# What a function's tuple assignment or `for` loop may bind a followable value from (a project function's
# result, a typed container): other shapes are not recorded as locals.
# The shapes `_record_assign` asks more of before it keeps a function's local bound to one: `_built_dict`,
# `_joined`, `_function_table`, `_argv`, `_callable_table`.
_TESTED_SHAPES = frozenset({ast.Dict, ast.BinOp, ast.List, ast.Tuple})
_UNPACKED_LOCAL = frozenset({ast.Call, ast.Await, ast.Name, ast.Attribute, ast.Tuple})
_ITERATED_LOCAL = frozenset({ast.Call, ast.Await, ast.Name, ast.Attribute, ast.Tuple, ast.List})


def _joined(node: ast.expr) -> bool:
    """`root / name`: a path joined to a name (pathlib's `/`), kept so the path it holds is known."""
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)


def _built_dict(node: ast.expr) -> bool:
    """`clients = {"a": boto3.client("s3")}`: a dict literal whose entries are built by calls (a registry of
    clients or services); other dict literals (payloads, options) are not worth a Value."""
    return type(node) is ast.Dict and any(type(v) is _CallNode for v in node.values)


def _argv(node: ast.expr) -> bool:
    """`args = ["upgrade", "head"]`: a list or tuple literal of strings, a command line handed to a call later
    (0.3 % of the locals of the bench corpus)."""
    return isinstance(node, (ast.List, ast.Tuple)) and bool(node.elts) and all(
        isinstance(e, ast.Constant) and type(e.value) is str for e in node.elts)


def _function_table(target: ast.expr, node: ast.expr) -> bool:
    """`self._handlers = {"save": self.on_save, "load": load}`: an attribute bound to a dict literal of names only,
    a dispatch table whose entries a method calls (`await self._handlers[kind](data)`)."""
    return type(target) is ast.Attribute and type(node) is ast.Dict and bool(node.values) \
        and all(type(v) is _Name or type(v) is _Attribute for v in node.values)



class Statements(ValueBuilder):
    """The binding statements of a file, on top of its names and Values (extract/values.py)."""

    # what the walk (extract/python.py `_Extractor`) sets up: node type to a visit function, called `method(self,
    # node)` (extract/walk.py `dispatch_table`: every node type has one, or None)
    _dispatch: dict[type, Any]

    def __init__(self, module: str, path: str, source: bytes) -> None:
        super().__init__(module, path, source)
        self.assigns: list[Assign] = []
        self.annotations: list[tuple[str, Value]] = []  # module globals' declared types
        self.class_stack: list[str] = []
        self.in_main = False
        self.local_assigns = 0  # assignments to a function's plain names: `locals` only, no Assign (a budget's count)
        self.iterated: set[int] = set()  # ids of the call nodes whose result is iterated where it is made (ITERATED)
        self.iterated_values: set[int] = set()  # ids of the call Values a local holds when a loop iterates it

    def iterate(self, node: ast.expr) -> None:
        """`node` is iterated to its end where it is written (Call.iterated): a call, or a plain local of the
        function bound to one (`rows = self._select(sql)` then `for row in rows:`: the call, by its Value)."""
        if type(node) is ast.Call:
            self.iterated.add(id(node))
        elif type(node) is _Name and self.scopes[-1].is_function and node.id in self.scopes[-1].local_names:
            bound = next((value for name, value, _ in reversed(self.scopes[-1].locals) if name == node.id), None)
            if bound is not None and bound.kind == "call":
                self.iterated_values.add(id(bound))

    def _record_assign(self, target: ast.expr, value_node: ast.expr | None, node: ast.stmt) -> None:
        if self.shallow and not (type(target) is _Name and target.id not in self.global_names):
            # a test function's assignment to a module's, a class's or an object's name: read in any file, whole
            self.shallow = False
            try:
                self._record_assign(target, value_node, node)
            finally:
                self.shallow = True
            return
        if value_node is not None and self.scopes[-1].is_function and type(value_node) not in _LOCAL_VALUE_TYPES \
                and (type(value_node) not in _TESTED_SHAPES or (
                     not _built_dict(value_node) and not _joined(value_node) and not _function_table(target, value_node)
                     and not _argv(value_node) and not (type(target) is _Name and self._callable_table(value_node)))):
            # Locals matter for what they are bound to (a session, a client); skip building the rest. (Only a dict,
            # a `/`, a list or a tuple can be one of the shapes tested: any other is skipped without asking.)
            value: Value | None = _new_tuple(_V2, ("other", self.pos.at(value_node)))
        else:
            value = self.value(value_node)
        if value is None:
            return
        scope = self.scopes[-1]
        if type(target) is _Name:  # (exact node types: the parser makes no subclasses)
            bound = target.id  # (read once: an `ast` attribute is a slow, generic load)
            if scope.is_function:
                # A function's own name: its binding is one of the function's `locals`, and no Assign
                # (a hundred thousand on the bench corpus that no reader of `assigns` took: ~10 MiB).
                scope.locals.append((bound, value, ""))
                scope.local_names.add(bound)
                self.local_assigns += 1
                if bound in self.global_names and bound in scope.declared:
                    # `global store` then `store = await make_store()` in a start-up function: the module's
                    # global, as every other function of the module reads it
                    self.assigns.append(Assign(_intern(f"{self.module}.{bound}"), value, self.pos.at(node),
                                               scope.qualname, self.in_main))
                return
            name = _intern(f"{scope.qualname}.{bound}")
            self.assigns.append(Assign(name, value, self.pos.at(node), scope.qualname, self.in_main))
        elif type(target) is _Attribute:
            dotted = self.dotted(target)
            if dotted:
                self.assigns.append(
                    Assign(_intern(self.qualify(dotted)), value, self.pos.at(node), scope.qualname, self.in_main)
                )
        elif type(target) is ast.Subscript and type(target.value) is _Name \
                and target.value.id in self.module_names and target.value.id not in scope.local_names:
            # `worker_map[name] = worker` in a start-up function: an entry of a module global's container,
            # recorded as `module.worker_map[]`
            self.assigns.append(Assign(_intern(f"{self.module}.{target.value.id}[]"), value, self.pos.at(node),
                                       scope.qualname, self.in_main))
        elif type(target) is ast.Subscript and type(target.value) is ast.Attribute and scope.is_function \
                and type(target.value.value) is ast.Name and target.value.value.id == "self":
            # `self._engines[name] = create_engine(url)` in a method: an entry of the instance's container,
            # recorded as `self._engines[]` (rules/concurrency/containers.py reads it by the method's class)
            self.assigns.append(Assign(_intern(f"self.{target.value.attr}[]"), value, self.pos.at(node),
                                       scope.qualname, self.in_main))

    def _callable_table(self, node: ast.expr) -> bool:
        """`checks = {"postgres": check_pg, "services": {"alerts": check_service("alerts")}}` in a function: a dict
        literal (nested ones too) of function references and of calls that make one, at least one a function the
        module defines or imports, kept so a helper it is handed to, which calls its entries, is followed
        (rules/concurrency/callables.py). Other local dict literals (payloads) are not worth a Value."""
        if type(node) is not ast.Dict:
            return False
        named = False
        tables: list[ast.Dict] = [node]
        while tables:
            for value in tables.pop().values:
                kind = type(value)
                if kind is ast.Dict:
                    tables.append(value)  # type: ignore[arg-type]  # an ast.Dict
                elif kind is _Name:
                    named = named or value.id in self.module_functions or value.id in self.imports  # type: ignore[attr-defined]  # an ast.Name
                elif not (kind is _Attribute or (kind is _CallNode and type(value.func) in (_Name, _Attribute))):  # type: ignore[attr-defined]  # an ast.Call
                    return False
        return named

    def visit_Assign(self, node: ast.Assign) -> None:
        value = node.value
        value_type = type(value)
        scope = self.scopes[-1]
        if value_type in FALLBACKS:
            scope.branches = True  # `x = p or Default()`: what param_guards reads
        targets = node.targets
        target = targets[0]
        if len(targets) == 1 and type(target) is _Name and not (self.shallow and target.id in self.global_names) \
                and (not scope.is_function or value_type in _LOCAL_VALUE_TYPES):
            # `_record_assign` of most assignments inlined: one name bound to a value worth a Value (exact node
            # types: the parser makes no subclasses)
            bound_value = self.value(value)
            if bound_value is not None:
                bound = target.id
                if not scope.is_function:  # a module's or class's name: an Assign
                    self.assigns.append(Assign(_intern(f"{scope.qualname}.{bound}"), bound_value, self.pos.at(node),
                                               scope.qualname, self.in_main))
                else:  # a function's: one of its `locals`
                    scope.locals.append((bound, bound_value, ""))
                    scope.local_names.add(bound)
                    self.local_assigns += 1
                    if bound in self.global_names and bound in scope.declared:
                        self.assigns.append(Assign(_intern(f"{self.module}.{bound}"), bound_value, self.pos.at(node),
                                                   scope.qualname, self.in_main))
        else:
            for target in targets:
                if type(target) is _Tuple or type(target) is _List:
                    self._record_unpack(target, value, node)
                else:
                    self._record_assign(target, value, node)
        method = self._dispatch[value_type]  # `visit` inlined: one Assign in five statements
        if method is not None:
            method(self, value)

    def _record_unpack(self, target: ast.Tuple | ast.List, value_node: ast.expr, node: ast.stmt) -> None:
        """`args, controller = create_controller()` outside a function (a module's `if __name__ == "__main__":`
        block that sets the globals its routes use): each name holds one item of what the value unpacks to, an
        `unpack` Value (literal: the position; items: the value). Plain names only, none starred: then each
        position is exact."""
        scope = self.scopes[-1]
        names = [element.id for element in target.elts if isinstance(element, ast.Name)]
        if len(names) != len(target.elts):
            if scope.is_function and type(value_node) in _UNPACKED_LOCAL:
                self._unpack_attributes(target, value_node, node)
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

    def _unpack_attributes(self, target: ast.Tuple | ast.List, value_node: ast.expr, node: ast.stmt) -> None:
        """`self.conn, self.cur = self.db.connect()` in a method: each `self.x` an attribute holding one item of
        what the call gives (an `unpack` Value, as a local's), each plain name a local. Only `self.x` and names,
        none starred."""
        elements = target.elts
        if not all(isinstance(e, ast.Name) or _self_attribute(e) for e in elements):
            return
        shallow, self.shallow = self.shallow, False  # `self.x` is read in any file: whole
        try:
            value = self.value(value_node)
        finally:
            self.shallow = shallow
        if value is None:
            return
        scope = self.scopes[-1]
        for position, element in enumerate(elements):
            unpacked = _new_tuple(_V5, ("unpack", value.at, "", position, (value,)))
            if isinstance(element, ast.Name):
                scope.locals.append((element.id, unpacked, ""))
                scope.local_names.add(element.id)
            else:
                self.assigns.append(Assign(_intern(self.dotted(element) or ""), unpacked, self.pos.at(node),
                                           scope.qualname, self.in_main))

    @staticmethod
    def _unpack_locals(scope: Scope, names: list[str], value: Value | None) -> None:
        if value is None:
            return
        for position, name in enumerate(names):
            scope.locals.append((name, _new_tuple(_V5, ("unpack", value.at, "", position, (value,))), ""))
            scope.local_names.add(name)

    def _for(self, node: ast.For | ast.AsyncFor) -> None:
        """`for visit in visits:` in a function: the name a local holding one item of the iterated value (an
        `each` Value: items, the iterated value), placed at the `for` line; `for i, visit in enumerate(visits)`
        unpacks that item. Only what a rule can follow is kept: a name, an attribute or a call iterated."""
        scope = self.scopes[-1]
        if scope.is_function:
            self._bind_each(scope, node.target, node.iter, node)
        if type(node) is ast.For:
            self.iterate(node.iter)  # `for row in rows():` runs a generator `rows` here, to its end
        self.generic_visit(node)

    def _bind_each(self, scope: Scope, target: ast.expr, iterable: ast.expr, at: ast.AST) -> None:
        """`target` (a name, or a tuple of names it unpacks into) holds one item of `iterable`, an `each` Value
        placed at `at`, when what is iterated is a shape a rule can follow."""
        if type(iterable) not in _ITERATED_LOCAL:
            return
        iterated = self.value(iterable)
        if iterated is None:
            return
        each = _new_tuple(_V5, ("each", self.pos.at(at), "", None, (iterated,)))
        if isinstance(target, ast.Name):
            scope.locals.append((target.id, each, ""))
            scope.local_names.add(target.id)
        elif isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
            self._unpack_locals(scope, [e.id for e in target.elts if isinstance(e, ast.Name)], each)

    visit_For = _for
    visit_AsyncFor = _for

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        """`[page.get_pixmap() for page in doc]` in a function: each `for` clause's name holds one item of what it
        iterates, as a `for` loop's target does, placed at the comprehension's start (its element may be written
        before its `for` clause). A name the function already binds (a parameter, an earlier local) is left to
        that binding: the comprehension's own scope ends with it, and a later use must not see its item."""
        scope = self.scopes[-1]
        if scope.is_function:
            for generator in node.generators:
                target = generator.target
                elements = [target] if type(target) is _Name else target.elts if type(target) is ast.Tuple else []
                names = [e.id for e in elements if isinstance(e, ast.Name)]
                if names and len(names) == len(elements) and not any(n in scope.local_names for n in names):
                    self._bind_each(scope, target, generator.iter, node)
        if type(node) is not ast.GeneratorExp or id(node) in self.iterated:
            # a list, set or dict display runs its loops where it is written; a generator expression only when
            # what it is given to consumes it (`"".join(r for r in rows())`)
            for clause in node.generators:
                if not clause.is_async:
                    self.iterate(clause.iter)
        self.generic_visit(node)

    visit_ListComp = _comprehension
    visit_SetComp = _comprehension
    visit_GeneratorExp = _comprehension
    visit_DictComp = _comprehension

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
        value = node.value
        if value is not None:
            if type(value) in FALLBACKS:
                self.scopes[-1].branches = True  # (as in `visit_Assign`)
            self._record_assign(node.target, value, node)
            method = self._dispatch[type(value)]  # (`visit` inlined, as in `visit_Assign`)
            if method is not None:
                method(self, value)

    def _with(self, node: ast.With | ast.AsyncWith) -> None:
        scope = self.scopes[-1]
        dispatch = self._dispatch  # `visit` inlined
        for item in node.items:
            context, bound = item.context_expr, item.optional_vars
            method = dispatch[type(context)]
            if method is not None:
                method(self, context)
            if type(bound) is _Name and scope.is_function:
                value = self.value(context)
                if value is not None:
                    scope.locals.append((bound.id, value, ASYNC_WITH if type(node) is ast.AsyncWith else WITH))
                    scope.local_names.add(bound.id)
        for statement in node.body:
            method = dispatch[type(statement)]
            if method is not None:
                method(self, statement)

    visit_With = _with
    visit_AsyncWith = _with

    def visit_Return(self, node: ast.Return) -> None:
        returned = node.value
        if returned is None:  # a bare `return`: nothing returned, nothing below
            return
        value = self.value(returned)
        if value is not None:
            self.scopes[-1].returns.append(value)
        method = self._dispatch[type(returned)]  # its one child, as `generic_visit` would
        if method is not None:
            method(self, returned)

    def _yield(self, node: ast.Yield | ast.YieldFrom) -> None:
        scope = self.scopes[-1]
        scope.is_generator = True
        yielded = node.value
        if yielded is None:
            return
        value = self.value(yielded)
        if value is not None:
            scope.returns.append(value)
        method = self._dispatch[type(yielded)]  # (as in `visit_Return`)
        if method is not None:
            method(self, yielded)

    visit_Yield = _yield
    visit_YieldFrom = _yield


def _self_attribute(node: ast.expr) -> bool:
    """`self.x`: an attribute of the instance a method runs on."""
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"
