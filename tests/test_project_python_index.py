"""The Python index (project/python_index.py) of one small FastAPI service: its apps and routers, the
URL each route is served at, the `Depends` chains, which sessions are sync or async, start-up hooks,
middleware and which modules start a server in process. Nothing of the project is imported."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_project
from prodcheck import engine
from prodcheck.model.facts import Value
from prodcheck.model.finding import Span
from prodcheck.project import Project
from prodcheck.project.python_index import PythonIndex
from prodcheck.settings import Settings

FILES = {
    "app/__init__.py": "",
    "app/db.py": """
        from typing import Annotated

        from fastapi import Depends
        from sqlalchemy import create_engine
        from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
        from sqlalchemy.orm import Session, scoped_session, sessionmaker

        engine = create_engine("postgresql://app@db/app")
        async_engine = create_async_engine("postgresql+asyncpg://app@db/app")
        SessionLocal = sessionmaker(bind=engine)
        AsyncLocal = async_sessionmaker(async_engine)
        AsyncByClass = sessionmaker(bind=async_engine, class_=AsyncSession)
        Scoped = scoped_session(SessionLocal)
        ScopedInline = scoped_session(sessionmaker(bind=engine, class_=AsyncSession))
        ScopedByName = scoped_session(AsyncByClass)


        def get_session():
            db = SessionLocal()
            try:
                yield db
            finally:
                db.close()


        async def get_async_session():
            async with AsyncLocal() as session:
                yield session


        def get_connection():
            with engine.connect() as connection:
                yield connection


        def make_session():
            return Session(engine)


        def get_made_session():
            session = make_session()
            return session


        async def annotated_only(user_id: int, db: AsyncSession):
            return db


        SessionDep = Annotated[AsyncSession, Depends(get_async_session)]
        SyncDep = Annotated[Session, Depends(get_session)]
    """,
    "app/api.py": """
        from fastapi import APIRouter, Depends, Query
        from sqlalchemy.orm import Session

        from app.db import SessionDep, get_connection, get_session

        PAGE_SIZE = 50

        router = APIRouter(prefix="/v1")
        items = APIRouter()
        router.include_router(items, prefix="/items")


        def read_token():
            return "t"


        def check_auth(token: str = Depends(read_token)):
            return token


        class Limiter:
            def __call__(self):
                return None


        @router.get("/users/{user_id}")
        async def get_user(user_id: int, session: Session = Depends(get_session), limit=Depends(Limiter),
                           page: int = Query(PAGE_SIZE)):
            return session.get(user_id)


        @items.post(path="")
        async def create_item(session: SessionDep):
            return await session.commit()


        @router.get("/health", dependencies=[Depends(check_auth)])
        def health(connection=Depends(get_connection)):
            return connection.execute("select 1")


        async def listed():
            return []


        router.add_api_route("/listed", listed)
    """,
    "app/admin.py": """
        from starlette.applications import Starlette

        admin_app = Starlette()
    """,
    "app/main.py": """
        from contextlib import asynccontextmanager

        from fastapi import FastAPI

        from app.admin import admin_app
        from app.api import router as api_router


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            yield


        async def warm():
            return None


        async def warm_more():
            return None


        app = FastAPI(lifespan=lifespan, on_startup=[warm])
        app.include_router(api_router, prefix="/api")
        app.mount("/admin", admin_app)
        app.add_event_handler("startup", warm_more)
        app.add_event_handler("shutdown", warm)


        @app.on_event("startup")
        async def legacy():
            return None


        @app.on_event("shutdown")
        async def bye():
            return None


        @app.middleware("http")
        async def timing(request, call_next):
            return await call_next(request)
    """,
    "app/middleware.py": """
        from starlette.middleware.base import BaseHTTPMiddleware


        class Audit(BaseHTTPMiddleware):
            async def dispatch(self, request, call_next):
                return await call_next(request)
    """,
    "factory/__init__.py": "",
    "factory/web.py": """
        from fastapi import APIRouter, FastAPI


        def create_app():
            application = FastAPI()
            return application


        def build():
            return FastAPI(title="direct")


        def create_server():
            server = build()
            return server


        class VersionedRouter(APIRouter):
            pass


        app = create_app()
        direct = build()
        layered = create_server()  # a factory returning what another factory builds
        versioned = VersionedRouter()
        not_an_app = len("x")


        @versioned.get("/version")
        async def version():
            return "1"


        direct.include_router(versioned)  # a router no app includes serves nothing (unserved_routers.py)
    """,
    "factory/__main__.py": """
        import uvicorn

        from factory.web import app

        uvicorn.run(app)
    """,
    "factory/cli.py": """
        import uvicorn


        def main():
            server = uvicorn.Server(uvicorn.Config("factory.web:app"))
            server.run()
    """,
    "factory/script.py": "import uvicorn\n\nprint(uvicorn)\n",
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> PythonIndex:
    root = write_project(tmp_path_factory.mktemp("service"), FILES)
    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(root, settings)
    return Project(root, discovered, engine.parse_python(root, discovered, settings), settings).python


def test_apps_and_routers(index: PythonIndex) -> None:
    assert {name: app.kind for name, app in index.apps.items()} == {
        "app.api.router": "router", "app.api.items": "router", "app.admin.admin_app": "starlette",
        "app.main.app": "fastapi", "factory.web.app": "fastapi", "factory.web.direct": "fastapi",
        "factory.web.layered": "fastapi",
        "factory.web.versioned": "router"}
    assert index.app_object("app.main.api_router").qualname == "app.api.router"  # type: ignore[union-attr]
    assert index.app_object("factory.web.not_an_app") is None


def test_routes_and_the_paths_they_are_served_at(index: PythonIndex) -> None:
    routes = {route.function.qualname: (route.method, route.path, route.owner, sorted(index.full_paths(route)))
              for route in index.routes}
    assert routes == {
        "app.api.get_user": ("get", "/users/{user_id}", "app.api.router", ["/api/v1/users/{user_id}"]),
        "app.api.create_item": ("post", "", "app.api.items", ["/api/v1/items"]),
        "app.api.health": ("get", "/health", "app.api.router", ["/api/v1/health"]),
        "app.api.listed": ("get", "/listed", "app.api.router", ["/api/v1/listed"]),
        "factory.web.version": ("get", "/version", "factory.web.versioned", ["/version"]),
    }
    assert sorted(index.mount_prefixes("app.admin.admin_app")) == ["/admin"]
    assert {parent: [(child, prefix) for child, prefix, _ in children] for parent, children in index.mounts.items()} == {
        "app.api.router": [("app.api.items", "/items")],
        "app.main.app": [("app.api.router", "/api"), ("app.admin.admin_app", "/admin")],
        "factory.web.direct": [("factory.web.versioned", "")]}


def test_dependency_chains(index: PythonIndex) -> None:
    routes = index.route_functions
    get_user, health, create_item = (routes[f"app.api.{name}"].function for name in ("get_user", "health", "create_item"))
    assert index.parameter_dependencies(get_user) == [("session", "app.db.get_session"), ("limit", "app.api.Limiter")]
    assert index.decorator_dependencies(health) == ["app.api.check_auth"]
    assert index.parameter_dependencies(create_item) == [("session", "app.db.get_async_session")]
    # `Depends(Limiter)`: FastAPI builds a Limiter per request (it has no `__init__` of its own) and injects it; its
    # `__call__` is never what the dependency runs. `Depends(Limiter())` would run `__call__`.
    assert [f.qualname for f, _ in index.dependency_functions(get_user)] == ["app.db.get_session"]
    limiter = Value("call", Span(1), "app.api.Limiter")
    assert index.provider(limiter) == index.functions["app.api.Limiter.__call__"]
    assert index.provider(Value("name", Span(1), "app.api.Limiter")) is None
    assert sorted(f.qualname for f, _ in index.dependency_functions(health)) == [
        "app.api.check_auth", "app.api.read_token", "app.db.get_connection"]


def _name(text: str) -> Value:
    return Value("name", Span(1), text)


def test_session_kinds(index: PythonIndex) -> None:
    routes = index.route_functions
    get_user, health, create_item = (routes[f"app.api.{name}"].function for name in ("get_user", "health", "create_item"))
    assert index.session_kind(_name("session"), get_user) == "sync"
    assert index.session_kind(_name("session"), create_item) == "async"
    assert index.session_kind(_name("connection"), health) == "sync"
    assert index.session_kind(_name("user_id"), get_user) is None
    assert index.session_kind(_name("session"), None) is None
    annotated_only = index.function("app.db.annotated_only")[0]  # type: ignore[index]
    assert index.session_kind(_name("db"), annotated_only) == "async"
    assert index.session_kind(_name("other"), annotated_only) is None
    assert {name: index.dependency_session_kind(f"app.db.{name}") for name in
            ("get_session", "get_async_session", "get_connection", "get_made_session", "missing")} == {
        "get_session": "sync", "get_async_session": "async", "get_connection": "sync", "get_made_session": "sync",
        "missing": None}
    factories = {name: index.factory_session_kind(index.assigned_value(f"app.db.{name}"))  # type: ignore[arg-type]
                 for name in ("SessionLocal", "AsyncLocal", "AsyncByClass", "Scoped", "ScopedInline", "ScopedByName",
                              "engine")}
    assert factories == {"SessionLocal": "sync", "AsyncLocal": "async", "AsyncByClass": "async", "Scoped": "sync",
                         "ScopedInline": "async", "ScopedByName": "async", "engine": None}
    assert index.engine_kind("app.db.engine") == "sync" and index.engine_kind("app.db.async_engine") == "async"
    assert index.engine_kind("app.db.SessionLocal") is None and index.engine_kind("app.db.nothing") is None
    assert index.annotation_session_kind(_name("app.db.SessionDep")) == "async"
    assert index.annotation_session_kind(_name("app.db.SyncDep")) == "sync"
    assert index.annotation_session_kind(_name("sqlalchemy.orm.Session")) == "sync"
    assert index.annotation_session_kind(_name("app.db.engine")) is None


def test_startup_hooks_and_middleware(index: PythonIndex) -> None:
    hooks = sorted((function.qualname, how) for function, _, how in index.startup_hooks)
    assert hooks == [("app.main.legacy", "startup event"), ("app.main.lifespan", "lifespan"),
                     ("app.main.warm", "on_startup"), ("app.main.warm_more", "startup event")]
    assert sorted(function.qualname for function, _ in index.middleware_functions) == [
        "app.main.timing", "app.middleware.Audit.dispatch"]


def test_which_modules_start_a_server(index: PythonIndex) -> None:
    assert index.runs_server("factory")  # its __main__ runs uvicorn
    assert index.runs_server("factory/__main__.py")
    assert index.runs_server("factory.cli")  # uvicorn.Server(...).run() through a local
    assert not index.runs_server("factory.script")
    assert not index.runs_server("factory.web")
    assert not index.runs_server("./")
    assert not index.runs_server("missing.module")


def test_modules_and_imports(index: PythonIndex) -> None:
    assert index.module_for("app.api") == "app.api"
    assert index.module_for("api") == "app.api"  # a unique suffix
    assert index.module_for("src.app.api") == "app.api"  # a src/ layout prefix
    assert index.module_for("lib.api") == "app.api"
    assert index.module_for("web.missing") is None
    assert set(index.import_graph["app.main"]) == {"app.admin", "app.api"}
    assert index.imported_closure(["app.main"]) == {"app.main", "app.admin", "app.api", "app.db"}


def test_how_far_names_are_followed(tmp_path) -> None:
    """Re-exports are followed for six hops and aliases for five (a bound against cycles and
    pathological chains): one hop more and the name is not resolved (or the last alias is what is
    known). Each module imports fastapi so that the parse prefilter reads it."""
    hops = {f"chain/a{n}.py": f"import fastapi\nfrom chain.a{n + 1} import thing\n" for n in range(7)}
    values = "import fastapi\n" + "".join(f"V{n} = V{n + 1}\n" for n in range(6)) + 'V6 = "end"\n'
    root = write_project(tmp_path, {"chain/__init__.py": "", **hops,
                                    "chain/a7.py": "import fastapi\n\n\ndef thing():\n    return 1\n",
                                    "chain/values.py": values})
    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(root, settings)
    index = Project(root, discovered, engine.parse_python(root, discovered, settings), settings).python
    found = index.function("chain.a1.thing")  # six hops: a1 -> a2 -> ... -> a7
    assert found is not None and found[0].qualname == "chain.a7.thing"
    assert index.resolve("chain.a0.thing") is None  # seven hops
    end = index.assigned_value("chain.values.V1")  # five aliases: V1 -> V2 -> ... -> V6
    assert end is not None and end.kind == "const" and end.literal == "end"
    last = index.assigned_value("chain.values.V0")  # six: the last alias followed is what is known
    assert last is not None and last.kind == "name" and last.text == "chain.values.V6"


def test_a_function_is_found_through_plain_aliases_and_not_through_other_values(tmp_path) -> None:
    """`handler = thing` names the function `thing`; a name bound to anything else (a call's result,
    a number) is no function; two aliases of each other (`_orig = f` then `f = _orig`) end."""
    root = write_project(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/impl.py": "import fastapi\n\n\ndef thing():\n    return 1\n",
        "pkg/aliases.py": ("import fastapi\nfrom pkg.impl import thing\n\nhandler = thing\nagain = handler\n"
                           "made = thing()\nnumber = 3\nloop_a = loop_b\nloop_b = loop_a\n"),
    })
    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(root, settings)
    index = Project(root, discovered, engine.parse_python(root, discovered, settings), settings).python
    for name in ("pkg.aliases.handler", "pkg.aliases.again"):
        found = index.function(name)
        assert found is not None and found[0].qualname == "pkg.impl.thing", name
    for name in ("pkg.aliases.made", "pkg.aliases.number", "pkg.aliases.loop_a"):
        assert index.function(name) is None, name


def test_a_lifespan_a_factory_returns_through_a_local_of_another_factory(tmp_path) -> None:
    """`FastAPI(lifespan=make_lifespan())` where make_lifespan keeps another factory's result in a local
    and returns it: the lifespan is the function the inner factory defines."""
    root = write_project(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": ("from contextlib import asynccontextmanager\n\nfrom fastapi import FastAPI\n\n\n"
                        "def build_lifespan():\n    @asynccontextmanager\n    async def lifespan(app):\n"
                        "        yield\n    return lifespan\n\n\n"
                        "def make_lifespan():\n    chosen = build_lifespan()\n    return chosen\n\n\n"
                        "app = FastAPI(lifespan=make_lifespan())\n"),
    })
    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(root, settings)
    index = Project(root, discovered, engine.parse_python(root, discovered, settings), settings).python
    assert [(function.qualname, how) for function, _, how in index.startup_hooks] == [
        ("app.main.build_lifespan.lifespan", "lifespan")]


def test_how_far_lifespan_factories_are_followed(tmp_path) -> None:
    """Factories handing on another factory's result through a local are followed two deep, not three:
    a bound that also ends a factory that keeps its own call's result (`again = loop(); return again`)."""
    def factories(depth: int) -> str:
        text = "from contextlib import asynccontextmanager\n\nfrom fastapi import FastAPI\n\n\n"
        text += (f"def make{depth}():\n    @asynccontextmanager\n    async def lifespan(app):\n        yield\n"
                 "    return lifespan\n\n\n")
        for level in range(depth - 1, 0, -1):
            text += f"def make{level}():\n    chosen = make{level + 1}()\n    return chosen\n\n\n"
        return text + "app = FastAPI(lifespan=make1())\n"

    root = write_project(tmp_path, {
        "app/__init__.py": "", "app/two.py": factories(2), "app/three.py": factories(3),
        "app/loop.py": ("from fastapi import FastAPI\n\n\ndef loop():\n    again = loop()\n    return again\n\n\n"
                        "app = FastAPI(lifespan=loop())\n"),
    })
    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(root, settings)
    index = Project(root, discovered, engine.parse_python(root, discovered, settings), settings).python
    assert [function.qualname for function, _, _ in index.startup_hooks] == ["app.two.make2.lifespan"]


