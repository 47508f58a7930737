"""Reading a file of a scanned repository without waiting on it or leaving the root.

Every file prodcheck reads from a repository goes through `read_bytes`: the file is opened once,
non-blocking (a FIFO, socket or device never holds the run), and the opened descriptor is what is
checked (`fstat`), so nothing can swap the file between a check and the read. A link is refused
(`O_NOFOLLOW`) unless `inside` is given; then the file the descriptor really is must lie inside
that folder (on Linux read back from /proc/self/fd, elsewhere from the resolved path).
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from prodcheck.limits import MAX_FILE_BYTES, MIB

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_NOCTTY = getattr(os, "O_NOCTTY", 0)


class UnsafeFile(OSError):
    """Not read: not a regular file, a link where none is allowed, outside the root, too large."""

    def __init__(self, reason: str, path: str | os.PathLike[str]) -> None:
        super().__init__(errno.EINVAL, reason, str(path))
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


def read_bytes(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES, *, follow: bool = False,
               inside: str | os.PathLike[str] | None = None, head: bool = False) -> bytes:
    """The bytes of a regular file (at most `limit`; more raises UnsafeFile "larger than ...", or
    with head=True the first `limit` bytes are the answer).

    follow=False: a link is refused. follow=True: links are followed, and when `inside` is given
    the file reached must be inside that folder. Raises OSError (UnsafeFile for a refusal)."""
    full = os.fspath(path)
    try:
        before = os.lstat(full)
    except OSError:
        raise
    if stat.S_ISLNK(before.st_mode):
        if not follow:
            raise UnsafeFile("a symbolic link, not followed", full)
    elif not stat.S_ISREG(before.st_mode):
        raise UnsafeFile("not a regular file, not read", full)  # a FIFO would block, a device never end
    flags = os.O_RDONLY | _NONBLOCK | _CLOEXEC | _BINARY | _NOCTTY | (0 if follow else _NOFOLLOW)
    try:
        descriptor = os.open(full, flags)
    except OSError as error:
        if error.errno == errno.ELOOP and not follow:
            raise UnsafeFile("a symbolic link, not followed", full) from None
        raise
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile("not a regular file, not read", full)
        if inside is not None and not _opened_inside(descriptor, full, os.fspath(inside)):
            raise UnsafeFile("a link to a file outside the project, not read", full)
        if head:
            return _read_at_most(descriptor, limit, info.st_size)
        if info.st_size > limit:
            raise UnsafeFile(f"file larger than {_size(limit)}, not checked", full)
        data = _read_at_most(descriptor, limit + 1, info.st_size)  # bounded even if the file grows while it is read
    finally:
        os.close(descriptor)
    if len(data) > limit:
        raise UnsafeFile(f"file larger than {_size(limit)}, not checked", full)
    return data


def read_text(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES, *, follow: bool = False,
              inside: str | os.PathLike[str] | None = None) -> str:
    """UTF-8 text of a regular file (UnicodeDecodeError when it is not UTF-8)."""
    return read_bytes(path, limit, follow=follow, inside=inside).decode("utf-8")


def _read_at_most(descriptor: int, count: int, size: int) -> bytes:
    """The first `count` bytes of the open file (fewer at its end), as a buffered `read(count)` gives them.

    The first read asks for the size `fstat` gave plus one byte, not for `count`: a read of `count`
    allocates (and maps, and unmaps) a buffer of that size for every small file, which cost more than the
    reading. A file that grew meanwhile is read on to its end or to `count`, as before."""
    chunks: list[bytes] = []
    left = count
    want = min(count, size + 1)
    while left > 0:
        chunk = os.read(descriptor, min(want, left))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
        want = max(want, 64 * 1024)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _opened_inside(descriptor: int, full: str, folder: str) -> bool:
    try:
        real = os.readlink(f"/proc/self/fd/{descriptor}")  # the file actually opened (Linux)
    except OSError:
        real = os.path.realpath(full)
    # `real` is canonical, and so is every folder it lies in: when it lies in `folder` as written, that
    # is the folder's real path too (the usual case, a resolved root), with no realpath per file.
    if real == folder or real.startswith(folder.rstrip(os.sep) + os.sep):
        return True
    real_folder = os.path.realpath(folder)
    return real == real_folder or real.startswith(real_folder.rstrip(os.sep) + os.sep)


def _size(limit: int) -> str:
    return f"{limit // MIB} MB" if limit >= MIB and limit % MIB == 0 else f"{limit:,} bytes"


def is_inside(path: Path, folder: Path) -> bool:
    """The resolved path is the folder or under it."""
    real, real_folder = os.path.realpath(path), os.path.realpath(folder)
    return real == real_folder or real.startswith(real_folder.rstrip(os.sep) + os.sep)
