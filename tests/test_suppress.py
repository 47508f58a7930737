"""Inline suppression in every file kind, and PC001 for pragmas that suppress nothing."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_json, write_project

# (file, flagged line, code, name, lines before it): a finding on that line in a prod file of each kind.
KINDS = {
    "python": ("app/database.py", 'engine = create_engine("postgresql://shop:s3cret@db/shop")', "PC301",
               "hardcoded-database-url", ["from sqlalchemy import create_engine", ""]),
    "dockerfile": ("Dockerfile", "CMD uvicorn app.main:app --host 0.0.0.0 --reload", "PC101",
                   "reload-in-production", ["FROM python:3.12-slim", "USER app"]),
    "compose": ("docker-compose.yml", "    command: uvicorn app.main:app --reload", "PC101", "reload-in-production",
                ["services:", "  api:", "    image: registry.example.com/api:1.0.0", "    user: app"]),
    "k8s": ("deploy/api.yaml", '          args: ["uvicorn", "app.main:app", "--reload"]', "PC101",
            "reload-in-production",
            ["apiVersion: apps/v1", "kind: Deployment", "metadata:", "  name: api", "spec:", "  template:",
             "    spec:", "      containers:", "        - name: api", "          image: registry.example.com/api:1.0.0"]),
    "shell": ("scripts/start.sh", "exec uvicorn app.main:app --reload", "PC101", "reload-in-production", ["#!/bin/sh"]),
    "procfile": ("Procfile", "web: uvicorn app.main:app --reload", "PC101", "reload-in-production", []),
    "env": (".env", "DATABASE_URL=postgresql://shop:s3cret@db/shop", "PC301", "hardcoded-database-url",
            ["APP_NAME=shop"]),
}


# Rules other than these may fire on the same lines as prodcheck grows; these tests ignore them.
WATCHED = {"PC101", "PC301", "PC001"}


def scan(tmp_path: Path, kind: str, lines: list[str], *args: str) -> list[tuple[str, int, str]]:
    path = KINDS[kind][0]
    root = write_project(tmp_path, {path: "\n".join(lines) + "\n"})
    _, data = run_json(root, *args)
    return sorted((f["code"], f["line"], f["severity"]) for f in data["findings"]
                  if f["path"] == path and f["code"] in WATCHED)


def variants(kind: str) -> dict[str, list[str]]:
    _, line, code, name, before = KINDS[kind]
    return {
        "line above": [*before, f"# prodcheck: ignore[{code}]", line],
        "line above, by name, with reason": [*before, f"# prodcheck: ignore[{name}] -- staging only", line],
        "line above, bare": [*before, "# prodcheck: ignore", line],
        "whole file": [*before[:1], f"# prodcheck: ignore-file[{code}] -- legacy", *before[1:], line],
        "whole file, at the end": [*before, line, f"# prodcheck: ignore-file[{name}]"],
        "same line": [*before, f"{line}  # prodcheck: ignore[{code}]"],
        "same line, several codes": [*before, f"{line}  # prodcheck: ignore[PC203,{code}] -- why not"],
    }


@pytest.mark.parametrize("kind", KINDS)
def test_unsuppressed_baseline(kind: str, tmp_path: Path) -> None:
    _, line, code, _, before = KINDS[kind]
    assert (code, len(before) + 1) in [(c, n) for c, n, _ in scan(tmp_path, kind, [*before, line])]


@pytest.mark.parametrize("style", list(variants("python")))
@pytest.mark.parametrize("kind", KINDS)
def test_pragma_suppresses(kind: str, style: str, tmp_path: Path) -> None:
    lines = variants(kind)[style]
    code = KINDS[kind][2]
    found = scan(tmp_path, kind, lines)
    assert not [f for f in found if f[0] == code], found
    unused = [f for f in found if f[0] == "PC001"]
    if style == "same line, several codes":
        # PC203 never fires on this line: that part of the pragma is reported, as info.
        assert len(unused) == 1 and unused[0][2] == "info"
    else:
        assert not unused, found


@pytest.mark.parametrize("kind", KINDS)
def test_pragma_for_another_rule_does_not_suppress(kind: str, tmp_path: Path) -> None:
    _, line, code, _, before = KINDS[kind]
    other = "PC402" if code != "PC402" else "PC101"
    found = scan(tmp_path, kind, [*before, f"# prodcheck: ignore[{other}]", line])
    number = len(before) + 2
    assert (code, number) in [(c, n) for c, n, _ in found]
    assert ("PC001", number - 1, "info") in found


@pytest.mark.parametrize("kind", KINDS)
def test_trailing_pragma_does_not_cover_the_next_line(kind: str, tmp_path: Path) -> None:
    _, line, code, _, before = KINDS[kind]
    before = [b for b in before if b]
    if not before:
        before = ["web2: gunicorn app.main:app -k uvicorn.workers.UvicornWorker"]
    lines = [*before[:-1], f"{before[-1]}  # prodcheck: ignore[{code}]", line]
    found = scan(tmp_path, kind, lines)
    assert (code, len(before) + 1) in [(c, n) for c, n, _ in found]
    assert ("PC001", len(before), "info") in found


def test_two_lines_above_is_too_far(tmp_path: Path) -> None:
    found = scan(tmp_path, "procfile", ["# prodcheck: ignore[PC101]", "", "web: uvicorn app.main:app --reload"])
    assert ("PC101", 3) in [(c, n) for c, n, _ in found]
    assert ("PC001", 1, "info") in found


def test_pc001_not_for_rules_turned_off(tmp_path: Path) -> None:
    lines = ["web: gunicorn app.main:app -k uvicorn.workers.UvicornWorker  # prodcheck: ignore[PC101]"]
    assert [c for c, *_ in scan(tmp_path, "procfile", lines)] == ["PC001"]
    assert scan(tmp_path, "procfile", lines, "--select", "PC2,PC001") == []
    assert scan(tmp_path, "procfile", lines, "--ignore", "reload-in-production") == []
    assert scan(tmp_path, "procfile", lines, "--ignore", "PC001") == []
    assert [c for c, *_ in scan(tmp_path, "procfile", lines, "--select", "PC1,PC0")] == ["PC001"]


def test_pc001_not_for_rules_ignored_for_that_file(tmp_path: Path) -> None:
    write_project(tmp_path, {"prodcheck.toml": '[per-file-ignores]\n"Procfile" = ["PC101"]\n'})
    lines = ["web: uvicorn app.main:app --reload  # prodcheck: ignore[PC101]"]
    assert scan(tmp_path, "procfile", lines) == []


def test_pc001_names_an_unknown_rule(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"Procfile": "web: uvicorn app.main:app --reload  # prodcheck: ignore[PC10]\n"})
    _, data = run_json(root, "--select", "PC101,PC001")
    messages = {f["code"]: f["message"] for f in data["findings"]}
    assert set(messages) == {"PC101", "PC001"}
    assert "`PC10`" in messages["PC001"] and "no prodcheck rule" in messages["PC001"]


def test_pc001_is_info_and_does_not_fail_the_run(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"Procfile": "web: gunicorn app.main:app  # prodcheck: ignore\n"})
    code, data = run_json(root, "--select", "PC1,PC001")
    assert code == 0
    [finding] = data["findings"]
    assert (finding["code"], finding["severity"], finding["line"], finding["column"]) == ("PC001", "info", 1, 29)
    assert code == 0


def test_pragma_text_in_a_python_string_is_not_a_pragma(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"app/database.py": """
        from sqlalchemy import create_engine

        NOTE = "# prodcheck: ignore"
        engine = create_engine("postgresql://shop:s3cret@db/shop", connect_args={"x": "# prodcheck: ignore"})
        """})
    _, data = run_json(root, "--select", "PC301,PC001")
    assert [f["code"] for f in data["findings"]] == ["PC301"]


def test_pragma_in_a_python_file_that_does_not_parse(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"app/broken.py": "# prodcheck: ignore-file[PC000]\nimport fastapi\ndef f(:\n"})
    _, data = run_json(root)
    assert data["findings"] == []
    root = write_project(tmp_path, {"app/broken.py": "import fastapi\ndef f(:  # prodcheck: ignore[parse-error]\n"})
    _, data = run_json(root)
    assert data["findings"] == []


def test_case_and_spacing_variants(tmp_path: Path) -> None:
    lines = ["web: uvicorn app.main:app --reload  #prodcheck:IGNORE[ pc101 ]"]
    assert scan(tmp_path, "procfile", lines) == []