def test_star_imports_are_followed_into_project_modules_only(tmp_path, monkeypatch) -> None:
    """`from .impl import *` finds `impl`'s names; a star-imported module the project does not hold
    (a library, a file left out) gives nothing to follow. A package that star-imports eight absent
    modules was searched along every path through them, once per depth (8^6 lookups for one name)."""
    absent = "".join(f"from .gone{n} import *\n" for n in range(8))
    root = write_project(tmp_path, {
        "pkg/__init__.py": f"import fastapi\n{absent}from .impl import *\n",
        "pkg/impl.py": "import fastapi\n\n\ndef thing():\n    return 1\n",
    })
    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(root, settings)
    index = Project(root, discovered, engine.parse_python(root, discovered, settings), settings).python
    searched = []
    real_resolve = type(index)._resolve
    monkeypatch.setattr(type(index), "_resolve", lambda self, dotted, depth: searched.append(dotted)
                        or real_resolve(self, dotted, depth))
    found = index.function("pkg.thing")
    assert found is not None and found[0].qualname == "pkg.impl.thing"
    assert index.resolve("pkg.gone1.missing.name") is None
    assert len(searched) < 50, len(searched)


def test_how_far_a_session_is_followed_through_helpers(tmp_path) -> None:
    """A dependency that returns a helper's result, which returns another's: the session the last one
    builds is known through five helpers, not six (a bound against cycles and pathological chains)."""
    def helpers(count: int) -> str:
        text = "from sqlalchemy import create_engine\nfrom sqlalchemy.orm import sessionmaker\n\n"
        text += 'SessionLocal = sessionmaker(bind=create_engine("postgresql://app@db/app"))\n\n\n'
        text += f"def helper{count}():\n    return SessionLocal()\n\n\n"
        for level in range(count - 1, 0, -1):
            text += f"def helper{level}():\n    return helper{level + 1}()\n\n\n"
        return text + "def get_db():\n    return helper1()\n"

    root = write_project(tmp_path, {"app/__init__.py": "", "app/five.py": helpers(5), "app/six.py": helpers(6)})
    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(root, settings)
    index = Project(root, discovered, engine.parse_python(root, discovered, settings), settings).python
    assert index.dependency_session_kind("app.five.get_db") == "sync"
    assert index.dependency_session_kind("app.six.get_db") is None


