"""Edges of the core rules that a fixture file cannot hold (bytes that are not UTF-8, decorator stacks), through the CLI."""
from __future__ import annotations

from pathlib import Path

from conftest import run_json, write_project


def test_pc401_reported_in_a_module_with_a_byte_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_bytes(b"")
    (tmp_path / "app" / "db.py").write_bytes(
        b"from sqlalchemy import create_engine\nfrom sqlalchemy.orm import declarative_base\n\n"
        b"Base = declarative_base()\nengine = create_engine('postgresql://db/app')\n")
    (tmp_path / "app" / "main.py").write_bytes(
        b"from fastapi import FastAPI\n\nfrom app.db import Base, engine\n\napp = FastAPI()\n"
        b"# caf\xe9 (a Latin-1 comment)\n\n\n@app.on_event('startup')\ndef create_tables():\n"
        b"    if engine:\n        Base.metadata.create_all(bind=engine)\n")
    _, report = run_json(tmp_path, "--select", "PC401")
    assert [(f["path"], f["line"], f["severity"]) for f in report["findings"]] == [("app/main.py", 12, "error")]


def test_pc000_a_python_file_python_would_refuse_for_its_encoding(tmp_path: Path) -> None:
    """A byte that is not UTF-8 in a comment: `ast.parse` reads it, the interpreter refuses to import the
    module unless it declares its encoding (PEP 263: a coding comment on line 1, or on line 2 below a
    comment, or a UTF-8 byte order mark), so it is PC000 at the byte; the file is still analysed (PC401)."""
    (tmp_path / "app").mkdir()
    files = {
        "refused.py": b"import os\n\nX = 1  # caf\xe9\n",
        "declared.py": b"#!/usr/bin/env python\n# -*- coding: latin-1 -*-\nX = 1  # caf\xe9\n",
        "late.py": b"import os\n# -*- coding: latin-1 -*-\nX = 1  # caf\xe9\n",  # line 2 below code: no declaration
        "utf8.py": "X = 1  # caf\u00e9\n".encode(),
    }
    for name, data in files.items():
        (tmp_path / "app" / name).write_bytes(data)
    _, report = run_json(tmp_path, "--select", "PC000")
    assert [(f["path"], f["line"], f["column"]) for f in report["findings"]] == [
        ("app/late.py", 3, 13), ("app/refused.py", 3, 13)]
    assert "not valid UTF-8 (byte 0xe9) and declares no encoding" in report["findings"][0]["message"]


def test_pc501_route_under_a_plain_decorator_is_still_a_route(tmp_path: Path) -> None:
    """A decorator that is not a call (`@traced`) above the route decorator: the route is still read."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "main.py").write_text(
        "import functools\nimport time\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        "def traced(function):\n    @functools.wraps(function)\n    async def wrapper(*args, **kwargs):\n"
        "        return await function(*args, **kwargs)\n    return wrapper\n\n\n"
        "@traced\n@app.get('/report')\nasync def report():\n    time.sleep(1)\n    return {}\n")
    _, report = run_json(tmp_path, "--select", "PC501")
    assert [(f["path"], f["line"]) for f in report["findings"]] == [("app/main.py", 19)]
    assert "route GET /report" in report["findings"][0]["message"]


FILES_SELF_LOGGER = {"app/__init__.py": "", "app/db.py": """
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

engine = create_engine("postgresql://app@db/app")
SessionLocal = sessionmaker(bind=engine)


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()
""", "app/main.py": """
import logging

from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session

from app.db import get_db
from vendor_sdk import Exporter

app = FastAPI()


class Reports:
    def __init__(self):
        self.trail = logging.getLogger("reports")
        self.export = Exporter()

    async def build(self, db: Session):
        self.trail.info(db)
        self.export.push(db)
        return {}


reports = Reports()


@app.get("/reports")
async def get_reports(db: Session = Depends(get_db)):
    return await reports.build(db)
