"""project/path_marks.py: where no deploy path places a file, its path and neighbours do: a production sibling,
folders of examples, tools, scratch code and test rigs, names that say testing, chart files Helm never renders,
requirements no image installs, test support, a README or a header comment that says not for production, a
folder whose README calls it an example. Each clause with its exact reason."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import project_model
from prodcheck.model.files import Context
from prodcheck.project import Project
from prodcheck.project.path_marks import Placement

APP = {"app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"}


def _project(root: Path, files: dict[str, str]) -> Project:
    return project_model(root, {**APP, **{path: text or f"# {path}\n" for path, text in files.items()}})


def test_the_production_sibling_of_a_dockerfile_or_compose_file(tmp_path: Path) -> None:
    compose = "services:\n  web:\n    image: org/web\n"
    files = {name: "" for name in (
        "Dockerfile", "Dockerfile.prod", "a/Dockerfile", "a/prod.Dockerfile", "b/Dockerfile", "b/release.Dockerfile",
        "c/Containerfile", "c/Containerfile.live", "d/Dockerfile.dev", "e/Dockerfile", " spaced/Dockerfile",
        " spaced/Dockerfile.production", "g/Dockerfile", "g/Dockerfile.deploy", "g/Dockerfile.prod")}
    files.update({name: f"# {name}\n{compose}" for name in (
        "docker-compose.yml", "docker-compose.prod.yml", "f/compose.yaml", "f/compose-production.yaml", "h/compose.yml",
        "h/compose_deploy.yml", "i/compose.yml", "j/docker-compose.yml", "j/docker-compose.live.yml")})
    project = _project(tmp_path, files)
    siblings = {path: project.deployment._prod_sibling(project.by_path[path]) for path in (
        "Dockerfile", "a/Dockerfile", "b/Dockerfile", "c/Containerfile", "d/Dockerfile.dev", "e/Dockerfile",
        " spaced/Dockerfile", "g/Dockerfile", "docker-compose.yml", "f/compose.yaml", "h/compose.yml", "i/compose.yml",
        "j/docker-compose.yml", "j/docker-compose.live.yml", "app/main.py")}
    assert siblings == {
        "Dockerfile": "Dockerfile.prod", "a/Dockerfile": "a/prod.Dockerfile", "b/Dockerfile": "b/release.Dockerfile",
        "c/Containerfile": "c/Containerfile.live", "d/Dockerfile.dev": None, "e/Dockerfile": None,
        " spaced/Dockerfile": " spaced/Dockerfile.production", "g/Dockerfile": "g/Dockerfile.prod",
        "docker-compose.yml": "docker-compose.prod.yml", "f/compose.yaml": "f/compose-production.yaml",
        "h/compose.yml": "h/compose_deploy.yml", "i/compose.yml": None, "j/docker-compose.yml": "j/docker-compose.live.yml",
        "j/docker-compose.live.yml": None, "app/main.py": None}


_EXAMPLES = "a folder of examples and tools"
_RIGS = "a folder of test rigs"


@pytest.mark.parametrize(("path", "expected"), [
    ("examples/app/Dockerfile", (Context.DEV, f"under `examples/`, {_EXAMPLES}")),
    ("svc/docs_src/tutorial.py", (Context.DEV, f"under `svc/docs_src/`, {_EXAMPLES}")),
    ("tools/img/Dockerfile", (Context.DEV, f"under `tools/`, {_EXAMPLES}")),
    ("tools/helper.py", None),
    ("examples/loadtest/run.py", (Context.DEV, f"under `examples/`, {_EXAMPLES}")),
    ("loadtests/locustfile.py", (Context.TEST, f"under `loadtests/`, {_RIGS}")),
    ("Perf/compose.yml", (Context.TEST, f"under `Perf/`, {_RIGS}")),
    ("perf/bench.py", (Context.TEST, "under `perf/`, a folder of evaluation or benchmark rigs (not a sub-package of the "
                                     "application)")),
    ("app/perf/probe.py", None),
    ("load_testing/run.sh", (Context.TEST, f"under `load_testing/`, {_RIGS}")),
    ("docs/snippet.py", (Context.DEV, "under `docs/`, a documentation folder outside the application's packages")),
    ("internal_docs/vignettes/demo.py", (Context.DEV, "under `internal_docs/`, a documentation folder outside the "
                                                      "application's packages")),
    ("app/docs/router.py", None),
    ("docs_ingest/main.py", None),
    ("sandbox/run.py", (Context.DEV, "under `sandbox/`, a scratch folder outside the application's packages")),
    ("app/sandbox/run.py", None),
    ("sandbox/pkg/run.py", (Context.DEV, "under `sandbox/`, a scratch folder outside the application's packages")),
    ("evals/run.py", (Context.TEST, "under `evals/`, a folder of evaluation or benchmark rigs (not a sub-package of the "
                                    "application)")),
    ("packages/app-benchmark/run.py", (Context.TEST, "under `packages/app-benchmark/`, a folder of evaluation or "
                                                     "benchmark rigs (not a sub-package of the application)")),
    ("app/evals/run.py", None),
    ("deploy/values-testing.yaml", (Context.TEST, "its name `values-testing.yaml` says testing")),
    ("app/testing.py", None),
    ("docker-compose.integration.yml", (Context.TEST, "its name `docker-compose.integration.yml` says integration "
                                                       "tests: the stack CI brings up")),
    ("Dockerfile.integration", (Context.TEST, "its name `Dockerfile.integration` says integration tests: the stack "
                                              "CI brings up")),
    ("deploy/integration.sh", None),
    ("app/main.py", None),
])
def test_the_folder_and_name_words_of_a_path(tmp_path: Path, path: str, expected: tuple[Context, str] | None) -> None:
    files = {path: "services:\n  web:\n    image: org/web\n" if "compose" in path else "",
             "sandbox/pkg/__init__.py": "", "app/sandbox/__init__.py": "", "app/perf/__init__.py": "",
             "app/docs/__init__.py": ""}
    project = _project(tmp_path, files)
    found = project.deployment._folder_word(project.by_path[path])
    assert ((found.context, found.reason) if found else None) == expected


CHART = "apiVersion: v2\nname: {name}\nversion: 0.1.0\n"
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"


def test_chart_files_helm_never_renders(tmp_path: Path) -> None:
    project = _project(tmp_path, {
        "deploy/chart/Chart.yaml": CHART.format(name="app"), "deploy/chart/values.yaml": "replicas: 1\n",
        "deploy/chart/templates/cm.yaml": CM.format(name="{{ .Release.Name }}") + "data:\n  raw: {{ .Files.Get \"files/raw.yaml\" }}\n",
        "deploy/chart/files/raw.yaml": CM.format(name="raw"),
        "deploy/chart/templates_disabled/old.yaml": CM.format(name="old"),
        "deploy/chart/manifests/extra.yaml": CM.format(name="extra"),
        "deploy/chart/charts/dep/templates/x.yaml": CM.format(name="dep"),
        "deploy/chart/nested/Chart.yaml": CHART.format(name="nested"),
        "deploy/chart/nested/templates/n.yaml": CM.format(name="n"),
        "deploy/chart/nested/old/n.yaml": CM.format(name="nested-old"),
        "deploy/other.yaml": CM.format(name="other"),
    })
    unrendered = project.deployment._unrendered_chart_files()
    reason = "in the Helm chart `{}` but outside `templates/`: Helm never renders or installs it"
    assert unrendered == {
        "deploy/chart/templates_disabled/old.yaml": Placement(Context.DEV, reason.format("deploy/chart")),
        "deploy/chart/manifests/extra.yaml": Placement(Context.DEV, reason.format("deploy/chart")),
        "deploy/chart/nested/old/n.yaml": Placement(Context.DEV, reason.format("deploy/chart/nested")),
    }


def test_a_chart_at_the_root(tmp_path: Path) -> None:
    project = _project(tmp_path, {"Chart.yaml": CHART.format(name="app"), "templates/cm.yaml": CM.format(name="a"),
                                  "old/cm.yaml": CM.format(name="old")})
    assert project.deployment._unrendered_chart_files() == {
        "old/cm.yaml": Placement(Context.DEV, "in the Helm chart `.` but outside `templates/`: Helm never renders or "
                                              "installs it")}


def test_requirements_no_image_installs(tmp_path: Path) -> None:
    project = _project(tmp_path, {
        "Dockerfile": "FROM python:3.12\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n",
        "requirements.txt": "fastapi\n", "scripts/requirements.txt": "pandas\n", "scripts/requirements.in": "pandas\n",
        "app/plugins/requirements.txt": "httpx\n", "app/plugins/__init__.py": ""})
    uninstalled = project.deployment._uninstalled
    found = uninstalled(project.by_path["scripts/requirements.txt"])
    assert found is not None and found.context == Context.AMBIGUOUS
    assert found.reason.startswith("no image installs it") and "while Dockerfile installs requirements" in found.reason
    for path in ("requirements.txt", "scripts/requirements.in", "app/plugins/requirements.txt", "app/main.py"):
        assert uninstalled(project.by_path[path]) is None, path


def test_a_folder_is_a_package_when_it_has_an_init(tmp_path: Path) -> None:
    project = _project(tmp_path, {"app/sub/__init__.py": "", "scripts/x.py": ""})
    in_package = project.deployment._in_package
    assert in_package(["app"]) and in_package(["app", "sub"])
    assert not in_package(["scripts"]) and not in_package([])


def test_test_support_imports_a_test_framework_or_client(tmp_path: Path) -> None:
    project = _project(tmp_path, {
        "app/support.py": "import pytest\nfrom fastapi import FastAPI\n", "app/client.py": "from fastapi.testclient import TestClient\n",
        "app/star.py": "import starlette.testclient as tc\n", "app/plugin.py": "import pytest_asyncio\n",
        "app/util.py": "from fastapi import testing_helpers\n"})
    support = {path: project.deployment._test_support(project.by_path[path]) for path in (
        "app/support.py", "app/client.py", "app/star.py", "app/plugin.py", "app/util.py", "app/__init__.py")}
    assert support == {"app/support.py": Placement(Context.TEST, "it imports `pytest`: test support"),
                       "app/client.py": Placement(Context.TEST, "it imports `fastapi.testclient`: test support"),
                       "app/star.py": Placement(Context.TEST, "it imports `starlette.testclient`: test support"),
                       "app/plugin.py": None, "app/util.py": None, "app/__init__.py": None}
    assert project.deployment._test_support(project.by_path["app/__init__.py"]) is None


API = "from fastapi import FastAPI\n"  # a word of the parse prefilter: every file below is parsed


def test_a_module_the_application_imports_is_no_test_support(tmp_path: Path) -> None:
    """`lib/db.py` importing pytest for a guard is the database layer `api/main.py` imports; one imported only by a
    test, or by another module importing pytest, stays test support."""
    project = _project(tmp_path, {
        "lib/db.py": f"import pytest\n{API}", "api/main.py": f"from lib.db import fetch_all\n{API}",
        "lib/factories.py": f"import pytest\n{API}", "tests/test_api.py": f"from lib.factories import make_user\n{API}",
        "lib/fixtures.py": f"import pytest\nfrom lib.plugin import hook\n{API}", "lib/plugin.py": f"import pytest\n{API}"})
    support = {path: project.deployment._test_support(project.by_path[path])
               for path in ("lib/db.py", "lib/factories.py", "lib/plugin.py")}
    assert support == {"lib/db.py": None,
                       "lib/factories.py": Placement(Context.TEST, "it imports `pytest`: test support"),
                       "lib/plugin.py": Placement(Context.TEST, "it imports `pytest`: test support")}


@pytest.mark.parametrize("name", ["README.md", "README.rst", "README.txt", "README", "readme.md"])
def test_a_root_readme_that_says_the_repository_is_a_sample(tmp_path: Path, name: str) -> None:
    project = _project(tmp_path, {name: "# Samples\n\nThese samples must not be\ndeployed in production environments.\n"})
    assert project.deployment._sample_repository == "the README says \"must not be deployed in production\""


def test_an_empty_readme_is_passed_over_and_a_plain_one_says_nothing(tmp_path: Path) -> None:
    first = _project(tmp_path / "empty", {"README.md": "\n", "README.rst": "Not production-ready.\n"})
    assert first.deployment._sample_repository == "the README says \"not production-ready\""
    plain = _project(tmp_path / "plain", {"README.md": "# Shop\n\nThe shop's API.\n"})
    assert plain.deployment._sample_repository is None


def test_the_header_comment_of_a_dockerfile_or_compose_file(tmp_path: Path) -> None:
    compose = "services:\n  web:\n    image: org/web\n"
    padding = "".join(f"# line {n}\n" for n in range(40))
    project = _project(tmp_path, {
        "docker/Dockerfile.train": "# syntax=docker/dockerfile:1\n\n# This image is for model training and\n"
                                   "#   will not be deployed on production machines.\nFROM python:3.12\n",
        "web/Dockerfile": "#For development only\nFROM node:20\n",
        "split/Dockerfile": "# An image for local\n#development only\nFROM node:20\n",  # the phrase across two lines
        "late/Dockerfile": "FROM python:3.12\n# for development only\n",
        "far/Dockerfile": padding + "# for development only\nFROM python:3.12\n",
        "near/Dockerfile": padding[:-len("# line 39\n")] + "# for development only\nFROM python:3.12\n",
        "compose.yml": "# These samples must not be deployed in production.\n" + compose,
        "ops/notes.sh": "# for development only\necho hi\n", "blank/Dockerfile": "",
    })
    described = {path: project.deployment._self_described(project.by_path[path]) for path in (
        "docker/Dockerfile.train", "web/Dockerfile", "split/Dockerfile", "late/Dockerfile", "far/Dockerfile", "near/Dockerfile",
        "compose.yml", "ops/notes.sh", "blank/Dockerfile")}
    assert described == {
        "docker/Dockerfile.train": Placement(Context.DEV, "its own header comment says \"will not be deployed on production\""),
        "web/Dockerfile": Placement(Context.DEV, "its own header comment says \"for development only\""),
        "split/Dockerfile": Placement(Context.DEV, "its own header comment says \"for local development only\""),
        "late/Dockerfile": None, "far/Dockerfile": None,
        "near/Dockerfile": Placement(Context.DEV, "its own header comment says \"for development only\""),
        "compose.yml": Placement(Context.DEV, "its own header comment says \"must not be deployed in production\""),
        "ops/notes.sh": None, "blank/Dockerfile": None}


_EXAMPLE_README = """\
# Demo

