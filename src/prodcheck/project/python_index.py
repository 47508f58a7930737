"""The Python side of the project model: names resolved across modules, apps, routes, `Depends`
chains, start-up hooks, sessions and the call graph. Built from `PyFacts` only: nothing is imported."""
from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from prodcheck.knowledge.databases import engine_factory, session_classes
from prodcheck.knowledge.frameworks import app_kind, is_application, is_dependency_marker, route_methods
from prodcheck.model.facts import Assign, Call, Function, PyFacts, Value
from prodcheck.model.files import Context
from prodcheck.project.calls import CallIndex

# What frameworks and database libraries provide is knowledge: prodcheck.knowledge.frameworks, .databases.


@dataclass(frozen=True, slots=True)
class AppObject:
    qualname: str
    kind: str  # fastapi | starlette | router
    value: Value
    facts: PyFacts


@dataclass(frozen=True, slots=True)
class Route:
    function: Function
    facts: PyFacts
    method: str
    path: str
    owner: str  # qualname of the app/router object, "" when unresolved
    decorator: Value | None


@dataclass(frozen=True, slots=True)
class Resolved:
    """A module-qualified name resolved to what defines it."""

    qualname: str
    function: tuple[Function, PyFacts] | None = None
    assign: tuple[Assign, PyFacts] | None = None
    cls: bool = False


_ROUTE_ADDERS = frozenset({"add_api_route", "add_route", "add_api_websocket_route"})