"""}


def test_pc501_a_logger_held_on_self_formats_the_session_and_another_attribute_queries(tmp_path: Path) -> None:
    """`self.trail = logging.getLogger(...)`: `self.trail.info(db)` in a method a route awaits queries
    nothing; `self.export.push(db)` on an object of unknown code is a helper handed the sync session."""
    write_project(tmp_path, FILES_SELF_LOGGER)
    _, report = run_json(tmp_path, "--select", "PC501")
    assert [(f["path"], f["line"]) for f in report["findings"]] == [("app/main.py", 19)]
    assert "`push()` called with the sync SQLAlchemy session `db`" in report["findings"][0]["message"]


DB_MODULE = """
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

engine = create_engine("postgresql://app@db/app")
SessionLocal = sessionmaker(bind=engine)


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()
"""

FILES_UNREAD_HELPER = {"app/__init__.py": "", "app/db.py": DB_MODULE, "app/notes.py": """
ITEMS = []


def remember(item):
    ITEMS.append(item)


class Notebook:
    def keep(self, item):
        ITEMS.append(item)
""", "app/main.py": """
import time

from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session

from app.db import get_db
from app.notes import Notebook, remember

app = FastAPI()


@app.get("/a")
async def a(db: Session = Depends(get_db)):
    remember(db)
    book = Notebook()
    book.keep(db)
    book.pages.keep(db)
    return {}


@app.route("/legacy")
async def legacy(request):
    time.sleep(1)
    return None


@app.api_route("/both", methods=["GET", "POST"])
async def both():
    time.sleep(1)
    return None
"""}


def test_pc501_a_helper_that_keeps_the_session_is_no_evidence_and_any_method_route_has_no_method(
        tmp_path: Path) -> None:
    """app/notes.py holds no word of the prefilter; the async route imports it, so the second parse round reads
    it (python_links.py). `remember(db)` and `Notebook().keep(db)` (through a local) only keep the session in a
    list: no evidence of a query. `book.pages.keep(db)` is a method of an attribute Notebook does not define:
    what it is, and what its `keep` does with the session, is not known (no evidence either).
    `@app.route` serves every method, and the message says no method."""
    write_project(tmp_path, FILES_UNREAD_HELPER)
    _, report = run_json(tmp_path, "--select", "PC501")
    assert [(f["path"], f["line"]) for f in report["findings"]] == [("app/main.py", 23), ("app/main.py", 29)]
    assert "(route /legacy)" in report["findings"][0]["message"]
    assert "(route /both)" in report["findings"][1]["message"]


def test_pc501_a_websocket_route_is_not_told_to_become_a_plain_def(tmp_path: Path) -> None:
    """FastAPI runs a plain `def` path operation in its threadpool, but a websocket endpoint is awaited whatever
    it is (`await websocket.accept()` needs a coroutine): its finding names it a websocket route and offers only
    the async alternative; the HTTP route beside it keeps the hint. `add_api_websocket_route` registers one too."""
    write_project(tmp_path, {"app/__init__.py": "", "app/main.py": """
import time

from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def feed(websocket: WebSocket):
    time.sleep(1)


async def added(websocket: WebSocket):
    time.sleep(1)


app.add_api_websocket_route("/added", added)


@app.get("/page")
async def page():
    time.sleep(1)
