"""The linear scan of extract/newer_syntax.py: one pass over a file's text that tracks strings (f-strings and
t-strings with their nested replacement fields), comments and brackets, and finds what Python 3.11 cannot
parse: type parameters, `type` aliases, f-strings and t-strings, `except A, B:`. It gives the edits
(start, end, replacement) that make the text 3.11 syntax, each keeping the lines where they were, and notes
a template's marker (`{%`, `.{`) outside every string and comment. Anything it does not understand raises
`Unsupported`: libcst decides."""
from __future__ import annotations

import keyword
import re
from prodcheck.lazy_pattern import lazy

_OPEN, _CLOSE = "([{", ")]}"
_WORD = lazy(r"[A-Za-z_][A-Za-z0-9_]*|[^\x00-\x7f][^\s!-/:-@\[-^`{-~]*")
_PREFIXES = frozenset({"r", "b", "u", "f", "t", "br", "rb", "fr", "rf", "tr", "rt"})
_BLANK = lazy(r"[ \t\f]*")
# The characters `scan` only steps over: ASCII that starts no word (`_WORD`), no string, comment, bracket or
# statement (`;`, `:`), and is no blank, line break or backslash.
_WORD_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")  # and any non-ASCII character
_PLAIN = frozenset(chr(code) for code in range(33, 127)) - _WORD_START - frozenset("#\\'\"" "()[]{}" ";:")
# What the scan steps over outside brackets from a plain character, a word, a line break, `;` or `:` on, in one match:
# those, blanks, and words (`_WORD`'s two kinds, matched whole as it matches them) but for the four it looks at
# (`_KEYWORDS`). It stops at anything else: a string, a comment, a bracket, a backslash. (Whether a keyword starts a
# logical line is then read back from the character before it: `Scanner.line_start`.)
_KEYWORDS = ("def", "class", "type", "except")
_RUN_START = _PLAIN | _WORD_START | frozenset("\n\r;:")  # and any non-ASCII character
_RUN = lazy("(?:[" + "".join(re.escape(char) for char in sorted(_PLAIN)) + r" \t\f\n\r;:]+"
            "|(?!(?:" + "|".join(_KEYWORDS) + r")(?![A-Za-z0-9_]))[A-Za-z_][A-Za-z0-9_]*"
            r"|[^\x00-\x7f][^\s!-/:-@\[-^`{-~]*)*")
# What the scan steps over inside brackets, in one match: all but a string, a comment or a bracket. There no word is
# looked at (a keyword's statement is not in brackets) and `line_start` stays false (an opening bracket made it so):
# line breaks, `;`, `:`, a backslash only move the scan on.
_INNER = lazy(r"[^'\"#()\[\]{}]*")


# In a string literal, by (quote, triple-quoted, f- or t-string): the run of characters `Scanner.string_end` only
# steps over, one at a time in Python, skipped in one match: all but a backslash, the quote, a line break in a
# one-line literal, and a brace in an f-string or t-string.
_STRING_RUNS = {
    (quote, triple, templated): re.compile("[^\\\\" + quote + ("" if triple else "\n") + ("{}" if templated else "") + "]*").match
    for quote in "'\"" for triple in (False, True) for templated in (False, True)
}


class Unsupported(Exception):
    """Something the scan does not understand: libcst decides."""


