"""Which `async def` functions run on the event loop for requests, and what blocks in them.

Shared by PC501 (blocking I/O) and PC503 (CPU-bound calls): both need the async functions on the
request path (routes, their `Depends` chains, middleware, lifespan and startup handlers, and the async
helpers those await) and the project's own sync helpers called from them, followed transitively.

This module walks the request path. The rest lives beside it: callees.py (which project functions a
call runs), summaries.py (what a function blocks on, its sync helpers followed: `BlockingAnalysis`),
branches.py (what a call's constants rule out), blocking_calls.py (whether one call blocks: PC501's
`classify_blocking`) and sessions.py (a sync session handed to a helper).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

from prodcheck.model.facts import OFFLOADED, Call, Function, PyFacts
from prodcheck.model.files import Context
from prodcheck.model.finding import Span
from prodcheck.knowledge import listed
from prodcheck.knowledge.frameworks import deferred_runners, route_methods, task_spawners
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.concurrency.branches import given_value
from prodcheck.rules.concurrency.callees import entry_wrappers, resolved_callees
from prodcheck.rules.concurrency.deferred import Targets, call_target, deferred_tasks
from prodcheck.rules.concurrency.endpoints import endpoint_entries
from prodcheck.rules.concurrency.holds import Holds
from prodcheck.rules.concurrency.sockets import (
    agent_tool_handlers,
    graphql_resolver_functions,
    mcp_handlers,
    ocpp_handlers,
    socket_handlers,
)
from prodcheck.model.record import record

@record
class Entry:
    function: Function
    facts: PyFacts
    why: str  # "route GET /orders/{id}", "dependency of ...", "middleware", "lifespan"


def defined(entry: Entry) -> str:
    """How the function a finding names is written: `async def`, or a plain `def` a library calls on the loop."""
    return "async def" if entry.function.is_async else "def"


def request_path(index: PythonIndex, include_startup: bool = True) -> dict[str, Entry]:
    """Async functions run on the event loop for requests (and at start-up), with the reason.

    `include_startup=False` leaves out lifespans and startup handlers (and what only they await):
    for costs that matter per request, not once per process. The jobs they hand to an asyncio scheduler or to
    background tasks stay: those run while the server serves requests."""
    memo = index.__dict__.setdefault("_request_path", {})
    if include_startup not in memo:
        memo[include_startup] = _walk_request_path(index, include_startup)
    return memo[include_startup]


def _walk_request_path(index: PythonIndex, include_startup: bool) -> dict[str, Entry]:
    found: dict[str, Entry] = {}
    stack = list(_entries(index))
    for function, facts, how in (index.startup_hooks if include_startup else ()):
        stack.append(Entry(function, facts, how))
    deferring = _deferring(index)
    holds = Holds.of(index)
    if not include_startup:  # `start_scheduler()` in the lifespan: its periodic jobs run during serving
        for hook, _facts, _how in index.startup_hooks:
            # `asyncio.create_task(main_loop())` in the lifespan: the loop's task runs alongside the requests
            stack.extend(Entry(target, target_facts, _task(hook, target))
                         for call, target, target_facts in resolved_callees(index, holds, hook)
                         if target.is_async and _spawned(index, hook, call))
            for helper in (hook, *_deferring_helpers(index, holds, hook, deferring)):
                stack.extend(_deferred(index, helper))
    for entry in list(stack):  # what a project decorator wraps a route in runs first, on the loop, for each request
        for wrapper, wrapper_facts, decorator in entry_wrappers(index, entry.function):
            stack.append(Entry(wrapper, wrapper_facts, f"the wrapper `@{decorator}` puts around {_named(entry)}"))
    # A route awaited by another route is reported as the route it is: every root is placed first.
    roots: dict[str, Entry] = {}
    for entry in reversed(stack):
        if entry.function.is_async:
            roots.setdefault(entry.function.qualname, entry)
    sync_entries = [entry for entry in stack if not entry.function.is_async]
    stack = list(reversed(roots.values()))
    # A plain `def` route runs in the threadpool, but an `async def` it hands to `BackgroundTasks` runs on the loop
    # (handed over in the route itself or in the sync service methods it calls, a few calls deep)
    handed = [entry for caller in _sync_reach(index, holds, [entry.function for entry in sync_entries])
              for entry in _deferred(index, caller)
              if entry.function.is_async and entry.function.qualname not in roots]
    stack[:0] = reversed(handed)
    _walk(index, holds, stack, roots, found, deferring)
    if not include_startup:
        # `await committer.start()` in the lifespan, whose `start` does `asyncio.create_task(self._loop())`: a task
        # that start-up code starts a few calls down runs alongside the requests (a hook's own ones are roots above)
        started = [Entry(target, target_facts, _task(reached.function, target))
                   for reached in request_path(index, include_startup=True).values() if reached.function.qualname
                   not in found for call, target, target_facts in resolved_callees(index, holds, reached.function)
                   if target.is_async and target.qualname not in found and _spawned(index, reached.function, call)]
        _walk(index, holds, list(reversed(started)), roots, found, deferring)
    # A plain `def` OCPP handler is called by the library on the loop all the same (knowledge/frameworks.toml [ocpp]):
    # its body runs there, as an `async def` one's does; so is a plain `def` Strawberry resolver ([graphql])
    for function, facts, how in (*ocpp_handlers(index), *graphql_resolver_functions(index)):
        if not function.is_async:
            found.setdefault(function.qualname, Entry(function, facts, f"{how}, called on the event loop"))
    return found


def _entries(index: PythonIndex) -> tuple[Entry, ...]:
    """What both walks (with and without start-up) start from, in the order they push it: routes and their
    dependencies, functions registered or served by hand, router dependencies, middleware, library hooks and
    socket, MCP, OCPP and agent tool handlers. A function of the index alone, made once for the two walks."""
    memo: tuple[Entry, ...] | None = index.__dict__.get("_request_entries")
    if memo is not None:
        return memo
    stack: list[Entry] = []
    for route in index.routes:
        if index.contexts.get(route.facts.path, Context.PROD) == Context.TEST:
            continue  # a test's own app (`app = FastAPI()` in a test function) serves no production request
        method = route.method.upper() + " " if route.method not in {"api_route", "route"} else ""  # any method
        paths = sorted(index.full_paths(route)) or [route.path]
        # a websocket route's function is awaited whatever it is (`websocket.accept()` is a coroutine), so it
        # is named otherwise than a "route": the message's hint of a plain `def` does not apply to it
        why = f"websocket route {paths[0]}" if route.method == "websocket" else f"route {method}{paths[0]}"
        stack.append(Entry(route.function, route.facts, why))
        for dependency, dep_facts in index.dependency_functions(route.function):
            stack.append(Entry(dependency, dep_facts, f"dependency of `{route.function.qualname.rsplit('.', 1)[-1]}`"))
    for function, facts, how in (*_registered_by_call(index), *endpoint_entries(index)):
        stack.append(Entry(function, facts, how))
        for dependency, dep_facts in index.dependency_functions(function):
            stack.append(Entry(dependency, dep_facts, f"dependency of `{function.qualname.rsplit('.', 1)[-1]}`"))
    for function, facts, given in index.router_dependencies:  # every route of the router runs it
        stack.append(Entry(function, facts, f"dependency given to `{given}`"))
    for function, facts in index.middleware_functions:
        stack.append(Entry(function, facts, "middleware"))
    for function, facts, how in index.library_hook_functions:
        stack.append(Entry(function, facts, how))
    for function, facts, how in (*socket_handlers(index), *mcp_handlers(index), *ocpp_handlers(index),
                                 *agent_tool_handlers(index), *graphql_resolver_functions(index)):
        stack.append(Entry(function, facts, how))
    memo = index.__dict__["_request_entries"] = tuple(stack)
    return memo


def _walk(index: PythonIndex, holds: Holds, stack: list[Entry], roots: dict[str, Entry], found: dict[str, Entry],
          deferring: frozenset[str]) -> None:
    """The async functions reached from the entries on `stack`, each with the entry it was first reached as."""
    while stack:
        entry = stack.pop()
        qualname = entry.function.qualname
        if qualname in found or not entry.function.is_async or (qualname in roots and roots[qualname] is not entry):
            continue
        found[qualname] = entry
        stack.extend(following for following in _successors(index, holds, entry.function, deferring)
                     if following.function.qualname not in found and following.function.qualname not in roots)


def _successors(index: PythonIndex, holds: Holds, function: Function, deferring: frozenset[str]) -> list[Entry]:
    """What the walk goes on to from an async function on the path, in the order it pushes them: the async
    functions it awaits or makes tasks of, the coroutines it hands to a helper that awaits them, and what it and
    the plain helpers it calls defer. A function of the index alone, kept per function for the other walk (with
    or without start-up), which reaches most of the same functions."""
    memo: dict[str, list[Entry]] = index.__dict__.setdefault("_request_successors", {})
    found = memo.get(function.qualname)
    if found is not None:
        return found
    found = []
    # where the function hands a coroutine to a task spawner or to a loop of its own: asked when an async target
    # is first met (most functions on the path await none the walk has not placed already)
    spawned: frozenset[int | Span] | None = None
    own_loop: frozenset[int | Span] | None = None
    # what the function's calls run, for the readers below (this function's answer only): those resolved_callees
    # finds when it resolves them now, the rest when first asked
    targets: Targets = {}
    for call, target, target_facts in resolved_callees(index, holds, function, targets):
        if not target.is_async and call.awaited:
            # `await manager.run_scraper(url)` with a plain `def run_scraper` that returns `self._run_x(url)`: the
            # coroutine it hands back is what the caller awaits
            found.extend(Entry(*returned, f"awaited from `{caller_name(function, returned[0])}` through "
                                          f"`{target.qualname.rsplit('.', 1)[-1]}`")
                         for returned in _coroutines_returned(index, holds, target))
            continue
        if not target.is_async or _handed_back(function, call):
            continue
        if own_loop is None or spawned is None:
            spawned, own_loop = _given_to(index, function, _spawns), _given_to(index, function, _runs_own_loop)
        if call.value.at in own_loop:
            continue
        found.append(Entry(target, target_facts, _task(function, target) if call.value.at in spawned
                           else f"awaited from `{caller_name(function, target)}`"))
    for target, target_facts, helper in _coroutines_handed(index, function, targets):
        found.append(Entry(target, target_facts, f"awaited by `{helper}` from `{caller_name(function, target)}`"))
    # also what a plain helper it calls defers (`start_scheduler()` in the lifespan adding async jobs to an
    # asyncio scheduler, or handing them to background tasks): they run on the same loop
    found.extend(_deferred(index, function, targets))
    for caller in _deferring_helpers(index, holds, function, deferring):
        found.extend(_deferred(index, caller))
    memo[function.qualname] = found
    return found


def _deferred(index: PythonIndex, caller: Function, targets: Targets | None = None) -> Iterator[Entry]:
    """The functions `caller` hands to background tasks or an asyncio scheduler (deferred.py), as entries."""
    for target, target_facts, runner in deferred_tasks(index, caller, targets):
        yield Entry(target, target_facts, f"{runner.format(caller=caller_name(caller, target))}, run on the event loop")


def _deferring_helpers(index: PythonIndex, holds: Holds, function: Function, deferring: frozenset[str]) -> list[Function]:
    """The plain functions `function` calls that defer work themselves (`_deferring`)."""
    return [helper for _call, helper, _facts in resolved_callees(index, holds, function)
            if not helper.is_async and helper.qualname in deferring]


def _task(caller: Function, target: Function) -> str:
    return f"a task `{caller_name(caller, target)}` starts, run on the event loop"


def _deferring(index: PythonIndex) -> frozenset[str]:
    """The functions that call a runner of deferred work (`add_task`, `add_job`, ...) at all: few, so a sync helper
    of an async function is only asked about what it defers when it is one of them."""
    background, _schedulers, scheduling = deferred_runners()
    runners = background | scheduling | task_spawners()  # a plain helper's `asyncio.create_task(job())`
    return frozenset(call.scope for _facts, call in index.calls.ending(runners))


def _sync_reach(index: PythonIndex, holds: Holds, functions: list[Function], depth: int = 3) -> list[Function]:
    """The sync functions given and the project's sync functions they call, `depth` calls deep, each once."""
    seen = {function.qualname: function for function in functions}
    layer = list(functions)
    for _ in range(depth):
        following: list[Function] = []
        for function in layer:
            for _call, target, _facts in resolved_callees(index, holds, function):
                if not target.is_async and target.qualname not in seen:
                    seen[target.qualname] = target
                    following.append(target)
        layer = following
    return list(seen.values())


