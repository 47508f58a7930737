"""The Python side of the project model: names resolved across modules, apps, routes, `Depends`
chains, start-up hooks, sessions and the call graph. Built from `PyFacts` only: nothing is imported.

Three layers, each a class the next extends: names (python_names.py), apps, routes and dependencies
(python_routes.py), and here sessions, start-up hooks, middleware and the call graph."""
from __future__ import annotations

from dataclasses import field
from functools import cached_property
from typing import ClassVar, TypeVar

from prodcheck.knowledge.databases import engine_factory, session_classes
from prodcheck.knowledge.frameworks import application_constructors, is_application, library_hooks, middleware_hooks, middleware_wrappers
from prodcheck.model.facts import ASYNC_WITH, Call, Function, PyFacts, Value
from prodcheck.model.record import slotted
from prodcheck.project.python_routes import RouteIndex

_Hook = TypeVar("_Hook")  # what a table of hooks gives a base class


class PythonIndex(RouteIndex):
    """Sessions and engines, start-up hooks and middleware, and the call graph, over the routes and
    names of the layers below (python_routes.py, python_names.py)."""

    # What rules build on the index and share (kept in its `__dict__`, built again when asked for after a
    # `drop`), by the name a rule gives in `Rule.analyses`. "concurrency": what a name holds (`Holds`), the
    # request path, callees and endpoints of PC501 and PC503 (on polar, 11 of the 18 MiB PC501 adds).
    ANALYSES: ClassVar[dict[str, tuple[str, ...]]] = {
        "concurrency": ("_holds", "_request_path", "_resolved_callees", "_decorator_wrappers", "_endpoint_entries",
                        "_request_successors", "_request_entries", "_ocpp_handlers", "_socket_handlers",
                        "_mcp_handlers"),
    }

    def drop(self, analysis: str) -> None:
        """Let go of a shared analysis (`ANALYSES`) no rule left to run reads."""
        for key in self.ANALYSES[analysis]:
            self.__dict__.pop(key, None)

    # ---------------------------------------------------------------- sessions and engines

    def session_kind(self, value: Value | None, function: Function | None, depth: int = 0) -> str | None:
        """"sync" / "async" when a value is a SQLAlchemy session (or engine connection), else None."""
        if value is None or depth > 6:
            return None
        if value.kind == "name":
            if function is not None:
                for name, local_value, how in reversed(function.locals):
                    if name == value.text:
                        kind = self.session_kind(local_value, function, depth + 1)
                        return "async" if kind and how == ASYNC_WITH else kind
                for param, dep in self.parameter_dependencies(function):
                    if param == value.text:
                        return self.dependency_session_kind(dep, depth + 1)
                for param in function.params:
                    if param.name == value.text and param.annotation is not None:
                        return self.annotation_session_kind(param.annotation)
            return None
        if value.kind != "call":
            return None
        text = value.text
        if text in session_classes("sync"):
            return "sync"
        if text in session_classes("async"):
            return "async"
        if text.endswith((".begin", ".connect")):
            engine = self.engine_kind(text.rsplit(".", 1)[0], function)
            if engine:
                return engine
        if text.endswith("()") or text.endswith(".begin"):
            return None
        factory = self.assigned_value(text)
        if factory is not None and factory.kind == "call":
            return self.factory_session_kind(factory)
        target = self.function(text)
        if target is not None and target[0] is not function:
            for returned in target[0].returns:
                kind = self.session_kind(returned, target[0], depth + 1)
                if kind:
                    return kind
        return None

    def factory_session_kind(self, factory: Value) -> str | None:
        text = factory.text
        if text.endswith("async_sessionmaker"):
            return "async"
        if text.endswith("scoped_session") and factory.items:
            inner = factory.items[0]
            if inner.kind == "call":
                return self.factory_session_kind(inner)
            if inner.kind == "name":
                assigned = self.assigned_value(inner.text)
                return self.factory_session_kind(assigned) if assigned is not None and assigned.kind == "call" else "sync"
        if text.endswith("sessionmaker"):
            session_class = factory.kwarg("class_")
            if session_class is not None and session_class.text.endswith("AsyncSession"):
                return "async"
            return "sync"
        return None

    def annotation_session_kind(self, annotation: Value) -> str | None:
        if annotation.kind == "subscript" and annotation.last == "Annotated" and annotation.items:
            first = annotation.items[0]
            kind = self.annotation_session_kind(first)
            if kind:
                return kind
            deps = self._depends_in(annotation)
            return self.dependency_session_kind(deps[0]) if deps else None
        if annotation.kind == "name":
            if annotation.text in session_classes("sync"):
                return "sync"
            if annotation.text in session_classes("async"):
                return "async"
            aliased = self.assigned_value(annotation.text)
            if aliased is not None and aliased.kind == "subscript":
                return self.annotation_session_kind(aliased)
        return None

    def dependency_session_kind(self, dependency: str, depth: int = 0) -> str | None:
        target = self.function(dependency)
        if target is None or depth > 6:
            return None
        function = target[0]
        for returned in function.returns:
            kind = self.session_kind(returned, function, depth + 1)
            if kind:
                return kind
        return None

    def engine_kind(self, dotted: str, function: Function | None = None) -> str | None:
        value: Value | None = None
        if function is not None:
            value = function.local(dotted)
        if value is None:
            value = self.assigned_value(dotted)
        if value is None or value.kind != "call":
            return None
        factory = engine_factory(value.text)
        return factory.mode if factory is not None and factory.library == "sqlalchemy" else None

    # ---------------------------------------------------------------- start-up and middleware

    @cached_property
    def startup_hooks(self) -> list[tuple[Function, PyFacts, str]]:
        """(function, facts, how) for lifespans, startup events and handlers."""
        hooks: dict[str, tuple[Function, PyFacts, str]] = {}
        applications = self.calls.called(application_constructors())
        for _facts, call in self.calls.among(applications):
            scope = self.functions.get(call.scope)
            for target in self._lifespan_functions(call.value.kwarg("lifespan"), scope[0] if scope else None):
                hooks[target[0].qualname] = (*target, "lifespan")
            on_startup = call.value.kwarg("on_startup")
            for item in on_startup.items if on_startup is not None else ():
                for target in self._lifespan_functions(item, scope[0] if scope else None):
                    hooks[target[0].qualname] = (*target, "on_startup")
        handlers = self.calls.names_ending_with(("add_event_handler",))
        handling = self.calls.paths_calling(handlers)
        for facts in self.files.values():
            for function in facts.functions:
                # (an async function with parameters: the only kind `_app_context_manager` accepts, asked of those)
                if function.is_async and function.params and function.qualname not in hooks \
                        and _app_context_manager(function):
                    # `@asynccontextmanager async def init(app: FastAPI)` handed to a lifespan helper
                    # (`@lifespan_manager.register`, a list merged into one lifespan)
                    hooks[function.qualname] = (function, facts, "lifespan")
                for decorator in function.decorators:
                    if decorator.kind == "call" and decorator.last == "on_event":
                        event = decorator.arg(0)
                        if event is not None and event.literal == "startup":
                            hooks[function.qualname] = (function, facts, "startup event")
            for call in facts.calls if facts.path in handling else ():
                if call.value.text in handlers:
                    event, handler = call.value.arg(0), call.value.arg(1)
                    if event is not None and event.literal == "startup":
                        # a handler, or a factory call that returns one (`add_event_handler("startup", on_start(app))`)
                        scope = self.functions.get(call.scope)
                        for target in self._lifespan_functions(handler, scope[0] if scope else None):
                            hooks[target[0].qualname] = (*target, "startup event")
        return list(hooks.values())

    def _lifespan_functions(self, value: Value | None, scope: Function | None,
                            depth: int = 0) -> list[tuple[Function, PyFacts]]:
        """`lifespan=` as a function, a local bound to a factory call, or a factory call itself."""
        if value is None or depth > 3:
            return []
        if value.kind == "name":
            if scope is not None:
                for name, local, _ in reversed(scope.locals):
                    if name == value.text:
                        return self._lifespan_functions(local, scope, depth + 1)
            target = self.function(value.text)
            return [target] if target else []
        if value.kind == "call":
            factory = self.function(value.text)
            if factory is None:
                return []
            found = []
            for returned in factory[0].returns:
                if returned.kind == "name":
                    nested = self.functions.get(f"{factory[0].qualname}.{returned.text}")
                    found.extend([nested] if nested else self._lifespan_functions(returned, factory[0], depth + 1))
            return found
        return []

    @cached_property
    def middleware_functions(self) -> list[tuple[Function, PyFacts]]:
        found: dict[str, tuple[Function, PyFacts]] = {}
        for facts in self.files.values():
            for function in facts.functions:
                if any(d.kind == "call" and d.last == "middleware" for d in function.decorators):
                    found[function.qualname] = (function, facts)
        for facts, call in self.calls.ending({"middleware()"}, dotted=True):
            # `app.middleware("http")(db_session_middleware)`: the decorator applied by hand
            handler = call.value.arg(0)
            if handler is not None and handler.kind == "name":
                target = self.functions.get(f"{facts.module}.{handler.text}") or self.function(handler.text)
                if target is not None:
                    found.setdefault(target[0].qualname, target)
        for facts, call in self.calls.ending({"add_middleware", "Middleware"}):
            # `app.add_middleware(PluginMiddleware)`, `Middleware(PluginMiddleware)`: a pure ASGI middleware class,
            # whose `async def __call__(self, scope, receive, send)` the application awaits for every request
            # (https://www.starlette.io/middleware/#pure-asgi-middleware)
            if call.name.rpartition(".")[2] == "Middleware" and call.name not in middleware_wrappers() \
                    and call.name != "Middleware":
                continue
            given = call.value.arg(0)
            if given is not None and given.kind == "name":
                for candidate in (f"{facts.module}.{given.text}", given.text):
                    resolved = self.resolve(candidate)
                    if resolved is not None and resolved.cls:
                        target = self.functions.get(f"{resolved.qualname}.__call__")
                        if target is not None and target[0].is_async:
                            found.setdefault(resolved.qualname, target)
                        break
        for qualname, (cls, _facts) in self.classes.items():
            bases = getattr(cls, "bases", ())
            if any(b.endswith("BaseHTTPMiddleware") for b in bases):
                target = self.functions.get(f"{qualname}.dispatch")
                if target:
                    found[qualname] = target
            hook = self._hooked_base(qualname, middleware_hooks(), 0)
            if hook is not None and (target := self.functions.get(f"{qualname}.{hook}")) is not None:
                found.setdefault(qualname, target)
        return list(found.values())

    @cached_property
    def library_hook_functions(self) -> list[tuple[Function, PyFacts, str]]:
        """The methods of a project subclass of a library base class that the library's own routes await on a
        request (knowledge/frameworks.toml [library_hooks]: FastAPI Users' `on_after_forgot_password`), with why."""
        hooks = library_hooks()
        found: list[tuple[Function, PyFacts, str]] = []
        for qualname in self.classes:
            hooked = self._hooked_base(qualname, hooks, 0)
            if hooked is None:
                continue
            why, methods = hooked
            found.extend((*target, why) for method in methods
                         if (target := self.functions.get(f"{qualname}.{method}")) is not None)
        return found

    def _hooked_base(self, cls: str, table: dict[str, _Hook], depth: int) -> _Hook | None:
        """What `table` (base class -> hook) gives the project class `cls` through its bases and the project's
        classes between: the method a middleware awaits per request on an instance of it ([middleware.hooks]: an
        `AuthenticationBackend`'s `authenticate`), the hooks a library awaits ([library_hooks]); None for another
        class."""
        entry = self.classes.get(cls)
        if entry is None or depth > 8:
            return None
        for base in getattr(entry[0], "bases", ()):
            hook = table.get(base)
            if hook is None and base != cls:
                hook = self._hooked_base(base, table, depth + 1)
            if hook is not None:
                return hook
        return None

    def runs_server(self, ref: str, near: str = "") -> bool:
        """`python -m pkg` / `python main.py`: the module (a package's `__main__`) starts a web server
        in process (`uvicorn.run(...)`, knowledge/servers.toml `[run_calls]`). `near`: the file that runs it (a
        Dockerfile, a start script, a compose file), whose folders pick the copy when several services of the
        repository have a module of that name (`menu/src/main.py` and `restaurant/src/main.py` for `src/main.py`)."""
        dotted = ref.removeprefix("./").removesuffix(".py").replace("/", ".").strip(".")
        if not dotted:
            return False
        for candidate in (f"{dotted}.__main__", dotted):
            module = self.module_for(candidate) or (self._names.beside(candidate, near) if near else None)
            facts = self.modules.get(module) if module else None
            if facts is None:
                continue
            if any(self._runs_server_call(call) for call in facts.calls):
                return True
            # `if __name__ == "__main__": start_app()` with `start_app()` of another module calling `uvicorn.run`
            for call in facts.calls:
                if call.scope:
                    continue
                anchored = self.anchored_in(call.name, facts.module)  # the copy of the service that runs it
                target = self.function(anchored) if anchored else self.call_target(call)
                if target is not None and any(self._runs_server_call(inner)
                                              for inner in self.calls_by_scope.get(target[0].qualname, ())):
                    return True
            return False
        return False

    def _runs_server_call(self, call: Call) -> bool:
        """The call starts a web server in process (knowledge/servers.toml `[run_calls]`, `uvicorn.Server(config).run()`
        through what built the receiver)."""
        from prodcheck.knowledge.servers import server_run_calls

        function = self.functions.get(call.scope)

        def constructor(name: str, scope: Function | None = function[0] if function else None) -> str | None:
            local = scope.local(name) if scope is not None else None
            return local.text if local is not None and local.kind == "call" else self.constructor_of(name)
        return bool(server_run_calls().match(call.name, constructor))

    # ---------------------------------------------------------------- call graph

    def callees(self, function: Function) -> list[tuple[Call, Function, PyFacts]]:
        out = []
        for call in self.calls_by_scope.get(function.qualname, []):
            target = self.call_target(call, function)
            if target is not None and target[0].qualname != function.qualname:
                out.append((call, *target))
        return out

    @cached_property
    def import_graph(self) -> dict[str, tuple[str, ...]]:
        """Each module -> the project modules it imports (each once). Tuples: a set of one or two is 216 bytes,
        and the table lives to the end of the run (4,100 modules on the bench corpus)."""
        graph: dict[str, tuple[str, ...]] = {}
        # the modules every file imports (`typing`, `fastapi`) are looked up once; `get` with a default, not `[]`: a
        # KeyError raised for each distinct module (most of them, on a first lookup) costs several times a lookup
        found: dict[str, str | None] = {}
        for module, facts in self.modules.items():
            edges = set()
            for imported in facts.imported_modules:
                target = found.get(imported, "")
                if target == "":
                    target = self.module_for(imported)
                    if target is None and "." in imported:
                        target = self.module_for(imported.rsplit(".", 1)[0])
                    found[imported] = target
                if target is not None and target != module:
                    edges.add(target)
            graph[module] = tuple(edges)
        return graph

    def imported_closure(self, roots: list[str]) -> set[str]:
        """The modules `roots` import, directly or through others, and the roots themselves: kept per set of roots
        (rules ask the same again: polar's app modules eight times for PC403's one-off scripts, once for PC401).
        The set is shared: callers only read it."""
        key = frozenset(roots)
        closures: dict[frozenset[str], set[str]] = self.__dict__.setdefault("_closures", {})
        found = closures.get(key)
        if found is None:
            found = closures[key] = self._closure(roots)
        return found

    def _closure(self, roots: list[str]) -> set[str]:
        seen: set[str] = set()
        stack = list(roots)
        while stack:
            module = stack.pop()
            if module in seen:
                continue
            seen.add(module)
            stack.extend(self.import_graph.get(module, ()))
        return seen


def _app_context_manager(function: Function) -> bool:
    """An async context manager whose first parameter is the application: a lifespan by shape."""
    if not function.is_async or not function.params:
        return False
    if not any(d.text == "contextlib.asynccontextmanager" or d.last == "asynccontextmanager" for d in function.decorators):
        return False
    annotation = function.params[0].annotation
    return annotation is not None and is_application(annotation.text)


@slotted
class Reach:
    """Async functions on the request path, and why each is there."""

    functions: dict[str, tuple[Function, PyFacts, str]] = field(default_factory=dict)
