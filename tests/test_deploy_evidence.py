"""What the readers of deploy paths (project/deploy_evidence.py) take from each command line, task file and
platform file: which file a command builds or applies and why, which stage it builds, which platform runs
the image, and which command lines read nothing (a test job's, a development target's, a bare program
name, an option without its value). Each test pins one reader's clauses with exact answers."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import project_model

from prodcheck.model.files import Context
from prodcheck.project import Project
from prodcheck.project.ci_words import expression_word, is_test_build, platform_of_tags, whole_expressions
from prodcheck.project.deploy_evidence import (
    _join,
    make_recipes,
    _norm,
)

APP = {"app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"}
IMAGE = 'FROM python:3.12-slim\nUSER app\nCMD ["uvicorn", "app.main:app"]\n'
COMPOSE = "services:\n  web:\n    image: org/web\n"
MANIFEST = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
DEPLOY = ".github/workflows/deploy.yml"


def _unique(files: dict[str, str]) -> dict[str, str]:
    """Each file says its own path: the model takes files of equal bytes for one file."""
    return {path: f"# {path}\n{text}" for path, text in files.items()}


def _project(root: Path, files: dict[str, str]) -> Project:
    return project_model(root, {**APP, **files})


def _workflow(commands: list[str], job: str = "deploy", environment: str = "production") -> str:
    """One job; its n-th command is on line 7 + n of the file."""
    steps = "\n".join(f"      - run: {command}" for command in commands)
    return (f"on: {{push: {{branches: [main]}}}}\njobs:\n  {job}:\n    runs-on: ubuntu-latest\n"
            f"    environment: {environment}\n    steps:\n{steps}\n")


def _reasons(project: Project, marker: str = DEPLOY) -> dict[str, str]:
    """Path -> reason of every production placement whose reason names `marker`."""
    return {path: placement.reason for path, placement in project.deployment.placements.items()
            if placement.context == Context.PROD and marker in placement.reason}


# ---------------------------------------------------------------- paths

def test_paths_are_normalised_quotes_and_dots_dropped() -> None:
    assert _norm("'./docker/Dockerfile'") == "docker/Dockerfile"
    assert _norm('"deploy/compose.yml"') == "deploy/compose.yml"
    assert _norm(" ./a/../b ") == "b"
    assert _norm(".") == "" and _norm("./") == "" and _norm("'.'") == ""
    assert _join("", "./Dockerfile") == "Dockerfile"
    assert _join("docker", "../Dockerfile") == "Dockerfile"
    assert _join("docker/server", ".") == "docker/server"


# ---------------------------------------------------------------- docker build

def test_the_first_command_that_builds_a_dockerfile_gives_its_reason(tmp_path: Path) -> None:
    """Two commands build one Dockerfile: the reason names the first; a `-f` naming a missing file or a
    file that is no Dockerfile places nothing and breaks nothing."""
    files = _unique({"img/Dockerfile": IMAGE, "compose.yml": COMPOSE})
    project = _project(tmp_path, {**files, DEPLOY: _workflow([
        "docker build -t org/a ./img", "docker build -f img/Dockerfile -t org/b .",
        "docker build -f missing/Dockerfile .", "docker build -f compose.yml ."])})
    assert _reasons(project) == {"img/Dockerfile": f"built by `docker build` at {DEPLOY}:7"}


def test_every_option_form_of_docker_build(tmp_path: Path) -> None:
    """`--file x`, `--tag x`, `-t x` before the context, an unknown option with a value before the context
    (the context is the last word), an option after the context, a context that is a variable or a URL
    (the repository root), a trailing option without its value."""
    files = _unique({f"{name}/Dockerfile": IMAGE for name in ("long", "tagged", "unknown", "after", "last")})
    files.update(_unique({"Dockerfile": IMAGE, "named/Dockerfile.prod": IMAGE}))
    project = _project(tmp_path, {**files, DEPLOY: _workflow([
        "docker build --file named/Dockerfile.prod --tag org/x .", "docker build -t org/t ./tagged",
        "docker build --my-option value ./unknown", "docker build ./after --pull --no-cache",
        "docker build -t org/root $CONTEXT", "docker build https://github.com/org/repo.git",
        "docker build ./last --target", "docker build ./last -f", "docker build ./last -t",
        "docker build --tag org/long:1 ./long"])})
    reasons = _reasons(project)
    assert set(reasons) == set(files)
    assert reasons["Dockerfile"] == f"built by `docker build` at {DEPLOY}:11"
    assert reasons["last/Dockerfile"] == f"built by `docker build` at {DEPLOY}:13"
    assert project.deployment.targets == {}


def test_the_stage_a_deploy_path_builds(tmp_path: Path) -> None:
    """`--target NAME` (after the context or before it) and `--target=NAME` name the stage; a stage named for
    development, debugging, tests or local use, or a variable, is no serving stage."""
    staged = IMAGE + "FROM python:3.12-slim AS {stage}\nUSER app\nCMD [\"gunicorn\"]\n"
    stages = {"after": "release", "before": "prod", "equals": "final", "devs": "dev-server", "dbg": "debug",
              "tst": "test", "loc": "local", "var": "$STAGE"}
    files = _unique({f"{name}/Dockerfile": staged.format(stage=stage) for name, stage in stages.items()})
    project = _project(tmp_path, {**files, DEPLOY: _workflow([
        "docker build ./after --target release", "docker build --target prod ./before",
        "docker build --target=final ./equals", "docker build --target dev-server ./devs",
        "docker build --target debug ./dbg", "docker build --target test ./tst",
        "docker build --target local ./loc", "docker build --target $STAGE ./var"])})
    assert set(_reasons(project)) == set(files)
    assert project.deployment.targets == {"after/Dockerfile": {"release"}, "before/Dockerfile": {"prod"},
                                          "equals/Dockerfile": {"final"}}


def test_a_stage_built_alone_is_the_target_and_a_cache_warming_stage_is_not(tmp_path: Path) -> None:
    """`--target builder` alone builds the `builder` stage. Beside a whole build of the same file it only
    warms the cache when a later stage builds from it (`FROM builder`, `COPY --from=builder`); a target no
    stage builds from stays."""
    chain = "FROM python:3.12-slim AS builder\nRUN make\nFROM builder AS final\nUSER app\nCMD [\"app\"]\n"
    copied = ("FROM python:3.12-slim AS builder\nRUN make\nFROM python:3.12-slim AS release\n"
              "COPY --from=builder /w /w\nUSER app\nCMD [\"app\"]\n")
    files = _unique({"alone/Dockerfile": chain, "warm/Dockerfile": chain, "copy/Dockerfile": copied,
                     "two/Dockerfile": copied})
    project = _project(tmp_path, {**files, DEPLOY: _workflow([
        "docker build --target builder -t org/alone ./alone",
        "docker build --target builder -t org/warm-cache ./warm", "docker build -t org/warm ./warm",
        "docker build --target builder -t org/c-cache ./copy", "docker build -t org/c ./copy",
        "docker build --target builder ./two", "docker build --target release ./two", "docker build ./two"])})
    assert project.deployment.targets == {"alone/Dockerfile": {"builder"}, "two/Dockerfile": {"release"}}


def test_tags_for_tests_and_tags_for_a_platform_registry(tmp_path: Path) -> None:
    """An image whose every tag names a test build is not what production pulls; a tag in Heroku's registry
    (`-t`, `--tag`, `--tag=`) says Heroku runs the image."""
    files = _unique({f"{name}/Dockerfile": IMAGE for name in ("ci", "it", "mixed", "h1", "h2", "h3")})
    project = _project(tmp_path, {**files, DEPLOY: _workflow([
        "docker build -t org/app:ci ./ci", "docker build -t org/app:integration-test-${{ github.run_id }} ./it",
        "docker build -t org/app:ci -t org/app:latest ./mixed",
        "docker build -t registry.heroku.com/app/web ./h1", "docker build --tag registry.heroku.com/app/web ./h2",
        "docker build --tag=registry.heroku.com/app/worker ./h3"])})
    assert set(_reasons(project)) == {"mixed/Dockerfile", "h1/Dockerfile", "h2/Dockerfile", "h3/Dockerfile"}
    assert project.deployment.platform_images == {
        "h1/Dockerfile": ("heroku", f"{DEPLOY}:10"), "h2/Dockerfile": ("heroku", f"{DEPLOY}:11"),
        "h3/Dockerfile": ("heroku", f"{DEPLOY}:12")}



def test_an_image_an_end_to_end_test_job_builds_to_run_beside_it_is_not_shipped(tmp_path: Path) -> None:
    """A scheduled job that builds the backend's image, runs it and drives it with Cypress's action tests what it
    built: the image is CI's. The same build in a job without the test action is evidence."""
    files = _unique({f"{name}/Dockerfile": IMAGE for name in ("e2e", "shipped")})
    e2e = ("on: {schedule: [{cron: '0 16 * * *'}]}\njobs:\n  cypress:\n    runs-on: ubuntu-latest\n    steps:\n"
           "      - run: docker build -t backend-service -f ./e2e/Dockerfile ./e2e\n"
           "      - run: docker run -d --name backend backend-service\n"
           "      - uses: cypress-io/github-action@v7.1.8\n        with: {browser: electron}\n")
    project = _project(tmp_path, {**files, ".github/workflows/cypress.yml": e2e,
                                  DEPLOY: _workflow(["docker build -t backend-service ./shipped"])})
    assert set(_reasons(project, "docker build")) == {"shipped/Dockerfile"}

