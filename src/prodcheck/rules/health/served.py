"""Which URL paths an application serves, from the Python index: routes, router prefixes,
`include_router` prefixes and mounted sub-apps, followed from the app a server command loads.

Shared by PC604 (which route answers a liveness probe) and PC605 (is the probe path served at all).
The answer carries `complete`: anything the index cannot follow (a prefix read from an unknown
setting, a router included from a factory, `Starlette(routes=...)` built dynamically, a route path
that is not a literal) makes the set incomplete, and PC605 then stays quiet.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import field
from functools import cache

from prodcheck.knowledge.frameworks import fastapi_default_routes, route_classes, route_get_methods, route_methods
from prodcheck.knowledge.servers import server_app_calls
from prodcheck.model.facts import PyFacts, Value
from prodcheck.model.files import Context
from prodcheck.parsing.shell import expand_default
from prodcheck.project import Project
from prodcheck.project.infra import Process
from prodcheck.project.memo import per_project
from prodcheck.project.python_index import PythonIndex
from prodcheck.project.python_routes import Route
from prodcheck.model.record import record, slotted
from prodcheck.lazy_pattern import lazy

_GET_METHODS = route_get_methods()
_EDGE_METHODS = frozenset({"add_api_route", "add_route", "include_router", "mount"})
_ROUTE_CLASSES = route_classes()
# Served by every FastAPI app unless the constructor turns them off (`docs_url=None`).
_FASTAPI_DEFAULT_ROUTES = fastapi_default_routes()
_PARAM = lazy(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z_]+))?\}")


@record
class ServedRoute:
    pattern: str  # full path with prefixes, `{param}` placeholders kept
    method: str
    route: Route | None  # None for paths registered without a resolvable handler
    default: bool = False  # FastAPI's own /docs, /redoc, /openapi.json

    def matches(self, path: str) -> bool:
        if "{" not in self.pattern:
            return _normalise(self.pattern) == _normalise(path)
        return _compile(self.pattern).fullmatch(_normalise(path)) is not None

    @property
    def is_static(self) -> bool:
        return "{" not in self.pattern


@slotted
class Served:
    routes: list[ServedRoute] = field(default_factory=list)
    opaque: list[str] = field(default_factory=list)  # mount points of apps we cannot see into
    complete: bool = True
    app: str = ""  # what was followed: an app qualname, or "" for every app of the project

    def matching(self, path: str) -> list[ServedRoute]:
        """Routes that answer a GET of `path`, static paths first (as the router tries them)."""
        found = [r for r in self.routes if r.method in _GET_METHODS and r.matches(path)]
        return sorted(found, key=lambda r: (not r.is_static, r.pattern))

    def other_methods(self, path: str) -> list[ServedRoute]:
        return [r for r in self.routes if r.method not in _GET_METHODS and r.matches(path)]

    def serves(self, path: str) -> bool:
        clean = _normalise(path)
        if any(clean == p or clean.startswith(p.rstrip("/") + "/") for p in self.opaque):
            return True
        return bool(self.matching(path))

    def suggestions(self, path: str) -> list[str]:
        candidates = sorted({r.pattern for r in self.routes if r.method in _GET_METHODS and not r.default})
        wanted = _normalise(path)
        moved = [c for c in candidates if c != wanted and _normalise(c).endswith(wanted) and wanted != "/"]
        if moved:
            return moved[:2]  # the route exists under a prefix the probe forgot
        return difflib.get_close_matches(wanted, candidates, n=2, cutoff=0.6)


def _normalise(path: str) -> str:
    path = path.split("?", 1)[0].split("#", 1)[0] or "/"
    if not path.startswith("/"):
        path = "/" + path
    # FastAPI redirects a missing or extra trailing slash (307), which probes and `curl -f` accept.
    return path.rstrip("/") or "/"


@cache
def _compile(pattern: str) -> re.Pattern[str]:
    normal = _normalise(pattern)
    out, last = [], 0
    for match in _PARAM.finditer(normal):
        out.append(re.escape(normal[last:match.start()]))
        out.append(".*" if match.group(2) == "path" else "[^/]+")
        last = match.end()
    out.append(re.escape(normal[last:]))
    return re.compile("".join(out))


# ---------------------------------------------------------------- the app tree


@slotted
class _Tree:
    roots: list[str]  # FastAPI / Starlette applications (not routers)
    own: dict[str, list[ServedRoute]]  # app/router -> routes registered on it (own paths)
    edges: dict[str, list[tuple[str, str]]]  # parent -> (child, prefix)
    opaque: dict[str, list[str]]  # parent -> mount prefixes of unknown apps
    prefix: dict[str, str | None]  # router -> its own `prefix=` (None: not knowable)
    complete: bool


def string_value(index: PythonIndex, value: Value | None, depth: int = 0) -> str | None:
    """A literal string, or a name/setting/concatenation that statically resolves to one."""
    if value is None:
        return ""
    if value.is_str:
        return str(value.literal)
    if depth > 4:
        return None
    if value.kind == "binop" and value.text == "Add" and len(value.items) == 2:
        left, right = string_value(index, value.items[0], depth + 1), string_value(index, value.items[1], depth + 1)
        return left + right if left is not None and right is not None else None
    if value.kind == "name" and value.text:
        assigned = index.assigned_value(value.text)
        if assigned is not None and assigned is not value:
            return string_value(index, assigned, depth + 1)
        head, _, attribute = value.text.rpartition(".")
        instance = index.assigned_value(head) if head else None
        if instance is not None and instance.kind == "call":
            resolved = index.resolve(instance.text)
            if resolved is not None and resolved.cls:
                field_value = index.assigned_value(f"{resolved.qualname}.{attribute}")
                if field_value is not None:
                    return string_value(index, field_value, depth + 1)
    return None


def _prod(index: PythonIndex, path: str) -> bool:
    return index.contexts.get(path, Context.PROD) == Context.PROD


def _unreadable_route(index: PythonIndex, web_files: dict[str, bool]) -> bool:
    """A production route decorator (`@router.get(path)`) of an app object or in a web file whose path we cannot read."""
    for facts in index.files.values():
        if not _prod(index, facts.path):
            continue
        for decorator in (decorator for function in facts.functions for decorator in function.decorators
                          if decorator.kind == "call"):
            owner, _, method = decorator.text.rpartition(".")
            if method not in route_methods() or not owner:
                continue
            path_value = decorator.arg(0) or decorator.kwarg("path")
            if (path_value is None or not path_value.is_str) and (
                    index.app_object(owner) is not None or _imports_web(facts, web_files)):
                return True
    return False


def _imports_web(facts: PyFacts, known: dict[str, bool]) -> bool:
    """The file imports FastAPI or Starlette (asked once per file: `known`)."""
    web = known.get(facts.path)
    if web is None:
        web = known[facts.path] = any(target.startswith(("fastapi", "starlette")) for _, target in facts.imports)
    return web


@per_project
def _tree(project: Project) -> _Tree:
    index = project.python
    complete = True
    roots = [q for q, app in index.apps.items() if app.kind != "router" and _prod(index, app.facts.path)]
    own: dict[str, list[ServedRoute]] = {}
    prefix: dict[str, str | None] = {}
    for qualname, app in index.apps.items():
        if app.kind == "router":
            prefix[qualname] = string_value(index, app.value.kwarg("prefix"))
        if app.kind == "fastapi":
            for key, default in _FASTAPI_DEFAULT_ROUTES:
                value = app.value.kwarg(key)
                path = default if value is None else (None if value.kind == "const" and value.literal is None
                                                      else string_value(index, value))
                if path:
                    own.setdefault(qualname, []).append(ServedRoute(path, "get", None, default=True))
        routes_value = app.value.kwarg("routes")
        if routes_value is not None:
            if routes_value.kind != "seq":
                complete = False
                continue
            for item in routes_value.items:
                complete &= _constructor_route(index, qualname, item, own)
    for route in index.routes:
        if not route.literal or not _prod(index, route.facts.path):
            continue  # a path built at run time is unreadable: counted as such below
        if not route.owner:
            complete = False  # registered on something we cannot place under an app
            continue
        methods = _methods(route)
        for method in methods:
            own.setdefault(route.owner, []).append(ServedRoute(route.path, method, route))
    edges: dict[str, list[tuple[str, str]]] = {}
    opaque: dict[str, list[str]] = {}
    known_handlers = {(r.owner, r.path) for r in index.routes if r.literal}
    web_files: dict[str, bool] = {}  # path -> whether the file imports FastAPI or Starlette (`_imports_web`)
    complete = complete and not _unreadable_route(index, web_files)  # (looked for only while it is complete)
    # the calls that add a route, include a router or mount an app, found by their last name in the call index, in
    # the order of a loop over every call of the production files
    for facts, call in index.calls.ending(_EDGE_METHODS):
        if not _prod(index, facts.path):
            continue
        web = _imports_web(facts, web_files)
        owner, _, method = call.name.rpartition(".")
        if method in {"add_api_route", "add_route"}:
            parent = index.app_object(owner)
            path = string_value(index, call.value.arg(0) or call.value.kwarg("path"))
            if parent is None or path is None:
                complete = complete and not web
                continue
            if (parent.qualname, path) not in known_handlers:
                own.setdefault(parent.qualname, []).append(ServedRoute(path, "api_route", None))
            continue
        parent = index.app_object(owner)  # an `include_router` or a `mount`
        if method == "include_router":
            child_value, prefix_value = call.value.arg(0) or call.value.kwarg("router"), call.value.kwarg("prefix")
        else:
            prefix_value, child_value = call.value.arg(0) or call.value.kwarg("path"), call.value.arg(1) or call.value.kwarg("app")
            if parent is None and not web:
                continue  # `requests.Session().mount(...)` and friends
        if parent is None:
            complete = False
            continue
        edge_prefix = string_value(index, prefix_value)
        if edge_prefix is None:
            complete = False
            continue
        child = index.app_object(child_value.text) if child_value is not None and child_value.kind == "name" else None
        if child is None:
            if method == "mount":
                opaque.setdefault(parent.qualname, []).append(edge_prefix)
            else:
                complete = False
            continue
        edges.setdefault(parent.qualname, []).append((child.qualname, edge_prefix))
    return _Tree(roots, own, edges, opaque, prefix, complete)


def _methods(route: Route) -> list[str]:
    if route.method == "api_route" and route.decorator is not None:
        methods = route.decorator.kwarg("methods")
        if methods is not None and methods.kind == "seq" and all(m.is_str for m in methods.items):
            return [str(m.literal).lower() for m in methods.items] or ["get"]
    return [route.method]


def _constructor_route(index: PythonIndex, owner: str, item: Value, own: dict[str, list[ServedRoute]]) -> bool:
    """`Starlette(routes=[Route("/health", health), Mount(...)])`: True when understood."""
    if item.kind != "call":
        return False
    name = item.last
    path = string_value(index, item.arg(0) or item.kwarg("path"))
    if path is None:
        return False
    if name in _ROUTE_CLASSES:
        methods = item.kwarg("methods")
        listed = [str(m.literal).lower() for m in methods.items if m.is_str] if methods is not None and methods.kind == "seq" else []
        for method in listed or ["api_route"]:
            own.setdefault(owner, []).append(ServedRoute(path, method, None))
        return True
    if name == "Mount":
        own.setdefault(owner, []).append(ServedRoute(path.rstrip("/") + "/{rest:path}", "api_route", None))
        return True
    return name in {"WebSocketRoute", "Host"}


def _collect(tree: _Tree, root: str) -> Served:
    served = Served(app=root, complete=tree.complete)
    stack: list[tuple[str, str, frozenset[str]]] = [(root, "", frozenset({root}))]
    while stack:
        node, acc, seen = stack.pop()
        own_prefix = tree.prefix.get(node, "")
        if own_prefix is None:
            served.complete = False
            continue
        base = acc + own_prefix
        for route in tree.own.get(node, []):
            served.routes.append(ServedRoute(base + route.pattern, route.method, route.route, route.default))
        served.opaque.extend(_normalise(base + p) for p in tree.opaque.get(node, []))
        for child, edge_prefix in tree.edges.get(node, []):
            if child not in seen:
                stack.append((child, base + edge_prefix, seen | {child}))
    return served


def served_by(project: Project, process: Process | None) -> Served | None:
    """The paths the app behind `process` serves; every app's when it cannot be told. None: no routes known."""
    tree = _tree(project)
    if not tree.roots:
        return None
    roots = _roots_for(project, process, tree)
    if not roots:
        return None
    merged = Served(app=roots[0] if len(roots) == 1 else "", complete=tree.complete)
    collected = project.__dict__.setdefault("_served_by_root", {})
    for root in roots:
        part = collected.get(root)
        if part is None:
            part = collected[root] = _collect(tree, root)
        merged.routes.extend(part.routes)
        merged.opaque.extend(part.opaque)
        merged.complete = merged.complete and part.complete
    if not merged.opaque and all(r.default for r in merged.routes):
        return None  # no route of the app's own: nothing to judge a probe against
    return merged


