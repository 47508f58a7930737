"""project/workflow_evidence.py: what GitHub workflows build: each non-test job's `run` steps (in the folder the
step, the job's or the workflow's `defaults.run.working-directory` names, with the merged `env:`), its
docker/build-push-action steps (file, context, tags, target), and the workflows a job calls with inputs, of this
repository (read) or of another (its Dockerfile input)."""
from __future__ import annotations

from pathlib import Path

from conftest import project_model
from prodcheck.model.files import Context
from prodcheck.project import Project

IMAGE = 'FROM python:3.12-slim\nUSER app\nCMD ["uvicorn", "app.main:app"]\n'
APP = {"app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"}
DEPLOY = ".github/workflows/deploy.yml"


def _images(*paths: str) -> dict[str, str]:
    """Dockerfiles that differ (the model takes files of equal bytes for one file)."""
    return {path: f"# {path}\n{IMAGE}" for path in paths}


def _project(root: Path, files: dict[str, str]) -> Project:
    return project_model(root, {**APP, **files})


def _prod(project: Project) -> dict[str, str]:
    """Path -> reason of every production placement a workflow gives."""
    return {path: placement.reason for path, placement in project.deployment.placements.items()
            if placement.context == Context.PROD and ".github/workflows/" in placement.reason}


RUN_STEPS = """\
on: {push: {branches: [main]}}
defaults:
  run:
    working-directory: top
env:
  IMAGE: registry.heroku.com/shop
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: docker build -t org/skipped ../skipped
  publish:
    runs-on: ubuntu-latest
    defaults:
      run:
        working-directory: backend
    env:
      IMAGE: registry.example.com/shop
    steps:
      - run: docker build -t org/backend .
      - working-directory: step
        env:
          IMAGE: registry.heroku.com/step
        run: |
          echo building
          docker build -t $IMAGE/web .
      - run: docker compose -f ../ci/compose.yml up -d
  release:
    runs-on: ubuntu-latest
    steps:
      - run: docker build -t $IMAGE/web .
  shell:
    runs-on: ubuntu-latest
    defaults:
      run:
        shell: bash
    steps:
      - run: docker build -t org/shell ../shell
  matrix:
    runs-on: ubuntu-latest
    defaults:
      run:
        working-directory: ${{ matrix.service }}
    steps:
      - run: docker build -t org/matrix matrixed
  empty:
    runs-on: ubuntu-latest
    defaults: {}
    steps:
      - run: docker build -t org/empty ../emptied
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: docker compose -f compose.yml up -d
"""


def test_run_steps_in_the_folder_the_step_the_job_or_the_workflow_names(tmp_path: Path) -> None:
    files = _images("top/Dockerfile", "backend/Dockerfile", "step/Dockerfile", "skipped/Dockerfile",
                    "shell/Dockerfile", "top/matrixed/Dockerfile", "emptied/Dockerfile")
    project = _project(tmp_path, {**files, DEPLOY: RUN_STEPS, "top/compose.yml": "services:\n  web:\n    image: org/web\n",
                                  "ci/compose.yml": "services:\n  ci:\n    image: org/ci\n"})
    prod = _prod(project)
    assert {path: why for path, why in prod.items() if path.endswith("Dockerfile")} == {
        "backend/Dockerfile": f"built by `docker build` at {DEPLOY}:20",
        "step/Dockerfile": f"built by `docker build` at {DEPLOY}:26",
        "top/Dockerfile": f"built by `docker build` at {DEPLOY}:31",
        "shell/Dockerfile": f"built by `docker build` at {DEPLOY}:38",
        "top/matrixed/Dockerfile": f"built by `docker build` at {DEPLOY}:45",  # `${{ matrix.service }}` names no folder
        "emptied/Dockerfile": f"built by `docker build` at {DEPLOY}:50"}
    assert "top/compose.yml" in prod  # a deploy job's compose command
    assert "ci/compose.yml" not in prod  # the same command in a build job brings up a CI stack
    platforms = project.deployment.platform_images
    assert {path: platform for path, (platform, _) in platforms.items()} == {"step/Dockerfile": "heroku",
                                                                              "top/Dockerfile": "heroku"}


