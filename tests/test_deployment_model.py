"""The deployment model's placements (project/deployment.py), each with its exact context and reason: compose
files placed by a deploy path, by a production name, by marks of local use, by a template path, or made
ambiguous by a deployed sibling; Dockerfiles placed by the compose files that build them, by a production
sibling, by having no command of their own, by being the project's only image, or made ambiguous."""
from __future__ import annotations

from pathlib import Path

from conftest import project_model, write_project

from prodcheck import engine
from prodcheck.model.files import Context
from prodcheck.project import Project
from prodcheck.project.deployment import platform_ignores_healthcheck
from prodcheck.settings import Settings

APP = {"app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"}
IMAGE = 'FROM python:3.12-slim\nUSER app\nCMD ["uvicorn", "app.main:app"]\n'
TEMPLATE = ("part of a project template (a `{{ }}` path): read as the project it generates, where nothing says "
            "development or test")
DEV_COMPOSE = ("services:\n  web:\n    build: .\n    volumes:\n      - .:/app\n    develop:\n      watch: []\n"
               "  db:\n    image: postgres\n    environment:\n      POSTGRES_DB: app_dev\n")


def _placements(root: Path, files: dict[str, str]) -> dict[str, tuple[Context, str]]:
    project = project_model(root, {**APP, **files})
    return {path: (placement.context, placement.reason) for path, placement in project.deployment.placements.items()
            if not path.startswith(("app/", ".github/"))}


def test_placements_of_compose_files_and_the_dockerfiles_they_build(tmp_path: Path) -> None:
    placements = _placements(tmp_path, {
        "a/compose.yml": "services:\n  web:\n    build: .\n", "a/Dockerfile": IMAGE,
        "a/other/compose.yml": "services:\n  x:\n    image: org/x\n",
        "b/compose.prod.yml": "services:\n  web:\n    build: .\n", "b/Dockerfile": "# b\n" + IMAGE,
        "e/docker-compose.production.yml": "services:\n  api:\n    build: .\n", "e/Dockerfile": "# e\n" + IMAGE,
        "c/compose.yml": DEV_COMPOSE, "c/Dockerfile": "FROM python:3.12-slim\nRUN pip install x\n",
        "d/Dockerfile": "# d\n" + IMAGE,
        "{{cookiecutter.name}}/Dockerfile": "# t\n" + IMAGE,
        "{{cookiecutter.name}}/compose.yml": "services:\n  t:\n    image: org/t\n",
        ".github/workflows/deploy.yml": ("on: {push: {branches: [main]}}\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n"
                                         "    environment: production\n    steps:\n"
                                         "      - run: docker compose -f a/compose.yml up -d\n"),
    })
    assert placements == {
        "a/Dockerfile": (Context.PROD, "built by service `web` of a/compose.yml (production compose file)"),
        "a/compose.yml": (Context.PROD, "deployed by `docker compose -f a/compose.yml` at .github/workflows/deploy.yml:7"),
        "a/other/compose.yml": (Context.AMBIGUOUS, "no deploy path reaches it, while a/compose.yml is the compose "
                                                   "file production deploys"),
        "b/Dockerfile": (Context.PROD, "built by service `web` of b/compose.prod.yml (production compose file)"),
        "b/compose.prod.yml": (Context.PROD, "its name `compose.prod.yml` says production"),
        "c/Dockerfile": (Context.DEV, "built only by c/compose.yml, a development compose file, and it has no "
                                      "command of its own"),
        "c/compose.yml": (Context.DEV, "local development: service `web` has `develop: watch` (c/compose.yml:2); "
                                       "service `web` bind-mounts the source `.` (c/compose.yml:5)"),
        "e/Dockerfile": (Context.PROD, "built by service `api` of e/docker-compose.production.yml (production "
                                       "compose file)"),
        "e/docker-compose.production.yml": (Context.PROD, "its name `docker-compose.production.yml` says production"),
        "d/Dockerfile": (Context.AMBIGUOUS, "no deploy path builds it, while a/Dockerfile is built for production"),
        "{{cookiecutter.name}}/Dockerfile": (Context.PROD, TEMPLATE),
        "{{cookiecutter.name}}/compose.yml": (Context.PROD, TEMPLATE),
    }


def test_the_only_image_a_development_compose_file_builds_runs_on_its_own(tmp_path: Path) -> None:
    """A development compose file builds the project's only image, which has a command of its own (an
    ENTRYPOINT is one): production runs it; nothing else is placed."""
    placements = _placements(tmp_path, {"compose.yml": DEV_COMPOSE,
                                        "Dockerfile": 'FROM python:3.12-slim\nENTRYPOINT ["uvicorn", "app.main:app"]\n'})
    assert placements == {
        "compose.yml": (Context.DEV, "local development: service `web` has `develop: watch` (compose.yml:2); "
                                     "service `web` bind-mounts the source `.` (compose.yml:5)"),
        "Dockerfile": (Context.PROD, "the project's only image of its own: compose.yml builds it for development, "
                                     "and it runs on its own"),
    }


