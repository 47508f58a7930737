"""Which `async def` functions run on the event loop for requests, and what blocks in them.

Shared by PC501 (blocking I/O) and PC503 (CPU-bound calls): both need the async functions on the
request path (routes, their `Depends` chains, middleware, lifespan and startup handlers, and the async
helpers those await) and the project's own sync helpers called from them, followed transitively.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from prodcheck.model.facts import Call, Function, PyFacts, Value
from prodcheck.model.files import Context
from prodcheck.project import Project
from prodcheck.extract.once import MEMO_DECORATORS
from prodcheck.knowledge.blocking import Family
from prodcheck.knowledge.databases import sync_session_objects
from prodcheck.knowledge.frameworks import route_methods
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.concurrency.branches import Cycles, first_possible, parameter, unused
from prodcheck.rules.concurrency.callables import Callables, is_partial
from prodcheck.rules.concurrency.deferred import deferred_tasks
from prodcheck.rules.concurrency.dispatch import dispatched
from prodcheck.rules.concurrency.endpoints import endpoint_entries
from prodcheck.rules.concurrency.holds import Holding, Holds
from prodcheck.rules.concurrency.queries import query_rendered, query_run_later, query_shown
from prodcheck.rules.concurrency.sockets import socket_handlers

@dataclass(frozen=True, slots=True)
class Entry:
    function: Function
    facts: PyFacts
    why: str  # "route GET /orders/{id}", "dependency of ...", "middleware", "lifespan"


def request_path(index: PythonIndex, include_startup: bool = True) -> dict[str, Entry]:
    """Async functions run on the event loop for requests (and at start-up), with the reason.

    `include_startup=False` leaves out lifespans and startup handlers (and what only they await):
    for costs that matter per request, not once per process."""
    memo = index.__dict__.setdefault("_request_path", {})
    if include_startup not in memo:
        memo[include_startup] = _walk_request_path(index, include_startup)
    return memo[include_startup]


def _walk_request_path(index: PythonIndex, include_startup: bool) -> dict[str, Entry]:
    found: dict[str, Entry] = {}
    stack: list[Entry] = []
    for route in index.routes:
        method = route.method.upper() + " " if route.method not in {"api_route", "route"} else ""  # any method
        paths = sorted(index.full_paths(route)) or [route.path]
        stack.append(Entry(route.function, route.facts, f"route {method}{paths[0]}"))
        for dependency, dep_facts in index.dependency_functions(route.function):
            stack.append(Entry(dependency, dep_facts, f"dependency of `{route.function.qualname.rsplit('.', 1)[-1]}`"))
    for function, facts, how in (*_registered_by_call(index), *endpoint_entries(index)):
        stack.append(Entry(function, facts, how))
        for dependency, dep_facts in index.dependency_functions(function):
            stack.append(Entry(dependency, dep_facts, f"dependency of `{function.qualname.rsplit('.', 1)[-1]}`"))
    for function, facts in index.middleware_functions:
        stack.append(Entry(function, facts, "middleware"))
    for function, facts, how in socket_handlers(index):
        stack.append(Entry(function, facts, how))
    for function, facts, how in (index.startup_hooks if include_startup else ()):
        stack.append(Entry(function, facts, how))
    holds = Holds.of(index)
    # A route awaited by another route is reported as the route it is: every root is placed first.
    roots: dict[str, Entry] = {}
    for entry in reversed(stack):
        if entry.function.is_async:
            roots.setdefault(entry.function.qualname, entry)
    stack = list(reversed(roots.values()))
    while stack:
        entry = stack.pop()
        qualname = entry.function.qualname
        if qualname in found or not entry.function.is_async or (qualname in roots and roots[qualname] is not entry):
            continue
        found[qualname] = entry
        for _call, target, target_facts in resolved_callees(index, holds, entry.function):
            if target.is_async and target.qualname not in found and target.qualname not in roots:
                stack.append(Entry(target, target_facts, f"awaited from `{caller_name(entry.function, target)}`"))
        for target, target_facts, runner in deferred_tasks(index, entry.function):
            if target.qualname not in found and target.qualname not in roots:
                why = f"{runner.format(caller=caller_name(entry.function, target))}, run on the event loop"
                stack.append(Entry(target, target_facts, why))
    return found


def caller_name(caller: Function, target: Function) -> str:
    """How a message names the function that awaits `target`: its short name, or `Class.method` when
    the two share a short name (`UserService.reset_password` awaits `UserManager.reset_password`)."""
    short = caller.qualname.rsplit(".", 1)[-1]
    if short != target.qualname.rsplit(".", 1)[-1]:
        return short
    return ".".join(caller.qualname.split(".")[-2:])


_ROUTE_VERBS = route_methods()  # `app.get("/path")(handler)`: any route decorator of knowledge/frameworks.toml


def _registered_by_call(index: PythonIndex) -> Iterator[tuple[Function, PyFacts, str]]:
    """`app.get("/path")(handler)`: the decorator applied by hand, in a file that uses FastAPI/Starlette."""
    for facts in index.files.values():
        if not any(target.startswith(("fastapi", "starlette")) for _, target in facts.imports):
            continue
        for call in facts.calls:
            text = call.value.text
            if not text.endswith("()") or text.endswith("()()"):
                continue
            owner, _, verb = text.rpartition(".")
            if not owner or verb[:-2] not in _ROUTE_VERBS:
                continue
            handler = call.value.arg(0)
            if handler is None or handler.kind != "name":
                continue
            scope = index.functions.get(call.scope)
            target = index.functions.get(f"{facts.module}.{handler.text}") or index.function(handler.text)
            if target is None and scope is not None:
                target = index.functions.get(f"{scope[0].qualname}.{handler.text}")
            if target is None and "." in handler.text:  # a bound method: `app.post("/feedback")(handler.create)`
                head, _, name = handler.text.rpartition(".")
                holder = Holds.of(index).expression(head, scope[0] if scope else None, line=call.span.line)
                if holder is not None and holder.kind == "object":
                    target = Holds.of(index).method(holder.ref, name)
            if target is not None:
                yield target[0], target[1], f"route {verb[:-2].upper()} registered in {facts.path}"


def resolved_callees(index: PythonIndex, holds: Holds, function: Function) -> list[tuple[Call, Function, PyFacts]]:
    """The project functions a function calls: by name, methods of objects whose class is known
    (`self.repo.get()`, a `Depends`-injected service), constructors (`__init__`), and `functools.partial` locals."""
    memo = index.__dict__.setdefault("_resolved_callees", {})
    if function.qualname in memo:
        return memo[function.qualname]
    out: list[tuple[Call, Function, PyFacts]] = []
    for call in index.calls_by_scope.get(function.qualname, []):
        # `log.record()` with `log` a parameter or local (its own or, in a closure, its factory's) is that
        # object's method, found through what it holds: never the method of a module global named `log`
        written = holds.unshadow(call.name, function)
        target = index.call_target(call, function) if written == call.name else None
        targets: list[tuple[Function, PyFacts] | None] = (
            ([*_own_abstract(holds, call, function, target)] or [target]) if target is not None
            else ([*_union_targets(holds, call, function)] or [_object_target(index, holds, call, function, written)]))
        if target is None and not any(targets):  # `await self._handlers[kind](data)`: each entry of the table
            targets = [*dispatched(index, holds, call, function)] or targets
        for found in targets:
            if found is not None and found[0].qualname != function.qualname:
                out.append((call, *found))
                out.extend((call, *wrapper) for wrapper in decorator_wrappers(index, found[0])
                           if wrapper[0].qualname != function.qualname)
    memo[function.qualname] = out
    return out


def decorator_wrappers(index: PythonIndex, function: Function) -> list[tuple[Function, PyFacts]]:
    """What a call of a function under the project's own decorators runs first: each decorator's wrapper, the
    nested function the decorator returns (`@with_session` whose `wrapper` opens a sync session and hands it in;
    for a decorator factory, `@retry(3)`, the wrapper its returned decorator returns). A decorator that returns
    the function itself (a registration) adds nothing."""
    memo = index.__dict__.setdefault("_decorator_wrappers", {})
    if function.qualname in memo:
        return memo[function.qualname]
    found: list[tuple[Function, PyFacts]] = []
    for decorator in function.decorators:
        if decorator.kind not in {"name", "call"} or "()" in decorator.text:
            continue
        target = index.function(decorator.text)
        levels = 2 if decorator.kind == "call" else 1  # a factory returns the decorator, which returns the wrapper
        for _ in range(levels):
            target = _returned_nested(index, target[0]) if target is not None else None
        if target is not None and target[0].qualname != function.qualname:
            found.append(target)
    memo[function.qualname] = found
    return found


def _returned_nested(index: PythonIndex, function: Function) -> tuple[Function, PyFacts] | None:
    """The function defined in `function`'s body that it returns (`return wrapper`)."""
    for returned in function.returns:
        if returned.kind == "name" and "." not in returned.text:
            nested = index.functions.get(f"{function.qualname}.{returned.text}")
            if nested is not None:
                return nested
    return None