"""})
    _, report = run_json(tmp_path, "--select", "PC501")
    messages = {f["line"]: f["message"] for f in report["findings"]}
    assert sorted(messages) == [10, 14, 22]
    for line, path in ((10, "/ws"), (14, "/added")):
        assert f"(websocket route {path})" in messages[line] and "plain `def`" not in messages[line]
    assert "(route GET /page)" in messages[22] and "plain `def`" in messages[22]


def test_pc101_a_file_too_large_to_read_does_not_hide_the_production_value_elsewhere(tmp_path: Path) -> None:
    """The reload is gated on `ENV != "production"` and a settings file sets ENV=production: the gate
    closes. A Procfile with a line over the budget (PC000, never read) sorts before that file and
    is passed over, not taken for text."""
    write_project(tmp_path, {
        "app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "run.py": ('import os\nimport uvicorn\n\nENV = os.getenv("ENV", "development")\n\nif __name__ == "__main__":\n'
                   '    uvicorn.run("app.main:app", reload=ENV != "production")\n'),
        "Dockerfile": 'FROM python:3.12-slim\nCOPY . .\nUSER app\nCMD ["python", "run.py"]\n',
        "Procfile": "web: uvicorn app.main:app " + "x" * 20_000 + "\n",
        "settings/production.env": "ENV=production\n",
    })
    _, report = run_json(tmp_path, "--select", "PC101", "--select", "PC000")
    assert [(f["code"], f["path"]) for f in report["findings"]] == [("PC000", "Procfile")]


def test_pc101_the_reloading_server_after_another_server_in_one_script(tmp_path: Path) -> None:
    """A start script that starts a metrics server in the background, then the app with `--reload`:
    the second server's reload is reported, the first server is no reason to stop reading."""
    write_project(tmp_path, {
        "app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "app/metrics.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "scripts/start.sh": ("#!/bin/sh\nuvicorn app.metrics:app --port 9100 &\n"
                             "exec uvicorn app.main:app --reload --host 0.0.0.0\n"),
        "Dockerfile": 'FROM python:3.12-slim\nCOPY . /app\nWORKDIR /app\nUSER app\nCMD ["sh", "scripts/start.sh"]\n',
    })
    _, report = run_json(tmp_path, "--select", "PC101")
    assert [(f["path"], f["line"]) for f in report["findings"]] == [("scripts/start.sh", 3)]


def test_pc301_each_url_of_a_quoted_or_block_scalar_is_its_own_finding_at_its_own_columns(tmp_path: Path) -> None:
    """Two URLs in one double-quoted value, and two in a literal block: each is reported where its text
    is. The scalar's first column for every URL of a quoted or block scalar made two findings one."""
    (tmp_path / "compose.yaml").write_text(
        "services:\n  api:\n    image: example/api:1.0\n    environment:\n"
        '      URLS: "postgresql://app:firstsecret1@db-a.internal:5432/app '
        'postgresql://app:secondsecret2@db-b.internal:5432/app"\n'
        "      BLOCK: |\n"
        "        primary=postgresql://app:blocksecret1@db-c.internal:5432/app\n"
        "        again=postgresql://app:blocksecret1@db-c.internal:5432/app\n"
        '      TWICE: "postgresql://app:samesecret3@db-e.internal/app,postgresql://app:samesecret3@db-e.internal/b"\n',
        encoding="utf-8")
    _, report = run_json(tmp_path, "--select", "PC301")
    assert [(f["line"], f["column"], f["end_column"]) for f in report["findings"]] == [
        (5, 14, 57), (5, 67, 111), (7, 17, 60), (8, 15, 58), (9, 15, 57), (9, 62, 104)]


def test_pc301_a_url_that_starts_a_continuation_line_is_found_at_column_one(tmp_path: Path) -> None:
    """A quoted value in a flow list (where YAML parsers take continuation lines at any indent) whose second URL
    starts its continuation line: that URL is reported at column 1 of its own line, not at the scalar's start."""
    (tmp_path / "compose.yaml").write_text(
        "services:\n  api:\n    image: example/api:1.0\n"
        '    environment: ["DATABASE_URL=postgresql://app:Xk29sLq81@db-a.internal:5432/app?a=1&\n'
        'postgresql://app:Pq71mZ0r5@db-b.internal:5432/app"]\n', encoding="utf-8")
    _, report = run_json(tmp_path, "--select", "PC301")
    assert [(f["line"], f["column"], f["end_column"]) for f in report["findings"]] == [(4, 33, 73), (5, 1, 41)]


def test_pc301_a_url_with_four_words_around_it_is_prose_and_with_three_a_value(tmp_path: Path) -> None:
    """The prose threshold at its edge: four words around the URL make the string a sentence that
    documents the shape of a connection string; three leave it a value some code connects with."""
    write_project(tmp_path, {"app/__init__.py": "", "app/settings.py": """
        HELP = "connect with postgresql://app:helpsecret9@db.example.com like this"
        URL = "primary db postgresql://app:realsecret9@db.example.com here"
        """})
    _, report = run_json(tmp_path, "--select", "PC301")
    assert [(f["path"], f["line"]) for f in report["findings"]] == [("app/settings.py", 2)]


