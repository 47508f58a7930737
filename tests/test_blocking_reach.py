"""PC501/PC503 reach: what the messages say about how a request gets to a blocking call (CLI JSON)."""
from __future__ import annotations

from pathlib import Path

from conftest import run_json, write_project

BILLING = '''
import requests
from fastapi import APIRouter

router = APIRouter()


@router.post("/billing/seats")
async def update_seats(count: int):
    return requests.post("https://billing.example.com/seats", json={"count": count}, timeout=5).json()
'''
TENANTS = '''
from fastapi import APIRouter

from app.billing import update_seats as admin_update_seats

router = APIRouter()


@router.post("/tenants/seats")
async def update_seats(count: int):
    return await admin_update_seats(count)
'''
MAIN = '''
from fastapi import FastAPI

from app import billing, tenants

app = FastAPI()
app.include_router(billing.router)
app.include_router(tenants.router)
'''


def test_a_route_awaited_by_a_route_of_the_same_name_is_reported_as_a_route(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"app/__init__.py": "", "app/billing.py": BILLING, "app/tenants.py": TENANTS,
                                    "app/main.py": MAIN, "Procfile": "web: uvicorn app.main:app\n"})
    _, data = run_json(root, "--select", "PC501")
    messages = [f["message"] for f in data["findings"]]
    assert len(messages) == 1, messages
    assert "(route POST /billing/seats)" in messages[0]
    assert "awaited from `update_seats`" not in messages[0]


def test_a_helper_awaited_from_a_function_of_the_same_name_names_the_caller_in_full(tmp_path: Path) -> None:
    billing = BILLING.replace('@router.post("/billing/seats")\n', "")
    root = write_project(tmp_path, {"app/__init__.py": "", "app/billing.py": billing, "app/tenants.py": TENANTS,
                                    "app/main.py": MAIN.replace("app.include_router(billing.router)\n", ""),
                                    "Procfile": "web: uvicorn app.main:app\n"})
    _, data = run_json(root, "--select", "PC501")
    messages = [f["message"] for f in data["findings"]]
    assert len(messages) == 1, messages
    assert "(awaited from `tenants.update_seats`)" in messages[0]


MANAGER = '''
import time

from fastapi import FastAPI

app = FastAPI()


class Manager:
    async def on_after_login(self, user) -> None:
        time.sleep(1)
'''
MANAGER_TEST = '''
from unittest.mock import MagicMock, patch

from fastapi.security import OAuth2PasswordRequestForm

from app.main import Manager


@patch("app.main.send_email")
async def test_on_after_login(send_email: MagicMock) -> None:
    await Manager().on_after_login(OAuth2PasswordRequestForm)
'''


def test_a_test_patched_with_unittest_mock_is_no_patch_route(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"app/__init__.py": "", "app/main.py": MANAGER, "tests/__init__.py": "",
                                    "tests/test_manager.py": MANAGER_TEST, "Procfile": "web: uvicorn app.main:app\n"})
    _, data = run_json(root, "--select", "PC501")
    assert data["findings"] == []


UPLOADS = '''
from minio import Minio


class Uploads:
    def __init__(self) -> None:
        self.client = Minio("minio:9000")

    def push(self, path: str) -> None:
        self.client.fput_object("bucket", path, path)
'''
NOTES = '''
from fastapi import FastAPI

app = FastAPI()


class Memory:
    def push(self, path: str) -> None:
        pass


class Notes:
    def __init__(self) -> None:
        self.client = Memory()

    def push(self, path: str) -> None:
        self.client.push(path)


notes = Notes()


@app.post("/notes")
async def add_note(path: str):
    notes.push(path)
'''


def test_an_attribute_of_self_is_that_class_s_never_another_class_s_of_the_same_name(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"app/__init__.py": "", "app/main.py": NOTES, "app/zz_uploads.py": UPLOADS,
                                    "Procfile": "web: uvicorn app.main:app\n"})
    _, data = run_json(root, "--select", "PC501")
    assert data["findings"] == []
    # the same route on an instance of the class whose `self.client` is a Minio client is reported
    root = write_project(tmp_path, {"app/main.py": NOTES.replace("notes = Notes()", "from app.zz_uploads import Uploads\n\nnotes = Uploads()")})
    _, data = run_json(root, "--select", "PC501")
    assert len(data["findings"]) == 1, data["findings"]
    assert data["findings"][0]["related"][0]["path"] == "app/zz_uploads.py", data["findings"][0]


