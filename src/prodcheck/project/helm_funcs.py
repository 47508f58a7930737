"""The template functions a static Helm rendering models (Go builtins, Sprig, Helm's own).

Each takes the evaluator and its arguments (the piped value last, as in Go templates). Anything
not listed here evaluates to UNKNOWN, including everything that reads outside the values:
`tpl`, `lookup`, `.Files`, random and crypto functions, environment and time.
Sources: https://pkg.go.dev/text/template#hdr-Functions, https://masterminds.github.io/sprig/,
https://helm.sh/docs/chart_template_guide/function_list/.
"""
from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from prodcheck.lazy_pattern import lazy
from prodcheck.parsing.yaml import YNode
from prodcheck.project.helm_eval import MAX_INDENT, Budget
from prodcheck.project.helm_values import UNKNOWN, UNKNOWN_BLOCK, Rich, Segment, Unknown, go_string, has_unknown, \
    plain, to_rich, to_yaml, truth, typed_scalar

if TYPE_CHECKING:
    from prodcheck.project.helm_eval import Evaluator

Function = Callable[..., object]
MAX_UNTIL = 1000


def _text(ev: Evaluator, value: object) -> Rich | Unknown:
    return to_rich(value, ev.values_path)


def _strict(function: Callable[..., object]) -> Function:
    """UNKNOWN in, UNKNOWN out; YNodes and Rich text passed as plain Python values."""
    def wrapped(ev: Evaluator, *args: object) -> object:
        if any(isinstance(a, Unknown) for a in args):
            return UNKNOWN
        values = [plain(a) for a in args]
        if any(has_unknown(v) for v in values):
            return UNKNOWN
        return function(*values)
    return wrapped


def _string_op(function: Callable[..., str]) -> Function:
    """A string function of the last argument; the result keeps that argument's values.yaml origin."""
    def wrapped(ev: Evaluator, *args: object) -> object:
        if not args or any(isinstance(a, Unknown) for a in args):
            return UNKNOWN
        *head, last = args
        text = _text(ev, last)
        if isinstance(text, Unknown):
            return text
        params = [plain(a) for a in head]
        origin = text.origin()
        return Rich.plain(function(*params, text.text), origin, origin is not None)
    return wrapped


def _default(ev: Evaluator, *args: object) -> object:
    if len(args) < 2:
        return args[0] if args else None
    fallback, value = args[0], args[-1]
    verdict = truth(value)
    if verdict is None:
        return UNKNOWN
    return value if verdict else fallback


def _and(ev: Evaluator, *args: object) -> object:
    for arg in args:
        verdict = truth(arg)
        if verdict is None:
            return UNKNOWN
        if not verdict:
            return arg
    return args[-1] if args else UNKNOWN  # Go's `and` takes at least one argument: Helm fails without


def _or(ev: Evaluator, *args: object) -> object:
    unknown = False
    for arg in args:
        verdict = truth(arg)
        if verdict:
            return arg
        unknown = unknown or verdict is None
    return UNKNOWN if unknown or not args else args[-1]  # `or` without arguments: Helm fails


def _not(ev: Evaluator, value: object) -> object:
    verdict = truth(value)
    return UNKNOWN if verdict is None else not verdict


def _empty(ev: Evaluator, value: object) -> object:
    verdict = truth(value)
    return UNKNOWN if verdict is None else not verdict


def _coalesce(ev: Evaluator, *args: object) -> object:
    for arg in args:
        verdict = truth(arg)
        if verdict is None:
            return UNKNOWN
        if verdict:
            return arg
    return None


def _ternary(ev: Evaluator, yes: object, no: object, condition: object) -> object:
    verdict = truth(condition)
    return UNKNOWN if verdict is None else (yes if verdict else no)


def _quote(ev: Evaluator, *args: object) -> object:
    """Sprig's `quote`/`squote`: each argument that is not nil, quoted, joined by spaces."""
    return _quoted(ev, args, '"', lambda s: s.replace("\\", "\\\\").replace('"', '\\"'))


