"""Commands written over several lines of a compose file: a folded `command: >` keeps the newline of a
more-indented line, so `sh -c "alembic upgrade head &&` / `uvicorn ..."` is a quoted word over two lines."""
from __future__ import annotations

from pathlib import Path

from conftest import run_json, write_project

APP = {
    "app/__init__.py": "",
    "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
    "Dockerfile": 'FROM python:3.12-slim\nUSER app\nCMD ["uvicorn", "app.main:app"]\n',
}
COMPOSE = """\
services:
  web:
    build: .
    command: >
      sh -c "alembic upgrade head &&
             uvicorn app.main:app --host 0.0.0.0 --port 8000"
    restart: unless-stopped
"""


def test_a_folded_sh_c_command_over_two_lines_migrates_before_the_server(tmp_path: Path) -> None:
    root = write_project(tmp_path, {**APP, "docker-compose.yml": COMPOSE})
    _, report = run_json(root, "--select", "PC401")
    assert [(f["path"], f["line"], f["severity"]) for f in report["findings"]] == [
        ("docker-compose.yml", 5, "error")]


def test_the_same_command_migrating_in_a_one_off_service_is_quiet(tmp_path: Path) -> None:
    one_off = COMPOSE.replace("&&\n             uvicorn app.main:app --host 0.0.0.0 --port 8000", "&&\n             echo done")
    root = write_project(tmp_path, {**APP, "docker-compose.yml": one_off.replace("    restart: unless-stopped\n", "")})
    _, report = run_json(root, "--select", "PC401")
    assert report["findings"] == []