def _coroutines_handed(index: PythonIndex, function: Function,
                       targets: Targets) -> Iterator[tuple[Function, PyFacts, str]]:
    """`await cached_result(_fetch, key, request)` with `async def _fetch(): ...` nested in the caller and `await fn()`
    in the project helper: the helper calls the async function it is handed, so
    it runs on the loop, awaited by the helper (the sync callables a helper calls are Callables.called_params')."""
    for call in index.calls_by_scope.get(function.qualname, ()):
        value = call.value
        if call.flags & OFFLOADED or not (value.items or value.flat_keywords):
            continue
        helper = call_target(index, call, function, targets)
        if helper is None:
            continue
        called = {c.value.text for c in index.calls_by_scope.get(helper[0].qualname, ())}
        for position, param in enumerate(helper[0].params):
            given = given_value(value, helper[0], param.name, position) if param.name in called else None
            if given is None or given.kind != "name":
                continue
            # a function nested in the caller, or one of the project's by its (qualified) name: a module's own
            # (`run_job_loop(processing_function=process_item)`) or an imported one
            target = index.functions.get(f"{function.qualname}.{given.text}") or index.function(given.text)
            if target is not None and target[0].is_async:
                yield *target, helper[0].qualname.rsplit(".", 1)[-1]


def _coroutines_returned(index: PythonIndex, holds: Holds, function: Function) -> list[tuple[Function, PyFacts]]:
    """The project's `async def`s a plain function calls and returns the coroutine of, unawaited (`return
    self._run_oddsportal_scraper(url)` in each branch of a dispatching `def`)."""
    return [(target, target_facts) for call, target, target_facts in resolved_callees(index, holds, function)
            if target.is_async and _handed_back(function, call)]


