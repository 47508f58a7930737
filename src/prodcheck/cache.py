"""Caches in the user's own cache folder, never inside the scanned tree.

Where: `--cache-dir`, else `PRODCHECK_CACHE_DIR`, else the platform's convention
(`$XDG_CACHE_HOME` or `~/.cache` on Linux, `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on
Windows) + `/prodcheck`; one subfolder per scanned root (a hash of its resolved path). Nothing is
written in the scanned repository, so read-only checkouts work, `git status` stays clean, and
deleting the cache folder loses nothing.

A table (`Table`) is a key -> value store loaded once and saved once per run. Every file starts
with a header holding a hash of prodcheck's own installed source, so an edited rule or a new
version never serves a stale entry, and only then the pickled entries.

Why pickle, and why it is safe here: the entries are prodcheck's own dataclasses (facts, findings)
and pickle is the fastest way to rebuild them. A cache is only ever read from the user's cache
folder (never from anything under the scanned root: a cache folder that resolves inside it is not
used), from a folder and a file that are not links, owned by the user and not writable by anybody
else; and it is read by an unpickler that can only construct prodcheck's model classes, so even a
planted file cannot run code. Files are written with O_CREAT|O_EXCL|O_NOFOLLOW in a 0o700 folder
and atomically renamed into place (cache_files.py). Anything unexpected (corrupt, foreign, wrong shape)
is ignored.
"""
from __future__ import annotations

import enum
import hashlib
import io
import os
import pickle
import sys
import zlib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from prodcheck.cache_files import read as read_file, write as write_file

if TYPE_CHECKING:
    from prodcheck.settings import Settings

ENVIRONMENT = "PRODCHECK_CACHE_DIR"
_MAGIC = b"prodcheck-cache\n"


def default_folder() -> Path:
    """The platform's user cache folder + `prodcheck` (before any override)."""
    home = Path.home()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return (Path(base) if base else home / "AppData" / "Local") / "prodcheck" / "Cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "prodcheck"
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec: a relative value is invalid and must be ignored.
    return (Path(xdg) if xdg and os.path.isabs(xdg) else home / ".cache") / "prodcheck"


def base_folder(override: str | Path | None = None) -> Path:
    """`--cache-dir`, else $PRODCHECK_CACHE_DIR, else the platform default."""
    chosen = override or os.environ.get(ENVIRONMENT) or None
    return Path(chosen).expanduser() if chosen else default_folder()


# Where `code_hash` keeps its answer (code_digest.py): the first cache folder the run reads (`_load`).
_code_folder: list[Path] = []


@lru_cache(maxsize=1)
def code_hash() -> str:
    """A hash of prodcheck's installed source (every .py and .toml of the package): code_digest.py, kept by the
    files' status in the first cache folder the run reads."""
    from prodcheck.code_digest import package_digest

    return package_digest(os.path.dirname(os.path.realpath(__file__)), _code_folder[0] if _code_folder else None)


def run_folder(root: Path, settings: Settings) -> Path | None:
    """The cache folder of a run over `root` (`folder_for`), or None when the run uses no cache."""
    return folder_for(root, settings.cache_dir) if settings.use_cache else None