BUILD_PUSH = """\
on: {push: {branches: [main]}}
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - uses: docker/build-push-action@v5
      - uses: docker/build-push-action@v5
        with:
          context: ./ctx
          tags: org/ctx:latest, org/ctx:1
          target: release
      - uses: docker/build-push-action@v5
        with:
          context: ./ctx
          file: listed/Dockerfile.prod
          tags: [org/listed]
      - uses: docker/build-push-action@v5
        with:
          context: testtag
          tags: org/app:test
      - uses: docker/build-push-action@v5
        with:
          context: listtest
          tags: [org/app:test]
      - uses: docker/build-push-action@v5
        with:
          context: mixed
          tags: org/app:test org/app:latest
      - uses: docker/build-push-action@v5
        with:
          context: variable
          file: docker/$SERVICE/Dockerfile
      - uses: docker/build-push-action@v5
        with:
          context: plain
      - uses: docker/build-push-action@v5
        with: run-something
"""


def test_build_push_action_steps(tmp_path: Path) -> None:
    files = _images("Dockerfile", "ctx/Dockerfile", "listed/Dockerfile.prod", "testtag/Dockerfile", "listtest/Dockerfile",
                    "mixed/Dockerfile", "variable/Dockerfile", "docker/$SERVICE/Dockerfile", "plain/Dockerfile")
    project = _project(tmp_path, {**files, DEPLOY: BUILD_PUSH})
    assert _prod(project) == {"ctx/Dockerfile": f"built by docker/build-push-action at {DEPLOY}:10",
                              "listed/Dockerfile.prod": f"built by docker/build-push-action at {DEPLOY}:15",
                              "mixed/Dockerfile": f"built by docker/build-push-action at {DEPLOY}:28",
                              "plain/Dockerfile": f"built by docker/build-push-action at {DEPLOY}:36"}
    assert project.deployment.targets == {"ctx/Dockerfile": {"release"}}


MATRIX_BUILDS = """\
on: {push: {branches: [main]}}
jobs:
  images:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        include:
          - {target: main, file: Dockerfile}
          - {target: lite, file: Dockerfile.lite}
    steps:
      - uses: docker/build-push-action@v5
        with:
          file: ${{ matrix.file }}
          target: ${{ matrix.target }}
  services:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        service: [api, worker, docs]
        exclude:
          - service: docs
        include:
          - {service: api, file: api/Dockerfile.prod}
    steps:
      - uses: docker/build-push-action@v5
        with:
          context: ${{ matrix.service }}
          file: ${{ matrix.file }}
  computed:
    runs-on: ubuntu-latest
    strategy:
      matrix: ${{ fromJSON(needs.plan.outputs.images) }}
    steps:
      - uses: docker/build-push-action@v5
        with:
          file: ${{ matrix.file }}
"""


def test_a_matrix_job_builds_what_each_combination_names(tmp_path: Path) -> None:
    """`file: ${{ matrix.file }}` is each file the job's matrix gives (its `include` entries, its lists less what
    `exclude` removes; an `include` entry that fits an original combination adds to it, else runs on its own); a
    combination that gives no `file` builds its context's Dockerfile; a matrix computed at run time names nothing."""
    files = _images("Dockerfile", "Dockerfile.lite", "api/Dockerfile.prod", "api/Dockerfile", "worker/Dockerfile",
                    "docs/Dockerfile")
    project = _project(tmp_path, {**files, DEPLOY: MATRIX_BUILDS})
    assert _prod(project) == {"Dockerfile": f"built by docker/build-push-action at {DEPLOY}:11",
                              "Dockerfile.lite": f"built by docker/build-push-action at {DEPLOY}:11",
                              "api/Dockerfile.prod": f"built by docker/build-push-action at {DEPLOY}:25",
                              "worker/Dockerfile": f"built by docker/build-push-action at {DEPLOY}:25"}
    assert project.deployment.targets == {"Dockerfile": {"main"}, "Dockerfile.lite": {"lite"}}


def _one_step(context: str) -> str:
    return ("on: {push: {branches: [main]}}\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n"
            f"      - uses: docker/build-push-action@v5\n        with:\n          context: {context}\n"
            "          tags: org/app\n")


def test_a_context_with_an_expression_or_a_url_is_the_repository_root(tmp_path: Path) -> None:
    for name, context in (("expr", "${{ github.workspace }}/svc"), ("url", "https://github.com/org/svc.git#main")):
        project = _project(tmp_path / name, {**_images("Dockerfile", "svc/Dockerfile"), DEPLOY: _one_step(context)})
        assert _prod(project) == {"Dockerfile": f"built by docker/build-push-action at {DEPLOY}:6"}, name


def test_the_git_context_of_the_action_is_the_repository_or_a_folder_of_it(tmp_path: Path) -> None:
    """`context: "{{defaultContext}}"` is the Git context of the commit; `{{defaultContext}}:svc` a folder of it
    (https://github.com/docker/build-push-action#git-context)."""
    for name, context, built in (("root", '"{{defaultContext}}"', "Dockerfile"),
                                 ("folder", '"{{defaultContext}}:svc"', "svc/Dockerfile")):
        project = _project(tmp_path / name, {**_images("Dockerfile", "svc/Dockerfile"), DEPLOY: _one_step(context)})
        assert _prod(project) == {built: f"built by docker/build-push-action at {DEPLOY}:6"}, name


