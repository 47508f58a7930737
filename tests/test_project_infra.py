"""The small readers the deployment model is built from (project/infra.py): images, shell wrappers,
`max_connections` flags, start scripts as a container names them, compose and Kubernetes commands
and environments, replica counts."""
from __future__ import annotations

from pathlib import Path

import pytest
from test_project_processes import project_of

from prodcheck.model.facts import LITERAL, TOOL_DEFAULT
from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Location, Span
from prodcheck.parsing.yaml import load_documents
from prodcheck.project.infra import (
    argument_lines, compose_env, is_shell_wrapper, k8s_command, k8s_env, max_connections_in, raw_argv, replicas_fact,
    scalar_location, yaml_command,
)
from prodcheck.project.images import image_repository, is_database_image, is_pooler_image, is_third_party_image
from prodcheck.project.script_paths import FilesByPath, resolve_script
from prodcheck.project.sources import SourceFile


@pytest.mark.parametrize(("image", "repository", "database", "pooler", "third_party"), [
    ("postgres:16", "postgres", True, False, True),
    ("docker.io/library/postgres:16-alpine@sha256:abc", "postgres", True, False, True),
    ("bitnami/postgresql:15", "postgresql", True, False, True),
    ("edoburu/pgbouncer:1.22", "pgbouncer", False, True, True),
    ("registry.example:5000/team/api:1.2", "api", False, False, False),
    ("Registry.Example/Team/API", "api", False, False, False),
    ("redis:7", "redis", False, False, True),
    # a repository whose own name says too little is known by its namespace too, with or without tag or registry
    ("docker.io/temporalio/ui:2.31.2@sha256:abc", "ui", False, False, True),
    ("temporalio/ui@sha256:abc", "ui", False, False, True),
    ("registry.example.com/acme/ui:1.0", "ui", False, False, False),
])
def test_images(image: str, repository: str, database: bool, pooler: bool, third_party: bool) -> None:
    assert image_repository(image) == repository
    assert is_database_image(image) is database
    assert is_pooler_image(image) is pooler
    assert is_third_party_image(image) is third_party


def test_no_image() -> None:
    assert not is_database_image(None) and not is_pooler_image(None)
    assert not is_third_party_image(None) and not is_third_party_image("")


@pytest.mark.parametrize(("argv", "wrapper"), [
    (["sh", "-c"], True), (["/bin/bash", "-lc"], True), (["bash", "-e", "-c"], True), (["zsh", "-c"], True),
    (["dash", "-c"], True), (["/bin/ash", "-c"], True),
    (["sh"], False), (["sh", "-e"], False), (["sh", "-c", "echo hi"], False), (["python", "-c"], False), ([], False),
])
def test_is_shell_wrapper(argv: list[str], wrapper: bool) -> None:
    assert is_shell_wrapper(argv) is wrapper


@pytest.mark.parametrize(("argv", "limit"), [
    (["postgres", "-c", "max_connections=300"], 300),
    (["postgres", "-c", "max_connections = 250"], 250),
    (["postgres", "--max_connections=200"], 200),
    (["postgres", "--max-connections=150"], 150),
    (["postgres", "-cmax_connections=120"], 120),
    (["mysqld", "--set", "max-connections=90"], 90),
    (["postgres", "max_connections=80"], 80),
    (["postgres", "-c", "shared_buffers=1GB", "-c", "max_connections=70"], 70),
    (["postgres", "-c"], None), (["postgres", "-c", "max_connections=lots"], None), (["postgres"], None),
])
def test_max_connections_in(argv: list[str], limit: int | None) -> None:
    assert max_connections_in(argv) == limit


def _files(*paths: str) -> FilesByPath:
    return FilesByPath({path: SourceFile(path, FileKind.SHELL if path.endswith(".sh") else FileKind.PYTHON, Context.PROD)
                        for path in paths})


@pytest.mark.parametrize(("token", "workdir", "near", "found"), [
    ("/app/scripts/start.sh", "", "", "scripts/start.sh"),
    ("./start.sh", "/app", "", "start.sh"),
    ("start.sh", "/app/scripts", "", "scripts/start.sh"),
    ("'scripts/start.sh'", "", "", "scripts/start.sh"),
    ("prestart.sh", "", "services/api/Dockerfile", "services/api/prestart.sh"),
    ("prestart.sh", "", "services/worker/Dockerfile", "services/worker/prestart.sh"),
    ("api/prestart.sh", "", "services/worker/Dockerfile", "services/api/prestart.sh"),
    ("-c", "", "", None), ("$SCRIPT", "", "", None), ("", "", "", None), ("start", "", "", None),
    ("missing.sh", "", "", None), ("bin/app.py", "", "", None),
])
def test_resolve_script(token: str, workdir: str, near: str, found: str | None) -> None:
    files = _files("start.sh", "scripts/start.sh", "services/api/prestart.sh", "services/worker/prestart.sh", "bin/app.py")
    script = resolve_script(files, token, workdir, near)
    assert (script.path if script is not None else None) == found
    plain = resolve_script(dict(files), token, workdir, near)  # a plain dict: the same answer, scanned
    assert (plain.path if plain is not None else None) == found


