"""Whether one call blocks the event loop, and why (PC501): a blocking function or client method of
knowledge/blocking.toml, a synchronous ORM, a sync SQLAlchemy session, query, engine or inspector, a sync
client handed to a helper that calls its methods unannotated (arguments.py), or a sync session handed to a
helper (sessions.py).
"""
from __future__ import annotations

from prodcheck.model.facts import READ, Call, Function, Value
from prodcheck.model.packed_positions import LINE_SHIFT
from prodcheck.knowledge import listed
from prodcheck.knowledge.blocking import Blocking, Family
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.concurrency.arguments import call_runs, client_argument, sync_function
from prodcheck.rules.concurrency.branches import parameter, touched
from prodcheck.rules.concurrency.buffers import project_buffer
from prodcheck.rules.concurrency.holds import Holding, Holds
from prodcheck.rules.concurrency.queries import query_argument, query_rendered, query_run_later, query_shown
from prodcheck.rules.concurrency.sessions import sync_session_argument
from prodcheck.rules.concurrency.summaries import Why
from prodcheck.rules.concurrency.value_shapes import names_handed


def classify_blocking(index: PythonIndex, call: Call, function: Function) -> Why | None:
    """Why a call blocks the event loop, or None."""
    holds = Holds.of(index)
    kb = holds.kb
    value = call.value
    name = value.text
    if call.flags & READ:
        return _read_blocks(holds, call, function)
    if not call.receiver:
        family = kb.function(name)
        if family is not None:
            if family.buffers and _in_memory(holds, call.value, function, family):
                return None
            if name in family.starts and _waited_later(index, call, function, family):
                return None
            if family.requires and not _set_up(index, function, family.requires):
                return None
            if family.unless and _names_any(call.value, family.unless):
                return None  # `fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)`: fails at once rather than wait
            light = family.light(name) or family.brief_call(value) \
                or (name in family.opens and _handle_offloaded(index, call, function, family))
            return Why(_what(family, name), family.instead, family.warning, light)
        if name in kb.sqlalchemy.inspect:
            inspected = holds.value(call.value.arg(0), function)
            if inspected is not None and inspected.blocking_session:
                return Why("SQLAlchemy inspection of a sync engine", kb.sqlalchemy.instead)
    head, _, method = name.rpartition(".")
    at = value.at  # `value.line`, inline: a property's read is a call of its getter, for every call judged
    line = at >> LINE_SHIFT if type(at) is int else at.line  # type: ignore[union-attr]  # an int or a Span
    held: Holding | None = None  # what the head holds (`self.repo` of `self.repo.get`), asked once for both uses below
    asked = False
    if head and not (not call.receiver and holds.named_after_import(function, name)):
        held, asked = holds.expression(head, function, line=line), True
        why = _method_blocks(index, holds, kb, held, head, method, call, function)
        if why is not None:
            return why
    if not call.receiver and not head and function.qualname:
        picked = _picked_by_name(holds, call, function)
        if picked is not None:
            return picked
    if kb.called and "()" not in name:
        if head and not asked:
            held = holds.expression(head, function, line=line)
        # `llm(prompt)`, `self.llm(prompt)`: a client called as a function; `llm.tokenize()` of a client `llm` is a
        # method of the client, not the client called (judged above)
        if held is None or held.kind != "client":
            holder = holds.expression(name, function, line=line)
            family = holds.family(holder) if holder is not None else None
            if family is not None and family.key in kb.called:
                return Why(f"{family.what} (`{name.rsplit('.', 1)[-1]}()`)", family.instead, family.warning)
    if not value.items and not value.flat_keywords:
        return None  # nothing handed to a helper
    handed = names_handed(value)  # asked once here for the three readers below
    if not handed:
        # no name handed (constants, calls, literals: half the calls with arguments): the three readers below ask
        # only what a name holds, so none finds a client, query or session whatever the call runs; only a DDL
        # call's connection (`metadata.create_all(engine.connect())`) is judged without one
        return sync_session_argument(index, holds, call, function, None, handed)
    # the project function the call runs, found once for the three readers of what its arguments hold
    found = call_runs(index, holds, call, function)
    target = sync_function(found)
    if target is not None:
        handed = _used_by(index, call, target, handed)
        if method not in kb.sqlalchemy.metadata_io and not _holds_any(holds, handed, function):
            # what each name handed holds is `client_argument`'s first question (memoised): when none holds a client
            # of a family, a sync Query or a sync session (most calls), none of the three readers finds anything, so
            # the query and session readers are not run (a DDL call's connection is judged whatever the names hold)
            return None
    return (client_argument(index, holds, call, function, target, handed)
            or query_argument(index, holds, call, function, target, handed)
            or sync_session_argument(index, holds, call, function, found, handed))


