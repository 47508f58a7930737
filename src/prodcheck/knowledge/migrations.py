"""Typed access to `migrations.toml`: which commands and calls migrate a database schema."""
from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from prodcheck.knowledge import load
from prodcheck.knowledge.names import Names, names


@cache
def _patterns() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(pattern) for pattern in load("migrations")["commands"]["patterns"])


@cache
def _launchers() -> frozenset[str]:
    return frozenset(load("migrations")["commands"]["launchers"])


@cache
def _patterns_by_program() -> dict[str, tuple[tuple[str, ...], ...]]:
    """`_patterns` by their first word, each program's in the table's order."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for pattern in _patterns():
        out.setdefault(pattern[0], []).append(pattern)
    return {program: tuple(patterns) for program, patterns in out.items()}


def migration_command(argv: Sequence[str]) -> str | None:
    """The migration tool an argv runs (`alembic upgrade head`, `python -m alembic upgrade`,
    `npx prisma migrate deploy`), as the words of its pattern joined, or None."""
    words = [word.rsplit("/", 1)[-1] for word in argv]
    if words and words[0].startswith("python"):
        words = [word for word in words[1:] if word != "-m"]
    while words and words[0] in _launchers():
        words = words[1:]
    # Only the patterns of the program itself can match (their first word is the program): the first of them.
    for pattern in _patterns_by_program().get(words[0], ()) if words else ():
        if len(words) >= len(pattern) and all(p in words[1:] for p in pattern[1:]):
            return " ".join(pattern)
    return None


@cache  # asked a dozen times for each call a rule judges (PC401: 7,000 module-level calls of polar's app)
def migration_calls(kind: str) -> Names:
    """Python calls of one kind in `[calls]`: upgrade, create_all, generate_schemas, register_tortoise, shell."""
    return names("migrations", "calls", kind)


@cache
def management_program() -> str:
    """The program a management command run in process stands for (`[management] program`)."""
    return str(load("migrations")["management"]["program"])


def management_calls() -> Names:
    """Calls that run a management command in process (`[management] calls`)."""
    return names("migrations", "management", "calls")


@cache
def shell_keywords() -> frozenset[str]:
    """The keywords a shell-running call takes its command by (`[calls] shell_keywords`)."""
    return frozenset(load("migrations")["calls"]["shell_keywords"])


def ddl_executors() -> Names:
    """Calls that execute a SQL string (`conn.execute`, `cursor.executescript`), from `[ddl]`."""
    return names("migrations", "ddl", "executors")


@cache
def sql_files() -> tuple[frozenset[str], frozenset[str], str]:
    """Calls that open a file, methods that read it whole, and the extension of a SQL file (`[ddl] sql_files`)."""
    table = load("migrations")["ddl"]["sql_files"]
    return frozenset(table["open"]), frozenset(table["read"]), str(table["extension"])


@cache
def _ddl_statements() -> tuple[tuple[str, ...], tuple[str, ...]]:
    table = load("migrations")["ddl"]
    return (tuple(s.upper() for s in table["statements"]), tuple(s.upper() for s in table["not_statements"]))


def ddl_statement(sql: str) -> str | None:
    """The schema-changing statement a SQL string starts with (`CREATE TABLE`), or None.
    Leading whitespace and `--` comments are skipped; words are compared case-insensitively."""
    lines = [line for line in sql.strip().splitlines() if not line.strip().startswith("--")]
    words = " ".join(" ".join(lines).split()).upper()
    statements, excluded = _ddl_statements()
    if any(words.startswith(s) for s in excluded):
        return None
    return next((s for s in statements if words.startswith(s + " ") or words == s), None)


@cache
def _name_words() -> tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str]]:
    table = load("migrations")["names"]
    return (frozenset(table["migrate"]), frozenset(table["verbs"]), frozenset(table["nouns"]),
            frozenset(table["not_nouns"]))


def names_a_migration(qualname: str) -> bool:
    """A function whose name says it migrates: `migrate_databases`, `run_migrations`,
    `create_db_and_tables`, `init_db`; a generic `main` is named by its module (`init_db.main`)."""
    parts = qualname.split(".")
    name = parts[-1].lower().strip("_")
    if name in {"main", "run", "__call__", "execute"} and len(parts) > 1:
        name = parts[-2].lower().strip("_")
    migrate, verbs, nouns, not_nouns = _name_words()
    if name in migrate:
        return True
    words = set(name.split("_"))
    if words & not_nouns:
        return False
    return bool(words & migrate) or bool(words & verbs and words & nouns) or name in {"initdb", "migratedb"}


@cache
def _locks() -> tuple[tuple[str, ...], tuple[str, ...]]:
    table = load("migrations")["locks"]
    return tuple(table["call_words"]), tuple(word.lower() for word in table["sql"])


def takes_lock(name: str, strings: Sequence[str]) -> str | None:
    """A call that takes a database advisory lock, as the message names it: by its name
    (`advisory_lock_ctx()`) or the SQL it runs (`pg_advisory_lock`), from `[locks]`; else None."""
    words, sql = _locks()
    last = name.rsplit(".", 1)[-1]
    if any(word in last.lower() for word in words):
        return f"{last}()"
    return next((s.removesuffix("(") for text in strings for s in sql if s in text.lower()), None)


@cache
def environment_imports() -> frozenset[str]:
    """Imports that make a module a migration tool's environment script (Alembic's env.py)."""
    return frozenset(load("migrations")["environment"]["imports"])


@cache
def _embedded_words() -> frozenset[str]:
    return frozenset(load("migrations")["embedded"]["words"])


def names_embedded_database(dotted: str) -> bool:
    """A module path or qualified name that names an in-process database (`storage/duckdb.py`,
    `SQLiteStore.__init__`, `aiosqlite_backend`): [embedded]. The words are distinctive enough to be looked for
    anywhere in the name."""
    lowered = dotted.lower()
    return any(word in lowered for word in _embedded_words())
