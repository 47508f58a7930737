"""Deployment-file patterns real repositories outside the labelled set showed prodcheck getting wrong (stop 57)."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import loud_findings, run_json

FIXTURES = Path(__file__).parent / "fixtures" / "precision"


def _loud(name: str, *codes: str) -> list[tuple[str, str, int, str]]:
    return loud_findings(FIXTURES / name, *codes)


def test_a_dockerfile_named_through_the_workflows_env_is_the_image_it_publishes() -> None:
    """docker/build-push-action with `file: ${{ env.IMAGE_FILE }}` and `IMAGE_FILE: development/Dockerfile` in the
    workflow's `env:` (here a reusable workflow a release calls) publishes that Dockerfile, even from a folder named
    for development: its root container is a warning, and the Dockerfile no workflow builds is ambiguous beside it.
    An image pushed the same way from a folder of benchmark rigs is the rig's, not the service's (info)."""
    assert _loud("context-workflow-env-dockerfile", "PC201") == [("PC201", "development/Dockerfile", 1, "warning")]
    _, report = run_json(FIXTURES / "context-workflow-env-dockerfile", "--select", "PC201")
    assert sorted((f["path"], f["severity"]) for f in report["findings"]) == [
        ("Dockerfile.sandbox", "info"), ("development/Dockerfile", "warning"), ("support/benchmark/Dockerfile", "info"),
    ]


_RELEASE = """
    name: release
    on:
      push:
        tags: ["v*"]
    env:
      IMAGE_FILE: development/Dockerfile
    jobs:
      image:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: docker build -f {reference} -t ghcr.io/acme/api:${{{{ github.ref_name }}}} .
          - run: docker push ghcr.io/acme/api:${{{{ github.ref_name }}}}
"""
_DOCKERFILE = """
    FROM python:3.12-slim
    WORKDIR /srv
    COPY app/ app/
    CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "{port}"]
"""


@pytest.mark.parametrize("reference", ["${{ env.IMAGE_FILE }}", '"$IMAGE_FILE"', "${IMAGE_FILE}"])
def test_docker_build_dash_f_through_the_workflows_env(project, reference: str) -> None:
    """`docker build -f ${{ env.IMAGE_FILE }}` (or `"$IMAGE_FILE"`, the shell's copy of the same `env:` value) in a
    release job builds the file the workflow's `env:` names: production, while another Dockerfile no job builds is
    ambiguous beside it."""
    root = project({
        ".github/workflows/release.yml": _RELEASE.format(reference=reference),
        "development/Dockerfile": _DOCKERFILE.format(port=8000),
        "Dockerfile.sandbox": _DOCKERFILE.format(port=8001),
        "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
    })
    _, report = run_json(root, "--select", "PC201")
    assert sorted((f["path"], f["severity"]) for f in report["findings"]) == [
        ("Dockerfile.sandbox", "info"), ("development/Dockerfile", "warning"),
    ]


def test_pc201_a_production_named_stage_the_deployed_target_builds_on_is_a_base(project) -> None:
    """`FROM python:3.12-slim AS runtime` holds the packages, `FROM runtime AS web` adds `USER app` and the command,
    and the release job builds `--target web`: `runtime` is named like a production stage but is the base of the
    one that ships, so its missing `USER` runs nowhere. The deployed stage without a `USER` is still flagged."""
    dockerfile = """
        FROM python:3.12-slim AS runtime
        RUN useradd --uid 10001 app
        COPY . /app

        FROM runtime AS web
        {user}
        CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--workers", "4"]
    """
    workflow = """
        name: release
        on:
          push:
            tags: ["v*"]
        jobs:
          image:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: docker build --target web -t ghcr.io/acme/api:${{ github.ref_name }} .
              - run: docker push ghcr.io/acme/api:${{ github.ref_name }}
    """
    for user, expected in (("USER app", []), ("", [("Dockerfile", "web")])):
        root = project({
            ".github/workflows/release.yml": workflow,
            "Dockerfile": dockerfile.format(user=user),
            "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
        })
        _, report = run_json(root, "--select", "PC201")
        assert [(f["path"], f["message"].split("`")[3]) for f in report["findings"]] == expected


_SHARED_CALL = """
    name: release
    on:
      push:
        branches: [main]
    jobs:
      release:
        uses: acme/.github/.github/workflows/{workflow}@v1.7.2
        secrets: inherit
        with:
          image_base_name: forecast_api
"""


@pytest.mark.parametrize(("workflow", "severity"), [("docker-release.yml", "warning"), ("image-scan.yml", "info")])
def test_a_shared_image_release_workflow_given_no_dockerfile_builds_the_root_one(project, workflow: str,
                                                                                  severity: str) -> None:
    """A push to main calls another repository's `docker-release.yml` with only the image's name: it builds its
    default, the root Dockerfile, which is then production although the only compose file building it is a
    development one (bind-mounted source, `--reload`) and it has no command of its own. A shared workflow whose name
    says it only scans images builds nothing that ships."""
    root = project({
        ".github/workflows/release.yml": _SHARED_CALL.format(workflow=workflow),
        "Dockerfile": """
            FROM python:3.12-slim
            COPY requirements.txt /app/requirements.txt
            RUN pip install -r /app/requirements.txt
            COPY forecast_api /app/forecast_api
            WORKDIR /app
        """,
        "docker-compose.yml": """
            services:
              api:
                build: .
                command: uvicorn forecast_api.main:app --host 0.0.0.0 --reload
                volumes:
                  - ./forecast_api:/app/forecast_api
        """,
        "requirements.txt": "fastapi==0.115.0\nuvicorn==0.30.6\n",
        "forecast_api/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
    })
    _, report = run_json(root, "--select", "PC201")
    assert [(f["path"], f["severity"]) for f in report["findings"]] == [("Dockerfile", severity)]
