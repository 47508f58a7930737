"""Fixes remembered between runs: a fix that needs a parser of its own (libcst for Python) is a pure
function of the file's bytes and of what the rule asks, so a re-check after an edit elsewhere
neither imports libcst nor parses the file again. So is whether a piece of inline Python (`python -c
CODE` in a Dockerfile or a script) fails to parse: `ast` refuses it, then libcst, the last resort, is
imported to refuse it too (a stray `"`); a re-check remembers the refusal (`remembered_failure`).

The engine opens the memo for the rules' run (`remembering`) with the run's cache folder; outside
of it (no cache, tests, `prodcheck rule`) every fix is computed. Entries are keyed by a digest of
the question and of the file's bytes, and only those a run used are kept.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from prodcheck import cache
from prodcheck.model.finding import Fix

T = TypeVar("T")
_FAILED = ("failed",)  # how a remembered failure is stored (a fix is stored as `(fix or None,)`)


def memo_table(folder: Path | None) -> cache.Table:
    return cache.Table(folder, "fixes")


class _Memo:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.table: cache.Table | None = None  # read on the first question: most runs ask none
        self.used: set[str] = set()

    def answer(self, key: str, compute: Callable[[], Fix | None]) -> Fix | None:
        if self.table is None:
            self.table = memo_table(self.folder)
        self.used.add(key)
        known = self.table.get(key)
        if isinstance(known, tuple) and len(known) == 1 and (known[0] is None or isinstance(known[0], Fix)):
            return known[0]
        found = compute()
        self.table.put(key, (found,))
        return found

    def attempt(self, key: str, compute: Callable[[], T], failures: tuple[type[Exception], ...]) -> T | None:
        """`compute()`, or None when it raises one of `failures`, now or in a run that remembered it."""
        if self.table is None:
            self.table = memo_table(self.folder)
        self.used.add(key)
        if self.table.get(key) == _FAILED:
            return None
        try:
            return compute()
        except failures:
            self.table.put(key, _FAILED)
            return None

    def save(self) -> None:
        if self.table is not None:
            self.table.save(self.used)


_memo: _Memo | None = None


@contextmanager
def remembering(folder: Path | None) -> Iterator[None]:
    """Remember fixes in `folder` (None: compute every one) until the block ends."""
    global _memo
    previous, _memo = _memo, (_Memo(folder) if folder is not None else None)
    try:
        yield
        if _memo is not None:
            _memo.save()
    finally:
        _memo = previous


def remembered(question: tuple[object, ...], data: bytes, compute: Callable[[], Fix | None]) -> Fix | None:
    """The fix for `question` about a file holding `data`: as remembered, else computed now."""
    if _memo is None:
        return compute()
    digest = hashlib.blake2b(repr(question).encode("utf-8", "surrogateescape") + b"\0" + data, digest_size=20)
    return _memo.answer(digest.hexdigest(), compute)


def remembered_failure(question: tuple[object, ...], data: bytes, compute: Callable[[], T],
                       failures: tuple[type[Exception], ...]) -> T | None:
    """`compute()`, or None when it raises one of `failures` (which must depend on `question` and `data` alone:
    never a MemoryError or a RecursionError), remembered so that a later run does not try again."""
    if _memo is None:
        try:
            return compute()
        except failures:
            return None
    digest = hashlib.blake2b(repr(question).encode("utf-8", "surrogateescape") + b"\0" + data, digest_size=20)
    return _memo.attempt(digest.hexdigest(), compute, failures)