def _handed_back(function: Function, call: Call) -> bool:
    """`return fetch(...)` in an `async def`, not awaited: the coroutine object is what awaiting the function gives
    its caller (a route's response, which FastAPI cannot serialise), so nothing the coroutine would do runs
    (https://docs.python.org/3/library/asyncio-task.html#coroutines: "simply calling a coroutine will not schedule
    it to be executed")."""
    return not call.awaited and any(returned.kind == "call" and returned.at == call.value.at
                                    for returned in function.returns)


def _spawned(index: PythonIndex, function: Function, call: Call) -> bool:
    """`asyncio.create_task(job())`, `tg.create_task(job())` in `function`: the coroutine becomes a task of the
    running loop (knowledge/frameworks.toml [deferred] spawners), not awaited in place."""
    return call.value.at in _given_to(index, function, _spawns)


def _spawns(runner: Call) -> bool:
    return runner.value.text.rpartition(".")[2] in task_spawners()


def _runs_own_loop(runner: Call) -> bool:
    """`asyncio.run(job())`, `loop.run_until_complete(job())`: the coroutine runs on a loop of its own in the thread
    that makes that call (a worker thread, `run_in_executor(pool, lambda: asyncio.run(job()))`), never on the
    caller's ([offload] own_loop_functions)."""
    text = runner.value.text
    return (text in listed("blocking", "offload", "own_loop_functions")
            or text.rpartition(".")[2] in listed("blocking", "offload", "own_loop_methods"))


