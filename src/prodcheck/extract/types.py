"""Type annotations as facts: what a name is declared to hold, without where the declaration is; and the
other facts equal across files that are one object for the run (a file's import pairs).

A parameter's, a return's or a module global's annotation (`db: Session`, `-> None`, `client: Minio`)
is read for what it names (rules/concurrency/annotations.py, project/python_routes.py's `Depends`,
cpu_work's upload types), never for its position: no finding points at an annotation. So an annotation
without a call in it is built with no position (`at` = 0, a small int Python shares) and equal ones are
one object for the whole run: ~145,000 annotation Values of the bench corpus are a few thousand distinct
ones (`str`, `int`, `Session`, `Optional[str]`, `None`). An annotation that holds a call
(`Annotated[Session, Depends(get_db)]`) is built as any other Value, positions and all: the rules follow
the call it holds like a call of the code.
"""
from __future__ import annotations

import ast

from prodcheck.model.facts import VALUE_SHAPES, Param, Value
from prodcheck.model.finding import Span

UNPLACED = 0  # the `at` of an annotation's Values
_new_tuple = tuple.__new__
_V2, _V3, _V5 = VALUE_SHAPES[2], VALUE_SHAPES[3], VALUE_SHAPES[5]
_BIT_OR = ast.BitOr.__name__  # the text of a `|` Value: the very str `value` puts there (`type(node.op).__name__`)

# The shared annotations and parameters of this process (emptied when they grow past the bound: a
# long-lived process reading many projects keeps no more than that).
_BOUND = 50_000
_values: dict[Value, Value] = {}
_params: dict[tuple[str, Value | None], Param] = {}
_imports: dict[tuple[str, str], tuple[str, str]] = {}
# keyed by each parameter's (name, annotation): equal exactly when the shared Params are, hashed without a Python
# `Param.__hash__` per parameter
_param_lists: dict[tuple[tuple[str, Value | None], ...], tuple[Param, ...]] = {}
_names: dict[str, Value] = {}  # `shared_name`: a plain name's annotation by its text
_optionals: dict[str, Value] = {}  # `shared_optional`: `X | None` by X's text
_generics: dict[tuple[str, str], Value] = {}  # `shared_generic`: `X[Y]` by the two names' texts
_def_spans: dict[tuple[int, int], Span] = {}


class Unplaced:
    """Stands for the extractor's positions while an annotation is built: every Value's `at` is 0."""

    wide_lines = None  # no line is read: every Value's `at` is UNPLACED (ValueBuilder._compute_value)

    def at(self, node: ast.AST) -> int:
        return UNPLACED


UNPLACED_POSITIONS = Unplaced()


def has_call(node: ast.expr) -> bool:
    """Whether an annotation holds a call (`Annotated[X, Depends(f)]`): the shapes annotations take are
    looked at directly (`ast.walk` is a generator, and this runs for every annotation)."""
    node_type = type(node)
    if node_type is ast.Name or node_type is ast.Constant:
        return False
    if node_type is ast.Attribute:
        return has_call(node.value)  # type: ignore[attr-defined]  # an ast.Attribute
    if node_type is ast.Subscript:
        return has_call(node.value) or has_call(node.slice)  # type: ignore[attr-defined]  # an ast.Subscript
    if node_type is ast.BinOp:
        return has_call(node.left) or has_call(node.right)  # type: ignore[attr-defined]  # an ast.BinOp
    if node_type is ast.Tuple or node_type is ast.List:
        return any(has_call(element) for element in node.elts)  # type: ignore[attr-defined]  # a Tuple or List
    return any(type(inner) is ast.Call for inner in ast.walk(node))


def _shareable(value: Value) -> bool:
    """Only strings and None as literals: `True == 1 == 1.0` (and hash alike), so a table keyed by Values
    would hand `Literal[1]` the Value of `Literal[True]`."""
    literal = value.literal
    if literal is not None and type(literal) is not str:
        return False
    return all(_shareable(item) for item in value.items) and all(
        _shareable(item) for item in value.keyword_values)


