"""PC604/PC605 across files: which paths an app serves, and what its liveness route touches."""
from __future__ import annotations

import pytest

from conftest import run_json

DEPLOYMENT = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: api
    spec:
      template:
        spec:
          containers:
            - name: api
              image: registry.example.com/api:1.0.0
              command: ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
              livenessProbe:
                httpGet:
                  path: {path}
                  port: 8000
"""


def probe(project, main: str, path: str, code: str, extra: dict[str, str] | None = None) -> list[dict]:
    root = project({"deploy/api.yaml": DEPLOYMENT.format(path=path), "app/main.py": main, **(extra or {})})
    _, report = run_json(root, "--select", code)
    return [f for f in report["findings"] if f["code"] == code]


SIMPLE = """
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/items/{item_id}")
    async def item(item_id: int):
        return {}


    @app.get("/files/{rest:path}")
    async def files(rest: str):
        return {}


    @app.get("/healthz")
    async def healthz():
        return {}
"""


@pytest.mark.parametrize("path", ["/healthz", "/healthz/", "/healthz?full=1", "/items/7", "/files/a/b/c", "/docs",
                                  "/openapi.json"])
def test_served_paths_are_not_flagged(project, path: str) -> None:
    assert probe(project, SIMPLE, path, "PC605") == []


@pytest.mark.parametrize("path", ["/health", "/items", "/items/7/extra", "/api/healthz"])
def test_unserved_paths_are_flagged(project, path: str) -> None:
    assert len(probe(project, SIMPLE, path, "PC605")) == 1


def test_docs_turned_off_are_not_served(project) -> None:
    main = SIMPLE.replace("app = FastAPI()", "app = FastAPI(docs_url=None)")
    assert len(probe(project, main, "/docs", "PC605")) == 1


def test_prefix_from_a_settings_class_default(project) -> None:
    main = """
        from fastapi import APIRouter, FastAPI

        from app.config import settings

        router = APIRouter(prefix="/health")
        app = FastAPI()


        @router.get("/live")
        async def live():
            return {}


        app.include_router(router, prefix=settings.API_V1_STR)
    """
    config = """
        from pydantic_settings import BaseSettings


        class Settings(BaseSettings):
            API_V1_STR: str = "/api/v1"


        settings = Settings()
    """
    assert probe(project, main, "/api/v1/health/live", "PC605", {"app/config.py": config}) == []
    found = probe(project, main, "/health/live", "PC605", {"app/config.py": config})
    assert len(found) == 1 and "`/api/v1/health/live`" in found[0]["message"]


def test_routes_included_inside_a_factory_make_the_app_unknowable(project) -> None:
    main = """
        from fastapi import APIRouter, FastAPI

        router = APIRouter()


        @router.get("/live")
        async def live():
            return {}


        def create_app() -> FastAPI:
            application = FastAPI()
            application.include_router(router, prefix="/api")
            return application


        app = FastAPI()
    """
    assert probe(project, main, "/api/live", "PC605") == []


def test_starlette_routes_list(project) -> None:
    main = """
        from starlette.applications import Starlette
        from starlette.routing import Mount, Route


        async def health(request):
            ...


        app = Starlette(routes=[Route("/health", health), Mount("/static", app=None)])
    """
    assert probe(project, main, "/health", "PC605") == []
    assert probe(project, main, "/static/x.css", "PC605") == []
    assert len(probe(project, main, "/ready", "PC605")) == 1


def test_mounted_sub_app_prefix(project) -> None:
    main = """
        from fastapi import FastAPI

        api = FastAPI()
        app = FastAPI()
        app.mount("/v1", api)


        @api.get("/health")
        async def health():
            return {}
    """
    assert probe(project, main, "/v1/health", "PC605") == []
    assert len(probe(project, main, "/health", "PC605")) == 1


def test_project_without_web_routes_stays_quiet(project) -> None:
    assert probe(project, "import os\n", "/anything", "PC605") == []


# ---------------------------------------------------------------- PC604


def test_liveness_dependency_that_queries_through_decorator_dependencies(project) -> None:
    main = """
        from fastapi import Depends, FastAPI
        from sqlalchemy import text
        from sqlalchemy.orm import Session

        from app.db import get_db

        app = FastAPI()


        def check_db(db: Session = Depends(get_db)) -> None:
            db.execute(text("SELECT 1"))


        @app.get("/healthz", dependencies=[Depends(check_db)])
        def healthz():
            return {}
    """
    db = """
        from sqlalchemy import create_engine
        from sqlalchemy.orm import sessionmaker

        engine = create_engine("postgresql://db/app", pool_pre_ping=True)
        SessionLocal = sessionmaker(engine)


        def get_db():
            with SessionLocal() as session:
                yield session
    """
    found = probe(project, main, "/healthz", "PC604", {"app/db.py": db})
    assert len(found) == 1 and "via `check_db()`" in found[0]["message"]


def test_liveness_calling_redis_and_engine(project) -> None:
    main = """
        import redis.asyncio as redis
        from fastapi import FastAPI
        from sqlalchemy.ext.asyncio import create_async_engine

        cache = redis.from_url("redis://cache:6379/0")
        engine = create_async_engine("postgresql+asyncpg://db/app", pool_pre_ping=True)
        app = FastAPI()


        @app.get("/healthz")
        async def healthz():
            await cache.ping()
            return {}


        @app.get("/live")
        async def live():
            async with engine.connect():
                pass
            return {}
    """
    assert len(probe(project, main, "/healthz", "PC604")) == 1
    assert len(probe(project, main, "/live", "PC604")) == 1


def test_liveness_on_a_constant_route_is_fine(project) -> None:
    assert probe(project, SIMPLE, "/healthz", "PC604") == []


def test_fastapi_run_without_a_path_discovers_the_app(project) -> None:
    root = project({
        "app/main.py": SIMPLE,
        "Dockerfile": """
            FROM python:3.12-slim
            USER app
            HEALTHCHECK CMD curl -f http://localhost:8000/health || exit 1
            CMD ["fastapi", "run", "--workers", "4"]
        """,
    })
    _, report = run_json(root, "--select", "PC605")
    assert [(f["path"], f["line"]) for f in report["findings"]] == [("Dockerfile", 3)]
