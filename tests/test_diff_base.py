"""`--diff-base REF`: only findings on lines changed since REF (the pull-request mode)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import write_project
from prodcheck.cli import main
from prodcheck.diff import ChangedLines, parse_patch
from prodcheck.model.finding import Finding, Location, Severity, Span
from report_cases import SHOP

pytestmark = pytest.mark.skipif(shutil.which("git") is None and not os.environ.get("CI"), reason="git not installed")

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(root: Path, *args: str) -> str:
    completed = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True,
                               env={**os.environ, **GIT_ENV})
    return completed.stdout


def repo(tmp_path: Path, files: dict[str, str] = SHOP) -> Path:
    root = write_project(tmp_path / "repo", files)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def reported(root: Path, *args: str) -> list[tuple[str, str, int]]:
    result = CliRunner().invoke(main, ["check", str(root), "--format", "json", "--no-cache", *args])
    assert result.exit_code in (0, 1), result.output
    return sorted((f["code"], f["path"], f["line"]) for f in json.loads(result.stdout)["findings"])


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_nothing_changed_nothing_reported(tmp_path: Path) -> None:
    root = repo(tmp_path)
    assert len(reported(root)) == 3
    assert reported(root, "--diff-base", "HEAD") == []
    result = CliRunner().invoke(main, ["check", str(root), "--no-cache", "--diff-base", "main"])
    assert result.exit_code == 0


def test_changed_line_is_reported_and_untouched_ones_are_not(tmp_path: Path) -> None:
    root = repo(tmp_path)
    edit(root / "app/database.py", "max_overflow=40", "max_overflow=40, echo=False")
    assert reported(root, "--diff-base", "HEAD") == [("PC301", "app/database.py", 3), ("PC402", "app/database.py", 3)]


def test_cross_file_finding_counts_when_a_related_line_changes(tmp_path: Path) -> None:
    root = repo(tmp_path)
    edit(root / "Dockerfile", '"-w", "4"', '"-w", "8"')
    # PC402 sits in app/database.py, but the worker count it multiplies is the changed Dockerfile line.
    assert reported(root, "--diff-base", "HEAD") == [("PC402", "app/database.py", 3)]


def test_staged_and_committed_changes_count(tmp_path: Path) -> None:
    root = repo(tmp_path)
    base = git(root, "rev-parse", "HEAD").strip()
    (root / "Procfile").write_text("web: uvicorn app.main:app --reload\n")
    git(root, "add", "Procfile")
    git(root, "commit", "-q", "-m", "procfile")
    (root / "scripts").mkdir()
    (root / "scripts/start.sh").write_text("#!/bin/sh\nexec uvicorn app.main:app --reload\n")
    git(root, "add", "scripts/start.sh")  # staged, not committed
    assert reported(root, "--select", "PC101", "--diff-base", base) == [("PC101", "Procfile", 1), ("PC101", "scripts/start.sh", 2)]
    assert reported(root, "--select", "PC101", "--diff-base", "HEAD") == [("PC101", "scripts/start.sh", 2)]


def test_untracked_files_count_as_changed(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / "Procfile").write_text("web: uvicorn app.main:app --reload\n")
    assert reported(root, "--select", "PC101", "--diff-base", "HEAD") == [("PC101", "Procfile", 1)]
    (root / ".gitignore").write_text("Procfile.local\n")
    (root / "Procfile.local").write_text("web: uvicorn app.main:app --reload\n")
    assert ("PC101", "Procfile.local", 1) not in reported(root, "--select", "PC101", "--diff-base", "HEAD")


def test_renames_are_followed(tmp_path: Path) -> None:
    root = repo(tmp_path)
    git(root, "mv", "app/database.py", "app/db.py")
    assert reported(root, "--diff-base", "HEAD") == []  # moved, not changed
    edit(root / "app/db.py", "from sqlalchemy import create_engine", "from sqlalchemy import create_engine  # moved")
    assert reported(root, "--diff-base", "HEAD") == []  # only an unflagged line changed


def test_a_deleted_line_marks_its_neighbours(tmp_path: Path) -> None:
    files = dict(SHOP)
    files["Dockerfile"] = 'FROM python:3.12-slim\nUSER app\nCMD ["gunicorn", "app.main:app", "-w", "4"]\n'
    root = repo(tmp_path, files)
    assert not [f for f in reported(root) if f[0] == "PC201"]
    edit(root / "Dockerfile", "USER app\n", "")
    assert ("PC201", "Dockerfile", 1) in reported(root, "--diff-base", "HEAD")


def test_subfolder_of_a_repository(tmp_path: Path) -> None:
    root = repo(tmp_path, {f"services/api/{k}": v for k, v in SHOP.items()})
    edit(root / "services/api/Dockerfile", '"-w", "4"', '"-w", "8"')
    assert reported(root / "services/api", "--diff-base", "HEAD") == [("PC402", "app/database.py", 3)]


def test_not_a_git_repository(tmp_path: Path) -> None:
    root = write_project(tmp_path / "plain", SHOP)
    result = CliRunner().invoke(main, ["check", str(root), "--no-cache", "--diff-base", "main"],
                                env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert result.exit_code == 2
    assert "not inside" in result.stderr and "git work tree" in result.stderr


@pytest.mark.parametrize("ref", ["no-such-branch", "--output=x", "HEAD~5"])
def test_unknown_ref(tmp_path: Path, ref: str) -> None:
    root = repo(tmp_path)
    result = CliRunner().invoke(main, ["check", str(root), "--no-cache", f"--diff-base={ref}"])
    assert result.exit_code == 2
    assert "--diff-base" in result.stderr
    assert not (root / "x").exists()


def test_github_format_under_diff_base(tmp_path: Path) -> None:
    root = repo(tmp_path)
    edit(root / "Dockerfile", '"-w", "4"', '"-w", "8"')
    result = CliRunner().invoke(main, ["check", str(root), "--no-cache", "--format", "github", "--diff-base", "HEAD"],
                                env={"GITHUB_STEP_SUMMARY": ""})
    assert [line.split(",")[0] for line in result.stdout.splitlines()] == ["::error file=app/database.py"]


def test_parse_patch_quoted_paths_binary_and_deletions() -> None:
    patch = "\n".join([
        'diff --git "a/sp ace\\303\\251.py" "b/sp ace\\303\\251.py"',
        '--- "a/sp ace\\303\\251.py"',
        '+++ "b/sp ace\\303\\251.py"',
        "@@ -3 +3,2 @@",
        "diff --git a/gone.py b/gone.py",
        "--- a/gone.py",
        "+++ /dev/null",
        "@@ -1,2 +0,0 @@",
        "diff --git a/logo.png b/logo.png",
        "Binary files a/logo.png and b/logo.png differ",
        "diff --git a/x.py b/x.py",
        "--- a/x.py",
        "+++ b/x.py",
        "@@ -10,2 +9,0 @@",
        "@@ -20 +19 @@",
    ])
    changed = parse_patch(patch)
    assert changed.files == {"sp aceé.py": {3, 4}, "logo.png": None, "x.py": {9, 10, 19}}


def test_changed_lines_spans() -> None:
    changed = ChangedLines({"a.py": {5}, "b.py": None})
    multi = Finding("PC101", "n", "m", Location("a.py", Span(3, 1, 6, 1)), Severity.ERROR)
    other = Finding("PC101", "n", "m", Location("c.py", Span(5)), Severity.ERROR,
                    related=(Location("b.py", Span(1)),))
    assert changed.covers(multi) and changed.primary(multi)
    assert changed.covers(other) and not changed.primary(other)
