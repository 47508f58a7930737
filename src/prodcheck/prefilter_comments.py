"""Where a byte of a Python file is in a comment, without parsing it: the prefilter (prefilter.py) lets no needle count
in a comment, which the parser drops and no rule reads. Linear in the file whatever it holds (hostile input): the
triple quotes are matched once, forward (`Comments`). Where in doubt, a byte is not in a comment."""
from __future__ import annotations

_BACKSLASH = ord("\\")
_TRIPLE_QUOTES = (b'"""', b"'''")


def in_comment(data: bytes, at: int) -> bool:
    """The byte at `at` is in a comment, which no rule reads (the parser drops it; pragmas are read from every file,
    parsed or not): after the first `#` of its line, with no quote before that `#` (one after a quote may be in a
    string, and so may a line a backslash continues), on a line in no triple-quoted string (`open_quote`: a `#` line
    there is the string's text, which a rule may read: a URL, a statement). Where in doubt, not in a comment."""
    return Comments(data).end(at) != -1


class Comments:
    """`in_comment` for offsets asked in increasing order: the triple quotes are matched once, from where the last
    question left them, so a file's questions cost one pass over it."""

    __slots__ = ("data", "position", "quote")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0  # the triple quotes are matched up to here ...
        self.quote: bytes | None = None  # ... where this one is open

    def end(self, at: int) -> int:
        """Where the comment holding `at` ends (its line's break, or the file's end), or -1 when `at` is in none."""
        data = self.data
        line = data.rfind(b"\n", 0, at) + 1
        mark = data.find(b"#", line, at)
        if mark == -1 or not comment_at(data, line, mark):
            return -1
        if line > self.position:
            self.position, self.quote = open_quote(data, self.position, self.quote, line)
        if self.quote is not None:
            return -1
        after = data.find(b"\n", at)
        return len(data) if after == -1 else after


def comment_at(data: bytes, line: int, mark: int) -> bool:
    """The first `#` of the line starting at `line`, at `mark`, starts a comment if that line is not in a string."""
    before = data[line:mark]
    if b'"' in before or b"'" in before:
        return False
    end = line - 1  # the line break before the line (`\r\n` too): a backslash before it continues a line
    if end > 0 and data[end - 1] == 13:
        end -= 1
    return not (end > 0 and data[end - 1] == _BACKSLASH)


def open_quote(data: bytes, position: int, quote: bytes | None, end: int) -> tuple[int, bytes | None]:
    """Match the triple quotes from `position` (where `quote` is open, or none) to `end`, each opening a string or
    closing the one open: where the matching stopped, and the quote open at `end`."""
    find = data.find
    while True:
        if quote is None:
            double, single = find(_TRIPLE_QUOTES[0], position, end), find(_TRIPLE_QUOTES[1], position, end)
            if double == -1 and single == -1:
                return end, None
            position, quote = (double, _TRIPLE_QUOTES[0]) if single == -1 or (double != -1 and double < single) \
                else (single, _TRIPLE_QUOTES[1])
            position += 3
        else:
            closed = find(quote, position, end)
            if closed == -1:
                return end, quote
            position, quote = closed + 3, None


def without_comments(data: bytes) -> bytes:
    """The file with every comment (`in_comment`) cut out, each line break kept: its needles are the file's that
    count outside comments, but for what `_counts` reads of the whole file (`needle_unless`, `needle_with`)."""
    find = data.find
    kept: list[bytes] = []
    start, position, quote = 0, 0, None
    mark = find(b"#")
    while mark != -1:
        line = data.rfind(b"\n", 0, mark) + 1
        position, quote = open_quote(data, position, quote, line)
        end = find(b"\n", mark)
        if quote is None and find(b"#", line, mark) == -1 and comment_at(data, line, mark):
            kept.append(data[start:mark])
            start = len(data) if end == -1 else end
        mark = -1 if end == -1 else find(b"#", end)
    if not kept:
        return data
    kept.append(data[start:])
    return b"".join(kept)
