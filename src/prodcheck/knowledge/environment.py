"""Typed access to `environment.toml`: how code reads configuration from the environment."""
from __future__ import annotations

from prodcheck.knowledge.names import Names, Resolver, names


def env_getters() -> Names:
    """Calls that read one environment variable: name first, optional default second."""
    return names("environment", "getters", "names")


def is_env_getter(name: str, constructor: Resolver | None = None) -> bool:
    """Whether a resolved call name reads one environment variable (`os.getenv`, `config`, ...)."""
    return env_getters().match(name, constructor) is not None
