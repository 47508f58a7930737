"""`--diff-base REF`: which lines changed since a git ref, and which findings touch them.

The working tree is compared with REF, so staged, unstaged and committed-since-REF edits all
count; a file REF does not have counts as changed throughout, unless it is a moved file (a file
REF has at a path that no longer exists, with mostly the same lines). A finding counts when its
primary range or any related location touches a changed line, so a cross-file finding (a pool in
one file × workers in another) is reported when either side moves.

git is only asked what REF holds (`ls-tree`, `cat-file --batch`, through `prodcheck.git`, which no
repository configuration can hook into); the working-tree side is read here and compared with
difflib. `git diff` against the working tree is never run: it refreshes the index (a write) and
runs the repository's filters, fsmonitor and diff drivers. Only files that hold a finding are
compared.
"""
from __future__ import annotations

import difflib
import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import field
from pathlib import Path
from typing import Literal

from prodcheck.git import GitError, GitFailed, run_git
from prodcheck.model.finding import Finding, Location
from prodcheck.model.record import slotted

MAX_BYTES = 5 * 1024 * 1024  # larger files count as changed throughout
MAX_DIFF_LINES = 20_000  # beyond this many differing lines per side, the differing block counts whole
MAX_RENAME_CANDIDATES = 20
RENAME_SIMILARITY = 0.5  # git's default for -M


class DiffError(Exception):
    """Not a git work tree, git missing, or an unknown ref: a usage error (exit 2)."""


@slotted
class ChangedLines:
    """path (relative to the scanned root) -> changed line numbers; None means the whole file.

    Built from a git ref, paths are compared the first time a finding asks about them."""

    files: dict[str, set[int] | None] = field(default_factory=dict)
    base: _Base | None = None

    def lines(self, path: str) -> set[int] | bool | None:
        """The changed lines of `path`, None when the whole file changed, False when none did."""
        if path not in self.files and self.base is not None:
            self.prepare([path])
        if path not in self.files:
            return False
        return self.files[path]

    def prepare(self, paths: Iterable[str]) -> None:
        """Compare these paths with the base in one go (one `git cat-file` for all)."""
        if self.base is None:
            return
        missing = sorted({p for p in paths if p and p not in self.files and p not in self.base.unchanged})
        if missing:
            for path, lines in self.base.compare(missing).items():
                if lines is False:
                    self.base.unchanged.add(path)
                else:
                    self.files[path] = lines

    def touches(self, location: Location) -> bool:
        if not location.path:
            return False
        lines = self.lines(location.path)
        if lines is None:
            return True
        if not isinstance(lines, set):
            return False
        span = location.span
        return any(line in lines for line in range(span.line, max(span.line, span.end_line) + 1))

    def primary(self, finding: Finding) -> bool:
        return self.touches(finding.location)

    def covers(self, finding: Finding) -> bool:
        return self.primary(finding) or any(self.touches(r) for r in finding.related)

    def filter(self, findings: Iterable[Finding]) -> list[Finding]:
        findings = list(findings)
        self.prepare(location.path for f in findings for location in (f.location, *f.related))
        return [f for f in findings if self.covers(f)]


@slotted
class _Entry:
    mode: str
    oid: str


class _Base:
    """REF's tree under the scanned root, and the working files compared with it."""

    def __init__(self, root: Path, tree: dict[str, _Entry], object_format: str) -> None:
        self.root = root
        self.tree = tree
        self.object_format = object_format
        self.unchanged: set[str] = set()
        self._gone: list[str] | None = None

    def compare(self, paths: list[str]) -> dict[str, set[int] | Literal[False] | None]:
        result: dict[str, set[int] | Literal[False] | None] = {}
        work = {path: _read_work(self.root, path) for path in paths}
        against: dict[str, str] = {}  # working path -> base path to diff with
        for path, data in work.items():
            entry = self.tree.get(path)
            if data is None:
                result[path] = None  # unreadable or too large: counts as changed throughout
                continue
            if entry is not None:
                if entry.oid == self._oid(data):
                    result[path] = False
                else:
                    against[path] = path
                continue
            moved = self._moved_from(path, data)
            if moved is None:
                result[path] = None  # new in the working tree: every line is changed
            elif self.tree[moved].oid == self._oid(data):
                result[path] = False  # moved, not changed
            else:
                against[path] = moved
        blobs = self._blobs({against[p] for p in against})
        for path, base_path in against.items():
            old = blobs.get(base_path)
            new = work[path]
            if old is None or new is None or (base_path != path and _similarity(old, new) < RENAME_SIMILARITY):
                result[path] = None
            else:
                result[path] = changed_lines_between(old, new)
        return result

    def _oid(self, data: bytes) -> str:
        header = b"blob %d\0" % len(data)
        if self.object_format == "sha256":
            return hashlib.sha256(header + data).hexdigest()
        return hashlib.sha1(header + data, usedforsecurity=False).hexdigest()

    def _moved_from(self, path: str, data: bytes) -> str | None:
        """The base path this new file was most likely moved from (a base file now missing)."""
        if self._gone is None:
            self._gone = [p for p, e in self.tree.items()
                          if e.mode.startswith("100") and not os.path.lexists(self.root / p)]
        gone = self._gone
        if not gone:
            return None
        oid = self._oid(data)
        for candidate in gone:
            if self.tree[candidate].oid == oid:
                return candidate
        name, suffix = os.path.basename(path), os.path.splitext(path)[1]
        ranked = sorted(gone, key=lambda p: (os.path.basename(p) != name, os.path.splitext(p)[1] != suffix, p))
        ranked = ranked[:MAX_RENAME_CANDIDATES]
        blobs = self._blobs(set(ranked))
        best, best_score = None, RENAME_SIMILARITY
        for candidate in ranked:
            old = blobs.get(candidate)
            if old is not None:
                score = _similarity(old, data)
                if score >= best_score:
                    best, best_score = candidate, score
        return best

    def _blobs(self, paths: set[str]) -> dict[str, bytes]:
        """The base contents of these paths: `git cat-file --batch` runs no filter or textconv."""
        wanted = sorted(p for p in paths if p in self.tree and self.tree[p].mode.startswith("100"))
        if not wanted:
            return {}
        request = "".join(f"{self.tree[p].oid}\n" for p in wanted).encode()
        try:
            output = run_git(self.root, "cat-file", "--batch", stdin=request)
        except GitError:
            return {}
        contents: dict[str, bytes] = {}
        position = 0
        for path in wanted:
            end = output.find(b"\n", position)
            if end < 0:
                break
            header = output[position:end].split()
            position = end + 1
            if len(header) != 3 or header[1] != b"blob" or not header[2].isdigit():
                continue  # "<oid> missing"
            size = int(header[2])
            contents[path] = output[position:position + size]
            position += size + 1
        return contents


