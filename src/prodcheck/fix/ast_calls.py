"""A keyword argument added to or removed from a call without libcst, for the layouts whose rewrite is one
insertion or one deletion.

libcst (fix/cst_calls.py) rewrites any call in its own layout, but importing it and parsing a file
with it cost more than analysing the whole file (13 MiB and 0.25 s for the import, of a 7,574-file
scan that needed two fixes). The calls rules fix are almost always written one of a few ways:
on one line (`create_engine(url)`), or one argument per line with or without a trailing comma. For
those, `ast` gives the arguments' exact positions and the text between them says the rest; the
result is the text libcst writes, character for character (tests/test_fix_ast_calls.py compares
the two on every layout). Anything else (a comment or a grouping parenthesis between arguments, a
line continuation, CRLF line ends, a lone generator argument) is `UNSURE`: libcst decides.
"""
from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Final

from prodcheck.extract.positions import Positions
from prodcheck.fix.text import minimal_edit
from prodcheck.model.finding import Fix
from prodcheck.lazy_pattern import lazy

if TYPE_CHECKING:
    from prodcheck.discovery.sources import SourceFile
    from prodcheck.model.facts import Value

_VIEW = "_fix_ast_calls"

UNSURE: Final = "unsure"  # the layout is not one this module reproduces exactly

# The text between two arguments: their comma, then blanks on the same line or a line break and
# the next argument's indentation (libcst's separator keeps neither a comment nor a blank line).
_BETWEEN_ON_LINE = lazy(r",([ \t]*)")
_BETWEEN_ACROSS = lazy(r",[ \t]*\n([ \t]*)")
# After the last argument, up to the closing parenthesis: blanks, or a trailing comma and a line break.
_BLANKS = lazy(r"[ \t\n]*")
_TRAILING_COMMA_ACROSS = lazy(r",[ \t]*\n[ \t]*")
_COMMA_AND_BLANKS = lazy(r"[ \t\n]*,[ \t\n]*")
# Between a keyword and its value.
_EQUALS = lazy(r"[ \t]*=[ \t]*")
# After the opening parenthesis, before a lone argument.
_OPENING_ACROSS = lazy(r"[ \t]*\n([ \t]*)")
_OPENING_ON_LINE = lazy(r"[ \t]*")


class _File:
    """A file's text as `ast` read it: its calls, and the text offsets of `ast` positions."""

    def __init__(self, data: bytes, text: str, calls: list[ast.Call], read: list[str] | None) -> None:
        self.text = text
        self.calls = calls
        self.read = read  # the lines `ast` read, when a rewrite of newer syntax made them (else the file's own)
        self.positions = Positions(data)  # character columns, as the extracted spans count them
        self.starts = [0]
        for line in text.split("\n"):
            self.starts.append(self.starts[-1] + len(line) + 1)

    def offset(self, line: int, column: int) -> int:
        """The text offset of an `ast` position (its columns count UTF-8 bytes within the line)."""
        return self.starts[line - 1] + self.positions.column(line, column) - 1

    def start(self, node: ast.expr | ast.keyword) -> int:
        return self.offset(node.lineno, node.col_offset)

    def end(self, node: ast.expr | ast.keyword) -> int:
        return self.offset(node.end_lineno or node.lineno, node.end_col_offset or 0)

    def call_at(self, call: Value) -> ast.Call | None:
        """The call libcst's `_call_at` picks (the one on the same lines, then the same end, then the same start
        column), when it is the extracted call exactly and `ast` read its lines as the file has them."""
        span = call.span
        if self.read is not None and self.read[span.line - 1:span.end_line] != \
                self.text.split("\n")[span.line - 1:span.end_line]:
            return None  # the rewrite moved the call's own lines: its positions are not the file's
        same = [(node, self.positions.span(node)) for node in self.calls
                if node.lineno == span.line and node.end_lineno == span.end_line]
        if len(same) > 1:
            same = [(node, at) for node, at in same if at.end_column == span.end_column]
            if len(same) > 1:
                same = [(node, at) for node, at in same if at.column == span.column]
        if len(same) != 1 or same[0][1] != span:
            return None
        return same[0][0]

    def opening(self, node: ast.Call) -> int | None:
        """The offset of the call's `(`: right after its function, blanks aside; None otherwise."""
        text = self.text
        at = self.end(node.func)
        while at < len(text) and text[at] in " \t":
            at += 1
        return at if at < len(text) and text[at] == "(" else None


def _parsed(source: SourceFile) -> _File | None:
    """The file as `ast` reads it, or through the line-for-line rewrite of syntax newer than the interpreter
    (extract/newer_syntax.py); parsed once per run, None when neither reads it."""
    if _VIEW in source.views:
        return source.views[_VIEW]  # type: ignore[return-value]  # stored below, always a _File or None
    result = None
    try:
        data = source.data or b""
        text = data.decode("utf-8")
        if "\r" not in text and not text.startswith("\ufeff"):
            read: list[str] | None = None
            try:
                tree = ast.parse(text)
            except SyntaxError:
                from prodcheck.extract.newer_syntax import parse_newer

                parsed = parse_newer(data, last_resort=False)
                if parsed is None:
                    raise
                tree, rewritten = parsed
                read = rewritten.decode("utf-8").split("\n")
            result = _File(data, text, [node for node in ast.walk(tree) if isinstance(node, ast.Call)], read)
    except (UnicodeDecodeError, SyntaxError, RecursionError, ValueError, MemoryError):
        result = None
    source.views[_VIEW] = result
    return result