def _given_to(index: PythonIndex, function: Function, runs: Callable[[Call], bool]) -> frozenset[int | Span]:
    """Where the arguments `function` gives to the calls `runs` accepts are (`job()` of `create_task(job())`): a call
    made there is given to one, in one pass over the function's calls instead of one per call asked about."""
    return frozenset(given.at for runner in index.calls_by_scope.get(function.qualname, ())
                     if runner.value.items and runs(runner) for given in runner.value.items)


def _named(entry: Entry) -> str:
    """`route POST /login` as a wrapper's reason names it; a dependency, middleware or handler by its function."""
    if entry.why.startswith(("route ", "websocket route ")):
        return entry.why
    return f"`{entry.function.qualname.rsplit('.', 1)[-1]}` ({entry.why})"


def caller_name(caller: Function, target: Function) -> str:
    """How a message names the function that awaits `target`: its short name, or `Class.method` when
    the two share a short name (`UserService.reset_password` awaits `UserManager.reset_password`)."""
    short = caller.qualname.rsplit(".", 1)[-1]
    if short != target.qualname.rsplit(".", 1)[-1]:
        return short
    return ".".join(caller.qualname.split(".")[-2:])


_ROUTE_VERBS = route_methods()  # `app.get("/path")(handler)`: any route decorator of knowledge/frameworks.toml


def _registers(text: str) -> bool:
    """`app.get("/path")`, a route decorator called (whose result is then called with the handler)."""
    if not text.endswith("()") or text.endswith("()()"):
        return False
    owner, _, verb = text.rpartition(".")
    return bool(owner) and verb[:-2] in _ROUTE_VERBS


def _registered_by_call(index: PythonIndex) -> Iterator[tuple[Function, PyFacts, str]]:
    """`app.get("/path")(handler)`: the decorator applied by hand, in a file that uses FastAPI/Starlette."""
    for facts, call in index.calls.named(_registers):  # each distinct call name judged once
        if not any(target.startswith(("fastapi", "starlette")) for _, target in facts.imports):
            continue
        text = call.value.text
        verb = text.rpartition(".")[2]
        handler = call.value.arg(0)
        if handler is None or handler.kind != "name":
            continue
        scope = index.functions.get(call.scope)
        target = index.functions.get(f"{facts.module}.{handler.text}") or index.function(handler.text)
        if target is None and scope is not None:
            target = index.functions.get(f"{scope[0].qualname}.{handler.text}")
        if target is None and "." in handler.text:  # a bound method: `app.post("/feedback")(handler.create)`
            head, _, name = handler.text.rpartition(".")
            holder = Holds.of(index).expression(head, scope[0] if scope else None, line=call.line)
            if holder is not None and holder.kind == "object":
                target = Holds.of(index).method(holder.ref, name)
        if target is not None:
            yield target[0], target[1], f"route {verb[:-2].upper()} registered in {facts.path}"