def _own_abstract(holds: Holds, call: Call, function: Function,
                  target: tuple[Function, PyFacts]) -> list[tuple[Function, PyFacts]]:
    """`self._upsert(chunks)` in a base class's concrete method (`DataStore.upsert`), `_upsert` abstract there:
    `self` is an instance of a subclass, so the subclass's implementation runs (the template-method pattern).
    The one implementation, or each one the project builds when several do; none known: the abstract method."""
    if not call.name.startswith("self.") or not function.class_name:
        return []
    method = call.name[5:]
    if "." in method or "()" in method:
        return []
    several = holds.implementations(function.class_name, method)  # empty unless `method` is abstract
    found = holds.method(function.class_name, method)  # an abstract method's one implementation, else `target`
    return several or ([found] if found is not None and found[0].qualname != target[0].qualname else [])


def _union_targets(holds: Holds, call: Call, function: Function) -> list[tuple[Function, PyFacts]]:
    """`self.reader.read()` with `self.reader` one of several project classes (`A | B`, assigned in two
    places): the method of each, as any may run."""
    head, _, method = call.name.rpartition(".")
    holder = holds.expression(head, function, line=call.span.line) if head else None
    if holder is None or holder.kind != "object":
        return []
    if "|" not in holder.ref:
        return holds.implementations(holder.ref, method)  # an abstract method several subclasses implement
    return holds.methods(holder.ref, method)