RECORDER = '''
class Recorder:
    def __init__(self) -> None:
        self.events: list[str] = []

    def record(self, db, event: str) -> None:
        self.events.append(event)


recorder = Recorder()
'''
EVENTS = '''
from fastapi import Depends, FastAPI
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from app.audit import Recorder, recorder

engine = create_engine("postgresql+psycopg2://db/app")
SessionLocal = sessionmaker(bind=engine)
app = FastAPI()


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


@app.post("/events")
async def add_event(event: str, db: Session = Depends(get_db)):
    recorder.record(db, event)
    Recorder().record(db, event)
'''


def test_a_session_handed_to_a_helper_of_an_unread_project_module_is_no_evidence_of_a_query(tmp_path: Path) -> None:
    # app/audit.py holds no word of the knowledge: the prefilter leaves it unread, and the project's own
    # helper it defines is not taken for an unknown library that queries
    root = write_project(tmp_path, {"app/__init__.py": "", "app/audit.py": RECORDER, "app/main.py": EVENTS,
                                    "Procfile": "web: uvicorn app.main:app\n"})
    _, data = run_json(root, "--select", "PC501")
    assert data["findings"] == []
    # read (it names sqlalchemy) and querying with the session: both calls reach the query
    querying = "from sqlalchemy import text\n" + RECORDER.replace(
        "self.events.append(event)", "db.execute(text('INSERT INTO events VALUES (:e)'), {'e': event})")
    root = write_project(tmp_path, {"app/audit.py": querying})
    _, data = run_json(root, "--select", "PC501")
    assert len(data["findings"]) == 2, data["findings"]


ROUTES_AFTER_A_TWICE_AWAITED_HELPER = '''
import time

from fastapi import FastAPI

app = FastAPI()


async def audit():
    return None


@app.get("/slow")
async def slow():
    time.sleep(1)


@app.get("/twice")
async def twice():
    await audit()
    await audit()
'''


def test_a_helper_awaited_twice_does_not_end_the_walk_over_the_other_routes(tmp_path: Path) -> None:
    # the walk pops `twice` first (the last root), pushes `audit` once per await and meets it again
    # once it is found: that entry is skipped, and `slow` must still be walked
    root = write_project(tmp_path, {"app/__init__.py": "", "app/main.py": ROUTES_AFTER_A_TWICE_AWAITED_HELPER,
                                    "Procfile": "web: uvicorn app.main:app\n"})
    _, data = run_json(root, "--select", "PC501")
    assert [(f["path"], f["line"]) for f in data["findings"]] == [("app/main.py", 14)]


DECORATED = '''
import time
import functools

from fastapi import FastAPI

app = FastAPI()
HOOKS = {}


def traced(function):
    def build():
        time.sleep(1)  # runs once, when the decorator is applied at import

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            return function(*args, **kwargs)
        return wrapper
    return build()


def timed(function):
    @functools.wraps(function)
    async def wrapper(*args, **kwargs):
        time.sleep(0.1)
        return await function(*args, **kwargs)
    return wrapper


@traced
def load_traced():
    return {}


@timed
async def load_timed():
    return {}


def logged(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        time.sleep(0.1)
        return function(*args, **kwargs)
    return wrapper


@HOOKS["audit"]
@logged
def load_logged():
    return {}


@app.get("/logged")
async def logged_route():
    return load_logged()


@app.get("/traced")
async def traced_route():
    return load_traced()


@app.get("/timed")
async def timed_route():
    return await load_timed()
'''


def test_the_wrapper_a_decorator_returns_by_name_runs_per_call_and_a_nested_function_it_calls_does_not(
        tmp_path: Path) -> None:
    root = write_project(tmp_path, {"app/__init__.py": "", "app/main.py": DECORATED,
                                    "Procfile": "web: uvicorn app.main:app\n"})
    _, data = run_json(root, "--select", "PC501")
    # `timed`'s async wrapper blocks (line 24); `logged`'s sync wrapper is reached from `/logged`'s call
    # (line 55), past a decorator that is no name (`@HOOKS["audit"]`) and has no wrapper to follow
    assert [(f["path"], f["line"]) for f in data["findings"]] == [("app/main.py", 24), ("app/main.py", 55)]


