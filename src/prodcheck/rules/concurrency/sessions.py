"""A sync SQLAlchemy session handed to a helper the project does not define in a way we can follow
(`crud.get_user(db, id)`): the helper queries on the loop, unless it is a logger, the session's own
method, a class keeping it, a helper that only hands it back, or a module the parse prefilter left unread.
"""
from __future__ import annotations

from prodcheck.model.facts import Call, Function, PyFacts, Value
from prodcheck.knowledge.databases import sync_session_objects
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.concurrency.branches import parameter, possible, stored, unused
from prodcheck.rules.concurrency.callables import partials
from prodcheck.rules.concurrency.callees import object_target
from prodcheck.rules.concurrency.holds import Holds
from prodcheck.rules.concurrency.queries import query_rendered, query_run_later
from prodcheck.rules.concurrency.summaries import Why


def sync_session_argument(index: PythonIndex, holds: Holds, call: Call, function: Function,
                          found: tuple[Function, PyFacts] | None, handed: list[Value]) -> Why | None:
    """A sync session handed to a helper the project does not define in a way we can follow
    (`crud.get_user(db, id)` with an unannotated parameter): the helper queries on the loop. `found`: the
    project function the call runs, as the caller found it when the call's name has no `()`; `handed`: the call's
    `names_handed` (value_shapes.py).

    What the call is (a logger's method, a constructor, a helper the session is not followed into ...) is
    asked before what its arguments hold: most calls are ruled out by their name, and what an argument holds
    is the costly question."""
    value = call.value
    if not value.items and not value.flat_keywords:
        return None
    sql = holds.kb.sqlalchemy
    if value.text.rpartition(".")[2] in sql.metadata_io:
        connection = holds.value(value.arg(0) or value.kwarg("bind"), function)
        if connection is not None and connection.blocking_session:
            return Why(f"`{value.last}()` DDL through a sync SQLAlchemy connection", sql.instead)
    # Only a name (`db`, `self.db`) is asked what it holds below: a call given none (constants, calls, literals:
    # half the calls with arguments on polar) hands no session, whatever its name says.
    if not handed:
        return None
    name = value.text
    if _quiet_by_name(index, holds, name):
        return None
    target = found if "()" not in name else index.call_target(call, function) or object_target(index, holds, call, function)
    if target is None and call.receiver and name.startswith(call.receiver + ".") and name.count(".") == 1:
        # the session's own methods are judged above; a list's, a logger's or another library object's method
        # keeps or formats it. A local built from a project class (`kept = Recorder()`) is followed as a target.
        return None
    if target is not None and (target[0].is_async or target[0].qualname.endswith(".__init__")):
        return None
    if target is None:
        if "." not in name and any(param.name == name for param in function.params):
            return None  # `checker(claims, db)`: a callable the caller (or `Depends`) hands in; what it does is not known
        resolved = index.resolve(name)
        if resolved is not None and resolved.cls:
            return None  # a project class keeping the session for later
        if _unread(index, holds, name, function) or _undefined_member(holds, name, function):
            return None
    session = passed = None
    for argument in handed:
        # a local or parameter (`db`), an attribute (`self.db` kept from `__init__(self, db: Session)`), a
        # project module's global (`session = SessionLocal()`), fastapi-sqlalchemy's `db.session`
        held = holds.value(argument, function)
        if held is not None and held.kind == "session" and held.ref == "sync":
            session = _as_written(index, argument.text)
            passed = argument
            break
    if session is None or passed is None:
        return None
    if target is not None and (_passed_through(index, call, target[0], passed)
                               or _ruled_out(index, call, target[0], passed)
                               or _only_quiet_methods(index, call, target[0], passed, sql.session_io)):
        return None
    if target is not None and _query_run_here(index, holds, call, function):
        return None
    return Why(f"`{name.rsplit('.', 1)[-1]}()` called with the sync SQLAlchemy session `{session}`", sql.instead)


