"""UrlResolver (project/db_urls.py) on the shapes settings take in real services: a getter function,
a base settings class, field aliases, the legacy `Config` class, locals, `str()`/`make_url()` wrappers,
and the configuration that sets a variable (compose `env_file:` forms, Kubernetes `env`/`envFrom`)."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import write_project
from prodcheck import engine
from prodcheck.project import Project
from prodcheck.project.db_urls import UrlResolver, UrlSource, mask_url, scheme_of
from prodcheck.settings import Settings

CONFIG = """
    import os
    from functools import lru_cache

    from pydantic import Field, computed_field
    from pydantic_settings import BaseSettings


    class Base(BaseSettings):
        DATABASE_URL: str = "postgresql://base@db/base"


    class AppSettings(Base):
        class Config:
            env_prefix = "SVC_"
            env_file = ".env.prod"

        replica_url: str = Field("postgresql://replica@db/app", validation_alias="REPLICA_DSN")
        archive_url: str = Field(default="postgresql://archive@db/app", env="ARCHIVE_DSN")
        no_default: str = Field(alias="plain_dsn")


    class Computed(BaseSettings):
        model_config = {"env_file": [".env", ".env.local"]}
        DB_URL: str = "sqlite:///./computed.db"

        @computed_field
        def async_url(self) -> str:
            return self.DB_URL


    @lru_cache
    def get_settings():
        return AppSettings()


    def config() -> Computed:
        return make()


    def make():
        return Computed()


    computed = Computed()
"""
DB = """
    import os

    import sqlalchemy
    from sqlalchemy import create_engine

    from app.config import computed, config, get_settings


    def build():
        url = os.environ.get("LOCAL_URL", "postgresql://local@db/app")
        return create_engine(url)


    def wrapped():
        return create_engine(str(os.environ["WRAPPED_URL"]))


    inherited = create_engine(get_settings().DATABASE_URL)
    aliased = create_engine(get_settings().replica_url)
    env_kw = create_engine(get_settings().archive_url)
    bare = create_engine(get_settings().no_default)
    unknown = create_engine(get_settings().missing_url)
    annotated = create_engine(config().DB_URL)
    made = create_engine(sqlalchemy.make_url("postgresql://made@db/app"))
    stringified = create_engine(str("postgresql://str@db/app"))
    computed_engine = create_engine(computed.DB_URL)
    other_call = create_engine(os.path.join("a", "b"))
    subscript = create_engine(os.environ["PRIMARY_URL"])
    getter_without_name = create_engine(os.getenv(os.sep))