@pytest.mark.parametrize("built", [True, False])
def test_env_getter_names_follow_a_module_level_env_instance(tmp_path, built: bool) -> None:
    """`env = environ.Env()` makes `env(...)` (imported elsewhere too) a getter; without a module-level
    name built that way, the same call names are no getters (and no name needs resolving to say so)."""
    root = write_project(tmp_path, {
        "app/__init__.py": "",
        "app/settings.py": f"import environ\nimport fastapi\nenv = {'environ.Env()' if built else 'make_env()'}\n"
                           "DEBUG = env('DEBUG', default=False)\n",
        "app/main.py": "import fastapi\nimport os\nfrom app.settings import env\nKEY = env.str('KEY')\n"
                       "HOME = os.getenv('HOME')\n",
    })
    settings = Settings(use_cache=False)
    discovered = engine.discover(root, settings)
    names = Project(root, discovered, engine.parse_python(root, discovered, settings), settings).python.env_getter_names
    assert "os.getenv" in names
    assert ("app.settings.env" in names) is built


LOCAL_SESSIONS = """
    from sqlalchemy import create_engine
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
    from sqlalchemy.orm import Session, sessionmaker

    engine = create_engine("postgresql://app@db/app")
    async_engine = create_async_engine("postgresql+asyncpg://app@db/app")
    Local = sessionmaker(bind=engine)
    AsyncLocal = async_sessionmaker(async_engine)


    def make():
        return Session(engine)


    def make_twice():
        return make()


    def level2():
        return level3()


    def level3():
        return level4()


    def level4():
        return level5()


    def level5():
        return level6()


    def level6():
        return make()


    async def handler():
        plain = Session(engine)
        awaited = AsyncSession(async_engine)
        made = Local()
        async_made = AsyncLocal()
        connection = engine.connect()
        transaction = async_engine.begin()
        returned = make()
        returned_twice = make_twice()
        at_the_edge = level3()
        too_deep = level2()
        called_result = get_factory()()
        copy = plain
        unknown_begin = other.begin()
        computed = compute()
        async with Local() as entered:
            pass
"""


