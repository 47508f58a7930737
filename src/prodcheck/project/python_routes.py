"""The Python side of the project model, second layer: applications, routers, routes and the
`Depends` chains of their functions, over the names `NameIndex` resolves."""
from __future__ import annotations

import sys
from collections import defaultdict
from functools import cached_property

from prodcheck.knowledge.frameworks import app_kind, page_decorators, route_methods
from prodcheck.knowledge.names import sweeping
from prodcheck.model.facts import Call, Function, PyFacts, Value
from prodcheck.model.files import Context
from prodcheck.project.unserved_routers import unserved_routers
from prodcheck.project.python_dependencies import DependencyIndex
from prodcheck.model.record import record

# What frameworks and database libraries provide is knowledge: prodcheck.knowledge.frameworks, .databases.


@record
class AppObject:
    qualname: str
    kind: str  # fastapi | starlette | router
    value: Value
    facts: PyFacts


@record
class Route:
    function: Function
    facts: PyFacts
    method: str
    path: str
    owner: str  # qualname of the app/router object, "" when unresolved
    decorator: Value | None
    literal: bool = True  # the path is a string literal; else `path` only shows it (`{namespace}/invoke`)


def shown_path(value: Value) -> str:
    """A route path built at run time, as a person reads it: an f-string's text, the parts of a `+`, and
    `{name}` for what is not a literal (`namespace + "/invoke"` -> `{namespace}/invoke`)."""
    if value.is_str:
        return str(value.literal)
    if value.kind == "fstring":
        return value.text
    if value.kind == "binop" and value.text == "Add":
        return "".join(shown_path(item) for item in value.items)
    if value.kind == "name" and value.text:
        return "{" + value.last + "}"
    return "{path}"


_ROUTE_ADDERS = frozenset({"add_api_route", "add_route", "add_api_websocket_route"})
_DEPENDENCY_TAKERS = frozenset({"include_router", "add_api_route", "api_route", "add_api_websocket_route"})


