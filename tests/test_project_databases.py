"""Databases, poolers and gunicorn configs in the project model (project/databases.py, gunicorn.py): the
connection limit app pools run into, where it is written, and the gunicorn config a command reads."""
from __future__ import annotations

from pathlib import Path

from conftest import write_project
from prodcheck import engine
from prodcheck.project import Project
from prodcheck.settings import Settings
from prodcheck.settings import load as load_settings

APP = {"app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"}
DOCKERFILE = 'FROM python:3.12-slim\nCMD ["uvicorn", "app.main:app"]\n'


def project_of(root: Path, files: dict[str, str]) -> Project:
    write_project(root, {**APP, **files})
    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(root, settings)
    return Project(root, discovered, engine.parse_python(root, discovered, settings), settings)


def fact(found):  # type: ignore[no-untyped-def]
    return None if found is None else (found.value, found.note, found.origin.path, found.origin.span.line)


def test_databases_and_poolers_of_compose_and_kubernetes(tmp_path: Path) -> None:
    project = project_of(tmp_path, {
        "docker-compose.yml": """
            services:
              db:
                image: postgres:16
                command: postgres -c max_connections=300
              pgbouncer:
                image: edoburu/pgbouncer
                environment:
                  DEFAULT_POOL_SIZE: 40
                  MAX_CLIENT_CONN: 500
              plain:
                image: postgres:16
              api:
                build: .
        """,
        "Dockerfile": DOCKERFILE,
        "k8s/db.yaml": """
            apiVersion: apps/v1
            kind: StatefulSet
            metadata:
              name: pg
            spec:
              template:
                spec:
                  containers:
                    - name: pg
                      image: postgres:16
                      args: ["-c", "max_connections=250"]
                    - name: bouncer
                      image: bitnami/pgbouncer
                      env:
                        - name: PGBOUNCER_DEFAULT_POOL_SIZE
                          value: "25"
                        - name: PGBOUNCER_MAX_CLIENT_CONN
                          value: many
            ---
            apiVersion: postgresql.cnpg.io/v1
            kind: Cluster
            metadata:
              name: main
            spec:
              postgresql:
                parameters:
                  max_connections: "400"
            ---
            apiVersion: postgresql.cnpg.io/v1
            kind: Cluster
            metadata:
              name: defaults
            spec:
              instances: 3
        """,
        "dev/docker-compose.yml": "services:\n  db:\n    image: postgres:16\n",
    })
    found = [(d.name, d.unit, d.pooler, fact(d.max_connections), fact(d.pool_size), fact(d.client_limit))
             for d in project.databases]
    assert found == [
        ("db", "compose:docker-compose.yml", False, (300, "max_connections=300", "docker-compose.yml", 4), None, None),
        ("pgbouncer", "compose:docker-compose.yml", True, None,
         (40, "DEFAULT_POOL_SIZE=40", "docker-compose.yml", 8), (500, "MAX_CLIENT_CONN=500", "docker-compose.yml", 9)),
        ("plain", "compose:docker-compose.yml", False, None, None, None),
        ("pg", "k8s", False, (250, "max_connections=250", "k8s/db.yaml", 11), None, None),
        ("pg", "k8s", True, None, (25, "PGBOUNCER_DEFAULT_POOL_SIZE=25", "k8s/db.yaml", 16), None),
        ("cluster", "k8s", False, (400, "max_connections=400", "k8s/db.yaml", 27), None, None),
        ("cluster", "k8s", False, None, None, None),
    ]
    assert fact(project.database_limit("compose:docker-compose.yml")) == (
        300, "max_connections=300", "docker-compose.yml", 4)
    assert fact(project.database_limit("k8s")) == (250, "max_connections=250", "k8s/db.yaml", 11)
    # a compose file beside it (an override) uses the same databases
    assert [d.name for d in project.databases_of("compose:docker-compose.prod.yml")] == ["db", "pgbouncer", "plain"]
    assert project.databases_of("compose:other/docker-compose.yml") == []
    assert fact(project.database_limit("compose:other/docker-compose.yml")) == (
        100, "100 max_connections (PostgreSQL default)", "", 1)


def test_postgresql_conf_and_defaults(tmp_path: Path) -> None:
    project = project_of(tmp_path, {
        "docker-compose.yml": "services:\n  db:\n    image: postgres:16\n    command: postgres -c shared_buffers=1GB\n"
                              "  api:\n    build: .\n",
        "Dockerfile": DOCKERFILE,
        "postgres/postgresql.conf": "# tuned\nshared_buffers = 1GB\nmax_connections = 180\n",
    })
    assert fact(project.database_limit("compose:docker-compose.yml")) == (
        180, "max_connections=180", "postgres/postgresql.conf", 3)
    bare = project_of(tmp_path / "bare", {"docker-compose.yml": "services:\n  db:\n    image: postgres:16\n"
                                                                "  api:\n    build: .\n", "Dockerfile": DOCKERFILE})
    assert fact(bare.database_limit("compose:docker-compose.yml")) == (
        100, "100 max_connections (PostgreSQL default)", "docker-compose.yml", 2)
    configured = bare.settings.with_overrides(max_connections=500)  # type: ignore[attr-defined]
    bare.settings = configured
    assert bare.database_limit("compose:docker-compose.yml").value == 500
    # the limit the project's configuration gives, at the line that gives it
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'shop'\n\n[tool.prodcheck.database]\n"
                                             "max_connections = 40\n")
    bare.settings = load_settings(tmp_path / "pyproject.toml")
    assert fact(bare.database_limit("compose:docker-compose.yml")) == (
        40, "max_connections=40 (configured)", "pyproject.toml", 5)


