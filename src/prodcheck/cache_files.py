"""The cache's files on disk (cache.py): read and written only in a real folder of the user's own.

A folder is used only when it is a folder (not a link), owned by the user and writable by nobody else; a file
is read only when it is a regular file of the user's own, not a link, at most 1 GiB. Writes go to a fresh
temporary file (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0o600, in a 0o700 folder) that is renamed into place, through
descriptor-relative calls where the platform has them, so no link anywhere can redirect one. Anything
unexpected reads as nothing and writes nothing."""
from __future__ import annotations

import os
import stat
from pathlib import Path

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_MAX_BYTES = 1 << 30
# Descriptor-relative calls (openat, renameat, unlinkat): no link anywhere can redirect a write.
_DIR_FD = {os.open, os.rename, os.unlink} <= os.supports_dir_fd and hasattr(os, "O_DIRECTORY")


def _safe_folder(folder: Path, create: bool) -> int | None:
    """A descriptor of the folder when it is a real folder of ours, else None."""
    if create:
        try:
            folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
        except OSError:
            return None
    try:
        info = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or not _ours(info):
        return None
    if not _DIR_FD:
        return -1  # no descriptor-relative calls on this platform: paths are used
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW)
    except OSError:
        return None
    if not _ours(os.fstat(descriptor)):
        os.close(descriptor)
        return None
    return descriptor


def _ours(info: os.stat_result) -> bool:
    getuid = getattr(os, "getuid", None)
    if getuid is None:
        return True  # Windows: no owner or mode bits to check
    return info.st_uid == getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def read(folder: Path, name: str) -> bytes | None:
    descriptor = _safe_folder(folder, create=False)
    if descriptor is None:
        return None
    try:
        flags = os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _BINARY
        if descriptor >= 0:
            handle = os.open(name, flags, dir_fd=descriptor)
        else:
            handle = os.open(folder / name, flags)
    except OSError:
        return None
    finally:
        if descriptor >= 0:
            os.close(descriptor)
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode) or not _ours(info) or info.st_size > _MAX_BYTES:
            return None
        with os.fdopen(handle, "rb", closefd=False) as stream:
            # The size fstat gave, not the budget: a read of `_MAX_BYTES` allocates a buffer of that size for every
            # file (a MemoryError where the system commits no such memory). A file whose size moved meanwhile (a
            # run writing it) is as if absent.
            data = stream.read(info.st_size + 1)
        return data if len(data) == info.st_size else None
    except OSError:
        return None
    finally:
        os.close(handle)


def write(folder: Path, name: str, data: bytes) -> None:
    descriptor = _safe_folder(folder, create=True)
    if descriptor is None:
        return
    temporary = f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY
    try:
        if descriptor >= 0:
            handle = os.open(temporary, flags, 0o600, dir_fd=descriptor)
        else:
            handle = os.open(folder / temporary, flags, 0o600)
    except OSError:
        if descriptor >= 0:
            os.close(descriptor)
        return
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        if descriptor >= 0:
            os.rename(temporary, name, src_dir_fd=descriptor, dst_dir_fd=descriptor)  # atomic on POSIX
        else:
            os.replace(folder / temporary, folder / name)
    except OSError:
        try:
            if descriptor >= 0:
                os.unlink(temporary, dir_fd=descriptor)
            else:
                os.unlink(folder / temporary)
        except OSError:
            pass
    finally:
        if descriptor >= 0:
            os.close(descriptor)
