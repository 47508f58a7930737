"""What a test function's calls keep in a test file: their names and positions, and their arguments only where a
reader of test files' facts takes them.

A test file (its path says so, SPEC section 4) is read by few: its findings are skipped or downgraded, PC501 and
PC503 leave its routes and functions out, the model skips its routes, route dependencies and call sites
(python_routes.py, served_routes.py, rules/concurrency/endpoints.py, built.py), and PC301 reads only files that
hold a URL (`://`, which keeps a file whole). What does read it, whatever its context: the call index by name
(`_built`, hierarchy.py: names only), module and class assignments (kept whole), and the call-name readers of kept_calls.py,
whose calls keep their arguments. A test function (pytest's `test*`) builds the Values of its calls without their
arguments (most of a test file's facts are a test's `client.post(url, json={...})`); one that makes a call below is
extracted whole, locals and all (a reader may follow a local from the call: engines.py, startup_paths.py).
`python_pass.reducible` says which files are test files here; the engine extracts a file whole again when the
deployment model places it elsewhere (engine.py).

A test function keeps its locals, returns and local types, as any function does: readers take them in test files too
(an audit of session 40, k11-testdiet-s40). `registry_names` (file_facts.py) reads every function's dict-literal
locals and returned names, for `Hierarchy`'s registry (a file of any context). `Holds` (rules/concurrency/holds.py,
scopes.py) follows an Assign a test function makes (`order.status = status`, `self.client = make()`: module, class
and object names are read in any file, and `PythonIndex.resolve` finds them by name) in that function: its locals,
local types and bound names. The call index by name and `_built` read call names only; PC501/PC503 (summaries.py
`sync_summary`) and the model skip test files' functions, routes and call sites. Leaving the locals out pays little:
most of a test's locals hold a call, whose Value the call keeps anyway; of the reduced files' 7.4 G instructions of
extraction, no locals at all in test functions would save 0.43 G (~0.07 s), and none only where no reader follows
them (no such Assign, no return) 8 M net: the scan of each test function's statements that decides it costs about
what it saves (0.05 s)."""
from __future__ import annotations

import ast
from typing import Any

from prodcheck.extract.statements import Statements
from prodcheck.extract.scope import Scope, WholeFunction
from prodcheck.model.facts import Call, ClassDef, Function, StringLiteral


class TestBodies(Statements):
    """A function's body, visited whole or, for a test function of a test file, with its calls' Values built without
    their arguments (`ValueBuilder.shallow`)."""

    __test__ = False  # not a pytest test class
    # what the walk fills in (extract/python.py `_Extractor`), put back as it was when a test function is made whole
    calls: list[Call]
    functions: list[Function]
    stubs: list[str]
    classes: list[ClassDef]
    strings: list[StringLiteral]
    offload_depth: int
    deferred_depth: int
    once_depth: int
    _dispatch: dict[type, Any]

    def __init__(self, module: str, path: str, source: bytes, reduced: bool = False) -> None:
        super().__init__(module, path, source)
        self.reduced = reduced  # a test file (python_pass.reducible)

    def _body(self, node: ast.FunctionDef | ast.AsyncFunctionDef, once_from: int, lazy_blocks: frozenset[int]) -> None:
        if once_from >= len(node.body) and not lazy_blocks:  # most functions: every statement visited as it is
            dispatch = self._dispatch  # `visit` inlined
            for statement in node.body:
                method = dispatch[type(statement)]
                if method is not None:
                    method(self, statement)
            return
        for position, statement in enumerate(node.body):
            if position == once_from:
                self.once_depth += 1
            if id(statement) in lazy_blocks and isinstance(statement, ast.If):
                self.scopes[-1].branches = True  # (an `if`, as `visit_If` notes one)
                self.visit(statement.test)
                self.once_depth += 1
                for inner in statement.body:
                    self.visit(inner)
                self.once_depth -= 1
                for inner in statement.orelse:
                    self.visit(inner)
            else:
                self.visit(statement)

    def _test_body(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope, once_from: int,
                   lazy_blocks: frozenset[int]) -> Scope:
        """A test function of a test file: its calls without their arguments (extract/test_bodies.py); whole, from
        the start again, when it makes a call whose arguments a reader takes. Returns the scope the body filled."""
        params = set(scope.local_names)
        calls, functions, stubs, classes = len(self.calls), len(self.functions), len(self.stubs), len(self.classes)
        assigns, annotations, strings = len(self.assigns), len(self.annotations), len(self.strings)
        counts = (self.local_assigns, self.offload_depth, self.deferred_depth)
        # ids of Values (statements.py): those the first pass adds name Values it then drops, whose ids new ones reuse
        iterated = set(self.iterated_values)
        self.shallow = True
        try:
            self._body(node, once_from, lazy_blocks)
            return scope
        except WholeFunction:
            del self.calls[calls:], self.functions[functions:], self.stubs[stubs:], self.classes[classes:]
            del self.assigns[assigns:], self.annotations[annotations:], self.strings[strings:]
            self.local_assigns, self.offload_depth, self.deferred_depth = counts
            self.once_depth = 0
            self.iterated_values.clear()
            self.iterated_values.update(iterated)
            self._values.clear()  # Values without arguments, of this body's calls
            self.shallow = False
            whole = self.scopes[-1] = Scope(scope.qualname, True)
            whole.local_names.update(params)
            self._body(node, once_from, lazy_blocks)
            return whole
        finally:
            self.shallow = False

