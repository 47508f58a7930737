"""Where a sync SQLAlchemy `Query` sends its SQL: `db.query(X)` builds one and sends nothing; a loading method
(`.all()`, `.count()`, knowledge/blocking.toml [sqlalchemy] query_io) runs it, and rendering it (`str(q)`,
`q.statement`, `q.subquery()`: [sqlalchemy] query_renders, render_functions) only compiles SQL text.

A query-builder call is reported where the function runs the query (`query_run_later`), or where it hands the
query to a project helper that runs it (`query_argument`: `pagination.paginate(query)` with `def paginate(self,
results): total = results.count()`), nowhere when the function only renders it (`query_rendered`: the SQL text is
what something else runs, reported there), and where it is built otherwise (handed to a library, returned,
iterated: its run is not seen here).
"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.knowledge.blocking import SqlAlchemy
from prodcheck.model.facts import Call, Function, Value
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.concurrency.arguments import MAX_HANDS, sync_target
from prodcheck.rules.concurrency.branches import parameter, possible
from prodcheck.rules.concurrency.holds import Holds
from prodcheck.rules.concurrency.summaries import Why

_NESTING = 6  # how deep inside call arguments a reference to the query is looked for


def _kept(call: Call, function: Function) -> tuple[tuple[int, int], set[str]]:
    """Where the query call starts (a chain built on it starts there too) and the locals bound to that chain:
    one starting where the call does, or, for a chain in parentheses (`q = (db.query(X).join(Y)).options(Z)`,
    which starts at the parenthesis), the nearest one before it whose text begins with the call's."""
    start = (call.line, call.span.column)
    kept = {name for name, value, _ in function.locals
            if value.kind == "call" and (value.line, value.span.column) == start}
    if not kept:
        prefix = call.value.text + "()"
        enclosing = [((value.line, value.span.column), name) for name, value, _ in function.locals
                     if value.kind == "call" and value.text.startswith(prefix)
                     and (value.line, value.span.column) <= start]
        if enclosing:
            kept = {max(enclosing)[1]}
    return start, kept


def query_run_later(index: PythonIndex, holds: Holds, call: Call, function: Function, runs: frozenset[str]) -> bool:
    """`db.query(X)` whose Query this function runs with one of `runs` (knowledge/blocking.toml [sqlalchemy]
    query_io): in the same chain (`db.query(X).filter(...).first()`, which starts where the query call does) or
    on a local it was kept in (`q = db.query(X)` ... `q.count()`), when that run is known to run this query.
    Building the Query sends nothing; the run is the stall, reported once, where it happens."""
    start, kept = _kept(call, function)
    for other in index.calls_by_scope.get(function.qualname, []):
        if other is call or other.name.rsplit(".", 1)[-1] not in runs:
            continue
        # `q.offset(n).limit(k).all()` is called on a call's result: its receiver is no name, the chain's head is
        if (other.line, other.span.column) == start or (other.receiver or other.name.partition(".")[0]) in kept:
            held = holds.expression(other.name.rpartition(".")[0], function, line=other.line)
            if held is not None and held.kind == "query":
                return True  # the run is judged a query's: reported there
        # `pagination.paginate(q)`: handed to a helper that runs it, reported at that call (`query_argument`)
    for other in index.calls_by_scope.get(function.qualname, []):
        if other is call:
            continue
        for argument in (*other.value.items, *other.value.keyword_values):
            if argument.kind == "name" and argument.text in kept and _run_by(index, holds, other, function, argument,
                                                                               runs) is not None:
                return True
    return False


