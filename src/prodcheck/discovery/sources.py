"""Reading files once: bytes -> text or a PC000 reason, and parsed views by kind."""
from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prodcheck.model.files import Context, FileKind
from prodcheck.limits import MAX_FILE_BYTES as MAX_BYTES
from prodcheck.limits import max_bytes, max_line_chars, max_lines, too_large
from prodcheck.parsing import ParseError
from prodcheck.safe_read import UnsafeFile, read_bytes
from prodcheck.discovery.encodings import ENCODING_ERROR, undeclared_encoding, utf16_without_bom

# Bytes objects this small are not worth a compressed copy (zlib's header and a call per file).
_PACK_ABOVE = 256
# What every run reads again of a Python file's bytes: its pragmas (`# prodcheck: ignore[...]`), when the
# file holds them and has no facts (engine.py). Bytes that hold it are kept, compressed.
PRAGMA_MARK = b"prodcheck"  # no `# prodcheck:` pragma without it
# The kinds read as Python source (a gunicorn config file is Python)
PYTHON_KINDS = (FileKind.PYTHON, FileKind.GUNICORN_CONF)


def _file_digest(data: bytes) -> bytes:
    """A file's digest: SHA-256, cut to 16 bytes (collisions as hard to make as BLAKE2b-128's). OpenSSL's SHA-256
    runs on the processor's SHA instructions (x86 SHA-NI, ARMv8): 1.8x the speed of hashlib's BLAKE2b here, and
    every run hashes every file it reads (polar: 18 MB, 20 -> 11 ms of a 0.28 s re-run that reuses its findings)."""
    return hashlib.sha256(data).digest()[:16]