CALLER = """\
on: {push: {branches: [main]}}
jobs:
  test:
    uses: ./.github/workflows/build.yml
    with:
      dockerfile: docker/Dockerfile.tested
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: ruff check .
  external:
    uses: org/workflows/.github/workflows/image_build.yml@v3
    with:
      dockerfile: scripts/docker/Dockerfile
      build_target: prod
  call:
    uses: ./.github/workflows/build.yml
    with:
      dockerfile: docker/Dockerfile.api
  pinned:
    uses: ./.github/workflows/build.yml@main
    with:
      dockerfile: docker/Dockerfile.pinned
  bare:
    uses: ./.github/workflows/build.yml
  self:
    uses: ./.github/workflows/deploy.yml
    with:
      dockerfile: docker/Dockerfile.self
"""
CALLED = """\
on: {workflow_call: {inputs: {dockerfile: {type: string}}}}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - uses: docker/build-push-action@v5
        with:
          file: ${{ inputs.dockerfile }}
          tags: org/api
      - uses: docker/build-push-action@v5
        with:
          context: ${{ inputs.api }}
          tags: org/other
"""


def test_a_workflow_of_the_repository_called_with_inputs(tmp_path: Path) -> None:
    files = _images("Dockerfile", "api/Dockerfile", "docker/Dockerfile.api", "docker/Dockerfile.pinned",
                    "docker/Dockerfile.tested", "docker/Dockerfile.self", "scripts/docker/Dockerfile")
    project = _project(tmp_path, {**files, DEPLOY: CALLER, ".github/workflows/build.yml": CALLED})
    called = "built by docker/build-push-action at .github/workflows/build.yml"
    assert _prod(project) == {
        "scripts/docker/Dockerfile": "built by the reusable workflow `org/workflows/.github/workflows/image_build.yml@v3` "
                                     f"(its input `dockerfile`) at {DEPLOY}:11",
        "docker/Dockerfile.api": f"{called}:9, called from {DEPLOY}:16",
        "Dockerfile": f"{called}:13",  # read in build.yml itself: `${{ inputs.api }}` is no folder
        "docker/Dockerfile.pinned": f"{called}:9, called from {DEPLOY}:20"}
    assert project.deployment.targets == {"scripts/docker/Dockerfile": {"prod"}}


def _external(inputs: str, on: str = "{push: {branches: [main]}}") -> str:
    return (f"on: {on}\njobs:\n  build:\n    uses: org/ci/.github/workflows/image.yml@v1\n    with:\n"
            + "".join(f"      {line}\n" for line in inputs.splitlines()))


def test_a_workflow_of_another_repository_given_one_dockerfile(tmp_path: Path) -> None:
    files = _images("api/Dockerfile", "worker/Dockerfile", "docker/$SERVICE/Dockerfile")
    cases = {
        "one": ("dockerfile: api/Dockerfile\ntag: ${{ github.sha }}\nbuild-target: release", {"api/Dockerfile": {"release"}}),
        "two-targets": ("dockerfile: api/Dockerfile\ntarget: a\nbuild_target: b", {}),
        "ci-target": ("dockerfile: api/Dockerfile\nbuild_target: ci", None),
        "two-files": ("dockerfile: api/Dockerfile\nworker: worker/Dockerfile", None),
        "variable": ("dockerfile: docker/$SERVICE/Dockerfile", None),
    }
    for name, (inputs, targets) in cases.items():
        project = _project(tmp_path / name, {**files, DEPLOY: _external(inputs)})
        prod = _prod(project)
        if targets is None:
            assert prod == {}, name
            continue
        assert prod == {"api/Dockerfile": "built by the reusable workflow `org/ci/.github/workflows/image.yml@v1` "
                                          f"(its input `dockerfile`) at {DEPLOY}:3"}, name
        assert project.deployment.targets == targets, name
    pull_requests = _project(tmp_path / "pr", {**files, DEPLOY: _external("dockerfile: api/Dockerfile", "pull_request")})
    assert _prod(pull_requests) == {}


