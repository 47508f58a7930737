"""Parsers for every file kind. Each returns a view with exact positions or raises ParseError."""
from __future__ import annotations


class ParseError(Exception):
    """A file of a known kind that could not be parsed; becomes a PC000 finding."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.line = max(1, line)
        self.column = max(1, column)