def test_pc402_a_pool_size_not_written_in_the_call_makes_the_finding_medium(tmp_path: Path) -> None:
    """Confidence is high only when every factor is written where it is used: the same arithmetic with
    SQLAlchemy's default pool (5 + 10), or a size read from a setting, is medium, whatever the workers
    and the limit say."""
    compose = ("services:\n  db:\n    image: postgres:16.4\n    command: [\"postgres\", \"-c\", \"max_connections=20\"]\n"
               "  api:\n    build: .\n    command: [\"gunicorn\", \"app.main:app\", \"-w\", \"4\", \"-k\", "
               "\"uvicorn.workers.UvicornWorker\"]\n")
    found = {}
    for name, call in [("written", "create_engine(URL, pool_size=5, max_overflow=10)"),
                       ("default", "create_engine(URL)"),
                       ("setting", "create_engine(URL, pool_size=SIZE, max_overflow=10)")]:
        root = tmp_path / name
        write_project(root, {
            "app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\n\nfrom app.db import engine\n\napp = FastAPI()\n",
            "app/db.py": f"from sqlalchemy import create_engine\n\nURL = 'postgresql://app@db/app'\nSIZE = 5\nengine = {call}\n",
            "docker-compose.yml": compose, "Dockerfile": "FROM python:3.12-slim\nUSER app\n"})
        _, report = run_json(root, "--select", "PC402")
        found[name] = [(f["path"], f["confidence"], f["message"].split(" = ")[0]) for f in report["findings"]]
    assert found == {
        "written": [("app/db.py", "high", "(5 + 10) x 4 workers (docker-compose.yml:7) x 1 replica (default)")],
        "default": [("app/db.py", "medium", "(5 + 10) x 4 workers (docker-compose.yml:7) x 1 replica (default)")],
        "setting": [("app/db.py", "medium", "(5 + 10) x 4 workers (docker-compose.yml:7) x 1 replica (default)")],
    }


_APP = {"app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
        "Dockerfile": "FROM python:3.12-slim\nUSER app\n"}


def test_pc402_pgbouncer_instances_are_its_compose_services_replicas(tmp_path: Path) -> None:
    """PgBouncer's server pool times the instances of its compose service (`deploy.replicas`, else `scale`,
    else one instance, the default it states)."""
    found = {}
    for name, extra in [("one", ""), ("replicas", "    deploy:\n      replicas: 3\n"), ("scale", "    scale: 2\n")]:
        root = tmp_path / name
        write_project(root, {**_APP, "docker-compose.yml": (
            "services:\n  db:\n    image: postgres:16.4\n    command: [\"postgres\", \"-c\", \"max_connections=50\"]\n"
            "  api:\n    build: .\n    command: gunicorn app.main:app -k uvicorn.workers.UvicornWorker -w 2\n"
            "  pgbouncer:\n    image: bitnami/pgbouncer:1.23.1\n    environment:\n      PGBOUNCER_DEFAULT_POOL_SIZE: \"60\"\n"
            + extra)})
        _, report = run_json(root, "--select", "PC402")
        found[name] = [(f["line"], f["message"].split(": the pooler")[0], f["confidence"]) for f in report["findings"]]
    assert found == {
        "one": [(11, "PgBouncer `pgbouncer`: PGBOUNCER_DEFAULT_POOL_SIZE=60 (docker-compose.yml:11) x 1 replica (default) = "
                    "60 server connections > 50 max_connections (docker-compose.yml:4)", "high")],
        "replicas": [(11, "PgBouncer `pgbouncer`: PGBOUNCER_DEFAULT_POOL_SIZE=60 (docker-compose.yml:11) x 3 replicas = "
                         "180 server connections > 50 max_connections (docker-compose.yml:4)", "high")],
        "scale": [(11, "PgBouncer `pgbouncer`: PGBOUNCER_DEFAULT_POOL_SIZE=60 (docker-compose.yml:11) x 2 replicas = "
                      "120 server connections > 50 max_connections (docker-compose.yml:4)", "high")],
    }


