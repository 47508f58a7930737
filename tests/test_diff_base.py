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
from prodcheck.diff import ChangedLines, changed_lines_between
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


def test_changed_lines_spans() -> None:
    changed = ChangedLines({"a.py": {5}, "b.py": None})
    multi = Finding("PC101", "n", "m", Location("a.py", Span(3, 1, 6, 1)), Severity.ERROR)
    other = Finding("PC101", "n", "m", Location("c.py", Span(5)), Severity.ERROR,
                    related=(Location("b.py", Span(1)),))
    assert changed.covers(multi) and changed.primary(multi)
    assert changed.covers(other) and not changed.primary(other)


def test_changed_lines_between() -> None:
    old = b"a\nb\nc\nd\n"
    assert changed_lines_between(old, old) == set()
    assert changed_lines_between(old, b"a\nB\nc\nd\n") == {2}
    assert changed_lines_between(old, b"a\nb\nx\ny\nc\nd\n") == {3, 4}
    assert changed_lines_between(old, b"a\nd\n") == {1, 2}  # b, c deleted: the lines around the gap
    assert changed_lines_between(old, b"b\nc\nd\n") == {1}
    assert changed_lines_between(old, b"a\r\nb\r\nc\r\nd\r\n") == set()
    assert changed_lines_between(b"", b"x\ny\n") == {1, 2}


HOOKABLE = """\
[core]
    fsmonitor = {script}
    hooksPath = {hooks}
    pager = {script}
    editor = {script}
    sshCommand = {script}
    untrackedCache = true
[filter "evil"]
    process = {script}
    clean = {script}
    smudge = {script}
    required = true
[diff "evil"]
    textconv = {script}
    command = {script}
[diff]
    external = {script}
[alias]
    ls-tree = !{script}
    cat-file = !{script}
[uploadpack]
    packObjectsHook = {script}
"""
HOOK_NAMES = ("post-index-change", "pre-commit", "post-checkout", "reference-transaction", "fsmonitor-watchman",
              "pre-auto-gc", "post-rewrite")


def _plant(root: Path, tmp_path: Path, git_dir: Path) -> Path:
    """Every way a repository's own files could make git run a program; each creates `marker`."""
    marker = tmp_path / "ran"
    script = tmp_path / "evil.sh"
    script.write_text(f"#!/bin/sh\necho ran >> {marker}\nexit 0\n")
    script.chmod(0o755)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for name in HOOK_NAMES:
        for folder in (hooks, git_dir / "hooks"):
            folder.mkdir(exist_ok=True)
            (folder / name).write_text(script.read_text())
            (folder / name).chmod(0o755)
    with (git_dir / "config").open("a") as config:
        config.write(HOOKABLE.format(script=script, hooks=hooks))
    (root / ".gitattributes").write_text("* filter=evil diff=evil\n")
    return marker


@pytest.mark.skipif(os.name != "posix", reason="shell scripts as planted commands")
def test_the_repository_configuration_cannot_run_anything(tmp_path: Path) -> None:
    root = repo(tmp_path)
    edit(root / "app/database.py", "max_overflow=40", "max_overflow=40, echo=False")
    (root / "Procfile").write_text("web: uvicorn app.main:app --reload\n")  # untracked
    git(root, "mv", "Dockerfile", "Containerfile")
    expected = reported(root, "--diff-base", "HEAD")
    marker = _plant(root, tmp_path, root / ".git")
    index = (root / ".git" / "index").read_bytes()
    before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    assert reported(root, "--diff-base", "HEAD") == expected
    assert ("PC301", "app/database.py", 3) in expected
    assert not marker.exists()
    assert (root / ".git" / "index").read_bytes() == index  # no index refresh
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == before


@pytest.mark.skipif(os.name != "posix", reason="shell scripts as planted commands")
def test_a_folder_shaped_like_a_bare_repository_is_not_one(tmp_path: Path) -> None:
    root = write_project(tmp_path / "plain", SHOP)
    subprocess.run(["git", "init", "-q", "--bare", str(root / "bare")], check=True, env={**os.environ, **GIT_ENV})
    for name in ("HEAD", "config", "objects", "refs"):
        (root / "bare" / name).rename(root / name)
    marker = _plant(root, tmp_path, root)
    result = CliRunner().invoke(main, ["check", str(root), "--no-cache", "--diff-base", "HEAD"],
                                env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert result.exit_code == 2 and "git work tree" in result.stderr
    assert not marker.exists()


def test_diffs_from_the_merge_base_when_the_base_branch_moved(tmp_path: Path) -> None:
    root = repo(tmp_path)
    git(root, "checkout", "-q", "-b", "feature")
    edit(root / "Dockerfile", '"-w", "4"', '"-w", "8"')
    git(root, "commit", "-qam", "more workers")
    git(root, "checkout", "-q", "main")
    # main moves on after the branch left it: a line the branch never touched now differs from main.
    edit(root / "app/database.py", "max_overflow=40", "max_overflow=40, echo=False")
    git(root, "commit", "-qam", "main moves")
    git(root, "checkout", "-q", "feature")
    # Three-dot semantics: only the branch's Dockerfile line counts (it feeds PC402), not main's edit.
    assert reported(root, "--diff-base", "main") == [("PC402", "app/database.py", 3)]


def test_no_shared_history_is_a_clear_usage_error(tmp_path: Path) -> None:
    root = repo(tmp_path)
    git(root, "checkout", "-q", "--orphan", "unrelated")
    git(root, "commit", "-qm", "unrelated root")
    result = CliRunner().invoke(main, ["check", str(root), "--no-cache", "--diff-base", "main"])
    assert result.exit_code == 2
    assert "share no history" in result.stderr