SESSIONS = '''
from fastapi import Depends, FastAPI
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from reports import build_report

app = FastAPI()
SessionLocal = sessionmaker(bind=create_engine("postgresql://app@db/app"))


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


@app.get("/report")
async def report(db: Session = Depends(get_db), audit: Session = Depends(get_db)):
    return build_report(db, audit)
'''


def test_a_helper_handed_two_sync_sessions_is_named_with_the_first(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"app/__init__.py": "", "app/main.py": SESSIONS,
                                    "Procfile": "web: uvicorn app.main:app\n"})
    _, data = run_json(root, "--select", "PC501")
    assert [(f["line"], f["message"].split(" blocks ")[0]) for f in data["findings"]] == [
        (21, "`build_report()` called with the sync SQLAlchemy session `db`")]


HANDED = '''
import asyncio
from concurrent.futures import ThreadPoolExecutor

import requests
from fastapi import FastAPI

app = FastAPI()
executor = ThreadPoolExecutor(max_workers=2)
callbacks = []


def registered(sku: str):
    def fetch():
        return requests.get(f"https://prices.example.com/{sku}", timeout=5)

    callbacks.append(fetch)
    return fetch()


def mapped(skus: list[str]):
    def fetch(sku: str):
        return requests.get(f"https://prices.example.com/{sku}", timeout=5)

    list(map(fetch, skus))
    return fetch(skus[0])


def submitted(sku: str, wait: bool = False):
    def fetch():
        return requests.get(f"https://prices.example.com/{sku}", timeout=5)

    if wait:
        return fetch()
    return executor.submit(fetch)


def in_executor(sku: str, wait: bool = False):
    def fetch():
        return requests.get(f"https://prices.example.com/{sku}", timeout=5)

    if wait:
        return fetch()
    return asyncio.get_event_loop().run_in_executor(None, fetch)


@app.get("/registered")
async def get_registered(sku: str):
    return registered(sku)


@app.get("/mapped")
async def get_mapped(sku: str):
    return mapped([sku])


@app.get("/submitted")
async def get_submitted(sku: str, wait: bool = False):
    return submitted(sku, wait)


@app.get("/in-executor")
async def get_in_executor(sku: str, wait: bool = False):
    return in_executor(sku, wait)
'''


def test_a_nested_function_handed_to_a_call_that_runs_it_elsewhere_is_not_reached_by_its_direct_call(
        tmp_path: Path) -> None:
    """A sync helper that calls its nested `fetch()` directly: the call runs on the loop (reported) when the helper
    hands `fetch` only to calls that keep it or run it right there (`callbacks.append(fetch)`, the builtin
    `map(fetch, ...)`, no pool's method); when it also hands `fetch` to a pool's method (`executor.submit`) or to
    `loop.run_in_executor` (knowledge/blocking.toml [offload]), `fetch` is written to run in a thread and the
    direct call is the fallback of a flag (`wait`, which the routes pass on from the request: without the hand-off
    the same call would be reported)."""
    root = write_project(tmp_path, {"app/__init__.py": "", "app/main.py": HANDED,
                                    "Procfile": "web: uvicorn app.main:app\n"})
    _, data = run_json(root, "--select", "PC501")
    assert [(f["line"], f["message"].split(" blocks ")[0]) for f in data["findings"]] == [
        (48, "`registered()` -> `fetch()`"), (53, "`mapped()` -> `fetch()`")]


FACTORY_DECORATED = '''
import functools
import time

from fastapi import FastAPI

app = FastAPI()


def throttled(seconds: float):
    def decorator(function):
        @functools.wraps(function)
        async def wrapper(*args, **kwargs):
            time.sleep(seconds)
            return await function(*args, **kwargs)
        return wrapper
    return decorator


@throttled(0.5)
async def load_items():
    return []


@app.get("/items")
async def items():
    return await load_items()
'''


def test_a_route_under_a_decorator_factory_runs_the_wrapper_two_levels_down(tmp_path: Path) -> None:
    """`@throttled(0.5)` on a helper a route awaits: the factory returns the decorator, which returns the wrapper each
    call runs; the wrapper's `time.sleep` is reported (the decorator itself only runs at import)."""
    root = write_project(tmp_path, {"app/__init__.py": "", "app/main.py": FACTORY_DECORATED,
                                    "Procfile": "web: uvicorn app.main:app\n"})
    _, data = run_json(root, "--select", "PC501")
    assert [(f["line"], f["related"][0]["line"] if f["related"] else None) for f in data["findings"]] == [(13, None)]


