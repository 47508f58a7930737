"""The digest of prodcheck's installed source that heads every cache file (cache.code_hash), remembered by the
files' status.

Every run that uses the cache hashed the package's ~290 source files (2.9 MB: ~60 M instructions of a re-run,
a quarter of a run that reuses its findings). The digest is a function of the files' names and bytes; it is kept in
the run's cache folder (`code.stat`, written and read as every cache file is: cache_files.py) with a digest of
every file's name and status (device, inode, size, modification and status-change times). A run whose files have
that status takes the kept digest; any other status (an edited, added, removed or replaced file: an edit sets the
status-change time, which no program but the administrator's clock can set back) hashes the bytes again. The
status is kept only when every file's times are settled (older than `SETTLED_NS` when it was read): a file written
within the clock's resolution of the hashing is hashed again by the next run.
"""
from __future__ import annotations

import hashlib
import os
import stat
import time
from pathlib import Path

from prodcheck.cache_files import read as read_file, write as write_file

SETTLED_NS = 2_000_000_000
_NAME = "code.stat"


def package_digest(package: str, folder: Path | None) -> str:
    """The digest of the `.py` and `.toml` files under `package` (names and bytes); `folder`: where it is kept."""
    now = time.time_ns()
    found: list[tuple[str, str, os.stat_result]] = []
    for directory, _, names in os.walk(package):
        relative = os.path.relpath(directory, package).replace(os.sep, "/")
        for name in names:
            if name.endswith((".py", ".toml")):
                path = os.path.join(directory, name)
                try:
                    status = os.stat(path)
                except OSError:
                    continue
                if stat.S_ISREG(status.st_mode):  # (as os.path.isfile: links followed)
                    found.append((name if relative == "." else f"{relative}/{name}", path, status))
    found.sort()
    statuses = hashlib.blake2b(repr([(relative, status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns,
                                      status.st_ctime_ns) for relative, _, status in found]).encode(
        "utf-8", "surrogateescape"), digest_size=16).hexdigest()
    if folder is not None:
        kept = (read_file(folder, _NAME) or b"").split()
        if len(kept) == 2 and kept[0] == statuses.encode() and len(kept[1]) == 32 and kept[1].isalnum():
            return kept[1].decode("ascii")
    digest = hashlib.blake2b(digest_size=16)
    for relative, path, _ in found:
        digest.update(relative.encode() + b"\0")
        with open(path, "rb") as file:
            digest.update(file.read())
        digest.update(b"\0")
    answer = digest.hexdigest()
    settled = now - SETTLED_NS
    if folder is not None and all(status.st_mtime_ns < settled and status.st_ctime_ns < settled
                                  for _, _, status in found):
        write_file(folder, _NAME, f"{statuses} {answer}\n".encode())
    return answer
