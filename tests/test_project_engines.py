"""The engine model (project/engines.py): which engines and pools the code opens, how many connections
each holds per process, where that number is written, and which engines a served app loads."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_project
from prodcheck import engine
from prodcheck.model.facts import INFERRED, TOOL_DEFAULT, Value
from prodcheck.project import Project
from prodcheck.project.engines import Engine, lower_bound_int
from prodcheck.settings import Settings

CONFIG = """
    import os

    from pydantic_settings import BaseSettings


    class Settings(BaseSettings):
        POOL_SIZE: int = 16


    settings = Settings()
    OVERFLOW = 7
"""
DB = """
    import os

    import asyncpg
    from sqlalchemy import create_engine
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    from app.config import OVERFLOW, settings

    URL = "postgresql://app@db/app"
    defaults = create_engine(URL)
    literal = create_async_engine(os.environ["DATABASE_URL"], pool_size=20, max_overflow=5)
    from_env = create_engine(URL, pool_size=int(os.getenv("POOL", "12")), max_overflow=os.getenv("OVER", 3))
    or_default = create_engine(URL, pool_size=int(os.environ.get("POOL") or 40), max_overflow=0)
    or_with_default = create_engine(URL, pool_size=os.environ.get("POOL", "1") or 40)
    from_settings = create_engine(URL, pool_size=settings.POOL_SIZE, max_overflow=OVERFLOW)
    from_text = create_engine(URL, pool_size="9", max_overflow=w)
    unknown = create_engine(URL, pool_size=compute(), max_overflow=2)
    starred = create_engine(URL, **options)
    null_pool = create_engine(URL, poolclass=NullPool)
    sqlite = create_engine("sqlite:///./app.db")
    test_engine = create_engine(URL)


    async def pool():
        return await asyncpg.create_pool(dsn=URL, max_size=15)


    if __name__ == "__main__":
        script = create_engine(URL, pool_size=99)
