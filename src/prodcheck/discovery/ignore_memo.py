"""What each ignore file's patterns answered for each path, remembered across runs.

A re-run walks the same folders under the same `.gitignore` files: asking their patterns again (each file's patterns
joined into one regex, compiled by `re`'s pure-Python parser, and a spec built whenever a path also matches a
negation) was a third of polar's discovery. The answers are a function of the patterns (as `_gitignore` anchors
them) and the path alone, so they are kept in the run's cache folder (`cache.Table` "ignores", under the header of
prodcheck's own code) keyed by a digest of the patterns and of pathspec's version: an edited ignore file is another
key, a path not asked before is asked of the patterns, and only what this run asked is kept. Nothing of the scanned
repository but the ignore files' contents (read by every run) decides an answer; no file's metadata is trusted.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from prodcheck import cache

if TYPE_CHECKING:
    from prodcheck.discovery.walk import Spec


class IgnoreMemo:
    """The answers an earlier run kept (`load`), and those of this run (`save` keeps them)."""

    def __init__(self, table: cache.Table | None = None) -> None:
        self.table = table
        self.kept: dict[str, object] = dict(table.entries) if table is not None else {}
        self.asked: dict[str, Remembered] = {}  # key -> this run's answers for that ignore file

    @classmethod
    def load(cls, folder: Path | None) -> IgnoreMemo | None:
        """The memo of a run with a cache folder, else None (the walk asks the patterns, as before)."""
        return cls(cache.Table(folder, "ignores")) if folder is not None else None

    def spec(self, lines: list[str] | tuple[str, ...]) -> Spec:
        """The spec of an ignore file's `lines` that answers from memory where it can."""
        import pathspec

        key = hashlib.blake2b(repr((pathspec.__version__, tuple(lines))).encode("utf-8", "surrogateescape"),
                              digest_size=16).hexdigest()
        remembered = self.asked.get(key)
        if remembered is None:
            kept = self.kept.get(key)
            remembered = self.asked[key] = Remembered(lines, kept if isinstance(kept, dict) else {})
        return remembered, None

    def save(self) -> None:
        """Keep this run's answers, when they differ from what was kept."""
        table = self.table
        if table is None:
            return
        for key, remembered in self.asked.items():
            if remembered.computed or len(remembered.now) != len(remembered.before):
                table.put(key, remembered.now)
        table.save(set(self.asked))


class Remembered:
    """One ignore file's answers: this run's (`now`), taken from the earlier run's (`before`) or asked of its
    patterns (`lazy_spec`, built on the first path without an answer)."""

    __slots__ = ("_lines", "_spec", "before", "computed", "now")

    def __init__(self, lines: list[str] | tuple[str, ...], before: dict[object, object]) -> None:
        self._lines = lines
        self._spec: Spec | None = None
        self.before = before
        self.now: dict[str, bool] = {}
        self.computed = False

    def match_file(self, file: str) -> bool:
        known = self.now.get(file)
        if known is not None:
            return known
        found = self.before.get(file)
        if type(found) is bool:
            self.now[file] = found
            return found
        from prodcheck.discovery.walk import _matches, lazy_spec

        spec = self._spec
        if spec is None:
            spec = self._spec = lazy_spec(self._lines)
        answer = self.now[file] = _matches(spec, file)
        self.computed = True
        return answer
