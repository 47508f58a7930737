"""Route modules the production app serves: evidence over names.

A file whose name says development or tests (`admin_debug.py`, `oauth_test.py`) is production when
the production app serves its routes: a chain of `include_router` / `mount` calls (also through a
project helper that includes one parameter into another, `def add(app, router):
app.include_router(router)`) leads from its router to a FastAPI or Starlette app built in a
production file, and no call of that chain sits under a development guard (`if settings.DEBUG:`)
or in a test file. Files a configured glob pins and files under a test folder keep their context.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from prodcheck.discovery.context import explain_name
from prodcheck.knowledge.frameworks import app_kind
from prodcheck.model.facts import Call, PyFacts, Value
from prodcheck.model.files import Context
from prodcheck.project.dev_guards import guarded
from prodcheck.project.python_index import PythonIndex
from prodcheck.project.python_names import SAME_CALL
from prodcheck.project.views import FileViews
from prodcheck.model.record import record, slotted

_MAX_HOPS = 8  # include_router chains are a few levels deep (app -> api -> v1 -> admin -> debug)
_INCLUDES = frozenset({"include_router", "mount"})


@record
class _Edge:
    parent: str  # the app or router that includes
    call: Call
    path: str  # the file of the call


@slotted
class _Tree:
    parents: dict[str, list[_Edge]]  # router -> the calls that include it
    apps: dict[str, str]  # application (not router) -> the file that builds it


def served_by_production(views: FileViews, pinned: frozenset[str]) -> dict[str, tuple[Context, str]]:
    """path -> (PROD, why) for each route module a name placed in development or tests that the
    production app serves."""
    candidates = [source for source in views.files
                  if source.path in views.python_facts and source.context in (Context.DEV, Context.TEST)
                  and source.path not in pinned and explain_name(source.path)[1] != "under a test folder"]
    if not candidates:
        return {}
    index = views.python
    routers: dict[str, list[str]] = defaultdict(list)
    for app in index.apps.values():
        if app.kind == "router":
            routers[app.facts.path].append(app.qualname)
    if not any(source.path in routers for source in candidates):
        return {}
    tree = _tree(index)
    out: dict[str, tuple[Context, str]] = {}
    for source in candidates:
        for router in routers.get(source.path, []):
            chain = _to_production_app(views, tree, router)
            if chain is not None:
                root, edge = chain
                out[source.path] = (Context.PROD, f"the production app `{root}` serves its routes "
                                    f"({edge.path}:{edge.call.span.line} includes its router)")
                break
    return out


def _tree(index: PythonIndex) -> _Tree:
    tree = _Tree(defaultdict(list), {q: a.facts.path for q, a in index.apps.items() if a.kind != "router"})
    helpers = _including_helpers(index)
    reaching = _last_parts_reaching(index, helpers) if helpers else frozenset()

    def including(name: str) -> bool:
        owner, _, method = name.rpartition(".")
        if method in _INCLUDES and owner:
            return True
        target = index.function(name) if method in reaching else None
        return target is not None and target[0].qualname in helpers

    # Each distinct call name is judged once (`index.function` for a helper), in the order of a loop
    # over every call of every file; only a name whose last part is an include's or a helper's can be one.
    named = {name for name in index.calls.names_ending(_INCLUDES | reaching) if including(name)}
    for facts, call in index.calls.among(named):
        owner, _, method = call.name.rpartition(".")
        parent: Value | None
        if method in _INCLUDES and owner:
            parent = Value("name", call.value.at, owner)
            child = call.value.arg(0) if method == "include_router" else (
                call.value.arg(1) or call.value.kwarg("app"))
        else:
            target = index.function(call.name)
            assert target is not None  # `including` accepted the name
            names = [param.name for param in target[0].params]
            parent, child = (_argument(call, names, name) for name in helpers[target[0].qualname])
        if parent is None or child is None or parent.kind != "name" or child.kind != "name":
            continue
        included = index.app_object(child.text)
        including_app = _app_named(index, tree, parent.text, call, facts)
        if included is not None and including_app is not None:
            tree.parents[included.qualname].append(_Edge(including_app, call, facts.path))
    return tree


def _app_named(index: PythonIndex, tree: _Tree, name: str, call: Call, facts: PyFacts) -> str | None:
    """The app or router a name refers to where the call is made: a module-level one, or a local of
    the calling function built by `FastAPI(...)` or by a project factory (`app = create_app()`)."""
    found = index.app_object(name)
    if found is not None:
        return found.qualname
    scope = index.functions.get(call.scope)
    local = scope[0].local(name) if scope is not None and "." not in name else None
    if local is None or local.kind != "call":
        return None
    kind = app_kind(local.text)
    if kind is None:
        built = index.app_object(local.text)
        factory = index.function(local.text)
        if built is None and factory is None:
            return None
        if factory is not None and not any(r.kind in {"call", "name"} for r in factory[0].returns):
            return None
        kind = built.kind if built is not None else "fastapi"
    qualname = f"{call.scope}.{name}"
    if kind != "router":
        tree.apps[qualname] = facts.path
    return qualname


def _including_helpers(index: PythonIndex) -> dict[str, tuple[str, str]]:
    """Project functions whose body includes one parameter into another: qualname -> (the
    parameter that includes, the parameter included)."""
    helpers: dict[str, tuple[str, str]] = {}
    # Only the functions that make an `x.include_router(...)` call can be one (the project's other
    # functions and their calls are not looked at).
    including = {call.scope for _, call in index.calls.ending({"include_router"}, dotted=True)}
    for qualname, (function, _) in index.functions.items():
        if function.class_name or qualname not in including:
            continue
        params = {param.name for param in function.params}
        for call in index.calls_by_scope.get(qualname, []):
            owner, _, method = call.name.rpartition(".")
            child = call.value.arg(0)
            if method == "include_router" and owner in params and child is not None and child.text in params:
                helpers[qualname] = (owner, child.text)
                break
    return helpers


def _last_parts_reaching(index: PythonIndex, helpers: Collection[str]) -> frozenset[str]:
    """The last dotted parts a call name can have and still be a call of one of `helpers` (`index.function`):
    only those names are resolved (every distinct call name of a project is judged, 30,000 on the cold bench
    corpus, and resolving them all took a third of `Project()`). Resolving keeps a name's last part (`mod.add`,
    a package's re-export, a star or lazy export of it) except through an import's local name (`from pkg import
    add as include`: `include`) and a module-level alias (`include = add`, `include = contextmanager(add)`): the
    parts that alias a reaching part reach too. A superset is harmless: those names are resolved as before."""
    aliases: dict[str, set[str]] = defaultdict(set)  # a last part -> the last parts of the names that stand for it
    for file_facts in index.files.values():
        for local, imported in file_facts.imports:
            # (an import that keeps the name, nearly every one, adds nothing: tested without splitting the name)
            if imported != local and not (imported.endswith(local) and imported[-len(local) - 1] == "."):
                aliases[imported.rpartition(".")[2]].add(local)
    for target, (assign, _facts) in index.assigns.items():
        value = assign.value
        if value.kind == "call" and value.text in SAME_CALL and value.items:
            value = value.items[0]  # what `index.function` follows through `contextmanager(get_db)`
        if value.kind == "name":
            aliases[value.text.rpartition(".")[2]].add(target.rpartition(".")[2])
    reaching = {qualname.rpartition(".")[2] for qualname in helpers}
    stack = list(reaching)
    while stack:
        for alias in aliases.get(stack.pop(), ()):
            if alias not in reaching:
                reaching.add(alias)
                stack.append(alias)
    return frozenset(reaching)


def _argument(call: Call, names: list[str], name: str) -> Value | None:
    """The argument a call passes for the parameter `name` (positional or keyword)."""
    given = call.value.kwarg(name)
    return given if given is not None else call.value.arg(names.index(name))


def _to_production_app(views: FileViews, tree: _Tree, router: str) -> tuple[str, _Edge] | None:
    """(the production app, the call that includes the router) when a chain of include calls,
    none under a development guard or in a test file, leads from the router to an app built in a
    production file."""
    stack: list[tuple[str, _Edge | None, int]] = [(router, None, 0)]
    seen = {router}
    while stack:
        current, first, hops = stack.pop()
        if current in tree.apps:
            if first is not None and views.context_of(tree.apps[current]) == Context.PROD:
                return current, first
            continue
        if hops >= _MAX_HOPS:
            continue
        for edge in tree.parents.get(current, []):
            source = views.by_path.get(edge.path)
            if edge.parent in seen or source is None or source.context == Context.TEST:
                continue
            if guarded(source, edge.call.span.line):
                continue  # `if settings.DEBUG: app.include_router(debug.router)`: served in development only
            seen.add(edge.parent)
            stack.append((edge.parent, first or edge, hops + 1))
    return None
