"""A shell line's words and operators, as `shlex` reads them, found without a call per character where the line
allows it (parsing/shell.py builds commands from them)."""
from __future__ import annotations

import re
import shlex

from prodcheck.limits import MAX_SHELL_CHARS
from prodcheck.lazy_pattern import lazy


def split_words(text: str) -> list[str]:
    """`shlex.split` within the budget (ValueError on unbalanced quotes); a text longer than
    MAX_SHELL_CHARS is split at whitespace: shlex is quadratic in the length of one word."""
    if len(text) > MAX_SHELL_CHARS:
        return text.split()
    if _QUOTING.search(text) is None:
        # No quote or backslash: shlex's words are exactly the runs between its whitespace.
        return _PLAIN_WORD.findall(text)
    return shlex.split(text, posix=True)


_QUOTING = lazy(r"['\"\\]")
_PLAIN_WORD = lazy(r"[^ \t\r\n]+")  # shlex's whitespace (str.split's is wider)


# A quoted or escaped operator (`find . -exec rm {} ';'`, `\;`, `echo "|"`) is a word, not a connector:
# shlex drops the quotes before the operators are told apart, so operator characters inside quotes or
# after a backslash are first spelled with private-use characters that are no operator, and spelled
# back (split_script) once words and operators are apart.
_QUOTED = lazy(r"""'[^']*'|"(?:[^"\\]|\\.)*"|\\.""", re.DOTALL)
_HIDE = str.maketrans(";&|()", "\ue001\ue002\ue003\ue004\ue005")
# A command substitution (`$(nproc)`, `$((2 * $(nproc) + 1))`, `` `date` ``) is part of the word it is written in
# (POSIX 2.6.3): its operators and blanks are spelled so too, and the command around it stays one command
# (`gunicorn -w $(nproc) -k uvicorn.workers.UvicornWorker app:app` is gunicorn with its options, not three commands).
# Its quotes and backslashes are its own script's, not the word's (the word's quote removal leaves them): they are
# spelled so too, and the substitution's text comes back as written (`sed 's|a|b|'` stays one command of it).
_HIDE_SUBSTITUTED = str.maketrans(";&|() \t\n'\"\\",
                                  "\ue001\ue002\ue003\ue004\ue005\ue006\ue007\ue008\ue009\ue00a\ue00b")
SHOW = str.maketrans("\ue001\ue002\ue003\ue004\ue005\ue006\ue007\ue008\ue009\ue00a\ue00b", ";&|() \t\n'\"\\")


# What the scans below stop at; the text between is passed over at once (most of a line is none of these).
_CLOSING_STOPS = lazy(r"""[\\"'()]|\$\(""")
_HIDING_STOPS = lazy(r"""[\\"'`]|\$\(""")
_SUBSTITUTION_STARTS = lazy(r"\$\(\(|\$\(|`")
_QUOTING_CHARACTERS = frozenset("\\\"'")


def _past_quoting(text: str, index: int, char: str, double: bool) -> tuple[int, bool]:
    """Where a scan goes on after the quoting character `char` at `index`, and whether it is then inside double
    quotes: a backslash escapes the next character, a double quote opens or closes, a single quote outside double
    quotes runs to its closing one (-1: left open)."""
    if char == "\\":
        return index + 2, double
    if char == '"':
        return index + 1, not double
    if double:
        return index + 1, double
    end = text.find("'", index + 1)
    return (end + 1 if end >= 0 else -1), double


def _closing(text: str, start: int) -> int:
    """The index of the `)` that closes the `(` at `start` (quoted parentheses aside), or -1."""
    depth, double = 0, False
    search = _CLOSING_STOPS.search
    found = search(text, start)
    while found is not None:
        index = found.start()
        char = text[index]
        after = index + 1
        if char in _QUOTING_CHARACTERS:
            after, double = _past_quoting(text, index, char, double)
            if after < 0:
                return -1
        elif char == "$":  # `$(`
            if double:  # `"$(...)"` inside the substitution: its own parentheses
                end = _closing(text, after)
                if end < 0:
                    return -1
                after = end + 1
            else:
                depth += 1
                after = index + 2
        elif not double:
            depth += 1 if char == "(" else -1
            if depth == 0:
                return index
        found = search(text, after)
    return -1


