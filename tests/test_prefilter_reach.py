"""Why the prefilter reads a file for a needle even where no async code is, and for a package's name alone: the
second round (python_links.py) parses the modules async code imports, and only those, so a file the first round
skips is out of reach of PC501's call resolution when it is reached through a module the first round read (whose
imports the round does not follow) or as a subclass (a base names no subclass). Each case below is a finding that
a narrower prefilter (one that skipped the file) loses: the guard against such a narrowing."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_project
from prodcheck import engine, python_pass
from prodcheck.prefilter import _needs_parse
from prodcheck.settings import Settings

ROUTE = '''
from fastapi import FastAPI
from app import crud

app = FastAPI()


@app.get("/items")
async def items():
    return crud.list_items()
'''
# read for `TOKEN` (a word of secrets.toml) beside a literal, no async code: the round does not follow its imports
CRUD = '''
from app.notify import ping

API_TOKEN = "x_token"


def list_items():
    ping()
    return []
'''
NOTIFY = '''
import requests


def ping():
    requests.get("https://example.com/hook", timeout=5)
'''
BASE = '''
from abc import ABC, abstractmethod


class Notifier(ABC):
    @abstractmethod
    def send(self, message: str) -> None: ...
'''
IMPL = '''
import requests

from app.base import Notifier


class HttpNotifier(Notifier):
    def send(self, message: str) -> None:
        requests.post("https://hooks.example.com/notify", json={"text": message}, timeout=5)
'''
ABSTRACT_ROUTE = '''
from fastapi import FastAPI

from app.base import Notifier

app = FastAPI()


@app.post("/notify")
async def notify(notifier: Notifier) -> None:
    notifier.send("hi")
'''
# a session handed in by a container the model cannot follow: the Query's model class is a table by its
# `__tablename__` (blocking_calls._model_query), in a module whose only needle is its package's name
CONTAINER_ROUTE = '''
from fastapi import FastAPI
from app import crud
from app.container import container

app = FastAPI()


@app.get("/users/{uid}")
async def user(uid: int):
    return crud.get_user(container.session(), uid)
'''
CONTAINER = '''
class Container:
    def __init__(self, factory=None):
        self.factory = factory

    def session(self):
        return self.factory()


container = Container()
'''
QUERY = '''
from app.models import User


def get_user(session, uid):
    return session.query(User).filter(User.id == uid).first()
'''
MODELS = '''
from sqlalchemy import Column, Integer
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
'''
CASES = {
    "helper of a parsed sync module": ({"app/main.py": ROUTE, "app/crud.py": CRUD, "app/notify.py": NOTIFY},
                                       "app/notify.py"),
    "implementation of an abstract method": ({"app/main.py": ABSTRACT_ROUTE, "app/base.py": BASE,
                                              "app/impl.py": IMPL}, "app/impl.py"),
    "model class of a query": ({"app/main.py": CONTAINER_ROUTE, "app/container.py": CONTAINER, "app/crud.py": QUERY,
                                "app/models.py": MODELS}, "app/models.py"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_file_only_the_first_round_reads_holds_a_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           case: str) -> None:
    files, needed = CASES[case]
    root = write_project(tmp_path, {"app/__init__.py": "", **files})
    settings = Settings(select=("PC501",), use_cache=False)

    def lines() -> list[tuple[str, int]]:
        return [(f.location.path, f.location.span.line) for f in engine.run(root, settings).findings]

    found = lines()
    assert len(found) == 1 and found[0][0] == "app/main.py"
    skipped = (root / needed).read_bytes()
    monkeypatch.setattr(python_pass, "_needs_parse", lambda data: data != skipped and _needs_parse(data))
    assert lines() == []  # skipped by the first round, the file is in no second round's reach
