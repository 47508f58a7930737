"""The pre-commit hook, run by the real `pre-commit` against a throwaway git repository.

pre-commit builds a fresh virtualenv and `pip install`s this checkout into it; pip gets an offline
wheelhouse (tests/wheelhouse.py) so that this needs no network.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO, write_project
from report_cases import SHOP
from wheelhouse import offline_pip_env, wheelhouse  # noqa: F401  (a fixture)

HOOKS = REPO / ".pre-commit-hooks.yaml"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1"}


def test_hook_definition() -> None:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    [hook] = [h for h in hooks if h["id"] == "prodcheck"]
    assert hook["entry"] == "prodcheck check"
    assert hook["language"] == "python"
    assert hook["types"] == ["text"]
    assert hook["require_serial"] is True
    assert hook["pass_filenames"] is True
    assert hook["name"]


# -- the end-to-end run -------------------------------------------------------------------------

def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


@pytest.mark.e2e
def test_pre_commit_try_repo(tmp_path: Path, wheelhouse: Path) -> None:
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")
    if pre_commit is None or shutil.which("git") is None:
        if os.environ.get("CI"):
            pytest.fail("pre-commit and git are needed (the test extra installs pre-commit)")
        pytest.skip("pre-commit or git not installed")
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: pre-commit try-repo clones the hook repository")
    project = write_project(tmp_path / "project", {k: v for k, v in SHOP.items() if k != "prodcheck.toml"})
    (project / "Procfile").write_text("web: uvicorn app.main:app --reload\n")
    _git(project, "init", "-q", "-b", "main")
    _git(project, "add", "-A")
    env = {
        **os.environ, **GIT_ENV,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        **offline_pip_env(wheelhouse),
        "NO_COLOR": "1", "GITHUB_STEP_SUMMARY": "",
    }
    env.pop("VIRTUAL_ENV", None)
    # Dockerfile is not among the files: its own finding (PC201) is not reported, but its worker
    # count still feeds the cross-file pool finding (PC402) on app/database.py.
    completed = subprocess.run(
        [pre_commit, "try-repo", str(REPO), "prodcheck", "--verbose", "--color", "never",
         "--files", "app/database.py", "Procfile", "app/main.py"],
        cwd=project, env=env, capture_output=True, text=True, timeout=600,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output
    assert "Procfile:1:" in output and "PC101" in output, output
    assert "app/database.py:3:" in output and "PC402" in output and "PC301" in output, output
    assert "PC201" not in output and "Dockerfile:1:" not in output, output
    assert "hunter2secret" not in output