def test_a_development_compose_image_beside_one_named_for_production_is_development(tmp_path: Path) -> None:
    """The local stack builds `api/Dockerfile` (its command a development entrypoint) while `Dockerfile.prod`, in
    another folder and built by no compose file, is named as the production image: the first is development's."""
    placements = _placements(tmp_path, {
        "compose.yml": DEV_COMPOSE.replace("build: .", "build: ./api"),
        "api/Dockerfile": 'FROM python:3.12-slim\nCMD ["./docker-entrypoint.sh"]\n',
        "Dockerfile.prod": 'FROM python:3.12-slim\nCMD ["gunicorn", "app.main:app"]\n',
    })
    assert placements["api/Dockerfile"] == (Context.DEV, "built only by compose.yml, a development compose file, "
                                                         "while Dockerfile.prod is named as the production image")


def test_manifests_a_local_cluster_script_applies_are_development(tmp_path: Path) -> None:
    """A script that starts minikube and pipes a manifest into `kubectl apply` deploys to the developer's machine;
    a manifest it does not name stays where it was."""
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n"
                  "      containers:\n        - name: api\n          image: api:latest\n")
    placements = _placements(tmp_path, {
        "ops/manifests/scripts/minikube-start.sh": ("cd $(dirname $0)\nminikube delete\nminikube start\n"
                                                    "envsubst < ../api.yml | kubectl apply -f -\n"),
        "ops/manifests/api.yml": deployment,
        "k8s/api.yml": deployment,
    })
    assert placements["ops/manifests/api.yml"] == (
        Context.DEV, "applied by ops/manifests/scripts/minikube-start.sh to a local cluster (`minikube start`)")
    assert "k8s/api.yml" not in placements or placements["k8s/api.yml"][0] != Context.DEV


def test_manifests_a_makefile_recipe_applies_to_a_local_cluster_are_development(tmp_path: Path) -> None:
    """OpenHands' `make kind` creates a kind cluster and runs `kubectl apply -f kind/manifests`: the manifests directly
    in that folder go to the developer's machine. A sub-folder (kubectl needs `-R` for it) and a recipe that starts
    no cluster (`make deploy`) place nothing."""
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {}\nspec:\n  template:\n    spec:\n"
                  "      containers:\n        - name: api\n          image: api:1.0.0\n")
    placements = _placements(tmp_path, {
        "Makefile": ("kind:\n\t@if kind get clusters | grep -q dev; then echo ok; else \\\n"
                     "\t\tkind create cluster --name dev --config kind/cluster.yaml; \\\n\tfi\n"
                     "\t@kubectl apply -f kind/manifests\n\n"
                     "deploy:\n\tkubectl apply -f k8s/api.yml\n"),
        "kind/manifests/api.yaml": deployment.format("sandbox"),
        "kind/manifests/extra/api.yaml": deployment.format("extra"),
        "k8s/api.yml": deployment.format("api"),
    })
    assert placements["kind/manifests/api.yaml"] == (
        Context.DEV, "applied by `make kind` (Makefile:2) to a local cluster (`kind create cluster`)")
    assert placements.get("kind/manifests/extra/api.yaml", (None,))[0] != Context.DEV
    assert placements.get("k8s/api.yml", (None,))[0] != Context.DEV


def test_a_plain_compose_file_builds_a_production_image(tmp_path: Path) -> None:
    """A compose file nothing places stays in production, and so does what it builds (no "production compose
    file" said of it); a Dockerfile beside it that nothing builds is ambiguous."""
    placements = _placements(tmp_path, {"compose.yml": "services:\n  api:\n    build: .\n", "Dockerfile": IMAGE,
                                        "worker/Dockerfile": "# worker\n" + IMAGE})
    assert placements == {
        "Dockerfile": (Context.PROD, "built by service `api` of compose.yml"),
        "worker/Dockerfile": (Context.AMBIGUOUS, "no deploy path builds it, while Dockerfile is built for production"),
    }


def test_platforms_that_ignore_the_healthcheck() -> None:
    assert platform_ignores_healthcheck("heroku")
    assert not platform_ignores_healthcheck("fly") and not platform_ignores_healthcheck("")


def test_configured_globs_pin_files_the_model_never_moves(tmp_path: Path) -> None:
    """`production` and `development` globs of the configuration pin their files: the model places neither
    the development compose file pinned to production nor the image a deploy workflow builds pinned to
    development, and each keeps the context the configuration gives it."""
    write_project(tmp_path, {**APP, "compose.yml": DEV_COMPOSE,
                             "Dockerfile": 'FROM python:3.12-slim\nCMD ["uvicorn", "app.main:app"]\n',
                             ".github/workflows/deploy.yml": ("on: {push: {branches: [main]}}\njobs:\n  deploy:\n"
                                                              "    runs-on: ubuntu-latest\n    steps:\n"
                                                              "      - run: docker build -t org/app .\n")})
    settings = Settings().with_overrides(use_cache=False, production=("compose.yml",), development=("Dockerfile",))
    discovered = engine.discover(tmp_path, settings)
    project = Project(tmp_path, discovered, engine.parse_python(tmp_path, discovered, settings), settings)
    assert "compose.yml" not in project.deployment.placements and "Dockerfile" not in project.deployment.placements
    assert project.by_path["compose.yml"].context == Context.PROD
    assert project.by_path["Dockerfile"].context == Context.DEV
