"""The prefilter: which Python files are worth parsing. A file that holds no needle (a word the knowledge derives:
`python_needles`) where it counts cannot hold anything a rule looks at, and is only syntax-checked (python_pass.py).

Where a needle counts is knowledge too: a part of a dotted name only as a name of its own (`whole_word_needles`:
`together`, not `unique_together`), and some words only beside or away from certain texts (`conditional_needles`:
`://` beside a database's scheme, `settings(` outside a decorator, `migrat` outside a Django migration, a secret's
name only beside a string literal: `needle_valued`). No needle counts in a comment (`in_comment`): the parser drops
it, and no rule reads one."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from prodcheck.prefilter_comments import Comments, without_comments
from prodcheck.prefilter_needles import (
    async_needles, conditional_needles, needle_not_in_decorators, needle_unless, needle_valued, needle_with,
    python_needles, secret_judges, whole_word_needles,
)
from prodcheck.prefilter_values import DOTTED_BYTES, IDENTIFIER_BYTES, TRIES, valued_at
from prodcheck.trie_pattern import trie_pattern
from prodcheck.lazy_pattern import lazy

# The needles are derived from the knowledge (prefilter_needles.py): no word list lives here.
__all__ = ["async_needles", "conditional_needles", "needle_not_in_decorators", "needle_unless", "needle_valued",
           "needle_with", "python_needles", "whole_word_needles"]


# The needles in the order they are tried: the one that last matched moves to the front. Files of one
# project share their imports (`django`, `sqlalchemy`), so a file that passes usually passes on the
# first try; the answer is the same in any order. This halves the prefilter on the real corpus.
_needle_order: list[bytes] = []
# Needles tried on the bytes themselves before the file's words are listed (`_word_needles`): a file that passes
# usually passes on one of the first (5: on the bench corpus 0.57 s in all, 0.62 s with 20, 0.88 s with none).
_FIRST_TRIED = 5
# Every byte but an identifier's (ASCII letters, digits, `_`) as a space: `translate` then `split` lists the runs.
_RUNS = bytes(byte if byte in IDENTIFIER_BYTES else 32 for byte in range(256))


_PARTS = lazy(rb"[A-Za-z0-9_]+")


def _part_of_runs(needle: bytes) -> bytes | None:
    """What a file's runs (`_word_needles`: each between two NUL bytes) hold wherever the file holds `needle`, a needle
    with a byte other than an identifier's (`session.query(`, `CREATE TABLE`) or one that does not count in some files
    (`conditional_needles`: `migrat` is its own part, anywhere in a run): one of its names, as a whole run
    (`\0query\0`: a byte other than an identifier's on both sides in the needle), else as the start of one
    (`\0TABLE`: that byte before it; a search of a pattern starting with NUL skips to the next NUL), else as the end
    of one; the longest such. None when the needle has no name."""
    best: tuple[tuple[bool, bool, int], bytes] | None = None
    for part in _PARTS.finditer(needle):
        start, end = part.span()
        after, before = start > 0, end < len(needle)
        key = (after and before, after, end - start)
        if best is None or key > best[0]:
            best = key, (b"\0" if after else b"") + part.group() + (b"\0" if before else b"")
    return None if best is None else best[1]


class _CleanRuns:
    """Runs (`_word_needles`) that hold no identifier needle and match none of the parts: the files of a project share
    most of their words (on the bench corpus, 9.1 MB of runs joined over its files, 2.2 MB of them distinct), so a
    file's runs already seen are searched no more. Bounded (hostile input): past the limits it starts again."""

    __slots__ = ("runs", "size")
    MAX_RUNS = 150_000
    MAX_BYTES = 4 << 20

    def __init__(self) -> None:
        self.runs: set[bytes] = set()
        self.size = 0  # the runs' bytes, each with one separator

    def add(self, runs: set[bytes], size: int) -> None:
        if len(self.runs) + len(runs) > self.MAX_RUNS or self.size + size > self.MAX_BYTES:
            self.forget()
        self.runs |= runs
        self.size += size

    def forget(self) -> None:
        self.runs = set()
        self.size = 0


def forget_runs() -> None:
    """Let go of the runs learnt clean (`_CleanRuns`, a few MB on a large scan) once a run's files are filtered (the
    needles are not derived for it: a run that asked the prefilter nothing loads no knowledge for it)."""
    if _needle_patterns.cache_info().currsize:
        _needle_patterns().clean.forget()


class _Patterns(NamedTuple):
    """The needles as searches (`_needle_patterns`)."""

    words: re.Pattern[bytes]  # the identifier needles, as one pattern over a file's runs
    whole: frozenset[bytes]  # the whole-word needles: a file's runs hold one of them or not
    others: re.Pattern[bytes]  # every other needle, as one pattern over the bytes
    # a part of each of those and of each needle of `unless` that has one, over the runs (`_part_of_runs`; None: one
    # of `others` has none)
    parts: re.Pattern[bytes] | None
    unless: tuple[bytes, ...]  # the needles that do not count in some files, tried one by one (`conditional_needles`)
    unparted: frozenset[bytes]  # those of them with no part (`://`): tried in every file
    held: dict[bytes, tuple[bytes, ...]]  # what `parts` matches -> the needles whose part it starts with (`_held`)
    clean: _CleanRuns  # runs that hold no identifier needle and match no part, seen in earlier files


@lru_cache(maxsize=1)
def _needle_patterns() -> _Patterns:
    """The needles as searches: the identifier needles as one pattern over a file's words, the whole-word needles as
    a set of words, every other needle as one pattern over its bytes, a part of each of those, and of each needle that
    does not count in some files, as one pattern over the words, found wherever the needle is (`_part_of_runs`), and
    the needles that do not count in some files, tried one by one (`conditional_needles`)."""
    unless = conditional_needles()
    whole = whole_word_needles()
    needles = [n for n in python_needles() if n not in unless]
    identifiers = [n for n in needles if n and set(n) <= IDENTIFIER_BYTES and n not in whole]
    others = [n for n in needles if not (n and set(n) <= IDENTIFIER_BYTES)]
    conditional = tuple(n for n in python_needles() if n in unless)
    parts = {n: _part_of_runs(n) for n in (*others, *conditional)}
    by_part: dict[bytes, list[bytes]] = {}
    for needle, part in parts.items():
        if part is not None:
            by_part.setdefault(part, []).append(needle)
    # A match of the trie is the longest part at its position: it also holds every part that starts it.
    held = {part: tuple(needle for shorter, found in by_part.items() if part.startswith(shorter) for needle in found)
            for part in by_part}
    return _Patterns(trie_pattern(identifiers), frozenset(n for n in needles if n in whole), trie_pattern(others),
                     None if any(parts[n] is None for n in others) else trie_pattern(by_part), conditional,
                     frozenset(n for n in conditional if parts[n] is None), held, _CleanRuns())


def _counts(data: bytes, needle: bytes) -> bool:
    """The needle is in the file and counts there (`conditional_needles`), somewhere outside a comment (`in_comment`).
    Linear in the file's length whatever it holds (hostile input): the triple quotes are matched once, forward
    (`Comments`), and a needle in a comment skips the rest of its line."""
    find = data.find
    at = find(needle)
    if at == -1:
        return False
    comments = Comments(data)
    whole = needle in whole_word_needles()
    if not whole and needle not in conditional_needles():
        while at != -1 and (after := comments.end(at)) != -1:
            at = find(needle, after)
        return at != -1
    unless = needle_unless().get(needle)
    if unless is not None and any(find(text) != -1 for text in unless):
        return False
    beside = needle_with().get(needle)
    if beside is not None:
        lowered = data.lower()
        if all(lowered.find(text) == -1 for text in beside):
            return False
    decorators = needle in needle_not_in_decorators()
    valued = needle_valued().get(needle)
    calls = frozenset[bytes]() if valued is None else valued.calls
    if valued is not None and any(find(text) != -1 for text in valued.anywhere):
        valued = None  # the word counts anywhere in this file
    end = len(needle)
    tries = TRIES  # of `valued_at`: past them, the word counts (prefilter_values.py `_REACH`)
    while at != -1:
        if (whole and not _whole_at(data, at, at + end)) or (decorators and _in_decorator(data, at)):
            at = find(needle, at + 1)
        elif valued is not None and tries and not valued_at(data, at, at + end, calls, secret_judges()):
            tries -= 1
            at = find(needle, at + 1)
        elif (after := comments.end(at)) != -1:
            at = find(needle, after)
        else:
            return True
    return False


def _whole_at(data: bytes, start: int, end: int) -> bool:
    """No identifier byte just before `start` nor at `end`: the bytes between are a name of their own."""
    return (not start or data[start - 1] not in IDENTIFIER_BYTES) and (end >= len(data) or data[end] not in IDENTIFIER_BYTES)


_AT = ord("@")


def _in_decorator(data: bytes, at: int) -> bool:
    """The needle at `at` is in the dotted name a decorator line starts with (`@override_settings(`,
    `@hypothesis.settings(`): an `@` first on its line, then that name, the needle ending it or inside it."""
    start = at
    while start and data[start - 1] in DOTTED_BYTES:
        start -= 1
    if not start or data[start - 1] != _AT:
        return False
    line = data.rfind(b"\n", 0, start - 1) + 1
    return not data[line:start - 1].strip(b" \t")


def _word_needles(data: bytes) -> bytes | None:
    """The needle that counts in the file, found on its distinct words, or None.

    A file that holds no needle is searched for every one of them. A needle made of identifier bytes
    (`sqlalchemy`, `_token`) can only occur inside a run of such bytes: searching the file's distinct runs, a fifth
    of its bytes, gives the same answer, and all of them are searched at once, as one pattern laid out as a trie
    (trie_pattern.py: a search per needle was three quarters of the prefilter on the bench corpus); a run an earlier
    file showed to hold none, nor any part below, is not searched again (`_CleanRuns`). A match is a needle that
    counts; so is a whole-word needle (`whole_word_needles`) that is one of the runs. Any other needle (`session.query(`,
    `CREATE TABLE`, `://`) is searched in the bytes alone, and only when the runs hold its part (`_part_of_runs`): 2
    files in 3 of the bench sample that get this far hold none. A needle that does not count in some files
    (`conditional_needles`) is in none of the first two, tried alone."""
    patterns = _needle_patterns()
    runs = set(data.translate(_RUNS).split())
    clean = patterns.clean
    new = runs.difference(clean.runs) if clean.runs else runs
    joined = b"\0".join([b"", *new, b""])  # each run between two NUL bytes (`_part_of_runs`)
    found = patterns.words.search(joined)
    if found is not None:
        return found.group()
    named = patterns.whole.intersection(runs)
    if named:
        return min(named)
    parts = patterns.parts
    if parts is None:
        found = patterns.others.search(data)
        if found is not None:
            return found.group()
        return next((needle for needle in patterns.unless if _counts(data, needle)), None)
    candidates = dict.fromkeys(needle for part in _held(parts, joined, new, clean) for needle in patterns.held[part])
    unless = patterns.unless
    find = data.find
    for needle in candidates:
        if needle not in unless and find(needle) != -1:
            return needle
    return next((needle for needle in unless if (needle in candidates or needle in patterns.unparted)
                 and _counts(data, needle)), None)


def _held(parts: re.Pattern[bytes], joined: bytes, new: set[bytes], clean: _CleanRuns) -> list[bytes]:
    """What `parts` matches in the runs `joined` (of `new`), at every place (the longest part there: `_Patterns.held`
    names every part that starts it); the runs of `new` that hold none are clean from now on (`_CleanRuns`)."""
    found: list[bytes] = []
    holding: set[bytes] = set()
    search = parts.search
    match = search(joined)
    while match is not None:
        start = match.start()
        found.append(match.group())
        holding.add(joined[joined.rfind(b"\0", 0, start + 1) + 1:joined.find(b"\0", start + 1)])
        match = search(joined, start + 1)
    clean.add(new - holding if holding else new, len(joined))
    return found


def _needs_parse(data: bytes) -> bool:
    # `data.find(needle)`, not `needle in data`: CPython's `bytes.__contains__` first tries the needle as an
    # int (`97 in b"a"`) and formats, then drops, a TypeError for each needle; `find` does not (a fifth of the
    # prefilter's instructions on the bench corpus, where a file the prefilter skips is searched for every needle).
    order = _needle_order
    if not order:
        order.extend(python_needles())
    find = data.find
    for index, needle in enumerate(order[:_FIRST_TRIED]):
        if find(needle) != -1 and _counts(data, needle):
            if index:
                order.insert(0, order.pop(index))
            return True
    found = _word_needles(data)
    if found is not None:
        if not _counts(data, found):  # written only in comments (`in_comment`): does another needle count?
            return _outside_comments(data) or _async_worth(data)
        order.insert(0, order.pop(order.index(found)))
        return True
    return _async_worth(data)


def _outside_comments(data: bytes) -> bool:
    """Some needle counts in a file whose first needle found is written only in comments: one found in the file
    without them (`without_comments`) counts where it stands, or one of the needles that do not count in every file
    (`conditional_needles`: their texts are looked for in the comments too) does, or, when the file without comments
    gives one that does not (its texts in a comment), any needle does."""
    found = _word_needles(without_comments(data))
    if found is not None and _counts(data, found):
        return True
    return any(_counts(data, needle) for needle in (_needle_patterns().unless if found is None else python_needles()))


def _async_worth(data: bytes) -> bool:
    """Async code beside one of the async words (`async_needles`)."""
    find = data.find
    return find(b"async def") != -1 and any(find(needle) != -1 for needle in async_needles())


def _reexports(path: str, data: bytes) -> bool:
    """A package's `__init__.py` that imports: the names it re-exports (`from .service import S3Service`)
    are how other modules reach the project's classes and functions, whatever words it holds. These
    files are few and small (436 files, 0.2 % of the bytes of the bench corpus)."""
    return path.endswith("__init__.py") and b"import" in data
