"""Turning a rewritten file back into the one currency of fixes: an `Edit` on an exact span.

The structured editors (libcst for Python, ruamel.yaml round-trip for YAML) produce a whole new
text; a fix carries only the region that changed, so fixes of one file compose, `--diff` shows
what moves, and the JSON can say where.
"""
from __future__ import annotations

import difflib

from prodcheck.model.finding import Edit, Span
from prodcheck.lazy_pattern import lazy

# A value that reads back as the same string in any scalar style: an image reference, a version.
_PLAIN_WORD = lazy(r"[A-Za-z0-9][A-Za-z0-9._/:@+-]*")


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset."""
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


def minimal_edit(path: str, before: str, after: str) -> Edit | None:
    """The single edit that turns `before` into `after`: common prefix and suffix left alone."""
    if before == after:
        return None
    limit = min(len(before), len(after))
    prefix = 0
    while prefix < limit and before[prefix] == after[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and before[len(before) - 1 - suffix] == after[len(after) - 1 - suffix]:
        suffix += 1
    start = position(before, prefix)
    stop = position(before, len(before) - suffix)
    return Edit(path, Span.exact(start[0], start[1], stop[0], stop[1]), after[prefix:len(after) - suffix])


def edit_within(path: str, before: str, after: str, first: int, last: int) -> Edit | None:
    """An edit taking from `after` only the changed lines that touch lines `first`..`last` (1-based).

    A round-trip dump may normalise things far from the change (a document marker, an
    indentation elsewhere); those are not the fix's business and stay as the user wrote them.
    """
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    if old and not old[-1].endswith("\n") and new and new[-1].endswith("\n") and len(new) >= len(old):
        new[-1] = new[-1].rstrip("\n")  # the dump adds a final newline the file did not have
    low, high = first - 1, last  # 0-based, half-open
    picked: list[tuple[int, int, int, int]] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        touches = (i1 < high and low < i2) if i1 < i2 else (low <= i1 <= high)
        if touches:
            if i1 < low or i2 > high:
                return None  # the rewrite spills over lines the fix is not about: not an exact edit
            picked.append((i1, i2, j1, j2))
    if not picked:
        return None
    i1, j1 = picked[0][0], picked[0][2]
    i2, j2 = picked[-1][1], picked[-1][3]
    region = minimal_edit(path, "".join(old[i1:i2]), "".join(new[j1:j2]))
    if region is None:
        return None
    span = region.span  # relative to line i1 + 1: shift it there
    return Edit(path, Span.exact(span.line + i1, span.column, span.end_line + i1, span.end_column), region.text)


def replace_scalar(path: str, text: str, span: Span, style: str | None, old: str, new: str) -> Edit | None:
    """A one-line YAML scalar `old` (plain, or quoted without escapes) replaced by `new` where it is
    written, as the round-trip dump would write it; None when that cannot be known from the text
    alone (the caller then goes through the round-trip loader).

    The round-trip reloads the whole file to change one value: PC203 paid a quarter of the infra
    scan for sixteen fixes. A value that is a plain word on its own line needs none of that."""
    if span.end_line != span.line or "\r" in text or style not in ("", None, "'", '"'):
        return None
    quote = style or ""
    if not _PLAIN_WORD.fullmatch(new) or not any(ch.isalpha() for ch in new) or "\\" in old or (quote and quote in old):
        return None
    lines = text.split("\n")
    if not 0 < span.line <= len(lines):
        return None
    line = lines[span.line - 1]
    start, stop = span.column - 1, span.end_column - 1
    if line[start:stop] != f"{quote}{old}{quote}":
        return None
    # The same edit `edit_within` takes from a dump that changed only this line.
    region = minimal_edit(path, line + "\n", f"{line[:start]}{quote}{new}{quote}{line[stop:]}\n")
    if region is None:
        return None
    found = region.span
    return Edit(path, Span.exact(span.line, found.column, span.line + found.end_line - 1, found.end_column),
                region.text)
