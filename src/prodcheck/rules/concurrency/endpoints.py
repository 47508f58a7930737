"""Starlette's class-based endpoints, and endpoints registered by a route class: entry points on the event loop
besides the route decorators FastAPI reads.

Routing builds a registered `HTTPEndpoint` / `WebSocketEndpoint` subclass once per request or connection and
awaits it: its `dispatch` awaits the method named after the request's method, or `on_connect`, `on_receive`
and `on_disconnect` (knowledge/frameworks.toml [endpoints]). Those methods, as the class or a project base class
defines them, run on the loop as a route function does. `Route(path, handler)`, `WebSocketRoute(path, handler)`
and `app.add_websocket_route(path, handler)` register a function the same way. An exception handler
(`@app.exception_handler(Exc)`, `app.add_exception_handler(Exc, handler)`) is awaited for the request that failed.

A route table is the same registration written as data: records of a project class that take the handler as
`endpoint=` (the name Starlette's `Route` and FastAPI's `add_api_route` give it), which a loop hands to an adder
(`router.add_api_route(path=config.path, endpoint=config.as_view())`). Where the project calls an adder with a
handler computed at run time, each record's handler is a route: a function, or for a class, the `__call__` its
instances are awaited through.
"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.knowledge.frameworks import Endpoints, endpoints, route_methods
from prodcheck.model.facts import Function, PyFacts, Value
from prodcheck.model.files import Context
from prodcheck.project.python_index import PythonIndex
from prodcheck.project.python_routes import shown_path
from prodcheck.rules.concurrency.holds import Holds


def endpoint_entries(index: PythonIndex) -> list[tuple[Function, PyFacts, str]]:
    """(function, facts, why) for each method a registered endpoint class's dispatch awaits, its `__init__`
    (FastAPI solves the `Depends` of its parameters), and each function a route class registers. Sync ones
    are left out by the walk, as every sync entry is. Found once per index: the request path is walked twice
    (with and without start-up), and a route table's records are looked for among every call name."""
    found: list[tuple[Function, PyFacts, str]] | None = index.__dict__.get("_endpoint_entries")
    if found is None:
        found = index.__dict__["_endpoint_entries"] = list(_entries(index))
    return found


def _entries(index: PythonIndex) -> Iterator[tuple[Function, PyFacts, str]]:
    kb = endpoints()
    holds = Holds.of(index)
    seen: set[str] = set()
    for handler, path, scope, module, socket in _registered(index, kb):
        # a class or function the registering function defines, one of the module, or an imported one
        resolved = ((index.resolve(f"{scope}.{handler}") if scope else None)
                    or index.resolve(f"{module}.{handler}") or index.resolve(handler))
        if resolved is None or resolved.qualname in seen:
            continue
        seen.add(resolved.qualname)
        # the message hints at a plain `def` (run in the threadpool) for a "route": a websocket's handlers
        # are awaited whatever they are, so they are named otherwise
        if resolved.function is not None:
            if resolved.qualname in index.route_functions:
                continue  # `app.add_route(path, fn)`: a route already, as its decorator or adder says
            why = f"websocket route {path}" if socket else f"route {path}"
            yield resolved.function[0], resolved.function[1], why
            continue
        base = _starlette_base(holds, resolved.qualname, kb) if resolved.cls else None
        if base is None:
            continue
        awaited, why = ((kb.websocket_methods, f"websocket endpoint {path}") if base in kb.websocket
                        else (kb.http_methods, f"route {path}"))
        short = resolved.qualname.rsplit(".", 1)[-1]
        for name in (*sorted(awaited), "__init__"):
            found = holds.method(resolved.qualname, name)
            if found is not None:
                yield found[0], found[1], f"{why}, `{short}.{name}`"
    for function, facts in _exception_handlers(index, kb):
        if function.qualname not in seen:
            seen.add(function.qualname)
            yield function, facts, "exception handler"
    for handler, path, module in _tabled(index, kb):
        resolved = index.resolve(f"{module}.{handler}") or index.resolve(handler)
        if resolved is None or resolved.qualname in seen or resolved.qualname in index.route_functions:
            continue
        seen.add(resolved.qualname)
        if resolved.function is not None:
            yield resolved.function[0], resolved.function[1], f"route {path} of a route table"
        elif resolved.cls and _starlette_base(holds, resolved.qualname, kb) is None:
            found = holds.method(resolved.qualname, "__call__")
            if found is not None:
                short = resolved.qualname.rsplit(".", 1)[-1]
                yield found[0], found[1], f"route {path} of a route table, `{short}.__call__`"


def _starlette_base(holds: Holds, cls: str, kb: Endpoints) -> str | None:
    """The Starlette endpoint class `cls` derives from, directly or through project classes."""
    for owner in holds.mro(cls):
        entry = holds.index.classes.get(owner)
        for base in getattr(entry[0], "bases", ()) if entry else ():
            if base in kb.http or base in kb.websocket:
                return base
    return None


