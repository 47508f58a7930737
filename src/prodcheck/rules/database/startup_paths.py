"""The calls from a start-up hook down to a migration it reaches (PC401), and which of them a finding is
reported on. Docs: rules/PC401-migrations-on-boot.md"""
from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Iterator

from prodcheck.discovery.sources import root_text
from prodcheck.knowledge.migrations import migration_calls, names_a_migration, names_embedded_database, sql_files, takes_lock
from prodcheck.knowledge.names import Resolver
from prodcheck.knowledge.servers import server_run_calls
from prodcheck.model.facts import Call, Function, PyFacts, Value
from prodcheck.project import Project
from prodcheck.project.dev_guards import guarded
from prodcheck.rules.concurrency.holds import Holds
from prodcheck.rules.database.migration_calls import drops_tables, library_setup, migration_call, string_arguments
from prodcheck.model.record import record

MAX_DEPTH = 8  # helpers followed from a hook: serve() -> session_factory() -> make_engine() -> migrate_in_thread() -> migrate() -> run() -> upgrade()


@record
class Hop:
    """A call on the way from a start-up hook to a migration, and the project function it enters."""

    call: Call
    caller: Function
    facts: PyFacts
    callee: Function | None  # None for the migration call itself


def callees(project: Project, call: Call, caller: Function) -> list[tuple[Function, PyFacts]]:
    """The project functions a call runs: its target, and functions it is handed to run
    (`conn.run_sync(upgrade)`, `asyncio.to_thread(create_tables)`, also a function the caller defines
    in its own body: `def _upgrade(): ...` then `await asyncio.to_thread(_upgrade)`)."""
    index = project.python
    found = []
    target = index.call_target(call, caller) or method_of_instance(project, call, caller) or _constructor(project, call) \
        or _picked_class(project, call, caller)
    if target is not None:
        found.append(target)
    for item in (*call.value.items, *(value for _, value in call.value.keywords)):
        if item.kind == "name":
            handed = index.functions.get(f"{caller.qualname}.{item.text}") if "." not in item.text else None
            handed = handed or index.function(item.text)
            if handed is not None and handed[0].qualname != caller.qualname:
                found.append(handed)
    return found


def _constructor(project: Project, call: Call) -> tuple[Function, PyFacts] | None:
    """`PostgresObjectStore(uri)`: building a project class runs its `__init__` (its own, or the nearest base's)."""
    resolved = project.python.resolve(call.name) if "(" not in call.name and "[" not in call.name else None
    if resolved is None or not resolved.cls:
        return None
    return Holds.of(project.python).method(resolved.qualname, "__init__")


def one_per_setup_call(project: Project, paths: Iterable[list[Hop]]) -> list[tuple[list[Hop], int]]:
    """The paths to report, each with how many others it stands for. A set-up method that start-up calls
    (`await database.initialize()`, named for no migration) often runs several schema statements: one
    finding per such start-up call, on its main one (a migration tool's call before raw DDL, DDL that
    builds before DDL that drops, then the first), not one per statement."""
    kept: list[tuple[list[Hop], int]] = []
    groups: dict[tuple[str, int], list[list[Hop]]] = {}
    for path in paths:
        if len(path) > 1 and named_call(path) is None:
            groups.setdefault((path[0].facts.path, path[0].call.span.line), []).append(path)
        else:
            kept.append((path, 0))
    kept.extend((min(group, key=lambda path: rank(project, path)), len(group) - 1) for group in groups.values())
    return kept


