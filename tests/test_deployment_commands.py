"""What the deployment model reads from the command lines of a deploy job (project/deployment.py):
which Dockerfile `docker build` reads whatever options precede or follow its context, which compose
files a compose command applies, and that only a deploy path's compose commands count."""
from __future__ import annotations

from pathlib import Path

from conftest import write_project
from prodcheck import engine
from prodcheck.knowledge import load
from prodcheck.model.files import Context
from prodcheck.project import Project
from prodcheck.settings import Settings

APP = {"app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"}
IMAGE = 'FROM python:3.12-slim\nUSER app\nCMD ["uvicorn", "app.main:app"]\n'
COMPOSE = "services:\n  web:\n    build: .\n"


def _unique(files: dict[str, str]) -> dict[str, str]:
    """Each file says its own path: the model takes files of equal bytes for one file."""
    return {path: f"# {path}\n{text}" for path, text in files.items()}
CLI = load("workflows")["docker_cli"]


def _project(root: Path, files: dict[str, str]) -> Project:
    write_project(root, {**APP, **files})
    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(root, settings)
    return Project(root, discovered, engine.parse_python(root, discovered, settings), settings)


def _workflow(job: str, commands: list[str], environment: str = "production") -> str:
    steps = "\n".join(f"          - run: {command}" for command in commands)
    return (f"on: {{push: {{branches: [main]}}}}\njobs:\n  {job}:\n    runs-on: ubuntu-latest\n"
            f"    environment: {environment}\n    steps:\n{steps}\n")


def _prod(project: Project) -> set[str]:
    """The files production runs because a command of the deploy workflow builds or applies them (a
    lone Dockerfile is production anyway: the reason tells the two apart)."""
    return {path for path, placement in project.deployment.placements.items()
            if placement.context == Context.PROD and ".github/workflows/deploy.yml" in placement.reason}


def test_a_build_option_that_takes_a_value_is_never_the_build_context(tmp_path: Path) -> None:
    """`docker build ./img3 --platform linux/amd64`: the context is `./img3`, not `linux/amd64`."""
    flags = CLI["build_value_flags"]
    files = _unique({f"img{index}/Dockerfile": IMAGE for index in range(len(flags))})
    commands = [f"docker build ./img{index} {flag} value{index}" for index, flag in enumerate(flags)]
    project = _project(tmp_path, {**files, ".github/workflows/deploy.yml": _workflow("deploy", commands)})
    assert {path for path in _prod(project) if path.startswith("img")} == set(files)


def test_compose_commands_of_a_deploy_job(tmp_path: Path) -> None:
    """Every verb that runs or deploys applies its files; one that only builds or pushes the images (`build`,
    `push`) ships the Dockerfiles its services build, not the file's run settings; a global option's value is
    not the verb; `ps` ships nothing; the same command in a test job deploys nothing."""
    verbs, options, image_verbs = CLI["compose_verbs"], CLI["compose_value_flags"], set(CLI["compose_image_verbs"])
    files = {f"verb{index}/compose.yml": COMPOSE for index in range(len(verbs))}
    files.update({f"verb{index}/Dockerfile": IMAGE for index, verb in enumerate(verbs) if verb in image_verbs})
    files.update({f"option{index}/compose.yml": COMPOSE for index in range(len(options))})
    files = _unique({**files, "status/compose.yml": COMPOSE, "ci/compose.yml": COMPOSE})
    commands = [f"docker compose -f verb{index}/compose.yml {verb}" for index, verb in enumerate(verbs)]
    commands += [f"docker compose -f option{index}/compose.yml {option} value up -d" for index, option in enumerate(options)]
    commands.append("docker compose -f status/compose.yml ps")
    project = _project(tmp_path, {
        **files, ".github/workflows/deploy.yml": _workflow("deploy", commands),
        ".github/workflows/test.yml": _workflow("test", ["docker compose -f ci/compose.yml up -d"], "ci"),
    })
    built = {f"verb{index}/" for index, verb in enumerate(verbs) if verb in image_verbs}
    assert built and {path for path in _prod(project) if path.endswith("compose.yml")} == {
        path for path in files if path.startswith(("verb", "option")) and path.endswith("compose.yml")
        and not path.startswith(tuple(built))}
    images = {path: placement.reason for path, placement in project.deployment.placements.items()
              if path.endswith("Dockerfile") and placement.context == Context.PROD}
    assert set(images) == {folder + "Dockerfile" for folder in built}
    assert all("`docker compose build` of" in why or "`docker compose push` of" in why for why in images.values())


