"""What prodcheck knows about the outside world, as data a reviewer can read and extend.

Each `<topic>.toml` beside this module holds one topic (blocking APIs, migration tools, secret
names, ...), every entry with a comment that cites where the fact comes from. Rules and the model
ask `load(topic)` (or a typed accessor built on it, such as `names.names(topic, ...)`) and never
keep their own copy of a fact.
"""
from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from prodcheck.lazy_pattern import lazy

if TYPE_CHECKING:
    from prodcheck.cache import Table

# The topics are files beside this module, read as files (as cache.code_hash reads them): `importlib.resources`, which
# also reads a package inside a zip archive, imports tempfile, shutil, zipfile, bz2 and lzma to do so (8 ms of a
# re-run that reuses its findings, 0.28 s on polar).
_FOLDER = os.path.dirname(os.path.abspath(__file__))
T = TypeVar("T")


@cache
def load(topic: str) -> dict[str, Any]:
    """The parsed `<topic>.toml` of this package (read once per process; from the run's cache when kept there)."""
    kept = _kept_table()
    found = kept.get(topic) if kept is not None else None
    if isinstance(found, dict):
        return found
    with open(os.path.join(_FOLDER, f"{topic}.toml"), encoding="utf-8") as file:
        parsed = tomllib.loads(file.read())
    if kept is not None:
        kept.put(topic, parsed)
    return parsed


# The topics as parsed by an earlier run, kept in the run's cache folder (`keep_parsed`): parsing every topic is ~30 ms
# of a run that checks the rules again (blocking.toml alone ~17 ms), its pickle ~1 ms. Every cache file's header holds
# a hash of prodcheck's source, these TOML files included, so an edited topic is never read from it. The table is read
# when a topic is first loaded after `keep_parsed`: a run that reuses its findings loads none.
_kept_folder: Path | None = None
_kept: Table | None = None


def keep_parsed(folder: Path | None) -> None:
    """Read topics from the `knowledge` table of a run's cache folder, and keep the ones parsed anew there
    (`save_parsed`); None: parse them (no cache). Topics already loaded in this process stay as they are."""
    global _kept_folder, _kept
    _kept_folder, _kept = folder, None


def _kept_table() -> Table | None:
    global _kept
    if _kept is None and _kept_folder is not None:
        from prodcheck.cache import Table

        _kept = Table(_kept_folder, "knowledge")
    return _kept


def derived(name: str, make: Callable[[], T], valid: Callable[[object], bool]) -> T:
    """A value made from the topics alone (the prefilter's needles), kept beside them as parsed topics are: made by
    `make` when the table holds no `valid` one."""
    kept = _kept_table()
    key = f"derived:{name}"
    found = kept.get(key) if kept is not None else None
    if found is not None and valid(found):
        return found  # type: ignore[return-value]  # `valid` says it is a T
    made = make()
    if kept is not None:
        kept.put(key, made)
    return made


def save_parsed() -> None:
    """Write the topics parsed since `keep_parsed`, when there are any."""
    if _kept is not None and _kept.dirty:
        _kept.save()


@cache
def listed(topic: str, *path: str) -> frozenset[str]:
    """The strings a topic lists at `path` (`listed("blocking", "offload", "functions")`), as a set, read when first
    asked. Modules that read a table only while they analyse Python ask for it there, not at import: blocking.toml
    (200 kB of TOML, ~20 ms to parse) is then never read by a scan of infrastructure files alone."""
    node: Any = load(topic)
    for key in path:
        node = node[key]
    return frozenset(node)


def topics() -> list[str]:
    """Every topic this package holds, by name."""
    return sorted(name[: -len(".toml")] for name in os.listdir(_FOLDER) if name.endswith(".toml"))


# A dotted Python name as knowledge entries write them: `sqlalchemy.create_engine`, `pkg.*`,
# `*.metadata.create_all`, `environ.Env().str`.
_QUALIFIED = lazy(r"^(?:\*|[A-Za-z_]\w*(?:\(\))?)(?:\.(?:[A-Za-z_]\w*|\*)(?:\(\))?)+$")
# File names (`manage.py`, `alembic.ini`) look dotted too; they are not Python names.
_FILE_SUFFIX = lazy(r"\.(?:py|pyi|ini|cfg|conf|toml|ya?ml|json|txt|sh|lock|env)$")