def _object_target(index: PythonIndex, holds: Holds, call: Call, function: Function,
                   written: str = "") -> tuple[Function, PyFacts] | None:
    name = written or call.name
    if "()" not in name and not call.receiver and name == call.name:
        resolved = index.resolve(name)
        if resolved is not None and resolved.cls:
            return holds.method(resolved.qualname, "__init__")  # a project class built here runs its __init__
    head, _, method = name.rpartition(".")
    if head:
        holder = holds.expression(head, function, line=call.span.line)
        if holder is not None and holder.kind in {"object", "class"}:
            return holds.method(holder.ref, method)
        return None
    if "()" in name:
        return None
    local = holds.local(function, name)
    if local is not None:
        if is_partial(local):
            inner = local.arg(0) or local.kwarg("func")
            return index.function(inner.text) if inner is not None and inner.kind == "name" else None
    return None


@dataclass(frozen=True, slots=True)
class Why:
    """Why a call blocks, and what to use instead."""

    what: str
    instead: str = ""
    warning: bool = False


@dataclass(frozen=True, slots=True)
class Blocking:
    call: Call
    facts: PyFacts
    what: str
    chain: tuple[str, ...] = ()  # project helpers between the async function and the blocking call
    instead: str = ""
    warning: bool = False
    # what the summarised function's parameters must be for it to run (extract/guards.py): a call of the
    # function that passes a constant failing one of them never reaches it (branches.py)
    needs: tuple[tuple[str, str, int], ...] = ()


def _lazy(function: Function) -> bool:
    """A sync generator's body runs when it is iterated (by StreamingResponse: in the threadpool), not when called."""
    return function.is_generator and not any(d.last == "contextmanager" for d in function.decorators)


def _memoized(function: Function, call: Call) -> bool:
    """A module-level function under `functools.cache`/`lru_cache` (knowledge/blocking.toml [memo]) called with
    constants only: its body runs on the first call, every later one returns the kept result."""
    if function.class_name or not any(d.text in MEMO_DECORATORS for d in function.decorators):
        return False
    value = call.value
    return not value.has_star and all(a.kind == "const" for a in (*value.items, *(v for _, v in value.keywords)))


def _unconditional(found: list[Blocking]) -> bool:
    return any(not blocking.needs for blocking in found)