def add_keyword(source: SourceFile, path: str, call: Value, name: str, value: str, *,
                safe: bool = True) -> Fix | str | None:
    """The fix appending `name=value` to a call, as fix/cst_calls.py's `add_keyword` makes it; None when
    that gives none either; `UNSURE` when libcst must decide."""
    file = _parsed(source)
    node = file.call_at(call) if file is not None else None
    if file is None or node is None:
        return UNSURE
    if any(isinstance(arg, ast.Starred) for arg in node.args) or any(k.arg is None or k.arg == name
                                                                     for k in node.keywords):
        return None  # the keyword is there, or `*args`/`**options` may carry it: libcst declines too
    if any(isinstance(arg, ast.GeneratorExp) for arg in node.args):
        return UNSURE  # `f(x for x in y)`: its parentheses are the call's
    rewritten = _with_keyword(file, node, f"{name}={value}")
    if rewritten is None:
        return UNSURE
    edit = minimal_edit(path, file.text, rewritten)
    return Fix(f"add `{name}={value}`", (edit,), safe=safe) if edit is not None else None


def _with_keyword(file: _File, node: ast.Call, keyword: str) -> str | None:
    """The file's text with `keyword` appended to the call as libcst appends it, or None for another layout."""
    text = file.text
    close = file.offset(node.end_lineno or node.lineno, (node.end_col_offset or 0) - 1)
    arguments: list[ast.expr | ast.keyword] = sorted([*node.args, *node.keywords],
                                                      key=lambda a: (a.lineno, a.col_offset))
    if text[close] != ")":
        return None
    if not arguments:
        return text[:close] + keyword + text[close:] if file.opening(node) == close - 1 else None
    separator = _separator(file, node, arguments)
    if separator is None:
        return None
    last_end = file.end(arguments[-1])
    after = text[last_end:close]
    if _BLANKS.fullmatch(after):
        # No trailing comma: the comma and the new argument go right after the last one, which keeps
        # what stood between it and `)`.
        return text[:last_end] + "," + separator + keyword + text[last_end:]
    if _TRAILING_COMMA_ACROSS.fullmatch(after) and "\n" in separator:
        # `f(\n    a,\n)`: the new argument comes after the trailing comma, on a line of its own, and
        # takes over that comma's line break before `)`.
        return text[:last_end + 1] + separator + keyword + "," + text[last_end + 1:]
    return None


def _separator(file: _File, node: ast.Call, arguments: list[ast.expr | ast.keyword]) -> str | None:
    """What libcst puts between the last argument's comma and the new one: the whitespace after the comma
    before the last argument, or, for a lone argument, a line break and its indentation when it stands on a
    line of its own, else one space. None for a layout with more in it (a comment, a parenthesis)."""
    if len(arguments) >= 2:
        between = file.text[file.end(arguments[-2]):file.start(arguments[-1])]
        on_line = _BETWEEN_ON_LINE.fullmatch(between)
        if on_line:
            return on_line.group(1)
        across = _BETWEEN_ACROSS.fullmatch(between)
        return "\n" + across.group(1) if across else None
    opening = file.opening(node)
    if opening is None:
        return None
    first = file.text[opening + 1:file.start(arguments[0])]
    across = _OPENING_ACROSS.fullmatch(first)
    if across:
        return "\n" + across.group(1)
    return " " if _OPENING_ON_LINE.fullmatch(first) else None


def remove_keyword(source: SourceFile, path: str, call: Value, name: str, *, safe: bool = True) -> Fix | str | None:
    """The fix removing `name=...` from a call, as fix/cst_calls.py's `remove_keyword` makes it; None when
    that gives none either; `UNSURE` when libcst must decide."""
    file = _parsed(source)
    node = file.call_at(call) if file is not None else None
    if file is None or node is None:
        return UNSURE
    found = [k for k in node.keywords if k.arg == name]
    if not found:
        return None
    if any(isinstance(arg, (ast.Starred, ast.GeneratorExp)) for arg in node.args) or \
            any(k.arg is None for k in node.keywords):
        return UNSURE
    removed = found[0]
    text = file.text
    after_name = file.start(removed) + len(name)
    equals = _EQUALS.match(text, after_name)
    if equals is None or equals.end() != file.start(removed.value):
        return UNSURE  # a parenthesised value: libcst's value holds the parentheses
    arguments: list[ast.expr | ast.keyword] = sorted([*node.args, *node.keywords],
                                                      key=lambda a: (a.lineno, a.col_offset))
    index = arguments.index(removed)
    close = file.offset(node.end_lineno or node.lineno, (node.end_col_offset or 0) - 1)
    if text[close] != ")":
        return UNSURE
    following = file.start(arguments[index + 1]) if index + 1 < len(arguments) else close
    gap = text[file.end(removed):following]
    if not (_BLANKS.fullmatch(gap) or _COMMA_AND_BLANKS.fullmatch(gap)):
        return UNSURE  # a comment, or a parenthesis libcst counts in an argument
    if index + 1 < len(arguments):
        start, end = file.start(removed), following  # the argument, its comma and what leads to the next one
    elif index:
        previous = arguments[index - 1]
        between = text[file.end(previous):file.start(removed)]
        if not _COMMA_AND_BLANKS.fullmatch(between):
            return UNSURE
        # The last argument goes: the one before it takes over its comma (or its absence) and what follows.
        start, end = file.end(previous), file.end(removed)
    else:
        start, end = file.start(removed), close  # the only argument: with whatever followed it
    rewritten = text[:start] + text[end:]
    edit = minimal_edit(path, text, rewritten)
    written = " ".join(text[file.start(removed.value):file.end(removed.value)].split())
    return Fix(f"remove `{name}={written}`", (edit,), safe=safe) if edit is not None else None
