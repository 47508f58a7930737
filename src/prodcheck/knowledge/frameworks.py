"""Typed access to `frameworks.toml`: application and router constructors, routes, dependencies."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from prodcheck.knowledge import load
from prodcheck.knowledge.names import Names, names


@cache
def app_constructors() -> dict[str, str]:
    """Qualified constructor name -> `fastapi`, `starlette` or `router`."""
    return {name: kind for kind, entries in load("frameworks")["apps"].items() for name in entries}


def app_kind(name: str) -> str | None:
    """`fastapi`/`starlette` for an application constructor, `router` for a router's, else None."""
    return app_constructors().get(name)


def is_application(name: str) -> bool:
    """A constructor of an ASGI application itself (not a router)."""
    return app_kind(name) in {"fastapi", "starlette"}


@cache
def application_constructors() -> frozenset[str]:
    """Every constructor `is_application` accepts: what a project's call index is asked for (`CallIndex.called`)."""
    return frozenset(name for name in app_constructors() if is_application(name))


@cache
def route_methods() -> frozenset[str]:
    return frozenset(load("frameworks")["routes"]["methods"])


@cache
def page_decorators() -> frozenset[str]:
    """Decorators named in full that declare a GET page route (NiceGUI's `ui.page`)."""
    return frozenset(load("frameworks")["routes"]["pages"])


@cache
def route_get_methods() -> frozenset[str]:
    """Route methods whose route answers a GET request."""
    return frozenset(load("frameworks")["routes"]["get_methods"])


@cache
def route_classes() -> frozenset[str]:
    """Route classes (`Route`, `APIRoute`) by their last name."""
    return frozenset(load("frameworks")["routes"]["classes"])


@cache
def fastapi_default_routes() -> tuple[tuple[str, str], ...]:
    """(constructor keyword, default path) of the routes FastAPI serves by itself."""
    return tuple(load("frameworks")["fastapi_default_routes"].items())


def dependency_markers() -> Names:
    return names("frameworks", "dependencies", "markers")


@cache
def _dependency_marker_words() -> frozenset[str]:
    return frozenset(entry.rsplit(".", 1)[-1] for entry in dependency_markers())


def is_dependency_marker(name: str) -> bool:
    """`Depends(...)`/`Security(...)` by the last part of the called name: a marker itself
    (`fastapi.Depends`), or one the index leaves unresolved or reaches through a re-export
    (`params.Depends`, a star import)."""
    return name.rsplit(".", 1)[-1] in _dependency_marker_words()


@cache
def container_names() -> tuple[frozenset[str], frozenset[str]]:
    """dependency-injector's `Provide` markers and the providers whose first argument builds what they give
    (knowledge/frameworks.toml [dependencies])."""
    table = load("frameworks")["dependencies"]
    return frozenset(table.get("container_markers", ())), frozenset(table.get("container_providers", ()))


@cache
def field_factories() -> tuple[frozenset[str], tuple[str, ...]]:
    """Class attribute declarations built per instance by a factory (`field(default_factory=f)`): the
    declaring functions by qualified name, and the keywords that name the factory."""
    fields = load("frameworks")["fields"]
    return frozenset(fields["functions"]), tuple(fields["factories"])


@cache
def trait_kind(name: str) -> str | None:
    """`type` for a traitlets `Type(...)` declaration, `instance` for an `Instance(...)` one ([traits]), else None."""
    traits = load("frameworks")["traits"]
    return "type" if name in traits["types"] else "instance" if name in traits["instances"] else None


@cache
def middleware_hooks() -> dict[str, str]:
    """([middleware.hooks]) base class -> the method of a subclass a middleware awaits for every request."""
    return dict(load("frameworks")["middleware"]["hooks"])


@cache
def middleware_wrappers() -> frozenset[str]:
    """([middleware] wrappers) `Middleware(cls, **options)`, the entry of an application's middleware list."""
    return frozenset(load("frameworks")["middleware"]["wrappers"])


