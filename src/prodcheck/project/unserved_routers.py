"""Routers no application serves: their routes never answer a request.

`from app.api import auth, sms` then `app.include_router(auth.router)` and nothing else of `sms`: the
`sms` router's routes are written but never served, and what they call runs on no request. A router is
served when a chain of `include_router` / `mount` calls leads from an application (FastAPI, Starlette)
to it. The project must show every such call plainly for the answer to hold: each names the app or
router it adds to and, for `include_router`, the router it adds; a router handed through a variable, a
loop (`for r in routers: app.include_router(r)`) or a helper may be any router, and a project that
imports modules by name at run time may include what no line names, so then every router counts as
served; so does every router of a project whose apps include none (the routers are served some way
its code does not show). A router whose module another file reads beyond the import (`routers = [sms.router]`,
`getattr(sms, "router")`) or whose name its own module hands on counts as served too.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prodcheck.model.facts import PyFacts, Value
from prodcheck.model.finding import Span

if TYPE_CHECKING:
    from prodcheck.project.python_routes import RouteIndex

# calls that import a module by a name given at run time: what they load may include any router
_DYNAMIC_IMPORTS = frozenset({"import_module", "__import__", "iter_modules", "walk_packages", "import_string",
                              "spec_from_file_location", "load_module", "exec_module"})
_Key = tuple[str, "int | Span"]  # a router's value: its file and position (one object under several names)
_MAX_DEPTH = 8  # nesting of values searched for a name: a call's argument inside a list inside a call...


def unserved_routers(index: RouteIndex) -> frozenset[str]:
    """Qualified names of the routers no application of the project serves."""
    apps = index.apps
    if not any(app.kind == "router" for app in apps.values()) or not any(app.kind != "router" for app in apps.values()):
        return frozenset()  # a library of routers, or no app to serve them: nothing is known unserved
    if any(True for _ in index.calls.ending(_DYNAMIC_IMPORTS)):
        return frozenset()
    # one object under several names (`users_router = r = APIRouter()`): names of one value are one router
    key = {name: (app.facts.path, app.value.at) for name, app in apps.items()}
    children: dict[_Key, list[_Key]] = {}
    for _facts, call in index.calls.ending({"include_router", "mount"}):
        owner, _, method = call.name.rpartition(".")
        parent = index.app_object(owner)
        child_value = (call.value.arg(0) or call.value.kwarg("router") if method == "include_router"
                       else call.value.arg(1) or call.value.kwarg("app"))
        child = index.app_object(child_value.text) if child_value is not None and child_value.kind == "name" else None
        if child is None and method == "mount" and child_value is not None and child_value.kind == "call" \
                and index.function(child_value.text) is None:
            continue  # `app.mount("/static", StaticFiles(...))`: a library's app, no router of the project
        if parent is None or child is None:
            return frozenset()
        children.setdefault(key[parent.qualname], []).append(key[child.qualname])
    served = {key[name] for name, app in apps.items() if app.kind != "router"}
    if not any(children.get(app) for app in served):
        return frozenset()  # no app includes any router: how this project serves its routers is not written here
    todo = list(served)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in served:
                served.add(child)
                todo.append(child)
    unreached = {name for name, app in apps.items() if app.kind == "router" and key[name] not in served}
    if not unreached:
        return frozenset()
    handed = _handed_on(index, {key[name] for name in unreached},
                        {apps[name].facts.module for name in unreached})
    return frozenset(name for name in unreached if key[name] not in handed)


def _handed_on(index: RouteIndex, routers: set[_Key], homes: set[str]) -> set[_Key]:
    """The routers of `routers` code names other than to add routes to them: handed to something
    (`register(router)`, `ROUTERS = [router]`, `api.routes.extend(sms.router.routes)`), or whose module is read
    (`getattr(sms, "router")`: any of its routers). A file's names are qualified (`app.api.sms.router.routes`),
    so each prefix of a name is resolved; only names with a part that is a router's or a home module's own
    name are tried."""
    apps = index.apps
    parts = {name.rpartition(".")[2] for name, app in apps.items() if (app.facts.path, app.value.at) in routers}
    parts |= {home.rpartition(".")[2] for home in homes}
    handed: set[_Key] = set()
    for facts in index.files.values():
        home = facts.module in homes
        for text in _names(facts, skip_decorators=home):
            words = text.split(".")
            if parts.isdisjoint(words):
                continue
            for end in range(len(words), 0, -1):
                prefix = ".".join(words[:end])
                app = index.app_object(prefix)
                if app is not None:
                    if (app.facts.path, app.value.at) in routers:
                        handed.add((app.facts.path, app.value.at))
                    break
                module = index.module_for(prefix)
                if module is not None:
                    # the module itself is read (not one of its other names): each of its routers may be served
                    if module in homes and end == len(words):
                        handed |= {(a.facts.path, a.value.at) for a in apps.values() if a.facts.module == module
                                   and (a.facts.path, a.value.at) in routers}
                    break
    return handed


def _names(facts: PyFacts, skip_decorators: bool = False) -> Iterator[str]:
    """The names the values of a file read (a call's arguments, an assigned, returned or decorated value);
    with `skip_decorators`, not the route decorators (`@router.get(...)`)."""
    for call in facts.calls:
        yield from _texts(call.value, 0, own_call=True)
    for assign in facts.assigns:
        yield from _texts(assign.value, 0)
    for function in facts.functions:
        for value in function.returns:
            yield from _texts(value, 0)
        if not skip_decorators:
            for value in function.decorators:
                yield from _texts(value, 0)


def _texts(value: Value, depth: int, own_call: bool = False) -> Iterator[str]:
    """The names a value reads: itself, its items and keyword values; a call's own name only as a read of
    its receiver's module (`sms.router.get(...)` reads `sms`), never its name for `own_call`: the call is the
    one searched (a route decorator's `router.get` is the router adding a route, not the router handed on)."""
    if depth > _MAX_DEPTH:
        return
    if value.kind == "name" or (value.kind == "call" and not own_call and depth):
        yield value.text
    for item in value.items:
        yield from _texts(item, depth + 1)
    for item in value.keyword_values:
        yield from _texts(item, depth + 1)
