"""Values: an expression reduced to a `Value` (`value`), the one shape rules read, its dotted names resolved
through the file's imports and module names (extract/file_names.py `qualify`).

The Values are built as plain tuples of their shortest shape (model/facts.py `VALUE_SHAPES`), and a
type annotation without a call is built without positions and shared (extract/types.py)."""
from __future__ import annotations

import ast
import sys

from prodcheck.extract.file_names import FileNames
from prodcheck.extract.positions import Positions
from prodcheck.extract.scope import WholeFunction
from prodcheck.extract.kept_calls import kept_call
from prodcheck.extract.types import UNPLACED, UNPLACED_POSITIONS, has_call, shared, shared_generic, shared_name, \
    shared_optional
from prodcheck.model.facts import VALUE_SHAPES, Value
from prodcheck.model.finding import Span

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

_Name, _Attribute, _Constant, _CallNode, _Starred = ast.Name, ast.Attribute, ast.Constant, ast.Call, ast.Starred
_Subscript = ast.Subscript
_List, _Tuple, _Set, _Dict = ast.List, ast.Tuple, ast.Set, ast.Dict
_BinOp, _JoinedStr, _Await, _Lambda, _BoolOp = ast.BinOp, ast.JoinedStr, ast.Await, ast.Lambda, ast.BoolOp
_IfExp, _Compare, _UnaryOp = ast.IfExp, ast.Compare, ast.UnaryOp


def debug_variable(node: ast.Call) -> bool:
    """`getenv("APP_DEBUG")` through any getter: a variable debug_enabled.py (`debug_names`) learns from any file."""
    first = node.args[0] if node.args else None
    return type(first) is _Constant and type(first.value) is str and first.value.upper().endswith("DEBUG")