def _quiet_by_name(index: PythonIndex, holds: Holds, name: str) -> bool:
    """What the call's name alone says: it looks at or formats its arguments (`len`, a logger's method), it is a
    constructor, or it binds or picks what runs later. Kept by name on the index: PC501 asks it of every call
    handed a name, most of them under a few names (`logger.info`, `len`, `str`)."""
    answers: dict[str, bool] = index.__dict__.setdefault("_session_quiet_names", {})
    found = answers.get(name)
    if found is None:
        found = answers[name] = (
            name in holds.kb.not_io.functions or _logs(index, holds, name) or name.endswith("__init__")
            # `partial(build, session=db)` binds the session: what calls the partial runs the helper
            or name in partials()
            # `REGISTRY.get(kind, Default)(db)`: what a call returned is called, a class as often as a query;
            # `HANDLERS[kind](db)`: an entry of a table, followed into each function the table names (dispatch.py)
            or name.endswith(("()", "[]")))
    return found


def _query_run_here(index: PythonIndex, holds: Holds, call: Call, function: Function) -> bool:
    """`query = people_query(db)` with a helper that builds a Query on the session and returns it unrun: this
    function runs it later (`query.count()`) or hands it to a helper that does (`paginate(query)`), reported
    there, or only renders it; building it sent nothing (queries.py, as for `db.query(X)` written here)."""
    held = holds.value(call.value, function)
    if held is None or held.kind != "query" or held.ref != "sync":
        return False
    sql = holds.kb.sqlalchemy
    return query_run_later(index, holds, call, function, sql.query_io) or query_rendered(index, call, function, sql)


def _as_written(index: PythonIndex, text: str) -> str:
    """How the code names the session: `self.db`, `session` for a project module's global (recorded under its
    module, `app.db.session`), `db.session` for a library's (not `fastapi_sqlalchemy.db.session`)."""
    if "." not in text or text.startswith(("self.", "cls.")):
        return text
    if text not in sync_session_objects():
        resolved = index.resolve(text)
        if resolved is not None and resolved.assign is not None:
            return text.rsplit(".", 1)[-1]
    return ".".join(text.split(".")[-2:])


def _passed_through(index: PythonIndex, call: Call, target: Function, argument: Value) -> bool:
    """The helper only tests the session or hands it back (`with existed_or_new_session(db) as db:`), keeps it
    in a list for later (`PENDING.append(db)`), or builds an object with it (`return Repositories(session)`, a
    factory): what is then done with it is judged where it is done."""
    name = parameter(call, target, argument)
    calls = index.calls_by_scope.get(target.qualname, ())
    return name is not None and (unused(calls, target, name) or stored(calls, target, name)
                                 or _constructed(index, calls, target, name))


def _only_quiet_methods(index: PythonIndex, call: Call, target: Function, argument: Value,
                        session_io: frozenset[str]) -> bool:
    """The helper only calls methods of the session that send nothing (`db.add(row)`: knowledge/blocking.toml
    [sqlalchemy] session_io lists those that do), hands it to nothing and keeps it in no local: handing it the session
    blocks nothing (its parameter is unannotated, so its body's calls are not judged as a session's)."""
    name = parameter(call, target, argument)
    uses = _session_uses(index, target, name) if name is not None else None
    if name is None or not uses:
        return False
    for use in uses:
        if _handed(use, name):
            return False  # handed on (`repo.save(db, row)`)
        if use.value.text != f"{name}.{use.value.last}" or use.value.last in session_io:
            return False  # `db.commit()`, `db.query(X)...`: it talks to the database
    return True


def _ruled_out(index: PythonIndex, call: Call, target: Function, argument: Value) -> bool:
    """Every use the helper makes of the session is on a line its parameters guard, and this call's constants (or
    the defaults it leaves) fail each guard: `validate_token(token, db=db)` never reaches `if check_denylist:`
    `db.query(...)` when `check_denylist` defaults to False (branches.py, as for what the helper's summary reaches).
    A function nested in the helper may use the session anywhere: then nothing is ruled out."""
    name = parameter(call, target, argument)
    if name is None or not target.guards:
        return False
    uses = _session_uses(index, target, name)
    if not uses:
        return False
    return not any(possible(target.needs(use.line), call, target) for use in uses)


