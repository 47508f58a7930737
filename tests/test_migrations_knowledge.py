"""Focused checks of the PC401 knowledge accessors: schema DDL, names that say "migrate", more
migration tools, base images that run a prestart hook, in-process server starts."""
from __future__ import annotations

import pytest

from prodcheck.knowledge.migrations import ddl_statement, migration_command, names_a_migration
from prodcheck.knowledge.servers import base_image_start, server_run_calls


@pytest.mark.parametrize(("sql", "statement"), [
    ("CREATE TABLE IF NOT EXISTS items (id INT)", "CREATE TABLE"),
    ("\n    -- the items\n    create   table items (id int)", "CREATE TABLE"),
    ("CREATE UNIQUE INDEX IF NOT EXISTS a ON b (c)", "CREATE UNIQUE INDEX"),
    ("CREATE EXTENSION IF NOT EXISTS pg_trgm;", "CREATE EXTENSION"),
    ("alter table items add column x int", "ALTER TABLE"),
    ("CREATE TEMP TABLE scratch (id INT)", None),
    ("CREATE TEMPORARY TABLE scratch (id INT)", None),
    ("SELECT * FROM information_schema.tables", None),
    ("INSERT INTO create_table_log VALUES (1)", None),
    ("CREATE TABLESPACE fast LOCATION '/ssd'", None),
    ("", None),
])
def test_ddl_statement(sql: str, statement: str | None) -> None:
    assert ddl_statement(sql) == statement


@pytest.mark.parametrize(("qualname", "expected"), [
    ("app.db.migrate", True),
    ("lnbits.core.helpers.migrate_databases", True),
    ("app.db.run_migrations", True),
    ("app.db.create_db_and_tables", True),
    ("app.db.init_db", True),
    ("app.database.setup_database", True),
    ("mealie.db.init_db.main", True),  # a generic `main` is named by its module
    ("app.db.initialize_db_connection", False),  # opens a pool
    ("app.main.startup", False),
    ("app.cache.init_redis", False),
    ("app.main", False),
])
def test_names_a_migration(qualname: str, expected: bool) -> None:
    assert names_a_migration(qualname) is expected


@pytest.mark.parametrize(("argv", "tool"), [
    (["dbmate", "--wait", "up"], "dbmate up"),
    (["prisma", "db", "push", "--skip-generate"], "prisma db push"),
    (["django-admin", "migrate", "--noinput"], "django-admin migrate"),
    (["piccolo", "migrations", "forwards", "all"], "piccolo migrations forwards"),
    (["airflow", "db", "migrate"], "airflow db migrate"),
    (["dbmate", "status"], None),
    (["prisma", "db", "pull"], None),
])
def test_more_migration_tools(argv: list[str], tool: str | None) -> None:
    assert migration_command(argv) == tool


def test_base_image_start() -> None:
    prestart, command = base_image_start("tiangolo/uvicorn-gunicorn-fastapi:python3.11-slim") or ("", ())
    assert prestart == "/app/prestart.sh" and command[0] == "gunicorn"
    assert base_image_start("docker.io/tiangolo/uvicorn-gunicorn:python3.10") is not None
    assert base_image_start("python:3.12-slim") is None
    assert base_image_start("tiangolo/uvicorn-gunicorn-fastapi-other:1") is None


def test_server_run_calls() -> None:
    calls = server_run_calls()
    assert calls.match("uvicorn.run") == "uvicorn.run"
    assert calls.match("server.serve", lambda name: "uvicorn.Server") == "uvicorn.Server().serve"
    assert calls.match("server.serve", lambda name: "other.Server") is None
    assert calls.match("uvicorn.Config") is None