@pytest.mark.parametrize(("local", "kind"), [
    ("plain", "sync"), ("awaited", "async"),  # the session classes themselves
    ("made", "sync"), ("async_made", "async"),  # a factory a module binds
    ("connection", "sync"), ("transaction", "async"),  # an engine's connect()/begin()
    ("returned", "sync"), ("returned_twice", "sync"),  # what a project function returns, followed
    ("at_the_edge", "sync"), ("too_deep", None),  # ... six steps deep, no further
    ("called_result", None),  # what a call's result returns: not known
    ("copy", "sync"),  # another local
    ("unknown_begin", None), ("computed", None), ("missing", None),
    ("entered", "async"),  # entered with `async with`: whatever the factory, the session is awaited
])
def test_the_session_kind_of_a_local(tmp_path: Path, local: str, kind: str | None) -> None:
    root = write_project(tmp_path, {"app/__init__.py": "", "app/db.py": LOCAL_SESSIONS})
    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(root, settings)
    index = Project(root, discovered, engine.parse_python(root, discovered, settings), settings).python
    handler = index.functions["app.db.handler"][0]
    assert index.session_kind(_name(local), handler) == kind



ROUTE_FORMS = """
from unittest.mock import patch

from fastapi import APIRouter, FastAPI

PREFIX = "/v2"
app = FastAPI()
router = APIRouter()


@router.get("/a")
async def a():
    return {}


@router.post(path="/b")
async def b():
    return {}


@router.get()
async def no_path():
    return {}


@patch("app.routes.PREFIX")
def test_patched():
    return None


@app.put(PREFIX + "/c")
async def c():
    return {}


@unknown.delete(f"{PREFIX}/d")
async def d():
    return {}


@router.api_route("/e", methods=["GET", "POST"])
async def e():
    return {}


@router.get(prefix() + "/o")
async def o():
    return {}


async def added():
    return {}


async def added_twice():
    return {}


def register(flag: bool):
    async def nested():
        return {}

    if flag:
        handler = added
    else:
        handler = added_twice
    router.add_api_route("/f", added, methods=["POST"])
    router.add_api_route("/g", added_twice, methods=["GET", "POST"])
    router.add_api_route("/h", make_handler())
    router.add_api_route("/i", nested)
    app.add_route("/k", handler)
    router.add_api_route("/l", endpoint=added)

    class Local:
        @staticmethod
        async def static():
            return {}

    router.add_api_route("/n", Local.static)
    router.add_api_route("/o", unknown.handler)


class Views:
    def __init__(self):
        self.router = APIRouter()
        self.router.add_api_route("/m", self.show, methods=["DELETE"])

    async def show(self):
        return {}
"""


