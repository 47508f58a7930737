"""parsing/shell_functions.py: a script's functions run where the script calls them."""
from __future__ import annotations

from prodcheck.parsing.shell import split_script
from prodcheck.parsing.shell_functions import in_execution_order, shell_functions

SCRIPT = """\
#!/bin/bash
serve() {
    exec uvicorn app.main:app
}
function migrate {
    alembic upgrade head
}
function seed() {
    python -m app.seed
}
main() {
    migrate
    seed
    serve
}
cleanup() {
    rm -rf /tmp/work
}
trap cleanup EXIT
main "$@"
"""


def _order(text: str) -> list[tuple[int, str]]:
    return [(c.line, c.argv[0]) for c in in_execution_order(split_script(text), text)]


def test_functions_and_their_bodies() -> None:
    assert shell_functions(SCRIPT) == {"serve": (2, 4), "migrate": (5, 7), "seed": (8, 10), "main": (11, 15),
                                       "cleanup": (16, 18)}


def test_a_called_function_runs_where_it_is_first_called() -> None:
    # main's body at its call, each function it calls at its line in main; cleanup, which no command calls by
    # name (`trap` hands it over as a word), keeps its body where it is written
    assert _order(SCRIPT) == [(16, "cleanup"), (17, "rm"), (19, "trap"), (6, "alembic"), (9, "python"),
                              (3, "uvicorn")]


def test_a_script_without_called_functions_is_unchanged() -> None:
    text = "set -e\nhelper() {\n    echo hi\n}\nalembic upgrade head\nexec gunicorn app:app\n"
    assert in_execution_order(split_script(text), text) == split_script(text)


def test_a_function_called_twice_runs_its_body_once_and_recursion_is_cut() -> None:
    text = "again() {\n    echo once\n    again\n}\nagain\nagain\n"
    assert _order(text) == [(2, "echo")]
    text = "loop() {\n    echo once\n    loop\n}\n"  # a call from its own body alone is no call
    assert _order(text) == [(1, "loop"), (2, "echo"), (3, "loop")]  # (unchanged: nothing calls it)
    text = "step() {\n    echo one\n}\nstep\nstep\nexec uvicorn app:app\n"
    assert _order(text) == [(2, "echo"), (6, "uvicorn")]
