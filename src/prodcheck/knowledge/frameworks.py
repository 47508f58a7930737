"""Typed access to `frameworks.toml`: application and router constructors, routes, dependencies."""
from __future__ import annotations

from functools import cache

from prodcheck.knowledge import load
from prodcheck.knowledge.names import Names, names


@cache
def app_constructors() -> dict[str, str]:
    """Qualified constructor name -> `fastapi`, `starlette` or `router`."""
    return {name: kind for kind, entries in load("frameworks")["apps"].items() for name in entries}


def app_kind(name: str) -> str | None:
    """`fastapi`/`starlette` for an application constructor, `router` for a router's, else None."""
    return app_constructors().get(name)


def is_application(name: str) -> bool:
    """A constructor of an ASGI application itself (not a router)."""
    return app_kind(name) in {"fastapi", "starlette"}


@cache
def route_methods() -> frozenset[str]:
    return frozenset(load("frameworks")["routes"]["methods"])


def dependency_markers() -> Names:
    return names("frameworks", "dependencies", "markers")