def test_the_ways_a_route_is_declared(tmp_path: Path) -> None:
    """RouteIndex.routes: decorators with the path positional or `path=`, without a path (no route), a
    stdlib decorator named like a verb (`@patch`: no route), a path built at run time (shown, not literal),
    an owner the index does not know, `api_route`; `add_api_route`/`add_route` with one method, several
    (counted as GET), a handler built by a call (no route), a function nested in the registering one, a
    local bound to one function or another (both), `endpoint=`, a method of a class defined in the registering
    function (`Local.static`; an unknown module's attribute is none), and a class's own method (`self.show`)."""
    root = write_project(tmp_path, {"app/__init__.py": "", "app/routes.py": ROUTE_FORMS})
    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(root, settings)
    index = Project(root, discovered, engine.parse_python(root, discovered, settings), settings).python
    assert [(r.function.qualname, r.method, r.path, r.owner, r.literal, r.decorator is not None)
            for r in index.routes] == [
        ("app.routes.a", "get", "/a", "app.routes.router", True, True),
        ("app.routes.b", "post", "/b", "app.routes.router", True, True),
        ("app.routes.c", "put", "{PREFIX}/c", "app.routes.app", False, True),
        ("app.routes.d", "delete", "{}/d", "", False, True),
        ("app.routes.e", "api_route", "/e", "app.routes.router", True, True),
        ("app.routes.o", "get", "{path}/o", "app.routes.router", False, True),  # a call's result: no name shown
        ("app.routes.added", "post", "/f", "app.routes.router", True, False),
        ("app.routes.added_twice", "get", "/g", "app.routes.router", True, False),
        ("app.routes.register.nested", "get", "/i", "app.routes.router", True, False),
        ("app.routes.added", "get", "/k", "app.routes.app", True, False),
        ("app.routes.added_twice", "get", "/k", "app.routes.app", True, False),
        ("app.routes.added", "get", "/l", "app.routes.router", True, False),
        ("app.routes.register.Local.static", "get", "/n", "app.routes.router", True, False),
        ("app.routes.Views.show", "delete", "/m", "self.router", True, False),
    ]


