"""Is a file production, development or test? (SPEC section 4)"""
from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import pathspec

from prodcheck.model.files import Context

_DEV_WORDS = frozenset({"dev", "develop", "development", "local", "debug", "devcontainer"})
_TEST_DIRS = frozenset({"tests", "test", "testing", "e2e", "__tests__", "it"})
_TEST_WORDS = frozenset({"test", "tests", "ci", "pytest", "e2e", "playwright", "cypress", "selenium"})
_WORD = re.compile(r"[A-Za-z0-9]+")


def _words(component: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(component)]


class ContextRules:
    def __init__(self, production: Sequence[str] = (), development: Sequence[str] = ()) -> None:
        self._production = pathspec.GitIgnoreSpec.from_lines(production) if production else None
        self._development = pathspec.GitIgnoreSpec.from_lines(development) if development else None

    def context(self, relpath: str) -> Context:
        if self._production is not None and self._production.match_file(relpath):
            return Context.PROD
        if self._development is not None and self._development.match_file(relpath):
            return Context.DEV
        return default_context(relpath)


@lru_cache(maxsize=8192)
def _directory_context(directory: str) -> tuple[bool, Context | None]:
    """(inside a test folder, the first dev/test word of its folders): the same for every file in it."""
    parts = directory.split("/") if directory else []
    in_test_folder = any(p in _TEST_DIRS for p in parts)
    for component in parts:
        words = _words(component)
        if any(w in _DEV_WORDS for w in words):
            return in_test_folder, Context.DEV
        if any(w in {"test", "tests"} for w in words):
            return in_test_folder, Context.TEST
    return in_test_folder, None


def default_context(relpath: str) -> Context:
    if relpath.startswith(".github/workflows/"):
        return Context.PROD  # a workflow's jobs carry their own context (test jobs, deploy jobs)
    directory, _, name = relpath.rpartition("/")
    in_test_folder, folder_context = _directory_context(directory)
    if in_test_folder:
        return Context.TEST
    if name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py" or name.startswith("tests."):
        return Context.TEST
    lowered = name.lower()
    if lowered.startswith(("compose.override.", "docker-compose.override.")) or ".override." in lowered:
        return Context.DEV
    if folder_context is not None:
        return folder_context
    words = _words(name)
    if any(w in _DEV_WORDS for w in words):
        return Context.DEV
    if any(w in _TEST_WORDS for w in words) and not name.endswith(".py"):
        return Context.TEST
    return Context.PROD
