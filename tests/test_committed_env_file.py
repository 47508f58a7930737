"""PC303 asks git which .env files are tracked; outside a git checkout every file counts."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import run_json, write_project

FILES = {
    ".env": "SECRET_KEY=9f3b2c71d4e8a6f0b5c2d1e7a8f4b3c6\n",
    ".env.production": "API_TOKEN=tok_live_51H8xYz9Qw2Lk7Rt4Vb6Np3M\n",
}


def _pc303(root: Path) -> list[dict]:
    _, report = run_json(root, "--select", "PC303")
    return [f for f in report["findings"] if f["code"] == "PC303"]


def test_without_git_every_env_file_counts(tmp_path: Path) -> None:
    root = write_project(tmp_path, FILES)
    assert sorted(f["path"] for f in _pc303(root)) == [".env", ".env.production"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_only_tracked_files_count_in_a_git_checkout(tmp_path: Path) -> None:
    root = write_project(tmp_path, FILES)
    git = ["git", "-C", str(root), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", ".env"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "add env"], check=True)
    findings = _pc303(root)
    assert [f["path"] for f in findings] == [".env"]
    assert "tracked by git" in findings[0]["message"]
    assert "9f3b2c71" not in findings[0]["message"]


def test_plain_word_passwords_of_an_unpublished_store_say_who_can_use_them(tmp_path: Path) -> None:
    root = write_project(tmp_path, {
        ".env": "POSTGRES_PASSWORD=postgres\nPOSTGRES_USER=app\n",
        "compose.yaml": "services:\n  db:\n    image: postgres:16\n    env_file: .env\n",
    })
    [finding] = _pc303(root)
    assert finding["severity"] == "warning"
    assert "of the compose stack's own `db`, which publishes no port" in finding["message"]
    assert "can use the password, but every deployment that uses this file as it is shares it;" in finding["message"]
    assert "{" not in finding["message"]
