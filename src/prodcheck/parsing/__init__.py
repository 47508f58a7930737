"""Parsers for every file kind. Each returns a view with exact positions or raises ParseError."""
from __future__ import annotations

import warnings


class ParseError(Exception):
    """A file of a known kind that could not be parsed; becomes a PC000 finding."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.line = max(1, line)
        self.column = max(1, column)


MAX_INT_DIGITS = 18


def small_int(text: object) -> int | None:
    """A non-negative decimal integer of at most 18 ASCII digits, else None: a 5,000-digit value
    would trip Python's int digit limit, and `"²".isdigit()` is true but no int."""
    value = str(text).strip()
    if 0 < len(value) <= MAX_INT_DIGITS and value.isascii() and value.isdigit():
        return int(value)
    return None


def quiet_parser_warnings() -> None:
    """Silence the warnings the interpreter's parser gives about scanned code, for this process.

    `ast.parse` warns about the code it reads (`invalid escape sequence '\\d'`: a SyntaxWarning shown by default
    from Python 3.12, a DeprecationWarning before). Those are not prodcheck's output, and they quote the
    scanned file's own characters, unescaped: a backslash before an escape character in a string literal
    wrote that terminal control sequence to stderr."""
    warnings.filterwarnings("ignore", category=SyntaxWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning, message="invalid (octal )?escape sequence")