class BlockingAnalysis:
    """Blocking calls by function, with sync project helpers followed transitively."""

    def __init__(self, project: Project, classify: Callable[[PythonIndex, Call, Function], Why | str | None]) -> None:
        self.project = project
        self.index = project.python
        self.holds = Holds.of(self.index)
        self.classify = classify
        self._sync_summary: dict[str, list[Blocking]] = {}
        self._cycles = Cycles()
        self.callables = Callables(self)

    def direct(self, function: Function, facts: PyFacts) -> Iterator[Blocking]:
        for call in self.index.calls_by_scope.get(function.qualname, []):
            if call.offloaded or call.awaited or call.once:
                continue
            found = self.judge(call, function, facts)
            if found is not None:
                yield found

    def judge(self, call: Call, function: Function | None, facts: PyFacts) -> Blocking | None:
        """The call itself blocks (`function` is None for a call at module level)."""
        why = self.classify(self.index, call, function or Function(qualname="", is_async=False, span=call.span))
        if isinstance(why, str):
            return Blocking(call, facts, why)
        if why is not None:
            return Blocking(call, facts, why.what, instead=why.instead, warning=why.warning)
        return None

    def callees(self, function: Function) -> list[tuple[Call, Function, PyFacts]]:
        return resolved_callees(self.index, self.holds, function)

    def helpers(self, function: Function) -> Iterator[tuple[Call, Function, PyFacts]]:
        for call, target, target_facts in resolved_callees(self.index, self.holds, function):
            if call.offloaded or call.awaited or call.once or target.is_async or _lazy(target) or _memoized(target, call):
                continue
            yield call, target, target_facts

    def through_helpers(self, function: Function) -> Iterator[tuple[Call, Blocking]]:
        """Calls to the project's own sync functions that (transitively) block, and calls of lambdas and
        partials that do (`fetch()`, `with_retry(lambda: requests.get(url))`)."""
        for call, target, target_facts in self.helpers(function):
            inner = first_possible(self.sync_summary(target, target_facts, frozenset({function.qualname})), call, target)
            if inner is not None and not self._given_async_session(call, function, inner):
                yield call, inner
        facts = self.index.functions[function.qualname][1]
        yield from self.callables.reached(function, facts, frozenset({function.qualname}))

    def _given_async_session(self, call: Call, function: Function, inner: Blocking) -> bool:
        """`Record.insert(db)` with `db` an `AsyncSession`, into a helper whose parameter says `Session`: what
        the helper judges a sync session call runs on the session it is given, whose `add()` is in memory
        and whose `commit()` is a coroutine; nothing waits on the loop (the annotation is the helper's, the
        session the caller's)."""
        if inner.instead != self.holds.kb.sqlalchemy.instead:
            return False
        value = call.value
        for argument in (*value.items, *(item for _, item in value.keywords)):
            if argument.kind == "name" and "." not in argument.text:
                held = self.holds.value(argument, function)
                if held is not None and held.kind == "session" and held.ref == "async":
                    return True
        return False

    def sync_summary(self, function: Function, facts: PyFacts, seen: frozenset[str], depth: int = 0) -> list[Blocking]:
        qualname = function.qualname
        known = self._sync_summary.get(qualname)
        if known is None:
            known = self._cycles.tentative.get(qualname)
        if known is not None:
            return known
        if depth > 5:
            return []
        if qualname in seen:
            self._cycles.cut(qualname)
            return []
        if self.index.contexts.get(facts.path, Context.PROD) == Context.TEST:
            return []
        mark = self._cycles.mark()
        found = self._summarise(function, facts, seen, depth)
        head, pending = self._cycles.closed(mark, qualname, self._sync_summary)
        if head and not pending:
            # the function reaches itself (`list_projects(allow_cache=True)` -> refresh -> proto ->
            # `list_projects(allow_cache=False)`): what the members of the cycle summarised without it was
            # cut short; summarise them again, with this first summary of it to go on
            self._sync_summary[qualname] = found
            found = self._summarise(function, facts, seen, depth)
            self._cycles.closed(mark, qualname, self._sync_summary)
        if pending:
            self._cycles.tentative[qualname] = found  # cut short by a cycle through a caller still open
        else:
            self._sync_summary[qualname] = found
        return found

    def _summarise(self, function: Function, facts: PyFacts, seen: frozenset[str], depth: int) -> list[Blocking]:
        found = list(self.direct(function, facts))
        if function.guards:  # a line only some values of a parameter run: what it blocks on, when
            found = [replace(b, needs=function.needs(b.call.span.line)) for b in found]
        if not _unconditional(found):
            found += [replace(blocking, needs=function.needs(call.span.line)) if function.guards else blocking
                      for call, blocking in self.callables.reached(function, facts, seen | {function.qualname})][:1]
        if not _unconditional(found):
            found += self._first_helper_blocking(function, seen, depth)
        found.sort(key=lambda b: bool(b.needs))  # what every call reaches first: readers take the first they can
        return found

    def _first_helper_blocking(self, function: Function, seen: frozenset[str], depth: int) -> list[Blocking]:
        """The first of the function's sync helpers that blocks, with it in the chain (readers of
        sync_summary take the first): the first that every call of the function reaches, or the first
        few that only some do."""
        some: list[Blocking] = []
        for call, target, target_facts in self.helpers(function):
            first = first_possible(self.sync_summary(target, target_facts, seen | {function.qualname}, depth + 1),
                                   call, target)
            if first is not None:
                blocking = Blocking(first.call, first.facts, first.what, (target.qualname.rsplit(".", 1)[-1], *first.chain),
                                    first.instead, first.warning, function.needs(call.span.line))
                if not blocking.needs:
                    return [*some, blocking]
                if len(some) < 4:
                    some.append(blocking)
        return some


