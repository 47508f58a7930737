"""A scanned repository cannot plant the programs prodcheck runs (git, helm): see executables.py."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write_project
from prodcheck.executables import find

CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
    "chart/values.yaml": "image:\n  tag: '1.0'\n",
    "chart/templates/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\n"
                                   "spec:\n  template:\n    spec:\n      containers:\n        - name: web\n"
                                   "          image: 'shop:{{ .Values.image.tag }}'\n",
    "main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
}


def plant(folder: Path, name: str, marker: Path) -> Path:
    """An executable `name` in `folder` that leaves `marker` behind if anything runs it."""
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / name
    program.write_text(f"#!/bin/sh\necho ran > '{marker}'\nexit 1\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return program


def test_a_relative_path_entry_is_never_searched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plant(tmp_path, "helm", tmp_path / "ran")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", os.pathsep.join(["", ".", "/nonexistent"]))
    assert find("helm") is None


def test_a_program_inside_the_scanned_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, elsewhere = tmp_path / "repo", tmp_path / "tools"
    plant(repo / ".venv" / "bin", "helm", tmp_path / "ran")
    trusted = plant(elsewhere, "helm", tmp_path / "ran")
    monkeypatch.setenv("PATH", os.pathsep.join([str(repo / ".venv" / "bin"), str(elsewhere)]))
    assert find("helm", untrusted=(repo,)) == str(trusted)  # the planted one is skipped, the next taken
    monkeypatch.setenv("PATH", str(repo / ".venv" / "bin"))
    assert find("helm", untrusted=(repo,)) is None
    assert find(str(repo / ".venv" / "bin" / "helm"), untrusted=(repo,)) is None  # an explicit path too
    (elsewhere / "link").symlink_to(repo / ".venv" / "bin" / "helm")
    monkeypatch.setenv("PATH", str(elsewhere))
    assert find("link", untrusted=(repo,)) is None  # a link from a trusted folder into the repository


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell scripts")
@pytest.mark.parametrize("path_entry", ["repo-bin", "dot", "empty"])
def test_a_scan_never_runs_the_repositorys_git_or_helm(tmp_path: Path, path_entry: str) -> None:
    root = write_project(tmp_path / "repo", CHART)
    marker = tmp_path / "ran"
    plant(root, "git", marker)
    plant(root, "helm", marker)
    plant(root / "bin", "git", marker)
    plant(root / "bin", "helm", marker)
    system = os.pathsep.join(os.path.dirname(p) for p in (shutil.which("git"), shutil.which("helm")) if p)
    first = {"repo-bin": str(root / "bin"), "dot": ".", "empty": ""}[path_entry]
    env = {k: v for k, v in os.environ.items() if k != "PRODCHECK_HELM"}
    env["PATH"] = os.pathsep.join([first, system or "/usr/bin", "/usr/bin", "/bin"])
    env["PRODCHECK_CACHE_DIR"] = str(tmp_path / "cache")
    for args in (["check", ".", "--no-cache"], ["check", ".", "--no-cache", "--diff-base", "HEAD"]):
        subprocess.run([sys.executable, "-m", "prodcheck", *args], cwd=root, env=env, capture_output=True,
                       timeout=120, check=False)
    assert not marker.exists()