def _session_uses(index: PythonIndex, target: Function, name: str) -> list[Call] | None:
    """The helper's calls that use its session parameter `name`, as the receiver or chain head (`db.add(row)`) or as
    an argument; None when it keeps the session in a local or defines a function, either of which may use it anywhere."""
    if any(value.kind == "name" and value.text == name for _, value, _ in target.locals):
        return None
    facts = index.functions[target.qualname][1]
    if any(inner.qualname.startswith(target.qualname + ".") for inner in facts.functions):
        return None
    return [use for use in index.calls_by_scope.get(target.qualname, ()) if _owned(use, name) or _handed(use, name)]


def _owned(call: Call, name: str) -> bool:
    """A method of the session named `name` (or a chain on it) is called."""
    return call.receiver == name or call.value.text.startswith(name + ".")


def _handed(call: Call, name: str) -> bool:
    """The session named `name` (or an attribute of it) is an argument of the call."""
    prefix = name + "."
    return any(a.kind == "name" and (a.text == name or a.text.startswith(prefix))
               for a in (*call.value.items, *call.value.keyword_values))


def _constructed(index: PythonIndex, calls: tuple[Call, ...], target: Function, name: str) -> bool:
    """The helper only hands the session to project classes (`return AllRepositories(db, group_id=...)`), or to a
    class it picks at run time (`PARSERS.get(kind, Default)(group, db)`, read as such in the caller above): a class
    keeping it for later, as a construction in the caller is read above; what its methods do is judged there."""
    kept = False
    for call in calls:
        value = call.value
        if _owned(call, name):
            return False
        if _handed(call, name):
            if not value.text.endswith("()"):
                resolved = index.resolve(value.text)
                if resolved is None or not resolved.cls:
                    return False
            kept = True
    return kept and not any(value.kind == "name" and value.text == name for _, value, _ in target.locals)


def _unread(index: PythonIndex, holds: Holds, name: str, function: Function) -> bool:
    """The helper is the project's own, in a file the parse prefilter left unread (`recorder.record(db)` with
    `recorder = Recorder()` in such a module, or `Recorder` built in a local): it holds no word of the blocking
    knowledge, and what it does with the session is not known, so it is no evidence of a query."""
    if index.in_unread_module(name):
        return True
    head = name.partition(".")[0]
    if head != name and "()" not in head:
        local = holds.local(function, head)
        if local is not None and local.kind == "call" and "()" not in local.text and index.in_unread_module(local.text):
            return True
    return False


def _undefined_member(holds: Holds, name: str, function: Function) -> bool:
    """`book.pages.keep(db)` with `book` a project object whose class (and its project bases) defines no `pages`:
    a method, attribute, field or `__getattr__` of none of them. What the attribute is, and so what its method
    does with the session, is not known: no evidence of a query."""
    parts = name.split(".")[:-1]
    for end in range(1, len(parts)):
        holder = holds.expression(".".join(parts[:end]), function)
        if holder is None or holder.kind != "object" or "|" in holder.ref:
            continue
        attribute = parts[end]
        if "()" in attribute or "[]" in attribute:
            return False
        return not any(f"{owner}.{attribute}" in holds.index.functions or (owner, attribute) in holds.attributes
                       or f"{owner}.{attribute}" in holds.index.annotations or f"{owner}.__getattr__" in holds.index.functions
                       for owner in holds.mro(holder.ref))
    return False


def _logs(index: PythonIndex, holds: Holds, name: str) -> bool:
    """`logger.info(db)`: a method of a logger (a logging module's own functions, a module global or an
    attribute bound to `logging.getLogger(...)`, a name conventionally bound to a logger) formats its
    arguments and queries nothing."""
    kb = holds.kb.not_io
    head, _, _ = name.rpartition(".")
    if not head:
        return False
    if any(head == module or head.startswith(module + ".") for module in kb.logger_modules):
        return True
    if head.rsplit(".", 1)[-1] in kb.logger_names:
        return True  # a name conventionally bound to a logger (`app.routes.log.info`: a module's logger)
    if "." not in head:
        # `trail.info(db)` on a local: the caller never judges a method called on a local (the
        # receiver check after this one), whatever the local holds; other bare names are unknown.
        return False
    built = index.constructor_of(head)
    return built is not None and built in kb.logger_factories
