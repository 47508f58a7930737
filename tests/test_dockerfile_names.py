"""Which file names are Dockerfiles (knowledge/files.toml [dockerfiles]): docker build's default and its
lower-case fallback, Podman's Containerfile, and the `--file` variants named around them."""
from __future__ import annotations

import pytest

from prodcheck.discovery.classify import classify
from prodcheck.model.files import FileKind


@pytest.mark.parametrize("path", [
    "Dockerfile", "dockerfile", "Containerfile", "docker/Dockerfile.prod", "api/Dockerfile_alerts",
    "Dockerfile-worker", "deploy/api.Dockerfile", "python3.11-slim.dockerfile", "DOCKERFILE",
])
def test_dockerfile_names(path: str) -> None:
    assert classify(path) == FileKind.DOCKERFILE


@pytest.mark.parametrize("path, kind", [
    ("Dockerfile.dockerignore", FileKind.DOCKERIGNORE), ("api/Dockerfile_alerts.dockerignore", FileKind.DOCKERIGNORE),
    ("docs/Dockerfile.md", None), ("Dockerfile-notes.txt", None), ("dockerfile.py", FileKind.PYTHON),
    ("Dockerfile.yml", FileKind.YAML), ("build_dockerfile.sh", FileKind.SHELL), ("Dockerfiles", None),
    ("mydockerfile", None),
])
def test_names_that_are_not_dockerfiles(path: str, kind: FileKind | None) -> None:
    assert classify(path) == kind
