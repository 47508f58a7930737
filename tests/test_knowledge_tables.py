"""Every entry of the tables the core rules read is pinned by a behaviour, listed here independently.

The knowledge behind a rule (which calls block, which getters read the environment...) is data; a
typo or a lost entry in it changes what prodcheck finds without failing a single example. These
tests name each entry as a user would write it, so that moving the data (to knowledge/*.toml) or
editing it keeps every behaviour or fails here.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_project
from expectations import render, snapshot
from prodcheck import engine
from prodcheck.settings import Settings

# (import, blocking call) in an `async def` route: PC501 at that line.
BLOCKING = [
    ("import time", "time.sleep(1)"),
    *[("import requests", f'requests.{verb}("https://x.example")')
      for verb in ("request", "get", "post", "put", "patch", "delete", "head", "options")],
    *[("import httpx", f'httpx.{verb}("https://x.example")')
      for verb in ("request", "get", "post", "put", "patch", "delete", "stream")],
    ("import urllib.request", 'urllib.request.urlopen("https://x.example")'),
    ("import urllib.request", 'urllib.request.urlretrieve("https://x.example")'),
    ("import urllib3", 'urllib3.request("GET", "https://x.example")'),
    *[("import subprocess", f'subprocess.{name}(["true"])')
      for name in ("run", "call", "check_call", "check_output", "getoutput", "getstatusoutput", "Popen")],
    ("import os", 'os.system("true")'), ("import os", 'os.popen("true")'), ("import os", "os.waitpid(1, 0)"),
    ("import psycopg2", 'psycopg2.connect("dbname=x")'), ("import psycopg", 'psycopg.connect("dbname=x")'),
    ("import psycopg", 'psycopg.Connection.connect("dbname=x")'),
    ("import pymysql", "pymysql.connect()"), ("import MySQLdb", "MySQLdb.connect()"),
    ("import mysql.connector", "mysql.connector.connect()"), ("import sqlite3", 'sqlite3.connect("x.db")'),
    ("import pyodbc", 'pyodbc.connect("x")'), ("import cx_Oracle", 'cx_Oracle.connect("x")'),
    ("import oracledb", 'oracledb.connect("x")'),
    ("import smtplib", 'smtplib.SMTP("mail")'), ("import smtplib", 'smtplib.SMTP_SSL("mail")'),
    ("import socket", 'socket.create_connection(("x", 1))'), ("", 'open("/tmp/x")'),
]
# (import, sync client constructor[, the call made on it]): a method call on the client in an async route is
# PC501 (`get("k")` unless the family lists its operations: pymongo's are named in knowledge/blocking.toml).
SYNC_CLIENTS = [
    ("import requests", "requests.Session()"), ("import requests", "requests.session()"),
    ("import httpx", "httpx.Client()"), ("import urllib3", "urllib3.PoolManager()"),
    ("import redis", "redis.Redis()"), ("import redis", "redis.StrictRedis()"),
    ("import redis", 'redis.from_url("redis://x")'), ("import redis", 'redis.Redis.from_url("redis://x")'),
    ("import pymongo", "pymongo.MongoClient()", "list_database_names()"), ("import boto3", 'boto3.client("s3")'),
    ("import boto3", 'boto3.resource("s3")'), ("import elasticsearch", "elasticsearch.Elasticsearch()"),
]
# Client methods that do no I/O.
CLIENT_SAFE = ["close()", "mount('https://', None)", "build_request('GET', 'https://x.example')", "__enter__()",
               "__exit__(None, None, None)"]


def _pc501_lines(root: Path) -> dict[int, str]:
    result = engine.run(root, Settings(select=("PC501",), use_cache=False))
    return {f.span.line: f.message for f in result.findings if f.path == "app/main.py"}


def test_every_blocking_call_and_sync_client_is_flagged_in_an_async_route(tmp_path: Path) -> None:
    imports = sorted({entry[0] for entry in BLOCKING + SYNC_CLIENTS if entry[0]})
    lines = [*imports, "from fastapi import FastAPI", "", "app = FastAPI()", ""]
    expected: dict[int, str] = {}
    for number, (_, call) in enumerate(BLOCKING):
        lines += [f'@app.get("/c{number}")', f"async def c{number}():", f"    return {call}"]
        expected[len(lines)] = f"c{number}"
    for number, (_, constructor, *call) in enumerate(SYNC_CLIENTS):
        lines += [f"CLIENT_{number} = {constructor}", f'@app.get("/k{number}")', f"async def k{number}():",
                  f'    return CLIENT_{number}.{call[0] if call else """get("k")"""}']
        expected[len(lines)] = f"k{number}"
    for number, method in enumerate(CLIENT_SAFE):
        lines += [f'@app.get("/s{number}")', f"async def s{number}():", f"    return CLIENT_0.{method}"]
    root = write_project(tmp_path, {"app/__init__.py": "", "app/main.py": "\n".join(lines) + "\n",
                                    "Procfile": "web: uvicorn app.main:app\n"})
    found = _pc501_lines(root)
    missing = {line: lines[line - 1].strip() for line in expected if line not in found}
    assert not missing, f"not flagged: {missing}"
    assert set(found) == set(expected), {line: lines[line - 1] for line in set(found) - set(expected)}
    for line, route in expected.items():
        assert f"`async def {route}`" in found[line]
    # What each entry says (`sync ODBC driver`, ...) is pinned too.
    result = engine.run(root, Settings(select=("PC501",), use_cache=False))
    snapshot(render(result.findings), "tables/PC501-blocking-calls")


SESSION_APP = """
from fastapi import Depends, FastAPI
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

