"""The values a static Helm rendering computes with, and where each piece of text came from.

A value is a `YNode` of the chart's values.yaml (so a rendered line can point back at the
values.yaml line a user edits), a plain Python value computed by the template, `Rich` text (a
string whose pieces remember their origin), or `UNKNOWN` (something only a real render knows:
`tpl`, `.Files`, `lookup`, a function we do not model). Go template truth rules apply: false, 0,
nil and empty strings, maps and lists are false; UNKNOWN's truth is unknown (None).
"""
from __future__ import annotations

import json
from decimal import Decimal

from prodcheck.model.finding import Location
from prodcheck.model.record import slotted
from prodcheck.parsing.yaml import YNode


class Unknown:
    """A value only a real render knows. `block`: it would have been emitted as YAML lines."""

    __slots__ = ("block", "width")

    def __init__(self, block: bool = False, width: int | None = None) -> None:
        self.block = block
        self.width = width  # the indentation it would have had (`nindent 12`), when known

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()
UNKNOWN_BLOCK = Unknown(True)
# What an unknown scalar renders as: Kubernetes' own `$(VAR)` expansion syntax, which every rule
# already reads as "not a literal" (never a credential, never a tag).
PLACEHOLDER = "$(helm-unknown)"


@slotted
class Segment:
    text: str
    origin: Location | None  # a values.yaml node, or None (template text: placed by the renderer)
    value: bool = False  # came from values.yaml


class Rich:
    """Text whose pieces remember the values.yaml node they came from."""

    __slots__ = ("segments",)

    def __init__(self, segments: list[Segment] | None = None) -> None:
        self.segments = segments or []

    @classmethod
    def plain(cls, text: str, origin: Location | None = None, value: bool = False) -> Rich:
        return cls([Segment(text, origin, value)])

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)

    def __bool__(self) -> bool:
        return bool(self.text)

    def __add__(self, other: Rich) -> Rich:
        return Rich(self.segments + other.segments)

    def origin(self) -> Location | None:
        found = [s.origin for s in self.segments if s.value and s.origin is not None and s.text.strip()]
        return found[-1] if found else None

    def indent(self, width: int, leading_newline: bool) -> Rich:
        pad = " " * width
        out = [Segment(("\n" if leading_newline else "") + pad, None)]
        for segment in self.segments:
            out.append(Segment(segment.text.replace("\n", "\n" + pad), segment.origin, segment.value))
        return Rich(out)


def truth(value: object) -> bool | None:
    if isinstance(value, Unknown):
        return None
    if isinstance(value, YNode):
        if value.is_map or value.is_seq:
            return bool(value.value)
        scalar = typed_scalar(value)
        return bool(scalar)
    if isinstance(value, Rich):
        return bool(value.text)
    return bool(value)


def typed_scalar(node: YNode) -> object:
    """A values.yaml scalar as Helm sees it (YAML 1.1 booleans, numbers, null)."""
    tag = node.tag or ""
    if tag.endswith(":null") or node.value is None:
        return None
    text = str(node.value)
    if tag.endswith(":bool"):
        return node.as_bool()
    if tag.endswith(":int"):
        number = node.as_int()
        return number if number is not None else text
    if tag.endswith(":float"):
        try:
            return float(text)
        except ValueError:
            return text
    return text


def plain(value: object) -> object:
    """A value as plain Python data (maps and lists of values.yaml converted), UNKNOWN kept."""
    if isinstance(value, YNode):
        if value.is_map:
            return {k: plain(v) for k, v in value.entries()}
        if value.is_seq:
            return [plain(v) for v in value.list()]
        return typed_scalar(value)
    if isinstance(value, Rich):
        return value.text
    return value


