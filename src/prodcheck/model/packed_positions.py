"""A Value's position packed in one int (`pack_position`), and read back as a Span (`unpack_position`)."""
from __future__ import annotations

from prodcheck.model.finding import Span


# A Value's position is one int, not a `Span`: a million Values hold a million positions, and a Span
# (a 4-tuple, 88 bytes with its garbage-collector header, plus an int object for every line past 256)
# is more than twice one int packing its four numbers. The int stays under 2**60, two of CPython's
# 30-bit digits (32 bytes; a third digit makes it 36, which the allocator rounds up to 48: 14 MiB on
# the bench corpus): 16 bits for the line (a Python file is read up to 50,000 lines, limits.py), 16
# for each column, 12 for how many lines past its first the expression ends. Anything larger is
# stored as the Span itself. Line first, then column, end line, end column: packed positions order
# like Spans.
_LINE_BITS, _COLUMN_BITS, _END_LINE_BITS = 16, 16, 12
LINE_LIMIT, COLUMN_LIMIT, END_LINE_LIMIT = 1 << _LINE_BITS, 1 << _COLUMN_BITS, 1 << _END_LINE_BITS
END_LINE_SHIFT = _COLUMN_BITS
COLUMN_SHIFT = END_LINE_SHIFT + _END_LINE_BITS
LINE_SHIFT = COLUMN_SHIFT + _COLUMN_BITS


def pack_position(line: int, column: int, end_line: int, end_column: int) -> int | Span:
    """The `at` of a Value: the four numbers of an exact Span (`Span.exact`) in one int."""
    lines = end_line - line
    if line < LINE_LIMIT and 0 <= lines < END_LINE_LIMIT and column < COLUMN_LIMIT and end_column < COLUMN_LIMIT:
        return line << LINE_SHIFT | column << COLUMN_SHIFT | lines << END_LINE_SHIFT | end_column
    return Span.exact(line, column, end_line, end_column)


def unpack_position(at: int | Span) -> Span:
    if type(at) is not int:
        return at  # type: ignore[return-value]  # a Span (too large to pack, or built by a rule)
    line = at >> LINE_SHIFT
    return tuple.__new__(Span, (line, at >> COLUMN_SHIFT & (COLUMN_LIMIT - 1),
                                line + (at >> END_LINE_SHIFT & (END_LINE_LIMIT - 1)), at & (COLUMN_LIMIT - 1)))
