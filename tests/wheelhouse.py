"""An offline wheelhouse repacked from the packages installed in the running interpreter.

pre-commit and the GitHub Action `pip install` this checkout into a fresh environment. With the
index off and this wheelhouse as the only source (prodcheck's dependencies and its build backend,
hatchling), those installs work without network and take seconds.
"""
from __future__ import annotations

import base64
import hashlib
import importlib.metadata as metadata
import os
import re
import zipfile
from pathlib import Path

import pytest

from conftest import REPO


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


def offline_pip_env(wheelhouse: Path) -> dict[str, str]:
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse), "PIP_CONFIG_FILE": os.devnull,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1", "VIRTUALENV_NO_PERIODIC_UPDATE": "1"}