def _read_work(root: Path, path: str) -> bytes | None:
    """A working file's bytes (a link: its target, as git stores it); None when it cannot be read
    safely (missing, not a regular file, too large)."""
    full = root / path
    try:
        info = os.lstat(full)
        if stat.S_ISLNK(info.st_mode):
            return os.fsencode(os.readlink(full))
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
            return None
        handle = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
                         | getattr(os, "O_BINARY", 0))
    except (OSError, ValueError):
        return None
    try:
        with os.fdopen(handle, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                return None
            data = stream.read(MAX_BYTES + 1)
    except OSError:
        return None
    return data if len(data) <= MAX_BYTES else None


def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8", "surrogateescape").splitlines()


def _similarity(old: bytes, new: bytes) -> float:
    a, b = _lines(old), _lines(new)
    if not a and not b:
        return 1.0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.quick_ratio()


def changed_lines_between(old: bytes, new: bytes) -> set[int]:
    """1-based lines of `new` that differ from `old`; a pure deletion marks the lines around it."""
    a, b = _lines(old), _lines(new)
    prefix = 0
    while prefix < len(a) and prefix < len(b) and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    while suffix < len(a) - prefix and suffix < len(b) - prefix and a[-1 - suffix] == b[-1 - suffix]:
        suffix += 1
    middle_a, middle_b = a[prefix:len(a) - suffix], b[prefix:len(b) - suffix]
    changed: set[int] = set()
    if len(middle_a) > MAX_DIFF_LINES or len(middle_b) > MAX_DIFF_LINES:
        opcodes = [("replace", 0, len(middle_a), 0, len(middle_b))]
    else:
        opcodes = difflib.SequenceMatcher(None, middle_a, middle_b, autojunk=False).get_opcodes()
    for tag, _, _, j1, j2 in opcodes:
        start, end = prefix + j1, prefix + j2  # 0-based range in `new`
        if tag in ("replace", "insert"):
            changed.update(range(start + 1, end + 1))
        elif tag == "delete":
            changed.update({start, start + 1} - {0})  # the lines on either side of the gap
    return {line for line in changed if line <= max(len(b), 1)}


def changed_lines(root: Path, ref: str) -> ChangedLines:
    root = root.resolve()
    if ref.startswith("-"):
        raise DiffError(f"--diff-base: {ref!r} is not a git ref")
    try:
        inside = run_git(root, "rev-parse", "--is-inside-work-tree").strip() == b"true"
    except GitFailed:
        inside = False
    except GitError as error:
        raise DiffError(f"--diff-base needs git: {error}") from None
    if not inside:
        raise DiffError(f"--diff-base needs a git work tree, and {root} is not inside one")
    try:
        commit = run_git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except GitError:
        raise DiffError(f"--diff-base: unknown git ref {ref!r} (fetch it first, e.g. `git fetch origin {ref}`)") from None
    base = _merge_base(root, ref, commit.decode("ascii").strip())
    try:
        listing = run_git(root, "ls-tree", "-r", "-z", "--end-of-options", base)
        try:
            object_format = run_git(root, "rev-parse", "--show-object-format").decode().strip() or "sha1"
        except GitFailed:
            object_format = "sha1"
    except GitError as error:
        raise DiffError(f"--diff-base: git could not list {ref!r}: {error}") from None
    tree: dict[str, _Entry] = {}
    for record in listing.split(b"\0"):
        meta, tab, name = record.partition(b"\t")
        parts = meta.split()
        if tab and len(parts) == 3 and parts[1] == b"blob":
            tree[name.decode("utf-8", "surrogateescape")] = _Entry(parts[0].decode(), parts[2].decode())
    return ChangedLines(base=_Base(root, tree, object_format))


def _merge_base(root: Path, ref: str, commit: str) -> str:
    """Where the branch left REF (`git diff REF...`): lines REF gained since are not the branch's."""
    try:
        head = run_git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").decode("ascii").strip()
    except GitError:
        return commit  # no commit yet: everything in the work tree is new against REF
    try:
        found = run_git(root, "merge-base", "--end-of-options", commit, head).decode("ascii").strip()
    except GitError:
        found = ""
    if not found:
        raise DiffError(
            f"--diff-base: {ref!r} and HEAD share no history here (a shallow clone? fetch more of it, "
            f"e.g. `git fetch --deepen=100 origin`, or check out with `fetch-depth: 0`)")
    return found