def test_every_docker_build_spelling_reads_its_tags_with_the_workflow_env(tmp_path: Path) -> None:
    """`docker build`, `docker buildx build` and `docker image build` pass the workflow's `env:` (the
    workflow's, the job's) to the tag reader: a tag `$REGISTRY/...` names Heroku's registry through it;
    a Makefile's recipe has no workflow env, and its `$REGISTRY` names nothing."""
    files = _unique({f"{name}/Dockerfile": IMAGE for name in ("plain", "bx", "ib", "job", "made")})
    workflow = ("on: {push: {branches: [main]}}\nenv:\n  REGISTRY: registry.heroku.com\njobs:\n  deploy:\n"
                "    runs-on: ubuntu-latest\n    environment: production\n    env:\n      JOB_REGISTRY: registry.heroku.com\n"
                "    steps:\n"
                "      - run: docker build -t $REGISTRY/app/web ./plain\n"
                "      - run: docker buildx build --push -t ${REGISTRY}/app/web ./bx\n"
                "      - run: docker image build --tag ${{ env.REGISTRY }}/app/web ./ib\n"
                "      - run: docker buildx build -t $JOB_REGISTRY/app/worker ./job\n")
    project = _project(tmp_path, {**files, DEPLOY: workflow,
                                  "Makefile": "deploy:\n\tdocker build -t $REGISTRY/app/web ./made\n"})
    assert project.deployment.platform_images == {
        "plain/Dockerfile": ("heroku", f"{DEPLOY}:11"), "bx/Dockerfile": ("heroku", f"{DEPLOY}:12"),
        "ib/Dockerfile": ("heroku", f"{DEPLOY}:13"), "job/Dockerfile": ("heroku", f"{DEPLOY}:14")}
    assert "made/Dockerfile" in _reasons(project, "Makefile")

