"""Is a file production, development or test? (SPEC section 4)"""
from __future__ import annotations

import re
from collections.abc import Sequence

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


def default_context(relpath: str) -> Context:
    if relpath.startswith(".github/workflows/"):
        return Context.PROD  # a workflow's jobs carry their own context (test jobs, deploy jobs)
    parts = relpath.split("/")
    name = parts[-1]
    if any(p in _TEST_DIRS for p in parts[:-1]):
        return Context.TEST
    if name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py" or name.startswith("tests."):
        return Context.TEST
    lowered = name.lower()
    if re.match(r"^(docker-)?compose\.override\.", lowered) or ".override." in lowered:
        return Context.DEV
    for component in parts:
        stem = component
        words = _words(stem)
        if any(w in _DEV_WORDS for w in words):
            return Context.DEV
        if any(w in {"test", "tests"} for w in words) and component != name:
            return Context.TEST
    if any(w in _TEST_WORDS for w in _words(name)) and not name.endswith(".py"):
        return Context.TEST
    return Context.PROD
