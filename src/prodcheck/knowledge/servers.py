"""Typed access to `servers.toml`: web server programs and their options."""
from __future__ import annotations

from functools import cache

from prodcheck.knowledge import load


@cache
def servers() -> frozenset[str]:
    """Programs that serve a Python web app: uvicorn, gunicorn, hypercorn, granian, fastapi, daphne."""
    return frozenset(load("servers")["servers"])


@cache
def flag_options(server: str) -> frozenset[str]:
    """Options of a server that take no value."""
    return frozenset(load("servers")["servers"].get(server, {}).get("flags", ()))


@cache
def worker_options(server: str) -> tuple[str, ...]:
    """Options of a server that set its number of worker processes."""
    return tuple(load("servers")["servers"].get(server, {}).get("workers", ()))


@cache
def async_worker_markers() -> tuple[str, ...]:
    return tuple(load("servers")["gunicorn"]["async_worker_markers"])


@cache
def wsgi_workers() -> frozenset[str]:
    return frozenset(load("servers")["gunicorn"]["wsgi_workers"])
