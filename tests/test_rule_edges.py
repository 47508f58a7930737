"""Edges of the core rules that a fixture file cannot hold (bytes that are not UTF-8, decorator stacks), through the CLI."""
from __future__ import annotations

from pathlib import Path

from conftest import run_json


def test_pc401_reported_in_a_module_with_a_byte_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_bytes(b"")
    (tmp_path / "app" / "db.py").write_bytes(
        b"from sqlalchemy import create_engine\nfrom sqlalchemy.orm import declarative_base\n\n"
        b"Base = declarative_base()\nengine = create_engine('postgresql://db/app')\n")
    (tmp_path / "app" / "main.py").write_bytes(
        b"from fastapi import FastAPI\n\nfrom app.db import Base, engine\n\napp = FastAPI()\n"
        b"# caf\xe9 (a Latin-1 comment)\n\n\n@app.on_event('startup')\ndef create_tables():\n"
        b"    if engine:\n        Base.metadata.create_all(bind=engine)\n")
    _, report = run_json(tmp_path, "--select", "PC401")
    assert [(f["path"], f["line"], f["severity"]) for f in report["findings"]] == [("app/main.py", 12, "error")]


def test_pc501_route_under_a_plain_decorator_is_still_a_route(tmp_path: Path) -> None:
    """A decorator that is not a call (`@traced`) above the route decorator: the route is still read."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "main.py").write_text(
        "import functools\nimport time\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        "def traced(function):\n    @functools.wraps(function)\n    async def wrapper(*args, **kwargs):\n"
        "        return await function(*args, **kwargs)\n    return wrapper\n\n\n"
        "@traced\n@app.get('/report')\nasync def report():\n    time.sleep(1)\n    return {}\n")
    _, report = run_json(tmp_path, "--select", "PC501")
    assert [(f["path"], f["line"]) for f in report["findings"]] == [("app/main.py", 19)]
    assert "route GET /report" in report["findings"][0]["message"]