"""


def resolver_of(root: Path, files: dict[str, str]) -> tuple[Project, UrlResolver]:
    write_project(root, files)
    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(root, settings)
    project = Project(root, discovered, engine.parse_python(root, discovered, settings), settings)
    return project, UrlResolver(project)


def engine_calls(project: Project, path: str) -> dict[str, tuple[object, object, object]]:
    """variable or function name -> (URL argument, facts, function) of each `create_engine` call."""
    facts = project.python_facts[path]
    out: dict[str, tuple[object, object, object]] = {}
    for assign in facts.assigns:
        if assign.value.kind == "call" and assign.value.last == "create_engine":
            out[assign.target.rsplit(".", 1)[-1]] = (assign.value.arg(0), facts, None)
    for function in facts.functions:
        for returned in function.returns:
            if returned.kind == "call" and returned.last == "create_engine":
                out[function.qualname.rsplit(".", 1)[-1]] = (returned.arg(0), facts, function)
    return out


def described(source: UrlSource | None) -> tuple[str, str, str | None, str, int] | None:
    if source is None:
        return None
    return source.url, source.how, source.variable, source.location.path, source.location.span.line


def test_literal_values_through_getters_bases_aliases_and_locals(tmp_path: Path) -> None:
    project, resolver = resolver_of(tmp_path, {"app/__init__.py": "", "app/config.py": CONFIG, "app/db.py": DB})
    calls = engine_calls(project, "app/db.py")
    found = {name: described(resolver.literal(*call)) for name, call in calls.items()}  # type: ignore[arg-type]
    assert found == {
        "inherited": ("postgresql://base@db/base", "settings", "SVC_DATABASE_URL", "app/config.py", 9),
        "aliased": ("postgresql://replica@db/app", "settings", "REPLICA_DSN", "app/config.py", 17),
        "env_kw": ("postgresql://archive@db/app", "settings", "ARCHIVE_DSN", "app/config.py", 18),
        "bare": None, "unknown": None,
        "annotated": ("sqlite:///./computed.db", "settings", "DB_URL", "app/config.py", 24),
        "made": ("postgresql://made@db/app", "literal", None, "app/db.py", 24),
        "stringified": ("postgresql://str@db/app", "literal", None, "app/db.py", 25),
        "computed_engine": ("sqlite:///./computed.db", "settings", "DB_URL", "app/config.py", 24),
        "other_call": None, "subscript": None, "getter_without_name": None,
        "build": ("postgresql://local@db/app", "fallback", "LOCAL_URL", "app/db.py", 10),
        "wrapped": None,
    }


def test_environment_reads_through_getters_bases_aliases_and_locals(tmp_path: Path) -> None:
    project, resolver = resolver_of(tmp_path, {"app/__init__.py": "", "app/config.py": CONFIG, "app/db.py": DB})
    calls = engine_calls(project, "app/db.py")
    reads = {}
    for name, call in calls.items():
        read = resolver.env_read(*call)  # type: ignore[arg-type]
        reads[name] = (read.variable, read.settings_class, read.transformed) if read is not None else None
    assert reads == {
        "inherited": ("SVC_DATABASE_URL", "app.config.AppSettings", False),
        "aliased": ("REPLICA_DSN", "app.config.AppSettings", False),
        "env_kw": ("ARCHIVE_DSN", "app.config.AppSettings", False),
        "bare": ("PLAIN_DSN", "app.config.AppSettings", False),
        "unknown": ("SVC_MISSING_URL", "app.config.AppSettings", False),
        "annotated": ("DB_URL", "app.config.Computed", True),  # a computed field may rewrite it
        "computed_engine": ("DB_URL", "app.config.Computed", True),
        "made": None, "stringified": None, "other_call": None, "getter_without_name": None,
        "subscript": ("PRIMARY_URL", None, False),
        "build": ("LOCAL_URL", None, False),
        "wrapped": ("WRAPPED_URL", None, False),
    }
    assert resolver.settings_env_files("app.config.AppSettings") == [".env.prod"]
    assert resolver.settings_env_files("app.config.Computed") == [".env", ".env.local"]
    assert resolver.settings_env_files("app.config.Base") == []


APP = {"app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"}


def test_config_values_and_unset_variables_of_served_processes(tmp_path: Path) -> None:
    files = {**APP, "docker-compose.yml": """
        services:
          api:
            build: .
            command: uvicorn app.main:app
            env_file:
              - path: deploy/api.env
              - deploy/extra.env
            environment:
              - DATABASE_URL=postgresql://compose@db/app
          admin:
            build: .
            command: uvicorn app.main:app --port 9000
            env_file: deploy/api.env
          db:
            image: postgres:16
    """, "deploy/api.env": "# database\ndatabase_url=postgresql://file@db/app   \nEMPTY=\n",
        "deploy/extra.env": "CACHE_URL=redis://cache\n",
        "k8s/api.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
        spec:
          template:
            spec:
              containers:
                - name: api
                  image: registry.example/api:1
                  command: ["uvicorn", "app.main:app"]
                  env:
                    - name: DATABASE_URL
                      value: postgresql://k8s@db/app
                    - name: CACHE_URL
                      valueFrom:
                        secretKeyRef: {name: cache, key: url}
                    - name: LOG_LEVEL
                      value: info
    """}
    _, resolver = resolver_of(tmp_path, files)
    values = sorted((v.location.path, v.location.span.line, v.url, v.variable, v.how) for v in
                    resolver.config_values("database_url"))
    assert values == [  # each a value the configuration sets ("config"), not one the code falls back to
        ("deploy/api.env", 2, "postgresql://file@db/app", "database_url", "config"),
        ("docker-compose.yml", 9, "postgresql://compose@db/app", "DATABASE_URL", "config"),
        ("k8s/api.yaml", 14, "postgresql://k8s@db/app", "DATABASE_URL", "config"),
    ]
    env_file_value = next(v for v in resolver.config_values("DATABASE_URL") if v.location.path == "deploy/api.env")
    assert (env_file_value.location.span.column, env_file_value.location.span.end_column) == (14, 38)  # the value
    assert resolver.config_values("EMPTY") == []
    assert resolver.config_values("DATABASE_URL", lambda ref: ref == "other:app") == []
    # CACHE_URL: the k8s container reads it from a Secret; DATABASE_URL set everywhere; SENTRY_DSN nowhere
    assert resolver.unset_in_production("CACHE_URL") is None
    assert resolver.unset_in_production("log_level") is None  # only the container's `env:` sets it (any case)
    assert resolver.unset_in_production("DATABASE_URL") is None
    assert resolver.unset_in_production("SENTRY_DSN") == ["docker-compose.yml:api", "docker-compose.yml:admin",
                                                          "Deployment/api:api"]
    assert resolver.unset_in_production("SENTRY_DSN", lambda ref: ref != "app.main:app") is None
    assert [v.url for v in resolver.env_file_values("deploy/extra.env", "cache_url")] == ["redis://cache"]
    assert resolver.env_file_values("deploy/missing.env", "CACHE_URL") == []


