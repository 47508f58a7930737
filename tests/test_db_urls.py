"""UrlResolver: where an engine's URL comes from (literal, constant, env default, settings field, config)."""
from __future__ import annotations

from pathlib import Path

from conftest import write_project
from prodcheck import engine
from prodcheck.project import Project
from prodcheck.project.db_urls import UrlResolver, mask_url, scheme_of
from prodcheck.settings import Settings

FILES = {
    "app/config.py": """
        import os

        from pydantic import field_validator
        from pydantic_settings import BaseSettings, SettingsConfigDict


        class Settings(BaseSettings):
            model_config = SettingsConfigDict(env_file=".env", env_prefix="APP_")
            database_url: str = "sqlite:///./local.db"


        class Checked(BaseSettings):
            DATABASE_URL: str

            @field_validator("DATABASE_URL")
            @classmethod
            def async_scheme(cls, value):
                return value.replace("postgresql://", "postgresql+asyncpg://")


        settings = Settings()
        checked = Checked()
        REPORTS_URL = "postgresql://reports@db/reports"
        CACHE_URL = os.getenv("CACHE_URL", "sqlite:///./cache.db")
    """,
    "app/db.py": """
        import os

        from sqlalchemy.ext.asyncio import create_async_engine

        from app.config import CACHE_URL, REPORTS_URL, checked, settings

        a = create_async_engine(settings.database_url)
        b = create_async_engine(REPORTS_URL)
        c = create_async_engine(CACHE_URL)
        d = create_async_engine(os.environ["PRIMARY_URL"])
        e = create_async_engine(checked.DATABASE_URL)
        f = create_async_engine(os.environ["PRIMARY_URL"].replace("postgresql://", "postgresql+asyncpg://"))
    """,
    "app/main.py": """
        from fastapi import FastAPI

        from app.db import a

        app = FastAPI()
    """,
    "docker-compose.yml": """
        services:
          api:
            build: .
            command: uvicorn app.main:app --host 0.0.0.0
            env_file: [deploy/api.env]
            environment:
              PRIMARY_URL: postgresql://app:s3cret@db/app
    """,
    "deploy/api.env": "PRIMARY_URL=postgresql+asyncpg://app@db/app\n",
}


def _engines(root: Path) -> tuple[Project, UrlResolver, dict[str, object]]:
    settings = Settings().with_overrides(use_cache=False)
    files = engine.discover(root, settings)
    project = Project(root, files, engine.parse_python(root, files, settings), settings)
    by_name = {}
    for found in project.engines:
        for assign in found.facts.assigns:
            if assign.value.span == found.value.span:
                by_name[assign.target.rsplit(".", 1)[-1]] = found
    return project, UrlResolver(project), by_name


def test_literal_sources(tmp_path: Path) -> None:
    _, resolver, engines = _engines(write_project(tmp_path, FILES))

    def literal(name: str):  # type: ignore[no-untyped-def]
        found = engines[name]
        return resolver.literal(found.value.arg(0), found.facts)  # type: ignore[attr-defined]

    settings_default = literal("a")
    assert (settings_default.url, settings_default.how, settings_default.variable) == (
        "sqlite:///./local.db", "settings", "APP_DATABASE_URL")
    assert settings_default.location.path == "app/config.py"
    constant = literal("b")
    assert (constant.url, constant.how) == ("postgresql://reports@db/reports", "literal")
    fallback = literal("c")
    assert (fallback.how, fallback.variable) == ("fallback", "CACHE_URL")
    assert literal("d") is None and literal("f") is None


def test_env_reads_and_config_values(tmp_path: Path) -> None:
    _, resolver, engines = _engines(write_project(tmp_path, FILES))

    def read(name: str):  # type: ignore[no-untyped-def]
        found = engines[name]
        return resolver.env_read(found.value.arg(0), found.facts)  # type: ignore[attr-defined]

    assert read("d").variable == "PRIMARY_URL"
    assert read("a").variable == "APP_DATABASE_URL" and read("a").settings_class == "app.config.Settings"
    assert read("e").transformed  # a validator may rewrite it
    assert read("f") is None  # rewritten in code
    values = sorted((v.location.path, v.url) for v in resolver.config_values("PRIMARY_URL"))
    assert values == [("deploy/api.env", "postgresql+asyncpg://app@db/app"),
                      ("docker-compose.yml", "postgresql://app:s3cret@db/app")]
    assert resolver.settings_env_files("app.config.Settings") == [".env"]


def test_scheme_and_masking() -> None:
    assert scheme_of("postgresql+asyncpg://u:p@h/db") == "postgresql+asyncpg"
    assert mask_url("postgresql://u:p4ss@h/db") == ("postgresql://u:****@h/db", ("p4ss",))
    assert mask_url("sqlite:///./x.db") == ("sqlite:///./x.db", ())


def test_unset_in_production(tmp_path: Path) -> None:
    files = dict(FILES)
    files["Dockerfile"] = 'FROM python:3.12-slim\nCMD ["uvicorn", "app.main:app"]\n'
    _project, resolver, _ = _engines(write_project(tmp_path, files))
    # compose sets PRIMARY_URL; nothing sets CACHE_URL; env_file deploy/api.env exists and does not set it
    assert resolver.unset_in_production("PRIMARY_URL") is None
    assert resolver.unset_in_production("CACHE_URL") == ["docker-compose.yml:api"]
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  api:\n    build: .\n    env_file: missing.env\n    command: uvicorn app.main:app\n")
    _project, resolver, _ = _engines(tmp_path)
    assert resolver.unset_in_production("CACHE_URL") is None  # a file we cannot see may set it
