"""Does a route reach the database or another service? Followed through its `Depends` chain and the
project's own helpers it calls, from the Python index only.

What counts: a query on a SQLAlchemy session or engine (`session.execute()`, `engine.connect()`,
sessions from `Depends(get_db)` or `async with SessionLocal()`), raw driver connections (asyncpg,
psycopg, `databases`), Redis calls, and outbound HTTP (`httpx`, `requests`, `aiohttp`, `urllib`).
Opening a session or committing an unused one is not a round trip and does not count.
"""
from __future__ import annotations


from prodcheck.knowledge import listed, load
from prodcheck.model.facts import Call, Function, PyFacts, Value
from prodcheck.model.finding import Location
from prodcheck.project.python_index import PythonIndex
from prodcheck.model.record import record

_KNOWN = load("dependencies")
SESSION_QUERY_METHODS = frozenset(_KNOWN["sessions"]["query_methods"])
# The engine methods that check out a connection: one list with PC501's (knowledge/blocking.toml).
DRIVER_CALLS: dict[str, str] = dict(_KNOWN["drivers"])
OUTBOUND_CALLS: dict[str, str] = {f"{module}.{function}": entry["what"]
                                  for module, entry in _KNOWN["outbound"].items() for function in entry["functions"]}
CLIENTS: dict[str, str] = dict(_KNOWN["client_constructors"])
_CLIENT_QUIET = frozenset(_KNOWN["clients"]["quiet_methods"])


@record
class Touch:
    what: str  # "queries the database (`session.execute()`)"
    location: Location  # the call that does it
    via: tuple[str, ...] = ()  # dependencies / helpers between the route and the call


class TouchAnalysis:
    def __init__(self, index: PythonIndex) -> None:
        self.index = index
        self._memo: dict[str, Touch | None] = {}

    def route(self, function: Function, facts: PyFacts) -> Touch | None:
        """The first database / outbound call a request to this route makes, if any."""
        found = self.function(function, facts, frozenset())
        if found is not None:
            return found
        for dependency, dep_facts in self.index.dependency_functions(function):
            inner = self.function(dependency, dep_facts, frozenset({function.qualname}))
            if inner is not None:
                return Touch(inner.what, inner.location, (_short(dependency.qualname), *inner.via))
        return None

    def function(self, function: Function, facts: PyFacts, seen: frozenset[str], depth: int = 0) -> Touch | None:
        key = function.qualname
        if key in self._memo:
            return self._memo[key]
        if key in seen or depth > 4:
            return None
        found: Touch | None = None
        for call in self.index.calls_by_scope.get(key, []):
            what = self.classify(call, function)
            if what:
                found = Touch(what, Location(facts.path, call.span))
                break
        if found is None:
            for _call, target, target_facts in self.index.callees(function):
                inner = self.function(target, target_facts, seen | {key}, depth + 1)
                if inner is not None:
                    found = Touch(inner.what, inner.location, (_short(target.qualname), *inner.via))
                    break
        self._memo[key] = found
        return found

    def classify(self, call: Call, function: Function) -> str | None:
        index = self.index
        name = call.name
        if name in DRIVER_CALLS:
            return DRIVER_CALLS[name]
        if name in OUTBOUND_CALLS and not call.receiver:
            return OUTBOUND_CALLS[name]
        head, _, method = name.rpartition(".")
        if not head:
            return None
        if call.receiver and head == call.receiver:
            if method in SESSION_QUERY_METHODS and index.session_kind(Value("name", call.value.at, text=call.receiver), function):
                return f"queries the database (`{call.receiver}.{method}()`)"
            if method in listed("blocking", "sqlalchemy", "engine_io") and index.engine_kind(call.receiver, function):
                return f"connects to the database (`{call.receiver}.{method}()`)"
            client = self._client(call.receiver, function)
            if client and method not in _CLIENT_QUIET:
                return f"{client} (`{call.receiver}.{method}()`)"
            return None
        if method in listed("blocking", "sqlalchemy", "engine_io") and index.engine_kind(head):
            return f"connects to the database (`{_short(head)}.{method}()`)"
        assigned = index.assigned_value(head)
        if assigned is not None and assigned.kind == "call" and method not in _CLIENT_QUIET:
            if assigned.text in CLIENTS:
                return f"{CLIENTS[assigned.text]} (`{_short(head)}.{method}()`)"
        return None

    def _client(self, name: str, function: Function) -> str | None:
        """What a local variable or parameter holds, when it is a client of another service."""
        bound = function.local(name)
        if bound is not None:
            return self._client_value(bound, function)
        for param, dependency in self.index.parameter_dependencies(function):
            if param == name:
                target = self.index.function(dependency)
                if target is not None:
                    for returned in target[0].returns:
                        described = self._client_value(returned, target[0])
                        if described:
                            return described
        return None

    def _client_value(self, value: Value, function: Function, depth: int = 0) -> str | None:
        if depth > 3:
            return None
        if value.kind == "call":
            if value.text in CLIENTS:
                return CLIENTS[value.text]
            head, _, method = value.text.rpartition(".")
            if method in {"acquire", "connection"} and head:
                assigned = self.index.assigned_value(head)
                if assigned is not None and assigned.kind == "call" and assigned.text in CLIENTS:
                    return CLIENTS[assigned.text]
            return None
        if value.kind == "name":
            local_value = function.local(value.text)
            if local_value is not None and local_value is not value:
                return self._client_value(local_value, function, depth + 1)
            assigned = self.index.assigned_value(value.text)
            if assigned is not None and assigned.kind == "call":
                return CLIENTS.get(assigned.text)
        return None


def _short(qualname: str) -> str:
    return qualname.rsplit(".", 1)[-1]
