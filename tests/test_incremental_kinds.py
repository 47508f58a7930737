"""Each kind of edit a developer makes between two runs, re-checked with the cache, reports exactly
what a run without it reports (CLI, JSON): a body edit, a new import, a deleted function, a renamed
route, a changed Dockerfile, a class constructed otherwise in another module, an edit inside a call
cycle; and edits that change what a route reaches while its own module stays as it was: a helper of
another module that gains a blocking call, a subclass that gains the override an abstract method's
call runs, a new file that defines a name whose lookup failed before, and that file deleted again.
Every step changes what is reported, so a stale re-use of the previous result fails it."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from prodcheck.cli import main

SERVICE = {
    "app/__init__.py": "",
    "app/main.py": (
        "from fastapi import FastAPI\n\nfrom app import lookups, orders, users\n\n"
        "app = FastAPI()\napp.include_router(orders.router)\napp.include_router(users.router)\n"
        "app.include_router(lookups.router)\n"
    ),
    "app/orders.py": (
        "from fastapi import APIRouter\n\nfrom app.clients import fetch_rates\nfrom app.store import Store\n\n"
        "router = APIRouter()\n\n\n"
        "@router.get('/orders')\nasync def list_orders():\n    return fetch_rates()\n\n\n"
        "@router.get('/orders/{key}')\nasync def read_order(key: str):\n    return Store(key).load()\n\n\n"
        "@router.get('/orders/{key}/total')\nasync def order_total(key: str):\n    return {'key': key}\n"
    ),
    "app/lookups.py": (
        "from fastapi import APIRouter\n\nfrom app.clients import local_rates\nfrom app.extra import audit\n"
        "from app.repo import current_repo\n\nrouter = APIRouter()\n\n\n"
        "@router.get('/rates/local')\nasync def rates():\n    return local_rates()\n\n\n"
        "@router.get('/repo/{key}')\nasync def read_repo(key: str):\n    return current_repo().get(key)\n\n\n"
        "@router.get('/audit')\nasync def audited():\n    return audit()\n"
    ),
    "app/repo.py": (
        "import abc\n\n\nclass Repo(abc.ABC):\n    @abc.abstractmethod\n    def get(self, key: str) -> str:\n"
        "        ...\n\n\ndef current_repo() -> Repo:\n    from app.files import FileRepo\n\n"
        "    return FileRepo()\n"
    ),
    "app/files.py": "from app.repo import Repo\n\n\nclass FileRepo(Repo):\n    pass\n",
    "app/users.py": (
        "import bcrypt\nfrom fastapi import APIRouter\n\nfrom app.cycle import walk\n\n"
        "router = APIRouter()\n\n\n"
        "def hashed(password: bytes) -> bytes:\n    return bcrypt.hashpw(password, bcrypt.gensalt())\n\n\n"
        "@router.post('/users')\nasync def create_user(password: str):\n    return hashed(password.encode())\n\n\n"
        "@router.get('/users/tree')\nasync def tree():\n    return walk(3)\n"
    ),
    "app/clients.py": (
        "import requests\n\n\ndef fetch_rates():\n    return requests.get('https://rates.example.com').json()\n\n\n"
        "def local_rates():\n    return {'eur': 1}\n"
    ),
    "app/store.py": (
        "class Store:\n    def __init__(self, key: str) -> None:\n        self.key = key\n\n"
        "    def load(self):\n        with open(self.key) as handle:\n            return handle.read()\n"
    ),
    "app/cycle.py": (
        "import time\n\n\ndef walk(depth: int):\n    if depth:\n        return turn(depth - 1)\n    return 0\n\n\n"
        "def turn(depth: int):\n    time.sleep(0.1)\n    return walk(depth)\n"
    ),
    "Dockerfile": (
        "FROM python:3.12-slim\nUSER app\nCOPY . .\n"
        'CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0"]\n'
    ),
}

# (file, old text, new text, a line of the report that must appear (True) or go (False) after it); an old text
# of None writes the file anew (or deletes it, for a new text of None)
EDITS: list[tuple[str, str | None, str | None, tuple[str, str, str], bool]] = [
    # a body edit: the helper stops blocking, only the helper's module changes
    ("app/clients.py", "    return requests.get('https://rates.example.com').json()\n", "    return {'usd': 1}\n",
     ("PC501", "app/orders.py", "fetch_rates"), False),
    # a new import: the route module's name now resolves to a blocking function of another module
    ("app/orders.py", "from app.clients import fetch_rates\n", "from app.slow import fetch_rates\n",
     ("PC501", "app/orders.py", "fetch_rates"), True),
    # a deleted function: the call resolves to nothing the project defines
    ("app/users.py", "def hashed(password: bytes) -> bytes:\n    return bcrypt.hashpw(password, bcrypt.gensalt())\n\n\n",
     "", ("PC503", "app/users.py", "hashed"), False),
    # a renamed route: every finding in it says its new path
    ("app/orders.py", "@router.get('/orders/{key}')\n", "@router.get('/purchases/{key}')\n",
     ("PC501", "app/orders.py", "/purchases/{key}"), True),
    # a changed Dockerfile: the server reloads in production
    ("Dockerfile", '"--host", "0.0.0.0"]', '"--host", "0.0.0.0", "--reload"]', ("PC101", "Dockerfile", ""), True),
    # the class a route constructs reads a file no more: its module alone changes
    ("app/store.py", "        with open(self.key) as handle:\n            return handle.read()\n",
     "        return self.key\n", ("PC501", "app/orders.py", "load"), False),
    # an edit inside a call cycle (walk -> turn -> walk): the stall goes
    ("app/cycle.py", "    time.sleep(0.1)\n", "    depth = depth\n", ("PC501", "app/users.py", "walk"), False),
    # ... and comes back through the other member of the cycle
    ("app/cycle.py", "    if depth:\n", "    time.sleep(0.1)\n    if depth:\n", ("PC501", "app/users.py", "walk"), True),
    # a helper of another module gains a blocking call: the route's module stays as it was
    ("app/clients.py", "    return {'eur': 1}\n", "    return requests.get('https://local.example.com').json()\n",
     ("PC501", "app/lookups.py", "local_rates"), True),
    # a subclass gains the override that the abstract method's call runs: only the subclass's module changes
    ("app/files.py", "    pass\n", "    def get(self, key: str) -> str:\n        with open(key) as handle:\n"
     "            return handle.read()\n", ("PC501", "app/lookups.py", "get"), True),
    # a new file defines the name whose lookup failed (`from app.extra import audit`, no app/extra.py)
    ("app/extra.py", None, "import time\n\n\ndef audit():\n    time.sleep(1)\n",
     ("PC501", "app/lookups.py", "audit"), True),
    # ... and its deletion makes the lookup fail again
    ("app/extra.py", None, None, ("PC501", "app/lookups.py", "audit"), False),
    # a route goes: its module changes, the helper it reached stays
    ("app/orders.py", "@router.get('/orders')\nasync def list_orders():\n    return fetch_rates()\n\n\n", "",
     ("PC501", "app/orders.py", "fetch_rates"), False),
]

NEW_FILES = {"app/slow.py": "import urllib.request\n\n\ndef fetch_rates():\n    return urllib.request.urlopen('https://x').read()\n"}


def _scan(root: Path, *args: str) -> dict:
    result = CliRunner().invoke(main, ["check", str(root), "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def _has(report: dict, code: str, path: str, text: str) -> bool:
    return any(f["code"] == code and f["path"] == path and text in f["message"]
               for f in report["findings"])


def test_each_kind_of_edit_re_checked_with_the_cache_is_reported_as_without_it(tmp_path: Path) -> None:
    root = tmp_path / "project"
    for relative, text in {**SERVICE, **NEW_FILES}.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    cache_dir = tmp_path / "cache"
    first = _scan(root, "--cache-dir", str(cache_dir))
    assert first == _scan(root, "--no-cache")
    assert _has(first, "PC501", "app/orders.py", "fetch_rates") and _has(first, "PC503", "app/users.py", "hashed")
    assert _has(first, "PC501", "app/orders.py", "load") and _has(first, "PC501", "app/users.py", "walk")
    assert not _has(first, "PC101", "Dockerfile", "")
    assert not any(f["path"] == "app/lookups.py" for f in first["findings"])
    for relative, old, new, (code, path, text), present in EDITS:
        edited = root / relative
        if old is None:
            edited.unlink(missing_ok=True)
            if new is not None:
                edited.write_text(new)
        else:
            before = edited.read_text()
            assert old in before and new is not None, (relative, old)
            edited.write_text(before.replace(old, new, 1))
        for _ in range(2):  # the run that re-checks after the edit, then the one that reuses its entry
            report = _scan(root, "--cache-dir", str(cache_dir))
            assert report == _scan(root, "--no-cache"), (relative, new)
            assert _has(report, code, path, text) is present, (relative, new, code, text)
