"""`migration_call` answers a call no table names without asking the tables one by one (`_quiet`), and
`tables_naming` asks one index of the tables (`Tables`): the answers are those of the tables themselves."""
from __future__ import annotations

import pytest

from prodcheck.knowledge.names import Names, Tables
from prodcheck.model.facts import Call, Value
from prodcheck.rules.database import migration_calls
from prodcheck.rules.database.migration_calls import _name_tables, migration_call, tables_naming


def _call(name: str, *items: Value) -> Call:
    return Call(Value("call", 0, text=name, items=items), "")


def test_tables_answer_as_each_table() -> None:
    tables = [("a", Names(["pkg.run", "pkg.mod.*", "*.db.upgrade", "x.Y().go"])),
              ("b", Names(["*.execute", "pkg.run", "other.*"])), ("c", Names([]))]
    index = Tables(tables)
    asked = ["pkg.run", "pkg.mod.f", "pkg.modx", "app.db.upgrade", "db.upgrade", "upgrade", "conn.execute", "execute",
             "other.thing", "x.Y().go", "x.Y", "", "pkg", "a.b.c"]
    for name in asked:
        assert index.naming(name) == {kind for kind, table in tables if name in table}, name


def test_tables_naming_is_every_table_that_holds_the_name() -> None:
    for table_kind, table in _name_tables():
        for entry in table.entries:
            for name in (entry, entry.removeprefix("*."), f"app.{entry.removeprefix('*.')}", entry.rpartition(".")[2]):
                assert tables_naming(name) == frozenset(kind for kind, held in _name_tables() if name in held), name
            assert table_kind in tables_naming(entry) or entry.endswith(".*")


def _metadata(dotted: str) -> str | None:
    return "sqlalchemy.MetaData" if dotted == "meta_data" else None


@pytest.mark.parametrize(("call", "constructor", "expected"), [
    (_call("app.routers.include"), None, None),
    (_call("app.routers.include", Value("name", 0, text="app.db.settings")), _metadata, None),
    # an instance entry's method, on an object the constructor names
    (_call("meta_data.create_all"), _metadata, "`metadata.create_all()`"),
    (_call("meta_data.create_all"), None, None),
    # a quiet call handed a migration to run
    (_call("asyncio.to_thread", Value("name", 0, text="alembic.command.upgrade")), None, "`alembic.command.upgrade()`"),
    (_call("conn.run_sync", Value("name", 0, text="meta_data.drop_all")), _metadata,
     "`metadata.drop_all()` (drops every table)"),
    (_call("app.migration_context", Value("const", 0, literal="x")), None, None),
])
def test_migration_call(call: Call, constructor: object, expected: str | None) -> None:
    assert migration_call(call, constructor) == expected  # type: ignore[arg-type]  # a plain resolver


def test_migration_context_is_asked() -> None:
    mode = Value("call", 0, text="app.migration_context", flat_keywords=("mode", Value("const", 0, literal="migrate")))
    assert migration_call(Call(mode, "")) == '`migration_context(mode="migrate")`'


def test_quiet_answers_as_the_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every name of the tables and names near them, called or handed to a call: the same answer with the shortcut
    and without it."""
    texts = {"app.routers.include", "meta_data.create_all", "meta_data.setup", "app.migration_context"}
    for _kind, table in _name_tables():
        for entry in table.entries:
            texts.update((entry, entry.removeprefix("*."), f"app.{entry.removeprefix('*.')}", entry.rpartition(".")[2]))
    calls = [_call(text, *items) for text in sorted(texts)
             for items in ((), (Value("name", 0, text="meta_data.drop_all"),), (Value("name", 0, text="app.x"),))]
    quick = [migration_call(call, _metadata) for call in calls]
    monkeypatch.setattr(migration_calls, "_quiet", lambda _text: False)
    assert quick == [migration_call(call, _metadata) for call in calls]
    assert any(quick) and not all(quick)
