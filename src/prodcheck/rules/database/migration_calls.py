"""What a Python call does to a database's schema (PC401): a migration tool's call, `metadata.create_all()`,
raw DDL, a drop. Docs: rules/PC401-migrations-on-boot.md"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache

from prodcheck.knowledge import load
from prodcheck.knowledge.migrations import (
    ddl_executors, ddl_statement, management_calls, management_program, migration_calls, migration_command,
    names_embedded_database, shell_keywords,
)
from prodcheck.knowledge.names import Names, Resolver, Tables
from prodcheck.model.facts import Call, Value
from prodcheck.parsing.shell import split_script


def migration_call(call: Call, constructor: Resolver | None = None,
                   constant: Callable[[str], Value | None] | None = None) -> str | None:
    """What a call does to the schema, if it is a migration: a short description. `constructor`
    names what built the object a method is called on (for a checkpointer's `.setup()`), `constant`
    the value a module-level name holds (SQL kept in a constant)."""
    name = call.name
    if _quiet(name) and all(item.kind != "name" or _quiet(item.text) for item in call.value.items):
        return None  # no table below names the call or a name it is handed: most calls a rule asks about
    named = tables_naming(name)
    if "upgrade" in named:
        return "`alembic.command.upgrade()`"
    if migration_calls("create_all").match(name, constructor):
        return "`metadata.create_all()`"
    if "library_schema" in named:
        return f"`{name.rsplit('.', 1)[-1]}()` (creates the schema)"
    if "library_runners" in named:
        return f"`{name.rsplit('.', 1)[-1]}()` (a migration runner, by its name)"
    if "library_stamp" in named:
        return f"`{name.rsplit('.', 1)[-1]}()` (`alembic stamp`: marks the schema current)"
    generate = call.value.kwarg("generate_schemas")
    if "generate_schemas" in named or ("register_tortoise" in named and generate is not None and generate.is_true):
        return "Tortoise `generate_schemas`"
    if name.endswith("migration_context"):
        mode = call.value.kwarg("mode")
        if mode is not None and mode.literal in {"migrate", "upgrade"}:
            return '`migration_context(mode="migrate")`'
    for item in call.value.items:
        if item.kind == "name" and migration_calls("create_all").match(item.text, constructor):
            return "`metadata.create_all()`"
        if item.kind == "name" and item.text in migration_calls("upgrade"):
            # `await asyncio.to_thread(command.upgrade, config, "head")`: handed to a thread, run all the same
            return "`alembic.command.upgrade()`"
    if _drops_all(call, constructor):
        return "`metadata.drop_all()` (drops every table)"
    setup = migration_calls("schema_setup").match(name, constructor)
    if setup is not None:
        owner = next((part.removesuffix("()") for part in reversed(setup.split(".")) if part[:1].isupper()), "")
        return f"`{owner}.setup()` (creates its tables)"
    built = migration_calls("built_with_tables").match(name, constructor)
    if built is not None:
        return f"`{built.rsplit('.', 1)[-1]}(...)` (creates its extension and tables when built)"
    if _DDL in named:
        statement = _ddl(call, constant)
        if statement is not None and not _on_embedded_database(name, constructor):
            first = call.value.arg(0)
            read = constant(first.text) if first is not None and first.kind == "name" and constant else None
            # SQL read from a file of the repository carries the file's path (startup_paths.values_on)
            return f"raw `{statement}`" + (f" read from `{read.text}`" if read is not None and read.is_str and read.text
                                           else "")
    if "command_lines" in named:
        words = list(_command_line(call, constant))
        tool = migration_command([name.split(".", 1)[0], *words]) if words else None
        if tool is not None:
            return f"`{tool}` (`{name}()`)"
    if _MANAGEMENT in named:
        # `call_command("migrate", "--noinput")`: the command's words are the call's string arguments
        words = [str(value.literal) for value in call.value.items if value.is_str]
        tool = migration_command([management_program(), *words]) if words else None
        if tool is not None:
            return f"`{tool}` (`{name.rsplit('.', 1)[-1]}()`)"
    if "shell" in named:
        # `run(["alembic", "upgrade", "head"])` or `system("cd app && alembic upgrade head")`
        strings = list(_argv_words(call, constant))
        for command in split_script(" ".join(strings)) if strings else []:
            tool = migration_command(command.argv)
            if tool is not None:
                return f"`{tool}` in a subprocess"
    return None


# The tables `tables_naming` answers for besides `[calls]`'s kinds (no kind of `[calls]` holds a space).
_DDL, _MANAGEMENT = "ddl executors", "management calls"
# call name -> `tables_naming`'s answer. PC401 judges every module-level call of the modules an app loads (polar:
# 6,700 calls of 650 names), and each judgement asked ten tables whether the name is theirs.
_NAMED: dict[str, frozenset[str]] = {}
_NONE: frozenset[str] = frozenset()  # most names' answer, one object


def tables_naming(name: str) -> frozenset[str]:
    """The name tables of migrations.toml whose entries `name` is (as `name in table`): each kind of `[calls]`
    (`upgrade`, `shell`, ...), `_DDL` for `[ddl] executors`, `_MANAGEMENT` for `[management] calls`. Asked of the
    tables once per distinct name."""
    found = _NAMED.get(name)
    if found is None:
        found = _NAMED[name] = frozenset(_tables().naming(name)) or _NONE
    return found


@cache
def _tables() -> Tables:
    return Tables(_name_tables())


# name -> `_quiet`'s answer: PC401 asks about every module-level call of the modules an app loads, most of them
# named for no migration, and each question read a dozen tables.
_QUIET: dict[str, bool] = {}


def _quiet(text: str) -> bool:
    """No table `migration_call` reads names `text`, by itself or as a method of an object a constructor built: no
    kind of `[calls]` holds it (`tables_naming`, which also covers `[ddl] executors` and `[management] calls`), no
    instance entry (`pkg.Class().method`) ends as it does, and it is no `migration_context`. Then `migration_call`
    answers None for a call of that name whose arguments hand it no name that is not as quiet."""
    known = _QUIET.get(text)
    if known is None:
        lasts = _instance_lasts()
        known = _QUIET[text] = (lasts is not None and not tables_naming(text) and text.rpartition(".")[2] not in lasts
                                and not text.endswith("migration_context"))
    return known


@cache
def _instance_lasts() -> frozenset[str] | None:
    """The last part of every instance entry's method (`create_all` of `sqlalchemy.MetaData().create_all`), of every
    table `tables_naming` reads; None when an entry names the instance itself (`pkg.Class()`: any name may be one)."""
    tails = [tail for _kind, table in _name_tables() for tail in table.instance_tails()]
    if any(not tail.startswith(".") for tail in tails):
        return None
    return frozenset(tail.rpartition(".")[2] for tail in tails)


@cache
def _name_tables() -> tuple[tuple[str, Names], ...]:
    calls = load("migrations")["calls"]
    return (*((kind, migration_calls(kind)) for kind, entries in calls.items() if isinstance(entries, list)),
            (_DDL, ddl_executors()), (_MANAGEMENT, management_calls()))


def library_setup(call: Call, constructor: Resolver | None) -> bool:
    """A library's own schema set-up (`saver.setup()`, `PGVector(...)`): the library writes the statements, the
    project's code only decides when it runs, so the line to move is where start-up enters it."""
    return any(migration_calls(kind).match(call.name, constructor) is not None
               for kind in ("schema_setup", "built_with_tables"))


def _drops_all(call: Call, constructor: Resolver | None) -> bool:
    """`metadata.drop_all()`, also handed to `conn.run_sync(...)`."""
    drop_all = migration_calls("drop_all")
    return drop_all.match(call.name, constructor) is not None or any(
        item.kind == "name" and drop_all.match(item.text, constructor) is not None for item in call.value.items)


def drops_tables(call: Call, constructor: Resolver | None, constant: Callable[[str], Value | None] | None) -> bool:
    """The call drops tables: `metadata.drop_all()` (also through `run_sync`), raw `DROP TABLE`."""
    if _drops_all(call, constructor):
        return True
    return call.name in ddl_executors() and (_ddl(call, constant) or "").startswith("DROP")


def _on_embedded_database(name: str, constructor: Resolver | None) -> bool:
    """The SQL is executed on a connection to an in-process database file (`with sqlite3.connect(path) as conn:
    conn.execute("CREATE TABLE ...")`, also through the connection's `cursor()`): each process's or container's
    own file (a cache, a local store), which no other replica shares, so no replica races another over it
    (knowledge/migrations.toml [embedded]; an app that keeps its data there is PC406's)."""
    receiver = name.rpartition(".")[0]
    for _hop in range(2):
        built = constructor(receiver) if constructor is not None and receiver else None
        if built is None:
            return False
        if names_embedded_database(built.split("(", 1)[0]):
            return True
        receiver = built.rpartition(".")[0]  # `cur = conn.cursor()`: what built `conn`
    return False


def _ddl(call: Call, constant: Callable[[str], Value | None] | None) -> str | None:
    """The schema statement the SQL a call executes starts with: its first argument, a literal
    (also inside `text(...)`) or a module-level constant."""
    first = call.value.arg(0)
    if first is not None and first.kind == "name" and constant is not None:
        first = constant(first.text)
    if first is None:
        return None
    literal = first if first.is_str else next(string_arguments(call), None)
    return ddl_statement(str(literal.literal)) if literal is not None and literal.is_str else None


def _argv_words(call: Call, constant: Callable[[str], Value | None] | None = None) -> Iterator[str]:
    """The words of a subprocess call's command: its string literals, and `python` for the running
    interpreter's path (`sys.executable`), in source order; a command given by a name (`cmd = ["alembic",
    "upgrade", "head"]` then `run(cmd)`), the list it holds."""
    interpreter = migration_calls("interpreter")
    keywords = shell_keywords()
    given = [v for k, v in call.value.keywords if k in keywords]
    first = call.value.arg(0)
    if first is not None and first.kind == "name" and first.text not in interpreter and constant is not None:
        held = constant(first.text)
        if held is not None and held.kind == "seq":
            given.insert(0, held)
    for value in _argument_values(call, tuple(given)):
        if value.is_str:
            yield str(value.literal)
        elif value.kind == "name" and value.text in interpreter:
            yield "python"


def _command_line(call: Call, constant: Callable[[str], Value | None] | None) -> Iterator[str]:
    """The string words of an in-process command line's argv (its first argument or `argv=`), a name followed to
    the list it holds (`args = ["upgrade", "head"]` ... `main(args)`)."""
    argv = call.value.arg(0) or call.value.kwarg("argv")
    if argv is not None and argv.kind == "name" and constant is not None:
        argv = constant(argv.text) or argv
    stack = [argv] if argv is not None else []
    while stack:
        value = stack.pop()
        if value.is_str:
            yield str(value.literal)
        stack.extend(reversed(value.items))


def string_arguments(call: Call) -> Iterator[Value]:
    """The string literals among a call's positional arguments, in source order."""
    return (value for value in _argument_values(call) if value.is_str)


def _argument_values(call: Call, keywords: tuple[Value, ...] = ()) -> Iterator[Value]:
    """A call's positional arguments (then the `keywords` values given) and every value nested in them, in
    source order."""
    stack = list(reversed((*call.value.items, *keywords)))
    while stack:
        value = stack.pop()
        yield value
        stack.extend(reversed(value.items))
