"""The pre-commit hook, run by the real `pre-commit` against a throwaway git repository.

pre-commit builds a fresh virtualenv and `pip install`s this checkout into it. To keep that
offline and fast, the test gives pip a wheelhouse repacked from the packages already installed
in the running interpreter (prodcheck's dependencies and its build backend), with the index off.
"""
from __future__ import annotations

import base64
import hashlib
import importlib.metadata as metadata
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import REPO, write_project
from report_cases import SHOP

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


# -- an offline wheelhouse from what is installed ---------------------------------------------

def _closure(roots: list[str]) -> list[metadata.Distribution]:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: dict[str, metadata.Distribution] = {}
    todo = list(roots)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen[name] = metadata.distribution(name)
        for text in seen[name].requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return list(seen.values())


def _wheel_tag(wheel_metadata: str) -> str:
    tags = [line.split(":", 1)[1].strip() for line in wheel_metadata.splitlines() if line.startswith("Tag:")]
    parts = [sorted({tag.split("-")[i] for tag in tags}) for i in range(3)]
    return "-".join(".".join(p) for p in parts)


def _repack(dist: metadata.Distribution, target: Path) -> Path:
    info_dir = next(str(f).split("/")[0] for f in dist.files or [] if str(f).split("/")[0].endswith(".dist-info"))
    name = re.sub(r"[-_.]+", "_", info_dir[: -len(".dist-info")].rsplit("-", 1)[0])
    wheel_metadata = dist.read_text("WHEEL") or "Tag: py3-none-any\n"
    path = target / f"{name}-{dist.version}-{_wheel_tag(wheel_metadata)}.whl"
    base = Path(str(dist.locate_file("")))
    record: list[str] = []
    skipped = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in dist.files or []:
            relative = str(entry)
            if relative.startswith("..") or "__pycache__" in relative:
                continue
            if relative.startswith(info_dir + "/") and relative.split("/")[-1] in skipped:
                continue
            full = base / relative
            if not full.is_file():
                continue
            data = full.read_bytes()
            archive.writestr(relative, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{relative},sha256={digest},{len(data)}")
        record.append(f"{info_dir}/RECORD,,")
        archive.writestr(f"{info_dir}/RECORD", "\n".join(record) + "\n")
    return path


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("wheelhouse")
    try:
        dists = _closure(["hatchling", *_runtime_requirements()])
    except metadata.PackageNotFoundError as error:
        if os.environ.get("CI"):
            pytest.fail(f"{error}: install the test extra (`pip install -e '.[test]'`)")
        pytest.skip(f"not installed: {error}")
    for dist in dists:
        _repack(dist, target)
    return target


def _runtime_requirements() -> list[str]:
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(text).name for text in project["dependencies"]]


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
        "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse), "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1", "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
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