def _squote(ev: Evaluator, *args: object) -> object:
    return _quoted(ev, args, "'", lambda s: s)


def _quoted(ev: Evaluator, args: tuple[object, ...], mark: str, escape: Callable[[str], str]) -> object:
    out: list[Segment] = []
    for arg in args:
        if arg is None or (isinstance(arg, YNode) and typed_scalar(arg) is None and arg.is_scalar):
            continue
        text = _text(ev, arg)
        if isinstance(text, Unknown):
            return UNKNOWN
        if out:
            out.append(Segment(" ", None))
        out.extend([Segment(mark, None), *[Segment(escape(s.text), s.origin, s.value) for s in text.segments],
                    Segment(mark, None)])
    return Rich(out)


def _indent(leading: bool) -> Function:
    def wrapped(ev: Evaluator, width: object, value: object) -> object:
        count = plain(width)
        if not isinstance(count, int) or isinstance(count, bool):
            return UNKNOWN_BLOCK
        if not 0 <= count <= MAX_INDENT:
            raise Budget(f"indent of {count} columns")
        text = value if isinstance(value, Rich) else _text(ev, value)
        if isinstance(text, Unknown):
            return Unknown(True, count)
        return text.indent(count, leading)
    return wrapped


def _include(ev: Evaluator, name: object, argument: object = None) -> object:
    return ev.include(plain(name) if not isinstance(name, Unknown) else name, argument)


def _to_yaml(ev: Evaluator, value: object) -> object:
    return to_yaml(value, ev.values_path)


def _required(ev: Evaluator, *args: object) -> object:
    return args[-1] if args else UNKNOWN


_VERB = lazy(r"%([-+# 0-9.]*)([a-zA-Z%])")


def _printf(ev: Evaluator, form: object, *args: object) -> object:
    if isinstance(form, Unknown) or any(isinstance(a, Unknown) for a in args):
        return UNKNOWN
    pattern = go_string(plain(form))
    out: list[Segment] = []
    position = index = 0
    for match in _VERB.finditer(pattern):
        out.append(Segment(pattern[position:match.start()], None))
        position = match.end()
        verb = match.group(2)
        if verb == "%":
            out.append(Segment("%", None))
            continue
        if index >= len(args) or verb not in "sdvq" or match.group(1):
            return UNKNOWN
        text = _text(ev, args[index])
        index += 1
        if isinstance(text, Unknown):
            return UNKNOWN
        out.extend((Rich.plain('"') + text + Rich.plain('"')).segments if verb == "q" else text.segments)
    out.append(Segment(pattern[position:], None))
    return Rich(out)


def _print(ev: Evaluator, *args: object) -> object:
    out = Rich()
    for arg in args:
        text = _text(ev, arg)
        if isinstance(text, Unknown):
            return UNKNOWN
        out = out + text
    return out


def _get(ev: Evaluator, container: object, key: object) -> object:
    if isinstance(container, Unknown) or isinstance(key, Unknown):
        return UNKNOWN
    name = go_string(plain(key))
    if isinstance(container, YNode):
        return container.get(name) if container.is_map else None
    if isinstance(container, dict):
        return container.get(name)
    return UNKNOWN


def _has_key(ev: Evaluator, container: object, key: object) -> object:
    if isinstance(container, Unknown) or isinstance(key, Unknown):
        return UNKNOWN
    name = go_string(plain(key))
    if isinstance(container, YNode):
        return container.is_map and container.get(name) is not None  # a key with a null value is a key (a YNode)
    if isinstance(container, dict):
        return name in container
    return UNKNOWN


def _index(ev: Evaluator, container: object, *keys: object) -> object:
    for key in keys:
        if isinstance(container, Unknown) or isinstance(key, Unknown):
            return UNKNOWN
        if (isinstance(container, YNode) and container.is_seq) or isinstance(container, list):
            items = container.list() if isinstance(container, YNode) else container
            position = plain(key)
            container = items[position] if isinstance(position, int) and 0 <= position < len(items) else UNKNOWN
        else:
            container = _get(ev, container, key)
    return container