def query_argument(index: PythonIndex, holds: Holds, call: Call, function: Function,
                   target: Function | None, handed: list[Value]) -> Why | None:
    """`pagination.paginate(query)`, `query` a sync Session's Query kept in a local, `paginate` the project's sync
    function that runs it (`results.count()`, `results.limit(n).all()` on its parameter, or a helper it hands it
    on to does): the query's SQL is sent inside that call, on the loop's thread. Reported at the call, as the
    line of the request path where it happens; the builder (`db.query(X)`) stays quiet (`query_run_later`).
    `target`: the call's `sync_target` (none: no helper runs anything, whatever the arguments hold); `handed`: the
    call's `names_handed`."""
    value = call.value
    if target is None or (not value.items and not value.flat_keywords):
        return None
    sql = holds.kb.sqlalchemy
    for argument in handed:
        found = _run_by(index, holds, call, function, argument, sql.query_io, target)
        if found is not None:
            param, method, helper = found
            return Why(f"`{value.last}()` runs the sync SQLAlchemy query `{argument.text.rsplit('.', 1)[-1]}` "
                       f"(`{param}.{method}()` in `{helper}`)", sql.instead)
    return None


def _run_by(index: PythonIndex, holds: Holds, call: Call, function: Function, argument: Value,
            runs: frozenset[str], target: Function | None = None) -> tuple[str, str, str] | None:
    """(parameter, method, helper) when `argument` holds a sync Query and the project function the call runs
    (`target`, when the caller has it) runs it on the parameter the call binds it to."""
    held = holds.value(argument, function)
    if held is None or held.kind != "query" or held.ref != "sync":
        return None
    target = target or sync_target(index, holds, call, function)
    return _runs_on(index, holds, call, target, argument, runs, 0, frozenset({function.qualname})) \
        if target is not None else None


def _runs_on(index: PythonIndex, holds: Holds, call: Call, target: Function, argument: Value, runs: frozenset[str],
             depth: int, seen: frozenset[str]) -> tuple[str, str, str] | None:
    """The first loading method `target` calls on the parameter the call binds `argument` to, past any builder
    (`results.limit(n).offset(m).all()`), or that a sync helper it hands the parameter on to calls. A
    parameter the helper rebinds to something not built from it (`results = []`) is followed only above that line."""
    name = parameter(call, target, argument)
    if name is None or name in {"self", "cls"} or depth > MAX_HANDS or target.qualname in seen:
        return None
    # `results = []` before the run: what is run is no longer the query (a rebinding built from it is)
    replaced = min((value.line for bound, value, _ in target.locals
                    if bound == name and not _derived(value, name, 0)), default=None)
    prefix = name + "."
    for inner in index.calls_by_scope.get(target.qualname, ()):
        if inner.offloaded or inner.awaited or (replaced is not None and inner.line > replaced) \
                or not possible(target.needs(inner.line), call, target):
            continue  # `if not skip_count: results.count()` with `skip_count=True` given: not run by this call
        text = inner.value.text
        if text.startswith(prefix):
            method = text.rsplit(".", 1)[-1]
            if method in runs and "[]" not in text:
                return name, method, target.qualname.rsplit(".", 1)[-1]
            continue
        for given in (*inner.value.items, *inner.value.keyword_values):
            if given.kind == "name" and given.text == name:
                helper = sync_target(index, holds, inner, target)
                found = _runs_on(index, holds, inner, helper, given, runs, depth + 1, seen | {target.qualname}) \
                    if helper is not None else None
                if found is not None:
                    return found
    return None


def _derived(value: Value, name: str, depth: int) -> bool:
    """The value is built from `name` (`results.limit(n)`, `cls.select_or_noload(results, includes)`)."""
    if depth > _NESTING:
        return False
    if value.kind in {"name", "call"} and value.text.partition(".")[0] == name:
        return True
    return any(_derived(item, name, depth + 1) for item in (*value.items, *(v for _, v in value.keywords)))