def classify_blocking(index: PythonIndex, call: Call, function: Function) -> Why | None:
    """Why a call blocks the event loop, or None."""
    holds = Holds.of(index)
    kb = holds.kb
    name = call.name
    if not call.receiver:
        family = kb.function(name)
        if family is not None:
            if family.buffers and _in_memory(holds, call.value, function, family.buffers):
                return None
            if name in family.starts and _waited_later(index, call, function, family):
                return None
            if family.requires and not _set_up(index, function, family.requires):
                return None
            return Why(_what(family, name), family.instead, family.warning)
        if name in kb.sqlalchemy.inspect:
            inspected = holds.value(call.value.arg(0), function)
            if inspected is not None and inspected.blocking_session:
                return Why("SQLAlchemy inspection of a sync engine", kb.sqlalchemy.instead)
    head, _, method = name.rpartition(".")
    if head:
        why = _method_blocks(index, holds, head, method, call, function)
        if why is not None:
            return why
    return _sync_session_argument(index, holds, call, function)


def _in_memory(holds: Holds, value: Value, function: Function, buffers: frozenset[str]) -> bool:
    """`zipfile.ZipFile(io.BytesIO(data))`, `tarfile.open(fileobj=buffer)` with `buffer = io.BytesIO()`: the
    file argument is an in-memory buffer of knowledge/blocking.toml (directly or through a local variable)."""
    argument = value.kwarg("fileobj") or value.kwarg("file") or value.arg(0)
    if argument is not None and argument.kind == "name" and "." not in argument.text:
        argument = holds.local(function, argument.text)
    return argument is not None and argument.kind == "call" and argument.text in buffers


def _waited_later(index: PythonIndex, call: Call, function: Function, family: Family) -> bool:
    """`proc = subprocess.Popen(...)` then `proc.wait()` in the same function: the wait is the stall, reported
    there; the constructor only starts the child (knowledge/blocking.toml `starts`)."""
    kept = {name for name, value, _ in function.locals if value.kind == "call" and value.at == call.value.at}
    return bool(kept) and any(
        other.receiver in kept and other.name.rsplit(".", 1)[-1] in (family.methods or ())
        for other in index.calls_by_scope.get(function.qualname, []))


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
    if holder.kind not in {"class", "object"} or "|" in holder.ref:
        return None
    orm = holds.orm(holder.ref)
    if orm is None or holds.method(holder.ref, method) is not None:
        return None
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