def _node(text: str):  # type: ignore[no-untyped-def]
    return load_documents(text)[0]


def test_compose_environment_forms() -> None:
    as_map = compose_env(_node("A: 1\nB: two\n"))
    assert {key: value.as_str() for key, value in as_map.items()} == {"A": "1", "B": "two"}
    as_list = compose_env(_node("- A=1\n- B=x=y\n- NOVALUE\n- C=\n"))
    assert {key: value.as_str() for key, value in as_list.items()} == {"A": "1", "B": "x=y", "C": ""}
    assert as_list["B"].span.line == 2
    assert compose_env(None) == {} and compose_env(_node("just text")) == {}


def test_commands_from_yaml() -> None:
    assert [list(c.argv) for c in yaml_command(_node("[uvicorn, 'app.main:app']"))] == [["uvicorn", "app.main:app"]]
    block = _node("key: |\n  alembic upgrade head\n  exec gunicorn app:app\n").get("key")
    assert [(list(c.argv), c.line) for c in yaml_command(block)] == [
        (["alembic", "upgrade", "head"], 2), (["gunicorn", "app:app"], 3)]  # `exec` replaces the shell
    assert [(list(c.argv), c.line) for c in yaml_command(_node("key: uvicorn app:app\n").get("key"))] == [
        (["uvicorn", "app:app"], 1)]
    assert yaml_command(None) == [] and yaml_command(_node("key: ''\n").get("key")) == []
    assert raw_argv(_node("[a, 'b c']")) == ["a", "b c"]
    assert raw_argv(_node("key: uvicorn 'app.main:app' --port 80\n").get("key")) == ["uvicorn", "app.main:app", "--port",
                                                                                     "80"]
    assert raw_argv(_node("key: echo 'unclosed\n").get("key")) == ["echo", "'unclosed"]


def test_kubernetes_container_commands_and_env() -> None:
    container = _node("""
command: ["sh", "-c"]
args:
  - alembic upgrade head && uvicorn app:app
env:
  - name: A
    value: "1"
  - name: B
    valueFrom: {secretKeyRef: {name: s, key: k}}
  - value: orphan
""")
    commands, anchor, has_command, has_args = k8s_command(container)
    assert [list(c.argv) for c in commands] == [["alembic", "upgrade", "head"], ["uvicorn", "app:app"]]  # the script
    assert anchor is not None and anchor.span.line == 4 and has_command and has_args  # the script is in args
    assert {key: value.as_str() for key, value in k8s_env(container).items()} == {"A": "1"}
    command_only = _node("command: [uvicorn, app:app]\n")
    commands, anchor, has_command, has_args = k8s_command(command_only)
    assert anchor is not None and anchor.span.line == 1 and has_command and not has_args
    args_only = _node("image: x\nargs: [--port, '80']\n")
    commands, anchor, has_command, has_args = k8s_command(args_only)
    assert [list(c.argv) for c in commands] == [["--port", "80"]] and not has_command and has_args
    assert k8s_command(_node("image: x\n")) == ([], None, False, False)
    assert k8s_command(_node("command: []\n"))[1:] == (None, True, False)
    assert k8s_env(_node("image: x\n")) == {}


def test_the_line_of_each_argument_skips_what_is_no_string() -> None:
    """The line each argument of a YAML list starts on, in step with the strings the list holds: a null item (`-`
    alone, `~`) and a mapping are no argument and have no line; a block scalar starts after its `|`. A null item
    therefore leaves the commands of a `sh -c` script on their own lines."""
    assert argument_lines(_node("- sh\n-\n- ~\n- {a: 1}\n- |\n  uvicorn app:app\n"), None) == [1, 6]
    container = _node("command: [sh, -c]\nargs:\n  -\n  - |\n    alembic upgrade head\n    uvicorn app:app\n")
    commands, anchor, _, _ = k8s_command(container)
    assert [(list(c.argv), c.line) for c in commands] == [(["alembic", "upgrade", "head"], 5), (["uvicorn", "app:app"], 6)]
    assert anchor is not None and anchor.span.line == 3


def test_replicas_fact_and_scalar_location() -> None:
    origin = Location("k8s/api.yaml", Span(3))
    spec = _node("replicas: 3\none: 1\nwords: many\n")
    three = replicas_fact("k8s/api.yaml", spec.get("replicas"), origin)
    assert (three.value, three.certainty, three.note, three.origin.span.line) == (3, LITERAL, "3 replicas", 1)
    one = replicas_fact("k8s/api.yaml", spec.get("one"), origin, note="instance")
    assert one.note == "1 instance"
    default = replicas_fact("k8s/api.yaml", spec.get("words"), origin, default=2)
    assert (default.value, default.certainty, default.note, default.origin) == (2, TOOL_DEFAULT, "2 replica (default)",
                                                                                 origin)
    assert replicas_fact("k8s/api.yaml", None, origin).note == "1 replica (default)"
    folded = _node("key: >\n  first\n  second\n").get("key")
    location = scalar_location("x.yaml", folded)
    assert location.span.line == location.span.end_line == 1
    assert location.span.end_column == location.span.column + len(folded.text or "")
    single = _node("key: value\n").get("key")
    assert scalar_location("x.yaml", single).span == single.span