def test_every_spelling_of_a_build_and_a_compose_deploy(tmp_path: Path) -> None:
    project = _project(tmp_path, {
        **_unique({
            **{f"{name}/Dockerfile": IMAGE for name in ("bx", "ib", "pd")},
            "named/Dockerfile.prod": IMAGE, "eq/Dockerfile.prod": IMAGE, "short/Dockerfile.prod": IMAGE,
            "staged/Dockerfile": IMAGE + "FROM python:3.12-slim AS release\nUSER app\nCMD [\"gunicorn\"]\n",
            **{f"{name}/compose.yml": COMPOSE for name in ("stack", "legacy", "pc", "podman")},
        }),
        ".github/workflows/deploy.yml": _workflow("deploy", [
            "docker buildx build ./bx", "docker image build ./ib", "podman build ./pd",
            "docker build -f named/Dockerfile.prod .", "docker build --file=eq/Dockerfile.prod .",
            "docker build -fshort/Dockerfile.prod .", "docker build --target=release ./staged",
            "docker stack deploy -c stack/compose.yml app", "docker-compose -f legacy/compose.yml up -d",
            "podman-compose -f pc/compose.yml up", "podman compose -f podman/compose.yml up -d",
        ]),
    })
    prod = _prod(project)
    assert {"bx/Dockerfile", "ib/Dockerfile", "pd/Dockerfile", "named/Dockerfile.prod", "eq/Dockerfile.prod",
            "short/Dockerfile.prod", "staged/Dockerfile", "stack/compose.yml", "legacy/compose.yml",
            "pc/compose.yml", "podman/compose.yml"} <= prod
    assert project.deployment.targets == {"staged/Dockerfile": {"release"}}


def test_kubectl_apply_marks_a_manifest_file_or_every_file_of_a_folder(tmp_path: Path) -> None:
    """`kubectl apply -f k8s/api.yaml` places that file; `-f deploy/` (or `-k overlays/prod`) every
    file below the folder, and no file beside it."""
    manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n"
    files = _unique({
        "k8s/api.yaml": manifest.format(name="api"), "k8s/debug.yaml": manifest.format(name="debug"),
        "deploy/worker.yaml": manifest.format(name="worker"), "deploy/jobs/cron.yaml": manifest.format(name="cron"),
        "deployments/other.yaml": manifest.format(name="other"),
    })
    commands = ["kubectl apply -f k8s/api.yaml", "kubectl apply -f deploy"]
    project = _project(tmp_path, {**files, ".github/workflows/deploy.yml": _workflow("deploy", commands)})
    applied = {path for path in _prod(project) if path.endswith(".yaml") and "workflows" not in path}
    assert applied == {"k8s/api.yaml", "deploy/worker.yaml", "deploy/jobs/cron.yaml"}


def test_kubectl_long_flags_place_the_same_files(tmp_path: Path) -> None:
    """`--filename` and `--kustomize` are `-f` and `-k` spelled out: they place the same files."""
    manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n"
    files = _unique({
        "k8s/api.yaml": manifest.format(name="api"), "k8s/debug.yaml": manifest.format(name="debug"),
        "overlays/prod/kustomization.yaml": "resources: []\n", "deployments/other.yaml": manifest.format(name="other"),
    })
    commands = ["kubectl apply --filename k8s/api.yaml", "kubectl apply --kustomize overlays/prod"]
    project = _project(tmp_path, {**files, ".github/workflows/deploy.yml": _workflow("deploy", commands)})
    applied = {path for path in _prod(project) if path.endswith(".yaml") and "workflows" not in path}
    assert applied == {"k8s/api.yaml", "overlays/prod/kustomization.yaml"}