def _first(ev: Evaluator, items: object) -> object:
    return _index(ev, items, 0) if truth(items) else None


def _dict(ev: Evaluator, *args: object) -> object:
    out: dict[str, object] = {}
    for index in range(0, len(args) - 1, 2):
        key = args[index]
        if isinstance(key, Unknown):
            return UNKNOWN
        out[go_string(plain(key))] = args[index + 1]
    return out


def _list(ev: Evaluator, *args: object) -> object:
    return list(args)


def _compare(operator: Callable[[object, object], bool]) -> Function:
    @_strict
    def compare(left: object, right: object) -> object:
        if isinstance(left, (int, float)) and isinstance(right, (int, float)):
            return operator(left, right)
        return operator(go_string(left), go_string(right))
    return compare


def _to_int(value: object) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return int(value)
    text = go_string(value).strip()
    try:
        return int(float(text)) if text else 0
    except ValueError:
        return 0


def _trunc(count: object, text: str) -> str:
    number = int(count) if isinstance(count, (int, float)) else 0
    return text[:number] if number >= 0 else text[number:]


FUNCTIONS: dict[str, Function] = {
    "default": _default, "and": _and, "or": _or, "not": _not, "empty": _empty, "coalesce": _coalesce,
    "ternary": _ternary, "quote": _quote, "squote": _squote, "nindent": _indent(True), "indent": _indent(False),
    "include": _include, "toYaml": _to_yaml, "required": _required, "printf": _printf, "print": _print,
    "get": _get, "index": _index, "first": _first, "hasKey": _has_key, "dict": _dict, "list": _list,
    "eq": _compare(lambda a, b: a == b), "ne": _compare(lambda a, b: a != b),
    "lt": _compare(lambda a, b: a < b), "le": _compare(lambda a, b: a <= b),  # type: ignore[operator]  # same-typed operands
    "gt": _compare(lambda a, b: a > b), "ge": _compare(lambda a, b: a >= b),  # type: ignore[operator]  # same-typed operands
    "int": _strict(_to_int), "int64": _strict(_to_int), "toString": _string_op(lambda s: s),
    "trim": _string_op(str.strip), "lower": _string_op(str.lower), "upper": _string_op(str.upper),
    "trimSuffix": _string_op(lambda suffix, s: s[: -len(suffix)] if suffix and s.endswith(suffix) else s),
    "trimPrefix": _string_op(lambda prefix, s: s[len(prefix):] if prefix and s.startswith(prefix) else s),
    "trunc": _string_op(_trunc), "replace": _string_op(lambda old, new, s: s.replace(old, new)),
    "b64enc": _string_op(lambda s: base64.b64encode(s.encode()).decode()),
    "sha256sum": _strict(lambda s: hashlib.sha256(go_string(s).encode()).hexdigest()),
    "len": _strict(lambda v: len(v) if isinstance(v, (str, list, dict)) else 0),
    "contains": _strict(lambda needle, hay: go_string(needle) in go_string(hay)),
    "hasPrefix": _strict(lambda prefix, s: go_string(s).startswith(go_string(prefix))),
    "hasSuffix": _strict(lambda suffix, s: go_string(s).endswith(go_string(suffix))),
    "kindIs": _strict(lambda kind, v: {"map": dict, "slice": list, "string": str, "bool": bool}.get(kind, type(None))
                      is type(v) if kind != "invalid" else v is None),
    "join": _strict(lambda sep, items: go_string(sep).join(go_string(i) for i in items) if isinstance(items, list)
                    else go_string(items)),
    "cat": _strict(lambda *items: " ".join(go_string(i) for i in items if i is not None)),
    "add": _strict(lambda *n: sum(_to_int(i) for i in n)),
    "sub": _strict(lambda a, b: _to_int(a) - _to_int(b)),
    "until": _strict(lambda n: list(range(min(_to_int(n), MAX_UNTIL)))),
    "lookup": lambda ev, *args: {},  # `helm template` has no cluster: lookup returns an empty map
}