class SourceFile:
    """One discovered file. Reading `data` or `text` during a recorded run (`recording`) notes the
    path: the incremental run (incremental.py) knows which files' own bytes, not only their facts,
    a cached result depends on."""

    __slots__ = ("_absent", "_data", "_digest", "_encoded", "_on_disk", "_packed", "_root", "_text", "context",
                 "context_reason", "error", "kind", "path", "views")

    def __init__(self, path: str, kind: FileKind | str, context: Context, data: bytes | None = None,
                 text: str | None = None, error: ParseError | None = None,
                 views: dict[str, object] | None = None, context_reason: str = "") -> None:
        self.path = path  # POSIX, relative to the root
        self.kind = kind  # a str for a kind its parser module declares (parsing/kinds.py)
        self.context = context
        self._data = data
        self._packed: bytes | None = None  # `_data` compressed while nothing reads it (`pack`)
        self._digest: bytes | None = None  # `digest()`, made once
        self._root: str | None = None  # the folder the bytes were read under (`read_source`), to read them again
        self._on_disk = False  # the bytes were let go of (`pack`): read again from the file when used
        self._absent: frozenset[bytes] = frozenset()  # needles the bytes left on disk are known not to hold (`resting`)
        # The bytes are the text encoded (`keep_as_text`): 0 no, 1 yes, 2 behind a UTF-8 byte order mark.
        self._encoded = 0
        self._text = text
        self.error = error
        self.views: dict[str, object] = {} if views is None else views
        self.context_reason = context_reason  # why the file has its context (SPEC section 4), repeated by findings

    def __repr__(self) -> str:
        return f"SourceFile({self.path!r}, {self.kind!r}, {self.context!r})"

    @classmethod
    def resting(cls, path: str, kind: FileKind | str, context: Context, root: str, digest: bytes,
                absent: frozenset[bytes]) -> SourceFile:
        """A file whose bytes an earlier run read (discovery/stat_memo.py) and that were not read again: their
        `digest`, and the needles they do not hold (`holds` answers for those without reading them), are the noted
        ones; the bytes are read when something uses them (`raw`), as packed bytes are."""
        source = cls(path, kind, context)
        source._root, source._digest, source._on_disk, source._absent = root, digest, True, absent
        return source

    def noted_absent(self, needle: bytes) -> bool:
        """Whether the needle is one `resting` noted the bytes do not hold (without reading or noting a use)."""
        return needle in self._absent

    @property
    def is_resting(self) -> bool:
        """The bytes were never read this run (`resting`) and are not yet."""
        return self._on_disk and bool(self._absent)

    @property
    def data(self) -> bytes | None:
        if _reads is not None:
            _reads.active.add(self.path)
        return self.raw

    @data.setter
    def data(self, value: bytes | None) -> None:
        self._data = value
        self._packed = None
        self._encoded = 0
        self._on_disk = False
        self._digest = None
        self._absent = frozenset()

    def digest(self) -> bytes | None:
        """A 16-byte digest of the bytes as read (`_file_digest`; None when none were), without noting a use or
        unpacking them. Made once: the run key, the Python facts' cache keys and the model key all go by it, where each
        hashed every file's bytes again (a re-run after a comment edited hashed polar's 18 MB of Python twice)."""
        known = self._digest
        if known is None:
            data = self._data
            if data is None and self._packed is not None:
                data = zlib.decompress(self._packed)
            elif data is None and self._encoded:
                data = self._bytes_of_text()
            if data is None:
                return None  # `pack` makes the digest before it lets the bytes go
            known = self._digest = _file_digest(data)
        return known

    def keep_as_text(self) -> None:
        """Hold a text file's bytes as its text only: strict UTF-8 decoding is exact, so the bytes are the
        text encoded again (behind the byte order mark it had), made when something reads them."""
        data = self._data
        if data is not None and self._text is not None:
            self._encoded = 2 if data.startswith(b"\xef\xbb\xbf") else 1
            self._data = None

    @property
    def has_data(self) -> bool:
        """Whether the file's bytes were read (`raw` is not None), without unpacking them."""
        return self._data is not None or self._packed is not None or self._encoded != 0 or self._on_disk

    def holds(self, needle: bytes, note: bool = True) -> bool:
        """`needle in data`, a use of the bytes as `data` notes it (unless `note` is false: the caller keeps the
        answer itself, as finishing.marked does), without keeping packed bytes unpacked."""
        if _reads is not None and note:
            _reads.active.add(self.path)
        data = self._data
        if data is None and self._packed is not None:
            data = zlib.decompress(self._packed)
        elif data is None and self._encoded:
            data = self._bytes_of_text()
        elif data is None and self._on_disk:
            if needle == PRAGMA_MARK or needle in self._absent:
                return False  # `pack` kept the bytes that hold it; `resting` noted what they do not hold
            data = self._read_again()
        return data is not None and needle in data

    def pack(self) -> None:
        """Let the bytes go until something reads them again: read again from the file then.

        Once its facts are extracted, a Python file's bytes are read again only for the few files a
        finding, a pragma or a fix is about; every file's bytes held as read were 47 MiB of a
        7,574-file scan's peak, and compressed (zlib, level 3) still 9.5 MiB and 0.4 s of CPU. The file
        is read again, and used only when it still has the digest of the bytes analysed (`_read_again`).
        Bytes that hold pragmas, which every run reads, are kept compressed; so are bytes that were not
        read from a file."""
        data = self._data
        if data is not None and len(data) > _PACK_ABOVE:
            self.digest()
            if self._root is not None and PRAGMA_MARK not in data:
                self._on_disk = True
            else:
                self._packed = zlib.compress(data, 3)
            self._data = None

    def _read_again(self) -> bytes | None:
        """The bytes read again from the file, as `read_source` read them; None when the file is gone, refused
        or no longer the one analysed (changed since: its facts and positions are of the bytes that were)."""
        assert self._root is not None
        try:
            data = read_bytes(os.path.join(self._root, self.path), MAX_BYTES, follow=True, inside=self._root)
        except OSError:  # UnsafeFile too
            return None
        return data if _file_digest(data) == self._digest else None

    @property
    def text(self) -> str | None:
        if _reads is not None:
            _reads.active.add(self.path)
        return self._text

    @text.setter
    def text(self, value: str | None) -> None:
        if self._encoded:
            self._data, self._encoded = self._bytes_of_text(), 0
        self._text = value

    def _bytes_of_text(self) -> bytes:
        encoded = (self._text or "").encode("utf-8")
        return b"\xef\xbb\xbf" + encoded if self._encoded == 2 else encoded

    @property
    def raw(self) -> bytes | None:
        """The bytes as read, without noting a use (hashing for cache keys)."""
        data = self._data
        if data is None and self._packed is not None:
            data = self._data = zlib.decompress(self._packed)  # read again: kept unpacked from now on
            self._packed = None
        elif data is None and self._encoded:
            return self._bytes_of_text()
        elif data is None and self._on_disk:
            data = self._data = self._read_again()  # kept from now on, as unpacked bytes are
            self._on_disk, self._absent = False, frozenset()
        return data

    @property
    def lines(self) -> list[str]:
        if _reads is not None:
            _reads.active.add(self.path)  # (the cached lines are the text's: a use of it, whichever phase made them)
        cached = self.views.get("_lines")
        if cached is None:
            cached = (self.text or "").splitlines()
            self.views["_lines"] = cached
        return cached  # type: ignore[return-value]  # the "_lines" view is always a list[str]

    def line(self, number: int) -> str:
        lines = self.lines
        return lines[number - 1] if 0 < number <= len(lines) else ""

    def note_use(self) -> None:
        """Note a use of the whole file's bytes (as `data` does) for a reader that takes `unnoted_lines`."""
        if _reads is not None:
            _reads.active.add(self.path)

    def unnoted_lines(self) -> list[str]:
        """The file's lines (its text's, else its bytes decoded once), without noting a use: the caller notes what
        it reads, the whole file (`note_use`) or some of its lines (`note_lines`)."""
        if self._text is not None:
            cached = self.views.get("_lines")
            if cached is None:
                cached = self.views["_lines"] = self._text.splitlines()
            return cached  # type: ignore[return-value]  # the "_lines" view is always a list[str]
        decoded: list[str] | None = self.views.get("_decoded_lines")  # type: ignore[assignment]  # a list[str] view
        if decoded is None:
            decoded = self.views["_decoded_lines"] = (self.raw or b"").decode("utf-8", "replace").splitlines()
        return decoded

    def note_lines(self, first: int, last: int) -> None:
        """Note that a rule's answer depends on lines `first`..`last` only (of `unnoted_lines`): an edit elsewhere
        in the file that moves no fact leaves it standing (incremental.py). Outside the rules' phase, a use."""
        reads = _reads
        if reads is None:
            return
        if reads.active is reads.paths:
            reads.regions.setdefault(self.path, set()).add((first, last))
        else:
            reads.active.add(self.path)


