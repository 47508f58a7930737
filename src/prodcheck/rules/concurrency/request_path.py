"""Which `async def` functions run on the event loop for requests, and what blocks in them.

Shared by PC501 (blocking I/O) and PC503 (CPU-bound calls): both need the async functions on the
request path (routes, their `Depends` chains, middleware, lifespan and startup handlers, and the async
helpers those await) and the project's own sync helpers called from them, followed transitively.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prodcheck.model.facts import Call, Function, PyFacts
from prodcheck.model.files import Context
from prodcheck.project import Project
from prodcheck.project.python_index import PythonIndex

HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream",
                        "urlopen"})
_HTTP = "sync HTTP client `requests`"
_SUBPROCESS = "`subprocess`, which waits for the child process"
BLOCKING_CALLS: dict[str, str] = {
    "time.sleep": "`time.sleep()`",
    **{f"requests.{verb}": _HTTP for verb in ("request", "get", "post", "put", "patch", "delete", "head", "options")},
    **{f"httpx.{verb}": "sync `httpx` call" for verb in ("request", "get", "post", "put", "patch", "delete", "stream")},
    "urllib.request.urlopen": "`urllib.request.urlopen()`", "urllib.request.urlretrieve": "`urllib.request.urlretrieve()`",
    "urllib3.request": "sync HTTP client `urllib3`",
    **{f"subprocess.{name}": _SUBPROCESS for name in ("run", "call", "check_call", "check_output", "getoutput",
                                                      "getstatusoutput", "Popen")},
    "os.system": "`os.system()`", "os.popen": "`os.popen()`", "os.waitpid": "`os.waitpid()`",
    "psycopg2.connect": "sync PostgreSQL driver `psycopg2`", "psycopg.connect": "sync `psycopg` connection",
    "psycopg.Connection.connect": "sync `psycopg` connection",
    "pymysql.connect": "sync MySQL driver `pymysql`", "MySQLdb.connect": "sync MySQL driver",
    "mysql.connector.connect": "sync MySQL driver", "sqlite3.connect": "sync `sqlite3` driver",
    "pyodbc.connect": "sync ODBC driver", "cx_Oracle.connect": "sync Oracle driver", "oracledb.connect": "sync Oracle driver",
    "smtplib.SMTP": "sync SMTP client", "smtplib.SMTP_SSL": "sync SMTP client",
    "socket.create_connection": "a blocking socket", "open": "file I/O with `open()`",
}
# Constructors whose instances do blocking I/O in (almost) every method.
SYNC_CLIENTS: dict[str, str] = {
    "requests.Session": "sync HTTP client `requests.Session`", "requests.session": "sync HTTP client `requests.Session`",
    "httpx.Client": "sync `httpx.Client`", "urllib3.PoolManager": "sync HTTP client `urllib3`",
    "redis.Redis": "sync Redis client", "redis.StrictRedis": "sync Redis client", "redis.from_url": "sync Redis client",
    "redis.Redis.from_url": "sync Redis client", "pymongo.MongoClient": "sync MongoDB client `pymongo`",
    "boto3.client": "sync AWS SDK `boto3`", "boto3.resource": "sync AWS SDK `boto3`",
    "psycopg2.connect": "sync PostgreSQL connection `psycopg2`", "sqlite3.connect": "sync `sqlite3` connection",
    "elasticsearch.Elasticsearch": "sync Elasticsearch client",
}
_CLIENT_SAFE_METHODS = frozenset({"close", "__enter__", "__exit__", "headers", "cookies", "mount", "build_request"})
SESSION_IO_METHODS = frozenset({"execute", "get", "query", "commit", "flush", "refresh", "scalar", "scalars",
                                "exec", "rollback", "merge", "delete", "connection", "get_one", "bulk_save_objects",
                                "bulk_insert_mappings", "bulk_update_mappings", "exec_driver_sql", "close"})
_SESSION_NON_IO = frozenset({"add", "add_all", "expunge", "expunge_all", "expire", "begin_nested"})


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
        method = route.method.upper() if route.method not in {"api_route", "route"} else "route"
        paths = sorted(index.full_paths(route)) or [route.path]
        stack.append(Entry(route.function, route.facts, f"route {method} {paths[0]}"))
        for dependency, dep_facts in index.dependency_functions(route.function):
            stack.append(Entry(dependency, dep_facts, f"dependency of `{route.function.qualname.rsplit('.', 1)[-1]}`"))
    for function, facts in index.middleware_functions:
        stack.append(Entry(function, facts, "middleware"))
    for function, facts, how in (index.startup_hooks if include_startup else ()):
        stack.append(Entry(function, facts, how))
    while stack:
        entry = stack.pop()
        if entry.function.qualname in found or not entry.function.is_async:
            continue
        found[entry.function.qualname] = entry
        for _call, target, target_facts in index.callees(entry.function):
            if target.is_async and target.qualname not in found:
                stack.append(Entry(target, target_facts, f"awaited from `{entry.function.qualname.rsplit('.', 1)[-1]}`"))
    return found


@dataclass(frozen=True, slots=True)
class Blocking:
    call: Call
    facts: PyFacts
    what: str
    chain: tuple[str, ...] = ()  # project helpers between the async function and the blocking call


class BlockingAnalysis:
    """Blocking calls by function, with sync project helpers followed transitively."""

    def __init__(self, project: Project, classify: Callable[[PythonIndex, Call, Function], str | None]) -> None:
        self.project = project
        self.index = project.python
        self.classify = classify
        self._sync_summary: dict[str, list[Blocking]] = {}

    def direct(self, function: Function, facts: PyFacts) -> Iterator[Blocking]:
        for call in self.index.calls_by_scope.get(function.qualname, []):
            if call.offloaded or call.awaited:
                continue
            what = self.classify(self.index, call, function)
            if what:
                yield Blocking(call, facts, what)

    def through_helpers(self, function: Function) -> Iterator[tuple[Call, Blocking]]:
        """Calls to the project's own sync functions that (transitively) block."""
        for call, target, target_facts in self.index.callees(function):
            if call.offloaded or call.awaited or target.is_async:
                continue
            inner = self.sync_summary(target, target_facts, frozenset({function.qualname}))
            if inner:
                yield call, inner[0]

    def sync_summary(self, function: Function, facts: PyFacts, seen: frozenset[str], depth: int = 0) -> list[Blocking]:
        if function.qualname in self._sync_summary:
            return self._sync_summary[function.qualname]
        if depth > 4 or function.qualname in seen:
            return []
        if self.index.contexts.get(facts.path, Context.PROD) == Context.TEST:
            return []
        found = list(self.direct(function, facts))
        if not found:
            for call, target, target_facts in self.index.callees(function):
                if call.offloaded or target.is_async:
                    continue
                inner = self.sync_summary(target, target_facts, seen | {function.qualname}, depth + 1)
                if inner:
                    found.append(Blocking(inner[0].call, inner[0].facts, inner[0].what,
                                          (target.qualname.rsplit(".", 1)[-1], *inner[0].chain)))
                    break
        self._sync_summary[function.qualname] = found
        return found


