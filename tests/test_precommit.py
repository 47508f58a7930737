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
from readme_snippets import readme_block
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


def test_readme_config_names_this_hook() -> None:
    config = yaml.safe_load(readme_block(".pre-commit-config.yaml"))
    [repo] = config["repos"]
    ids = {hook["id"] for hook in yaml.safe_load(HOOKS.read_text(encoding="utf-8"))}
    assert [hook["id"] for hook in repo["hooks"]] == ["prodcheck"]
    assert {hook["id"] for hook in repo["hooks"]} <= ids
    assert repo["repo"].endswith("/prodcheck") and repo["rev"]


# -- the end-to-end runs -------------------------------------------------------------------------

def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def _pre_commit() -> str:
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")
    if pre_commit is None or shutil.which("git") is None:
        if os.environ.get("CI"):
            pytest.fail("pre-commit and git are needed (the test extra installs pre-commit)")
        pytest.skip("pre-commit or git not installed")
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: pre-commit clones the hook repository")
    return pre_commit


@pytest.mark.e2e
def test_pre_commit_try_repo(tmp_path: Path, wheelhouse: Path) -> None:  # noqa: F811  (the imported fixture)
    pre_commit = _pre_commit()
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


@pytest.mark.e2e
def test_readme_config_runs(tmp_path: Path, wheelhouse: Path) -> None:  # noqa: F811
    """The README's .pre-commit-config.yaml, pointed at this checkout's HEAD, run by `pre-commit run`."""
    pre_commit = _pre_commit()
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    snippet = readme_block(".pre-commit-config.yaml")
    config = yaml.safe_load(snippet)
    config["repos"][0]["repo"] = str(REPO)
    config["repos"][0]["rev"] = head.strip()
    project = write_project(tmp_path / "project", {"Procfile": "web: uvicorn app.main:app --reload\n",
                                                   "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"})
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    _git(project, "init", "-q", "-b", "main")
    _git(project, "add", "-A")
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path / "home"), **offline_pip_env(wheelhouse),
           "NO_COLOR": "1", "GITHUB_STEP_SUMMARY": ""}
    env.pop("VIRTUAL_ENV", None)
    completed = subprocess.run([pre_commit, "run", "--all-files", "--verbose", "--color", "never"], cwd=project,
                               env=env, capture_output=True, text=True, timeout=600)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output
    assert "Procfile:1:" in output and "PC101" in output, output


@pytest.mark.e2e
def test_commit_touching_only_the_dockerfile_fails_on_the_pool_it_feeds(tmp_path: Path, wheelhouse: Path) -> None:  # noqa: F811
    """`-w 4` -> `-w 8` staged alone: PC402 lives in app/database.py, its worker count in the Dockerfile."""
    pre_commit = _pre_commit()
    files = {
        "app/database.py": "import os\nfrom sqlalchemy import create_engine\n\n"
                           "engine = create_engine(os.environ['DATABASE_URL'], pool_size=10, max_overflow=5)\n",
        "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
        "Dockerfile": 'FROM python:3.12-slim\nCMD ["gunicorn", "app.main:app", "-k", "uvicorn.workers.UvicornWorker",'
                      ' "-w", "4"]\n',
        "prodcheck.toml": 'select = ["PC402"]\n',
    }
    project = write_project(tmp_path / "project", files)
    _git(project, "init", "-q", "-b", "main")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "start")
    dockerfile = project / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace('"4"', '"8"'))
    _git(project, "add", "Dockerfile")
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path / "home"), **offline_pip_env(wheelhouse),
           "NO_COLOR": "1", "GITHUB_STEP_SUMMARY": ""}
    env.pop("VIRTUAL_ENV", None)
    # No --files: pre-commit passes the staged files, as on `git commit`.
    completed = subprocess.run([pre_commit, "try-repo", str(REPO), "prodcheck", "--verbose", "--color", "never"],
                               cwd=project, env=env, capture_output=True, text=True, timeout=600)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output
    assert "app/database.py:4:" in output and "PC402" in output, output
