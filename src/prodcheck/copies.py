"""Byte-identical copies of one file report each finding once.

Repositories ship the same file twice: a compose file embedded in an installer's sources beside the
one in `deployment/` (onyx's `cli/internal/deploy/deployfiles/embedded/docker_compose/`), a
`docker/Dockerfile` that is a copy of the root `Dockerfile`. Reporting the finding on each copy
counts one defect twice and asks for the same fix twice. A finding that several copies hold at the
same place (the same rule, line, column, message, severity and context) is reported once, on the
original: a file rather than a symbolic link to it, then the shallowest path (an embedded copy sits
deeper), then the first in order; the other copies are listed as its
related locations. A finding only one copy has, or has at another severity (a copy the deployment model
places in development), stays where it is.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from prodcheck.discovery.sources import SourceFile
from prodcheck.model.finding import Finding, Location

COPY_LABEL = "a byte-identical copy of this file, with the same finding"
# Smaller files are too often identical by chance (an empty `__init__.py`, a one-line `.env`).
_MIN_BYTES = 64


def _order(path: str, root: Path | None) -> tuple[bool, int, str]:
    return (root is not None and (root / path).is_symlink(), path.count("/"), path)


def merge_copies(findings: list[Finding], files: Mapping[str, SourceFile], root: Path | None = None) -> list[Finding]:
    # A file's bytes are its own key: equal keys are byte-identical files, and only files of a length another file
    # with findings shares can have a copy. (A SHA-256 of each file's bytes was 0.7 % of the infra scan's
    # instructions; the bytes' own hash, once per file of a shared length, is a small part of that.)
    contents: dict[str, bytes] = {}
    lengths: dict[int, int] = {}
    for path in {f.path for f in findings}:
        source = files.get(path)
        data = source.data if source is not None else None
        if data is not None and len(data) >= _MIN_BYTES:
            contents[path] = data
            lengths[len(data)] = lengths.get(len(data), 0) + 1
    digests = {path: data for path, data in contents.items() if lengths[len(data)] > 1}
    copies: dict[bytes, int] = {}
    for digest in digests.values():
        copies[digest] = copies.get(digest, 0) + 1
    groups: dict[tuple[object, ...], list[Finding]] = {}
    for finding in findings:
        digest = digests.get(finding.path)
        if digest is None or copies[digest] < 2:
            continue
        key = (digest, finding.code, finding.span.line, finding.span.column, finding.severity, finding.context,
               finding.message.replace(finding.path, "\0"))
        groups.setdefault(key, []).append(finding)
    dropped: set[int] = set()
    merged: dict[int, Finding] = {}
    for group in groups.values():
        if len({f.path for f in group}) < 2:
            continue
        keep = min(group, key=lambda f: _order(f.path, root))
        others = sorted((f for f in group if f is not keep), key=lambda f: _order(f.path, root))
        dropped.update(id(f) for f in others)
        related = tuple(Location(f.path, f.span, COPY_LABEL) for f in others)
        merged[id(keep)] = replace(keep, related=keep.related + related)
    return [merged.get(id(f), f) for f in findings if id(f) not in dropped]