@pytest.mark.parametrize(("case", "files", "workers"), [
    ("default", {"Procfile": "web: uvicorn app.main:app\n"},
     (1, 'tool-default', '1 worker', 'Procfile', 1, 1, 26)),
    ("flag", {"Procfile": "web: uvicorn app.main:app --workers 4\n"},
     (4, 'literal', '4 workers', 'Procfile', 1, 37, 38)),
    ("default-var", {"Procfile": "web: gunicorn app.main:app -w ${WORKERS:-3}\n"},
     (3, 'inferred', '3 workers', 'Procfile', 1, 31, 44)),
    ("unset", {"Procfile": "web: gunicorn -w $UNSET app.main:app\n"},
     (1, 'inferred', 'at least 1 worker (`$UNSET` unresolved)', 'Procfile', 1, 18, 24)),
    ("compose-var", {"docker-compose.yml": "services:\n  api:\n    image: shop/api:1\n    command: gunicorn app.main:app --workers $WORKERS\n    environment:\n      WORKERS: 6\n"},
     (6, 'literal', '6 workers (WORKERS)', 'docker-compose.yml', 6, 16, 17)),
    ("compose-concurrency", {"docker-compose.yml": "services:\n  api:\n    image: shop/api:1\n    command: gunicorn app.main:app\n    environment:\n      WEB_CONCURRENCY: 5\n"},
     (5, 'literal', '5 workers (WEB_CONCURRENCY)', 'docker-compose.yml', 6, 24, 25)),
    ("config", {"Procfile": "web: gunicorn app.main:app\n", "gunicorn.conf.py": "workers = 8\n"},
     (8, 'literal', '8 workers (gunicorn config)', 'gunicorn.conf.py', 1, 1, 12)),
    ("config-per-cpu", {"Procfile": "web: gunicorn app.main:app\n", "gunicorn.conf.py": "import multiprocessing\nworkers = multiprocessing.cpu_count() * 2 + 1\n"},
     (3, 'literal', '3 workers (gunicorn config)', 'gunicorn.conf.py', 2, 1, 46)),
    ("config-per-cpu-env", {"docker-compose.yml": "services:\n  api:\n    image: shop/api:1\n    command: gunicorn app.main:app\n    environment:\n      WEB_CONCURRENCY: 2\n", "gunicorn.conf.py": "import multiprocessing\nworkers = multiprocessing.cpu_count() * 2 + 1\n"},
     (3, 'literal', '3 workers (gunicorn config)', 'gunicorn.conf.py', 2, 1, 46)),
    ("config-assigned", {"Procfile": "web: gunicorn app.main:app\n", "gunicorn.conf.py": "import os\nworkers = web_concurrency\n"},
     (1, 'inferred', 'at least 1 worker (gunicorn config `workers` unresolved)', 'gunicorn.conf.py', 2, 1, 26)),
    ("config-cpu-unresolved", {"Procfile": "web: gunicorn app.main:app\n", "gunicorn.conf.py": "import multiprocessing\ncores = multiprocessing.cpu_count()\nworkers = cores * per_core\n"},
     (5, 'inferred', '5 workers (the gunicorn config grows `workers` with the CPU count; counted as 4 cores + 1)', 'gunicorn.conf.py', 3, 1, 27)),
    ("config-cpu-unresolved-env", {"docker-compose.yml": "services:\n  api:\n    image: shop/api:1\n    command: gunicorn app.main:app\n    environment:\n      WEB_CONCURRENCY: 2\n", "gunicorn.conf.py": "import multiprocessing\ncores = multiprocessing.cpu_count()\nworkers = cores * per_core\n"},
     (2, 'literal', '2 workers (WEB_CONCURRENCY)', 'docker-compose.yml', 6, 24, 25)),
    ("uvicorn-concurrency", {"docker-compose.yml": "services:\n  api:\n    image: shop/api:1\n    command: uvicorn app.main:app\n    environment:\n      WEB_CONCURRENCY: 3\n"},
     (3, 'literal', '3 workers (WEB_CONCURRENCY)', 'docker-compose.yml', 6, 24, 25)),
])
def test_how_many_workers_a_server_starts_and_where_that_is_written(tmp_path: Path, case: str,
                                                                    files: dict[str, str], workers: tuple) -> None:
    """workers_fact: a flag, a variable's default, the environment the service sets (its own variable or
    WEB_CONCURRENCY), gunicorn's config file (a number, a value it cannot work out, one that grows with the
    CPU count), or the server's default; each with how sure it is and the columns it is written at."""
    project = project_of(tmp_path, files)
    [process] = [p for p in project.processes if p.role == "web"]
    found = project.workers(process)
    assert found is not None
    assert (found.value, found.certainty, found.note, found.origin.path, found.origin.span.line,
            found.origin.span.column, found.origin.span.end_column) == workers