def test_is_test_build() -> None:
    assert is_test_build(["app:ci"]) and is_test_build(["app:integration-test-${{ github.run_id }}", "app:e2e"])
    assert not is_test_build([]) and not is_test_build([" "])
    assert not is_test_build(["app:ci", "app:latest"])
    assert not is_test_build(["app-ci"])  # no version: the name says nothing about the build
    assert not is_test_build(["localhost:5000/test"])  # a registry's port, not a version
    assert not is_test_build(["app:1.0"])


def test_platform_of_tags_expands_the_workflow_env() -> None:
    heroku = {"REGISTRY": "registry.heroku.com"}
    assert platform_of_tags(["registry.heroku.com/app/web"], {}) == "heroku"
    assert platform_of_tags(["Registry.Heroku.com/app/web"], {}) == "heroku"
    assert platform_of_tags(["ghcr.io/org/app", "${{ env.REGISTRY }}/app/web"], heroku) == "heroku"
    assert platform_of_tags(["${REGISTRY}/app/web"], heroku) == "heroku"
    assert platform_of_tags(["$REGISTRY/app/web"], heroku) == "heroku"
    assert platform_of_tags(["$OTHER/app/web"], heroku) is None
    assert platform_of_tags(["ghcr.io/registry.heroku.com"], {}) is None
    # a value may name another, three rounds deep; a longer chain (or a cycle) names no registry
    assert platform_of_tags(["$A/app"], {"A": "${B}", "B": "$C", "C": "registry.heroku.com"}) == "heroku"
    assert platform_of_tags(["$A/app"], {"A": "$B", "B": "$C", "C": "$D", "D": "registry.heroku.com"}) is None
    assert platform_of_tags(["$A/app"], {"A": "$B", "B": "$A"}) is None


