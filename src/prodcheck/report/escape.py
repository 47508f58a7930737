"""The one escaping function of the report boundary: text from a scanned file never reaches a
terminal, a CI log or a viewer as control sequences.

Every string that can carry a scanned file's content (paths, messages quoting values, code frames,
labels) goes through `visible` in the human formats (text, github, junit) and the stderr
messages; the JSON formats escape every control character themselves (`ensure_ascii`). C0
controls except tab, DEL and C1 controls become `\\xNN` (ESC, OSC 8 links and titles, `ESC[2J`,
8-bit CSI `\\x9b`), and the bidirectional overrides of "Trojan Source" become `\\uNNNN`. A
backslash is left as it is: the output is for reading, not for parsing back.
"""
from __future__ import annotations

import re

from prodcheck.model.finding import Finding, Location
from prodcheck.lazy_pattern import lazy

_CONTROL = lazy("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with every control character shown as an escape."""
    return _CONTROL.sub(_escape, text)


def location(where: Location) -> Location:
    return Location(visible(where.path), where.span, visible(where.label))


def finding(found: Finding) -> Finding:
    """The finding with its path, message and related locations made visible."""
    from dataclasses import replace

    return replace(found, message=visible(found.message), location=location(found.location),
                   related=tuple(location(r) for r in found.related))