def test_an_env_from_or_a_procfile_may_set_anything(tmp_path: Path) -> None:
    container = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
        spec:
          template:
            spec:
              containers:
                - name: api
                  image: registry.example/api:1
                  command: ["uvicorn", "app.main:app"]
                  envFrom:
                    - secretRef: {name: api}
    """
    _, resolver = resolver_of(tmp_path / "k8s", {**APP, "k8s/api.yaml": container})
    assert resolver.unset_in_production("DATABASE_URL") is None
    _, resolver = resolver_of(tmp_path / "procfile", {**APP, "Procfile": "web: uvicorn app.main:app\n"})
    assert resolver.unset_in_production("DATABASE_URL") is None


def test_url_source_scheme_masking_and_password() -> None:
    location = None
    source = UrlSource("PostgreSQL+psycopg://app:s3cr:et@db:5432/app", location, "literal")  # type: ignore[arg-type]
    assert source.scheme == "postgresql+psycopg"
    assert source.masked == "PostgreSQL+psycopg://app:****@db:5432/app"
    assert source.password == "s3cr:et"
    bare = UrlSource("sqlite:///./x.db", location, "literal")  # type: ignore[arg-type]
    assert (bare.scheme, bare.masked, bare.password) == ("sqlite", "sqlite:///./x.db", None)
    assert UrlSource("not a url", location, "literal").scheme == ""  # type: ignore[arg-type]
    assert scheme_of("  redis://cache") == "redis" and scheme_of("://x") == "" and scheme_of("1x://y") == ""


_USER = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-.", max_size=12)
_PASSWORD = st.text(alphabet=st.characters(blacklist_characters="@/ \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0",
                                           blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")), min_size=1,
                    max_size=20)


@given(user=_USER, password=_PASSWORD, host=st.sampled_from(["db", "db:5432", "10.0.0.1"]))
def test_masking_hides_exactly_the_password(user: str, password: str, host: str) -> None:
    url = f"postgresql://{user}:{password}@{host}/app"
    masked, secrets = mask_url(url)
    assert masked == f"postgresql://{user}:****@{host}/app"
    assert secrets == (password,)
    assert UrlSource(url, None, "literal").password == password  # type: ignore[arg-type]
    assert UrlSource(url, None, "literal").masked == masked  # type: ignore[arg-type]


@given(st.text(max_size=40))
def test_masking_never_changes_a_url_without_a_password(text: str) -> None:
    masked, secrets = mask_url(text)
    assert (masked == text) == (secrets == ())


SERVED = "services:\n  api:\n    image: shop/api:1\n    command: uvicorn app.main:app\n"
SERVED_K8S = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n"
              "      containers:\n        - name: api\n          image: shop/api:1\n"
              "          command: [uvicorn, app.main:app]\n")


@pytest.mark.parametrize(("case", "files", "unset", "values"), [
    ("compose-unset", {"docker-compose.yml": SERVED},
     ["docker-compose.yml:api"], []),
    ("compose-sets-lowercase", {"docker-compose.yml": SERVED + "    environment:\n      database_url: postgresql://db/app\n"},
     None, [("postgresql://db/app", "docker-compose.yml", 6, "database_url")]),
    ("compose-env-file-missing", {"docker-compose.yml": SERVED + "    env_file: deploy/api.env\n"},
     None, []),
    ("compose-env-file-sets", {"docker-compose.yml": SERVED + "    env_file: [deploy/api.env]\n", "deploy/api.env": "DATABASE_URL=postgresql://db/app\n"},
     None, [("postgresql://db/app", "deploy/api.env", 1, "DATABASE_URL")]),
    ("compose-env-file-other", {"docker-compose.yml": SERVED + "    env_file:\n      - path: deploy/api.env\n", "deploy/api.env": "OTHER=1\n"},
     ["docker-compose.yml:api"], []),
    ("k8s-env-from", {"k8s/api.yaml": SERVED_K8S + "          envFrom:\n            - secretRef:\n                name: api\n"},
     None, []),
    ("k8s-env-sets", {"k8s/api.yaml": SERVED_K8S + "          env:\n            - name: DATABASE_URL\n              valueFrom:\n                secretKeyRef: {name: db, key: url}\n"},
     None, []),
    ("k8s-env-other", {"k8s/api.yaml": SERVED_K8S + "          env:\n            - name: LOG_LEVEL\n              value: info\n"},
     ["Deployment/api:api"], []),
    ("procfile", {"Procfile": "web: uvicorn app.main:app\n"},
     None, []),
    ("no-server", {"docker-compose.yml": "services:\n  worker:\n    image: shop/api:1\n    command: celery -A app.tasks worker\n"},
     None, []),
    ("dev-compose", {"docker-compose.dev.yml": SERVED},
     None, []),
    ("compose-builds-image", {"docker-compose.yml": "services:\n  api:\n    build: .\n", "Dockerfile": 'FROM python:3.12\nCMD ["uvicorn", "app.main:app"]\n'},
     ["docker-compose.yml:api"], []),
    ("bare-image", {"Dockerfile": 'FROM python:3.12\nCMD ["uvicorn", "app.main:app"]\n'},
     None, []),
])
def test_which_serving_processes_leave_a_variable_unset(tmp_path: Path, case: str, files: dict[str, str],
                                                        unset: list[str] | None, values: list[tuple]) -> None:
    """unset_in_production: a compose service or Kubernetes container that serves the app and sets the
    variable nowhere (not in its environment, any case; not through an env_file that exists and sets it;
    not by envFrom or an env entry) is named; any process that may set it where we cannot see (a missing
    env_file, a Procfile, a bare image) answers None; development files and processes that serve nothing
    do not count. config_values: the values production gives the variable, and where."""
    write_project(tmp_path, {"app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
                             **files})
    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(tmp_path, settings)
    resolver = UrlResolver(Project(tmp_path, discovered, engine.parse_python(tmp_path, discovered, settings), settings))
    assert resolver.unset_in_production("DATABASE_URL") == unset
    assert [(v.url, v.location.path, v.location.span.line, v.variable)
            for v in resolver.config_values("DATABASE_URL")] == values


def test_how_far_aliases_of_a_url_are_followed(tmp_path: Path) -> None:
    """`URL = os.environ["PRIMARY_URL"]` (or a literal) handed on through module-level aliases, or through a
    function's locals: five aliases are followed, six are not (a bound against pathological chains); names
    that are each other's value end."""
    def chain(aliases: int, end: str, local: bool) -> str:
        names = [f"u{n}" for n in range(aliases + 1)]
        lines = [f"{names[-1]} = {end}", *(f"{names[n]} = {names[n + 1]}" for n in reversed(range(aliases)))]
        text = "import os\n\nfrom sqlalchemy import create_engine\n\n"
        if local:
            return text + "\ndef build():\n" + "".join(f"    {line}\n" for line in lines) + "    return create_engine(u0)\n"
        return text + "".join(f"{line}\n" for line in lines) + "engine = create_engine(u0)\n"

    env, literal = 'os.environ["PRIMARY_URL"]', '"postgresql://app@db/app"'
    cases = {f"{where}_{kind}_{count}": chain(count, end, where == "local")
             for where in ("module", "local") for kind, end in (("env", env), ("literal", literal)) for count in (5, 6)}
    loops = {"module_loop": "from sqlalchemy import create_engine\n\na = b\nb = a\nengine = create_engine(a)\n",
             "local_loop": "from sqlalchemy import create_engine\n\n\ndef build(b):\n    a = b\n    b = a\n"
                           "    return create_engine(a)\n"}
    project, resolver = resolver_of(tmp_path, {"app/__init__.py": "", **{f"app/{name}.py": text
                                                                         for name, text in {**cases, **loops}.items()}})
    reads, literals = {}, {}
    for name in [*cases, *loops]:
        [call] = engine_calls(project, f"app/{name}.py").values()
        read = resolver.env_read(*call)  # type: ignore[arg-type]
        reads[name] = read.variable if read is not None else None
        found = resolver.literal(*call)  # type: ignore[arg-type]
        literals[name] = (found.url, found.location.span.line) if found is not None else None
    assert {name: read for name, read in reads.items() if read} == {
        "module_env_5": "PRIMARY_URL", "local_env_5": "PRIMARY_URL"}
    assert {name: found for name, found in literals.items() if found} == {
        "module_literal_5": ("postgresql://app@db/app", 5), "local_literal_5": ("postgresql://app@db/app", 7)}
