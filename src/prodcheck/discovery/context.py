"""Is a file production, development or test? (SPEC section 4)"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from prodcheck.knowledge import load
from prodcheck.model.files import Context
from prodcheck.lazy_pattern import lazy

if TYPE_CHECKING:
    import pathspec

_PATH_WORDS = load("contexts")["path_words"]
_DEV_WORDS = frozenset(_PATH_WORDS["dev"])
_MODULE_IMPLEMENTATION_WORDS = frozenset(_PATH_WORDS["module_implementation_words"])
_SETTINGS_WORDS = frozenset(_PATH_WORDS["settings_words"])
_SAMPLE_WORDS = frozenset(_PATH_WORDS["sample"])
_TEST_DIRS = frozenset(_PATH_WORDS["test_dirs"])
_TEST_FOLDER_WORDS = frozenset(_PATH_WORDS["test_folder_words"])
_TEST_WORDS = frozenset(_PATH_WORDS["test_words"])
_CI_FOLDERS = tuple(f"{folder}/" for folder in _PATH_WORDS["ci_folders"])
_WORD = lazy(r"[A-Za-z0-9]+")


def _words(component: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(component)]


class ContextRules:
    def __init__(self, production: Sequence[str] = (), development: Sequence[str] = ()) -> None:
        self._production = _glob_spec(production) if production else None
        self._development = _glob_spec(development) if development else None

    def context(self, relpath: str) -> Context:
        return self.explain(relpath)[0]

    def pinned(self, relpath: str) -> Context | None:
        """The context a configured `production` / `development` glob gives the file, if any."""
        if self._production is not None and self._production.match_file(relpath):
            return Context.PROD
        if self._development is not None and self._development.match_file(relpath):
            return Context.DEV
        return None

    def explain(self, relpath: str) -> tuple[Context, str]:
        pinned = self.pinned(relpath)
        if pinned is not None:
            return pinned, f"the configured `{'production' if pinned == Context.PROD else 'development'}` globs"
        return explain_name(relpath)


def _glob_spec(lines: Sequence[str]) -> pathspec.GitIgnoreSpec:
    import pathspec  # only for configured globs: most runs have none, and never load it (~15 ms)

    return pathspec.GitIgnoreSpec.from_lines(lines)


@lru_cache(maxsize=8192)
def _directory_context(directory: str) -> tuple[bool, Context | None]:
    """(inside a test folder, the first dev/test word of its folders): the same for every file in it."""
    parts = directory.split("/") if directory else []
    in_test_folder = any(p in _TEST_DIRS for p in parts)
    for component in parts:
        words = _words(component)
        if any(w in _DEV_WORDS or w in _SAMPLE_WORDS for w in words):
            return in_test_folder, Context.DEV
        if any(w in _TEST_FOLDER_WORDS for w in words):
            return in_test_folder, Context.TEST
    return in_test_folder, None


def default_context(relpath: str) -> Context:
    return explain_name(relpath)[0]


def explain_name(relpath: str) -> tuple[Context, str]:
    """The context a file's path gives it, and why (the names half of SPEC section 4)."""
    if relpath.startswith(".github/workflows/"):
        # a workflow's jobs carry their own context (test jobs, deploy jobs)
        return Context.PROD, "a workflow: each job carries its own context"
    if relpath.startswith(_CI_FOLDERS):
        folder = relpath.split("/", 1)[0]
        return Context.TEST, f"under `{folder}/`, the CI service's folder: support for CI jobs, not production"
    directory, _, name = relpath.rpartition("/")
    in_test_folder, folder_context = _directory_context(directory)
    if in_test_folder:
        return Context.TEST, "under a test folder"
    if name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py" or name.startswith("tests."):
        return Context.TEST, f"`{name}` is a test module"
    lowered = name.lower()
    if lowered.startswith(("compose.override.", "docker-compose.override.")) or ".override." in lowered:
        return Context.DEV, f"`{name}` is a compose override file (local development)"
    if folder_context is not None:
        return folder_context, f"a folder name in `{directory}/` says {'development' if folder_context == Context.DEV else 'test'}"
    words = _words(name)
    if any(w in _DEV_WORDS for w in _name_dev_words(relpath, words)):
        return Context.DEV, f"its name `{name}` says development"
    if any(w in _SAMPLE_WORDS for w in words) and not name.endswith(".py"):
        return Context.DEV, f"its name `{name}` says it is a sample"
    if any(w in _TEST_WORDS for w in words) and not name.endswith(".py"):
        return Context.TEST, f"its name `{name}` says test"
    return Context.PROD, "production by default: nothing in its path says development or test"


def _name_dev_words(relpath: str, words: list[str]) -> list[str]:
    """The words of a file name that can say development: a Python module's `local` names a local
    implementation (`storage/local.py`), except in a settings module (`settings/local.py`)."""
    if not relpath.endswith(".py") or not any(w in _MODULE_IMPLEMENTATION_WORDS for w in words):
        return words
    if any(w in _SETTINGS_WORDS for component in relpath.split("/") for w in _words(component)):
        return words
    return [w for w in words if w not in _MODULE_IMPLEMENTATION_WORDS]
