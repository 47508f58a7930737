"""Reporters are leaves: they see a RunResult and write text, nothing else."""
from __future__ import annotations

import importlib
from typing import TextIO
from collections.abc import Callable

FORMATS = ("text", "concise", "json", "sarif", "github", "gitlab", "junit")


def reporter(name: str) -> Callable[..., None]:
    module = importlib.import_module(f"prodcheck.report.{name}_format")
    return module.render


__all__ = ["FORMATS", "TextIO", "reporter"]
