"""`--fix`, `--diff`, `--unsafe-fixes`: every fix applied through the CLI, the result re-parsed."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SHARED, write_project
from prodcheck.cli import main
from prodcheck.fix import apply
from prodcheck.model.finding import Edit, Finding, Fix, Location, Severity, Span


def cli(root: Path, *args: str):
    return CliRunner().invoke(main, ["check", str(root), "--no-cache", *args])


def findings(root: Path, *args: str) -> list[dict]:
    return json.loads(cli(root, "--format", "json", *args).stdout)["findings"]


def every_file_parses(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file() and ".prodcheck_cache" not in path.parts:
            relative = path.relative_to(root).as_posix()
            assert apply.parses(relative, path.read_text(encoding="utf-8")), relative


APP = "import os\nfrom fastapi import FastAPI\n\napp = FastAPI()\n"


@pytest.mark.parametrize(("files", "code", "path", "expected"), [
    ({"app/db.py": "import os\nfrom sqlalchemy import create_engine\n\nengine = create_engine(os.environ['U'])\n"},
     "PC403", "app/db.py", "engine = create_engine(os.environ['U'], pool_pre_ping=True)\n"),
    ({"app/db.py": "import os\nfrom sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine\n\n"
                   "engine = create_async_engine(os.environ['U'], pool_pre_ping=True)\n"
                   "Session = async_sessionmaker(\n    engine,\n)\n"},
     "PC404", "app/db.py", "Session = async_sessionmaker(\n    engine,\n    expire_on_commit=False,\n)\n"),
    ({"Dockerfile": "FROM python:3.12-slim\nUSER app\nRUN pip install -r requirements.txt\n"},
     "PC702", "Dockerfile", "RUN pip install --no-cache-dir -r requirements.txt\n"),
    ({"Procfile": "web: uvicorn app.main:app --reload --port $PORT\n", "app/main.py": APP},
     "PC101", "Procfile", "web: uvicorn app.main:app --port $PORT\n"),
    ({"Dockerfile": 'FROM python:3.12-slim\nUSER app\nCMD ["uvicorn", "app.main:app", "--reload", "--port", "80"]\n',
      "app/main.py": APP},
     "PC101", "Dockerfile", 'CMD ["uvicorn", "app.main:app", "--port", "80"]\n'),
    ({"docker-compose.yml": "services:\n  web:\n    build: .\n    # kept\n"
                            "    command: uvicorn app.main:app --reload  # kept too\n", "app/main.py": APP},
     "PC101", "docker-compose.yml", "    # kept\n    command: uvicorn app.main:app  # kept too\n"),
    ({"docker-compose.yml": "services:\n  web:\n    build: .\n    command:\n      - uvicorn\n      - app.main:app\n"
                            "      - --reload\n    ports: ['8000:8000']\n", "app/main.py": APP},
     "PC101", "docker-compose.yml", "      - app.main:app\n    ports: ['8000:8000']\n"),
    ({"k8s/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api}
        spec:
          template:
            spec:
              containers:
                - name: api
                  image: api:1.0
                  command: ["uvicorn", "app.main:app", "--reload"]
        """, "app/main.py": APP},
     "PC101", "k8s/deployment.yaml", '          command: ["uvicorn", "app.main:app"]\n'),
])
def test_each_fix_applies_and_reparses(tmp_path: Path, files: dict[str, str], code: str, path: str,
                                       expected: str) -> None:
    root = write_project(tmp_path, files)
    before = [f for f in findings(root, "--select", code) if f["path"] == path]
    assert before and all(f["fixable"] for f in before), before
    result = cli(root, "--select", code, "--fix")
    assert "fixed" in result.stderr, result.output
    text = (root / path).read_text()
    assert expected in text, text
    assert [f for f in findings(root, "--select", code) if f["path"] == path] == []
    every_file_parses(root)


def test_diff_prints_the_fixes_and_changes_nothing(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"Dockerfile": "FROM python:3.12-slim\nUSER app\nRUN pip install flask\n"})
    before = (root / "Dockerfile").read_text()
    result = cli(root, "--diff")
    assert result.exit_code == 1
    assert "-RUN pip install flask\n+RUN pip install --no-cache-dir flask\n" in result.stdout
    assert result.stdout.startswith("--- a/Dockerfile\n+++ b/Dockerfile\n")
    assert (root / "Dockerfile").read_text() == before
    (root / "Dockerfile").write_text("FROM python:3.12-slim\nUSER app\n")
    result = cli(root, "--diff")
    assert result.exit_code == 0 and result.stdout == ""


