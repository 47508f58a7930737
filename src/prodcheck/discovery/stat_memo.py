"""Python files left unread on a re-run when the file system says they are the files an earlier run read.

Every run read every Python file (polar: 1,600 files, 18 MB) to hash it (the run key, the facts' cache keys) and to
check it (`read_source`: the budgets, UTF-16, binary, undeclared encoding), though a re-run after one edit parses
none of the others: their facts come from the cache by the digest of their bytes. A file whose status (`lstat`) is
the one noted when an earlier run read it is now taken as those bytes: its digest, and what `read_source` and
`python_pass.reducible` found in them, are the noted ones, and the bytes stay on disk (`SourceFile.resting`), read
again only when something needs them (a finding's line, a file the facts cache lost) and then used only when they
still have that digest (`SourceFile._read_again`).

What is relied on: a file's bytes do not change while its device, inode, size, modification time and status-change
time (`st_ctime_ns`) all stay the same. A repository can set a file's modification time (`touch -d`, an archive's
stored times) but not its status-change time: every write and every change of the times sets it to the clock's
now, which only the machine's administrator can move. A file is noted only when both times are settled: older than
`SETTLED_NS` before the walk started (a file written within the clock's resolution of the read, or stamped in the
future, is read again by every run until it is settled: git's "racy" files). Only regular files are noted, never a
link (whose target can change under the same link), and only files that read without an error, without a view
(an undeclared encoding), without a pragma (`SourceFile.holds` answers for those from the bytes) and whose size is
the length read. The entries live in the run's cache folder (`cache.Table` "stats", under the header of prodcheck's
own code: a change of the budgets or of the checks is another header); an entry is kept for its kind, so a file
classified differently is read again. `--no-cache` reads every file, as before.
"""
from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from prodcheck import cache
from prodcheck.discovery.sources import PRAGMA_MARK, PYTHON_KINDS, SourceFile, read_source
from prodcheck.model.files import Context, FileKind

# How old both of a file's times must be, when the walk starts, for its status to be noted.
SETTLED_NS = 2_000_000_000
# What a noted file holds no more of than the noting run found (`SourceFile.resting` answers `holds` for these).
_URL = b"://"

# kind, device, inode, size, modification and status-change times (ns), digest of the bytes, whether they hold `_URL`
Entry = tuple[str, int, int, int, int, int, bytes, bool]


class StatMemo:
    """The Python files noted by an earlier run (`load`), and those this run reads or finds (`save` keeps them)."""

    def __init__(self, table: cache.Table, now_ns: int) -> None:
        self.table = table
        self.kept = table.entries
        self.live: dict[str, Entry] = {}
        self.settled_before = now_ns - SETTLED_NS

    @classmethod
    def load(cls, folder: Path | None) -> StatMemo | None:
        return cls(cache.Table(folder, "stats"), time.time_ns()) if folder is not None else None

    def read(self, root: Path, path: str, kind: FileKind | str, context: Context) -> SourceFile:
        """`read_source`'s file, left on disk when its status is the one noted."""
        if kind not in PYTHON_KINDS:
            return read_source(root, path, kind, context)
        try:
            status = os.lstat(os.path.join(root, path))
        except OSError:
            return read_source(root, path, kind, context)
        noted = (str(kind), status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)
        kept = self.kept.get(path)
        if type(kept) is tuple and len(kept) == 8 and kept[:6] == noted and stat.S_ISREG(status.st_mode):
            digest, url = kept[6], kept[7]
            if type(digest) is bytes and type(url) is bool:
                self.live[path] = kept
                return SourceFile.resting(path, kind, context, os.fspath(root), digest,
                                          frozenset({PRAGMA_MARK} if url else {PRAGMA_MARK, _URL}))
        source = read_source(root, path, kind, context)
        data = source.raw
        if (data is not None and source.error is None and not source.views and stat.S_ISREG(status.st_mode)
                and len(data) == status.st_size and status.st_mtime_ns < self.settled_before
                and status.st_ctime_ns < self.settled_before and PRAGMA_MARK not in data):
            digest = source.digest()
            assert digest is not None  # the bytes were read
            self.live[path] = (*noted, digest, _URL in data)
        return source

    def save(self) -> None:
        """Keep the entries of this run's files (the table is written only when one is not what was kept)."""
        for path, entry in self.live.items():
            if self.kept.get(path) != entry:
                self.table.put(path, entry)
        self.table.save(set(self.live))