def test_workflow_expressions_the_shell_split_are_one_word() -> None:
    assert expression_word(["-t", "${{", "env.IMAGE", "}}:latest", "."], 1) == "${{ env.IMAGE }}:latest"
    assert expression_word(["${{ env.IMAGE }}:1", "."], 0) == "${{ env.IMAGE }}:1"
    assert expression_word(["org/app", "."], 0) == "org/app"
    assert expression_word(["${{", "a", "b", "c", "}}"], 0) == "${{"  # three words at most
    assert expression_word(["${{", "a", "b", "}}"], 0) == "${{ a b }}"
    assert whole_expressions(["--build-arg", "V=${{", "inputs.v", "}}", "."]) == ["--build-arg", "V=${{ inputs.v }}", "."]
    assert whole_expressions(["a=${{ x }}", "."]) == ["a=${{ x }}", "."]
    assert whole_expressions(["a=${{ x }}-${{", "y", "}}", "."]) == ["a=${{ x }}-${{ y }}", "."]
    assert whole_expressions([".", "V=${{", "never"]) == [".", "V=${{", "never"]


# ---------------------------------------------------------------- programs and verbs

def test_bare_programs_and_other_programs_read_nothing(tmp_path: Path) -> None:
    """A program name alone, an `echo` of a build's words, another program with compose's words: nothing
    placed, nothing broken."""
    files = _unique({"e/Dockerfile": IMAGE, "other/compose.yml": COMPOSE, "fly.toml": "app = 'x'\n",
                     "k8s/a.yaml": MANIFEST.format(name="a")})
    project = _project(tmp_path, {**files, DEPLOY: _workflow([
        "docker", "podman", "fly", "flyctl", "heroku", "helm", "kubectl", "oc", "docker-compose",
        "echo build ./e", "echo -f other/compose.yml up", "echo one deploy -c fly.toml",
        "helm upgrade", "helm upgrade rel", "kubectl apply", "kubectl apply -f", "docker compose",
        "docker stack", "docker image", "docker buildx"])})
    assert _reasons(project) == {}
    assert project.deployment.platform_images == {}


def test_cluster_and_compose_commands_count_on_deploy_paths_only(tmp_path: Path) -> None:
    """A script not named for deploying (a build script) ships nothing with `helm upgrade`, `kubectl apply`,
    `docker compose up`, `docker stack deploy` or `docker-compose up`; the same lines in a deploy script do."""
    files = _unique({"charts/api/Chart.yaml": "name: api\n", "k8s/a.yaml": MANIFEST.format(name="a"),
                     "c/compose.yml": COMPOSE, "s/compose.yml": COMPOSE, "l/compose.yml": COMPOSE})
    script = ("#!/bin/sh\nhelm upgrade rel ./charts/api\nkubectl apply -f k8s/a.yaml\ndocker compose -f c/compose.yml up -d\n"
              "docker stack deploy -c s/compose.yml app\ndocker-compose -f l/compose.yml up\n")
    project = _project(tmp_path, {**files, "build.sh": script})
    assert _reasons(project, "build.sh") == {}
    project = _project(tmp_path / "deploying", {**files, "deploy.sh": script})
    assert set(_reasons(project, "deploy.sh")) == set(files)


def test_every_verb_of_helm_kubectl_and_oc(tmp_path: Path) -> None:
    files = _unique({**{f"charts/{name}/Chart.yaml": f"name: {name}\n" for name in ("up", "in")},
                     **{f"k8s/{name}.yaml": MANIFEST.format(name=name)
                        for name in ("apply", "create", "replace", "oc", "fn", "kz")}})
    project = _project(tmp_path, {**files, DEPLOY: _workflow([
        "helm upgrade rel ./charts/up", "helm install rel ./charts/in", "kubectl apply -f k8s/apply.yaml",
        "kubectl create -f k8s/create.yaml", "kubectl replace -f k8s/replace.yaml", "oc apply -f k8s/oc.yaml",
        "kubectl apply --filename k8s/fn.yaml", "kubectl apply -k k8s/kz.yaml", "kubectl delete -f k8s/apply.yaml",
        "kubectl apply k8s/none.yaml -f"])})
    reasons = _reasons(project)
    assert set(reasons) == set(files)
    assert reasons["charts/up/Chart.yaml"] == f"chart installed by `helm` at {DEPLOY}:7"
    assert reasons["k8s/apply.yaml"] == f"applied by `kubectl` at {DEPLOY}:9"


FLAGS = ["--install", "--atomic", "--wait", "--create-namespace", "--force", "--debug",
         "--reuse-values", "--reset-values", "--cleanup-on-fail"]


