"""`parsing.shell_tokens.tokens` reads simply quoted lines without shlex: its tokens must be shlex's."""
from __future__ import annotations

import random
import shlex

from prodcheck.parsing import shell_tokens as shell


def _shlex_tokens(text: str) -> list[str]:
    """What `tokens` answered for every quoted line before the quoted lines' own reading (a command substitution's
    operators and blanks spelled as part of its word first)."""
    if "$(" in text or "`" in text:
        text = shell._hide_substitutions(text)
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


def test_a_command_substitution_is_part_of_its_word() -> None:
    """`$(nproc)`, `$((2 * $(nproc) + 1))` and `` `date +%s` `` are read inside the word they are written in
    (POSIX 2.6.3): their parentheses and blanks split no command; one in single quotes or left open is as written."""
    def shown(text: str) -> list[str]:
        return [token.translate(shell.SHOW) for token in shell.tokens(text)]

    assert shown("gunicorn -w $(nproc) -k uvicorn.workers.UvicornWorker app:app") == [
        "gunicorn", "-w", "$(nproc)", "-k", "uvicorn.workers.UvicornWorker", "app:app"]
    assert shown("gunicorn -w $((2 * $(getconf _NPROCESSORS_ONLN) + 1)) app:app") == [
        "gunicorn", "-w", "$((2 * $(getconf _NPROCESSORS_ONLN) + 1))", "app:app"]
    assert shown('export TS=`date +%s` && exec "$(which uvicorn)" app:app') == [
        "export", "TS=`date +%s`", "&&", "exec", "$(which uvicorn)", "app:app"]
    assert shown("echo '$(' ; run") == ["echo", "$(", ";", "run"]
    assert shown("echo $( ; run") == ["echo", "$", "(", ";", "run"]


def test_the_commands_of_a_substitution_run_before_their_command() -> None:
    """`PG=$(docker run -d --name postgres ... postgres:16.4)` starts a database container (a CI job's throw-away
    database, PC301): the substitution's command is a command the shell runs, marked `SUBSTITUTED`, before the one
    whose word holds it; the script's own sequence is unchanged."""
    from prodcheck.parsing.shell import SUBSTITUTED, split_script

    commands = split_script("PG=$(docker run -d --name postgres postgres:16.4) && exec gunicorn -w $(nproc) app:app")
    assert [(c.argv, c.operator) for c in commands] == [
        (("docker", "run", "-d", "--name", "postgres", "postgres:16.4"), SUBSTITUTED),
        (("nproc",), SUBSTITUTED),
        (("gunicorn", "-w", "$(nproc)", "app:app"), "&&"),
    ]
    assert commands[-1].exec


def test_a_substitution_keeps_its_own_quotes() -> None:
    """The quotes inside `$(...)` belong to the substitution's script, not to the word around it: `sed 's|a|b|'` is
    one command of it (not a pipe to `b`), and a double-quoted substitution holds double quotes of its own."""
    from prodcheck.parsing.shell import split_script

    commands = split_script("URL=$(echo $API | sed 's|://api\\.|://ch.|') && curl -d \"$(jq -n --arg t \"$T\" '{a: 1}')\" x")
    assert [c.argv for c in commands] == [
        ("echo", "$API"), ("sed", "s|://api\\.|://ch.|"), ("jq", "-n", "--arg", "t", "$T", "{a: 1}"),
        ("curl", "-d", "$(jq -n --arg t \"$T\" '{a: 1}')", "x"),
    ]