class RouteIndex(DependencyIndex):
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

    def _factory_app(self, name: str, depth: int = 0) -> Value | None:
        """The FastAPI(...) call a project factory function returns, if it returns one: itself, or through the
        project factory it returns the result of (`create_app()` -> `server = init_server(); return server`)."""
        target = self.function(name)
        if target is None or depth > 3:
            return None
        function = target[0]
        for returned in function.returns:
            value = function.local(returned.text) if returned.kind == "name" else returned
            if value is None or value.kind != "call":
                continue
            if app_kind(value.text) is not None:
                return value
            if value.text != name and (built := self._factory_app(value.text, depth + 1)) is not None:
                return built
        return None

    @cached_property
    def _any_app_subclass(self) -> bool:
        """Whether any project class names an app or router kind among its bases: without one, no name is
        a subclassed app, and `router_dependencies` asks of every call name of the project."""
        return any(app_kind(base) is not None for entry, _ in self.classes.values() for base in getattr(entry, "bases", ()))

    def _subclassed_app(self, name: str) -> str | None:
        """The kind of app a project class subclassing FastAPI / APIRouter builds, if it does."""
        if not self._any_app_subclass:
            return None
        resolved = self.resolve(name)
        if resolved is None or not resolved.cls:
            return None
        entry = self.classes.get(resolved.qualname)
        for base in getattr(entry[0], "bases", ()) if entry else ():
            if (kind := app_kind(base)) is not None:
                return kind
        return None

    def app_object(self, dotted: str) -> AppObject | None:
        """The app or router a name holds, following plain aliases (which can point at each other, as
        in `function`)."""
        seen: set[str] = set()
        while dotted not in seen and len(seen) < 16:
            seen.add(dotted)
            if dotted in self.apps:
                return self.apps[dotted]
            resolved = self.resolve(dotted)
            if resolved and resolved.qualname in self.apps:
                return self.apps[resolved.qualname]
            if not (resolved and resolved.assign and resolved.assign[0].value.kind == "name"):
                return None
            dotted = resolved.assign[0].value.text
        return None

    @staticmethod
    def _imports_web_framework(facts: PyFacts) -> bool:
        return any(target.startswith(("fastapi", "starlette")) for _, target in facts.imports)

    @cached_property
    def routes(self) -> list[Route]:
        routes: list[Route] = []
        adders = self.calls.names_ending(_ROUTE_ADDERS)
        adding = self.calls.paths_calling(adders)
        for facts in self.files.values():
            framework: bool | None = None  # whether the file imports FastAPI or Starlette, asked when it matters
            for function in facts.functions:
                for decorator in function.decorators:
                    if decorator.kind != "call":
                        continue
                    owner, _, method = decorator.text.rpartition(".")
                    path_value = decorator.arg(0) or decorator.kwarg("path")
                    if decorator.text in page_decorators():
                        if path_value is not None:
                            routes.append(Route(function, facts, "get", shown_path(path_value), "", decorator,
                                                path_value.is_str))
                        continue
                    if method not in route_methods() or not owner:
                        handed = self._handed_route_method(decorator)
                        if handed is None:
                            continue
                        owner, method, path_value = handed
                    app = self.app_object(owner)
                    if app is None and framework is None:
                        framework = self._imports_web_framework(facts)
                    if app is None and (not framework or owner.split(".", 1)[0] in sys.stdlib_module_names):
                        continue  # `@patch("pkg.name")` is unittest.mock's, not a PATCH route
                    if path_value is None:
                        continue
                    # a path built at run time (`prefix + "/items"`) is still a route: its function serves requests
                    routes.append(Route(function, facts, method, shown_path(path_value),
                                        app.qualname if app else "", decorator, path_value.is_str))
            for call in facts.calls if facts.path in adding else ():
                if call.value.text not in adders:
                    continue
                owner, _, method = call.name.rpartition(".")
                path_value, handler = call.value.arg(0), call.value.arg(1) or call.value.kwarg("endpoint")
                if path_value is None or handler is None or handler.kind != "name":
                    continue
                methods = call.value.kwarg("methods")
                verbs = [str(m.literal).lower() for m in methods.items if m.is_str] if methods and methods.kind == "seq" else []
                verb = "websocket" if "websocket" in method else verbs[0] if len(verbs) == 1 else "get"
                for target in self._handlers(handler.text, call.scope):
                    app = self.app_object(owner)
                    routes.append(Route(target[0], target[1], verb, shown_path(path_value),
                                        app.qualname if app else "", None, path_value.is_str))
        unserved = unserved_routers(self)
        return [route for route in routes if route.owner not in unserved] if unserved else routes

    def _handed_route_method(self, decorator: Value) -> tuple[str, str, Value | None] | None:
        """`@protected_route(router.delete, "/{id}", scopes)`: a project's decorator factory handed a router's
        route method, which it applies to the function (`method(path, dependencies=[...])(fn)`), with the path
        after it (or as `path=`). (owner, method, path) when an argument is the route method of an app or router
        of the project; else None."""
        for position, item in enumerate(decorator.items):
            if item.kind != "name":
                continue
            owner, _, method = item.text.rpartition(".")
            if owner and method in route_methods() and self.app_object(owner) is not None:
                return owner, method, decorator.arg(position + 1) or decorator.kwarg("path")
        return None

    def _bound_method(self, name: str, scope: str) -> tuple[Function, PyFacts] | None:
        """`self.router.add_api_route("/x", self.handle)` in a method of a class-based router: the handler is
        that class's own method (https://fastapi.tiangolo.com/reference/apirouter/#fastapi.APIRouter.add_api_route)."""
        if not name.startswith("self.") or name.count(".") != 1:
            return None
        caller = self.functions.get(scope)
        if caller is None or not caller[0].class_name:
            return None
        return self.functions.get(f"{caller[0].class_name}.{name[5:]}")

    def _handlers(self, name: str, scope: str) -> list[tuple[Function, PyFacts]]:
        """The function(s) `add_api_route(path, name)` registers: a module-level one, one defined in the
        registering function (or a method of a class defined there, `Local.handler`), or what a local of it
        was bound to (`handler = create_authed` in one branch, `handler = create_anon` in the other: each may
        be the route)."""
        target = self.function(name) or self._bound_method(name, scope)
        if target is not None:
            return [target]
        found = self.functions.get(scope) if scope else None
        if found is None:
            return []
        outer = found[0]
        nested = self.functions.get(f"{outer.qualname}.{name}")
        if nested is not None:
            return [nested]
        bound = [self.functions.get(f"{outer.qualname}.{value.text}") or self.function(value.text)
                 for local, value, _ in outer.locals if local == name and value.kind == "name"]
        return list({t[0].qualname: t for t in bound if t is not None}.values())

    @cached_property
    def route_functions(self) -> dict[str, Route]:
        return {route.function.qualname: route for route in self.routes}

    @cached_property
    def mounts(self) -> dict[str, list[tuple[str, str, Call]]]:
        """parent app/router -> [(child router, prefix, call)] from include_router and mount."""
        edges: dict[str, list[tuple[str, str, Call]]] = defaultdict(list)
        for _facts, call in self.calls.ending({"include_router", "mount"}):
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

    @cached_property
    def router_dependencies(self) -> list[tuple[Function, PyFacts, str]]:
        """The dependencies an app or router runs for every route it serves: `dependencies=[Depends(...)]` given to
        `FastAPI()`, `APIRouter()`, `include_router()` (https://fastapi.tiangolo.com/tutorial/dependencies/global-dependencies/,
        /tutorial/bigger-applications/#include-an-apirouter-with-a-custom-prefix-tags-responses-and-dependencies),
        with their own chains; outside test files. (function, facts, the call that gives it)."""
        found: dict[str, tuple[Function, PyFacts, str]] = {}
        def gives(name: str) -> bool:  # an app, a router (a project subclass of one too), or a method adding routes
            return app_kind(name) is not None or name.rpartition(".")[2] in _DEPENDENCY_TAKERS \
                or self._subclassed_app(name) is not None

        if self._any_app_subclass:
            # a name is resolved to find a project subclass of an app (`_subclassed_app`): asked only of the names of
            # calls given `dependencies=`, the only calls read below (of 14,000 names on polar, a few dozen)
            with sweeping():
                named = {name for name in self.calls.given_keyword("dependencies") if gives(name)}
            calls = self.calls.among(named)
        else:
            calls = self.calls.named(gives)
        for facts, call in calls:
            given = call.value.kwarg("dependencies")
            if given is None or self.contexts.get(facts.path, Context.PROD) == Context.TEST \
                    or not self._imports_web_framework(facts):
                continue
            shown = f"{call.value.last}(dependencies=...)"
            for function, function_facts in self._chain(self._provided(given), facts.module):
                found.setdefault(function.qualname, (function, function_facts, shown))
        return list(found.values())