def test_helm_options_with_and_without_values(tmp_path: Path) -> None:
    """A flag helm takes alone is not followed by its value; any other option is (`--namespace prod`), unless
    it carries its value (`--timeout=5m`); `-f`/`--values` name values files, kept once per chart, and a
    values file that does not exist is no values file of the chart."""
    charts = {f"charts/c{index}/Chart.yaml": f"name: c{index}\n" for index in range(len(FLAGS) + 3)}
    files = _unique({**charts, "charts/c0/values-prod.yaml": "replicas: 2\n", "ops/values.yaml": "a: 1\n"})
    commands = [f"helm upgrade {flag} rel ./charts/c{index}" for index, flag in enumerate(FLAGS)]
    commands += [f"helm upgrade --namespace prod rel ./charts/c{len(FLAGS)} --values ops/values.yaml",
                 f"helm upgrade --timeout=5m rel ./charts/c{len(FLAGS) + 2}",
                 "helm upgrade rel ./charts/c0 -f charts/c0/values-prod.yaml -f charts/c0/missing.yaml",
                 "helm upgrade rel ./charts/c0 -f ./charts/c0/values-prod.yaml --values=ignored.yaml",
                 f"helm install rel charts/c{len(FLAGS) + 1} -f"]
    # `--dry-run` renders and validates the release without installing it: the chart is not made production
    commands += ["helm upgrade --install --dry-run rel ./charts/rehearsed"]
    project = _project(tmp_path, {**files, "charts/rehearsed/Chart.yaml": "name: rehearsed\n",
                                  DEPLOY: _workflow(commands)})
    reasons = _reasons(project)
    assert set(reasons) == set(files)
    assert project.views.helm_values == {
        **{f"charts/c{index}": [] for index in range(len(FLAGS) + 3)},
        "charts/c0": ["charts/c0/values-prod.yaml"], f"charts/c{len(FLAGS)}": ["ops/values.yaml"]}


def test_compose_commands_name_their_files_or_the_default_one(tmp_path: Path) -> None:
    """`--file=`, `--compose-file` of `docker stack deploy`, options with values before the verb; no `-f`:
    the folder's first default compose file only; a file named and missing places nothing."""
    files = _unique({"eq/compose.yml": COMPOSE, "stack/compose.yml": COMPOSE, "proj/compose.yml": COMPOSE,
                     "compose.yaml": COMPOSE, "docker-compose.yml": COMPOSE,
                     "a/compose.yml": COMPOSE, "b/compose.yml": COMPOSE})
    project = _project(tmp_path, {**files, DEPLOY: _workflow([
        "docker compose --file=eq/compose.yml up -d", "docker stack deploy --compose-file stack/compose.yml app",
        "docker compose -p myproject -f proj/compose.yml up", "docker compose up -d",
        "docker compose -f a/compose.yml -f b/compose.yml -f gone/compose.yml up"])})
    reasons = _reasons(project)
    assert set(reasons) == set(files) - {"docker-compose.yml"}
    assert reasons["compose.yaml"] == f"deployed by `docker compose -f compose.yaml` at {DEPLOY}:10"
    assert reasons["stack/compose.yml"] == f"deployed by `docker compose -f stack/compose.yml` at {DEPLOY}:8"


def test_fly_deploy_and_heroku_container_push(tmp_path: Path) -> None:
    """`fly deploy` places fly.toml (or its `-c`/`--config` file) and its `--dockerfile`; `heroku
    container:push` the root Dockerfile, which Heroku then runs."""
    files = _unique({"Dockerfile": IMAGE, "fly.toml": "app = 'a'\n", "deploy/fly.toml": "app = 'b'\n",
                     "other/fly.toml": "app = 'c'\n", "docker/Dockerfile.fly": IMAGE})
    project = _project(tmp_path, {**files, DEPLOY: _workflow([
        "fly deploy", "flyctl deploy -c deploy/fly.toml --dockerfile docker/Dockerfile.fly",
        "fly deploy --config other/fly.toml --dockerfile missing/Dockerfile", "fly deploy --dockerfile",
        "fly status -c nothing.toml", "heroku container:push web", "heroku container:release web"])})
    reasons = _reasons(project)
    assert reasons == {
        "fly.toml": f"deployed by `fly deploy` at {DEPLOY}:7",
        "deploy/fly.toml": f"deployed by `fly deploy` at {DEPLOY}:8",
        "other/fly.toml": f"deployed by `fly deploy` at {DEPLOY}:9",
        "docker/Dockerfile.fly": f"built by `fly deploy` at {DEPLOY}:8",
        "Dockerfile": f"pushed by `heroku container:push` at {DEPLOY}:12"}
    assert project.deployment.platform_images == {"Dockerfile": ("heroku", f"{DEPLOY}:12")}


