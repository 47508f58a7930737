"""Typed access to `templates.toml`: file names that mark samples and templates, not configuration."""
from __future__ import annotations

from functools import cache

from prodcheck.knowledge import load


@cache
def env_file_markers() -> tuple[str, ...]:
    return tuple(load("templates")["env_file_markers"]["markers"])


def is_template_name(name: str) -> bool:
    """`.env.example`, `settings.env.sample`, `.env.default`: a file people copy, not one that is read."""
    lowered = name.lower()
    return any(marker in lowered for marker in env_file_markers())
