"""Typed access to `databases.toml`: engine and pool factories with their defaults, session classes."""
from __future__ import annotations

from functools import cache

from prodcheck.knowledge import load
from prodcheck.knowledge.names import Names, names
from prodcheck.model.record import record


@record
class EngineFactory:
    name: str
    mode: str  # "sync" | "async"
    library: str  # "sqlalchemy" | "asyncpg" | "databases"
    from_config: bool = False  # options come from a configuration dict, not keyword arguments
    size_keyword: str | None = None
    overflow_keyword: str | None = None
    pool_size: int | None = None
    max_overflow: int | None = None

    @property
    def pool_defaults(self) -> tuple[int, int] | None:
        """(size, overflow) per process when the call sets neither, if the pool size is known."""
        if self.pool_size is None:
            return None
        return self.pool_size, self.max_overflow or 0


@cache
def engine_factories() -> dict[str, EngineFactory]:
    return {entry["name"]: EngineFactory(**entry) for entry in load("databases")["engines"]}


def engine_factory(name: str) -> EngineFactory | None:
    return engine_factories().get(name)


def sqlalchemy_engine(name: str, *, keyword_options: bool = True) -> EngineFactory | None:
    """A SQLAlchemy engine factory; with `keyword_options`, only those configured by keywords
    (`create_engine(url, pool_pre_ping=True)`, not `engine_from_config(settings)`)."""
    factory = engine_factories().get(name)
    if factory is None or factory.library != "sqlalchemy" or (keyword_options and factory.from_config):
        return None
    return factory


def session_classes(mode: str) -> Names:
    """ORM session classes of a mode, `sync` or `async`."""
    return names("databases", "sessions", mode)


def sync_session_objects() -> Names:
    """Objects that are a sync session when named, not called (fastapi-sqlalchemy's `db.session`)."""
    return names("databases", "sessions", "sync_objects")


def sync_session_factories() -> Names:
    """`sessionmaker` as SQLAlchemy and SQLModel export it (its session class is its `class_=`)."""
    return names("databases", "session_factories", "sync")


@cache
def _async_session_factory() -> tuple[str, tuple[str, ...]]:
    entry = load("databases")["session_factories"]
    return str(entry["async_name"]), tuple(entry["async_libraries"])


def async_session_factory_name() -> str:
    """What every name `is_async_session_factory` accepts ends with (`async_sessionmaker`)."""
    return _async_session_factory()[0]


def is_async_session_factory(name: str) -> bool:
    """`async_sessionmaker` of SQLAlchemy or SQLModel, from whichever module it is imported (asked of every
    distinct call name of a project: the table's words are read once)."""
    async_name, libraries = _async_session_factory()
    return name.endswith(async_name) and name.startswith(libraries)


@cache
def managed_plan_limits() -> dict[str, dict[str, int]]:
    """platform -> managed PostgreSQL plan -> its max_connections (databases.toml [managed_plans])."""
    return {platform: {plan: int(limit) for plan, limit in plans.items()}
            for platform, plans in load("databases")["managed_plans"].items()}


@cache
def connectionless_schemes() -> frozenset[str]:
    """SQLAlchemy URL schemes with no server connection for a pool to lose (databases.toml)."""
    return frozenset(load("databases")["connectionless_schemes"]["schemes"])


@cache
def connectionless_keywords() -> frozenset[str]:
    """`create_engine` keywords only those dialects take (databases.toml)."""
    return frozenset(load("databases")["connectionless_schemes"]["keywords"])