def folder_for(root: Path, override: str | Path | None = None) -> Path | None:
    """The cache folder of one scanned root, or None when it must not be used (it would lie
    inside the scanned tree)."""
    root = root.resolve()
    base = base_folder(override)
    try:
        resolved = base.resolve()
    except (OSError, RuntimeError):
        return None
    if resolved == root or root in resolved.parents:
        return None  # never read or write anything the scanned repository controls
    return base / hashlib.blake2b(str(root).encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


@lru_cache(maxsize=1)
def _tuple_builders() -> dict[tuple[str, str], object]:
    """The one builder the model's tuples pickle themselves with (`Span.__reduce__`, `Value.__reduce__`: `_shaped(cls,
    fields)`), mapped to the one thing it does, in C: `tuple.__new__`, which builds only tuple classes, and only
    those the pickle can name (the model's own, through `find_class`). The shapes of a Value (`_value_shapes`) only
    for a name that can be one: a run that reuses its findings loads no facts, nor their module (6 ms of a 0.27 s
    re-run on polar)."""
    from prodcheck.model.finding import _shaped

    return {(_shaped.__module__, _shaped.__name__): tuple.__new__}


@lru_cache(maxsize=1)
def _value_shapes() -> dict[tuple[str, str], object]:
    from prodcheck.model.facts import VALUE_SHAPES

    return {(shape.__module__, shape.__qualname__): shape for shape in VALUE_SHAPES[2:7]}  # `_Value2`...`_Value6`


# What `find_class` allowed, by (module, name): each pickle of a file's facts names a dozen classes, and a run
# that loads a 2,000-file project's facts asked the same few dozen questions 17,000 times (a tenth of the load).
_allowed: dict[tuple[str, str], object] = {}


class _ModelUnpickler(pickle.Unpickler):
    """Constructs only prodcheck's own model classes: a planted file cannot run code."""

    def find_class(self, module: str, name: str) -> object:
        try:
            return _allowed[module, name]
        except KeyError:
            found = _allowed[module, name] = self._allowed(module, name)  # (a refusal raises: never kept)
            return found

    def _allowed(self, module: str, name: str) -> object:
        builder = _tuple_builders().get((module, name))
        if builder is None and name.startswith("_Value"):
            builder = _value_shapes().get((module, name))
        if builder is not None:
            return builder
        if module.startswith("prodcheck.model.") and "." not in name and not name.startswith("_"):
            value = super().find_class(module, name)
            if isinstance(value, type) and value.__module__.startswith("prodcheck.model."):
                return value
        if (module, name) in (("prodcheck.model.finding", "_SpanFields"), ("prodcheck.parsing.ynode", "YNode")):
            return super().find_class(module, name)  # (a YAML tree: parsing/yaml_memo.py)
        if module == "builtins" and name == "getattr":
            return _restricted_getattr
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a prodcheck cache")


def _restricted_getattr(owner: object, name: object) -> object:
    """The one lookup prodcheck's pickles make, an enum member (`getattr(Severity, "ERROR")`);
    nothing else can be reached."""
    if (isinstance(owner, type) and issubclass(owner, enum.Enum) and owner.__module__.startswith("prodcheck.model.")
            and isinstance(name, str) and name in owner.__members__):
        return owner.__members__[name]
    raise pickle.UnpicklingError("only enum members may be looked up in a prodcheck cache")


class Table:
    """One key -> value table of one scanned root: get/put by key, then save() once.

    With `shards` > 1 the entries are spread over that many files by a hash of their key, and
    save() rewrites only the files whose entries changed: after one edited file a run writes one
    or two small files instead of the whole table (a 2,000-file project's facts are ~30 MB)."""

    def __init__(self, folder: Path | None, name: str, shards: int = 1) -> None:
        self.folder = folder
        self.name = name
        self.shards = max(1, shards)
        self.entries: dict[str, object] = {}
        self.changed: set[int] = set()  # shards with a new or replaced entry
        if folder is not None:
            for shard in range(self.shards):
                self.entries.update(self._load(self.filename_of(shard)))

    @property
    def enabled(self) -> bool:
        return self.folder is not None

    @property
    def dirty(self) -> bool:
        return bool(self.changed)

    @property
    def filename(self) -> str:
        return f"{self.name}.pickle"

    def filename_of(self, shard: int) -> str:
        return self.filename if self.shards == 1 else f"{self.name}.{shard:02x}.pickle"

    @property
    def filenames(self) -> list[str]:
        return [self.filename_of(shard) for shard in range(self.shards)]

    def shard_of(self, key: str) -> int:
        return zlib.crc32(key.encode("utf-8", "surrogateescape")) % self.shards if self.shards > 1 else 0

    def get(self, key: str) -> object | None:
        return self.entries.get(key)

    def put(self, key: str, value: object) -> None:
        if self.folder is not None:
            self.entries[key] = value
            self.changed.add(self.shard_of(key))

    def save(self, live: set[str] | None = None) -> None:
        """Write the shards that changed, keeping only the `live` keys when given."""
        if self.folder is None:
            return
        touched = set(self.changed)
        if live is not None:
            stale = [key for key in self.entries if key not in live]
            touched.update(self.shard_of(key) for key in stale)
            for key in stale:
                del self.entries[key]
        if not touched:
            return
        by_shard: dict[int, dict[str, object]] = {shard: {} for shard in touched}
        for key, value in self.entries.items():
            entries = by_shard.get(self.shard_of(key)) if self.shards > 1 else by_shard.get(0)
            if entries is not None:
                entries[key] = value
        header = _header()
        for shard in sorted(touched):
            try:
                payload = pickle.dumps(by_shard[shard], protocol=pickle.HIGHEST_PROTOCOL)
            except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
                continue
            write_file(self.folder, self.filename_of(shard), header + payload)
        self.changed.clear()

    def _load(self, filename: str) -> dict[str, object]:
        assert self.folder is not None
        return _load(self.folder, filename)


class LazyTable:
    """A sharded key -> value table whose shards are read on first use and whose values stay pickled
    until asked for: a run that needs a few entries reads a few shards, and an entry's `put` returns a
    digest of its own pickle, the very bytes stored (equal digests: equal values), which the incremental run
    compares instead of the values. The pickle keeps which objects a value shares (its memo), so equal values
    pickle alike only when their objects are shared alike: the extractor shares a file's strings and tuples by
    what the file holds alone, never by what else the process extracted before it (tests/test_facts_blob.py),
    and a comment edit finds the digest of the run that primed the cache. Each entry is unpickled by the same
    restricted unpickler as `Table`."""

    def __init__(self, folder: Path | None, name: str, shards: int) -> None:
        self.folder = folder
        self.name = name
        self.shards = max(1, shards)
        self.loaded: dict[int, dict[str, bytes]] = {}
        self.changed: set[int] = set()

    @property
    def enabled(self) -> bool:
        return self.folder is not None

    def filename_of(self, shard: int) -> str:
        return f"{self.name}.{shard:02x}.pickle"

    @property
    def filenames(self) -> list[str]:
        return [self.filename_of(shard) for shard in range(self.shards)]

    def shard_of(self, key: str) -> int:
        return zlib.crc32(key.encode("utf-8", "surrogateescape")) % self.shards

    def _shard(self, shard: int) -> dict[str, bytes]:
        entries = self.loaded.get(shard)
        if entries is None:
            entries = self._read(shard) if self.folder is not None else {}
            self.loaded[shard] = entries
        return entries

    def _read(self, shard: int) -> dict[str, bytes]:
        assert self.folder is not None
        loaded = _load(self.folder, self.filename_of(shard))
        return {key: blob for key, blob in loaded.items() if isinstance(blob, bytes)}

    def get(self, key: str) -> object | None:
        if self.folder is None:
            return None
        return unpickled(self._shard(self.shard_of(key)).get(key))

    def get_many(self, keys: Iterable[str]) -> dict[str, object | None]:
        """The entries of `keys`, read shard by shard; a shard not read before (no `put` or `get` needed it) is
        let go of once its entries are unpickled, not kept for the run: a 2,000-file project's shards are 20 MB
        of pickles, which stayed resident to the end, and whose memory the next shard now reuses. `save` reads
        a shard it rewrites again (one or two after an edit)."""
        if self.folder is None:
            return {}
        by_shard: dict[int, list[str]] = {}
        for key in keys:
            by_shard.setdefault(self.shard_of(key), []).append(key)
        found: dict[str, object | None] = {}
        for shard, wanted in by_shard.items():
            entries = self.loaded.get(shard)
            if entries is None:
                entries = self._read(shard)
            for key in wanted:
                found[key] = unpickled(entries.get(key))
            del entries
        return found

    def put(self, key: str, value: object, digest: bool = True, blob: bytes | None = None) -> str | None:
        """Store the value; the digest of its pickle (`digest`: else ""), or None when it is not stored. `blob`: the
        value's pickle when it is made already (a worker of the Python pass: python_pass._pooled_work)."""
        if self.folder is None:
            return None
        if blob is None:
            try:
                blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
                return None
        shard = self.shard_of(key)
        self._shard(shard)[key] = blob
        self.changed.add(shard)
        return _blob_digest(blob) if digest else ""

    @property
    def entries(self) -> dict[str, object]:
        """Every entry, unpickled (tests and tools; a run uses `get`)."""
        out: dict[str, object] = {}
        for shard in range(self.shards):
            for key in self._shard(shard):
                out[key] = self.get(key)
        return out

    def save(self, live: set[str], stale: set[str]) -> None:
        """Rewrite the shards that changed or held a `stale` key, keeping only the `live` keys there."""
        if self.folder is None:
            return
        touched = self.changed | {self.shard_of(key) for key in stale}
        header = _header()
        for shard in sorted(touched):
            entries = self._shard(shard)
            for key in [key for key in entries if key not in live]:
                del entries[key]
            payload = pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL)
            write_file(self.folder, self.filename_of(shard), header + payload)
        self.changed.clear()


def unpickled(blob: bytes | None) -> object | None:
    """An entry of a `LazyTable`, unpickled by the restricted unpickler (None when missing or unreadable)."""
    if blob is None:
        return None
    try:
        return _ModelUnpickler(io.BytesIO(blob)).load()
    except Exception:
        return None


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


_blob_digest = digest  # (`LazyTable.put`'s flag of the same name hides the function there)


def _load(folder: Path, filename: str) -> dict[str, object]:
    if not _code_folder:
        _code_folder.append(folder)
    data = read_file(folder, filename)
    header = _header()
    if data is None or not data.startswith(header):
        return {}
    try:
        loaded = _ModelUnpickler(io.BytesIO(data[len(header):])).load()
    except Exception:
        return {}
    if not isinstance(loaded, dict) or not all(isinstance(key, str) for key in loaded):
        return {}
    return loaded


def _header() -> bytes:
    return _MAGIC + code_hash().encode() + b"\n"
