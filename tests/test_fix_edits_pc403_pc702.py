"""The fixes PC403 (libcst) and PC702 (exact span) attach: applying their edits gives the intended text."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_project
from prodcheck import engine
from prodcheck.fix import apply
from prodcheck.settings import Settings


def fixed(root: Path, code: str, path: str) -> str:
    result = engine.run(root, Settings().with_overrides(use_cache=False, select=(code,)))
    fixes = [f.fix for f in result.findings if f.fix]
    text, applied = apply.apply_fixes((root / path).read_text(), fixes, path)
    assert applied == len(fixes) and apply.parses(path, text)
    return text


@pytest.mark.parametrize(("call", "expected"), [
    ('create_engine(os.environ["U"])', 'create_engine(os.environ["U"], pool_pre_ping=True)'),
    ('create_engine(os.environ["U"], )', 'create_engine(os.environ["U"], pool_pre_ping=True)'),
    ('create_engine(  # the engine\n    os.environ["U"],  # from the environment\n    pool_size=5,\n)',
     'create_engine(  # the engine\n    os.environ["U"],  # from the environment\n    pool_size=5,\n    pool_pre_ping=True,\n)'),
    ('create_engine(\n    os.environ["U"],\n    pool_size=5,\n)',
     'create_engine(\n    os.environ["U"],\n    pool_size=5,\n    pool_pre_ping=True,\n)'),
    ('create_engine(\n    os.environ["U"],\n    pool_size=5)', 'create_engine(\n    os.environ["U"],\n    pool_size=5,\n    pool_pre_ping=True)'),
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