class Reads:
    """What a run's model and rules read beyond the facts: files' own bytes, and root files that
    are not discovered (a README, a Tiltfile's existence) with what was found. What the finishing
    steps read (a finding's anchor line, pragmas, copies compared: `finishing`) is noted apart, in
    `finished`: an edit there is handled by finishing the stored drafts again (finishing.py)."""

    def __init__(self) -> None:
        self.paths: set[str] = set()
        self.finished: set[str] = set()
        self.active = self.paths  # where a use is noted now
        self.regions: dict[str, set[tuple[int, int]]] = {}  # the lines a rule read of a file (`note_lines`)
        self.root_files: dict[tuple[str, str], str] = {}  # (how, name) -> what was seen


_reads: Reads | None = None


@contextmanager
def recording() -> Iterator[Reads]:
    """Note every file use until the block ends."""
    global _reads
    previous, _reads = _reads, Reads()
    try:
        yield _reads
    finally:
        _reads = previous


@contextmanager
def finishing() -> Iterator[None]:
    """Note the uses of files' bytes in `Reads.finished` until the block ends (when recording)."""
    reads = _reads
    if reads is None:
        yield
        return
    previous, reads.active = reads.active, reads.finished
    try:
        yield
    finally:
        reads.active = previous


def root_text(root: Path, name: str, limit: int = 20_000) -> str | None:
    """The first `limit` bytes of a file at the root that need not be discovered (a README): a regular
    file inside the root, never through a link; None when there is none."""
    try:
        text: str | None = read_bytes(root / name, limit, head=True).decode("utf-8", "replace")
    except OSError:
        text = None
    if _reads is not None:
        _reads.root_files[("text", name)] = _digest(text)
    return text