TEMPLATE = """apiVersion: template.openshift.io/v1
kind: Template
metadata:
  name: backend
parameters:
  - name: VERSION
objects:
  - apiVersion: image.openshift.io/v1
    kind: ImageStream
    metadata:
      name: backend
  - apiVersion: build.openshift.io/v1
    kind: BuildConfig
    metadata:
      name: backend-${VERSION}
    spec:
      output:
        to: {kind: ImageStreamTag, name: "backend:${VERSION}"}
      source:
        contextDir: backend
        git: {uri: "${GIT_URL}"}
      strategy:
        type: Docker
        dockerStrategy:
          dockerfilePath: ./Dockerfile.openshift
  - apiVersion: build.openshift.io/v1
    kind: BuildConfig
    metadata:
      name: tools
    spec:
      source: {contextDir: "${TOOLS_DIR}"}
      strategy: {dockerStrategy: {}}
"""


def test_openshift_build_configs_and_oc_process(tmp_path: Path) -> None:
    """A Docker-strategy BuildConfig (here in a Template's objects) builds `contextDir`/`dockerfilePath` for
    production; a folder a template parameter fills in is unknown. `oc process -f` on a deploy path applies the
    template. The Dockerfile beside the built one, which only the local compose file builds, is development's."""
    files = {"backend/Dockerfile.openshift": IMAGE, "backend/Dockerfile": IMAGE.replace("slim", "bookworm"),
             "tools/Dockerfile": IMAGE.replace("3.12", "3.11"),
             "openshift/backend-bc.yaml": TEMPLATE,
             "docker-compose.yml": "services:\n  backend:\n    build: ./backend\n    volumes: ['./backend:/app']\n"}
    project = _project(tmp_path, {**files, DEPLOY: _workflow(
        ["oc process -f openshift/backend-bc.yaml VERSION=1 | oc apply -f -"])})
    placements = project.deployment.placements
    assert placements["backend/Dockerfile.openshift"].reason == \
        "built by the OpenShift BuildConfig at openshift/backend-bc.yaml:12"
    assert placements["openshift/backend-bc.yaml"].reason == f"processed by `oc process` at {DEPLOY}:7"
    assert placements["backend/Dockerfile"].context == Context.DEV
    assert "backend/Dockerfile.openshift beside it is built for production" in placements["backend/Dockerfile"].reason
    assert "tools/Dockerfile" not in _reasons(project, "OpenShift")


def test_a_dockerfile_named_for_another_part_is_not_the_variant_beside_it(tmp_path: Path) -> None:
    """`Dockerfile.frontend`, built by the local compose file beside the production `Dockerfile`, builds another
    image: nothing says which context it has (ambiguous), not development."""
    files = {"docker/Dockerfile": IMAGE, "docker/Dockerfile.frontend": IMAGE.replace("python:3.12", "node:20"),
             "docker-compose.yml": "services:\n  web:\n    build: {context: ., dockerfile: docker/Dockerfile.frontend}\n"
                                   "    volumes: ['./app:/app']\n"}
    project = _project(tmp_path, {**files, DEPLOY: _workflow(["docker build -f docker/Dockerfile -t org/api ."])})
    assert project.deployment.placements["docker/Dockerfile.frontend"].context == Context.AMBIGUOUS

def test_heroku_container_push_without_a_root_dockerfile(tmp_path: Path) -> None:
    files = _unique({"web/Dockerfile": IMAGE})
    project = _project(tmp_path, {**files, DEPLOY: _workflow(["heroku container:push web"])})
    assert _reasons(project) == {} and project.deployment.platform_images == {}


# ---------------------------------------------------------------- Makefiles and scripts

def test_make_recipes() -> None:
    text = (".PHONY: deploy\n"
            "VAR := value\n"
            "# old: x\n"
            "\tdocker compose -f old.yml up\n"
            "deploy: build\n"
            "\t@-docker build .\n"
            "    helm upgrade rel ./chart\n"
            "\n"
            "empty:\n"
            "last:\n"
            "\tfly deploy\n")
    assert list(make_recipes(text)) == [("deploy", 6, "docker build .\nhelm upgrade rel ./chart"),
                                         ("last", 11, "fly deploy")]
    assert list(make_recipes("\tdocker build .\n")) == []
    assert list(make_recipes("deploy:\n\tdocker build .\nclean:\n")) == [("deploy", 2, "docker build .")]  # the last target has no recipe


