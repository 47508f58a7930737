"""parsing/shell_cases.py: the arms of a shell `case` statement, by line; two arms of one statement are
alternatives, lines outside any arm or in nested statements are told apart."""
from __future__ import annotations

from prodcheck.parsing.shell_cases import case_arms, other_arms

SCRIPT = """#!/bin/sh
set -e
case "$1" in
    migrate) alembic upgrade head ;;
    serve)
        case "$MODE" in
            fast) exec uvicorn app:app ;;
            *) exec gunicorn app:app ;;
        esac
        ;;
    *)
        exec "$@"
        ;;
esac
echo done
"""


def test_each_line_in_its_innermost_arm() -> None:
    arms = case_arms(SCRIPT)
    assert 2 not in arms and 3 not in arms and 15 not in arms
    assert arms[4] != arms[5] and arms[5] == arms[10]
    assert arms[7][0] == arms[8][0] != arms[4][0] and arms[7] != arms[8]
    assert arms[12] == arms[11] != arms[4]


def test_two_arms_of_one_statement_are_alternatives() -> None:
    assert other_arms(SCRIPT, 4, 12)  # migrate) and *)
    assert not other_arms(SCRIPT, 4, 2)  # a line outside the statement
    assert not other_arms(SCRIPT, 7, 4)  # an arm of a nested statement and an arm of the outer one
    assert other_arms(SCRIPT, 7, 8)
    assert not other_arms("alembic upgrade head\nexec uvicorn app:app\n", 1, 2)
