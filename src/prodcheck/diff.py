"""`--diff-base REF`: which lines changed since a git ref, and which findings touch them.

The working tree is compared with REF (`git diff REF`, renames followed with `-M`), so staged,
unstaged and committed-since-REF edits all count; untracked files count as changed throughout.
A finding counts when its primary range or any related location touches a changed line, so a
cross-file finding (a pool in one file × workers in another) is reported when either side moves.
"""
from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from prodcheck.model.finding import Finding, Location

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_GIT = ("git", "-c", "core.quotePath=false", "-c", "diff.noprefix=false", "-c", "diff.mnemonicPrefix=false",
        "-c", "color.ui=never")


class DiffError(Exception):
    """Not a git work tree, git missing, or an unknown ref: a usage error (exit 2)."""


@dataclass(slots=True)
class ChangedLines:
    """path (relative to the scanned root) -> changed line numbers; None means the whole file."""

    files: dict[str, set[int] | None] = field(default_factory=dict)

    def touches(self, location: Location) -> bool:
        if not location.path or location.path not in self.files:
            return False
        lines = self.files[location.path]
        if lines is None:
            return True
        span = location.span
        return any(line in lines for line in range(span.line, max(span.line, span.end_line) + 1))

    def primary(self, finding: Finding) -> bool:
        return self.touches(finding.location)

    def covers(self, finding: Finding) -> bool:
        return self.primary(finding) or any(self.touches(r) for r in finding.related)

    def filter(self, findings: Iterable[Finding]) -> list[Finding]:
        return [f for f in findings if self.covers(f)]


def _git(root: Path, *args: str) -> str:
    try:
        completed = subprocess.run([*_GIT, *args], cwd=root, capture_output=True, check=False,
                                   stdin=subprocess.DEVNULL, timeout=300)
    except FileNotFoundError:
        raise DiffError("--diff-base needs git, and git was not found on PATH") from None
    except subprocess.TimeoutExpired:
        raise DiffError("--diff-base: git did not answer within 5 minutes") from None
    if completed.returncode != 0:
        raise _GitFailed(completed.stderr.decode("utf-8", "replace").strip())
    return completed.stdout.decode("utf-8", "surrogateescape")


class _GitFailed(Exception):
    pass


def changed_lines(root: Path, ref: str) -> ChangedLines:
    root = root.resolve()
    if ref.startswith("-"):
        raise DiffError(f"--diff-base: {ref!r} is not a git ref")
    try:
        if _git(root, "rev-parse", "--is-inside-work-tree").strip() != "true":
            raise _GitFailed("")
    except _GitFailed:
        raise DiffError(f"--diff-base needs a git work tree, and {root} is not inside one") from None
    try:
        _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except _GitFailed:
        raise DiffError(f"--diff-base: unknown git ref {ref!r} (fetch it first, e.g. `git fetch origin {ref}`)") from None
    try:
        patch = _git(root, "diff", "--no-ext-diff", "--no-textconv", "--no-color", "-M", "--unified=0",
                     "--relative", "--src-prefix=a/", "--dst-prefix=b/", "--end-of-options", ref, "--", ".")
        untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z", "--", ".")
    except _GitFailed as error:
        raise DiffError(f"--diff-base: git diff failed: {error}") from None
    changed = parse_patch(patch)
    for path in untracked.split("\0"):
        if path:
            changed.files[path] = None
    return changed


def parse_patch(patch: str) -> ChangedLines:
    """Changed lines on the new side of a unified diff with zero context lines."""
    changed = ChangedLines()
    current: str | None = None
    for line in patch.splitlines():
        if line.startswith("diff --git "):
            current = None
            continue
        if line.startswith("+++ "):
            target = line[4:]
            current = None if target == "/dev/null" else _strip_prefix(_unquote(target))
            if current is not None:
                changed.files.setdefault(current, set())
            continue
        if line.startswith("Binary files ") and line.endswith(" differ"):
            match = re.search(r" and (.+) differ$", line)
            if match and match.group(1) != "/dev/null":
                changed.files[_strip_prefix(_unquote(match.group(1)))] = None
            continue
        hunk = _HUNK.match(line)
        if hunk and current is not None:
            start = int(hunk.group(1))
            count = int(hunk.group(2)) if hunk.group(2) is not None else 1
            lines = changed.files.get(current)
            if lines is None:
                continue
            if count == 0:
                # A pure deletion: the lines on either side of the gap are what changed.
                lines.update({start, start + 1} - {0})
            else:
                lines.update(range(start, start + count))
    return changed


def _strip_prefix(path: str) -> str:
    return path[2:] if path.startswith(("a/", "b/")) else path


_ESCAPES = {"a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    """git's C-style quoting of unusual paths (`"a/sp\\303\\251cial\\tname"`)."""
    text = text.rstrip("\t")
    if not (len(text) >= 2 and text[0] == '"' and text[-1] == '"'):
        return text
    body = text[1:-1]
    out = bytearray()
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            following = body[index + 1]
            if re.fullmatch(r"[0-7]{3}", body[index + 1:index + 4]):
                out.append(int(body[index + 1:index + 4], 8))
                index += 4
                continue
            out.extend(_ESCAPES.get(following, following).encode("utf-8", "surrogateescape"))
            index += 2
            continue
        out.extend(char.encode("utf-8", "surrogateescape"))
        index += 1
    return out.decode("utf-8", "replace")
