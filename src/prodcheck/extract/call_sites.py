"""The walk's calls, attribute reads and URL literals: the layer of the one `ast` pass (extract/python.py) that
records each call's Value with the flags its place gives it (awaited, offloaded, run once, in `__main__`...), the
reads of attributes that make a request, and the string literals that hold a URL."""
from __future__ import annotations

import ast
import sys
from functools import cache
from typing import Any

from prodcheck.lazy_pattern import lazy
from prodcheck.extract.file_facts import literal_keywords
from prodcheck.extract.kept_calls import kept_call
from prodcheck.extract.test_bodies import TestBodies
from prodcheck.extract.scope import WholeFunction
from prodcheck.extract.values import debug_variable
from prodcheck.knowledge import listed, load
from prodcheck.limits import PYTHON_MAX_FACTS, OverBudget, too_large
from prodcheck.model.facts import (AWAITED, IN_MAIN, ITERATED, KEYWORD_LITERAL, OFFLOADED, ONCE, READ, Call,
                                   StringLiteral)


@cache
def _tables() -> tuple[frozenset[str], ...]:
    """What the walk looks calls up in (knowledge/blocking.toml), read when the first file is walked, not at import:
    calls whose callable argument runs in a worker thread ([offload] functions, methods); calls that call a lambda
    they are given on the calling thread or on the event loop ([eager]); calls that iterate their first argument
    to its end ([consumes]); attributes whose read makes a request (`attributes` of each family)."""
    return (listed("blocking", "offload", "functions"), listed("blocking", "offload", "methods"),
            listed("blocking", "eager", "functions"), listed("blocking", "eager", "methods"),
            listed("blocking", "consumes", "functions"), listed("blocking", "consumes", "methods"),
            frozenset(name for family in load("blocking")["family"].values() for name in family.get("attributes", ())))


@cache
def _gates() -> tuple[frozenset[str], frozenset[str]]:
    """The full names, and the last names, that some table of `_tables` holds a call by (offloading, eager,
    consuming functions; offloading and eager methods): a call named in neither, most calls, is looked up in
    no table by name (`visit_Call`). Consuming methods are not gated: `visit_Call` looks them up by the called
    attribute, not by the call's name."""
    offloaders, offload_methods, eager_functions, eager_methods, consuming_functions, _, _ = _tables()
    return offloaders | eager_functions | consuming_functions, offload_methods | eager_methods


_INTERESTING_STRING = lazy(r"://[^/\s]*@|^[a-z][a-z0-9+.-]*://")
_Name, _Attribute, _Constant, _Subscript = ast.Name, ast.Attribute, ast.Constant, ast.Subscript
_intern = sys.intern