def rank(project: Project, path: list[Hop]) -> tuple[int, int, int, str, int]:
    """Which of several migrations a finding names: a migration tool's upgrade (what runs on every start once the
    tables exist: `create_all(); stamp()` on an empty database, else `alembic upgrade head`) before other schema
    set-up, that before raw DDL, DDL that builds before DDL that drops, then the one start-up reaches in the fewest
    calls (its own schema before an extension's a later phase sets up), then the first in the source."""
    migration = path[-1]
    constructor = constructor_on(project, migration)
    constant = values_on(project, migration)
    described = migration_call(migration.call, constructor, constant) or ""
    order = 3 if drops_tables(migration.call, constructor, constant) else 2 if described.startswith("raw ") else \
        0 if (described.startswith("`alembic.command.upgrade()`") and not migration.call.name.endswith(".stamp")) \
        or described.endswith(" in a subprocess") else 1
    # a backend chosen at run time among several: the server database's before an embedded one's (a local file)
    embedded = any(names_embedded_database(name) for name in (
        migration.facts.path, *(hop.callee.qualname for hop in path if hop.callee is not None)))
    return order, int(embedded), len(path), migration.facts.path, migration.call.span.line


def _picked_class(project: Project, call: Call, caller: Function) -> tuple[Function, PyFacts] | None:
    """`BackendClass = get_backend_class(kind)` then `BackendClass(settings)`: a local holding a project class the
    caller picked at run time, built here, runs that class's `__init__`."""
    if "." in call.name or "(" in call.name or "[" in call.name or caller.local(call.name) is None:
        return None
    holds = Holds.of(project.python)
    holder = holds.expression(call.name, caller, line=call.span.line)
    if holder is None or holder.kind != "class" or "|" in holder.ref:
        return None
    return holds.method(holder.ref, "__init__")


def method_of_instance(project: Project, call: Call, caller: Function | None) -> tuple[Function, PyFacts] | None:
    """The project method a call runs on an object the project built (`database.initialize()` where
    `database = PostgresDatabase(...)` at module level, `db = Database(url)` in the caller, or
    `Database(url).initialize()`): the
    class is what built the name, the method is that class's. A method it inherits is not followed."""
    head, _dot, method = call.name.rpartition(".")
    if not head or not method:
        return None
    if head.endswith("()") and "(" not in head[:-2]:
        built: str | None = head[:-2]  # `Checkpoint().ensure_setup()`: the class is built on the spot
    else:
        local = caller.local(head) if caller is not None and "." not in head else None
        built = local.text if local is not None and local.kind == "call" else project.python.constructor_of(head)
    return project.python.function(f"{built}.{method}") if built else None


def lock_on_the_way(project: Project, path: list[Hop]) -> tuple[Hop, str] | None:
    """The call that takes a database advisory lock in a function start-up runs on its way to the
    migration (`async with advisory_lock_ctx(...): await conn.run_sync(upgrade)`), and how to name it."""
    for hop in path:
        for call in project.python.calls_by_scope.get(hop.caller.qualname, []):
            name = takes_lock(call.name, [str(v.literal) for v in string_arguments(call)])
            if name is not None:
                return Hop(call, hop.caller, hop.facts, None), name
    return None


def reported_call(project: Project, path: list[Hop]) -> Hop:
    """Where start-up code begins the migration: the call of the outermost function whose name says
    it migrates (`await migrate_databases()`, `init_db.main()`), the line to move out of start-up.
    When no function on the way is named for it (`await database.initialize()`, which also opens
    pools), the migration is one step of a general set-up: the line to change is the migration itself,
    unless it is a library's own schema set-up (`await Checkpoint().ensure_setup()` reaching LangGraph's
    `saver.setup()`): the project writes no statement of it, so the line is where start-up enters it."""
    named = named_call(path)
    if named is not None:
        return named
    return path[0] if library_setup_on(project, path) else path[-1]


def library_setup_on(project: Project, path: list[Hop]) -> bool:
    return library_setup(path[-1].call, constructor_on(project, path[-1]))


def named_call(path: list[Hop]) -> Hop | None:
    """The call of the outermost function on the way whose name says it migrates."""
    return next((hop for hop in path[:-1] if hop.callee is not None and names_a_migration(hop.callee.qualname)), None)