def test_importing_a_module_the_index_does_not_know_imports_its_package(tmp_path: Path) -> None:
    """`import store.native` (a compiled or unreadable module: not in the index) still runs
    store/__init__.py, so the import graph has an edge to the package; an import of something outside the
    project gives none."""
    from conftest import project_model

    index = project_model(tmp_path, {
        "store/__init__.py": "from sqlalchemy import create_engine\nengine = create_engine('postgresql://db/app')\n",
        "native.py": "import store.native\nimport sqlalchemy.orm\n"}).python
    assert index.import_graph == {"native": ("store",), "store": ()}
    assert index.imported_closure(["native"]) == {"native", "store"}


def test_an_app_a_factory_builds_has_the_kind_of_what_it_returns(tmp_path: Path) -> None:
    """`x = make()` where the project function `make` returns an application or a router (the call itself
    or a local bound to it): x is that kind of app, a router stays a router and Starlette stays Starlette."""
    from conftest import project_model

    index = project_model(tmp_path, {"app/__init__.py": "", "app/main.py": """\
from fastapi import APIRouter, FastAPI
from starlette.applications import Starlette


def make_app():
    return FastAPI()


def make_router():
    router = APIRouter()
    return router


def make_starlette():
    return Starlette()


app = make_app()
router = make_router()
raw = make_starlette()
"""}).python
    assert {name: app.kind for name, app in index.apps.items()} == {
        "app.main.app": "fastapi", "app.main.router": "router", "app.main.raw": "starlette"}