class PythonIndex:
    def __init__(self, facts: dict[str, PyFacts], contexts: dict[str, Context], unread: tuple[str, ...] = ()) -> None:
        self.files = facts
        self.contexts = contexts
        # Python files of the project the parse prefilter left unread (they hold no word any rule looks
        # for): what their functions do is not known, only that they are the project's own.
        self._unread_paths = unread
        self.modules: dict[str, PyFacts] = {}
        self._suffix: dict[str, list[str]] = defaultdict(list)
        self.functions: dict[str, tuple[Function, PyFacts]] = {}
        self.assigns: dict[str, tuple[Assign, PyFacts]] = {}
        self.classes: dict[str, tuple[object, PyFacts]] = {}
        self.calls_by_scope: dict[str, list[Call]] = defaultdict(list)
        self.imports: dict[str, dict[str, str]] = {}
        # Rules resolve the same names for every call of the project: each answer is computed once
        # (the tables above are complete once __init__ returns and never change afterwards).
        self._resolved: dict[tuple[str, int], Resolved | None] = {}
        self._constructors: dict[str, str | None] = {}
        for _path, file_facts in sorted(facts.items()):
            self.modules.setdefault(file_facts.module, file_facts)
            parts = file_facts.module.split(".")
            for index in range(len(parts)):
                self._suffix[".".join(parts[index:])].append(file_facts.module)
            self.imports[file_facts.module] = dict(file_facts.imports)
            for function in file_facts.functions:
                self.functions.setdefault(function.qualname, (function, file_facts))
            for assign in file_facts.assigns:
                if not assign.scope or assign.scope == file_facts.module or "." in assign.target:
                    self.assigns[assign.target] = (assign, file_facts)
            for cls in file_facts.classes:
                self.classes[cls.qualname] = (cls, file_facts)
            for call in file_facts.calls:
                self.calls_by_scope[call.scope].append(call)

    @cached_property
    def calls(self) -> CallIndex:
        """The files that make each call name (the loops below over every call skip the other files)."""
        return CallIndex(self.files)

    # ---------------------------------------------------------------- name resolution

    def context_of(self, facts: PyFacts) -> Context:
        return self.contexts.get(facts.path, Context.PROD)

    def module_for(self, dotted: str) -> str | None:
        if dotted in self.modules:
            return dotted
        candidates = self._suffix.get(dotted)
        if candidates and len(set(candidates)) == 1:
            return candidates[0]
        head, _, rest = dotted.partition(".")
        if head in {"src", "lib"} and rest:
            # Module names drop a src/ (lib/) layout folder; a project whose src/ is itself a package
            # imports `src.config`, which is the module `config` here.
            return self.module_for(rest)
        return None

    def resolve(self, dotted: str, depth: int = 0) -> Resolved | None:
        """Follow a dotted name to the function, assignment or class that defines it."""
        key = (dotted, depth)
        try:
            return self._resolved[key]
        except KeyError:
            resolved = self._resolved[key] = self._resolve(dotted, depth)
            return resolved

    def _resolve(self, dotted: str, depth: int) -> Resolved | None:
        if not dotted or depth > 6:
            return None
        if dotted in self.functions:
            return Resolved(dotted, function=self.functions[dotted])
        if dotted in self.assigns:
            return Resolved(dotted, assign=self.assigns[dotted])
        if dotted in self.classes:
            return Resolved(dotted, cls=True)
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = self.module_for(".".join(parts[:cut]))
            if module is None:
                continue
            rest = parts[cut:]
            local = f"{module}.{'.'.join(rest)}"
            if local != dotted and (local in self.functions or local in self.assigns or local in self.classes):
                return self.resolve(local, depth + 1)
            imports = self.imports.get(module, {})
            imported = imports.get(rest[0])
            if imported:
                target = ".".join([imported, *rest[1:]])
                if target != dotted:
                    return self.resolve(target, depth + 1)
                return None
            for key, star in imports.items():  # `from .base_controllers import *` (the extractor's "*module" keys)
                if key.startswith("*") and star != module:
                    found = self.resolve(".".join([star, *rest]), depth + 1)
                    if found is not None:
                        return found
            return None
        return None

    @cached_property
    def _unread_suffixes(self) -> dict[str, int]:
        from prodcheck.extract.python import module_name_for

        counts: dict[str, int] = defaultdict(int)
        for path in self._unread_paths:
            parts = module_name_for(path).split(".")
            for index in range(len(parts)):
                counts[".".join(parts[index:])] += 1
        return counts

    def in_unread_module(self, dotted: str) -> bool:
        """`app.audit.recorder.record` where `app/audit.py` is a project file the prefilter left unread."""
        if not self._unread_paths:
            return False
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            prefix = ".".join(parts[:cut])
            if self.module_for(prefix) is not None:
                return False
            if prefix in self._unread_suffixes:
                return True
        return False

    def function(self, dotted: str) -> tuple[Function, PyFacts] | None:
        resolved = self.resolve(dotted)
        if resolved is None:
            return None
        if resolved.function:
            return resolved.function
        if resolved.assign and resolved.assign[0].value.kind == "name":
            return self.function(resolved.assign[0].value.text)
        return None

    def assigned_value(self, dotted: str, depth: int = 0) -> Value | None:
        """The value a module-level name was assigned, following plain aliases."""
        resolved = self.resolve(dotted)
        if resolved is None or resolved.assign is None or depth > 5:
            return None
        value = resolved.assign[0].value
        if value.kind == "name" and value.text != dotted:
            return self.assigned_value(value.text, depth + 1) or value
        return value

    def constructor_of(self, dotted: str) -> str | None:
        """The callable that built the object a module-level name holds (`environ.Env` for
        `env = environ.Env()`), for knowledge entries on methods of instances."""
        try:
            return self._constructors[dotted]
        except KeyError:
            pass
        value = self.assigned_value(dotted)
        built = value.text if value is not None and value.kind == "call" and value.text else None
        self._constructors[dotted] = built
        return built

    def call_target(self, call: Call, function: Function | None = None) -> tuple[Function, PyFacts] | None:
        name = call.name
        if name.startswith("self.") and function is not None and function.class_name:
            name = f"{function.class_name}.{name[5:]}"
        if call.receiver and not name.startswith(function.class_name if function else "\0"):
            return None
        return self.function(name)

    # ---------------------------------------------------------------- apps and routes

    @cached_property
    def apps(self) -> dict[str, AppObject]:
        found: dict[str, AppObject] = {}
        for qualname, (assign, facts) in self.assigns.items():
            value = assign.value
            kind = app_kind(value.text) if value.kind == "call" else None
            if kind is not None:
                found[qualname] = AppObject(qualname, kind, value, facts)
            elif value.kind == "call" and not assign.scope.count(".") > facts.module.count("."):
                built = self._factory_app(value.text)
                if built is not None:  # app = create_app()
                    found[qualname] = AppObject(qualname, app_kind(built.text) or "fastapi", built, facts)
                elif (kind := self._subclassed_app(value.text)) is not None:  # router = UserAPIRouter()
                    found[qualname] = AppObject(qualname, kind, value, facts)
        return found

    def _factory_app(self, name: str) -> Value | None:
        """The FastAPI(...) call a project factory function returns, if it returns one."""
        target = self.function(name)
        if target is None:
            return None
        function = target[0]
        for returned in function.returns:
            if returned.kind == "call" and app_kind(returned.text) is not None:
                return returned
            if returned.kind == "name":
                value = function.local(returned.text)
                if value is not None and value.kind == "call" and app_kind(value.text) is not None:
                    return value
        return None

    def _subclassed_app(self, name: str) -> str | None:
        """The kind of app a project class subclassing FastAPI / APIRouter builds, if it does."""
        resolved = self.resolve(name)
        if resolved is None or not resolved.cls:
            return None
        entry = self.classes.get(resolved.qualname)
        for base in getattr(entry[0], "bases", ()) if entry else ():
            if (kind := app_kind(base)) is not None:
                return kind
        return None

    def app_object(self, dotted: str) -> AppObject | None:
        if dotted in self.apps:
            return self.apps[dotted]
        resolved = self.resolve(dotted)
        if resolved and resolved.qualname in self.apps:
            return self.apps[resolved.qualname]
        if resolved and resolved.assign and resolved.assign[0].value.kind == "name":
            return self.app_object(resolved.assign[0].value.text) if resolved.assign[0].value.text != dotted else None
        return None

    @staticmethod
    def _imports_web_framework(facts: PyFacts) -> bool:
        return any(target.startswith(("fastapi", "starlette")) for _, target in facts.imports)

    @cached_property
    def routes(self) -> list[Route]:
        routes: list[Route] = []
        adders = self.calls.matching(lambda name: name.rpartition(".")[2] in _ROUTE_ADDERS)
        adding = self.calls.paths_calling(adders)
        for facts in self.files.values():
            framework = self._imports_web_framework(facts)
            for function in facts.functions:
                for decorator in function.decorators:
                    if decorator.kind != "call":
                        continue
                    owner, _, method = decorator.text.rpartition(".")
                    if method not in route_methods() or not owner:
                        continue
                    app = self.app_object(owner)
                    if app is None and (not framework or owner.split(".", 1)[0] in sys.stdlib_module_names):
                        continue  # `@patch("pkg.name")` is unittest.mock's, not a PATCH route
                    path_value = decorator.arg(0) or decorator.kwarg("path")
                    if path_value is None or not path_value.is_str:
                        continue
                    routes.append(Route(function, facts, method, str(path_value.literal),
                                        app.qualname if app else "", decorator))
            for call in facts.calls if facts.path in adding else ():
                if call.value.text not in adders:
                    continue
                owner, _, method = call.name.rpartition(".")
                path_value, handler = call.value.arg(0), call.value.arg(1) or call.value.kwarg("endpoint")
                if path_value is None or not path_value.is_str or handler is None or handler.kind != "name":
                    continue
                target = self.function(handler.text)
                if target is not None:
                    app = self.app_object(owner)
                    routes.append(Route(target[0], target[1], "get", str(path_value.literal),
                                        app.qualname if app else "", None))
        return routes

    @cached_property
    def route_functions(self) -> dict[str, Route]:
        return {route.function.qualname: route for route in self.routes}

    @cached_property
    def mounts(self) -> dict[str, list[tuple[str, str, Call]]]:
        """parent app/router -> [(child router, prefix, call)] from include_router and mount."""
        edges: dict[str, list[tuple[str, str, Call]]] = defaultdict(list)
        for _facts, call in self.calls.named(lambda name: name.rpartition(".")[2] in {"include_router", "mount"}):
            owner, _, method = call.name.rpartition(".")
            parent = self.app_object(owner)
            if parent is None:
                continue
            if method == "include_router":
                child_value, prefix_value = call.value.arg(0), call.value.kwarg("prefix")
            else:
                prefix_value, child_value = call.value.arg(0), call.value.arg(1) or call.value.kwarg("app")
            if child_value is None or child_value.kind != "name":
                continue
            child = self.app_object(child_value.text)
            if child is None:
                continue
            prefix = str(prefix_value.literal) if prefix_value is not None and prefix_value.is_str else ""
            edges[parent.qualname].append((child.qualname, prefix, call))
        return edges

    @cached_property
    def _mount_parents(self) -> dict[str, list[tuple[str, str]]]:
        parents: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for parent, children in self.mounts.items():
            for child, prefix, _ in children:
                parents[child].append((parent, prefix))
        return parents

    def _own_prefix(self, qualname: str) -> str:
        app = self.apps.get(qualname)
        if app is None:
            return ""
        value = app.value.kwarg("prefix")
        return str(value.literal) if value is not None and value.is_str else ""

    def mount_prefixes(self, owner: str) -> frozenset[str]:
        """Every prefix under which an app/router's routes are served, up through include_router/mount."""
        cache = self.__dict__.setdefault("_prefix_cache", {})
        if owner in cache:
            return cache[owner]
        results: set[str] = set()

        def climb(qualname: str, suffix: str, seen: frozenset[str]) -> None:
            path = self._own_prefix(qualname) + suffix
            ups = self._mount_parents.get(qualname, [])
            if not ups:
                results.add(path)
                return
            for parent, prefix in ups:
                if parent not in seen:
                    climb(parent, prefix + path, seen | {parent})

        climb(owner, "", frozenset({owner}))
        cache[owner] = frozenset(results)
        return cache[owner]

    def full_paths(self, route: Route) -> set[str]:
        """Every URL path a route is served at, router prefixes and include_router prefixes applied."""
        if not route.owner:
            return {route.path}
        return {prefix + route.path for prefix in self.mount_prefixes(route.owner)}

    # ---------------------------------------------------------------- dependencies

    def _depends_in(self, value: Value | None, depth: int = 0) -> list[str]:
        if value is None or depth > 4:
            return []
        if value.kind == "call" and is_dependency_marker(value.text):
            target = value.arg(0) or value.kwarg("dependency")
            return [target.text] if target is not None and target.kind in {"name", "call"} else []
        if value.kind == "subscript" and value.last == "Annotated":
            return [d for item in value.items[1:] for d in self._depends_in(item, depth + 1)]
        if value.kind == "name":
            aliased = self.assigned_value(value.text)
            if aliased is not None and aliased.kind == "subscript":
                return self._depends_in(aliased, depth + 1)
        if value.kind == "seq":
            return [d for item in value.items for d in self._depends_in(item, depth + 1)]
        return []

    def parameter_dependencies(self, function: Function) -> list[tuple[str, str]]:
        """(parameter, dependency name) for `Depends(...)` defaults and `Annotated[..., Depends(...)]`."""
        found: list[tuple[str, str]] = []
        for param in function.params:
            for target in self._depends_in(param.default) or self._depends_in(param.annotation):
                found.append((param.name, target))
        return found

    def decorator_dependencies(self, function: Function) -> list[str]:
        return [d for decorator in function.decorators if decorator.kind == "call"
                for d in self._depends_in(decorator.kwarg("dependencies"))]

    def dependency_functions(self, function: Function, depth: int = 0) -> list[tuple[Function, PyFacts]]:
        """Every function the dependency chain of `function` runs, transitively."""
        seen: dict[str, tuple[Function, PyFacts]] = {}
        stack = [name for _, name in self.parameter_dependencies(function)] + self.decorator_dependencies(function)
        while stack and len(seen) < 100:
            name = stack.pop()
            target = self.function(name)
            if target is None:
                cls = self.resolve(name)
                if cls is not None and cls.cls:
                    target = self.functions.get(f"{cls.qualname}.__call__") or self.functions.get(f"{cls.qualname}.__init__")
            if target is None or target[0].qualname in seen:
                continue
            seen[target[0].qualname] = target
            stack.extend(dep for _, dep in self.parameter_dependencies(target[0]))
        return list(seen.values())

    # ---------------------------------------------------------------- sessions and engines

    def session_kind(self, value: Value | None, function: Function | None, depth: int = 0) -> str | None:
        """"sync" / "async" when a value is a SQLAlchemy session (or engine connection), else None."""
        if value is None or depth > 6:
            return None
        if value.kind == "name":
            if function is not None:
                for name, local_value, via_async_with in reversed(function.locals):
                    if name == value.text:
                        kind = self.session_kind(local_value, function, depth + 1)
                        return "async" if kind and via_async_with else kind
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
        for _facts, call in self.calls.named(is_application):
            scope = self.functions.get(call.scope)
            for target in self._lifespan_functions(call.value.kwarg("lifespan"), scope[0] if scope else None):
                hooks[target[0].qualname] = (*target, "lifespan")
            on_startup = call.value.kwarg("on_startup")
            for item in on_startup.items if on_startup is not None else ():
                for target in self._lifespan_functions(item, scope[0] if scope else None):
                    hooks[target[0].qualname] = (*target, "on_startup")
        handlers = self.calls.matching(lambda name: name.endswith("add_event_handler"))
        handling = self.calls.paths_calling(handlers)
        for facts in self.files.values():
            for function in facts.functions:
                if function.qualname not in hooks and _app_context_manager(function):
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
        for qualname, (cls, _facts) in self.classes.items():
            bases = getattr(cls, "bases", ())
            if any(b.endswith("BaseHTTPMiddleware") for b in bases):
                target = self.functions.get(f"{qualname}.dispatch")
                if target:
                    found[qualname] = target
        return list(found.values())

    def runs_server(self, ref: str) -> bool:
        """`python -m pkg` / `python main.py`: the module (a package's `__main__`) starts a web server
        in process (`uvicorn.run(...)`, knowledge/servers.toml `[run_calls]`)."""
        from prodcheck.knowledge.servers import server_run_calls

        dotted = ref.removeprefix("./").removesuffix(".py").replace("/", ".").strip(".")
        if not dotted:
            return False
        for candidate in (f"{dotted}.__main__", dotted):
            module = self.module_for(candidate)
            facts = self.modules.get(module) if module else None
            if facts is None:
                continue
            for call in facts.calls:
                function = self.functions.get(call.scope)

                def constructor(name: str, scope: Function | None = function[0] if function else None) -> str | None:
                    local = scope.local(name) if scope is not None else None
                    return local.text if local is not None and local.kind == "call" else self.constructor_of(name)
                if server_run_calls().match(call.name, constructor):
                    return True
            return False
        return False

    # ---------------------------------------------------------------- call graph

    def callees(self, function: Function) -> list[tuple[Call, Function, PyFacts]]:
        out = []
        for call in self.calls_by_scope.get(function.qualname, []):
            target = self.call_target(call, function)
            if target is not None and target[0].qualname != function.qualname:
                out.append((call, *target))
        return out

    @cached_property
    def import_graph(self) -> dict[str, set[str]]:
        graph: dict[str, set[str]] = {}
        for module, facts in self.modules.items():
            edges = set()
            for imported in facts.imported_modules:
                target = self.module_for(imported)
                if target is None and "." in imported:
                    target = self.module_for(imported.rsplit(".", 1)[0])
                if target is not None and target != module:
                    edges.add(target)
            graph[module] = edges
        return graph

    def imported_closure(self, roots: list[str]) -> set[str]:
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


@dataclass(slots=True)
class Reach:
    """Async functions on the request path, and why each is there."""

    functions: dict[str, tuple[Function, PyFacts, str]] = field(default_factory=dict)