def _registered(index: PythonIndex, kb: Endpoints) -> Iterator[tuple[str, str, str, str, bool]]:
    """(handler as written, path as shown, the registering function or "", module, a websocket's) for each
    registration: a route decorator on a class (or on a function, for the decorators FastAPI's routes do not
    cover), a route class or an adder method called with a handler. A test
    registers routes of its own (`Starlette(routes=[Route("/x", fake)])`) that production never serves."""
    for facts in index.files.values():
        if index.contexts.get(facts.path, Context.PROD) == Context.TEST:
            continue
        for cls in facts.classes:
            for decorator in getattr(cls, "decorators", ()):
                if decorator.last in kb.decorators and "." in decorator.text:
                    path = decorator.arg(0) or decorator.kwarg("path")
                    yield cls.qualname, _shown(path), "", facts.module, "websocket" in decorator.last
        for function in facts.functions if _uses_starlette(facts) else ():
            for decorator in function.decorators:  # Starlette's `@app.websocket_route(path)` on a function
                if decorator.kind == "call" and decorator.last in kb.decorators and "." in decorator.text \
                        and decorator.last not in route_methods():
                    path = decorator.arg(0) or decorator.kwarg("path")
                    yield function.qualname, _shown(path), "", facts.module, "websocket" in decorator.last
    wanted = kb.route_classes | kb.adders
    for facts, call in index.calls.ending(wanted):
        if index.contexts.get(facts.path, Context.PROD) == Context.TEST:
            continue
        value = call.value
        if value.last in kb.adders and "." not in value.text:
            continue  # an adder is a method of an app or router
        handler = value.arg(1) or value.kwarg("endpoint") or value.kwarg("route")
        if handler is None or handler.kind != "name":
            continue
        # Starlette names its websocket registrations so: `WebSocketRoute`, `add_websocket_route`
        yield handler.text, _shown(value.arg(0) or value.kwarg("path")), call.scope, facts.module, \
            "websocket" in value.last.lower()


def _exception_handlers(index: PythonIndex, kb: Endpoints) -> Iterator[tuple[Function, PyFacts]]:
    """The functions an application registers to handle an error of a request (`@app.exception_handler(Exc)`,
    `app.add_exception_handler(Exc, handler)`): Starlette awaits an `async def` one on the event loop, for the
    request that failed. A test's own handlers are left out."""
    # a decorator is a call of its own where it is applied (`app.exception_handler(Exc)`): only the files making
    # one are read, not every function of the project
    decorating = {facts.path: facts for facts, _call in index.calls.ending(kb.exception_decorators, dotted=True)}
    for facts in decorating.values():
        if not _uses_starlette(facts) or index.contexts.get(facts.path, Context.PROD) == Context.TEST:
            continue
        for function in facts.functions:
            if any(d.kind == "call" and d.last in kb.exception_decorators and "." in d.text for d in function.decorators):
                yield function, facts
    for facts, call in index.calls.ending(kb.exception_adders, dotted=True):
        handler = call.value.arg(1) or call.value.kwarg("handler")
        if handler is None or handler.kind != "name" or index.contexts.get(facts.path, Context.PROD) == Context.TEST:
            continue
        scope = index.functions.get(call.scope)
        target = index.functions.get(f"{facts.module}.{handler.text}") or index.function(handler.text) or \
            (index.functions.get(f"{scope[0].qualname}.{handler.text}") if scope is not None else None)
        if target is not None:
            yield target


def _tabled(index: PythonIndex, kb: Endpoints) -> Iterator[tuple[str, str, str]]:
    """(handler as written, path as shown, module) for each record of a route table: a project class built with a
    handler as `endpoint=`, whose instances an adder reads the handler from (`router.add_api_route(path=c.path,
    endpoint=c.as_view())`: the class, or a project base, has the member `as_view` or `endpoint`). None where every
    adder is handed a function by name."""
    adders = kb.adders | {"add_api_route"}
    members: set[str] = set()  # what an adder reads its handler from: `as_view` of `config.as_view()`
    for facts, call in index.calls.ending(adders):
        handler = call.value.arg(1) or call.value.kwarg("endpoint")
        if "." in call.value.text and handler is not None and handler.kind in {"call", "name"} \
                and "." in handler.text and index.contexts.get(facts.path, Context.PROD) != Context.TEST:
            members.add(handler.text.rpartition(".")[2])
    # A record's class has the member itself or through a base: with no project class defining one, no call name
    # is asked (resolving each of the project's distinct call names was most of the time of this function).
    if not any(f"{owner}.{member}" in index.functions or f"{owner}.{member}" in index.annotations
               for owner in index.classes for member in members):
        return
    holds = Holds.of(index)

    def record(name: str) -> bool:
        found = index.resolve(name)
        return found is not None and found.cls and any(
            f"{owner}.{member}" in index.functions or f"{owner}.{member}" in index.annotations
            for owner in holds.mro(found.qualname) for member in members)

    for facts, call in index.calls.named(record):
        if index.contexts.get(facts.path, Context.PROD) == Context.TEST:
            continue
        handler = call.value.kwarg("endpoint")
        if handler is None or handler.kind != "name":
            continue
        yield handler.text, _shown(call.value.kwarg("path") or call.value.arg(0)), facts.module


def _uses_starlette(facts: PyFacts) -> bool:
    return any(target.startswith(("fastapi", "starlette")) for _, target in facts.imports)


def _shown(path: Value | None) -> str:
    return shown_path(path) if path is not None else "{path}"