def classify_blocking(index: PythonIndex, call: Call, function: Function) -> str | None:
    """Why a call blocks the event loop, or None."""
    name = call.name
    if name in BLOCKING_CALLS and not call.receiver:
        if name == "open" and _opened_elsewhere(call):
            return None
        return BLOCKING_CALLS[name]
    passed = _sync_session_argument(index, call, function)
    if passed:
        return passed
    head, _, method = name.rpartition(".")
    if not head:
        return None
    if call.receiver:
        local = function.local(call.receiver)
        if local is not None and local.kind == "call" and local.text in SYNC_CLIENTS and method not in _CLIENT_SAFE_METHODS:
            if head == call.receiver:
                return SYNC_CLIENTS[local.text]
        if head == call.receiver and method in SESSION_IO_METHODS and method not in _SESSION_NON_IO:
            kind = index.session_kind(_name_value(call), function)
            if kind == "sync":
                return f"sync SQLAlchemy session call `{call.receiver}.{method}()`"
        if head == call.receiver and method in {"connect", "begin", "execute"}:
            if index.engine_kind(call.receiver, function) == "sync":
                return f"sync SQLAlchemy engine call `{call.receiver}.{method}()`"
        return None
    assigned = index.assigned_value(head)
    if assigned is not None and assigned.kind == "call":
        if assigned.text in SYNC_CLIENTS and method not in _CLIENT_SAFE_METHODS:
            return SYNC_CLIENTS[assigned.text]
        if assigned.text in {"sqlalchemy.create_engine", "sqlmodel.create_engine"} and method in {"connect", "begin", "execute"}:
            return f"sync SQLAlchemy engine call `{head.rsplit('.', 1)[-1]}.{method}()`"
    return None


_NOT_IO_WRAPPERS = frozenset({"len", "isinstance", "print", "repr", "str", "id", "type", "hasattr", "getattr",
                              "setattr", "bool", "logging", "Depends", "fastapi.Depends"})


def _sync_session_argument(index: PythonIndex, call: Call, function: Function) -> str | None:
    """A sync session handed to a sync helper (`crud.get_user(db, id)`): the helper queries on the loop."""
    if call.name in _NOT_IO_WRAPPERS or call.name.startswith(("logging.", "logger.", "log.")):
        return None
    if call.receiver and call.name.startswith(call.receiver + "."):
        return None  # the session's own methods are judged above
    target = index.call_target(call, function)
    if target is not None and target[0].is_async:
        return None
    arguments = [*call.value.items, *(value for _, value in call.value.keywords)]
    for argument in arguments:
        if argument.kind == "name" and "." not in argument.text and _is_sync_session(index, argument, function):
            return f"`{call.name.rsplit('.', 1)[-1]}()` called with the sync SQLAlchemy session `{argument.text}`"
    return None


def _is_sync_session(index: PythonIndex, value, function: Function) -> bool:
    return index.session_kind(value, function) == "sync"


def _opened_elsewhere(call: Call) -> bool:
    return call.value.kwarg("opener") is not None


def _name_value(call: Call):
    from prodcheck.model.facts import Value

    return Value("name", call.span, text=call.receiver)