def test_pc501_a_popen_is_the_stall_unless_the_same_child_is_waited(tmp_path: Path) -> None:
    """`subprocess.Popen` only starts the child: when the function waits on what it returned, the wait is
    reported and the Popen is not. A call on the child that does not wait (`poll()`), or a wait on another
    child, leaves the Popen reported where it forks."""
    write_project(tmp_path, {**_APP, "app/jobs.py": """\
import subprocess

from fastapi import APIRouter

router = APIRouter()


@router.post("/polled")
async def polled() -> dict[str, object]:
    child = subprocess.Popen(["vacuumdb", "--all"])
    return {"done": child.poll()}


@router.post("/other")
async def other() -> None:
    first = subprocess.Popen(["reindex", "--all"])
    second = subprocess.Popen(["analyze", "--all"])
    second.wait()
    print(first)


@router.post("/waited")
async def waited() -> None:
    child = subprocess.Popen(["pg_dump"])
    child.communicate()
"""})
    _, report = run_json(tmp_path, "--select", "PC501")
    assert sorted((f["line"], f["column"]) for f in report["findings"]) == [(10, 13), (16, 13), (18, 5), (25, 5)]


RUN_TWICE = '''
import uvicorn
from fastapi import FastAPI

app = FastAPI()


def serve() -> None:
    uvicorn.run(app, host="0.0.0.0", port=8000)


def serve_reloading() -> None:
    uvicorn.run("app.main:app", host="0.0.0.0", port=8000, reload=True)


def connect():
    """Example: postgresql://app:hunter2x9Q@db.internal:5432/app"""
'''


def test_pc101_and_pc301_a_module_that_runs_uvicorn_twice_and_documents_a_url(tmp_path: Path) -> None:
    """A module a production command runs: its first `uvicorn.run` passes no `reload` and the next one passes
    `reload=True` (reported: the first call does not end the module's reading); a database URL with a password in a
    docstring is documentation, even with no words around it to make it prose (not reported)."""
    root = write_project(tmp_path, {"app/__init__.py": "", "app/main.py": RUN_TWICE, "Procfile": "web: python -m app.main\n"})
    _, report = run_json(root, "--select", "PC101", "--select", "PC301")
    assert [(f["code"], f["path"], f["line"]) for f in report["findings"]] == [("PC101", "app/main.py", 12)]


def test_pc301_a_url_in_a_platform_file_written_as_yaml(tmp_path: Path) -> None:
    """render.yaml and heroku.yml (platform files with either YAML suffix) are read for database URLs."""
    root = write_project(tmp_path, {"app.py": "from fastapi import FastAPI\napp = FastAPI()\n", "render.yaml": """\
services:
  - type: web
    name: api
    runtime: python
    startCommand: uvicorn app:app --host 0.0.0.0 --port $PORT
    envVars:
      - key: DATABASE_URL
        value: postgresql://app:Zq8pLm2xWv4n@db.internal:5432/app
""", "heroku.yml": """\
build:
  docker:
    web: Dockerfile
  config:
    DATABASE_URL: postgresql://app:Zq8pLm2xWv4n@db.internal:5432/app
"""})
    _, report = run_json(root, "--select", "PC301")
    assert [(f["path"], f["line"], f["column"]) for f in report["findings"]] == [
        ("heroku.yml", 5, 19), ("render.yaml", 8, 16)]


def test_pc501_a_route_decorator_applied_by_hand_to_nothing_is_skipped(tmp_path: Path) -> None:
    """`app.get("/broken")()` (no handler: the module raises at import) beside `app.get("/slow")(slow)`: the
    registration without a handler is skipped, the rule does not crash, and the registered route is judged."""
    main = ('import time\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\nasync def slow():\n    time.sleep(1)\n\n\n'
            'app.get("/slow")(slow)\napp.get("/broken")()\n')
    root = write_project(tmp_path, {"app/__init__.py": "", "app/main.py": main, "Procfile": "web: uvicorn app.main:app\n"})
    _, report = run_json(root, "--select", "PC501")
    assert [(f["code"], f["line"], f["message"].split(" (route")[0]) for f in report["findings"]] == [
        ("PC501", 9, "`time.sleep()` blocks the event loop in `async def slow`")]