def _hide_substitutions(text: str) -> str:
    """`text` with the operators and blanks inside each command substitution spelled with `_HIDE_SUBSTITUTED`'s
    characters (not inside single quotes, where `$(` is literal); one left open is left as it is."""
    parts: list[str] = []
    last = 0
    double = False
    search = _HIDING_STOPS.search
    found = search(text)
    while found is not None:
        index = found.start()
        char = text[index]
        after = index + 1
        if char in _QUOTING_CHARACTERS:
            after, double = _past_quoting(text, index, char, double)
            if after < 0:
                break
        else:  # "`" or `$(`
            end = text.find("`", after) if char == "`" else _closing(text, after)
            if end < 0:
                break
            parts.append(text[last:after])
            parts.append(text[after:end + 1].translate(_HIDE_SUBSTITUTED))
            last = after = end + 1
        found = search(text, after)
    parts.append(text[last:])
    return "".join(parts)


_PLAIN_TOKEN = lazy(r"[;&|()]+|[^ \t\r\n;&|()]+")
# With quotes but no backslash and no comment sign, once the quoted operators are hidden: shlex's tokens are the runs
# of operator characters and the words between its whitespace, a word made of unquoted characters and quoted
# segments (whose quotes go); a text of nothing else (every quote closed) is read so, without a call per character.
# (Possessive: each part starts with a character no other part starts with, so nothing is given back; a text that is
# not of these parts, an unclosed quote, fails at once instead of after every way of dividing its runs.)
_QUOTED_TOKEN = lazy(r"""[;&|()]++|(?:[^ \t\r\n;&|()'"]++|'[^']*+'|"[^"]*+")++""")
_QUOTED_TEXT = lazy(r"""(?:[ \t\r\n]++|[;&|()]++|[^ \t\r\n;&|()'"]++|'[^']*+'|"[^"]*+")*+""")
_SEGMENT = lazy(r"'([^']*)'" r'|"([^"]*)"')


def _unquote(match: re.Match[str]) -> str:
    single, double = match.groups()
    return single if single is not None else double


def _hide_operators(match: re.Match[str]) -> str:
    return match.group().translate(_HIDE)


def tokens(text: str) -> list[str]:
    """The words and operators of a line; an operator that was quoted, or written in a command substitution, is a
    word spelled with `_HIDE`'s characters (the caller spells it back with `SHOW` once operators are told apart)."""
    if len(text) > MAX_SHELL_CHARS:
        return text.split()  # shlex is quadratic in a word's length: over the budget, a linear rough split
    if "$(" in text or "`" in text:
        text = _hide_substitutions(text)
    quoting = _QUOTING.search(text) is not None
    if not quoting and "#" not in text:
        # No quote, escape or comment: shlex's tokens are exactly the runs of operator characters and the
        # runs of other characters between its whitespace (" \t\r\n"), found without a call per character.
        return _PLAIN_TOKEN.findall(text)
    hidden = _QUOTED.sub(_hide_operators, text) if quoting else text
    if "\\" not in hidden and "#" not in hidden and _QUOTED_TEXT.fullmatch(hidden) is not None:
        return [_SEGMENT.sub(_unquote, token) if "'" in token or '"' in token else token
                for token in _QUOTED_TOKEN.findall(hidden)]
    lexer = shlex.shlex(hidden, posix=True, punctuation_chars=";&|()")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        tokens = list(lexer)
    except ValueError:
        return text.split()  # unbalanced quotes: a rough split beats giving up
    return tokens


def substitutions(word: str) -> list[str]:
    """The scripts of a word's command substitutions (`docker run -d postgres` of `PG=$(docker run -d postgres)`,
    `nproc` of `$((2 * $(nproc)))`), outermost first; an arithmetic expansion's own text is no script."""
    found: list[str] = []
    search = _SUBSTITUTION_STARTS.search
    start = search(word)
    while start is not None:
        index = start.start()
        opened = start.group()
        if opened == "$((":
            start = search(word, index + 3)
            continue
        end = _closing(word, index + 1) if opened == "$(" else word.find("`", index + 1)
        if end < 0:
            break
        found.append(word[index + len(opened):end])
        start = search(word, end + 1)
    return found