def test_makefile_targets_deploy_by_their_names(tmp_path: Path) -> None:
    """A target named for deploying runs compose and cluster commands (relative to the Makefile's folder); one
    named for development, local use or tests does not; a build runs in any target; a Makefile outside
    production (an examples folder, read first) reads nothing and stops nothing."""
    names = ["deploy-prod", "deploy-dev", "release-local", "push-test", "ship-tests", "build"]
    files = _unique({f"ops/{name}/compose.yml": COMPOSE for name in names})
    files.update(_unique({"ops/img/Dockerfile": IMAGE, "examples/x/compose.yml": COMPOSE}))
    makefile = "".join(f"{name}:\n\tdocker compose -f {name}/compose.yml up -d\n" for name in names)
    makefile += "image:\n\tdocker build ./img\n"
    project = _project(tmp_path, {**files, "ops/Makefile": makefile,
                                  "examples/Makefile": "deploy:\n\tdocker compose -f x/compose.yml up\n"})
    reasons = _reasons(project, "ops/Makefile")
    assert reasons == {"ops/deploy-prod/compose.yml": "deployed by `docker compose -f deploy-prod/compose.yml` "
                                                      "at ops/Makefile:2",
                       "ops/img/Dockerfile": "built by `docker build` at ops/Makefile:14"}
    assert _reasons(project, "examples/Makefile") == {}


def test_scripts_deploy_by_their_names(tmp_path: Path) -> None:
    """A script named for deploying runs its commands from its folder; another script's builds read from
    the repository root; a script outside production (read first) reads nothing and stops nothing."""
    files = _unique({"scripts/compose.prod.yml": COMPOSE, "compose.prod.yml": COMPOSE,
                     "docker/Dockerfile": IMAGE, "examples/compose.yml": COMPOSE})
    project = _project(tmp_path, {
        **files, "scripts/deploy.sh": "#!/bin/sh\ndocker compose -f compose.prod.yml up -d\n",
        "scripts/build.sh": "#!/bin/sh\ndocker build -f docker/Dockerfile .\ndocker compose -f compose.prod.yml up\n",
        "examples/deploy.sh": "#!/bin/sh\ndocker compose -f compose.yml up -d\n"})
    assert _reasons(project, "scripts/") == {
        "scripts/compose.prod.yml": "deployed by `docker compose -f compose.prod.yml` at scripts/deploy.sh:2",
        "docker/Dockerfile": "built by `docker build` at scripts/build.sh:2"}
    assert _reasons(project, "examples/deploy.sh") == {}


def test_a_deploy_path_follows_cd_folder_copies_and_the_scripts_it_runs(tmp_path: Path) -> None:
    """`cd api` then `bash -x ./build_worker.sh`: the script runs in `api/`; its `cp -R ../api ../${destination}` then
    `cd ../${destination}` (`destination="_worker"` assigned above) works in a copy of `api/`, so `-f ./Dockerfile_worker`
    is api's; `$GITHUB_WORKSPACE` is the
    checkout. After a `cd` to a folder named by another variable, a script a test job runs, and a script that is
    not in the repository place nothing."""
    files = _unique({"api/Dockerfile_worker": IMAGE, "api/Dockerfile_cron": IMAGE, "api/Dockerfile_beat": IMAGE,
                     "web/Dockerfile": IMAGE})
    build = ("#!/bin/bash\nset -e\nbuild() {\n    destination=\"_worker\"\n    cp -R ../api ../${destination}\n"
             "    cd ../${destination}\n    docker build -f ./Dockerfile_worker -t org/worker .\n    cd ../api\n"
             "    rm -rf ../${destination}\n}\nbuild\n")
    project = _project(tmp_path, {
        **files, "api/build_worker.sh": build,
        "api/build_cron.sh": "#!/bin/sh\ncd \"$TARGET\"\ndocker build -f ./Dockerfile_cron .\n",
        "api/build_beat.sh": "#!/bin/sh\ndocker build -f ./Dockerfile_beat .\n",
        DEPLOY: _workflow(["cd api && PUSH_IMAGE=0 bash -x ./build_worker.sh",
                           "cd api && sh build_cron.sh && ./missing.sh",
                           "cd $GITHUB_WORKSPACE/web && docker build -t org/web ."]),
        ".github/workflows/test.yml": _workflow(["cd api && ./build_beat.sh"], job="test", environment="ci")})
    assert _reasons(project) == {
        "api/Dockerfile_worker": f"built by `docker build` at api/build_worker.sh:7 (run by {DEPLOY}:7)",
        "web/Dockerfile": f"built by `docker build` at {DEPLOY}:9"}