def _roots_for(project: Project, process: Process | None, tree: _Tree) -> list[str]:
    """The apps a process serves: the one its server loads, every app when that cannot be told,
    none when the process runs no web server we recognise."""
    index = project.python
    call = None
    if process is not None:
        server = process.server
        if server is not None:
            call = server[1]
        else:
            python = [c for s in process.steps if (c := s.server) is not None and c.server == "python"]
            call = python[0] if python else None
    if call is None:
        return []
    if not call.app_ref:
        # `fastapi run` discovers main.py / app/main.py itself; other servers need a reference.
        return list(tree.roots) if call.server == "fastapi" else []
    ref = call.app_ref
    if call.server == "fastapi" and ":" not in ref:
        module = ref.removesuffix(".py").replace("/", ".").strip(".")
        found = [r for r in tree.roots if r.rsplit(".", 1)[0] == module or r.rsplit(".", 1)[0].endswith("." + module)]
        return found if len(found) == 1 else list(tree.roots)
    if call.server == "python":
        module = ref.removesuffix(".py").replace("/", ".").strip(".")
        found = [r for r in tree.roots if r.rsplit(".", 1)[0] == module or r.rsplit(".", 1)[0].endswith("." + module)]
        if len(found) == 1:
            return found
        return _run_in_module(index, module, tree)
    if "$" in ref:
        ref = expand_default(ref)[0] or ref
    if ":" in ref and not call.has("--factory"):
        module, _, attribute = ref.partition(":")
        app = index.app_object(f"{module}.{attribute.strip()}")
        if app is not None and app.qualname in tree.roots:
            return [app.qualname]
    dotted = ref.split(":", 1)[0].removesuffix(".py").replace("/", ".").strip(".")
    name = index.module_for(dotted)
    if name is None and dotted and _unparsed_module(project, dotted):
        return []  # a module the parse skipped: it imports no ASGI framework (Flask, Django, ...)
    if name is not None:
        # The module the server loads is the project's: only the apps it builds or imports. None
        # when it loads none of them (a Flask, Django or other framework's app whose routes are not
        # modelled): its probes cannot be judged against another app's routes.
        closure = index.imported_closure([name])
        return [r for r in tree.roots if r.rsplit(".", 1)[0] in closure]
    return list(tree.roots)