engine = create_engine("postgresql://db/app")
SessionLocal = sessionmaker(bind=engine)
app = FastAPI()


def get_db():
    with SessionLocal() as session:
        yield session


@app.get("/io")
async def io(db: Session = Depends(get_db)):
    db.{io}


@app.get("/no-io")
async def no_io(db: Session = Depends(get_db)):
    db.{no_io}
"""


@pytest.mark.parametrize(("io", "no_io"), [
    ("execute(select(1))", "add(object())"), ("commit()", "add_all([])"), ("get(int, 1)", "expunge(object())"),
    ("query(int).all()", "expire(object())"), ("scalar(select(1))", "expunge_all()"), ("flush()", "begin_nested()"),
    ("refresh(object())", "add(object())"), ("scalars(select(1))", "add(object())"), ("rollback()", "add(object())"),
    ("merge(object())", "add(object())"), ("commit()", "delete(object())"), ("close()", "add(object())"),
])
def test_a_sync_session_blocks_on_io_methods_only(tmp_path: Path, io: str, no_io: str) -> None:
    text = SESSION_APP.replace("{io}", io).replace("{no_io}", no_io)
    root = write_project(tmp_path, {"app/__init__.py": "", "app/main.py": text, "Procfile": "web: uvicorn app.main:app\n"})
    lines = text.lstrip("\n").splitlines()
    assert set(_pc501_lines(root)) == {lines.index(f"    db.{io}") + 1}


# Environment getters whose literal fallback makes PC301 a warning, not an error.
GETTERS = [
    ("import os", 'os.getenv("DATABASE_URL", {url})'), ("import os", 'os.environ.get("DATABASE_URL", {url})'),
    ("import os", 'os.environ.setdefault("DATABASE_URL", {url})'), ("from os import environ", 'environ.get("DATABASE_URL", {url})'),
    ("from os import getenv", 'getenv("DATABASE_URL", {url})'), ("from decouple import config", 'config("DATABASE_URL", default={url})'),
    ("import decouple", 'decouple.config("DATABASE_URL", default={url})'),
    ("", 'env.str("DATABASE_URL", {url})'), ("", 'env("DATABASE_URL", {url})'),
    ("", 'getenv("DATABASE_URL", {url})'), ("", 'config("DATABASE_URL", default={url})'),
    # environs, imported as its documentation shows (resolved through knowledge/environment.toml).
    ("from environs import env", 'env.str("DATABASE_URL", {url})'),
    ("from environs import Env\nenv = Env()", 'env("DATABASE_URL", {url})'),
]
# Keyword arguments that document rather than configure: a URL in them is not PC301.
DOC_KEYWORDS = ["description", "example", "examples", "help", "title", "summary", "doc", "comment",
                "openapi_examples", "json_schema_extra"]
URL = '"postgresql://app:Zq8pLm2xW@db.internal:5432/app"'


@pytest.mark.parametrize(("imports", "getter"), GETTERS)
def test_a_literal_fallback_of_every_env_getter_is_a_warning(tmp_path: Path, imports: str, getter: str) -> None:
    text = f"{imports}\n\nDATABASE_URL = {getter.format(url=URL)}\n"
    root = write_project(tmp_path, {"app/__init__.py": "", "app/settings.py": text})
    result = engine.run(root, Settings(select=("PC301",), use_cache=False))
    assert [(f.severity.label, "fallback" in f.message) for f in result.findings] == [("warning", True)]


@pytest.mark.parametrize("keyword", DOC_KEYWORDS)
def test_a_url_in_a_documenting_keyword_is_not_flagged(tmp_path: Path, keyword: str) -> None:
    text = f"from pydantic import Field\n\nfield = Field(default=None, {keyword}={URL})\n"
    root = write_project(tmp_path, {"app/__init__.py": "", "app/settings.py": text})
    assert engine.run(root, Settings(select=("PC301",), use_cache=False)).findings == []


@pytest.mark.parametrize("suffix", [".example", ".sample", ".template", ".dist", ".tpl", ".defaults"])
def test_template_env_files_are_not_flagged(tmp_path: Path, suffix: str) -> None:
    root = write_project(tmp_path, {f".env{suffix}": "DATABASE_URL=postgresql://app:Zq8pLm2xW@db.internal/app\n"})
    assert engine.run(root, Settings(select=("PC301",), use_cache=False)).findings == []


def test_logging_a_sync_session_is_not_a_query(tmp_path: Path) -> None:
    text = SESSION_APP.replace("{io}", "execute(select(1))").replace("{no_io}", "add(object())")
    text += "\n\n@app.get(\"/log\")\nasync def log(db: Session = Depends(get_db)):\n    logger.info(db)\n    log_it(db)\n"
    text = "import logging\n\nlogger = logging.getLogger(__name__)\n" + text + "\n\ndef log_it(db):\n    return db.execute(select(1))\n"
    root = write_project(tmp_path, {"app/__init__.py": "", "app/main.py": text, "Procfile": "web: uvicorn app.main:app\n"})
    lines = text.lstrip("\n").splitlines()
    flagged = {lines[n - 1].strip() for n in _pc501_lines(root)}
    assert "log_it(db)" in flagged  # a project helper that queries with the session does block
    assert "logger.info(db)" not in flagged