"""


def project_of(root: Path, files: dict[str, str]) -> Project:
    write_project(root, files)
    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(root, settings)
    return Project(root, discovered, engine.parse_python(root, discovered, settings), settings)


def by_line(engines: list[Engine]) -> dict[int, Engine]:
    return {e.location.span.line: e for e in engines}


def test_pool_sizes_and_where_they_are_written(tmp_path: Path) -> None:
    project = project_of(tmp_path, {"app/__init__.py": "", "app/config.py": CONFIG, "app/db.py": DB,
                                    "migrations/env.py": "from sqlalchemy import create_engine\n"
                                                         "e = create_engine('postgresql://x@db/x')\n",
                                    "svc/alembic/env.py": "from sqlalchemy import create_engine\n"
                                                          "e = create_engine('postgresql://x@db/x')\n"})
    engines = project.engines
    assert {e.facts.path for e in engines} == {"app/db.py"}  # migration environments open no app pool

    def fact(found):  # type: ignore[no-untyped-def]
        return None if found is None else (found.value, found.note, found.origin.path, found.origin.span.line)

    summary = {line: (e.factory.rsplit(".", 1)[-1], fact(e.pool_size), fact(e.max_overflow), e.null_pool, e.url,
                      e.is_async, e.per_process) for line, e in by_line(engines).items()}
    assert summary == {
        11: ("create_engine", (5, "pool_size 5 (default)", "app/db.py", 11),
             (10, "max_overflow 10 (default)", "app/db.py", 11), False, "postgresql://app@db/app", False, 15),
        12: ("create_async_engine", (20, "pool_size=20", "app/db.py", 12), (5, "max_overflow=5", "app/db.py", 12),
             False, None, True, 25),
        13: ("create_engine", (12, "pool_size=12", "app/db.py", 13), (3, "max_overflow=3", "app/db.py", 13),
             False, "postgresql://app@db/app", False, 15),
        14: ("create_engine", (40, "pool_size=40", "app/db.py", 14), (0, "max_overflow=0", "app/db.py", 14),
             False, "postgresql://app@db/app", False, 40),
        15: ("create_engine", None, (10, "max_overflow 10 (default)", "app/db.py", 15), False,
             "postgresql://app@db/app", False, None),
        16: ("create_engine", (16, "pool_size=16", "app/config.py", 7), (7, "max_overflow=7", "app/config.py", 11),
             False, "postgresql://app@db/app", False, 23),
        17: ("create_engine", (9, "pool_size=9", "app/db.py", 17), None, False, "postgresql://app@db/app", False,
             None),
        18: ("create_engine", None, (2, "max_overflow=2", "app/db.py", 18), False, "postgresql://app@db/app",
             False, None),
        19: ("create_engine", None, None, False, "postgresql://app@db/app", False, None),
        20: ("create_engine", (5, "pool_size 5 (default)", "app/db.py", 20),
             (10, "max_overflow 10 (default)", "app/db.py", 20), True, "postgresql://app@db/app", False, 0),
        21: ("create_engine", (5, "pool_size 5 (default)", "app/db.py", 21),
             (10, "max_overflow 10 (default)", "app/db.py", 21), True, "sqlite:///./app.db", False, 0),
        26: ("create_pool", (15, "max_size=15", "app/db.py", 26), (0, "", "app/db.py", 26), False,
             "postgresql://app@db/app", True, 15),
    }


def test_engines_of_the_served_app(tmp_path: Path) -> None:
    engine_module = "from sqlalchemy import create_engine\nengine = create_engine('postgresql://{0}@db/{0}')\n"
    project = project_of(tmp_path, {
        "api/__init__.py": "", "api/db.py": engine_module.format("api"),
        "api/main.py": "from fastapi import FastAPI\n\nfrom api.db import engine\n\napp = FastAPI()\n",
        "api/cli.py": engine_module.format("cli"),
        "api/health.py": "from fastapi import APIRouter\n\nrouter = APIRouter()\n",
        "worker/__init__.py": "", "worker/db.py": engine_module.format("worker"),
        "worker/run.py": "import sqlalchemy\n\nfrom worker.db import engine\n",
        "tests/conftest.py": engine_module.format("tests"),
    })

    def urls(app_ref: str | None) -> list[str | None]:
        return sorted(e.url for e in project.engines_for_app(app_ref))

    assert urls("api.main:app") == ["postgresql://api@db/api"]
    assert urls("${APP_MODULE:-api.main:app}") == ["postgresql://api@db/api"]
    assert urls("api/main.py:app") == ["postgresql://api@db/api"]
    assert urls("src.api.main:app") == ["postgresql://api@db/api"]  # a prefix the index does not know
    assert urls("worker.run:app") == ["postgresql://worker@db/worker"]
    assert urls(None) == ["postgresql://api@db/api"]  # the FastAPI app of the repository
    # an app module whose imports reach no engine: the engines of its own package
    assert urls("api.health:app") == ["postgresql://api@db/api", "postgresql://cli@db/cli"]
    assert urls("${APP_MODULE:-api.health:app}") == ["postgresql://api@db/api", "postgresql://cli@db/cli"]
    assert urls("api.missing:app") == ["postgresql://api@db/api"]  # unknown module: the repository's app
    assert urls("worker.db:engine") == ["postgresql://worker@db/worker"]


@pytest.mark.parametrize(("expression", "bound"), [
    ("4", 4), ("multiprocessing.cpu_count()", 1), ("os.cpu_count() * 2 + 1", 3), ("2 * cpu_count() + 1", 3),
    ("int(os.getenv('WORKERS', '3'))", 3), ("int(os.environ.get('WORKERS', 5))", 5), ("int(os.getenv('W'))", None),
    ("int(compute('3', '4'))", None), ("cpu_count() - 1", None), ("workers + 1", None), ("1 + 2", 3),
    ("int(os.getenv('W', 'many'))", None),
])
def test_lower_bound_int(tmp_path: Path, expression: str, bound: int | None) -> None:
    project = project_of(tmp_path, {"conf.py": f"import multiprocessing\nimport os\nfrom multiprocessing import cpu_count\n\nworkers = {expression}\n"})
    value: Value = next(a.value for a in project.python_facts["conf.py"].assigns if a.target.endswith("workers"))
    assert lower_bound_int(value) == bound


def test_names_bound_in_a_cycle_give_no_pool_size(tmp_path: Path) -> None:
    """Hostile input: `A = B`, `B = A` is followed a bounded number of steps, never forever."""
    project = project_of(tmp_path, {"app/__init__.py": "", "app/db.py": (
        "from sqlalchemy import create_engine\n\nA = B\nB = A\n"
        "engine = create_engine('postgresql://app@db/app', pool_size=A, max_overflow=2)\n")})
    [found] = project.engines
    assert found.pool_size is None and found.max_overflow is not None and found.max_overflow.value == 2


APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"
ENGINE = "from sqlalchemy import create_engine\nengine = create_engine('postgresql://{0}@db/{0}')\n"


@pytest.mark.parametrize(("app_ref", "names"), [
    ("app.main:app", ["backend"]),  # backend/app/main.py as `app.main`: the engines of its package's folder
    ("app/main.py:app", ["backend"]),  # written as a path
    ("./app/main.py:app", ["backend"]),
    ("app.main", ["backend"]),  # without the attribute
    ("main:app", ["src"]),  # a top-level module of a source root: that root's engines
    ("${APP_MODULE:-main:app}", ["src"]),  # the default of a variable
    ("main.py:app", ["src"]),
    ("svc.web.api:app", ["svc", "svcweb"]),  # the top package and the module's own package
    ("svc/web/api.py:app", ["svc", "svcweb"]),
    ("svc.web:app", ["svc", "svcweb"]),
    ("svc.other.api:app", ["svc", "svcweb"]),  # a module the index does not know, in a known top package
    ("web.api:app", ["svc", "svcweb"]),  # a suffix of a known module: the folder of its top package
    ("other:app", []),  # nothing known: no engine
])
def test_engines_of_an_app_whose_imports_reach_none(tmp_path: Path, app_ref: str, names: list[str]) -> None:
    """The fallback of `Engines.for_app`: when the app module's imports reach no engine, the engines of
    the app's own package (its top package, its module's package, or its source root's folder)."""
    project = project_of(tmp_path, {
        "backend/app/__init__.py": "", "backend/app/main.py": APP, "backend/app/db.py": ENGINE.format("backend"),
        "src/main.py": APP, "src/store.py": ENGINE.format("src"),
        "svc/__init__.py": "", "svc/db.py": ENGINE.format("svc"), "svc/web/__init__.py": "",
        "svc/web/api.py": APP, "svc/web/db.py": ENGINE.format("svcweb"),
    })
    assert sorted((e.url or "").split("@")[0].removeprefix("postgresql://")
                  for e in project.engines_for_app(app_ref)) == names