def test_development_files_are_not_fixed(tmp_path: Path) -> None:
    override = "services:\n  web:\n    command: uvicorn app.main:app --reload\n"
    root = write_project(tmp_path, {"docker-compose.override.yml": override, "app/main.py": APP})
    assert [f["fixable"] for f in findings(root, "--select", "PC101")] == [False]
    cli(root, "--fix")
    assert (root / "docker-compose.override.yml").read_text() == override


def test_never_through_a_symlink_out_of_the_repository(tmp_path: Path) -> None:
    outside = write_project(tmp_path / "outside", {"Dockerfile": "FROM python:3.12-slim\nUSER app\nRUN pip install x\n"})
    root = write_project(tmp_path / "repo", {"app/main.py": APP})
    (root / "Dockerfile").symlink_to(outside / "Dockerfile")
    fix = Fix("add", (Edit("Dockerfile", Span(3, 16, 3, 16), " --no-cache-dir"),))
    finding = Finding("PC702", "pip-cache-in-image", "m", Location("Dockerfile", Span(3, 5, 3, 16)), Severity.WARNING,
                      fix=fix)
    outcome = apply.plan(root, [finding], unsafe=False)
    assert outcome.changes == {} and "link" in outcome.refused[0]
    cli(root, "--fix")
    assert "--no-cache-dir" not in (outside / "Dockerfile").read_text()


def _finding(path: str, fix: Fix, safe_code: str = "PC403") -> Finding:
    return Finding(safe_code, "x", "m", Location(path, Span(1, 1, 1, 1)), Severity.WARNING, fix=fix)


def test_refuses_files_with_parse_errors_and_results_that_do_not_parse(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"broken.py": "def f(:\n    pass\n", "ok.py": "x = f(1)\n"})
    add = Fix("add", (Edit("broken.py", Span(2, 9, 2, 9), "  # x"),))
    outcome = apply.plan(root, [_finding("broken.py", add)], unsafe=False)
    assert outcome.changes == {} and "parse errors" in outcome.refused[0]
    breaking = Fix("add", (Edit("ok.py", Span(1, 8, 1, 8), ", y=("),))
    outcome = apply.plan(root, [_finding("ok.py", breaking)], unsafe=False)
    assert outcome.changes == {} and "unparseable" in outcome.refused[0]


def test_unsafe_fixes_only_when_asked_and_overlaps_wait_for_the_next_round(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"ok.py": "x = f(1)\n"})
    unsafe = Fix("u", (Edit("ok.py", Span(1, 7, 1, 8), "2"),), safe=False)
    assert apply.plan(root, [_finding("ok.py", unsafe)], unsafe=False).changes == {}
    assert apply.plan(root, [_finding("ok.py", unsafe)], unsafe=True).changes["ok.py"].after == "x = f(2)\n"
    first = Fix("a", (Edit("ok.py", Span(1, 5, 1, 9), "g(3)"),))
    second = Fix("b", (Edit("ok.py", Span(1, 7, 1, 8), "4"),))
    text, applied = apply.apply_fixes("x = f(1)\n", [second, first], "ok.py")
    assert (text, applied) == ("x = g(3)\n", 1)


def test_fix_on_shop_api_removes_every_safe_fixable_finding(tmp_path: Path) -> None:
    source = SHARED / "eval" / "projects" / "shop-api"
    if not source.is_dir():
        pytest.skip(f"{source} not present")
    root = shutil.copytree(source, tmp_path / "shop-api")
    before = findings(root)
    fixable = [f for f in before if f["fix"] and f["fix"]["applicability"] == "safe"]
    unsafe = [f for f in before if f["fix"] and f["fix"]["applicability"] == "unsafe"]
    assert {f["code"] for f in fixable} >= {"PC403", "PC404", "PC702"}
    result = cli(root, "--fix", "--format", "json")
    after = json.loads(result.stdout)["findings"]
    assert [f for f in after if f["fix"] and f["fix"]["applicability"] == "safe"] == []
    assert len(after) == len(before) - len(fixable)
    assert [f["code"] for f in after if f["fixable"]] == [f["code"] for f in unsafe]  # left for --unsafe-fixes
    every_file_parses(root)
    # A second run finds nothing more to do.
    assert "fixed 0 findings" in cli(root, "--fix").stderr