def root_has_file(root: Path, name: str) -> bool:
    """A regular file of that name at the root (a Tiltfile the walk does not classify)."""
    found = (root / name).is_file()
    if _reads is not None:
        _reads.root_files[("is_file", name)] = "1" if found else ""
    return found


def root_file_state(root: Path, how: str, name: str) -> str:
    """What `root_text` / `root_has_file` would note now (checking a cached result)."""
    if how == "text":
        return _digest(root_text(root, name))
    return "1" if root_has_file(root, name) else ""


def _digest(text: str | None) -> str:
    import hashlib

    return "" if text is None else hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


def read_source(root: Path, path: str, kind: FileKind | str, context: Context) -> SourceFile:
    source = SourceFile(path, kind, context)
    if kind == FileKind.LOCKFILE:
        return source  # only its existence matters; lock files can be large
    full = os.path.join(root, path)
    try:
        # One open, non-blocking, checked on the descriptor: a FIFO or device never blocks, a link
        # swapped after the walk never leads outside the root.
        data = read_bytes(full, MAX_BYTES, follow=True, inside=root)
    except UnsafeFile as error:
        source.error = ParseError(error.reason)
        return source
    except OSError as error:
        broken = os.path.islink(full) and not os.path.exists(full)
        source.error = ParseError("symbolic link that does not resolve (missing target or a loop)" if broken
                                  else f"cannot read file: {error.strerror or error}")
        return source
    # The per-file budget (limits.py): a file over it is PC000 "too large", the run goes on.
    if len(data) > max_bytes(str(kind)):
        source.error = ParseError(too_large("bytes", len(data), max_bytes(str(kind))))
        return source
    # (a file of no more bytes than the line budget cannot be over it: most files are not counted)
    lines = data.count(b"\n") if len(data) > max_lines(str(kind)) else 0
    if lines > max_lines(str(kind)):
        source.error = ParseError(too_large("lines", lines, max_lines(str(kind))))
        return source
    longest = max_line_chars(str(kind))
    if longest is not None and len(data) > longest:
        for number, line in enumerate(data.split(b"\n"), 1):
            if len(line) > longest:
                source.error = ParseError(f"file too large to analyse: line {number} has {len(line):,} characters, "
                                          f"more than the budget of {longest:,} (not checked; see Limits in the "
                                          "README)", number)
                return source
    # ASCII text stored as UTF-16 has a NUL in every other byte: a head without one (nearly every file, found by
    # one scan of the bytes rather than two slices of them) is neither that nor binary.
    nul = data.find(b"\0", 0, 8192) >= 0
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (nul and utf16_without_bom(data[:8192])):
        source.error = ParseError("file is UTF-16 encoded, not UTF-8: not checked (save it as UTF-8 for the tools "
                                  "that read it, and for prodcheck)")
        return source
    if nul:
        source.error = ParseError("binary file where a text file was expected")
        return source
    source.data = data
    source._root = os.fspath(root)
    if kind in PYTHON_KINDS:
        # Decoded by the Python parser itself (PEP 263 encoding cookies), which reads a byte that is not
        # UTF-8 in a comment; the interpreter refuses to import such a file unless it declares its
        # encoding: PC000, while the file is still analysed as the parser read it.
        undeclared = None if data.isascii() else undeclared_encoding(data)
        if undeclared is not None:
            source.views[ENCODING_ERROR] = undeclared
        return source
    try:
        source.text = data.decode("utf-8-sig")
        source.keep_as_text()
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        source.error = ParseError("file is not valid UTF-8", line)
    return source

