"""`Called._callee` asks the knowledge tables about a callee only when one of them names it (`_claimed`, judged once
per name): a name no table claims goes straight to the project's own names. The shortcut must answer as the full
chain of checks does, for every name and whatever the call's arguments."""
from __future__ import annotations

from prodcheck.extract.python import extract
from prodcheck.knowledge import listed
from prodcheck.knowledge.databases import engine_factories
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.concurrency.called import _GO_ON, _claimed
from prodcheck.rules.concurrency.holds import Holds

FILES = {
    "app/__init__.py": b"",
    "app/store.py": (b"import boto3\nimport requests\nfrom fastapi import Depends\n"
                     b"from sqlalchemy.orm import Session, sessionmaker\n"
                     b"from sqlalchemy import create_engine, inspect\n\n"
                     b"class Store:\n    def __init__(self):\n        self.s3 = boto3.client('s3')\n\n"
                     b"def make_store():\n    return Store()\n\n"
                     b"engine = create_engine('postgresql://db')\nSessionLocal = sessionmaker(bind=engine)\n\n"
                     b"def get_db():\n    return SessionLocal()\n\n"
                     b"def handler(db=Depends(get_db)):\n"
                     b"    store = make_store()\n    insp = inspect(engine)\n"
                     b"    response = requests.get('https://x', stream=True)\n"
                     b"    session = Session(engine)\n    return store, insp, response, session\n"),
}


def _holds() -> Holds:
    return Holds(PythonIndex({path: extract(path, data) for path, data in FILES.items()}, {}))


def test_every_name_a_knowledge_table_lists_is_claimed() -> None:
    kb = Holds.kb
    # (a maker is one only when dotted, `Blocking.maker`; only SQLAlchemy's engines make a session or engine held)
    listed_names = [*kb._clients, *kb._functions, *(name for name in kb._makers if "." in name),
                    *kb.sqlalchemy.inspect, *(name for name, factory in engine_factories().items()
                                              if factory.library == "sqlalchemy"),
                    *listed("blocking", "offload", "functions"), "fastapi.Depends", "sqlalchemy.orm.sessionmaker",
                    "sqlalchemy.orm.Session", "sqlalchemy.ext.asyncio.AsyncSession"]
    assert listed_names and all(_claimed(kb, name) for name in listed_names)


def test_a_name_no_table_claims_goes_on_to_the_project_s_names_whatever_the_arguments() -> None:
    holds = _holds()
    function = holds.index.functions["app.store.handler"][0]
    calls = holds.index.calls_by_scope.get("app.store.handler", ())
    names = ["app.store.make_store", "app.store.Store", "len", "store.s3.put_object", "app.store.get_db"]
    for name in names:
        assert not _claimed(holds.kb, name)
        for call in (None, *calls):
            value = call.value if call is not None else None
            assert holds._known(name, value, function, 0, 0) is _GO_ON


def test_the_shortcut_answers_as_the_full_chain() -> None:
    shortcut, full = _holds(), _holds()
    full._claims = {}  # asked again for every callee below: each one's claim is judged afresh, as before the memo
    function = shortcut.index.functions["app.store.handler"][0]
    full_function = full.index.functions["app.store.handler"][0]
    for call, full_call in zip(shortcut.index.calls_by_scope.get("app.store.handler", ()),
                               full.index.calls_by_scope.get("app.store.handler", ()), strict=True):
        known = full._known(call.name, full_call.value, full_function, 0, call.line)
        expected = full._project_callee(call.name, full_call.value, full_function, 0, call.line) \
            if known is _GO_ON else known
        assert shortcut._callee(call.name, call.value, function, 0, call.line) == expected
    held = shortcut._callee("app.store.make_store", None, function, 0)
    assert held is not None and held.kind == "object" and held.ref == "app.store.Store"
