"""project/installs.py: which requirements files the project's images install (copied, `pip install -r`,
included by another, read by packaging, beside a platform's file), and why another one is not production's."""
from __future__ import annotations

import textwrap

import pytest

from prodcheck.discovery.sources import SourceFile
from prodcheck.model.files import Context, FileKind
from prodcheck.parsing.dockerfile import parse
from prodcheck.project.installs import Installs, installed_requirements


def _kind(path: str) -> FileKind:
    name = path.rsplit("/", 1)[-1]
    if name.startswith("Dockerfile"):
        return FileKind.DOCKERFILE
    if name.endswith((".txt", ".in")) and name != "runtime.txt":
        return FileKind.REQUIREMENTS
    if name == "pyproject.toml":
        return FileKind.PYPROJECT
    return FileKind.PYTHON if name.endswith(".py") else FileKind.PLATFORM


def _installs(files: dict[str, str], dev: frozenset[str] = frozenset()) -> Installs:
    sources = [SourceFile(path, _kind(path), Context.DEV if path in dev else Context.PROD,
                          text=textwrap.dedent(text).lstrip("\n")) for path, text in files.items()]
    dockerfiles = [(s, parse(s.path, s.text or "")) for s in sources if s.kind == FileKind.DOCKERFILE]
    return installed_requirements(sources, dockerfiles)


_REQ = "fastapi==0.110\n"


def test_a_copied_requirements_file_is_installed_and_another_is_a_scripts() -> None:
    installs = _installs({"Dockerfile": """
        FROM python:3.12
        COPY requirements.txt .
        RUN pip install --no-cache-dir --upgrade pip
        """, "requirements.txt": _REQ, "notebooks/requirements.txt": _REQ})
    assert installs.installed == {"requirements.txt": "copied by Dockerfile"}
    assert installs.image == "Dockerfile" and installs.unresolved is None
    assert installs.uninstalled("requirements.txt") is None
    why = installs.uninstalled("notebooks/requirements.txt")
    assert why is not None and why.startswith("no image installs it (no Dockerfile copies it or runs `pip install -r` on it")
    assert "while Dockerfile installs requirements" in why


def test_uninstalled_needs_an_image_and_nothing_unresolved() -> None:
    assert Installs(installed={"a.txt": "x"}, image="Dockerfile").uninstalled("b.txt") is not None
    assert Installs(installed={"a.txt": "x"}, image="Dockerfile").uninstalled("a.txt") is None
    assert Installs(installed={"a.txt": "x"}).uninstalled("b.txt") is None
    assert Installs(installed={"a.txt": "x"}, image="Dockerfile", unresolved="Dockerfile: `$R`").uninstalled("b.txt") is None


def test_pip_install_r_after_copying_the_folder_installs_it_from_the_build_context() -> None:
    installs = _installs({"docker/api/Dockerfile": """
        FROM python:3.12
        COPY . .
        RUN pip install -r backend/requirements.txt && pip install -r=extra-requirements.txt
        """, "backend/requirements.txt": _REQ, "extra-requirements.txt": _REQ, "requirements-dev.txt": _REQ})
    assert installs.installed == {"backend/requirements.txt": "installed by docker/api/Dockerfile:3",
                                  "extra-requirements.txt": "installed by docker/api/Dockerfile:3"}
    assert installs.image == "docker/api/Dockerfile"


def test_a_dockerfile_in_a_folder_copies_from_any_build_context_above_it() -> None:
    installs = _installs({"docker/Dockerfile": "FROM python:3.12\nCOPY requirements.txt /app/\n",
                          "requirements.txt": _REQ})
    assert installs.installed == {"requirements.txt": "copied by docker/Dockerfile"}


def test_a_copied_folder_then_pip_install_r_in_it() -> None:
    installs = _installs({"Dockerfile": """
        FROM python:3.12
        COPY backend/ .
        ADD tools/ /tools/
        RUN pip install -r requirements.txt --constraint tools/constraints.txt
        """, "backend/requirements.txt": _REQ, "tools/constraints.txt": _REQ, "requirements.txt": _REQ})
    assert installs.installed == {"backend/requirements.txt": "installed by Dockerfile:4",
                                  "requirements.txt": "installed by Dockerfile:4",
                                  "tools/constraints.txt": "installed by Dockerfile:4"}