ODD_SHAPES = """\
on: {push: {branches: [main]}}
env: [IMAGE=registry.example.com/top]
jobs:
  listed:
    uses: ./.github/workflows/build.yml
    with: [dockerfile, docker/Dockerfile.api]
  scalar:
    uses: org/ci/.github/workflows/image.yml@v1
    with: docker/Dockerfile.api
  publish:
    runs-on: ubuntu-latest
    env:
      IMAGE: registry.heroku.com/job
    steps:
      - just a string
      - env: 3
        run: docker build -t $IMAGE/web backend
      - env:
          IMAGE: [registry.example.com/listed]
        run: docker build -t $IMAGE/web listed
  other:
    runs-on: ubuntu-latest
    env: registry.heroku.com/other
    steps:
      - run: docker build -t $IMAGE/web other
"""
ODD_CALLED = """\
on: {workflow_call: {inputs: {dockerfile: {type: string}}}}
env: deploy
jobs:
  build:
    runs-on: ubuntu-latest
    env: [A, B]
    steps:
      - uses: docker/build-push-action@v5
        with:
          file: ${{ inputs.dockerfile }}
          tags: org/api
"""


def test_env_and_with_that_are_no_mapping_give_no_values(tmp_path: Path) -> None:
    """`env:` of a workflow, a job or a step, and a reusable workflow call's `with:`, written as a list, a scalar or
    with a list for a value (hostile or mistaken YAML; GitHub wants a mapping of strings): no value is read from them
    and nothing fails. The steps still build their folders with the job's `env:` mapping (its Heroku registry is
    not hidden by a step's `env: 3` or an `IMAGE:` list), `$IMAGE` of a job whose `env:` is a scalar names no
    registry, and neither call gives the called workflow's `${{ inputs.dockerfile }}` (or another repository's workflow) a Dockerfile; a
    workflow file that is a list or a plain scalar holds no job."""
    from conftest import run_json

    files = {**_images("backend/Dockerfile", "listed/Dockerfile", "other/Dockerfile", "docker/Dockerfile.api"),
             DEPLOY: ODD_SHAPES,
             ".github/workflows/build.yml": ODD_CALLED, ".github/workflows/list.yml": "- not\n- a mapping\n",
             ".github/workflows/scalar.yml": "just text\n"}
    project = _project(tmp_path / "model", files)
    assert _prod(project) == {"backend/Dockerfile": f"built by `docker build` at {DEPLOY}:17",
                              "listed/Dockerfile": f"built by `docker build` at {DEPLOY}:20",
                              "other/Dockerfile": f"built by `docker build` at {DEPLOY}:25"}
    assert {path: platform for path, (platform, _) in project.deployment.platform_images.items()} == {
        "backend/Dockerfile": "heroku", "listed/Dockerfile": "heroku"}
    assert project.deployment.targets == {}
    root = tmp_path / "cli"
    _project(root, files)
    _, data = run_json(root)  # fails on an internal error of any rule
    assert not [f for f in data["findings"] if f["code"] == "PC000"], data["findings"]


BUILD_ONE = """\
on: {workflow_call: {inputs: {service: {type: string}}}}
jobs:
  lint:
    uses: org/ci/.github/workflows/lint.yml@main
    with:
      path: ${{ inputs.service }}
  build-image:
    uses: org/ci/.github/workflows/build-docker.yml@main
    with:
      APP_NAME: shop
      SERVICE: ${{ inputs.service }}
      INFRASTRUCTURE_FOLDER: terraform
"""


def test_a_folder_given_through_a_workflow_of_the_repository_to_an_image_workflow(tmp_path: Path) -> None:
    """build.yml -> ./build-one.yml (`service: backend`) -> org/ci build-docker.yml (`SERVICE: ${{ inputs.service }}`):
    the external image workflow builds backend/Dockerfile as its context; the same folder given to a linter's
    workflow, or a folder with no Dockerfile, places nothing."""
    caller = ("on: {push: {branches: [main]}}\njobs:\n"
              "  backend:\n    uses: ./.github/workflows/build-one.yml\n    with:\n      service: backend\n"
              "  docs:\n    uses: ./.github/workflows/build-one.yml\n    with:\n      service: docs\n")
    files = {**_images("backend/Dockerfile", "tools/Dockerfile"), "docs/index.md": "# docs\n", "terraform/main.tf": "\n",
             DEPLOY: caller, ".github/workflows/build-one.yml": BUILD_ONE}
    project = _project(tmp_path / "chain", files)
    assert _prod(project) == {
        "backend/Dockerfile": "built by the reusable workflow `org/ci/.github/workflows/build-docker.yml@main` "
                              f"(its input `SERVICE`) at {DEPLOY}:3"}
    linted = {**_images("tools/Dockerfile"), DEPLOY: _external("path: tools").replace("image.yml", "lint.yml")}
    assert _prod(_project(tmp_path / "lint", linted)) == {}