![badge](https://example.org/badge.svg)

[docs](https://example.org)

<p align="center">logo</p>

| a | b |

```
make run
```

- a list

> a quote

=====

This   example shows
the shop's API with a minimal setup.

Second paragraph.
"""


def test_a_top_level_folder_whose_readme_opens_by_calling_it_an_example(tmp_path: Path) -> None:
    project = _project(tmp_path, {
        "demo/README.md": _EXAMPLE_README, "demo/requirements.txt": "fastapi\n", "demo/app.py": "x = 1\n",
        "shop/README.md": "This example is deployed.\n", "shop/Dockerfile": "FROM python:3.12\n",
        ".devcontainer/README.md": "This example container.\n", ".devcontainer/Dockerfile": "FROM python:3.12\n",
        "plain/README.md": "# Plain\n\nThe plain service.\n\nThis example is not first.\n", "plain/Dockerfile": "FROM node:20\n",
        "bare/README.md": "# Only a title\n", "bare/Dockerfile": "FROM scratch\n", "Dockerfile": "FROM python:3.12\n",
        ".github/workflows/deploy.yml": "on: {push: {branches: [main]}}\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n"
                                        "    steps:\n      - run: docker build -t org/shop shop\n",
    })
    why = "its folder's README opens \"This example shows the shop's API with a minimal setup.\": an example, not what " \
          "production runs"
    assert project.deployment._example_folders == {"demo": why}
    example = project.deployment._example_folder
    assert example(project.by_path["demo/requirements.txt"]) == Placement(Context.DEV, why)
    assert example(project.by_path["demo/app.py"]) is None  # Python code keeps its own context
    assert example(project.by_path["Dockerfile"]) is None
    assert example(project.by_path["plain/Dockerfile"]) is None
    assert example(project.by_path["bare/Dockerfile"]) is None


PUBLISH = """\
on: {push: {tags: ["v*"]}}
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@v6
        with:
          push: true
          tags: org/trader:latest
"""


def test_a_disclaimer_makes_no_sample_of_a_repository_that_publishes_what_it_builds(tmp_path: Path) -> None:
    """A trading framework's README says "for educational purposes only" (a risk notice); its own workflow publishes
    its image: the code that image runs is production's, not a sample's."""
    files = {"README.md": "# Trader\n\nThis software is for educational purposes only. Use it at your own risk.\n",
             "Dockerfile": 'FROM python:3.12-slim\nCOPY . /app\nCMD ["python", "-m", "trader"]\n',
             "trader/__init__.py": "", "trader/api.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"}
    published = _project(tmp_path / "published", {**files, ".github/workflows/publish.yml": PUBLISH})
    assert published.deployment.placements["Dockerfile"].context == Context.PROD
    assert "trader/api.py" not in published.deployment.placements
    sample = _project(tmp_path / "sample", files)
    assert sample.deployment.placements["trader/api.py"] == Placement(
        Context.DEV, "a sample repository: the README says \"for educational purposes only\"")