def test_an_absolute_requirements_path_is_read_inside_what_was_copied() -> None:
    installs = _installs({"Dockerfile": """
        FROM python:3.12
        COPY service /service
        RUN pip install -r /service/requirements.txt
        """, "service/requirements.txt": _REQ})
    assert installs.installed == {"service/requirements.txt": "installed by Dockerfile:3"}


def test_a_file_copied_by_name_is_not_installed_again_from_another_folder() -> None:
    installs = _installs({"Dockerfile": """
        FROM python:3.12
        COPY backend/requirements.txt .
        RUN pip install -r requirements.txt
        """, "backend/requirements.txt": _REQ, "requirements.txt": _REQ})
    assert installs.installed == {"backend/requirements.txt": "copied by Dockerfile"}
    assert installs.uninstalled("requirements.txt") is not None


def test_copies_from_another_stage_are_not_the_build_contexts() -> None:
    installs = _installs({"Dockerfile": """
        FROM python:3.12 AS build
        RUN pip wheel -w /wheels fastapi
        FROM python:3.12-slim
        COPY --from=build /wheels/requirements.txt .
        """, "requirements.txt": _REQ})
    assert installs.installed == {} and installs.image is None


def test_only_a_production_image_names_the_image_that_installs() -> None:
    files = {"Dockerfile.dev": "FROM python:3.12\nCOPY requirements.txt .\n", "requirements.txt": _REQ,
             "scripts/requirements.txt": _REQ}
    installs = _installs(files, dev=frozenset({"Dockerfile.dev"}))
    assert installs.installed == {"requirements.txt": "copied by Dockerfile.dev"}
    assert installs.image is None and installs.uninstalled("scripts/requirements.txt") is None
    run_only = _installs({"Dockerfile": "FROM python:3.12\nCOPY . .\nRUN pip install -r requirements.txt\n",
                          "Dockerfile.dev": "FROM python:3.12\nCOPY . .\nRUN pip install -r requirements.txt\n",
                          "requirements.txt": _REQ}, dev=frozenset({"Dockerfile.dev"}))
    assert run_only.image == "Dockerfile"
    dev_first = _installs({"Dockerfile.dev": "FROM python:3.12\nCOPY . .\nRUN pip install -r requirements.txt\n",
                           "requirements.txt": _REQ}, dev=frozenset({"Dockerfile.dev"}))
    assert dev_first.image is None


def test_build_arguments_and_env_values_are_expanded() -> None:
    installs = _installs({"Dockerfile": """
        ARG APP=api
        FROM python:3.12
        ARG REQ=requirements/${APP}.txt
        ARG REQ=requirements/ignored.txt
        ENV EXTRA=requirements/extra.txt
        ARG EXTRA=requirements/arg-wins.txt
        ENV EXTRA=requirements/later.txt
        COPY ${REQ} .
        COPY . .
        RUN pip install -r $EXTRA
        """, "requirements/api.txt": _REQ, "requirements/extra.txt": _REQ, "requirements/ignored.txt": _REQ,
        "requirements/arg-wins.txt": _REQ, "requirements/later.txt": _REQ})
    assert installs.installed == {"requirements/ignored.txt": "copied by Dockerfile",
                                  "requirements/arg-wins.txt": "installed by Dockerfile:10"}
    assert installs.unresolved is None


def test_an_env_value_is_kept_when_set_first() -> None:
    installs = _installs({"Dockerfile": """
        FROM python:3.12
        ENV REQS=requirements/prod.txt
        COPY . .
        RUN pip install -r $REQS
        """, "requirements/prod.txt": _REQ})
    assert installs.installed == {"requirements/prod.txt": "installed by Dockerfile:4"}


