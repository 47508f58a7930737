"""Memoise a function of the project on the project itself, so the cache dies with it."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from prodcheck.project import Project

T = TypeVar("T")


def per_project(function: Callable[[Project], T]) -> Callable[[Project], T]:
    key = f"{function.__module__}.{function.__qualname__}"

    @wraps(function)
    def wrapper(project: Project) -> T:
        cache: dict[str, object] = project.__dict__.setdefault("_memo", {})
        if key not in cache:
            cache[key] = function(project)
        return cache[key]  # type: ignore[return-value]  # the cache entry under key holds function's result

    return wrapper