_HANDED_SYNC = frozenset({"query", "session"})  # what a handed name holds that a reader judges, by `Holding.kind`


def _holds_any(holds: Holds, handed: list[Value], function: Function) -> bool:
    """Some name handed holds what `client_argument`, `query_argument` or `sync_session_argument` judge: a client of
    a knowledge/blocking.toml family, a sync SQLAlchemy Query or a sync session."""
    for argument in handed:
        held = holds.value(argument, function)
        if held is not None and ((held.ref == "sync" and held.kind in _HANDED_SYNC)
                                 or (held.kind == "client" and holds.family(held) is not None)):
            return True
    return False


def _used_by(index: PythonIndex, call: Call, target: Function, handed: list[Value]) -> list[Value]:
    """`handed` less the last of its arguments that `target` leaves `unused` (branches.py): a parameter the helper
    calls nothing on, hands to no call and binds no other name to gets a client whose method it calls
    (arguments.py), a query it runs (queries.py) or a session it queries with (sessions.py, which passes over the
    call when the first argument holding a session is such: `_passed_through`) from no argument, so none of the
    three readers asks what those hold. Only the last ones: an earlier one may be the first holding a session."""
    found: dict[str, frozenset[str]] = index.__dict__.setdefault("_touched_names", {})
    used = found.get(target.qualname)
    if used is None:
        used = found[target.qualname] = touched(index.calls_by_scope.get(target.qualname, ()), target)
    end = len(handed)
    while end and (name := parameter(call, target, handed[end - 1])) is not None and name not in used:
        end -= 1
    return handed if end == len(handed) else handed[:end]


def _names_any(value: Value, names: frozenset[str], depth: int = 0) -> bool:
    """Whether an argument of the call (or a part of one: `LOCK_EX | LOCK_NB`) is one of `names`."""
    for item in (*value.items, *value.keyword_values):
        if item.kind == "name" and item.text in names:
            return True
        if item.kind in {"binop", "boolop"} and depth < 4 and _names_any(item, names, depth + 1):
            return True
    return False


def _picked_by_name(holds: Holds, call: Call, function: Function) -> Why | None:
    """`request_fn = getattr(requests, method.lower())` then `request_fn(url, ...)`: a function of a module whose
    listed functions all block (Blocking.module_family), or a method of a sync client whose every method but
    its `safe` ones blocks, picked by a name known only at run time, and called."""
    local = holds.local(function, call.name, call.line)
    if local is None or local.kind != "call" or local.text != "getattr" or len(local.items) < 2 \
            or local.items[1].is_str or local.items[0].kind != "name":
        return None
    target = local.items[0]
    family = holds.kb.module_family(target.text)
    if family is None:
        held = holds.value(target, function)
        family = holds.family(held) if held is not None and held.kind == "client" else None
        if family is None or family.methods is not None or family.cpu:
            return None
    return Why(f"{family.what} (`{call.name}()`, picked from `{target.text}` by name)", family.instead, family.warning)


def _read_blocks(holds: Holds, read: Call, function: Function) -> Why | None:
    """`result.status` of a Celery AsyncResult: an attribute of a client whose read asks a server
    (knowledge/blocking.toml `attributes`)."""
    head, _, attribute = read.name.rpartition(".")
    holder = holds.expression(head, function, line=read.line) if head else None
    if holder is None or holder.kind != "client":
        return None
    family = holds.kb.families[holder.ref]
    if attribute not in family.attributes:
        return None
    short = head.rsplit(".", 1)[-1].replace("[]", "[...]")
    return Why(f"{family.read_what} (`{short}.{attribute}`)", family.read_instead, family.warning)


def _model_query(index: PythonIndex, head: str, call: Call, function: Function) -> bool:
    """`session.query(User).filter(...).first()` on a session the model cannot follow (a factory handed in by a
    dependency-injection container): a Query of a project ORM model class (one with `__tablename__`,
    https://docs.sqlalchemy.org/en/20/orm/declarative_tables.html) is a sync Session's, as only a sync Session
    has `query()` (knowledge/blocking.toml [sqlalchemy] query_classes)."""
    parts = head.split(".")
    at = next((i for i, part in enumerate(parts) if part == "query()"), None)
    if not at:
        return False
    builder = ".".join([*parts[:at], "query"])
    for built in index.calls_by_scope.get(function.qualname, ()):
        if built.name == builder and built.line <= call.line:
            model = built.value.arg(0)
            if model is None or model.kind != "name":
                continue
            resolved = index.resolve_written(model.text, function)  # `app.models.User` with the root above `app`
            if resolved is not None and resolved.cls and index.assigns.get(f"{resolved.qualname}.__tablename__"):
                return True
    return False


