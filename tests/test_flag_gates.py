"""rules/database/flag_gates.py: which `if FLAG:` around a start-up migration is an opt-in flag, and who turns it on."""
from __future__ import annotations

from pathlib import Path

from conftest import project_model
from prodcheck.rules.database.flag_gates import opt_in_variable, turned_on

CONFIG = '''\
"""Settings of the migrations (a word the parse prefilter reads the file for: in code, not a comment)."""
import os
from os import getenv

A = getenv("A")
B = os.environ.get("B", "false")
C = bool(getenv("C", default="0"))
D = getenv("D", "true")
E = os.getenv("E", "false") == "true"
F = parse(getenv("F"), strict=True)
'''

MAIN = '''\
from app.config import A, B, C, D, E, F


def start():
    if A:
        migrate()
    if B:
        migrate()
    elif C:
        migrate()
    if D:
        migrate()
    if E:
        migrate()
    if F:
        migrate()
    if A and B:
        migrate()
    migrate()
'''


def test_flags_off_by_default(tmp_path: Path) -> None:
    project = project_model(tmp_path, {"app/config.py": CONFIG, "app/main.py": MAIN, "app/__init__.py": ""})
    facts = project.python_facts["app/main.py"]
    found = {line: opt_in_variable(project, facts, line) for line in (6, 8, 10, 12, 14, 16, 18, 19)}
    # off unless set: no default, "false", "0" through a one-argument parser; D is on by default, E a comparison,
    # F a parser with options, `A and B` no single flag, the last call no `if` at all
    assert found == {6: "A", 8: "B", 10: "C", 12: None, 14: None, 16: None, 18: None, 19: None}


def test_only_production_processes_of_the_app_turn_it_on(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/main.py": "from fastapi import FastAPI\nfrom app.startup import run_migrations\napp = FastAPI()\n",
        "app/startup.py": "def run_migrations():\n    pass\n",
        "worker/__init__.py": "",
        "worker/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "Dockerfile": 'FROM python:3.12-slim\nENV RUN_MIGRATIONS=false\nCMD ["uvicorn", "app.main:app"]\n',
        "worker/Dockerfile": 'FROM python:3.12-slim\nENV RUN_MIGRATIONS=true\nCMD ["uvicorn", "worker.main:app"]\n',
        "dev/docker-compose.yml": ("services:\n  api:\n    build: ..\n    command: uvicorn app.main:app --reload\n"
                                   "    environment:\n      RUN_MIGRATIONS: 'true'\n"),
    }
    project = project_model(tmp_path, files)
    # the app's own image leaves it off; another app's image and the development stack do not count
    assert turned_on(project, "RUN_MIGRATIONS", "app.startup") == []
    assert [(w.path, w.span.line) for w in turned_on(project, "RUN_MIGRATIONS", "worker.main")] == [("worker/Dockerfile", 2)]