def test_a_route_decorator_of_an_unknown_owner_counts_in_a_module_that_imports_a_web_framework(tmp_path: Path) -> None:
    """`@router.get("/x")` on a router the index cannot resolve (built by a library) is a route in a module
    that imports FastAPI or Starlette, and not in one that imports neither (`@client.get` of an HTTP client)."""
    from conftest import project_model

    route = 'from plugins import router\n{}\n\n@router.get("/x")\nasync def handler():\n    return {{}}\n'
    index = project_model(tmp_path, {
        "app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
        "app/fast.py": route.format("from fastapi import Depends"),
        "app/star.py": route.format("from starlette.responses import JSONResponse"),
        "app/plain.py": route.format("import httpx"),
    }).python
    assert sorted((r.function.qualname, r.owner) for r in index.routes) == [
        ("app.fast.handler", ""), ("app.star.handler", "")]


def test_a_declared_type_is_the_name_s_own_before_the_one_of_what_it_resolves_to(tmp_path: Path) -> None:
    """`store: Minio` in a module that also star-imports a default `store = None`: the declaration as
    written is the name's type; the assignment the name resolves to (not annotated) never hides it. A name
    declared nowhere has the type of the assignment it resolves to."""
    from conftest import project_model

    index = project_model(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/defaults.py": "import fastapi\nstore = None\ncache: Redis = None\n",
        "pkg/conf.py": "import fastapi\nfrom minio import Minio\nfrom pkg.defaults import *\nstore: Minio\n",
        "pkg/use.py": "import fastapi\nfrom pkg.conf import cache\n",
    }).python
    declared = index.annotation("pkg.conf.store")
    assert declared is not None and declared.text == "minio.Minio"
    through = index.annotation("pkg.use.cache")  # resolves to pkg.defaults.cache, declared there
    assert through is not None and through.text == "Redis"
    assert index.annotation("pkg.defaults.store") is None