def _in_memory(holds: Holds, value: Value, function: Function, family: Family) -> bool:
    """`zipfile.ZipFile(io.BytesIO(data))`, `tarfile.open(fileobj=buffer)` with `buffer = io.BytesIO()`: the
    file argument (the family's `file_argument`, else the first) is an in-memory buffer of knowledge/blocking.toml
    (directly or through a local variable)."""
    buffers = family.buffers
    argument = value.kwarg("fileobj") or value.kwarg("file") or (
        family.file_keyword and value.kwarg(family.file_keyword)) or value.arg(family.file_position)
    if argument is not None and argument.kind == "name" and "." not in argument.text:
        argument = holds.local(function, argument.text)
    return argument is not None and argument.kind == "call" and (
        argument.text in buffers or project_buffer(holds.index, argument.text))


def _waited_later(index: PythonIndex, call: Call, function: Function, family: Family) -> bool:
    """`proc = subprocess.Popen(...)` then `proc.wait()` in the same function: the wait is the stall, reported
    there; the constructor only starts the child (knowledge/blocking.toml `starts`)."""
    kept = {name for name, value, _ in function.locals if value.kind == "call" and value.at == call.value.at}
    return bool(kept) and any(
        other.receiver in kept and other.name.rsplit(".", 1)[-1] in (family.methods or ())
        for other in index.calls_by_scope.get(function.qualname, []))


def _handle_offloaded(index: PythonIndex, call: Call, function: Function, family: Family) -> bool:
    """`with path.open("rb") as f: data = await asyncio.to_thread(f.read)`: the function hands a method of the handle
    it opens to a thread ([offload]) and calls none of the family's methods on it itself, so only the open, one
    metadata operation, runs on the loop (knowledge/blocking.toml `opens`)."""
    kept = {name for name, value, _ in function.locals if value.kind == "call" and value.at == call.value.at}
    if not kept:
        return False
    handed = False
    offload_functions, offload_methods = listed("blocking", "offload", "functions"), listed("blocking", "offload", "methods")
    for other in index.calls_by_scope.get(function.qualname, []):
        if other.receiver in kept and not other.offloaded and other.name.rsplit(".", 1)[-1] in (family.methods or ()):
            return False  # `f.read()` on the loop: the file's I/O is here too
        if other.name in offload_functions or other.name.rsplit(".", 1)[-1] in offload_methods:
            handed = handed or any(item.kind == "name" and item.text.partition(".")[0] in kept and "." in item.text
                                   for item in other.value.items)
    return handed


def _set_up(index: PythonIndex, function: Function, required: frozenset[str]) -> bool:
    """`registry = CollectorRegistry(); MultiProcessCollector(registry); generate_latest(registry)`: the function,
    or its module at top level, calls one of `required` (knowledge/blocking.toml `requires`)."""
    if any(other.name in required for other in index.calls_by_scope.get(function.qualname, ())):
        return True
    found = index.functions.get(function.qualname)
    return found is not None and any(other.name in required for other in found[1].calls if not other.scope)


def _orm_blocks(holds: Holds, holder: Holding, method: str, short: str) -> Why | None:
    """`User.get_or_none(...)`, `user.save()`, `Usage.select().where(...).get()` on a model of a synchronous ORM
    (knowledge/blocking.toml [orm]), unless the project's model defines that method itself (followed as a helper)."""
    if holder.kind == "query" and holder.ref.startswith("orm:"):
        orm = holds.kb.orms[holder.ref[4:]]
        return Why(f"{orm.what} query (`{short}.{method}()`)", orm.instead) if method in orm.query_io else None
    if holder.kind not in {"class", "object"}:
        return None
    # `chosen: Visit | Note`: either class may be the one a request holds, so the call stalls when any member's
    # ORM runs it (a member defining the method itself is followed as a helper: callees.py `_union_targets`)
    for member in holder.ref.split("|"):
        orm = holds.orm(member)
        if orm is None or holds.method(member, method) is not None:
            continue
        if method in (orm.class_io if holder.kind == "class" else orm.instance_io):
            return Why(f"{orm.what} (`{short}.{method}()`)", orm.instead)
    return None


