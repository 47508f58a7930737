"""Where a word the prefilter counts only beside a value (`[prefilter] valued_words`: a secret's name, prefilter.py
`needle_valued`) can name a string literal, without parsing the file: the shapes PC302 reads a literal secret in
(rules/secrets/code_secrets.py), each a name PC302 judges a secret's (`Judges.named`: its `is_secret_name`), then its
literal.

- the name holding the word (`SECRET_KEY_VALUE`), then `=` (not `==`), then a literal: a constant, a keyword
  (`api_token="..."`), a target among several (`A = SECRET = "..."`); the literal in brackets (`(`, any), or wrapped
  (`SecretStr("...")`, pydantic's `Field("...")`: `[prefilter] valued_calls`);
- that name first on its line, then `:` (an annotated field, `api_token: SecretStr = Field(...)`), then a quote
  later in its statement;
- a string holding the word on its line (`"API_TOKEN"`), its text from the quote before the word to the first quote
  after it the name, then `:` and a literal (a dict's key), `,` and a quote later in the statement (an environment
  getter's default, `getenv("API_TOKEN", default="...")`), or `] =` and a literal. A string's text cut short
  before the word (a quote inside it, strings joined) is the end of the name, which `is_secret_name` judges by
  its last words: each of `valued_words` makes the name's last word a secret's word on its own;
- a line that holds a placeholder PC302 looks for a refusing check of (`Judges.refusable`: its
  `is_refusable_placeholder`) between two quotes, whatever it names: a check that refuses that placeholder default
  names the setting on the line that quotes it (`if settings.SECRET_KEY == "changethis":`,
  rules/secrets/secret_places.py `refused`).

A statement goes on past a line break while a bracket opened in it is open, or when the line ends in `=`, `\\` or
an opening bracket (or `,`, among a call's arguments). Where in doubt, the word counts: a quote in a comment or in a
string's text is a quote, and a `(` after `=` may hold anything; and so does a word whose reading goes past `_REACH`
(a name, blanks and comments, a statement's lines or a line's quoted texts longer than any code writes: a hostile
file must not make each of its words read on to the file's end)."""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

# An identifier's bytes (ASCII letters, digits, `_`), and a dotted name's (prefilter.py reads them too).
IDENTIFIER_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
DOTTED_BYTES = IDENTIFIER_BYTES | {ord(".")}
_QUOTES = frozenset(b"\"'")
_PREFIXES = frozenset(b"rRbBuUfF")  # of a string literal: `b"..."`, `rb'...'`
_BLANK = frozenset(b" \t\r\n\\")  # (a backslash continues the line)
_INDENT = frozenset(b" \t")
_HASH, _NEWLINE, _EQUALS, _COLON, _COMMA, _OPEN, _CLOSE_SUBSCRIPT = b"#\n=:,(]"
# What ends a line that goes on: an open bracket, a keyword's `=` (`api_token=` then its value), a backslash ...
_GOES_ON = frozenset(b"([{=\\")
_GOES_ON_ARGUMENTS = _GOES_ON | {_COMMA}  # ... and, among a call's arguments, a comma
_CHAINED = 8  # `A = B = ... = "..."`: targets followed before the value is given up on (none counts then)
# How far one word is read before it counts, in doubt: bytes of a name or of blanks and comments, lines of a statement,
# quoted texts on a line.
_REACH = 512
# How many of a file's places of one word are read before the word counts there, in doubt (prefilter.py): with
# `_REACH`, what one file can cost.
TRIES = 64


class _InDoubt(Exception):
    """A word read past `_REACH`: it counts."""


class Judges(NamedTuple):
    """What the rule reading the words says of a name and of a literal (module docstring)."""

    named: Callable[[str], bool]  # the name is a secret's
    refusable: Callable[[str], bool]  # the literal is a placeholder a check may refuse


def valued_at(data: bytes, start: int, end: int, calls: frozenset[bytes], judges: Judges) -> bool:
    """The word between `start` and `end` can name a string literal (module docstring); `calls` wrap a literal value
    (`SecretStr`, `Field`)."""
    try:
        return _valued_at(data, start, end, calls, judges)
    except _InDoubt:
        return True


def _valued_at(data: bytes, start: int, end: int, calls: frozenset[bytes], judges: Judges) -> bool:
    named = judges.named
    size = len(data)
    stop = data.find(b"\n", end)
    if stop == -1:
        stop = size
    double, single = data.find(b'"', end, stop), data.find(b"'", end, stop)
    quote = double if single == -1 or (double != -1 and double < single) else single
    if quote != -1 and _string_names(data, start, quote, calls, named):
        return True
    left = start
    while left and data[left - 1] in IDENTIFIER_BYTES:
        left -= 1
        _within(start - left)
    after = end
    while after < size and data[after] in IDENTIFIER_BYTES:
        after += 1
        _within(after - end)
    at = _skip_blank(data, after)
    if _assigns(data, at):
        if named(data[left:after].decode("ascii")) and literal_at(data, at + 1, calls):
            return True
    elif at < size and data[at] == _COLON and _first_on_line(data, start):
        if named(data[left:after].decode("ascii")) and quoted_later(data, at + 1, _GOES_ON):
            return True
    return _quotes_placeholder(data, start, end, judges.refusable)