def _method_blocks(index: PythonIndex, holds: Holds, head: str, method: str, call: Call, function: Function) -> Why | None:
    kb = holds.kb
    holder = holds.expression(head, function, line=call.span.line)
    if holder is not None and holder.kind == "object":
        holder = holds.delegate(holder.ref, method) or holder  # a wrapper whose `__getattr__` forwards to a client
    if holder is None:
        if kb.celery is not None and method in kb.celery.task_methods:
            task = index.function(head)
            if task is not None and any(d.last in kb.celery.task_decorators for d in task[0].decorators):
                return Why(f"`{method}()` of a Celery task, which publishes to the broker", kb.celery.instead)
        return None
    short = head.rsplit(".", 1)[-1].replace("[]", "[...]")
    if holder.kind == "module":  # `stripe = load_stripe()` ... `stripe.Customer.create()`: the module's function
        family = kb.function(f"{holder.ref}.{method}")
        return Why(_what(family, f"{holder.ref}.{method}"), family.instead, family.warning) if family else None
    if holder.kind == "client":
        family = kb.families[holder.ref]
        if family.buffers and _in_memory(holds, call.value, function, family.buffers):
            return None  # `image.save(io.BytesIO())`: encoding into memory
        if family.through and not family.through.intersection(head.split(".")[1:]):
            return None  # `upload.read()`: the object's own methods are coroutines; `upload.file.read()` blocks
        if family.method_blocks(method):
            return Why(f"{family.what} (`{short}.{method}()`)", family.instead, family.warning)
        return None
    orm_why = _orm_blocks(holds, holder, method, short)
    if orm_why is not None:
        return orm_why
    if holder.kind == "object" and "|" not in holder.ref and holds.method(holder.ref, method) is None:
        inherited = holds.client_base(holder.ref)  # `class MailServer(smtplib.SMTP)`: `server.login()` is SMTP's
        if inherited is not None and inherited.method_blocks(method) and (
                not inherited.through or inherited.through.intersection(head.split(".")[1:])):
            return Why(f"{inherited.what} (`{short}.{method}()`)", inherited.instead, inherited.warning)
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


def _sync_session_argument(index: PythonIndex, holds: Holds, call: Call, function: Function) -> Why | None:
    """A sync session handed to a helper the project does not define in a way we can follow
    (`crud.get_user(db, id)` with an unannotated parameter): the helper queries on the loop."""
    value = call.value
    if not value.items and not value.keywords:
        return None
    sql = holds.kb.sqlalchemy
    if value.last in sql.metadata_io:
        connection = holds.value(value.arg(0) or value.kwarg("bind"), function)
        if connection is not None and connection.blocking_session:
            return Why(f"`{value.last}()` DDL through a sync SQLAlchemy connection", sql.instead)
    session = passed = None
    for argument in (*value.items, *(item for _, item in value.keywords)):
        if argument.kind == "name" and ("." not in argument.text or argument.text in sync_session_objects()):
            held = holds.value(argument, function)
            if held is not None and held.kind == "session" and held.ref == "sync":
                session = ".".join(argument.text.split(".")[-2:])  # `db.session` as written, not its module
                passed = argument
                break
    if session is None or passed is None:
        return None
    name = value.text
    if name in holds.kb.not_io.functions or _logs(index, holds, name, function) or name.endswith("__init__"):
        return None
    if name.endswith(("()", "[]")):
        # `REGISTRY.get(kind, Default)(db)`: what a call returned is called, a class as often as a query;
        # `HANDLERS[kind](db)`: an entry of a table, followed into each function the table names (dispatch.py)
        return None
    if call.receiver and name.startswith(call.receiver + ".") and name.count(".") == 1:
        return None  # the session's own methods are judged above
    target = index.call_target(call, function) or _object_target(index, holds, call, function)
    if target is not None and (target[0].is_async or target[0].qualname.endswith(".__init__")):
        return None
    if target is not None and _passed_through(index, call, target[0], passed):
        return None
    if target is None:
        if "." not in name and any(param.name == name for param in function.params):
            return None  # `checker(claims, db)`: a callable the caller (or `Depends`) hands in; what it does is not known
        resolved = index.resolve(name)
        if resolved is not None and resolved.cls:
            return None  # a project class keeping the session for later
        if _unread(index, holds, name, function):
            return None
    return Why(f"`{name.rsplit('.', 1)[-1]}()` called with the sync SQLAlchemy session `{session}`", sql.instead)


def _passed_through(index: PythonIndex, call: Call, target: Function, argument: Value) -> bool:
    """The helper only tests the session or hands it back (`with existed_or_new_session(db) as db:`): what
    the caller then does with it is judged where it does it."""
    name = parameter(call, target, argument)
    return name is not None and unused(index.calls_by_scope.get(target.qualname, ()), target, name)


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


def _logs(index: PythonIndex, holds: Holds, name: str, function: Function) -> bool:
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
