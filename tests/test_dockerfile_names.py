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


def test_the_default_name_falls_back_to_lower_case(tmp_path) -> None:
    """`build: ./svc` and `docker build svc` read `svc/dockerfile` when there is no `svc/Dockerfile`, as the
    docker CLI does; a folder with both builds `Dockerfile`."""
    from conftest import project_model

    project = project_model(tmp_path, {
        "svc/dockerfile": "FROM python:3.12-slim\nCMD [\"uvicorn\", \"app:app\"]\n",
        "both/Dockerfile": "FROM python:3.12-slim\n", "both/dockerfile": "FROM python:3.12-slim\n",
        "docker-compose.yml": "services:\n  svc:\n    build: ./svc\n",
        ".github/workflows/deploy.yml": (
            "on: {push: {branches: [main]}}\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - run: docker build -t registry.example.com/svc:1 svc && docker push registry.example.com/svc:1\n"),
    })
    found = project.dockerfile_for("", "svc", None)
    assert found is not None and found.path == "svc/dockerfile"
    both = project.dockerfile_for("", "both", None)
    assert both is not None and both.path == "both/Dockerfile"
    assert project.dockerfile_for("", "svc", "Dockerfile.prod") is None
    assert "built by `docker build`" in project.by_path["svc/dockerfile"].context_reason