INSPECTED = '''
from fastapi import FastAPI
from sqlalchemy import MetaData, Table, create_engine, inspect

engine = create_engine("postgresql://app@db/app")
app = FastAPI()


@app.get("/tables/{name}")
async def describe(name: str):
    inspector = inspect(engine)
    table = Table(name, MetaData())
    inspector.reflect_table(table, None)
    return {"columns": [c.name for c in table.columns]}


@app.get("/names")
async def names():
    inspector = inspect(engine)
    return inspector.get_table_names()


@app.get("/tables/{name}/exists")
async def exists(name: str):
    inspector = inspect(engine)
    return inspector.has_table(name)


@app.get("/options")
async def options():
    return engine.get_execution_options()
'''


def test_an_inspector_of_a_sync_engine_reflects_and_lists_on_the_loop(tmp_path: Path) -> None:
    """`inspect(engine)` connects; its `reflect_table()`, `get_*()` and `has_*()` methods query the database. An
    engine's own `get_execution_options()` reads its settings in memory: not an inspection, quiet."""
    root = write_project(tmp_path, {"app/__init__.py": "", "app/main.py": INSPECTED,
                                    "Procfile": "web: uvicorn app.main:app\n"})
    _, data = run_json(root, "--select", "PC501")
    assert [(f["line"], f["message"].split(" blocks ")[0]) for f in data["findings"]] == [
        (10, "SQLAlchemy inspection of a sync engine"), (12, "SQLAlchemy inspection `reflect_table()` on a sync engine"),
        (18, "SQLAlchemy inspection of a sync engine"), (19, "SQLAlchemy inspection `get_table_names()` on a sync engine"),
        (24, "SQLAlchemy inspection of a sync engine"), (25, "SQLAlchemy inspection `has_table()` on a sync engine")]


FASTAPI_SQLALCHEMY_ARGUMENT = '''
import crudlib
from fastapi import FastAPI
from fastapi_sqlalchemy import db

app = FastAPI()


@app.get("/users/{uid}")
async def user(uid: int):
    return crudlib.get_user(db.session, uid)
'''


def test_fastapi_sqlalchemy_s_session_handed_to_a_library_helper_is_named_as_written(tmp_path: Path) -> None:
    """fastapi-sqlalchemy's `db.session` (a sync session, named without a call) handed to a helper of a library:
    the helper queries on the loop, and the message names the session `db.session`, not its module path."""
    root = write_project(tmp_path, {"app/__init__.py": "", "app/main.py": FASTAPI_SQLALCHEMY_ARGUMENT,
                                    "Procfile": "web: uvicorn app.main:app\n"})
    _, data = run_json(root, "--select", "PC501")
    assert [(f["line"], f["message"].split(" blocks ")[0]) for f in data["findings"]] == [
        (10, "`get_user()` called with the sync SQLAlchemy session `db.session`")]


WRITERS = "".join(f'''

def write_{name}() -> None:
    with open("/srv/{name}.log", "a") as handle:
        handle.write("{name}")
''' for name in "abcde")
FLAGGED_WRITES = '''
from fastapi import FastAPI

app = FastAPI()
''' + WRITERS + '''

def record(a: bool = False, b: bool = False, c: bool = False, d: bool = False, e: bool = False) -> None:
    if a:
        write_a()
    if b:
        write_b()
    if c:
        write_c()
    if d:
        write_d()
    if e:
        write_e()


@app.post("/fourth")
async def fourth():
    record(d=True)


@app.post("/fifth")
async def fifth():
    record(e=True)


@app.post("/none")
async def none():
    record()
'''


def test_a_helper_keeps_the_first_four_blockings_only_some_calls_reach(tmp_path: Path) -> None:
    """`record(d=True)` runs only the helper `if d:` guards: a helper keeps what its flagged branches block on,
    the first four of them (summaries.py); the fifth (`record(e=True)`) is past that budget, and `record()`
    with every flag off runs none."""
    root = write_project(tmp_path, {"app/__init__.py": "", "app/main.py": FLAGGED_WRITES,
                                    "Procfile": "web: uvicorn app.main:app\n"})
    _, data = run_json(root, "--select", "PC501")
    assert [(f["line"], f["message"].split(" blocks ")[0]) for f in data["findings"]] == [
        (46, "`record()` -> `write_d()`")]