class CallSites(TestBodies):
    """Calls, request-making attribute reads and URL literals, as the walk meets them."""

    # what the walk (extract/python.py `_Extractor`) sets up
    reads: list[Call]
    keyword_names: list[str]
    await_depth: set[int]
    _eager_lambdas: set[int]
    _dispatch: dict[type, Any]

    def _read_tables(self) -> None:
        """The tables of `_tables`, kept on the walker (`_Extractor.__init__`): `visit_Call` reads them for every call."""
        (self._offloaders, self._offload_methods, self._eager_functions, self._eager_methods,
         self._consuming_functions, self._consuming_methods, self._read_attributes) = _tables()
        self._named_texts, self._named_lasts = _gates()

    def visit_Expr(self, node: ast.Expr) -> None:
        value = node.value
        if type(value) is _Constant and type(value.value) is str:
            return  # docstrings and bare strings say nothing about runtime behaviour
        method = self._dispatch[type(value)]  # its one child, as `generic_visit` would
        if method is not None:
            method(self, value)

    def visit_Await(self, node: ast.Await) -> None:
        awaited = node.value
        if type(awaited) is ast.Call:  # (exact node types: the parser makes no subclasses)
            self.await_depth.add(id(awaited))
        method = self._dispatch[type(awaited)]  # its one child, as `generic_visit` would
        if method is not None:
            method(self, awaited)

    def visit_Call(self, node: ast.Call) -> None:
        # Runs for every call of every file: exact type tests (the parser makes no subclasses), the
        # scope read once, and the children dispatched as `generic_visit` does.
        values, key, shallow = self._values, id(node), self.shallow  # `value` inlined: a call's Value, computed
        value = values.get(key)  # once per node, never None
        if value is None:
            value = values[key] = self._without_arguments(node) if shallow else self._compute_value(node, 0)
        elif shallow and (kept_call(value.text) or debug_variable(node)):
            # a Value built before, with its arguments (an assignment's, made whole): a reader takes them
            # (extract/test_bodies.py). One built just now without them asked that already (`_without_arguments`).
            raise WholeFunction
        assert value is not None  # (a call's Value is never None)
        fields = node.__dict__  # its func, args and keywords: dict items cost less than `ast` attributes (values.py)
        func, args, keywords = fields["func"], fields["args"], fields["keywords"]
        scope = self.scopes[-1]
        # `a.b.c(...)`: the attribute names hold nothing, only what they end on, what the walk enters below
        below = func
        while type(below) is _Attribute:
            below = below.value
        text = value.text
        if text:
            receiver = ""
            if type(func) is _Attribute:  # the name the chain starts from, through attributes and subscripts
                base = below
                while type(base) is _Attribute or type(base) is _Subscript:
                    base = base.value
                if type(base) is _Name and scope.is_function and base.id in scope.local_names:
                    receiver = base.id
            flags = AWAITED if key in self.await_depth else 0
            if self.in_main:
                flags |= IN_MAIN
            if self.offload_depth > 0 or self.deferred_depth > 0:
                flags |= OFFLOADED
            if self.once_depth > 0:
                flags |= ONCE
            if keywords and value.flat_keywords:  # (no keyword node, no keyword: its Value not read)
                named = self.keyword_names
                before = len(named)
                literal_keywords(value, named)
                if len(named) > before:
                    flags |= KEYWORD_LITERAL
            if key in self.iterated:
                flags |= ITERATED
            calls = self.calls
            calls.append(Call(value, scope.qualname if scope.is_function else "", receiver, flags))
            if len(calls) > PYTHON_MAX_FACTS:
                raise OverBudget(too_large("calls", len(calls), PYTHON_MAX_FACTS))
        last = text.rpartition(".")[2]  # `Value.last`, computed once per call
        if text in self._named_texts or last in self._named_lasts:  # (`_gates`: most calls are in no table)
            offloads = text in self._offloaders or last in self._offload_methods
            eager = not offloads and (text in self._eager_functions or last in self._eager_methods)
            consumes = text in self._consuming_functions
        else:
            offloads = eager = consumes = False
        if args and (consumes or (type(func) is _Attribute and func.attr in self._consuming_methods)):
            consumed = args[0]  # `list(rows())`, `", ".join(r.name for r in rows())`: iterated to its end here
            if type(consumed) is ast.GeneratorExp:
                self.iterated.add(id(consumed))
            else:
                self.iterate(consumed)
        if eager:
            self._eager_lambdas.update(id(a) for a in (*args, *(k.value for k in keywords))
                                       if type(a) is ast.Lambda)
        dispatch = self._dispatch
        method = dispatch[type(below)]
        if method is not None:
            method(self, below)
        if offloads:
            self.offload_depth += 1
        if args:  # (a call in three has none: no `_children` frame for it)
            self._children(args)
        for keyword in keywords:
            argument = keyword.value
            if type(argument) is _Constant:  # `url="postgres://..."`: a URL literal, recorded with its keyword
                literal = argument.value
                if type(literal) is str and "://" in literal:
                    if keyword.arg:
                        self._string(argument, f"kwarg:{keyword.arg}")
                    self._string(argument, "")  # `visit_Constant` inlined (`_string` keeps one per span)
                continue
            method = dispatch[type(argument)]
            if method is not None:
                method(self, argument)
        if offloads:
            self.offload_depth -= 1

    # Expressions the walk only goes through, most met first: their children entered as `generic_visit` enters them
    # (in field order, a URL literal noted as `visit_Constant` does), without its loop over the type's fields.

    def _children(self, children: list[ast.expr]) -> None:
        dispatch = self._dispatch
        for child in children:
            if type(child) is _Constant:
                literal = child.value
                if type(literal) is str and "://" in literal:
                    self._string(child, "")
                continue
            method = dispatch[type(child)]
            if method is not None:
                method(self, child)

    def visit_Compare(self, node: ast.Compare) -> None:
        self._children([node.left, *node.comparators])

    def visit_BinOp(self, node: ast.BinOp) -> None:
        self._children([node.left, node.right])

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self._children([node.value, node.slice])

    def visit_List(self, node: ast.List | ast.Tuple | ast.Set) -> None:
        self._children(node.elts)

    visit_Tuple = visit_List
    visit_Set = visit_List

    def visit_Dict(self, node: ast.Dict) -> None:
        self._children([*node.keys, *node.values])  # type: ignore[list-item]  # a None key (`**spread`) is skipped

    def visit_Attribute(self, node: ast.Attribute) -> None:
        # Its one child, as `generic_visit` would, down a chain of attributes in a loop (`a.b.c`: what the
        # recursion through `visit` would meet, in the same order); first, at each, a read of an attribute that
        # makes a request (`result.status`), kept with the flags its place gives a call
        read_attributes = self._read_attributes
        while True:
            if node.attr in read_attributes:
                self._read(node)
            child = node.value
            if type(child) is not _Attribute:
                break
            node = child
        method = self._dispatch[type(child)]
        if method is not None:
            method(self, child)

    def _read(self, node: ast.Attribute) -> None:
        """A read of an attribute that makes a request (`result.status`), kept with the flags its place gives a call."""
        if type(node.ctx) is ast.Load and not self.shallow:
            scope = self.scopes[-1]
            value = self.value(node)
            if scope.is_function and value is not None and value.text:
                flags = READ | (OFFLOADED if self.offload_depth > 0 or self.deferred_depth > 0 else 0)
                self.reads.append(Call(value, scope.qualname, "", flags | (ONCE if self.once_depth > 0 else 0)))

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
        # Interned, as the literal of the string's Value is (extract/values.py): one object in the file's facts whatever
        # else the process interned before (a URL a file extracted earlier holds), so the facts' pickle is a function
        # of the file alone (the digest the incremental run compares: cache.LazyTable.put).
        self.strings.append(StringLiteral(_intern(text), span, scope, role, self.in_main))
        if len(self.strings) > PYTHON_MAX_FACTS:
            raise OverBudget(too_large("URL literals", len(self.strings), PYTHON_MAX_FACTS))