def query_rendered(index: PythonIndex, call: Call, function: Function, sql: SqlAlchemy) -> bool:
    """`str(db.query(X).filter(...))`, `q = db.query(X)` ... `pd.read_sql(q.statement, engine)`: every use of
    the query this function's facts record renders it (an argument of `str()`, or its `.statement` /
    `.subquery()` read), and there is at least one. Compiling a Query to SQL text sends nothing
    (https://docs.sqlalchemy.org/en/20/faq/sqlexpressions.html#rendering-sql-expressions-as-strings-possibly-with-bound-parameters-inlined);
    whatever runs that text is judged on its own. A use the facts do not hold (a `for` loop over the local)
    is not seen: a query that is rendered and also iterated is taken as rendered."""
    start, kept = _kept(call, function)
    if kept and all(_renders(value, "", start, kept, sql) for name, value, _ in function.locals if name in kept
                    and value.kind == "call" and (value.line, value.span.column) <= start):
        # `sub = db.query(X.id).filter(...).scalar_subquery()`: what the local holds is the construct, not the query
        return True
    rendered = False
    for use, parent in _uses(index, function, start, kept):
        if not _renders(use, parent, start, kept, sql):
            return False
        rendered = True
    return rendered


def _uses(index: PythonIndex, function: Function, start: tuple[int, int],
          kept: set[str]) -> Iterator[tuple[Value, str]]:
    """Every recorded value that refers to the query (the chain starting at `start`, or one of the `kept`
    locals), with the name of the call it is an argument of ("" for a local's value or a return)."""
    # A bound value (a local, a return, an attribute assigned) is itself a use (`q2 = q`, `return q`); a call
    # is looked into for its arguments only, as a chain on the query is recorded as a call of its own too
    # (`str(q.filter(x))` holds the call `q.filter(x)`, whose use is the argument of `str()`).
    bound = [value for _name, value, _ in function.locals
             if not (value.kind == "call" and (value.line, value.span.column) == start)]
    bound.extend(function.returns)
    facts = index.functions[function.qualname][1] if function.qualname in index.functions else None
    bound.extend(assign.value for assign in (facts.assigns if facts else ())
                 if assign.scope == function.qualname and "." in assign.target)  # `self.q = ...`; locals are above
    for value in bound:
        yield from _references(value, "", start, kept, 0, True)
    for call in index.calls_by_scope.get(function.qualname, []):
        yield from _references(call.value, "", start, kept, 0, False)


def _references(value: Value, parent: str, start: tuple[int, int], kept: set[str], depth: int,
                itself: bool) -> Iterator[tuple[Value, str]]:
    if depth > _NESTING:
        return
    head = value.text.partition(".")[0]
    if itself and ((value.line, value.span.column) == start or (value.kind in {"name", "call"} and head in kept)):
        yield value, parent
        return
    name = value.text if value.kind == "call" else ""
    for item in (*value.items, *(item for _, item in value.keywords)):
        yield from _references(item, name, start, kept, depth + 1, True)


def _renders(use: Value, parent: str, start: tuple[int, int], kept: set[str], sql: SqlAlchemy) -> bool:
    """The use compiles the query to SQL: it is `str()`'s argument, or it reads a rendering attribute of the
    query (`q.statement`, `db.query(X).filter(...).subquery()`, past any builder in between)."""
    if parent in sql.render_functions:
        return True
    parts = use.text.split(".")
    if (use.line, use.span.column) == start:
        builder = next((i for i, part in enumerate(parts) if part.removesuffix("()") in sql.query_builders), None)
        after = parts[builder + 1:] if builder is not None else []
    else:
        after = parts[1:] if parts[0] in kept else []
    return any(part.removesuffix("()") in sql.query_renders for part in after)


def query_shown(head: str, builders: frozenset[str]) -> str:
    """`db.query(...)` for the chain `self.db.query().filter()`, `q` for a local holding the query."""
    parts = head.split(".")
    for i, part in enumerate(parts):
        if part.endswith("()") and part[:-2] in builders:
            return ".".join([*parts[max(i - 1, 0):i], f"{part[:-2]}(...)"])
    return parts[-1].replace("[]", "[...]")