POOLS = """
    import os

    import asyncpg
    from decouple import config
    from sqlalchemy import create_engine
    from sqlalchemy.pool import StaticPool

    URL = "postgresql://app@db/app"
    DEFAULT = 12
    N1 = 7
    N2 = N1
    N3 = N2
    N4 = N3
    N5 = N4
    N6 = N5
    N7 = N6
    WORKERS = int(os.getenv("WORKERS", "4"))

    by_keyword = create_engine(url=URL, pool_size=int("8"))
    static = create_engine("postgresql://app@db/app", poolclass=StaticPool)
    six_names = create_engine(URL, pool_size=N6, max_overflow=int(N5))
    seven_names = create_engine(URL, pool_size=N7, max_overflow=int(N6))
    decoupled = create_engine(URL, pool_size=config("POOL", cast=int, default=20), max_overflow=int(os.getenv("OVER")))
    named_default = create_engine(URL, pool_size=os.getenv("POOL", DEFAULT), max_overflow=os.environ.get("OVER") and 4)
    own_default = create_engine(URL, pool_size=config("POOL", default=3) or 40)
    computed = create_engine(URL, pool_size=max(WORKERS * 3 // 2, 5), max_overflow=int(os.getenv("OVER", str(DEFAULT * 2))))
    unknown_part = create_engine(URL, pool_size=max(WORKERS // os.cpu_count(), 5))


    async def pool():
        return await asyncpg.create_pool(URL)
"""


