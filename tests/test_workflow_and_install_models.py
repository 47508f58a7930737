"""Focused tests for the models PC7xx rules reason over: workflow jobs, Dockerfile installs, pins, lock files."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_json, write_project
from prodcheck import engine
from prodcheck.discovery.classify import classify
from prodcheck.model.files import FileKind
from prodcheck.parsing.dockerfile import parse
from prodcheck.project import Project
from prodcheck.rules.supply_chain.installs import install_of, installs, run_commands, shipped_stages
from prodcheck.rules.supply_chain.unpinned_dependencies import is_pinned
from prodcheck.settings import Settings


def project_of(root: Path) -> Project:
    settings = Settings().with_overrides(use_cache=False)
    files = engine.discover(root, settings)
    return Project(root, files, engine.parse_python(root, files, settings), settings)


WORKFLOW = """
on:
  push:
    branches: [main]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: docker build -t img . && docker push img
  test:
    needs: build
    runs-on: ubuntu-latest
    services:
      postgres:
        image: postgres:16
    steps:
      - run: |
          alembic upgrade head
          python -m pytest -q
  e2e:
    runs-on: ubuntu-latest
    steps:
      - uses: helm/kind-action@v1
      - run: kubectl apply -f deploy/
  release:
    needs: [test]
    runs-on: [self-hosted, production]
    steps:
      - run: docker compose up -d
  docs:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/deploy-pages@v4
"""


def test_workflow_jobs_know_what_they_test_and_deploy(tmp_path: Path) -> None:
    project = project_of(write_project(tmp_path, {".github/workflows/ci.yml": WORKFLOW}))
    [workflow] = project.workflow_jobs
    jobs = workflow.jobs
    assert jobs["test"].tests() == "`python -m pytest`"
    assert jobs["test"].deploys() is None  # migrating the CI service container is part of testing
    assert jobs["e2e"].deploys() is None  # kubectl against a kind cluster
    assert jobs["release"].deploys() == "`docker compose up` on a self-hosted runner"
    assert jobs["docs"].deploys() is None  # GitHub Pages is documentation
    assert [j.key for j in workflow.upstream(jobs["release"])] == ["test", "build"]
    # build pushes the image the tests then run: preparation, not a deploy
    assert [job.key for job, _ in workflow.deploy_jobs()] == ["release"]
    assert workflow.push_branches


def test_job_named_for_tests_counts_only_when_it_deploys_nothing(tmp_path: Path) -> None:
    text = """
on: [push]
jobs:
  unit:
    name: Run tests
    runs-on: ubuntu-latest
    steps:
      - run: poetry run ./scripts/check
  test-and-ship:
    runs-on: ubuntu-latest
    steps:
      - run: helm upgrade --install api ./chart
"""
    project = project_of(write_project(tmp_path, {".github/workflows/ci.yml": text}))
    tests = project.workflow_jobs[0].test_jobs()
    assert list(tests) == ["unit"]


@pytest.mark.parametrize(("spec", "pinned"), [
    ("==1.2.3", True), ("===1.2.3", True), ("==1.*", False), (">=1.2", False), ("~=1.2", False), ("", False),
    ("==1.2.3 ; python_version < '3.12'", True), (">=1,<2", False),
])
def test_is_pinned(spec: str, pinned: bool) -> None:
    assert is_pinned(spec) is pinned


@pytest.mark.parametrize(("path", "kind"), [
    ("poetry.lock", FileKind.LOCKFILE), ("services/api/uv.lock", FileKind.LOCKFILE), ("Pipfile.lock", FileKind.LOCKFILE),
    ("requirements.lock", FileKind.LOCKFILE), ("requirements/base.txt", FileKind.REQUIREMENTS),
    ("requirements-dev.in", FileKind.REQUIREMENTS), ("package-lock.json", None),
])
def test_lock_files_are_classified(path: str, kind: FileKind | None) -> None:
    assert classify(path) == kind


def test_lock_files_are_never_read(tmp_path: Path) -> None:
    write_project(tmp_path, {"requirements.txt": "fastapi\n", "uv.lock": "version = 1\n"})
    project = project_of(tmp_path)
    lock = project.by_path["uv.lock"]
    assert lock.kind == FileKind.LOCKFILE and lock.data is None and lock.error is None
    _, data = run_json(tmp_path, "--select", "PC701")
    assert data["findings"] == []


DOCKERFILE = """FROM python:3.12 AS builder
RUN pip install --prefix=/install -r requirements.txt
FROM python:3.12 AS tools
RUN python3 -m pip install poetry
FROM python:3.12-slim
COPY --from=builder /install /usr/local
COPY --from=tools / /
RUN <<EOF
uv pip install -r requirements.txt
EOF
"""


def test_installs_and_shipped_stages() -> None:
    view = parse("Dockerfile", DOCKERFILE)
    assert shipped_stages(view, {None}) == {1, 2}  # tools is copied in wholesale, builder only by path
    found = [(i.tool, i.text, i.manifest) for stage in view.stages for i in installs(stage)]
    assert found == [("pip", "pip install", True), ("pip", "python3 -m pip install", False),
                     ("uv", "uv pip install", True)]
    heredoc = view.stages[2].instructions[-1]
    assert [c.line for c in run_commands(heredoc)] == [9]
    assert install_of(heredoc, run_commands(heredoc)[0]).args == ("-r", "requirements.txt")  # type: ignore[union-attr]