def test_run_steps_start_in_the_folder_defaults_name(tmp_path: Path) -> None:
    """`defaults: run: working-directory:` of a job, else of the workflow, is where `docker build` runs
    (dstack builds `-f release/Dockerfile .` in `docker/server`); a step's own `working-directory` wins; a
    workflow expression the shell splits (`--build-arg V=${{ inputs.v }}`) is never the build context."""
    files = _unique({"docker/server/release/Dockerfile": IMAGE, "docker/base/Dockerfile": IMAGE,
                     "tools/Dockerfile": IMAGE, "docker/amd/Dockerfile": IMAGE})
    workflow = """
on: {push: {branches: [main]}}
defaults: {run: {working-directory: docker}}
jobs:
  server:
    runs-on: ubuntu-latest
    environment: production
    defaults: {run: {working-directory: docker/server}}
    steps:
      - run: docker buildx build --push -t org/server -f release/Dockerfile .
      - run: docker build -t org/tools .
        working-directory: tools
  base:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: docker buildx build --push -t org/base -f base/Dockerfile .
  amd:
    runs-on: ubuntu-latest
    environment: production
    defaults: {run: {working-directory: docker/amd}}
    steps:
      - run: docker buildx build . --build-arg ROCM=${{ inputs.rocm_version }} --tag org/amd && docker push org/amd
"""
    project = _project(tmp_path, {**files, ".github/workflows/deploy.yml": workflow})
    assert _prod(project) == set(files)


def test_a_reusable_workflow_builds_what_its_caller_names(tmp_path: Path) -> None:
    """A release job calls the repository's build workflow with `dockerfile:` and `context:` inputs: the
    called docker/build-push-action builds those files, once per call; a Dockerfile no call names is not
    placed by it, nor is one a test job's call names."""
    files = _unique({"docker/Dockerfile.api": IMAGE, "docker/Dockerfile.worker": IMAGE,
                     "docker/Dockerfile.training": IMAGE, "docker/Dockerfile.e2e": IMAGE})
    build = """
on:
  workflow_call:
    inputs:
      dockerfile: {required: true, type: string}
      context: {required: true, type: string}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@v6
        with:
          file: ${{ inputs.dockerfile }}
          context: ${{ inputs.context }}
          push: true
"""
    release = """
on: {push: {branches: [main]}}
jobs:
  api:
    uses: ./.github/workflows/build.yml
    with: {dockerfile: docker/Dockerfile.api, context: .}
  worker:
    uses: ./.github/workflows/build.yml
    with:
      dockerfile: docker/Dockerfile.worker
      context: .
  run-tests:
    uses: ./.github/workflows/build.yml
    with: {dockerfile: docker/Dockerfile.e2e, context: .}
"""
    project = _project(tmp_path, {**files, ".github/workflows/build.yml": build,
                                  ".github/workflows/release.yml": release})
    placements = project.deployment.placements
    called = {path for path, placement in placements.items() if "called from .github/workflows/release.yml" in placement.reason}
    assert called == {"docker/Dockerfile.api", "docker/Dockerfile.worker"}
    assert placements["docker/Dockerfile.training"].context == Context.AMBIGUOUS


def test_a_reusable_workflow_of_another_repository_builds_the_dockerfile_it_is_given(tmp_path: Path) -> None:
    """`uses: org/gh-workflows/.github/workflows/image_build.yml@3` with `dockerfile:` and `build_target: prod`
    (hotosm): the Dockerfile is built for production, its `prod` stage; a call for pull requests only, or one
    that builds the `ci` stage, places nothing."""
    files = _unique({"scripts/docker/Dockerfile": IMAGE, "scripts/docker/Dockerfile.frontend": IMAGE,
                     "scripts/docker/Dockerfile.ci": IMAGE})
    deploy = """
on: {push: {branches: [main]}}
jobs:
  image:
    uses: org/gh-workflows/.github/workflows/image_build.yml@3.6.0
    with: {image_name: ghcr.io/org/backend, build_target: prod, dockerfile: scripts/docker/Dockerfile}
  ci-image:
    uses: org/gh-workflows/.github/workflows/image_build.yml@3.6.0
    with: {build_target: ci, dockerfile: scripts/docker/Dockerfile.ci}
"""
    preview = """
on: {pull_request: {branches: [main]}}
jobs:
  frontend-image:
    uses: org/gh-workflows/.github/workflows/image_build.yml@3.6.0
    with: {dockerfile: scripts/docker/Dockerfile.frontend}
"""
    project = _project(tmp_path, {**files, ".github/workflows/deploy.yml": deploy,
                                  ".github/workflows/preview.yml": preview})
    placements = project.deployment.placements
    built = {path for path, placement in placements.items() if "reusable workflow" in placement.reason}
    assert built == {"scripts/docker/Dockerfile"}
    assert project.deployment.targets == {"scripts/docker/Dockerfile": {"prod"}}