# ---------------------------------------------------------------- platform files

@pytest.mark.parametrize(("name", "text", "built"), [
    ("fly.toml", "app = 'a'\n[build]\ndockerfile = 'docker/Dockerfile.fly'\n", "docker/Dockerfile.fly"),
    ("fly.toml", "app = 'a'\n", "Dockerfile"),
    ("railway.toml", "[build]\ndockerfilePath = 'docker/Dockerfile.rw'\n", "docker/Dockerfile.rw"),
    ("railway.json", '{"build": {"dockerfilePath": "docker/Dockerfile.rw"}}', "docker/Dockerfile.rw"),
    ("render.yaml", "services:\n  - type: web\n  - type: web\n    dockerfilePath: ./docker/Dockerfile.r\n",
     "docker/Dockerfile.r"),
    ("render.yml", "services:\n  - dockerfilePath: docker/Dockerfile.r\n", "docker/Dockerfile.r"),
    ("heroku.yml", "build:\n  docker:\n    web: docker/Dockerfile.web\n    worker: docker/Dockerfile.worker\n",
     "docker/Dockerfile.web docker/Dockerfile.worker"),
])
def test_platform_files_build_the_dockerfile_they_name(tmp_path: Path, name: str, text: str, built: str) -> None:
    """Each platform file places the Dockerfile it builds (relative to its folder), and only that one; a
    platform file that does not parse, read first, stops none of the others."""
    images = ["Dockerfile", "docker/Dockerfile.fly", "docker/Dockerfile.rw", "docker/Dockerfile.r",
              "docker/Dockerfile.web", "docker/Dockerfile.worker"]
    files = _unique({f"svc/{image}": IMAGE for image in images})
    broken = {"a/railway.json": "{not json", "a/railway.toml": "[build\n", "a/fly.toml": "= broken\n"}
    project = _project(tmp_path, {**files, **broken, f"svc/{name}": text})
    assert _reasons(project, "built by the platform file") == {
        f"svc/{image}": f"built by the platform file svc/{name}" for image in built.split()}


@pytest.mark.parametrize("text", ["services: {}\n", "services:\n  - just-a-name\n", "- a\n",
                                  "services:\n  - dockerfilePath: ''\n"])
def test_a_render_file_without_dockerfile_paths(tmp_path: Path, text: str) -> None:
    project = _project(tmp_path, {"Dockerfile": IMAGE, "render.yaml": text})
    assert _reasons(project, "built by the platform file") == {}


@pytest.mark.parametrize("text", ["build: {}\n", "build:\n  docker: web\n", "- a\n", "build:\n  docker:\n    web: ''\n"])
def test_a_heroku_file_without_docker_builds(tmp_path: Path, text: str) -> None:
    project = _project(tmp_path, {"Dockerfile": IMAGE, "heroku.yml": text})
    assert _reasons(project, "built by the platform file") == {}


def _migrating_workflow(database_url: str) -> str:
    return ("on: {push: {branches: [main]}}\njobs:\n  upgrade-smoke:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - run: docker compose up -d postgres\n"
            f"      - env: {{DATABASE_URL: \"{database_url}\"}}\n        run: alembic upgrade head\n"
            "      - run: docker compose up -d --build api\n")


def test_a_migration_against_a_database_on_the_runner_makes_no_deploy_job(tmp_path: Path) -> None:
    """`alembic upgrade head` with `DATABASE_URL` at `localhost` migrates the database the job itself started (a
    compose stack on the runner): a smoke test, so the compose file it brings up is not deployed by it. The same job
    migrating the database a secret names is a deploy job, and its `docker compose up` deploys the file."""
    workflow = ".github/workflows/ci.yml"
    files = _unique({"docker-compose.yml": COMPOSE})
    local = _project(tmp_path / "local", {**files, workflow: _migrating_workflow(
        "postgresql+asyncpg://app:app_dev@localhost:5433/app")})
    assert _reasons(local, workflow) == {}
    remote = _project(tmp_path / "remote", {**files, workflow: _migrating_workflow("${{ secrets.DATABASE_URL }}")})
    assert set(_reasons(remote, workflow)) == {"docker-compose.yml"}
