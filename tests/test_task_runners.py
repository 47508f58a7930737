"""Named tasks of task runners (knowledge/tasks.toml, project/tasks.py): a start script that runs
`task migrate`, `poe migrate`, `make migrate` or `just migrate` runs what that task says, and PC401 reads it."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import project_model, run_json
from prodcheck.parsing.shell import split_script

PYPROJECT = """
[tool.taskipy.tasks]
migrate = { cmd = "alembic upgrade head", help = "apply migrations" }
test = "pytest"

[tool.poe.tasks]
upgrade = { shell = "cd backend && alembic upgrade head" }
lint = "ruff check ."
"""
MAKEFILE = """
.PHONY: migrate
migrate:
\talembic upgrade head

run:
\tuvicorn app.main:app
"""
JUSTFILE = """
migrate:
    alembic upgrade head
"""


@pytest.mark.parametrize("line, runner, task, first", [
    ("task migrate", "taskipy", "migrate", "alembic upgrade head"),
    ("poe upgrade", "Poe the Poet", "upgrade", "cd backend"),
    ("poe lint", "Poe the Poet", "lint", "ruff check ."),
    ("make migrate", "make", "migrate", "alembic upgrade head"),
    ("just migrate", "just", "migrate", "alembic upgrade head"),
])
def test_a_task_is_the_commands_it_runs(tmp_path: Path, line: str, runner: str, task: str, first: str) -> None:
    project = project_model(tmp_path, {"pyproject.toml": PYPROJECT, "Makefile": MAKEFILE, "justfile": JUSTFILE})
    found = project.tasks.task(split_script(line)[0])
    assert found is not None and (found.runner, found.name) == (runner, task)
    assert str(found.commands[0]) == first


@pytest.mark.parametrize("line", ["task missing", "make -C backend migrate", "task", "pytest migrate", "npm run migrate"])
def test_what_is_no_known_task(tmp_path: Path, line: str) -> None:
    project = project_model(tmp_path, {"pyproject.toml": PYPROJECT, "Makefile": MAKEFILE})
    assert project.tasks.task(split_script(line)[0]) is None


def test_a_task_two_packages_define_is_unknown(tmp_path: Path) -> None:
    project = project_model(tmp_path, {"a/pyproject.toml": PYPROJECT, "b/pyproject.toml": PYPROJECT})
    assert project.tasks.task(split_script("task migrate")[0]) is None


def test_make_migrate_before_the_server_in_a_start_script(tmp_path: Path) -> None:
    files = {
        "Makefile": MAKEFILE,
        "Dockerfile": 'FROM python:3.12-slim\nUSER app\nCOPY . /app\nCMD ["/app/start.sh"]\n',
        "start.sh": "#!/bin/sh\nmake migrate\nexec uvicorn app.main:app --host 0.0.0.0\n",
    }
    project_model(tmp_path, files)
    _, data = run_json(tmp_path, "--select", "PC401")
    assert [(f["path"], f["line"]) for f in data["findings"]] == [("start.sh", 2)]
    assert "the make task `migrate`: `alembic upgrade head`" in data["findings"][0]["message"]


def test_a_task_that_does_not_migrate_before_the_server(tmp_path: Path) -> None:
    files = {
        "Makefile": MAKEFILE,
        "Dockerfile": 'FROM python:3.12-slim\nUSER app\nCOPY . /app\nCMD ["/app/start.sh"]\n',
        "start.sh": "#!/bin/sh\nmake run\n",
    }
    project_model(tmp_path, files)
    _, data = run_json(tmp_path, "--select", "PC401")
    assert data["findings"] == []
