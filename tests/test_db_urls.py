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



SETTINGS_CONFIG = """
import os
from functools import lru_cache
from os import environ

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url


class Base(BaseSettings):
    DATABASE_URL: str = "postgresql://base@db/base"


class Derived(Base):
    class Config:
        env_prefix = "SVC_"


class Aliased(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="own_")
    url: str = Field("postgresql://alias@db/alias", validation_alias="primary_database_url")
    plain: str = Field(default="postgresql://plain@db/plain")
    required: str


class Computed(BaseSettings):
    DATABASE_URL: str = "postgresql://computed@db/computed"

    @property
    def async_url(self):
        return self.DATABASE_URL


derived = Derived()
aliased = Aliased()
computed = Computed()


@lru_cache
def get_settings() -> Aliased:
    return load()


def get_derived():
    return Derived()


ENV_ALIAS = environ
URL = "postgresql://const@db/const"
COPY = URL
WRAPPED = str(URL)
PARSED = make_url(URL)
L1 = URL
L2 = L1
L3 = L2
L4 = L3
L5 = L4
L6 = L5
E1 = os.environ["CHAIN_URL"]
E2 = E1
E3 = E2
E4 = E3
E5 = E4
E6 = E5
E7 = E6


class Top(BaseSettings):
    DATABASE_URL: str = "postgresql://top@db/top"


class Up4(Top):
    pass


class Up3(Up4):
    pass


class Up2(Up3):
    pass


class Up1(Up2):
    pass


class Up0(Up1):
    pass


class Below(Up0):
    pass


up0 = Up0()
below = Below()
"""
SETTINGS_DB = """
import os
from os import environ

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from app.config import ENV_ALIAS, URL, COPY, WRAPPED, PARSED, aliased, computed, derived, get_derived, get_settings
from app.config import E6, E7, L5, L6, below, up0


def local():
    url = os.environ["L_URL"]
    fallback = os.getenv("F_URL", "sqlite:///f.db")
    create_engine(url)
    create_engine(fallback)
"""
# expression -> (literal: url, how, variable, where), (env_read: variable, settings class, transformed)
URL_EXPRESSIONS = {
    # a settings field inherited from a base class, the subclass's legacy `Config.env_prefix` before its name
    "derived.DATABASE_URL": (("postgresql://base@db/base", "settings", "SVC_DATABASE_URL", "app/config.py:11"),
                             ("SVC_DATABASE_URL", "app.config.Derived", False)),
    # `Field(default, validation_alias=...)`: the alias is the variable, upper-cased, the prefix not applied
    "aliased.url": (("postgresql://alias@db/alias", "settings", "PRIMARY_DATABASE_URL", "app/config.py:21"),
                    ("PRIMARY_DATABASE_URL", "app.config.Aliased", False)),
    "aliased.plain": (("postgresql://plain@db/plain", "settings", "OWN_PLAIN", "app/config.py:22"),
                      ("OWN_PLAIN", "app.config.Aliased", False)),  # `Field(default=...)`, model_config's prefix
    "aliased.required": (None, ("OWN_REQUIRED", "app.config.Aliased", False)),  # no default
    "aliased.missing": (None, ("OWN_MISSING", "app.config.Aliased", False)),  # no such field: still a variable
    # a getter function: by its return annotation, or by the class its return statement builds
    "get_settings().url": (("postgresql://alias@db/alias", "settings", "PRIMARY_DATABASE_URL", "app/config.py:21"),
                           ("PRIMARY_DATABASE_URL", "app.config.Aliased", False)),
    "get_derived().DATABASE_URL": (("postgresql://base@db/base", "settings", "SVC_DATABASE_URL", "app/config.py:11"),
                                   ("SVC_DATABASE_URL", "app.config.Derived", False)),
    # a class with a property may rewrite what it reads
    "computed.DATABASE_URL": (("postgresql://computed@db/computed", "settings", "DATABASE_URL", "app/config.py:27"),
                              ("DATABASE_URL", "app.config.Computed", True)),
    "COPY": (("postgresql://const@db/const", "literal", None, "app/config.py:49"), None),  # a name bound to a name
    "WRAPPED": (("postgresql://const@db/const", "literal", None, "app/config.py:49"), None),  # str(...)
    "PARSED": (("postgresql://const@db/const", "literal", None, "app/config.py:49"), None),  # make_url(...)
    'environ["X_URL"]': (None, ("X_URL", None, False)),
    'ENV_ALIAS["Y_URL"]': (None, None),  # the environment under another name is not followed
    'os.getenv("Z_URL", "sqlite:///z.db")': (("sqlite:///z.db", "fallback", "Z_URL", "app/db.py:23"),
                                            ("Z_URL", None, False)),
    'os.getenv("Z_URL", default="sqlite:///k.db")': (("sqlite:///k.db", "fallback", "Z_URL", "app/db.py:24"),
                                                    ("Z_URL", None, False)),
    'os.getenv(NAME, "sqlite:///n.db")': (("sqlite:///n.db", "fallback", None, "app/db.py:25"), None),
    'str(os.environ["W_URL"])': (None, ("W_URL", None, False)),
    "os.environ[NAME]": (None, None),
    'f"postgresql://{host}/db"': (None, None),
    'os.getenv("Q_URL") or URL': (None, None),
    'make_url(os.environ["M_URL"])': (None, None),
    "unknown.DATABASE_URL": (None, None),
    # names bound to names are followed six steps deep, no further
    "L5": (("postgresql://const@db/const", "literal", None, "app/config.py:49"), None),
    "L6": (None, None),
    "E6": (None, ("CHAIN_URL", None, False)),
    "E7": (None, None),
    # a settings field is looked for five base classes up, no further
    "up0.DATABASE_URL": (("postgresql://top@db/top", "settings", "DATABASE_URL", "app/config.py:69"),
                         ("DATABASE_URL", "app.config.Up0", False)),
    "below.DATABASE_URL": (None, ("DATABASE_URL", "app.config.Below", False)),
}


def test_url_expressions_read_through_settings_names_and_getters(tmp_path: Path) -> None:
    """UrlResolver.literal and env_read over the ways a URL is written, one engine per expression."""
    lines = "".join(f"e{i} = create_engine({text})\n" for i, text in enumerate(URL_EXPRESSIONS))
    db = SETTINGS_DB.replace("\n\ndef local", "\n" + lines + "\n\ndef local")
    project, resolver, engines = _engines(write_project(tmp_path, {"app/__init__.py": "", "app/config.py": SETTINGS_CONFIG,
                                                                   "app/db.py": db}))

    def read(value, facts, function=None):  # type: ignore[no-untyped-def]
        literal = resolver.literal(value, facts, function)
        env = resolver.env_read(value, facts, function)
        return (literal and (literal.url, literal.how, literal.variable,
                             f"{literal.location.path}:{literal.location.span.line}"),
                env and (env.variable, env.settings_class, env.transformed))

    found = {text: read(engines[f"e{i}"].value.arg(0), engines[f"e{i}"].facts)  # type: ignore[attr-defined]
             for i, text in enumerate(URL_EXPRESSIONS)}
    assert found == URL_EXPRESSIONS
    function = project.python.functions["app.db.local"][0]
    facts = project.python_facts["app/db.py"]
    calls = [c.value.arg(0) for c in facts.calls if c.scope == "app.db.local" and c.name.endswith("create_engine")]
    assert [read(value, facts, function) for value in calls] == [  # locals of the function that builds the engine
        (None, ("L_URL", None, False)), (("sqlite:///f.db", "fallback", "F_URL", "app/db.py:42"), ("F_URL", None, False))]
