"""The fixes PC403 and PC702 attach: applying their edits gives the intended text."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_project
from prodcheck import engine
from prodcheck.settings import Settings


def fixed(root: Path, code: str, path: str) -> str:
    result = engine.run(root, Settings().with_overrides(use_cache=False, select=(code,)))
    lines = (root / path).read_text().splitlines(keepends=True)
    edits = [e for f in result.findings if f.fix for e in f.fix.edits]
    for edit in sorted(edits, key=lambda e: (e.span.line, e.span.column), reverse=True):
        line = lines[edit.span.line - 1]
        lines[edit.span.line - 1] = line[: edit.span.column - 1] + edit.text + line[edit.span.end_column - 1:]
    return "".join(lines)


@pytest.mark.parametrize(("call", "expected"), [
    ('create_engine(os.environ["U"])', 'create_engine(os.environ["U"], pool_pre_ping=True)'),
    ('create_engine(os.environ["U"], )', 'create_engine(os.environ["U"], pool_pre_ping=True)'),
    ('create_engine(\n    os.environ["U"],\n    pool_size=5,\n)',
     'create_engine(\n    os.environ["U"],\n    pool_size=5,\n    pool_pre_ping=True,\n)'),
    ('create_engine(\n    os.environ["U"],\n    pool_size=5)', 'create_engine(\n    os.environ["U"],\n    pool_size=5, pool_pre_ping=True)'),
])
def test_pre_ping_fix(tmp_path: Path, call: str, expected: str) -> None:
    head = "import os\nfrom sqlalchemy import create_engine\n\nengine = "
    write_project(tmp_path, {"app/db.py": head + call + "\n"})
    assert fixed(tmp_path, "PC403", "app/db.py") == head + expected + "\n"


def test_no_cache_dir_fix(tmp_path: Path) -> None:
    write_project(tmp_path, {"Dockerfile": "FROM python:3.12-slim\nRUN pip install -r requirements.txt\n"
                                           "RUN uv pip install --system -r requirements.txt\n"})
    assert fixed(tmp_path, "PC702", "Dockerfile") == (
        "FROM python:3.12-slim\nRUN pip install --no-cache-dir -r requirements.txt\n"
        "RUN uv pip install --no-cache --system -r requirements.txt\n")