def test_which_assignment_of_a_module_global_a_function_assignment_keeps(tmp_path: Path) -> None:
    """A global a function assigns (`global store`): a shutdown function's `store = None` never hides the
    module's real value; a start-up function's real value replaces the module's `None`; of two module-level
    assignments the last holds, as Python runs them."""
    from conftest import project_model

    index = project_model(tmp_path, {"app/__init__.py": "", "app/state.py": """\
import fastapi

store = make_store()
client = None
level = 1
level = 2


async def shutdown():
    global store
    store = None


async def startup():
    global client
    client = await open_client()
"""}).python
    found = {name: index.assigned_value(f"app.state.{name}") for name in ("store", "client", "level")}
    assert {name: (value.kind, value.text if value.kind != "const" else value.literal) if value else None
            for name, value in found.items()} == {
        "store": ("call", "make_store"), "client": ("call", "open_client"), "level": ("const", 2)}


def test_include_router_on_an_object_that_is_no_app_is_skipped_and_the_next_calls_are_read(tmp_path: Path) -> None:
    """`plugins.include_router(...)` / `plugins.mount(...)` on an object that is no app or router the index knows (a
    plugin registry, read first here) adds no mount, and the app's own `include_router` after it still does."""
    from conftest import project_model

    index = project_model(tmp_path, {
        "app/__init__.py": "",
        "app/a_plugins.py": ("import fastapi\nfrom app.registry import plugins\n\nrouter = fastapi.APIRouter()\n"
                             "plugins.include_router(router, prefix='/plugins')\nplugins.mount('/static', router)\n"),
        "app/api.py": "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.get('/items')\ndef items():\n    return []\n",
        "app/main.py": "from fastapi import FastAPI\n\nfrom app import api\n\napp = FastAPI()\napp.include_router(api.router, prefix='/api')\n",
    }).python
    assert {parent: [(child, prefix) for child, prefix, _ in children] for parent, children in index.mounts.items()} == {
        "app.main.app": [("app.api.router", "/api")]}
    assert [sorted(index.full_paths(route)) for route in index.routes] == [["/api/items"]]


def test_how_far_depends_is_followed_through_annotated_aliases(tmp_path: Path) -> None:
    """`Depends(...)` inside `Annotated[...]` aliases that name each other: four steps from the parameter's
    annotation (alias, Annotated, alias, Annotated, then `Depends`) are followed, one alias more is not (a bound
    against alias cycles, which end)."""
    from conftest import project_model

    index = project_model(tmp_path, {"app/__init__.py": "", "app/deps.py": """\
from typing import Annotated

from fastapi import Depends


def verify():
    return True


Level1 = Annotated[str, Depends(verify)]
Level2 = Annotated[str, Level1]
Level3 = Annotated[str, Level2]
Loop1 = Annotated[str, Loop2]  # never run: the model only reads it
Loop2 = Annotated[str, Loop1]


def direct(user: Level1): ...
def two(user: Level2): ...
def three(user: Level3): ...
def looping(user: Loop2): ...
"""}).python
    found = {name: index.parameter_dependencies(index.functions[f"app.deps.{name}"][0])
             for name in ("direct", "two", "three", "looping")}
    assert found == {"direct": [("user", "app.deps.verify")], "two": [("user", "app.deps.verify")], "three": [],
                     "looping": []}