def constructor_on(project: Project, hop: Hop) -> Resolver:
    """What built the object a name refers to, from the caller's locals first, then module level."""
    def resolve(dotted: str) -> str | None:
        local = hop.caller.local(dotted)
        if local is not None and local.kind == "call":
            return local.text
        return project.python.constructor_of(dotted)
    return resolve


def server_starts(project: Project) -> Iterator[tuple[Function, PyFacts, Call]]:
    """Functions that start the web server in process (`uvicorn.run(...)`, knowledge/servers.toml `[run_calls]`)
    and that call: what such a function runs before it, it runs on every start of the server. Not a development
    runner (`reload=True`), nor code under `if __name__ == "__main__":`, which start-up's findings count as such."""
    index = project.python
    runs = server_run_calls()
    last = {entry.rsplit(".", 1)[-1] for entry in runs}
    for facts, call in index.calls.ending(last):
        if not call.scope or call.in_main:
            continue
        scope = index.functions.get(call.scope)
        if scope is None:
            continue
        function = scope[0]

        def built(dotted: str, function: Function = function) -> str | None:
            local = function.local(dotted)
            return local.text if local is not None and local.kind == "call" else index.constructor_of(dotted)
        reload = call.value.kwarg("reload")
        if runs.match(call.name, built) is not None and not (reload is not None and reload.is_true):
            yield function, facts, call


def values_on(project: Project, hop: Hop) -> Callable[[str], Value | None]:
    """The value a name holds where the hop's call is made, for the SQL it executes: the caller's local
    (`sql = "CREATE TABLE ..."`), else the module-level name's. Text the caller reads whole from a SQL file of
    the repository (`with open(os.path.join(dirname(__file__), "data/tables.sql")) as f: sql = f.read()`,
    knowledge/migrations.toml `[ddl] sql_files`) is that file's text."""
    def value(dotted: str) -> Value | None:
        local = hop.caller.local(dotted) if "." not in dotted else None
        if local is None:
            return project.python.assigned_value(dotted)
        read = _sql_file_text(project, hop, local)
        return Value("const", 0, text=read[0], literal=read[1]) if read is not None else local
    return value


def _sql_file_text(project: Project, hop: Hop, value: Value) -> tuple[str, str] | None:
    """(path, text) of the SQL file a local holds the text of."""
    opens, reads, extension = sql_files()
    head, _dot, method = value.text.rpartition(".") if value.kind == "call" else ("", "", "")
    opened = hop.caller.local(head) if method in reads and head and "." not in head else None
    if opened is None or opened.kind != "call" or opened.text not in opens or not opened.items:
        return None
    argument = opened.items[0]
    if argument.kind == "name" and "." not in argument.text:
        argument = hop.caller.local(argument.text) or argument
    literals = [item.literal for item in _walk(argument) if item.is_str and str(item.literal).endswith(extension)]
    if len(literals) != 1:
        return None
    relative = str(literals[0]).lstrip("./") if not str(literals[0]).startswith("/") else ""
    folder = posixpath.dirname(hop.facts.path)
    for candidate in (posixpath.normpath(posixpath.join(folder, relative)), posixpath.normpath(relative)):
        if relative and not candidate.startswith(".."):
            text = root_text(project.root, candidate)
            if text is not None:
                return candidate, text
    return None


def _walk(value: Value) -> Iterator[Value]:
    stack = [value]
    while stack:
        item = stack.pop()
        yield item
        stack.extend(item.items)