class Scanner:
    """One pass over the text: the edits (start, end, replacement) that make it 3.11 syntax."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.edits: list[tuple[int, int, str]] = []
        # A template's marker outside every string and comment (`{%` opening a Jinja statement, `.{` as in
        # `from app.{{ name }} import`): no version of Python reads that text, libcst neither.
        self.template_marker = False

    # -------------------------------------------------------------- strings

    def string_end(self, start: int, prefix: str) -> int:
        """End offset of the string literal whose quotes start at `start`."""
        text = self.text
        quote = text[start]
        triple = text.startswith(quote * 3, start)
        closing = quote * 3 if triple else quote
        position = start + len(closing)
        templated = "f" in prefix or "t" in prefix
        plain = _STRING_RUNS[quote, triple, templated]
        while True:
            # the characters the loop below would only step over (zero or more: the run always matches)
            position = plain(text, position).end()  # type: ignore[union-attr]
            if position >= len(text):
                raise Unsupported("unterminated string")
            char = text[position]
            if char == "\\":
                position += 2
                continue
            if not triple and char == "\n":
                raise Unsupported("line break in a one-line string")
            if text.startswith(closing, position):
                return position + len(closing)
            if templated and char == "{":
                if text.startswith("{{", position):
                    position += 2
                    continue
                position = self.replacement_field(position + 1, closing)
                continue
            if templated and char == "}":
                position += 2 if text.startswith("}}", position) else 1
                continue
            position += 1

    def replacement_field(self, position: int, closing: str) -> int:
        """From inside `{` of an f-string to just past its `}` (nested format specs included)."""
        text = self.text
        depth = 0
        while position < len(text):
            skipped = self.skip_string_or_comment(position)
            if skipped is not None:
                position = skipped
                continue
            char = text[position]
            if char in _OPEN:
                depth += 1
            elif char in _CLOSE:
                if depth == 0:
                    if char != "}":
                        raise Unsupported("unbalanced replacement field")
                    return position + 1
                depth -= 1
            elif char == ":" and depth == 0 and not text.startswith(":=", position):
                return self.format_spec(position + 1, closing)
            position += 1
        raise Unsupported("unterminated replacement field")

    def format_spec(self, position: int, closing: str) -> int:
        text = self.text
        while position < len(text):
            char = text[position]
            if char == "{":
                position = self.replacement_field(position + 1, closing)
                continue
            if char == "}":
                return position + 1
            if text.startswith(closing, position) or (char == "\n" and len(closing) == 1):
                raise Unsupported("string ends in a format spec")
            position += 1
        raise Unsupported("unterminated format spec")

    def prefix_before(self, quote: int) -> str:
        """The literal's prefix letters (lowercased) ending right before `quote`."""
        text = self.text
        start = quote
        while start > 0 and quote - start < 2 and text[start - 1] in "rRbBuUfFtT":
            start -= 1
        while start < quote and start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
            start += 1
        prefix = text[start:quote].lower()
        return prefix if prefix in _PREFIXES else ""

    # -------------------------------------------------------------- code

    def scan(self) -> list[tuple[int, int, str]]:
        text = self.text
        length = len(text)
        position = 0
        brackets: list[str] = []
        # At the first token of a logical line (or after `;` or a compound header's `:`, as in `if x: type A = int`).
        # None after a run (`_RUN`): read back from the last character before the next token (`line_start`).
        line_start: bool | None = True
        run, inner = _RUN.match, _INNER.match
        while position < length:
            if brackets:  # (`_INNER`: in brackets only a string, a comment or a bracket counts)
                position = inner(text, position).end()  # type: ignore[union-attr]  # (zero or more: it always matches)
                if position >= length:
                    break
            char = text[position]
            if char in _RUN_START or char > "\x7f":
                # an operator, a digit, a word or a line break, and what follows them up to what the scan notes
                # (`_RUN`): one character or word at a time, nothing in it would be noted
                end = run(text, position).end()  # type: ignore[union-attr]  # (zero or more: it always matches)
                if end > position:
                    position = end
                    line_start = None
                    continue
                # one of the words the scan looks at (`_KEYWORDS`, no literal's prefix): `_WORD` matches it
                word = _WORD.match(text, position)
                name = word.group()  # type: ignore[union-attr]  # it matches any such first character
                end = word.end()  # type: ignore[union-attr]  # (as above)
                if name in ("def", "class"):  # (outside brackets: `_INNER` steps over what is inside)
                    self.type_parameters(end)
                elif name == "type" or name == "except":
                    if line_start is None:
                        line_start = self.line_start(position)
                    if line_start:
                        if name == "type":
                            self.type_alias(position, end)
                        else:
                            self.except_tuple(end)
                line_start = False
                position = end
                continue
            if char in " \t\f":
                position += 1
                continue
            if char == "#":
                newline = text.find("\n", position)
                position = length if newline < 0 else newline
                continue
            if char == "\\" and text[position + 1: position + 2] in ("\n", "\r"):
                if line_start is None:  # (a continued line starts none: read back before its break)
                    line_start = self.line_start(position)
                position += 2
                continue
            if char in "'\"":
                prefix = self.prefix_before(position)
                end = self.string_end(position, prefix)
                if "f" in prefix or "t" in prefix:
                    start = position - len(prefix)
                    # Grouping parentheses around the literal alone are part of it (as in libcst).
                    while True:
                        before = start - 1
                        while before >= 0 and text[before] in " \t\f\r\n":
                            before -= 1
                        after = self.skip_space(end)
                        if not (before >= 0 and text[before] == "(" and text.startswith(")", after)
                                and self.grouping(before) and brackets):
                            break
                        brackets.pop()
                        start, end = before, after + 1
                    breaks = text.count("\n", start, end)
                    self.edits.append((start, end, '"""' + "\n" * breaks + '"""' if breaks else '""'))
                position = end
                line_start = False
                continue
            if char in _OPEN:
                if char == "{" and (text.startswith("%", position + 1) or (position and text[position - 1] == ".")):
                    self.template_marker = True
                brackets.append(char)
                position += 1
                line_start = False
                continue
            if char in _CLOSE:
                if brackets:
                    brackets.pop()
                elif line_start is None:  # (an unmatched one leaves it as it was: read back before it)
                    line_start = self.line_start(position)
                position += 1
                continue
            position += 1  # what starts no word (`_WORD`), string, comment or bracket: stepped over
            line_start = False
        return self.edits

    def line_start(self, position: int) -> bool:
        """Whether the token at `position` starts a logical line, when a run (`_RUN`) ended before it: the last
        character before it but blanks is a line break, `;` or `:` (the run's; a run starts on no blank)."""
        text = self.text
        before = position - 1
        while text[before] in " \t\f":
            before -= 1
        return text[before] in "\n\r;:"

    def skip_space(self, position: int) -> int:
        text = self.text
        while position < len(text) and text[position] in " \t\f\r\n":
            position += 1
        return position

    def grouping(self, paren: int) -> bool:
        """Whether the `(` at `paren` groups an expression (not a call's or a def's)."""
        text = self.text
        end = paren
        while end > 0 and text[end - 1] in " \t\f":
            end -= 1
        if end == 0:
            return True
        last = text[end - 1]
        if last.isalnum() or last == "_":
            start = end
            while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
                start -= 1
            return keyword.iskeyword(text[start:end])
        return last not in ")]'\"\\"

    def skip_blank(self, position: int) -> int:
        return _BLANK.match(self.text, position).end()  # type: ignore[union-attr]  # `[ \t\f]*` always matches

    def skip_string_or_comment(self, position: int) -> int | None:
        """Offset just past the string literal or comment starting at `position`, or None."""
        char = self.text[position]
        if char in "'\"":
            return self.string_end(position, self.prefix_before(position))
        if char == "#":
            newline = self.text.find("\n", position)
            return len(self.text) if newline < 0 else newline
        return None

    def matching(self, position: int) -> int:
        """Offset just past the bracket that closes the one at `position` (strings skipped)."""
        text = self.text
        depth = 0
        while position < len(text):
            skipped = self.skip_string_or_comment(position)
            if skipped is not None:
                position = skipped
                continue
            char = text[position]
            if char in _OPEN:
                depth += 1
            elif char in _CLOSE:
                depth -= 1
                if depth == 0:
                    return position + 1
            position += 1
        raise Unsupported("unbalanced brackets")

    def type_parameters(self, after_keyword: int) -> None:
        name_at = self.skip_blank(after_keyword)
        if name_at == after_keyword:
            return
        name = _WORD.match(self.text, name_at)
        if name is None:
            return
        bracket = self.skip_blank(name.end())
        if self.text.startswith("[", bracket):
            self.edits.append((bracket, self.matching(bracket), ""))

    def type_alias(self, keyword: int, after_keyword: int) -> None:
        name_at = self.skip_blank(after_keyword)
        if name_at == after_keyword:
            return
        name = _WORD.match(self.text, name_at)
        if name is None:
            return
        position = self.skip_blank(name.end())
        if self.text.startswith("[", position):
            position = self.skip_blank(self.matching(position))
        if not self.text.startswith("=", position) or self.text.startswith("==", position):
            return
        value = self.skip_blank(position + 1)
        self.edits.append((keyword, value, name.group() + " = "))

    def except_tuple(self, after_keyword: int) -> None:
        text = self.text
        position = after_keyword
        if text.startswith("*", position):
            return  # except* groups: left to libcst
        start = self.skip_blank(position)
        if start == position:
            return
        position = start
        last = start
        comma = False
        while position < len(text):
            char = text[position]
            if char in "'\"":
                position = self.string_end(position, self.prefix_before(position))
                last = position
                continue
            if char in _OPEN:
                position = self.matching(position)
                last = position
                continue
            if char == ":":
                break
            if char == "\n" or char == "#":
                return
            if char == "\\":
                return  # continued lines: left to libcst
            if char == ",":
                comma = True
            if char not in " \t\f":
                last = position + 1
            position += 1
        else:
            return
        word = _WORD.match(text, start)
        if comma and not re.search(r"(?<![\w.])as(?![\w])", text[start:last]) and not (word and word.group() == "as"):
            self.edits.append((start, start, "("))
            self.edits.append((last, last, ")"))
