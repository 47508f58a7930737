"""PC501 and PC503 each walk the sync helpers below the request path with a `BlockingAnalysis` of their own; what
the walk asks of a call alone (does it call a lambda or partial by name, hand arguments to a project helper: callables.py
`reached`, and the parameters a helper calls: `called_params`) is kept on the index for both. Run together, each rule
reports what it reports alone."""
from __future__ import annotations

from pathlib import Path

from conftest import run_json, write_project

HELPERS = '''
import hashlib
import time
from functools import partial

import requests


def with_retry(fn, attempts=3):
    return fn()


def hand_on(callback):
    return with_retry(callback)


def each(fn, items):
    return [fn(item) for item in items]


def slow_hash(secret: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", secret, b"salt", 600_000)


def fetch(url):
    return requests.get(url, timeout=5).json()


def sleepy(_):
    time.sleep(1)


run = partial(each, slow_hash)
'''

MAIN = '''
from functools import partial

from fastapi import FastAPI

from app.helpers import each, fetch, hand_on, run, sleepy, slow_hash, with_retry

app = FastAPI()


@app.get("/a")
async def read_a(url: str):
    load = lambda: fetch(url)
    load()
    return with_retry(lambda: fetch(url))


@app.get("/b")
async def read_b(secret: bytes):
    digest = partial(slow_hash, secret)
    digest()
    return hand_on(lambda: slow_hash(secret))


@app.get("/c")
async def read_c(secrets: list[bytes]):
    run([b"x"])
    each(sleepy, secrets)
    return sorted(secrets, key=slow_hash)
'''


def _found(root: Path, select: str) -> list[tuple[str, int, str]]:
    _, report = run_json(root, "--select", select)
    return sorted((finding["code"], finding["line"], finding["message"]) for finding in report["findings"])


def test_pc501_and_pc503_together_report_what_each_reports_alone(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/__init__.py": "", "app/helpers.py": HELPERS, "app/main.py": MAIN})
    blocking, cpu = _found(tmp_path, "PC501"), _found(tmp_path, "PC503")
    assert {line for _, line, _ in blocking} >= {13, 14, 27}, blocking
    assert {line for _, line, _ in cpu} >= {20, 21, 28}, cpu
    assert _found(tmp_path, "PC501,PC503") == sorted(blocking + cpu)