def reachable_migrations(project: Project, hook: Function, facts: PyFacts,
                          skip: frozenset[str] = frozenset(), until: int | None = None) -> Iterator[list[Hop]]:
    """Every migration the hook reaches, as the calls from the hook down to it; `skip`: functions not entered;
    `until`: the line of the hook's own calls from which on they are not followed."""
    index = project.python
    seen = {hook.qualname, *skip}
    stack: list[tuple[Function, PyFacts, list[Hop]]] = [(hook, facts, [])]
    while stack:
        function, function_facts, path = stack.pop()
        entered: list[tuple[Function, PyFacts, list[Hop]]] = []  # pushed in reverse: the first call is followed first
        for call in index.calls_by_scope.get(function.qualname, []):
            if until is not None and not path and call.span.line >= until:
                continue  # after the server started: it runs when the server stops
            # A call in an `if` block that names development (`if settings.is_sqlite(): create_all()`) is neither
            # reported nor followed: asked only of a call that migrates or enters a function (the file's text is
            # read for it).
            hop = Hop(call, function, function_facts, None)
            if migration_call(call, constructor_on(project, hop), values_on(project, hop)) \
                    and (not project_runner(project, call) or _opaque_runner(project, call, frozenset(seen))):
                if not dev_guarded_call(project, function_facts.path, call.span.line):
                    yield [*path, hop]
                continue
            if len(path) >= MAX_DEPTH:
                continue
            targets = [target for target in callees(project, call, function) if target[0].qualname not in seen]
            if not targets or dev_guarded_call(project, function_facts.path, call.span.line):
                continue
            for target in targets:
                if target[0].qualname not in seen:
                    seen.add(target[0].qualname)
                    entered.append((target[0], target[1], [*path, Hop(call, function, function_facts, target[0])]))
        stack.extend(reversed(entered))


def dev_guarded_call(project: Project, path: str, line: int) -> bool:
    """The call sits in an `if` block whose condition names development (`if settings.is_sqlite():`)."""
    source = project.by_path.get(path)
    return source is not None and guarded(source, line)


def _opaque_runner(project: Project, call: Call, seen: frozenset[str]) -> bool:
    """A project function named to run the migrations (`migrate_databases(db, mint_migrations)`) whose body reaches
    no migration the model can follow (it calls the steps it looks up at run time: `for key, migrate in
    module.__dict__.items(): await migrate(db)`): its name is all there is to read, as for a library's."""
    target = project.python.function(call.name)
    return target is not None and not call.receiver and _calls_what_it_is_given(project, target[0]) and next(
        reachable_migrations(project, *target, skip=seen), None) is None


def _calls_what_it_is_given(project: Project, runner: Function) -> bool:
    """The runner, or a function defined in its body, calls a callable a parameter or a loop hands it
    (`await migrate(db)` for each `migrate` of a module's functions, `module.m000_create_table(conn)`): steps
    picked at run time, not a body that only reports (`logger.info(...)`)."""
    for function in (runner, *(f for name, (f, _) in project.python.functions.items()
                               if name.startswith(runner.qualname + "."))):
        given = {param.name for param in function.params} - {"self", "cls"}
        for call in project.python.calls_by_scope.get(function.qualname, []):
            root = call.name.split(".", 1)[0]
            held = function.local(root)
            if root in given or (held is not None and held.kind in {"each", "unpack"}):
                return True
    return False


def project_runner(project: Project, call: Call) -> bool:
    """A call named like a library's migration runner (knowledge/migrations.toml `library_runners`) that is not a
    library's: a function the project itself defines, or a method of an object (`component.apply_migrations()`,
    `self.store.run_migrations()`), whose body is followed instead of its name taken for a migration."""
    return call.name in migration_calls("library_runners") and (
        project.python.function(call.name) is not None or bool(call.receiver) or call.name.startswith(("self.", "cls.")))


def path_text(project: Project, path: list[Hop], function: Function) -> str:
    """`init()` -> `init_database()` runs `initialize_database()` (creates the schema): how a function (a console
    script's, one inline Python calls, a script file's) reaches its migration."""
    migration = path[-1]
    reached = migration_call(migration.call, constructor_on(project, migration), values_on(project, migration))
    callees = [function.qualname, *(hop.callee.qualname for hop in path[:-1] if hop.callee)]
    return " -> ".join(f"`{name.rsplit('.', 1)[-1]}()`" for name in callees) + f" runs {reached}"