def shared(value: Value) -> tuple[Value, bool]:
    """The one object of this annotation (built without positions) for the whole run, and whether it is
    shared (False: a literal other than a string, kept as built)."""
    found = _values.get(value)
    if found is not None:
        return found, True
    if not _shareable(value):
        return value, False
    if len(_values) >= _BOUND:
        _values.clear()
        _params.clear()
        _names.clear()
        _optionals.clear()
        _generics.clear()
    _values[value] = value
    return value, True


def shared_param(name: str, annotation: Value | None) -> Param:
    """A parameter without a default whose annotation is shared (or absent): one Param per (name, annotation),
    as a Param is never changed once built (`self`, `request: Request`, `db: Session`)."""
    key = (name, annotation)
    param = _params.get(key)
    if param is None or param.annotation is not annotation:
        if len(_params) >= _BOUND:
            _params.clear()
        param = _params[key] = Param(name, annotation, None)
    return param


def shared_params(params: tuple[Param, ...], every_one_shared: bool) -> tuple[Param, ...]:
    """A function's parameters, one tuple object for the run when each of them is a shared Param
    (`shared_param`): `(self,)`, `(self, request: Request)`, `(db: Session)` repeat across functions (32,000
    parameter lists of the bench corpus, a few thousand distinct). A list holding a Param of its own (a
    default, an annotation with a call or a literal other than a string) is kept as built: only shared
    Params compare equal exactly when they are the same parameter."""
    if not every_one_shared or not params:
        return params
    if len(_param_lists) >= _BOUND:
        _param_lists.clear()
    return _param_lists.setdefault(tuple([(param.name, param.annotation) for param in params]), params)


def shared_name(text: str) -> Value:
    """`shared` of a plain name's annotation (`db: Session`), found by the name's text: the commonest annotation,
    its Value not built again to be looked up."""
    found = _names.get(text)
    if found is None:
        found = _names[text] = shared(_new_tuple(_V3, ("name", UNPLACED, text)))[0]
    return found


def shared_optional(text: str) -> Value:
    """`shared` of `X | None` (`X` a plain name, the second commonest annotation), found by X's text: its Value as
    `value` builds it unplaced (a `binop` of the name and the None constant), not built again to be looked up."""
    found = _optionals.get(text)
    if found is None:
        found = _optionals[text] = shared(_new_tuple(_V5, ("binop", UNPLACED, _BIT_OR, None, (
            _new_tuple(_V3, ("name", UNPLACED, text)), _new_tuple(_V2, ("const", UNPLACED))))))[0]
    return found


def shared_generic(text: str, item: str) -> Value:
    """`shared` of `X[Y]` (two plain names: `list[str]`, `Optional[Session]`), found by the names' texts: its Value
    as `value` builds it unplaced (a `subscript` of X with Y's name as its one item)."""
    key = (text, item)
    found = _generics.get(key)
    if found is None:
        found = _generics[key] = shared(_new_tuple(_V5, ("subscript", UNPLACED, text, None, (
            _new_tuple(_V3, ("name", UNPLACED, item)),))))[0]
    return found


def shared_def_span(line: int, column: int) -> Span:
    """The position of a `def` line (`Function.span`: its line and column, no end): one Span object per
    distinct position for the run. Functions of different files start at the same places (34,000
    functions of the bench corpus, 6,000 distinct positions)."""
    span = _def_spans.get((line, column))
    if span is None:
        if len(_def_spans) >= _BOUND:
            _def_spans.clear()
        span = _def_spans[(line, column)] = Span(line, column, line, 0)
    return span


def shared_imports(imports: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """A file's imports as (local name, qualified name) pairs, each pair one object for the run: files import
    the same names (`("Depends", "fastapi.Depends")`, `("os", "os")`), 57,000 pairs of the bench corpus."""
    if len(_imports) >= _BOUND:
        _imports.clear()
    return tuple([_imports.setdefault(pair, pair) for pair in imports.items()])