def _unparsed_module(project: Project, dotted: str) -> bool:
    """The project holds the file of `dotted` (at its path, or ending with it under a folder such as
    a Dockerfile's WORKDIR) but the Python parse skipped it."""
    relative = dotted.replace(".", "/")
    wanted = (f"{relative}.py", f"{relative}/__init__.py")
    paths = [path for path in project.by_path
             if path in wanted or path.endswith(tuple("/" + w for w in wanted))]
    return len(paths) == 1 and paths[0] not in project.python_facts


def _run_in_module(index: PythonIndex, module: str, tree: _Tree) -> list[str]:
    """`python main.py` where main.py calls `uvicorn.run("app.main:app")` or `uvicorn.run(app)`."""
    name = index.module_for(module)
    facts = index.modules.get(name) if name else None
    if facts is None:
        return []
    for call in facts.calls:
        if call.name not in server_app_calls():
            continue
        target = call.value.arg(0) or call.value.kwarg("app") or call.value.kwarg("target")
        if target is None:
            continue
        if target.is_str and ":" in str(target.literal):
            module_name, _, attribute = str(target.literal).partition(":")
            app = index.app_object(f"{module_name}.{attribute}")
        elif target.kind == "name":
            app = index.app_object(target.text)
        else:
            app = None
        if app is not None and app.qualname in tree.roots:
            return [app.qualname]
    return []
