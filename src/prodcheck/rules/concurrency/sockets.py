"""Handlers a server awaits per message besides routes: python-socketio event handlers, MCP request handlers and
OCPP charge point handlers.

An `AsyncServer` mounted in the ASGI application awaits each handler on the application's loop
(knowledge/frameworks.toml [sockets]), and an MCP server awaits the handler registered for each request a client
sends ([mcp]), so a handler that blocks stalls every request, as a route does.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

from prodcheck.knowledge.frameworks import (
    agent_tools,
    graphql_resolvers,
    mcp_servers,
    ocpp_decorators,
    ocpp_station_actions,
    socket_servers,
)
from prodcheck.model.facts import Call, Function, PyFacts, Value
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.concurrency.holds import Holds


def socket_handlers(index: PythonIndex) -> Iterator[tuple[Function, PyFacts, str]]:
    """(handler, facts, why) for `@sio.event`, `@sio.on("name")`, `sio.on("name", handler=fn)` on an asyncio
    server, and `on_<event>` methods of an `AsyncNamespace` subclass. A sync handler is left out by the walk."""
    return _kept(index, "_socket_handlers", _socket_handlers)


def _kept(index: PythonIndex, key: str, find: Callable[[PythonIndex], Iterator[tuple[Function, PyFacts, str]]]
          ) -> Iterator[tuple[Function, PyFacts, str]]:
    """What `find` gives, found once per index (each walk of the request path asks; each answer reads every
    function's decorators): kept under `key`, one of the concurrency analysis (PythonIndex.ANALYSES)."""
    found: list[tuple[Function, PyFacts, str]] | None = index.__dict__.get(key)
    if found is None:
        found = index.__dict__[key] = list(find(index))
    return iter(found)


def _socket_handlers(index: PythonIndex) -> Iterator[tuple[Function, PyFacts, str]]:
    servers, registrations, namespaces = socket_servers()
    holds = Holds.of(index)
    # The files that call a registration method at all, from the project's call index: most call none.
    calling = index.calls.paths_calling(index.calls.names_ending(registrations))
    for function, facts, _method in _decorated(index, holds, servers, registrations):
        yield function, facts, f"socket.io event handler `{function.qualname.rsplit('.', 1)[-1]}`"
    for facts in index.files.values():
        for call in facts.calls if facts.path in calling else ():
            receiver, _, method = call.value.text.rpartition(".")
            if method not in registrations or not receiver:
                continue
            scope = index.functions.get(call.scope)
            if _async_server(index, holds, receiver, scope[0] if scope else None, servers):
                target = _handler(index, call, scope[0] if scope else None)
                if target is not None:
                    yield *target, f"socket.io event handler `{target[0].qualname.rsplit('.', 1)[-1]}`"
    for qualname, (cls, facts) in index.classes.items():
        if any(base in namespaces for base in getattr(cls, "bases", ())):
            for function in facts.functions:
                short = function.qualname.rsplit(".", 1)[-1]
                if function.qualname == f"{qualname}.{short}" and short.startswith("on_"):
                    yield function, facts, f"socket.io namespace handler `{short}`"


def mcp_handlers(index: PythonIndex) -> Iterator[tuple[Function, PyFacts, str]]:
    """(handler, facts, why) for `@server.call_tool()`, `@mcp.tool()`, `@mcp.resource(uri)` ... on an MCP server."""
    return _kept(index, "_mcp_handlers", _mcp_handlers)


def _mcp_handlers(index: PythonIndex) -> Iterator[tuple[Function, PyFacts, str]]:
    servers, registrations = mcp_servers()
    for function, facts, method in _decorated(index, Holds.of(index), servers, registrations):
        yield function, facts, f"MCP `{method}` handler `{function.qualname.rsplit('.', 1)[-1]}`"


def agent_tool_handlers(index: PythonIndex) -> Iterator[tuple[Function, PyFacts, str]]:
    """(tool, facts, why) for the `@function_tool` functions of the OpenAI Agents SDK ([agent_tools]), when the project
    awaits a run of an agent (`await Runner.run(...)`): the agent loop awaits each tool it calls on that loop."""
    decorators, runs = agent_tools()
    if not any(call.awaited for _facts, call in index.calls.among(runs)):
        return
    for facts in index.files.values():
        if not any(module.partition(".")[0] == "agents" for module in facts.imported_modules):
            continue  # the decorator is written in a file that imports the SDK
        for function in facts.functions:
            if any(decorator.text in decorators for decorator in function.decorators):
                yield function, facts, f"agent tool `{function.qualname.rsplit('.', 1)[-1]}`"


def graphql_resolver_functions(index: PythonIndex) -> Iterator[tuple[Function, PyFacts, str]]:
    """(resolver, facts, why) for the Strawberry resolvers of a project that serves a schema from its ASGI app
    ([graphql]): `@strawberry.field` / `@strawberry.mutation` methods, and `strawberry.field(resolver=fn)`'s `fn`."""
    resolvers, servers = graphql_resolvers()
    if not any(True for _facts, _call in index.calls.among(servers)):
        return
    for facts in index.files.values():
        if not any(module.partition(".")[0] == "strawberry" for module in facts.imported_modules):
            continue  # the decorator or `strawberry.field(...)` is written in a file that imports the library
        for function in facts.functions:
            if any(decorator.text in resolvers for decorator in function.decorators):
                yield function, facts, f"GraphQL resolver `{function.qualname.rsplit('.', 1)[-1]}`"
        for call in facts.calls:
            given = call.value.kwarg("resolver") if call.value.text in resolvers else None
            if given is not None and given.kind == "name":
                found = index.functions.get(f"{facts.module}.{given.text}") or index.function(given.text)
                if found is not None:
                    yield *found, f"GraphQL resolver `{found[0].qualname.rsplit('.', 1)[-1]}`"


def ocpp_handlers(index: PythonIndex) -> Iterator[tuple[Function, PyFacts, str]]:
    """(handler, facts, why) for a charge point's `@on(Action.MeterValues)` / `@after(...)` methods ([ocpp]): the
    `ocpp` library calls each for the messages a station sends, on the server's loop."""
    return _kept(index, "_ocpp_handlers", _ocpp_handlers)  # also asked for the plain `def` handlers after each walk


def _ocpp_handlers(index: PythonIndex) -> Iterator[tuple[Function, PyFacts, str]]:
    decorators = ocpp_decorators()
    packages = {decorator.partition(".")[0] for decorator in decorators}
    for facts in index.files.values():
        if not any(module.partition(".")[0] in packages for module in facts.imported_modules):
            continue  # a decorator of the library is written in a file that imports it
        for function in facts.functions:
            if any(decorator.kind == "call" and decorator.text in decorators and _from_station(decorator.arg(0))
                   for decorator in function.decorators):
                yield function, facts, f"OCPP handler `{function.qualname.rsplit('.', 1)[-1]}`"


def _from_station(action: Value | None) -> bool:
    """The action a handler is registered for is one a charging station sends (`"MeterValues"`,
    `Action.meter_values`); one the model cannot read counts as such."""
    if action is None:
        return True
    name = str(action.literal) if action.is_str else action.text.rpartition(".")[2] if action.kind == "name" else ""
    return not name or name.replace("_", "").lower() in ocpp_station_actions()


def _decorated(index: PythonIndex, holds: Holds, servers: frozenset[str],
               registrations: frozenset[str]) -> Iterator[tuple[Function, PyFacts, str]]:
    """(function, facts, registration method) for each function a registration method of a server decorates
    (`@sio.on("name")`, `@mcp.tool()`), the receiver holding a server of `servers`."""
    for facts in index.files.values():
        for function in facts.functions:
            for decorator in function.decorators:
                receiver, _, method = decorator.text.rpartition(".")
                if method in registrations and receiver and _async_server(index, holds, receiver, None, servers):
                    yield function, facts, method


def _async_server(index: PythonIndex, holds: Holds, receiver: str, scope: Function | None,
                  servers: frozenset[str]) -> bool:
    """The receiver holds an asyncio server: a module global (`sio = socketio.AsyncServer(...)`) or an attribute
    of the class the call is in (`self._sio = AsyncServer(...)`)."""
    if receiver.startswith("self.") and receiver.count(".") == 1:
        owner = scope.class_name if scope is not None else ""
        return any(value.kind == "call" and value.text in servers
                   for value, _ in holds.attributes.get((owner, receiver[5:]), ()))
    return index.constructor_of(receiver) in servers


def _handler(index: PythonIndex, call: Call, scope: Function | None) -> tuple[Function, PyFacts] | None:
    """The function `sio.on("name", handler)` registers: a method of the calling class, a nested function of
    the caller, or a function by name."""
    handler = call.value.kwarg("handler") or call.value.arg(1)
    if handler is None or handler.kind != "name":
        return None
    if handler.text.startswith("self.") and scope is not None and scope.class_name:
        return index.functions.get(f"{scope.class_name}.{handler.text[5:]}")
    nested = index.functions.get(f"{scope.qualname}.{handler.text}") if scope is not None else None
    return nested or index.function(handler.text)
