"""Where a node is, as the facts keep it: 1-based character columns from `ast`'s UTF-8 byte offsets, a
Value's four numbers packed in one int (`Value.at`), and line numbers as shared int objects."""
from __future__ import annotations

import ast
from itertools import compress, count
from operator import not_

from prodcheck.model.packed_positions import COLUMN_LIMIT, COLUMN_SHIFT, END_LINE_LIMIT, END_LINE_SHIFT, LINE_LIMIT, \
    LINE_SHIFT, pack_position
from prodcheck.model.finding import Span

_new_tuple = tuple.__new__
_NONE: frozenset[int] = frozenset()


class Positions:
    """ast columns are UTF-8 byte offsets; the output wants 1-based character columns."""

    def __init__(self, source: bytes) -> None:
        # One int object per line number for the whole file: Python shares only those up to 256, and
        # every span holds two. (Only an identity: the int of a line's first span stands for the line.) Kept
        # for the lines spans are made on: most files record few spans (URL literals, classes), or none, and
        # an int made for every line of a file (a list) cost more than the spans themselves.
        self._ints: dict[int, int] = {}
        # Lines holding a non-ASCII byte, found once: most files have none, and checking the line
        # on every node costs as much as the line is long (generated data files have huge ones).
        # Only such a file needs its lines (a bytes object per line: not made for the others).
        self._lines: list[bytes] = [] if source.isascii() else source.splitlines()
        self._wide: frozenset[int] = frozenset(  # the numbers of those lines, in C: no Python step per line
            compress(count(1), map(not_, map(bytes.isascii, self._lines)))) if self._lines else _NONE
        # On any other line `at` is the packed byte offsets plus one (ValueBuilder._compute_value inlines it).
        self.wide_lines: frozenset[int] | None = self._wide

    def column(self, line: int, byte_offset: int) -> int:
        if line in self._wide:
            return len(self._lines[line - 1][:byte_offset].decode("utf-8", "replace")) + 1
        return byte_offset + 1

    def span(self, node: ast.AST) -> Span:
        line = node.lineno  # type: ignore[attr-defined]  # positioned nodes only (expr, stmt, arg)
        end_line = node.end_lineno or line  # type: ignore[attr-defined]  # positioned nodes only (expr, stmt, arg)
        col, end_col = node.col_offset, node.end_col_offset or 0  # type: ignore[attr-defined]  # positioned nodes only (expr, stmt, arg)
        if end_line > 256:  # up to 256 Python shares the int objects itself
            shared = self._ints.setdefault
            if line > 256:
                line = shared(line, line)
            end_line = shared(end_line, end_line)
        wide = self._wide
        if wide:
            if line in wide:
                col = len(self._lines[line - 1][:col].decode("utf-8", "replace"))
            if end_line in wide:
                end_col = len(self._lines[end_line - 1][:end_col].decode("utf-8", "replace"))
        if end_line == line and end_col < col:
            end_col = col
        return _new_tuple(Span, (line, col + 1, end_line, end_col + 1))


    def at(self, node: ast.AST) -> int | Span:
        """The position of a Value (`Value.at`): `span`'s four numbers packed in one int."""
        line = node.lineno  # type: ignore[attr-defined]  # positioned nodes only (expr, stmt, arg)
        end_line = node.end_lineno or line  # type: ignore[attr-defined]  # positioned nodes only (expr, stmt, arg)
        col, end_col = node.col_offset, node.end_col_offset or 0  # type: ignore[attr-defined]  # positioned nodes only (expr, stmt, arg)
        wide = self._wide
        if wide:
            if line in wide:
                col = len(self._lines[line - 1][:col].decode("utf-8", "replace"))
            if end_line in wide:
                end_col = len(self._lines[end_line - 1][:end_col].decode("utf-8", "replace"))
        if end_line == line and end_col < col:
            end_col = col
        lines = end_line - line
        # `pack_position` inlined, its limits and shifts written as numbers (asserted below): this runs for
        # every Value, and the names were a global load each. The shifts are written as products and sums, the
        # same number within the limits: the line and start column (`line << 16 | col + 1`, below line 16384)
        # and the lines and end column (`lines << 16 | end_col + 1`, under 2 ** 28) are one-digit ints, made by
        # the interpreter's int-specialised `*` and `+` (a shift or an `|` is a generic call); the last product
        # and the `|` joining the halves are the two-digit steps. Joined with `|`, never `+`: an int sum is
        # allocated one digit longer than its result needs, and a million positions kept that digit (17 MiB of
        # a cold scan's peak).
        if line < 65536 and 0 <= lines < 4096 and col < 65535 and end_col < 65535:
            return (line * 65536 + col + 1) * 268435456 | lines * 65536 + end_col + 1
        return pack_position(line, col + 1, end_line, end_col + 1)  # too large to pack: a Span


assert (LINE_LIMIT, END_LINE_LIMIT, COLUMN_LIMIT) == (65536, 4096, 65536)
assert (LINE_SHIFT, COLUMN_SHIFT, END_LINE_SHIFT) == (44, 28, 16)
