"""Reading files once: bytes -> text or a PC000 reason, and parsed views by kind."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from prodcheck.model.files import Context, FileKind
from prodcheck.limits import MAX_FILE_BYTES as MAX_BYTES
from prodcheck.limits import max_bytes, max_line_chars, max_lines, too_large
from prodcheck.parsing import ParseError
from prodcheck.safe_read import UnsafeFile, read_bytes


@dataclass(slots=True)
class SourceFile:
    path: str  # POSIX, relative to the root
    kind: FileKind | str  # a str for a kind its parser module declares (parsing/kinds.py)
    context: Context
    data: bytes | None = None
    text: str | None = None
    error: ParseError | None = None
    views: dict[str, object] = field(default_factory=dict)
    context_reason: str = ""  # why the file has its context (SPEC section 4), repeated by findings

    @property
    def lines(self) -> list[str]:
        cached = self.views.get("_lines")
        if cached is None:
            cached = (self.text or "").splitlines()
            self.views["_lines"] = cached
        return cached  # type: ignore[return-value]  # the "_lines" view is always a list[str]

    def line(self, number: int) -> str:
        lines = self.lines
        return lines[number - 1] if 0 < number <= len(lines) else ""


def read_source(root: Path, path: str, kind: FileKind | str, context: Context) -> SourceFile:
    source = SourceFile(path, kind, context)
    if kind == FileKind.LOCKFILE:
        return source  # only its existence matters; lock files can be large
    full = os.path.join(root, path)
    try:
        # One open, non-blocking, checked on the descriptor: a FIFO or device never blocks, a link
        # swapped after the walk never leads outside the root.
        data = read_bytes(full, MAX_BYTES, follow=True, inside=root)
    except UnsafeFile as error:
        source.error = ParseError(error.reason)
        return source
    except OSError as error:
        broken = os.path.islink(full) and not os.path.exists(full)
        source.error = ParseError("symbolic link that does not resolve (missing target or a loop)" if broken
                                  else f"cannot read file: {error.strerror or error}")
        return source
    # The per-file budget (limits.py): a file over it is PC000 "too large", the run goes on.
    if len(data) > max_bytes(str(kind)):
        source.error = ParseError(too_large("bytes", len(data), max_bytes(str(kind))))
        return source
    lines = data.count(b"\n")
    if lines > max_lines(str(kind)):
        source.error = ParseError(too_large("lines", lines, max_lines(str(kind))))
        return source
    longest = max_line_chars(str(kind))
    if longest is not None and len(data) > longest:
        for number, line in enumerate(data.split(b"\n"), 1):
            if len(line) > longest:
                source.error = ParseError(f"file too large to analyse: line {number} has {len(line):,} characters, "
                                          f"more than the budget of {longest:,} (not checked; see Limits in the "
                                          "README)", number)
                return source
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_without_bom(data[:8192]):
        source.error = ParseError("file is UTF-16 encoded, not UTF-8: not checked (save it as UTF-8 for the tools "
                                  "that read it, and for prodcheck)")
        return source
    if b"\0" in data[:8192]:
        source.error = ParseError("binary file where a text file was expected")
        return source
    source.data = data
    if kind in (FileKind.PYTHON, FileKind.GUNICORN_CONF):
        return source  # decoded by the Python parser itself (PEP 263 encoding cookies)
    try:
        source.text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        source.error = ParseError("file is not valid UTF-8", line)
    return source


def _utf16_without_bom(head: bytes) -> bool:
    """ASCII text stored as UTF-16: every other byte is NUL."""
    if len(head) < 4:
        return False
    pairs = len(head) // 2
    even, odd = head[0:pairs * 2:2], head[1:pairs * 2:2]
    return even.count(0) == pairs or odd.count(0) == pairs