def go_string(value: object) -> str:
    """How `{{ value }}` prints a plain value."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_string(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_string(v) for v in value) + "]"
    return str(value)


def _go_float(value: float) -> str:
    """A float as Go's `%v` prints it: the shortest digits that read back, in exponent form when
    the exponent is below -4 or at least 6 (strconv's shortest %g): 2, 0.5, 123456, 1e+06, 1.5e-05."""
    if value != value or value in (float("inf"), float("-inf")):
        return "NaN" if value != value else ("+Inf" if value > 0 else "-Inf")
    if value == 0:
        return "0"
    _, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(str(d) for d in digits)
    point = len(text) + int(exponent)  # where the decimal point goes in the digits
    sign = "-" if value < 0 else ""
    if point - 1 < -4 or point - 1 >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{sign}{mantissa}e{'-' if point - 1 < 0 else '+'}{abs(point - 1):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{text}"
    if point >= len(text):
        return sign + text + "0" * (point - len(text))
    return f"{sign}{text[:point]}.{text[point:]}"


def to_rich(value: object, path: str) -> Rich | Unknown:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Rich):
        return value
    if isinstance(value, YNode):
        if value.is_scalar:
            return Rich.plain(go_string(typed_scalar(value)), Location(value.origin or path, value.span), True)
        return Rich.plain(go_string(plain(value)), Location(value.origin or path, value.span), True)
    return Rich.plain(go_string(value))


# ---------------------------------------------------------------- toYaml

_PLAIN_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./")


def _scalar_yaml(value: object, quoted: bool) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (int, float)) and not quoted:
        return go_string(value)
    text = str(value)
    if text and not quoted and _PLAIN_SAFE.issuperset(text) and not text[0] in "-." \
            and text.lower() not in ("true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"):
        try:
            float(text)
        except ValueError:
            return text
    return json.dumps(text)


def _yaml_lines(value: object, path: str, out: list[tuple[str, Location | None]], indent: int,
                origin: Location | None) -> None:
    pad = " " * indent
    if isinstance(value, YNode):
        here = Location(value.origin or path, value.span)
        if value.is_map:
            if not value.value:
                out.append((pad + "{}", here))
            for key, item in sorted(value.entries(), key=lambda entry: entry[0]):  # Go marshals maps sorted
                _child(f"{pad}{_scalar_yaml(key, False)}:", item, path, out, indent, Location(item.origin or path, item.span))
        elif value.is_seq:
            if not value.value:
                out.append((pad + "[]", here))
            for item in value.list():  # an item's lines are placed by its own nodes: the dash has no line of its own
                _child(f"{pad}-", item, path, out, indent, None)
        else:
            out.append((pad + _scalar_yaml(typed_scalar(value), value.style in ("'", '"')), here))
        return
    if isinstance(value, dict):
        if not value:
            out.append((pad + "{}", origin))
        for key in sorted(value):
            _child(f"{pad}{_scalar_yaml(key, False)}:", value[key], path, out, indent, origin)
    elif isinstance(value, list):
        if not value:
            out.append((pad + "[]", origin))
        for item in value:
            _child(f"{pad}-", item, path, out, indent, origin)
    else:
        out.append((pad + _scalar_yaml(plain(value), isinstance(value, (str, Rich))), origin))


def _child(head: str, item: object, path: str, out: list[tuple[str, Location | None]], indent: int,
           origin: Location | None) -> None:
    compound = (isinstance(item, YNode) and not item.is_scalar and item.value) or \
        (isinstance(item, (dict, list)) and item)
    if not compound:
        inner: list[tuple[str, Location | None]] = []
        _yaml_lines(item, path, inner, 0, origin)
        out.append((f"{head} {inner[0][0]}", inner[0][1]))
        return
    if head.endswith("-"):  # a list item: its first line goes on the dash
        inner = []
        _yaml_lines(item, path, inner, 0, origin)
        out.append((f"{head} {inner[0][0]}", inner[0][1]))
        out.extend((" " * (len(head) + 1) + text, where) for text, where in inner[1:])
        return
    out.append((head, origin))
    listed = (isinstance(item, YNode) and item.is_seq) or isinstance(item, list)
    _yaml_lines(item, path, out, indent if listed else indent + 2, origin)  # yaml.v2: a list under its key unindented


def to_yaml(value: object, path: str) -> Rich | Unknown:
    if isinstance(value, Unknown):
        return UNKNOWN_BLOCK
    if isinstance(value, Rich):
        return value
    if has_unknown(value):
        return UNKNOWN_BLOCK
    lines: list[tuple[str, Location | None]] = []
    _yaml_lines(value, path, lines, 0, None)
    segments = []
    for index, (text, where) in enumerate(lines):
        segments.append(Segment(("\n" if index else "") + text, where, where is not None))
    return Rich(segments)


def has_unknown(value: object) -> bool:
    """Whether UNKNOWN is anywhere inside a plain value (a dict or list built by the template)."""
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False
