"""Nesting limits checked before a recursive parser (tomllib, json) sees a file: a file nested
100,000 deep is PC000 "too deep", never a RecursionError."""
from __future__ import annotations

from prodcheck.parsing import ParseError

from prodcheck.limits import MAX_DEPTH


def check_depth(text: str, limit: int = MAX_DEPTH, what: str = "file") -> None:
    """Raise ParseError when brackets or braces nest deeper than `limit` (strings are skipped:
    "…" with backslash escapes, and '…' as TOML writes literal strings)."""
    if text.count("[") + text.count("{") <= limit:
        return  # the common case, at C speed
    depth = 0
    line = 1
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char in "[{":
            depth += 1
            if depth > limit:
                raise ParseError(f"{what} nested too deep (more than {limit} levels)", line)
        elif char in "]}":
            depth = max(0, depth - 1)
        elif char == "\n":
            line += 1
        elif char == '"' or char == "'":
            end = index + 1
            while end < length and text[end] != char and text[end] != "\n":
                end += 2 if text[end] == "\\" and char == '"' else 1
            index = end
        elif char == "#" and what == "TOML":
            end = text.find("\n", index)
            index = length if end < 0 else end - 1
        index += 1