def _string_names(data: bytes, start: int, quote: int, calls: frozenset[bytes], named: Callable[[str], bool]) -> bool:
    """The string ending at `quote` (the first quote after the word on its line) is a secret's name given a literal:
    a dict's key, an environment getter's variable, a subscript's key assigned."""
    size = len(data)
    mark = data[quote:quote + 1]
    at = quote + 1
    if data[at:at + 2] == mark * 2:
        at += 2  # a triple quote
    at = _skip_blank(data, at)
    following = data[at] if at < size else None
    if following != _COLON and following != _COMMA and following != _CLOSE_SUBSCRIPT:
        return False
    opening = data.rfind(mark, 0, start) + 1
    _within(quote - opening)
    if not named(data[opening:quote].decode("utf-8", "replace")):
        return False
    if following == _COLON:
        return literal_at(data, at + 1, calls)
    if following == _COMMA:
        return quoted_later(data, at + 1, _GOES_ON_ARGUMENTS)
    at = _skip_blank(data, at + 1)
    return _assigns(data, at) and literal_at(data, at + 1, calls)


def literal_at(data: bytes, at: int, calls: frozenset[bytes], chained: int = 0) -> bool:
    """A value starting at `at` (blanks and comments first) can be a string literal: a quote, an opening bracket, a
    string prefix, a call of `calls`, or another target of the same value."""
    size = len(data)
    at = _skip_blank(data, at)
    if at >= size:
        return False
    first = data[at]
    if first in _QUOTES or first == _OPEN:
        return True
    name = at
    while name < size and data[name] in DOTTED_BYTES:
        name += 1
        _within(name - at)
    if name == at:
        return False
    if name < size and data[name] in _QUOTES:
        return name - at <= 2 and all(byte in _PREFIXES for byte in data[at:name])
    following = _skip_blank(data, name)
    if following < size and data[following] == _OPEN:
        return data[at:name].rpartition(b".")[2] in calls
    return chained < _CHAINED and _assigns(data, following) and literal_at(data, following + 1, calls, chained + 1)


def quoted_later(data: bytes, position: int, goes_on: frozenset[int]) -> bool:
    """A quote from `position` to the end of its statement: its line's end, or a later line's where no bracket opened
    from `position` is open and the line does not end in one of `goes_on` (a line with no quote holds no string, so a
    `#` there starts a comment)."""
    size = len(data)
    find = data.find
    depth = 0
    for _ in range(_REACH):
        stop = find(b"\n", position)
        if stop == -1:
            stop = size
        if find(b'"', position, stop) != -1 or find(b"'", position, stop) != -1:
            return True
        code = data[position:stop]
        mark = code.find(b"#")
        if mark != -1:
            code = code[:mark]
        depth += code.count(b"(") + code.count(b"[") + code.count(b"{") \
            - code.count(b")") - code.count(b"]") - code.count(b"}")
        code = code.rstrip()
        if stop == size or not (depth > 0 or not code or code[-1] in goes_on):
            return False
        position = stop + 1
    raise _InDoubt


def _skip_blank(data: bytes, at: int) -> int:
    """The first byte from `at` that is neither blank nor in a comment."""
    size = len(data)
    begin = at
    while at < size:
        _within(at - begin)
        byte = data[at]
        if byte in _BLANK:
            at += 1
        elif byte == _HASH:
            at = data.find(b"\n", at)
            if at == -1:
                return size
        else:
            break
    return at


def _assigns(data: bytes, at: int) -> bool:
    """`=` at `at`, not `==`."""
    return at < len(data) and data[at] == _EQUALS and data[at + 1:at + 2] != b"="


def _first_on_line(data: bytes, start: int) -> bool:
    """The dotted name holding `start` is the first thing on its line."""
    begin = start
    while start and data[start - 1] in DOTTED_BYTES:
        start -= 1
        _within(begin - start)
    while start and data[start - 1] in _INDENT:
        start -= 1
        _within(begin - start)
    return not start or data[start - 1] == _NEWLINE


def _quotes_placeholder(data: bytes, start: int, end: int, refusable: Callable[[str], bool]) -> bool:
    """The word's line holds, between two quotes of a kind next to each other, a text `refusable` accepts (every
    such pair: `refused` looks for the placeholder quoted, wherever it stands)."""
    line = data.rfind(b"\n", 0, start) + 1
    stop = data.find(b"\n", end)
    if stop == -1:
        stop = len(data)
    find = data.find
    texts = 0
    for mark in (b'"', b"'"):
        opening = find(mark, line, stop)
        while opening != -1:
            texts += 1
            _within(texts)
            closing = find(mark, opening + 1, stop)
            if closing == -1:
                break
            if refusable(data[opening + 1:closing].decode("utf-8", "replace")):
                return True
            opening = closing
    return False


def _within(read: int) -> None:
    """Raise `_InDoubt` once a word's reading has gone `_REACH` far."""
    if read >= _REACH:
        raise _InDoubt
