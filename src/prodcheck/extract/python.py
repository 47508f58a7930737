"""One `ast` pass over a Python file, reduced to `PyFacts`.

`ast` rather than libcst for analysis: it is an order of magnitude faster on large trees and its
positions are exact. The facts are small and picklable, so they travel through a process pool and
into the content-hash cache. Nothing here imports or executes the scanned code.

The pass is one visitor built in layers, each a class the next extends: names (extract/file_names.py), Values
(extract/values.py, positions in extract/positions.py), the statements that bind names
(extract/statements.py), test functions' bodies (extract/test_bodies.py), calls, attribute reads and
URL literals (extract/call_sites.py), the walk (extract/walk.py), and here functions and classes.
"""
from __future__ import annotations

import ast
import sys
from itertools import chain
from typing import Any

from prodcheck.extract.file_facts import registry_names
from prodcheck.extract.guards import constant_truth, param_guards
from prodcheck.extract.dev_conditions import dev_condition
from prodcheck.extract.once import once_statements
from prodcheck.extract.bodies import declares_only, yields
from prodcheck.extract.walk import Walk, dispatch_table
from prodcheck.extract.types import shared_def_span, shared_imports, shared_param, shared_params
from prodcheck.extract.scope import Scope
from prodcheck.limits import PYTHON_MAX_FACTS, OverBudget, too_large
from prodcheck.model.facts import (ITERATED, VALUE_SHAPES,
                                   Call, ClassDef, Function, Param, PyFacts, StringLiteral)
from prodcheck.model.finding import Span
from prodcheck.model.module_names import module_name_for
from prodcheck.model.packed_positions import pack_position

_new_tuple = tuple.__new__
_V2, _V5 = VALUE_SHAPES[2], VALUE_SHAPES[5]
_intern = sys.intern
_chain = chain.from_iterable
_Name, _Attribute = ast.Name, ast.Attribute
_If, _AsyncFunctionDef = ast.If, ast.AsyncFunctionDef
_UNANNOTATED = (None, True)  # `ValueBuilder._annotation` of no annotation
# Statements that leave the block: below `if not isinstance(x, T): return` the test held
_EXITS = (ast.Return, ast.Raise, ast.Continue, ast.Break)
# The tests `constant_truth` can find made of constants alone (extract/guards.py): a constant, `not`, `and`/`or`
_CONSTANT_TESTS = frozenset({ast.Constant, ast.UnaryOp, ast.BoolOp})
def _is_main(test: ast.expr) -> bool:
    """`__name__ == "__main__"`."""
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