class ValueBuilder(FileNames):
    """The Values of a file's expressions, on top of its names (extract/file_names.py)."""

    def __init__(self, module: str, path: str, source: bytes) -> None:
        super().__init__(module, path)
        self.pos = Positions(source)
        self._values: dict[int, Value | None] = {}
        self.shallow = False  # in a test function of a test file: calls without arguments (extract/test_bodies.py)

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
        if node_type is _CallNode and self.shallow:
            result: Value | None = self._without_arguments(node)  # type: ignore[arg-type]  # an ast.Call
        else:
            result = self._compute_value(node, depth)
        self._values[key] = result
        return result

    def _without_arguments(self, node: ast.Call) -> Value:
        """A test function's call (extract/test_bodies.py): its name and position, not its arguments; a call some
        reader takes the arguments of makes the function whole (`WholeFunction`)."""
        func = node.func  # named as `_compute_value` names a call (the same text)
        if type(func) is _Name:
            text = self._name_text(func.id)
        elif type(func) is _Attribute and type(owner := func.value) is _Name:
            text = self._member_text(owner.id, func.attr)
        else:
            dotted = self.dotted(func) or self._element_method(func)
            text = _intern(self.qualify(dotted)) if dotted else ""
        if kept_call(text) or debug_variable(node):
            raise WholeFunction
        span = self.pos.at(node)
        return _new_tuple(_V3, ("call", span, text)) if text else _new_tuple(_V2, ("call", span))

    def _compute_value(self, node: ast.AST, depth: int) -> Value | None:
        positions = self.pos
        wide = positions.wide_lines  # `Positions.at` inlined for a node on ASCII lines: this runs for every Value
        # The node's attributes, read from its dict: an `ast` node's attribute is looked up the slow, generic way
        # (no specialised load for its type), a dict's item is not, and this reads four to seven of them.
        fields = node.__dict__
        if wide is None:  # an annotation's Values (extract/types.py `Unplaced`)
            span: int | Span = UNPLACED
        else:
            line = fields["lineno"]  # (positioned nodes only: expr)
            end_line = fields["end_lineno"] or line
            if wide and (line in wide or end_line in wide):
                span = positions.at(node)
            else:
                col, end_col = fields["col_offset"], fields["end_col_offset"] or 0
                if end_line == line and end_col < col:
                    end_col = col
                lines = end_line - line
                # (`Positions.at`'s packing: products and sums of one-digit ints, then one `|`)
                span = (line * 65536 + col + 1) * 268435456 | lines * 65536 + end_col + 1 \
                    if line < 65536 and 0 <= lines < 4096 and col < 65535 and end_col < 65535 else positions.at(node)
        if depth > 6:
            return _new_tuple(_V2, ("other", span))
        node_type = type(node)  # the parser makes exact node types, never subclasses
        if node_type is _Constant:
            literal = fields["value"]  # an ast.Constant's
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
        if node_type is _Name:  # `_name_text` inlined: a Value in four is a plain name's
            name = fields["id"]  # an ast.Name's
            scope = self.scopes[-1]
            if not scope.is_function or name not in scope.local_names:
                imported = self.imports.get(name)
                if imported is not None:
                    name = imported
                elif name in self.module_names:
                    name = self._global_name(name)
            return _new_tuple(_V3, ("name", span, name)) if name else _new_tuple(_V2, ("name", span))
        if node_type is _Attribute:
            owner = fields["value"]  # an ast.Attribute's
            if type(owner) is _Name:  # `os.environ`, `self.session`: `_member_text` inlined, as the Name branch
                name = owner.id
                scope = self.scopes[-1]
                if not scope.is_function or name not in scope.local_names:
                    imported = self.imports.get(name)
                    if imported is not None:
                        name = imported
                    elif name in self.module_names:
                        name = self._global_name(name)
                return _new_tuple(_V3, ("name", span, _intern(f"{name}.{fields['attr']}")))
            dotted = self.dotted(node)
            if dotted is None:
                # `client.collections["books"].documents`: a member of an element, named like a call on one
                # (`CLIENTS[].upload`), so a local bound to it holds what the inline chain would
                dotted = self._element_method(node)
            if dotted is not None:
                text = _intern(self.qualify(dotted))
                return _new_tuple(_V3, ("name", span, text)) if text else _new_tuple(_V2, ("name", span))
            return _new_tuple(_V2, ("other", span))
        if node_type is _CallNode:
            func = fields["func"]  # an ast.Call's
            func_type = type(func)
            if func_type is _Name or (func_type is _Attribute and type(owner := func.value) is _Name):
                # `f(...)` (half the calls) or `db.execute(...)` (most of the others): `_name_text` or `_member_text`
                # inlined, `f` or `db` qualified as the Name branch above does
                name = func.id if func_type is _Name else owner.id
                scope = self.scopes[-1]
                if not scope.is_function or name not in scope.local_names:
                    imported = self.imports.get(name)
                    if imported is not None:
                        name = imported
                    elif name in self.module_names:
                        name = self._global_name(name)
                text = name if func_type is _Name else _intern(f"{name}.{func.attr}")
            else:
                dotted = self.dotted(func) or self._element_method(func)
                text = _intern(self.qualify(dotted)) if dotted else ""
            args, keyword_nodes = fields["args"], fields["keywords"]  # an ast.Call's
            if not args and not keyword_nodes:  # `session.commit()`: a call in six
                return _new_tuple(_V3, ("call", span, text)) if text else _new_tuple(_V2, ("call", span))
            # `value` of a node is never None: no filtering of the parts is needed. A plain name or a literal (half
            # the arguments) is built here directly: `value` would only hand it to `_compute_value`. The parts are
            # built in loops, not comprehensions: a comprehension reading this function's locals makes them cells,
            # allocated on every call of it, leaves included (Python 3.11).
            inner = depth + 1
            items: tuple[Value | None, ...] = ()
            has_star = False
            if args:
                built: list[Value | None] = []
                for a in args:
                    kind = type(a)
                    if kind is _Name or kind is _Constant:
                        built.append(self._compute_value(a, inner))
                    elif kind is not _Starred:
                        built.append(self.value(a, inner))
                items = tuple(built)
                has_star = len(items) != len(args)
            keywords: tuple[str | Value | None, ...] = ()  # flat: name, value, name, value (`Value.flat_keywords`)
            if keyword_nodes:
                flat: list[str | Value | None] = []
                for kw in keyword_nodes:
                    name = kw.arg
                    if name is None:  # `**options`
                        spliced = kw.value
                        if isinstance(spliced, ast.Dict) and all(isinstance(k, ast.Constant) and type(k.value) is str
                                                                 for k in spliced.keys):
                            # `**{"gs": list_gs, "s3": list_s3}`: the same keywords spelt out
                            for k, v in zip(spliced.keys, spliced.values, strict=True):
                                flat += (k.value, self.value(v, inner))  # type: ignore[union-attr]  # str keys only
                        else:
                            has_star = True
                    else:
                        argument = kw.value
                        flat.append(name)
                        kind = type(argument)
                        flat.append(self._compute_value(argument, inner) if kind is _Name or kind is _Constant
                                    else self.value(argument, inner))
                keywords = tuple(flat)
            if has_star:
                return _new_tuple(Value, ("call", span, text, None, items, keywords, True))
            if keywords:
                return _new_tuple(_V6, ("call", span, text, None, items, keywords))
            if items:
                return _new_tuple(_V5, ("call", span, text, None, items))
            return _new_tuple(_V3, ("call", span, text)) if text else _new_tuple(_V2, ("call", span))
        if node_type is _List or node_type is _Tuple or node_type is _Set:
            inner = depth + 1
            built = []
            for e in fields["elts"]:  # a List's, Tuple's or Set's
                kind = type(e)
                built.append(self._compute_value(e, inner) if kind is _Name or kind is _Constant
                             else self.value(e, inner))
            return _new_tuple(_V5, ("seq", span, "", None, tuple(built))) if built else _new_tuple(_V2, ("seq", span))
        if node_type is _Dict:  # keywords: the str-keyed entries; items: the values of every other key
            keyed: list[str | Value | None] = []  # flat: key, value, key, value (`Value.flat_keywords`)
            others: list[Value | None] = []
            inner = depth + 1
            for k, val in zip(fields["keys"], fields["values"], strict=True):  # an ast.Dict's
                if k is None:
                    continue  # `**spread`
                kind = type(val)
                entry = self._compute_value(val, inner) if kind is _Name or kind is _Constant else self.value(val, inner)
                if type(k) is _Constant and type(k.value) is str:
                    keyed += (k.value, entry)
                else:  # `{Kind.avatar: Bucket("a")}`: an Enum member, a constant, any hashable key
                    others.append(entry)
            if keyed:
                return _new_tuple(_V6, ("dict", span, "", None, tuple(others), tuple(keyed)))
            return _new_tuple(_V5, ("dict", span, "", None, tuple(others))) if others else _new_tuple(_V2, ("dict", span))
        # Below, as above: the Value of a node is never None (`_compute_value` returns one on every path), so the
        # parts are taken as built, no filter.
        if node_type is _Subscript:
            dotted = self.dotted(fields["value"])  # an ast.Subscript's
            index = fields["slice"]  # an ast.Subscript's
            inner = depth + 1
            kind = type(index)
            if kind is _Tuple:
                built = []
                for e in index.elts:
                    kind = type(e)
                    built.append(self._compute_value(e, inner) if kind is _Name or kind is _Constant
                                 else self.value(e, inner))
                items = tuple(built)
            else:  # `settings["key"]`, `items[index]`: a literal or a name, mostly
                items = (self._compute_value(index, inner) if kind is _Name or kind is _Constant
                         else self.value(index, inner),)
            text = _intern(self.qualify(dotted)) if dotted else ""
            if items:
                return _new_tuple(_V5, ("subscript", span, text, None, items))
            return _new_tuple(_V3, ("subscript", span, text)) if text else _new_tuple(_V2, ("subscript", span))
        if node_type is _BinOp:
            left, right = fields["left"], fields["right"]  # an ast.BinOp's
            inner = depth + 1
            kind, right_kind = type(left), type(right)
            return _new_tuple(_V5, ("binop", span, type(fields["op"]).__name__, None, (
                self._compute_value(left, inner) if kind is _Name or kind is _Constant else self.value(left, inner),
                self._compute_value(right, inner) if right_kind is _Name or right_kind is _Constant
                else self.value(right, inner))))
        if node_type is _JoinedStr:
            text = "".join([part.value if type(part) is _Constant and type(part.value) is str else "{}"
                            for part in node.values])  # type: ignore[attr-defined]  # an ast.JoinedStr
            return _new_tuple(_V3, ("fstring", span, text)) if text else _new_tuple(_V2, ("fstring", span))
        if node_type is _Await:
            awaited = fields["value"]  # an ast.Await's
            kind = type(awaited)
            if kind is _Name or kind is _Constant:
                return self._compute_value(awaited, depth + 1)
            return self.value(awaited, depth + 1)
        if node_type is _Lambda:
            return _new_tuple(_V2, ("lambda", span))  # its body's calls are recorded (deferred) within this span
        if node_type is _BoolOp:
            inner = depth + 1
            built = []
            for e in fields["values"]:  # an ast.BoolOp's
                built.append(self.value(e, inner))
            if built:
                return _new_tuple(_V5, ("boolop", span, type(fields["op"]).__name__, None, tuple(built)))
            return _new_tuple(_V3, ("boolop", span, type(fields["op"]).__name__))
        if node_type is _IfExp:  # items: test, body, orelse
            return _new_tuple(_V5, ("ifexp", span, "", None, (
                self.value(node.test, depth + 1), self.value(node.body, depth + 1), self.value(node.orelse, depth + 1))))  # type: ignore[attr-defined]  # an ast.IfExp
        if node_type is _Compare and len(fields["ops"]) == 1:  # text: the operator (Eq, NotEq, In, ...)
            left, right = fields["left"], fields["comparators"][0]  # an ast.Compare's
            inner = depth + 1
            kind, right_kind = type(left), type(right)
            return _new_tuple(_V5, ("compare", span, type(fields["ops"][0]).__name__, None, (
                self._compute_value(left, inner) if kind is _Name or kind is _Constant else self.value(left, inner),
                self._compute_value(right, inner) if right_kind is _Name or right_kind is _Constant
                else self.value(right, inner))))
        if node_type is _UnaryOp and type(node.op) is ast.USub and type(node.operand) is _Constant:  # type: ignore[attr-defined]  # an ast.UnaryOp
            inner_value = node.operand.value  # type: ignore[attr-defined]  # an ast.UnaryOp
            if isinstance(inner_value, (int, float)) and not isinstance(inner_value, bool):
                return _new_tuple(_V4, ("const", span, "", -inner_value))
        return _new_tuple(_V2, ("other", span))

    def annotation(self, node: ast.expr | None) -> Value | None:
        return self._annotation(node)[0]

    def _annotation(self, node: ast.expr | None) -> tuple[Value | None, bool]:
        """A type annotation's Value: without positions and one object per distinct annotation, unless it
        holds a call (extract/types.py); and whether it is that one object (absent: True)."""
        if node is None:
            return None, True
        node_type = type(node)
        if node_type is _Name:  # `db: Session`, the commonest annotation: its Value as `value` builds it, unplaced
            return shared_name(self._name_text(node.id)), True  # type: ignore[attr-defined]  # an ast.Name
        if node_type is _Constant and node.value is None:  # type: ignore[attr-defined]  # an ast.Constant: `-> None`
            return shared(_new_tuple(_V2, ("const", UNPLACED)))
        if node_type is _BinOp:  # `Session | None`: found by the name's text, as `db: Session` is
            left, right = node.left, node.right  # type: ignore[attr-defined]  # an ast.BinOp
            if type(left) is _Name and type(right) is _Constant and right.value is None and type(node.op) is ast.BitOr:  # type: ignore[attr-defined]  # an ast.BinOp
                return shared_optional(self._name_text(left.id)), True
        elif node_type is _Attribute and type(node.value) is _Name:  # type: ignore[attr-defined]  # an ast.Attribute
            # `models.User`, `sa.orm.Session`'s head: a name's Value as `value` builds it (`_member_text`), as above
            return shared_name(self._member_text(node.value.id, node.attr)), True  # type: ignore[attr-defined]  # an ast.Attribute
        elif node_type is _Subscript:  # `list[str]`, `Optional[Session]`: found by the two names' texts
            outer, item = node.value, node.slice  # type: ignore[attr-defined]  # an ast.Subscript
            if type(outer) is _Name and type(item) is _Name:
                return shared_generic(self._name_text(outer.id), self._name_text(item.id)), True
        if has_call(node):
            return self.value(node), False
        positions, self.pos = self.pos, UNPLACED_POSITIONS  # type: ignore[assignment]  # `at` only
        try:
            value = self.value(node)
        finally:
            self.pos = positions
        return shared(value) if value is not None else (None, False)