TEMPLATE_AND_MODULE = {"util.py": '''
def _write(rows: list) -> int:
    return len(rows)
''', "app/main.py": '''
import abc

from fastapi import FastAPI

import util

app = FastAPI()


class Exporter(abc.ABC):
    def export(self, rows: list) -> int:
        return util._write(rows)

    @abc.abstractmethod
    def _write(self, rows: list) -> int: ...


class FileExporter(Exporter):
    def _write(self, rows: list) -> int:
        with open("/srv/export.csv", "a") as handle:
            handle.write(str(rows))
        return len(rows)


exporter = FileExporter()


@app.post("/export")
async def export(rows: list):
    return exporter.export(rows)
'''}


def test_a_module_function_named_like_the_abstract_method_is_that_function(tmp_path: Path) -> None:
    """`util._write(rows)` in a base class's method, `_write` also abstract there: the call runs the module's
    function, never the subclass's implementation (only `self._write()` does)."""
    root = write_project(tmp_path, {"app/__init__.py": "", **TEMPLATE_AND_MODULE, "Procfile": "web: uvicorn app.main:app\n"})
    _, data = run_json(root, "--select", "PC501")
    assert data["findings"] == []
    root = write_project(tmp_path, {"app/main.py": TEMPLATE_AND_MODULE["app/main.py"].replace("util._write(", "self._write(")})
    _, data = run_json(root, "--select", "PC501")
    assert [(f["line"], f["related"][0]["line"]) for f in data["findings"]] == [(30, 20)]


SHELF = '''
from fastapi import Depends, FastAPI
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

engine = create_engine("postgresql+psycopg2://db/app")
SessionLocal = sessionmaker(bind=engine)
app = FastAPI()


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


class Shelf:
    def __init__(self, backend) -> None:
        self.backend = backend

    def books(self):
        return self.backend.books()


shelf = Shelf(backend=None)


@app.post("/books/{title}")
async def keep_book(title: str, db: Session = Depends(get_db)):
    shelf.books().keep(db, title)
    shelf.pages.keep(db, title)
'''


def test_a_session_handed_to_a_method_of_what_a_project_method_returned_is_judged(tmp_path: Path) -> None:
    """`shelf.books().keep(db)`: what `books()` returns is not known, so `keep()` is a helper we cannot follow
    and the session it gets is a query on the loop; `shelf.pages.keep(db)` names a member `Shelf` defines
    nowhere (no method, attribute or `__getattr__`): no evidence either way, quiet."""
    root = write_project(tmp_path, {"app/__init__.py": "", "app/main.py": SHELF, "Procfile": "web: uvicorn app.main:app\n"})
    _, data = run_json(root, "--select", "PC501")
    assert [(f["line"], f["message"].split(" blocks ")[0]) for f in data["findings"]] == [
        (31, "`keep()` called with the sync SQLAlchemy session `db`")]


METADATA = '''
import os
import tempfile
from pathlib import Path

import requests
from fastapi import FastAPI

app = FastAPI()


def make_folder(name: str) -> Path:
    folder = Path("/data") / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sync_folder(name: str) -> None:
    folder = make_folder(name)
    body = requests.get(f"https://files.example.com/{name}", timeout=5).content
    os.replace(folder / "old", folder / "new")
    return body


def fetch_into(path: Path, upload) -> None:
    path.mkdir(exist_ok=True)
    path.joinpath("body").write_bytes(upload)


@app.post("/folders/{name}")
async def folders(name: str, body: bytes):
    make_folder(name)
    sync_folder(name)
    fetch_into(Path(tempfile.mkdtemp()), body)
    run = lambda: (os.makedirs(name, exist_ok=True), requests.post("https://audit.example.com", timeout=5))
    run()
    return sorted(os.listdir("/data"))
'''