def test_how_pool_sizes_are_read(tmp_path: Path) -> None:
    """What each way of writing a pool's size gives, and how sure it is (LITERAL where the call writes
    the number, INFERRED where it is written elsewhere, TOOL_DEFAULT for the library's default); a chain of
    names (or of `int()`) is followed six steps deep, no further."""
    project = project_of(tmp_path, {"app/__init__.py": "", "app/db.py": POOLS})

    def fact(found):  # type: ignore[no-untyped-def]
        return None if found is None else (found.value, found.certainty, found.note, found.origin.span.line)

    summary = {line: (fact(e.pool_size), fact(e.max_overflow), e.null_pool, e.url)
               for line, e in by_line(project.engines).items()}
    url = "postgresql://app@db/app"
    assert summary == {
        19: ((8, INFERRED, "pool_size=8", 19), (10, TOOL_DEFAULT, "max_overflow 10 (default)", 19), False, url),
        20: ((5, TOOL_DEFAULT, "pool_size 5 (default)", 20), (10, TOOL_DEFAULT, "max_overflow 10 (default)", 20),
             True, url),  # StaticPool: no pool of its own
        21: ((7, INFERRED, "pool_size=7", 10), (7, INFERRED, "max_overflow=7", 10), False, url),  # six steps
        22: (None, None, False, url),  # seven steps: not followed
        23: ((20, INFERRED, "pool_size=20", 23), None, False, url),  # python-decouple's `default=`; no default
        24: ((12, INFERRED, "pool_size=12", 9), None, False, url),  # a getter's default named by a constant; `X and 4`
        25: (None, (10, TOOL_DEFAULT, "max_overflow 10 (default)", 25), False, url),  # `or` after a getter's own default
        # arithmetic on known numbers: max(4 * 3 // 2, 5), and a getter's default computed as `str(DEFAULT * 2)`
        26: ((6, INFERRED, "pool_size=6", 26), (24, INFERRED, "max_overflow=24", 26), False, url),
        27: (None, (10, TOOL_DEFAULT, "max_overflow 10 (default)", 27), False, url),  # one part unknown: no number
        31: ((10, TOOL_DEFAULT, "max_size 10 (default)", 31), (0, TOOL_DEFAULT, "", 31), False, url),
    }


@pytest.mark.parametrize(("target", "named"), [
    ("test_engine", True), ("app.db.test_engine", True), ("engine_test", True),
    # only the last dotted part names the engine: a module called for tests does not make its engine one
    ("test_support.engine", False), ("tests.db.engine", False), ("app.db.engine", False),
    ("latest_engine", False),  # a word that contains "test" is not the word
])
def test_an_engine_is_test_named_by_the_last_part_of_its_name_only(target: str, named: bool) -> None:
    from prodcheck.project.engines import _test_named
    assert _test_named(target) is named


SETTINGS_CHAIN = """
    from pydantic_settings import BaseSettings
    from sqlalchemy import create_engine

    N1 = 7
    N2 = N1
    N3 = N2
    N4 = N3
    N5 = N4
    N6 = N5


    class Settings(BaseSettings):
        FIVE: int = N5
        SIX: int = N6


    settings = Settings()
    five = create_engine("postgresql://app@db/app", pool_size=settings.FIVE, max_overflow=0)
    six = create_engine("postgresql://app@db/app", pool_size=settings.SIX, max_overflow=0)
"""