def _qualified_names(node: object, found: list[str]) -> None:
    """Add the qualified names under `node` to `found`, depth first (a list, not nested generators: every
    name would pass through each level's `yield from`, ~12,000 resumptions a run that derives the needles)."""
    if isinstance(node, dict):
        if node.get("prefilter") is False:
            return  # the table says its names alone are no reason to read a file
        for value in node.values():
            _qualified_names(value, found)
    elif isinstance(node, list):
        for value in node:
            if isinstance(value, str):
                if "." in value and _QUALIFIED.match(value) and not _FILE_SUFFIX.search(value):
                    found.append(value)
            else:
                _qualified_names(value, found)
    elif isinstance(node, str) and "." in node and _QUALIFIED.match(node) and not _FILE_SUFFIX.search(node):
        found.append(node)


def qualified_names() -> Iterator[tuple[str, str]]:
    """(topic, name) for every dotted Python name in every topic, except tables marked
    `prefilter = false` (names that only qualify what other facts say, like environment getters)."""
    for topic in topics():
        found: list[str] = []
        _qualified_names(load(topic), found)
        for name in found:
            yield topic, name


def _prefilter(key: str) -> Iterator[tuple[str, Any]]:
    """(topic, what its `[prefilter]` table holds at `key`) for each topic that holds something there."""
    for topic in topics():
        found = load(topic).get("prefilter", {}).get(key)
        if found:
            yield topic, found


def prefilter_words() -> Iterator[tuple[str, str]]:
    """(topic, word) for the words a topic's `[prefilter] words` adds to the parse prefilter: words
    a file must contain for a rule to have anything to read in it that no qualified name gives."""
    for topic, words in _prefilter("words"):
        for word in words:
            yield topic, word


def prefilter_unless() -> Iterator[tuple[str, tuple[str, ...]]]:
    """(word, texts) for the words of `[prefilter] words` that are no reason to read a file holding one
    of those texts (`[prefilter.unless]`): what the file imports explains the word."""
    for _, table in _prefilter("unless"):
        for word, texts in table.items():
            yield word, tuple(texts)


def prefilter_with() -> Iterator[tuple[str, tuple[str, ...]]]:
    """(word, texts) for the words of `[prefilter] words` that are a reason to read a file only when it also holds
    one of those texts, in any case (`[prefilter.with]`): what a rule reads beside the word."""
    for _, table in _prefilter("with"):
        for word, texts in table.items():
            yield word, tuple(texts)


def prefilter_not_in_decorators() -> Iterator[str]:
    """The words of `[prefilter] words` that are no reason to read a file where each is written in a decorator
    (`[prefilter] not_in_decorators`: `@override_settings(...)`)."""
    for _, words in _prefilter("not_in_decorators"):
        yield from words


def prefilter_valued() -> Iterator[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """(word, texts, calls) for the words of `[prefilter] words` that count only where a string literal can be what
    they name (`[prefilter] valued_words`: a secret's name beside its value), a literal wrapped in one of the `calls`
    of their topic's `[prefilter] valued_calls` too, and anywhere in a file that holds one of the texts of its
    `[prefilter] valued_anywhere`."""
    for topic, words in _prefilter("valued_words"):
        table = load(topic)["prefilter"]
        anywhere, calls = tuple(table.get("valued_anywhere", ())), tuple(table.get("valued_calls", ()))
        for word in words:
            yield word, anywhere, calls


def prefilter_whole_words() -> Iterator[str]:
    """The words of `[prefilter] words` that count only as a whole name, no letter, digit or `_` on either side
    (`[prefilter] whole_words`: `on_event`, not `transaction_event`)."""
    for _, words in _prefilter("whole_words"):
        yield from words


def needle(name: str) -> str:
    """A word any file that refers to `name` must contain: its top-level package, which the import
    statement names (`sqlalchemy` for `sqlalchemy.orm.Session`). A package name shorter than five
    characters is a substring of too many files (`os`, `time`), so then the longest written part is
    used (`system` for `os.system`); so too under a leading `*.`. A four-letter package outside the
    standard library (`paho`, `hvac`, `zeep`, `jira`) is no such word, and its names' parts are: `client`
    (`paho.mqtt.client.Client`), `multiple`, `Document` are words of a fifth of a project's files."""
    parts = [part.removesuffix("()") for part in name.split(".") if part not in {"*", ""}]
    head = parts[0]
    if not name.startswith("*.") and (len(head) >= 5 or (len(head) == 4 and head not in sys.stdlib_module_names)):
        return head
    longest = max(parts, key=len)
    if len(longest) < 5 and not name.startswith("*.") and "*" not in name and "()" not in name:
        # `os.wait`: `wait` is in every `await`; the dotted name is what `import os` code writes
        # (`from os import wait` is then missed: the one place the prefilter trades recall for speed).
        return name
    return longest