@pytest.mark.parametrize("token", ["$DIR/requirements", "${NAME}.txt", "$NAME.in"])
def test_a_copied_requirements_file_named_by_an_unset_argument_is_unresolved(token: str) -> None:
    installs = _installs({"Dockerfile": f"FROM python:3.12\nARG DIR\nARG NAME\nCOPY {token} ./\nCOPY requirements.txt .\n",
                          "requirements.txt": _REQ, "other/requirements.txt": _REQ})
    assert installs.unresolved == f"Dockerfile: `{token}`"
    assert installs.installed == {"requirements.txt": "copied by Dockerfile"}
    assert installs.uninstalled("other/requirements.txt") is None


def test_an_unset_argument_naming_other_sources_resolves_nothing_and_hides_nothing() -> None:
    installs = _installs({"Dockerfile": """
        FROM python:3.12
        ARG SRC
        COPY $SRC requirements.txt ./
        COPY $SRC/requirements.txt ./app/
        RUN pip install -r requirements.txt
        """, "requirements.txt": _REQ, "other/requirements.txt": _REQ})
    assert installs.unresolved == "Dockerfile: `$SRC/requirements.txt`"
    assert installs.installed == {"requirements.txt": "copied by Dockerfile"}
    run = _installs({"Dockerfile": """
        FROM python:3.12
        ARG SRC
        COPY $SRC/requirements.txt ./
        COPY $SRC ./
        RUN pip install -r requirements.txt
        """, "requirements.txt": _REQ, "$SRC/requirements.txt": _REQ})
    assert run.installed == {"requirements.txt": "installed by Dockerfile:5"}


def test_pip_install_r_of_an_unset_argument_is_unresolved_and_the_next_flag_still_read() -> None:
    installs = _installs({"Dockerfile": """
        FROM python:3.12
        ARG REQS
        COPY . .
        RUN pip install -r $REQS -r requirements.txt
        RUN pip install -r ${OTHER}
        """, "requirements.txt": _REQ})
    assert installs.unresolved == "Dockerfile:4: `$REQS`"
    assert installs.installed == {"requirements.txt": "installed by Dockerfile:4"}
    assert installs.image == "Dockerfile"


@pytest.mark.parametrize("platform", ["Procfile", "heroku.yml", "render.yaml", "app.json", "railway.json",
                                      "railway.toml", "fly.toml", "runtime.txt", ".python-version", "app.yaml"])
def test_a_platform_file_beside_requirements_installs_them(platform: str) -> None:
    installs = _installs({f"web/{platform}": "x\n", "web/requirements.txt": _REQ, "requirements.txt": _REQ})
    assert installs.installed == {"web/requirements.txt": "a platform builds its folder"}


@pytest.mark.parametrize("packaging", ["pyproject.toml", "setup.py", "setup.cfg"])
def test_packaging_that_names_a_requirements_file_beside_it_reads_it(packaging: str) -> None:
    installs = _installs({f"svc/{packaging}": "dependencies = {file = ['requirements.txt']}\n",
                          "svc/requirements.txt": _REQ, "svc/requirements-dev.txt": _REQ,
                          "requirements.txt": _REQ, "other.py": "open('svc/requirements-dev.txt')\n"})
    assert installs.installed == {"svc/requirements.txt": f"read by svc/{packaging}"}


def test_requirements_included_by_installed_ones_are_installed_in_chains() -> None:
    installs = _installs({"Dockerfile": "FROM python:3.12\nCOPY requirements.txt base.txt ./\n",
                          "requirements.txt": "-r base.txt\n--requirement=reqs/extra.txt\n-r missing.txt\n",
                          "base.txt": "fastapi\n", "reqs/extra.txt": "-c constraints.txt\n",
                          "reqs/constraints.txt": "--constraint ../base.txt\n", "dev-requirements.txt": "-r base.txt\n"})
    assert installs.installed == {"requirements.txt": "copied by Dockerfile", "base.txt": "copied by Dockerfile",
                                  "reqs/extra.txt": "included by requirements.txt",
                                  "reqs/constraints.txt": "included by reqs/extra.txt"}


def test_no_requirements_files_means_nothing_to_place() -> None:
    installs = _installs({"Dockerfile": "FROM python:3.12\nCOPY . .\nRUN pip install -r requirements.txt\n"})
    assert installs == Installs()