def test_a_filesystem_metadata_operation_is_info_and_a_stall_beside_it_decides(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"app/__init__.py": "", "app/main.py": METADATA,
                                    "Procfile": "web: uvicorn app.main:app\n"})
    _, data = run_json(root, "--select", "PC501")
    found = {f["line"]: (f["severity"], f["message"]) for f in data["findings"]}
    lines = (root / "app" / "main.py").read_text(encoding="utf-8").splitlines()
    at = {line: lines[line - 1].strip() for line in found}
    assert sorted(at.values()) == sorted(["make_folder(name)", "sync_folder(name)",
                                          "fetch_into(Path(tempfile.mkdtemp()), body)", "run()",
                                          'return sorted(os.listdir("/data"))']), at
    by_text = {at[line]: found[line] for line in found}
    # only a folder made: info, saying why
    assert by_text["make_folder(name)"][0] == "info"
    assert "one filesystem metadata operation" in by_text["make_folder(name)"][1]
    assert by_text['return sorted(os.listdir("/data"))'][0] == "info"
    # the helper's own folder comes first, its request is the stall: reported for the request
    assert by_text["sync_folder(name)"][0] == "error" and "`requests.get()`" in by_text["sync_folder(name)"][1]
    # a line with a mkdtemp (info) and a helper that writes a file (warning): the write decides
    assert by_text["fetch_into(Path(tempfile.mkdtemp()), body)"][0] == "warning"
    assert "write_bytes()" in by_text["fetch_into(Path(tempfile.mkdtemp()), body)"][1]
    # a lambda making a folder, then posting: the post
    assert by_text["run()"][0] == "error" and "`requests.post()`" in by_text["run()"][1]


SHORT_CIRCUIT = """
import boto3
from fastapi import FastAPI, HTTPException

app = FastAPI()


class Bucket:
    def __init__(self) -> None:
        self._s3 = boto3.client("s3")

    def exists(self, key: str) -> bool:
        self._s3.head_object(Bucket="b", Key=key)
        return True

    def public_url(self, key: str, verify_exists: bool = True) -> str:
        if verify_exists and not self.exists(key):
            raise HTTPException(status_code=404)
        return self._s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": key})


bucket = Bucket()


@app.get("/quick/{key}")
async def quick(key: str):
    return bucket.public_url(key, verify_exists=False)


@app.get("/checked/{key}")
async def checked(key: str):
    return bucket.public_url(key)
"""


def test_a_call_after_a_flag_in_an_if_test_runs_only_when_the_flag_holds(tmp_path: Path) -> None:
    """`if verify_exists and not self.exists(key):` in the helper: `public_url(key, verify_exists=False)` never calls
    `exists()` (the `and` stops at the flag), so only the call that leaves the flag at its default blocks."""
    root = write_project(tmp_path, {"app/__init__.py": "", "app/main.py": SHORT_CIRCUIT,
                                    "Procfile": "web: uvicorn app.main:app\n"})
    _, data = run_json(root, "--select", "PC501")
    assert [(f["line"], f["message"].split(" blocks ")[0]) for f in data["findings"]] == [
        (31, "`public_url()` -> `exists()`")]


AUTH = '''
import requests


async def current_user():
    return requests.get("https://auth.example.com/me", timeout=5).json()
'''
ACCOUNTS = '''
from fastapi import APIRouter, Depends

from app.auth import current_user

router = APIRouter()


@router.get("/accounts/me")
async def read_account(user=Depends(current_user)):
    return user
'''
TEST_APP = '''
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from app.auth import current_user


def test_whoami():
    app = FastAPI()

    @app.get("/whoami")
    async def whoami(user=Depends(current_user)):
        return user

    assert TestClient(app).get("/whoami").status_code == 200
'''


def test_a_dependency_a_test_route_also_uses_is_named_by_its_production_route(tmp_path: Path) -> None:
    """A route a test file declares is no request path of production: the finding names the route that is."""
    main = "from fastapi import FastAPI\n\nfrom app import accounts\n\napp = FastAPI()\napp.include_router(accounts.router)\n"
    root = write_project(tmp_path, {"app/__init__.py": "", "app/auth.py": AUTH, "app/accounts.py": ACCOUNTS,
                                    "app/main.py": main, "tests/test_whoami.py": TEST_APP,
                                    "Procfile": "web: uvicorn app.main:app\n"})
    _, data = run_json(root, "--select", "PC501")
    messages = [f["message"] for f in data["findings"] if f["path"] == "app/auth.py"]
    assert len(messages) == 1, messages
    assert "dependency of `read_account`" in messages[0], messages[0]
    assert "whoami" not in messages[0]