def test_a_settings_field_is_one_step_of_the_six(tmp_path: Path) -> None:
    """Reading a settings field's default is a step of the bounded chain like reading a name: the field,
    then five names, reach the number; the field, then six names, are one step too many."""
    project = project_of(tmp_path, {"app/__init__.py": "", "app/db.py": SETTINGS_CHAIN})
    sizes = {line: None if e.pool_size is None else (e.pool_size.value, e.pool_size.origin.span.line)
             for line, e in by_line(project.engines).items()}
    assert sizes == {18: (7, 4), 19: None}


SERVED = {
    "api/__init__.py": "", "api/db.py": ENGINE.format("api"),
    "api/main.py": "from fastapi import FastAPI\n\nfrom api.db import engine\n\napp = FastAPI()\n",
    "worker/__init__.py": "", "worker/db.py": ENGINE.format("worker"),
    "worker/main.py": "from fastapi import FastAPI\n\nfrom worker.db import engine\n\napp = FastAPI()\n",
}


@pytest.mark.parametrize("app_ref", ["worker.main:app", "worker/main.py:app", "./worker/main.py:app",
                                     "worker/main.py", "${APP_MODULE:-worker/main.py:app}"])
def test_an_app_written_as_a_path_serves_its_own_engines(tmp_path: Path, app_ref: str) -> None:
    """Two apps in one repository: an app reference written as a module, a path (with `./`, without the
    attribute) or a variable's default names one of them, whose imports give its engines, never the
    other app's."""
    project = project_of(tmp_path, SERVED)
    assert sorted(e.url for e in project.engines_for_app(app_ref)) == ["postgresql://worker@db/worker"]
    assert project.engine_model.served_modules(app_ref) >= {"worker.main", "worker.db"}
    assert "api.db" not in project.engine_model.served_modules(app_ref)


FALLBACK_CHAIN = """
    import os

    from sqlalchemy import create_engine

    P3 = 7
    P2 = os.environ.get("P2") or P3
    P1 = os.environ.get("P1") or P2
    P0 = os.environ.get("P0") or P1
    two = create_engine("postgresql://app@db/app", pool_size=P1, max_overflow=0)
    three = create_engine("postgresql://app@db/app", pool_size=P0, max_overflow=0)
"""


def test_an_or_fallback_is_one_step_of_the_six(tmp_path: Path) -> None:
    """`P1 = os.environ.get("P1") or P2`: following the fallback is a step of the bounded chain like
    reading a name: two fallbacks (five steps) reach the number; three (seven steps) are too many."""
    project = project_of(tmp_path, {"app/__init__.py": "", "app/db.py": FALLBACK_CHAIN})
    sizes = {line: None if e.pool_size is None else (e.pool_size.value, e.pool_size.origin.span.line)
             for line, e in by_line(project.engines).items()}
    assert sizes == {9: (7, 5), 10: None}


def test_an_app_module_the_index_knows_by_its_last_part_only(tmp_path: Path) -> None:
    """`uvicorn app.main:app` where the repository's `main.py` is copied into an `app/` folder of the image:
    the index knows the module as `main`, and its imports give the engines, never the other app's."""
    project = project_of(tmp_path, {
        "main.py": "from fastapi import FastAPI\n\nimport store\n\napp = FastAPI()\n",
        "store.py": ENGINE.format("main"),
        "worker/__init__.py": "", "worker/db.py": ENGINE.format("worker"),
        "worker/main.py": "from fastapi import FastAPI\n\nfrom worker.db import engine\n\napp = FastAPI()\n",
    })
    assert project.engine_model.served_modules("app.main:app") == {"main", "store"}
    assert sorted(e.url for e in project.engines_for_app("app.main:app")) == ["postgresql://main@db/main"]