class _Extractor(Walk):
    """The walk (extract/walk.py) over a file: its structure (conditions, functions, classes) here, its statements
    and calls in the layers below."""

    def __init__(self, module: str, path: str, source: bytes, reduced: bool = False) -> None:
        super().__init__(module, path, source, reduced)
        self._dispatch: dict[type, Any] = dispatch_table(type(self))
        self.calls: list[Call] = []
        self.reads: list[Call] = []  # reads of request-making attributes in functions (call_sites.py)
        self.keyword_names: list[str] = []  # of keywords holding a literal (extract/file_facts.literal_keywords)
        self.functions: list[Function] = []
        self.stubs: list[str] = []  # methods whose body only declares them (`bodies.declares_only`)
        self.dev_blocks: list[tuple[int, int]] = []  # `if settings.DEBUG:` bodies in functions (dev_condition)
        self.classes: list[ClassDef] = []
        self.strings: list[StringLiteral] = []
        self.main_block: Span | None = None
        self.class_nodes: list[ast.ClassDef] = []  # the classes being visited, innermost last
        self.tree: ast.Module | None = None
        self.await_depth: set[int] = set()
        self.offload_depth = 0
        self.deferred_depth = 0
        self.once_depth = 0
        self._eager_lambdas: set[int] = set()  # lambdas given to a call of [eager]: their calls run here
        self._read_tables()  # what calls are looked up in (call_sites.py)

    # ------------------------------------------------------------ structure

    def visit_If(self, node: ast.If) -> None:
        scope = self.scopes[-1]
        scope.branches = True  # what param_guards reads
        fields = node.__dict__  # (read from its dict: an `ast` attribute is a slow, generic load)
        test, body, orelse = fields["test"], fields["body"], fields["orelse"]
        if not scope.is_function:
            if _is_main(test):
                self.main_block = self.pos.span(node)
                previous, self.in_main = self.in_main, True
                self.generic_visit(node)
                self.in_main = previous
                return
            self.generic_visit(node)
            return
        if body and dev_condition(test):
            # `if settings.ENV == "local":` in a function: its body is code production does not run
            self.dev_blocks.append((body[0].lineno, body[-1].end_lineno or body[-1].lineno))
        # (only a constant, a `not` or an `and`/`or` can be made of constants alone: other tests not asked)
        truth = constant_truth(test) if type(test) in _CONSTANT_TESTS else None
        if truth is not None:  # `if debug and False:` inside a function: the branch it switches off never runs
            self.visit(test)
            for statement in body if truth else orelse:
                self.visit(statement)
            # a `yield` in the branch still makes the function a generator, as the compiler reads it
            scope.is_generator = scope.is_generator or yields(orelse if truth else body)
            return
        # The test and the branches entered as `generic_visit` enters them (`visit` inlined)
        dispatch = self._dispatch
        if not orelse:
            if body and type(body[-1]) in _EXITS:
                self._narrowed(scope, test, negated=True)
            method = dispatch[type(test)]
            if method is not None:
                method(self, test)
            for statement in body:
                method = dispatch[type(statement)]
                if method is not None:
                    method(self, statement)
            return
        method = dispatch[type(test)]
        if method is not None:
            method(self, test)
        locals_ = scope.locals
        start = len(locals_)
        for statement in body:
            method = dispatch[type(statement)]
            if method is not None:
                method(self, statement)
        middle = len(locals_)
        for statement in orelse:
            method = dispatch[type(statement)]
            if method is not None:
                method(self, statement)
        if middle > start and len(locals_) > middle:
            self._either(scope, node, start, middle)

    def visit_Assert(self, node: ast.Assert) -> None:
        scope = self.scopes[-1]
        if scope.is_function:
            self._narrowed(scope, node.test, negated=False)
        self._children([node.test, node.msg])  # type: ignore[list-item]  # no message: None, skipped

    def _narrowed(self, scope: Scope, test: ast.expr, negated: bool) -> None:
        """`if not isinstance(db, Session): return` (or `raise`, `continue`) and `assert isinstance(db, Session)`: below
        it the name holds that class, whatever it was read from (`db = getattr(request.state, "db", None)`); kept as
        the local's declared type, as `db: Session = ...` would be. One class, not a tuple of them."""
        if negated:
            if not (type(test) is ast.UnaryOp and type(test.op) is ast.Not):
                return
            test = test.operand
        if type(test) is not ast.Call or type(test.func) is not _Name or test.func.id != "isinstance" \
                or len(test.args) != 2 or test.keywords or type(test.args[0]) is not _Name:
            return
        declared = self.value(test.args[1]) if type(test.args[1]) in (_Name, _Attribute) else None
        if declared is not None:
            name = test.args[0].id
            scope.local_types.append((name, declared))
            scope.local_names.add(name)

    def _either(self, scope: Scope, node: ast.If, start: int, middle: int) -> None:
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
                scope.locals.append((name, _new_tuple(_V5, ("ifexp", at, "", None, (test, value, other))), ""))

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer_shallow, self.shallow = self.shallow, False  # a nested function's decorators and body: whole
        # The def's and its arguments' fields, read from their dicts: an `ast` attribute is a slow, generic load
        # (extract/values.py), and these are read a dozen times. `visit` is inlined (`dispatch`): this runs for
        # every function of every file.
        fields = node.__dict__
        decorator_list, name, body = fields["decorator_list"], fields["name"], fields["body"]
        dispatch = self._dispatch
        for decorator in decorator_list:
            method = dispatch[type(decorator)]
            if method is not None:
                method(self, decorator)
        args = fields["args"].__dict__
        positional, defaults = args["args"], args["defaults"]
        if args["posonlyargs"]:
            positional = args["posonlyargs"] + positional
        keyword_only, keyword_defaults = args["kwonlyargs"], args["kw_defaults"]
        # Each parameter, in order, and whether every one is a shared Param (`shared_params`). A parameter without a
        # default and with no annotation (`self`, `cls`, `request`) or one without a call (`db: Session`) is one
        # shared Param per name and annotation (extract/types.py `shared_param`): a Param is never changed once built,
        # and every method has a `self`.
        value, annotation_of = self.value, self._annotation
        built: list[Param] = []
        every_one_shared = True
        first_default = len(positional) - len(defaults)  # the last parameters have the defaults
        for index, a in enumerate(positional):
            annotation = a.annotation
            declared, one = annotation_of(annotation) if annotation is not None else _UNANNOTATED
            default = defaults[index - first_default] if index >= first_default else None
            if default is None and one:
                built.append(shared_param(a.arg, declared))
            else:
                built.append(Param(a.arg, declared, value(default)))
                every_one_shared = False
        if keyword_only:
            for a, default in zip(keyword_only, keyword_defaults, strict=True):
                annotation = a.annotation
                declared, one = annotation_of(annotation) if annotation is not None else _UNANNOTATED
                if default is None and one:
                    built.append(shared_param(a.arg, declared))
                else:
                    built.append(Param(a.arg, declared, value(default)))
                    every_one_shared = False
        params = shared_params(tuple(built), every_one_shared)
        for default in defaults:
            method = dispatch[type(default)]
            if method is not None:
                method(self, default)
        for default in keyword_defaults:
            if default is not None:
                method = dispatch[type(default)]
                if method is not None:
                    method(self, default)
        scopes, class_stack = self.scopes, self.class_stack
        owner = scopes[-1].qualname
        qualname = f"{owner}.{name}"
        decorators = tuple([v for d in decorator_list if (v := value(d))]) if decorator_list else ()
        scope = Scope(qualname, True)
        scope.local_names.update([p.name for p in params])  # parameters are local names, not `locals` facts
        in_class = bool(class_stack) and owner == class_stack[-1]  # a method
        scopes.append(scope)
        outer_once, self.once_depth = self.once_depth, 0
        if self.reduced and name.startswith("test"):
            once_from, lazy_blocks = once_statements(node, self.qualify, self.class_nodes[-1] if in_class else None,
                                                     self.tree)
            scope = self._test_body(node, scope, once_from, lazy_blocks)
        elif _If in map(type, body):  # a set-up guard or a lazy block may be among the statements (`once_statements`)
            once_from, lazy_blocks = once_statements(node, self.qualify, self.class_nodes[-1] if in_class else None,
                                                     self.tree)
            self._body(node, once_from, lazy_blocks)
        else:  # most functions: every statement visited as it is (`_body`, `visit` inlined)
            for statement in body:
                method = dispatch[type(statement)]
                if method is not None:
                    method(self, statement)
        self.once_depth = outer_once
        scopes.pop()
        self.shallow = outer_shallow
        if in_class and declares_only(body):
            self.stubs.append(qualname)
        line, returns, local_types = fields["lineno"], fields["returns"], scope.local_types
        self.functions.append(
            Function(
                qualname,  # qualname, is_async, span, decorators, params, is_generator, returns, flat_locals,
                type(node) is _AsyncFunctionDef,  # class_name, in_main, annotation: Function's fields
                shared_def_span(line, self.pos.column(line, fields["col_offset"])),
                decorators,
                params,
                scope.is_generator,
                tuple(scope.returns),
                tuple(_chain(scope.locals)),  # `Function.flat_locals`: the triples laid flat
                class_stack[-1] if class_stack else "",
                self.in_main,
                annotation_of(returns)[0] if returns is not None else None,  # (`annotation`)
                tuple(scope.declared),
                param_guards(node) if scope.branches else (),  # (no `if` nor `p or Default()`: no guard)
                tuple(local_types) if local_types else (),
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
        outer_shallow, self.shallow = self.shallow, False  # a class a test function defines: whole
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
        self.scopes.append(Scope(qualname, False))
        self.class_stack.append(qualname)
        self.class_nodes.append(node)
        dispatch = self._dispatch  # `visit` inlined
        for statement in node.body:
            method = dispatch[type(statement)]
            if method is not None:
                method(self, statement)
        self.class_nodes.pop()
        self.class_stack.pop()
        self.scopes.pop()
        self.shallow = outer_shallow


def extract(path: str, source: bytes, reduced: bool = False) -> PyFacts:
    """Parse and summarise one file. Raises SyntaxError / ValueError on unparsable input. `reduced`: a test file
    (python_pass.reducible), whose test functions' calls are kept without their arguments (extract/test_bodies.py)."""
    declares_globals = True  # (a source read another way than as written: its bodies are looked at)
    try:
        tree = ast.parse(source, filename=path)
        # `global x` is spelt so in the bytes of a UTF-8 source, as of any without a `coding` declaration (PEP 263)
        declares_globals = b"global" in source or b"coding" in source
    except SyntaxError as error:
        tree, source = parse_rewritten(path, source, error)
    module = module_name_for(path)
    extractor = _Extractor(module, path, source, reduced)
    extractor.collect_module_names(tree, declares_globals)
    extractor.tree = tree
    extractor.visit(tree)
    extractor._values.clear()
    extractor._eager_lambdas.clear()
    extractor.iterated.clear()
    if extractor.iterated_values:  # locals bound to a call, iterated later in the function
        for call in extractor.calls:
            if id(call.value) in extractor.iterated_values:
                call.flags |= ITERATED
        extractor.iterated_values.clear()
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
        annotations=tuple(extractor.annotations),
        stubs=tuple(extractor.stubs),
        dev_blocks=tuple(extractor.dev_blocks),
        reads=tuple(extractor.reads),
        registry_names=registry_names(extractor.assigns, extractor.functions),
        literal_keywords=tuple(dict.fromkeys(extractor.keyword_names)),
        call_names=tuple(dict.fromkeys([call.value.text for call in extractor.calls])),
    )



def parse_rewritten(path: str, source: bytes, error: SyntaxError) -> tuple[ast.Module, bytes]:
    """The tree and the text read of a file `ast` refused (`error`): a cookiecutter/copier template read as the
    project it generates, newer syntax rewritten (extract/newer_syntax.py). Raises SyntaxError when neither reads."""
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
            # The rendering is this module's guess at the generated project: when `ast` refuses it, its
            # branches are what only make sense apart far more often than syntax the text rewrite does
            # not read, and libcst is left to the template's own text.
            parsed = parse_newer(rendered, path, last_resort=False)
    if parsed is None:
        parsed = parse_newer(source, path)
    if parsed is None:
        raise error
    return parsed