def _what(family: Family, name: str) -> str:
    """`os.system()` (`subprocess`, which waits for the child process): the call, then the family."""
    if family.key == "file":
        return f"file I/O with `{name.rsplit('.', 1)[-1]}()`"
    shown = ".".join(name.split(".")[-2:])
    if f"`{shown}()`" in family.what:
        return family.what
    return f"`{shown}()` ({family.what})"


def _method_blocks(index: PythonIndex, holds: Holds, kb: Blocking, holder: Holding | None, head: str, method: str,
                   call: Call, function: Function) -> Why | None:
    """Why `head.method()` blocks, `holder` being what `head` holds (`kb`: `holds.kb`, read once by the caller)."""
    if holder is not None and holder.kind == "object":
        holder = holds.delegate(holder.ref, method) or holder  # a wrapper whose `__getattr__` forwards to a client
    if holder is None:
        if method in kb.sqlalchemy.query_io and _model_query(index, head, call, function):
            return Why(f"sync SQLAlchemy query `{query_shown(head, kb.sqlalchemy.query_builders)}.{method}()`",
                       kb.sqlalchemy.instead)
        if kb.celery is not None and method in kb.celery.task_methods:
            task = index.function(head)
            if task is not None and any(d.last in kb.celery.task_decorators for d in task[0].decorators):
                return Why(f"`{method}()` of a Celery task, which publishes to the broker", kb.celery.instead)
        return None
    short = head.rsplit(".", 1)[-1].replace("[]", "[...]")
    if short == "joinpath()":  # `(root / name).open()`, named `root.joinpath().open` by the extraction
        short = f"({head[:-len('.joinpath()')].rsplit('.', 1)[-1]} / ...)"
    if holder.kind == "module":  # `stripe = load_stripe()` ... `stripe.Customer.create()`: the module's function
        family = kb.function(f"{holder.ref}.{method}")
        qualified = f"{holder.ref}.{method}"
        return Why(_what(family, qualified), family.instead, family.warning, family.light(qualified)) if family else None
    if holder.kind == "client":
        family = kb.families[holder.ref]
        if family.buffers and _in_memory(holds, call.value, function, family):
            return None  # `image.save(io.BytesIO())`: encoding into memory
        if family.untargeted and family.returns_output(method, call.value):
            return None  # `df.to_json(orient="records")`: no file given, the text is returned
        if family.through and not family.through.intersection(head.split(".")[1:]):
            return None  # `upload.read()`: the object's own methods are coroutines; `upload.file.read()` blocks
        if family.method_blocks(method):
            light = family.light(method) or (method in family.opens and _handle_offloaded(index, call, function, family))
            return Why(f"{family.what} (`{short}.{method}()`)", family.instead, family.warning, light)
        return None
    orm_why = _orm_blocks(holds, holder, method, short)
    if orm_why is not None:
        return orm_why
    if holder.kind == "object" and "|" not in holder.ref and holds.method(holder.ref, method) is None:
        inherited = holds.client_base(holder.ref)  # `class MailServer(smtplib.SMTP)`: `server.login()` is SMTP's
        if inherited is not None and inherited.method_blocks(method) and (
                not inherited.through or inherited.through.intersection(head.split(".")[1:])):
            return Why(f"{inherited.what} (`{short}.{method}()`)", inherited.instead, inherited.warning,
                       inherited.light(method))
    sql = kb.sqlalchemy
    if holder.kind == "session" and holder.ref == "sync" and method in sql.session_io:
        if method in sql.query_builders and (query_run_later(index, holds, call, function, sql.query_io)
                                          or query_rendered(index, call, function, sql)):
            return None  # the Query is run by a later call of this function (reported there), or only rendered
        return Why(f"sync SQLAlchemy session call `{short}.{method}()`", sql.instead)
    if holder.kind == "query" and holder.ref == "sync" and method in sql.query_io:
        return Why(f"sync SQLAlchemy query `{query_shown(head, sql.query_builders)}.{method}()`", sql.instead)
    if holder.kind == "engine" and holder.ref == "sync" and method in sql.engine_io:
        return Why(f"sync SQLAlchemy engine call `{short}.{method}()`", sql.instead)
    if holder.kind == "inspector" and (method.startswith(("get_", "has_")) or method == "reflect_table"):
        return Why(f"SQLAlchemy inspection `{method}()` on a sync engine", sql.instead)
    return None
