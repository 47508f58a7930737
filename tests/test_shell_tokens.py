"""`parsing.shell_tokens.tokens` reads simply quoted lines without shlex: its tokens must be shlex's."""
from __future__ import annotations

import random
import shlex

from prodcheck.parsing import shell_tokens as shell


def _shlex_tokens(text: str) -> list[str]:
    """What `tokens` answered for every quoted line before the quoted lines' own reading."""
    hidden = shell._QUOTED.sub(shell._hide_operators, text)
    lexer = shlex.shlex(hidden, posix=True, punctuation_chars=";&|()")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError:
        return text.split()


CASES = [
    'echo "hello world"', "sh -c 'alembic upgrade head && uvicorn app:app'", 'a""b', "''", 'x="a;b"|grep "|"',
    "run 'it''s'", 'say "it\'s" done', '"unclosed', "a 'b", 'cmd "a\nb" && next', '(cd "dir" && make)', '""; ""',
    "env A='1 2' B=\"3\" prog --flag='x y'", 'p "$HOME/x" & q', "tab\t'a\tb'\tc", "a'b'\"c\"d e",
]


def test_quoted_lines_split_as_shlex_does() -> None:
    for text in CASES:
        assert shell.tokens(text) == _shlex_tokens(text), text


def test_random_quoted_lines_split_as_shlex_does() -> None:
    rng = random.Random(11)
    alphabet = ["a", "b", "-", "=", "/", " ", "\t", "\n", ";", "&", "|", "(", ")", '"', "'", "$", "*", "é"]
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        if '"' in text or "'" in text:
            assert shell.tokens(text) == _shlex_tokens(text), repr(text)
