"""YAML files' trees kept across runs: a re-run neither imports PyYAML nor parses a YAML file it parsed before.

A file's documents (`load_documents`) are a function of its bytes, of prodcheck's code (every cache file's
header) and of PyYAML's (its parser and resolver: `_yaml_code`, the digest of its package's `__init__.py`, which
states its version). A re-run after an edit to a Python file parsed polar's 36 workflow, compose and manifest files
again (and imported PyYAML for it, whose resolver compiles its patterns): ~0.27 G instructions of a 13 G re-run.
The engine opens the memo for the rules' run (`remembering`) with the run's cache folder; outside of it (no cache,
tests) every file is parsed. The trees are pickled as parsed, before anything reads them (a node's `position`
becomes a `Span`, a mapping builds its index, on first use); a file that does not parse is parsed again by every run
(its ParseError is PC000). Only the entries a run used are kept.
"""
from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from prodcheck import cache
from prodcheck.discovery.sources import SourceFile
from prodcheck.parsing.yaml import load_documents
from prodcheck.parsing.ynode import YNode


class _Memo:
    def __init__(self, folder: Path) -> None:
        self.table = cache.LazyTable(folder, "yaml", shards=1)
        self.used: set[str] = set()


_memo: _Memo | None = None


@contextmanager
def remembering(folder: Path | None) -> Iterator[None]:
    """YAML trees answered from the run's cache folder (None: every file parsed) until the block ends."""
    global _memo
    previous, _memo = _memo, (_Memo(folder) if folder is not None else None)
    try:
        yield
    finally:
        memo, _memo = _memo, previous
        if memo is not None and memo.table.changed:
            memo.table.save(memo.used, set())


@lru_cache(maxsize=1)
def _yaml_code() -> str:
    """A digest of PyYAML's `__init__.py` (its `__version__`), found without importing it; "" when not found."""
    try:
        spec = importlib.util.find_spec("yaml")
        origin = spec.origin if spec is not None else None
        if origin is None:
            return ""
        with open(origin, "rb") as file:
            return hashlib.blake2b(file.read(), digest_size=16).hexdigest()
    except (OSError, ImportError, ValueError):
        return ""


def documents(source: SourceFile) -> list[YNode]:
    """`load_documents` of the file's text, from the memo when a run parsed the same bytes."""
    memo = _memo
    digest = source.digest() if memo is not None else None
    code = _yaml_code() if digest is not None else ""
    if memo is None or digest is None or not code:
        return load_documents(source.text or "")
    key = f"{digest.hex()}:{code}"
    memo.used.add(key)
    known = memo.table.get(key)
    if isinstance(known, list) and all(isinstance(node, YNode) for node in known):
        return known
    parsed = load_documents(source.text or "")  # (a ParseError leaves nothing to keep)
    memo.table.put(key, parsed, digest=False)
    return parsed