def test_an_init_script_that_alters_the_system_sets_the_limit(tmp_path: Path) -> None:
    """`./init.sql:/docker-entrypoint-initdb.d/init.sql` holding `ALTER SYSTEM SET max_connections = 200;`: the
    postgres image runs it when it initialises, the server it then starts reads the setting. A script mounted
    elsewhere, or one that sets something else, gives nothing."""
    compose = ("services:\n  db:\n    image: postgres:16\n    volumes:\n"
               "      - ./init.sql:/docker-entrypoint-initdb.d/init.sql\n  api:\n    build: .\n")
    project = project_of(tmp_path, {"docker-compose.yml": compose, "Dockerfile": DOCKERFILE,
                                    "init.sql": "-- tuning\nALTER SYSTEM SET max_connections = 200;\n"})
    assert fact(project.database_limit("compose:docker-compose.yml")) == (200, "max_connections=200", "init.sql", 2)
    elsewhere = project_of(tmp_path / "elsewhere", {
        "docker-compose.yml": compose.replace("/docker-entrypoint-initdb.d/init.sql", "/scripts/init.sql"),
        "Dockerfile": DOCKERFILE, "init.sql": "ALTER SYSTEM SET max_connections = 200;\n"})
    assert fact(elsewhere.database_limit("compose:docker-compose.yml"))[0] == 100


GUNICORN_CONF = "import multiprocessing\n\nbind = '0.0.0.0:8000'\nworkers = multiprocessing.cpu_count() * 2 + 1\n" \
                "worker_class = 'uvicorn.workers.UvicornWorker'\nworker_class = 'gthread'\n"


def test_gunicorn_config_files(tmp_path: Path) -> None:
    project = project_of(tmp_path, {
        "gunicorn.conf.py": GUNICORN_CONF,
        "deploy/gunicorn_conf.py": "workers = int(os.getenv('WEB_CONCURRENCY', '4'))\n",
        "deploy/gunicorn.unset.conf.py": "import gunicorn\n\nbind = ':80'\n",
        "Procfile": "web: gunicorn app.main:app\nother: gunicorn -c deploy/gunicorn_conf.py app.main:app\n"
                    "env: gunicorn -c \"${GUNICORN_CONF:-/app/deploy/gunicorn_conf.py}\" app.main:app\n"
                    "missing: gunicorn -c missing.py app.main:app\n"
                    "dotted: gunicorn -c python:deploy.gunicorn_conf app.main:app\n"
                    "installed: gunicorn -c /venv/lib/python3.12/site-packages/deploy/gunicorn_conf.py app.main:app\n"
                    "elsewhere: gunicorn -c /venv/lib/python3.12/deploy/gunicorn_conf.py app.main:app\n",
    })
    by_name = {p.name.rsplit(":", 1)[-1]: p for p in project.processes if p.kind == "procfile"}

    def config(name: str):  # type: ignore[no-untyped-def]
        step, call = by_name[name].server  # type: ignore[misc]
        found = project.gunicorn_config_for(call, step)
        return None if found is None else (found.workers, found.location.path, found.location.span.line, found.assigned)

    assert config("web") == (3, "gunicorn.conf.py", 4, True)  # read by default
    assert config("other") == (4, "deploy/gunicorn_conf.py", 1, True)
    assert config("env") == (4, "deploy/gunicorn_conf.py", 1, True)
    assert config("missing") is None
    assert config("dotted") == (4, "deploy/gunicorn_conf.py", 1, True)
    unset = project.gunicorn.configs["deploy/gunicorn.unset.conf.py"][0]
    assert (unset.workers, unset.location.span.line, unset.assigned) == (None, 1, False)

    def path(name: str) -> tuple[str | None, bool]:
        return project.gunicorn_config_path(by_name[name].server[1])  # type: ignore[index]

    assert path("web") == ("gunicorn.conf.py", True)
    assert path("other") == ("deploy/gunicorn_conf.py", True)
    assert path("missing") == (None, False)
    assert path("dotted") == ("deploy/gunicorn_conf.py", True)
    # the project's own file once `pip install .` put it under site-packages; not any path that ends like it
    assert path("installed") == ("deploy/gunicorn_conf.py", True)
    assert path("elsewhere") == (None, False)
    setting = project.gunicorn_setting("gunicorn.conf.py", "worker_class")
    assert setting is not None and setting[0].literal == "gthread" and setting[1].span.line == 6  # the last one
    assert project.gunicorn_setting("gunicorn.conf.py", "timeout") is None
    assert project.gunicorn_setting("nowhere.py", "workers") is None
    workers = project.workers(by_name["other"])
    assert workers is not None and workers.value == 4