@cache
def library_hooks() -> dict[str, tuple[str, tuple[str, ...]]]:
    """([library_hooks]) a library's base class -> why its subclass's methods run, and the methods the library's
    own routes await on a request (FastAPI Users' `BaseUserManager.on_after_*`)."""
    return {base: (entry["why"], tuple(entry["methods"]))
            for entry in load("frameworks")["library_hooks"] for base in entry["bases"]}


@dataclass(frozen=True)
class Endpoints:
    """Starlette's class-based endpoints ([endpoints]): the base classes, the methods their dispatch awaits,
    and what registers a class (or a function) as a route."""
    http: frozenset[str]
    websocket: frozenset[str]
    http_methods: frozenset[str]
    websocket_methods: frozenset[str]
    decorators: frozenset[str]
    route_classes: frozenset[str]
    adders: frozenset[str]
    exception_decorators: frozenset[str]  # `@app.exception_handler(Exc)` on an error handler
    exception_adders: frozenset[str]  # `app.add_exception_handler(Exc, handler)`


def _sets(table: str, *keys: str) -> tuple[frozenset[str], ...]:
    """The named lists of one table of frameworks.toml, each as a set."""
    section = load("frameworks")[table]
    return tuple(frozenset(section[key]) for key in keys)


@cache
def endpoints() -> Endpoints:
    return Endpoints(*_sets("endpoints", "http", "websocket", "http_methods", "websocket_methods", "decorators",
                            "route_classes", "adders", "exception_decorators", "exception_adders"))


@cache
def deferred_runners() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """([deferred]) the background task adders by last name, the asyncio schedulers' constructors, and their
    methods that add a job."""
    background, schedulers, scheduling = _sets("deferred", "background", "schedulers", "scheduling")
    return background, schedulers, scheduling


@cache
def job_second() -> frozenset[str]:
    """([deferred] job_second) the scheduling methods that take the job second, after its timing."""
    return frozenset(load("frameworks")["deferred"]["job_second"])


@cache
def task_spawners() -> frozenset[str]:
    """([deferred] spawners) what makes a coroutine a task of the running loop, by last name."""
    return frozenset(load("frameworks")["deferred"]["spawners"])


@cache
def socket_servers() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """python-socketio's asyncio server constructors, the methods that register a handler on one, and its
    namespace base classes ([sockets])."""
    servers, registrations, namespaces = _sets("sockets", "servers", "registrations", "namespaces")
    return servers, registrations, namespaces


@cache
def mcp_servers() -> tuple[frozenset[str], frozenset[str]]:
    """MCP servers' constructors and the decorator methods that register a request handler on one ([mcp])."""
    servers, registrations = _sets("mcp", "servers", "registrations")
    return servers, registrations


@cache
def agent_tools() -> tuple[frozenset[str], frozenset[str]]:
    """([agent_tools]) the decorators that make a function an OpenAI Agents SDK tool, and the runner calls that, awaited,
    run the tools on the caller's loop."""
    decorators, runs = _sets("agent_tools", "decorators", "runs")
    return decorators, runs


@cache
def graphql_resolvers() -> tuple[frozenset[str], frozenset[str]]:
    """([graphql]) what makes a function a Strawberry resolver, and the ASGI integrations that serve a schema."""
    resolvers, servers = _sets("graphql", "resolvers", "servers")
    return resolvers, servers


@cache
def ocpp_decorators() -> frozenset[str]:
    """([ocpp] decorators) what registers a charge point's handler for an OCPP action."""
    return frozenset(load("frameworks")["ocpp"]["decorators"])


@cache
def ocpp_station_actions() -> frozenset[str]:
    """([ocpp] station_actions) the actions a charging station sends, lower-cased without underscores."""
    return frozenset(action.lower() for action in load("frameworks")["ocpp"]["station_actions"])


@dataclass(frozen=True)
class Models:
    """Model base classes ([models]) whose class methods build an instance of the class they are called on
    (`constructors`) and whose instance methods return a copy of it (`copies`)."""

    bases: frozenset[str]
    constructors: frozenset[str]
    copies: frozenset[str]


@cache
def models() -> Models:
    return Models(*_sets("models", "bases", "constructors", "copies"))
