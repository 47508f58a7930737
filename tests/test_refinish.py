"""An edit that moves only what the finishing steps read (a comment, a pragma at the end of a flagged line, a copy
that is no longer one) is re-checked without the model or a rule: the findings the last run's rules made are
finished again (finishing.py, `engine.refinish`). Each cached re-run must report what a run without the cache
reports, whichever way it went."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from prodcheck import rules_pass
from prodcheck.cli import main

ROUTE = (
    "import requests\nfrom fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
    "@router.get('/rates')\nasync def rates():\n    return requests.get('https://rates.example.com').json()\n"
)
PROJECT = {
    "app/main.py": "from fastapi import FastAPI\n\nfrom app.a.routes import router as a\nfrom app.b.routes import router as b\n\n"
                   "app = FastAPI()\napp.include_router(a)\napp.include_router(b)\n",
    "app/a/__init__.py": "",
    "app/b/__init__.py": "",
    "app/a/routes.py": ROUTE,  # two byte-identical files: one finding, the other its copy (copies.py)
    "app/b/routes.py": ROUTE,
    "app/util.py": "def add(a, b):\n    return a + b\n",  # a file the prefilter leaves unparsed
    "Dockerfile": "FROM python:3.12-slim\nUSER app\nCOPY . .\nCMD [\"uvicorn\", \"app.main:app\"]\n",
}

FLAGGED = "    return requests.get('https://rates.example.com').json()\n"
# (file, old, new, finished again): each applied on top of the previous ones; the last field says whether the
# re-run must go without the rules (only what the finishing steps read moved)
EDITS = [
    ("app/a/routes.py", FLAGGED, FLAGGED + "# a comment after the route\n", True),  # the copies part
    ("app/b/routes.py", ".json()\n", ".json()  # prodcheck: ignore[PC501] -- cached upstream\n", True),
    ("app/a/routes.py", ".json()\n", ".json()  # prodcheck: ignore[PC999]\n", True),  # PC001: no such rule
    ("app/util.py", "return a + b\n", "return a + b  # prodcheck: ignore[PC101]\n", True),  # PC001, unparsed file
    ("app/a/routes.py", "# prodcheck: ignore[PC999]", "# prodcheck: ignore[blocking-call-in-async-route]", True),
    ("app/b/routes.py", "  # prodcheck: ignore[PC501] -- cached upstream", "", True),
    ("app/a/routes.py", "\n\n@router", "\n\n\n@router", False),  # every fact below moves a line: the rules run
]


def _write(root: Path) -> None:
    for relative, text in PROJECT.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)


def _scan(root: Path, *args: str) -> dict:
    result = CliRunner().invoke(main, ["check", str(root), "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def _findings(report: dict) -> list[tuple[str, str, int]]:
    return [(f["code"], f["path"], f["line"]) for f in report["findings"]]


def test_an_edit_only_the_finishing_steps_read_is_finished_without_the_rules(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache_dir = tmp_path / "project", tmp_path / "cache"
    _write(root)
    first = _scan(root, "--cache-dir", str(cache_dir))
    assert ("PC501", "app/a/routes.py", 9) in _findings(first)  # reported once, its copy as a related location
    assert ("PC501", "app/b/routes.py", 9) not in _findings(first)
    reports = [first]
    real_check = rules_pass.check
    ran: list[bool] = []

    def check(*args: object, **kwargs: object) -> object:
        ran.append(True)
        return real_check(*args, **kwargs)  # type: ignore[arg-type]

    for relative, old, new, finished_again in EDITS:
        path = root / relative
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new, 1))
        ran.clear()
        monkeypatch.setattr(rules_pass, "check", check)
        cached = _scan(root, "--cache-dir", str(cache_dir))
        monkeypatch.setattr(rules_pass, "check", real_check)
        assert cached == _scan(root, "--no-cache"), relative
        assert bool(ran) != finished_again, (relative, new)
        reports.append(cached)
    # what the edits did, so that a stale result cannot pass unnoticed
    after_copy, suppressed, unknown, unparsed_pragma, renamed, removed, moved = (_findings(r) for r in reports[1:])
    assert ("PC501", "app/b/routes.py", 9) in after_copy  # no longer a copy: reported in both files
    assert ("PC501", "app/b/routes.py", 9) not in suppressed
    assert ("PC001", "app/a/routes.py", 9) in unknown
    assert ("PC001", "app/util.py", 2) in unparsed_pragma
    assert ("PC001", "app/a/routes.py", 9) not in renamed and ("PC501", "app/a/routes.py", 9) not in renamed
    assert ("PC501", "app/b/routes.py", 9) in removed
    assert ("PC501", "app/b/routes.py", 9) in moved and ("PC501", "app/a/routes.py", 10) not in moved


MIGRATING = (
    "from alembic import command\nfrom alembic.config import Config\nfrom fastapi import FastAPI\n\n"
    "app = FastAPI()\n\n\n@app.on_event('startup')\nasync def migrate():\n    if app.title:\n"
    "        command.upgrade(Config('alembic.ini'), 'head')\n\n\ndef helper():\n    return 1\n"
)


@pytest.mark.parametrize(("old", "new", "rules_run", "migrates"), [
    # the lines PC401's development guard read, from the call up to its enclosing block (`SourceFile.note_lines`)
    ("'head')\n", "'head')  # prodcheck: ignore[PC401] -- in a one-off job\n", True, False),
    ("    if app.title:\n", "    if app.title:  # local dev only\n", True, False),  # a comment makes it a dev guard
    # a line no rule read: only the finishing steps run again
    ("return 1\n", "return 1  # a comment\n", False, True),
])
def test_an_edit_of_lines_a_rule_read_runs_the_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str,
                                                      new: str, rules_run: bool, migrates: bool) -> None:
    """A rule that read some lines of a file (here the development guard of a migration call) sees an edit of those
    lines, even one that moves no fact: the rules run. An edit of other lines is finished without them."""
    root, cache_dir = tmp_path / "project", tmp_path / "cache"
    (root / "app").mkdir(parents=True)
    (root / "app/main.py").write_text(MIGRATING)
    first = _scan(root, "--cache-dir", str(cache_dir))
    assert ("PC401", "app/main.py", 11) in _findings(first)
    (root / "app/main.py").write_text(MIGRATING.replace(old, new, 1))
    ran: list[bool] = []
    real_check = rules_pass.check

    def check(*args: object, **kwargs: object) -> object:
        ran.append(True)
        return real_check(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(rules_pass, "check", check)
    cached = _scan(root, "--cache-dir", str(cache_dir))
    monkeypatch.setattr(rules_pass, "check", real_check)
    assert cached == _scan(root, "--no-cache")
    assert bool(ran) == rules_run
    assert (("PC401", "app/main.py", 11) in _findings(cached)) == migrates


def test_pragmas_of_a_file_only_its_rewrite_tokenizes() -> None:
    """Pragmas are read from a file's bytes when findings are finished, not kept with its facts: a file of newer
    syntax that Python 3.11's tokenizer stops on gives the comments of the text the extractor read."""
    from prodcheck.extract.file_facts import pragma_comments

    source = b'x = f"{"""\n"""}"\nrun(reload=True)  # prodcheck: ignore[PC101]\n'
    assert pragma_comments(source) == ()  # the bytes alone: the tokenizer stops at the f-string
    assert pragma_comments(source, "app/main.py") == ((3, "# prodcheck: ignore[PC101]"),)
