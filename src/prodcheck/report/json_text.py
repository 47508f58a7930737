"""`json.dumps(value, indent=2)`, the same text, mostly through the C encoder.

With an `indent`, the standard library encodes through nested Python generators, one per container
and several calls per value: a report of ~7,000 findings (4 MB) took 0.06 s of a 2.8 s infra scan.
The C encoder writes no indentation, but a mapping whose values are all scalars or empty containers
(nearly every finding) has its items on lines of one indent: the C encoder writes it with that line
break and indent as the item separator, and the braces get theirs around it. Other containers are
joined here item by item, their strings escaped by the C escaper `json.dumps` itself uses
(`encode_basestring_ascii`, the default `ensure_ascii=True`). A value of another type than those a
report holds (str, int, bool, None, list, tuple, dict with string keys) is handed to `json.dumps`
whole, so the text never differs.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from itertools import compress
from typing import Any
from json.encoder import encode_basestring_ascii  # the C escaper

_CONTAINERS = frozenset({list, tuple, dict})
_FLAT_TYPES = frozenset({str, int, bool, type(None), *_CONTAINERS})


class _Unsupported(Exception):
    """A value this writer does not encode itself (a float, a key that is no string)."""


def dumps_indented(value: object) -> str:
    """The text of `json.dumps(value, indent=2)`."""
    try:
        return _encode(value, "\n")
    except _Unsupported:
        return json.dumps(value, indent=2)


_FLAT: dict[str, Callable[[object], str]] = {}


def _flat_encoder(inner: str) -> Callable[[object], str]:
    """The C encoder that separates items by a line break and the indent `inner` says."""
    encode = _FLAT.get(inner)
    if encode is None:
        encode = _FLAT[inner] = json.JSONEncoder(separators=("," + inner, ": ")).encode
    return encode


def _encode(value: Any, newline: str) -> str:  # any JSON value, dispatched on its exact type
    """`value` at the nesting whose line start (a newline and the indent) is `newline`."""
    kind = type(value)
    if kind is str:
        return encode_basestring_ascii(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    if kind is dict:
        if not value:
            return "{}"
        inner = newline + "  "
        values = value.values()
        # Every value of a type written here, and none a non-empty container (tested without a Python frame per
        # value): one line per item. (A subclass of dict or list, which the C encoder would write on one line, or
        # a float, goes the item by item way, where it is handed to `json.dumps` whole.)
        if set(map(type, values)) <= _FLAT_TYPES and not any(compress(values, map(_CONTAINERS.__contains__,
                                                                                     map(type, values)))):
            return "{" + inner + _flat_encoder(inner)(value)[1:-1] + newline + "}"
        parts = []
        for key, item in value.items():
            if type(key) is not str:
                raise _Unsupported  # json.dumps writes a number or null key as a string
            parts.append(encode_basestring_ascii(key) + ": " + _encode(item, inner))
        return "{" + inner + ("," + inner).join(parts) + newline + "}"
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        inner = newline + "  "
        return "[" + inner + ("," + inner).join([_encode(item, inner) for item in value]) + newline + "]"
    raise _Unsupported
