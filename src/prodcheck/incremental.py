"""Re-checking after an edit without re-running the rules when nothing they see has moved.

A run's findings are a function of: prodcheck's code (every cache file's header), the settings, the
list of files (path, kind, context), the bytes of every file that is not Python, the facts of every
parsed Python file, and the few things the model and rules read directly (`sources.recording`): a
Python file's own bytes (a pragma's line, a finding's anchor, a migration script's text), a root
README, whether a Tiltfile exists. The model key hashes the first five, with a Python file
standing for the digest of its facts' pickle (`python_pass.python_index`) rather than its bytes; the
entry stores the findings with the digests of everything read directly. An edit that leaves every
fact as it was (a comment, blank lines after the last statement, a file no rule parses) and no
directly read file changed reuses the findings without loading a single fact. What only the
finishing steps read (finishing.py: a finding's line for its anchor, pragmas, copies compared) is noted
apart: when only that moved (a comment or a pragma added to a flagged file), the findings the rules made,
stored with the entry, are finished again (`Entry.staged`), without the model or a rule. A rule that
reads only some lines of a file (a development guard's `if` above a call, a settings URL's lines)
notes those (`SourceFile.note_lines`, `Regions`): an edit elsewhere in the file leaves it standing.
Anything else runs the rules as before and replaces the entry.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from prodcheck import __version__, cache
from prodcheck.finishing import Staged, marked
from prodcheck.model.files import Context
from prodcheck.model.finding import Finding
from prodcheck.discovery.sources import PYTHON_KINDS, Reads, SourceFile, root_file_state
from prodcheck.settings import Settings

Secrets = dict[tuple[str, int], frozenset[str]]
Outcome = tuple[list[Finding], int, Secrets, list[str]]  # findings, suppressed, secrets, notes
# ... the digests of the Python files the model and rules read directly, the root files as seen; the digests of
# those the finishing steps read, the Python files that hold a pragma's mark (finishing.marked), and what the rules
# made, to be finished again (finishing.Staged)
Entry = tuple[list[Finding], int, Secrets, list[str], dict[str, str], dict[tuple[str, str], str],
              dict[str, str], tuple[str, ...], Staged, "Regions"]
# The files of which a rule read some lines only (`SourceFile.note_lines`): the file's digest then, and each range
# of lines read with the digest of those lines.
Regions = dict[str, tuple[str, tuple[tuple[int, int, str], ...]]]


def model_table(folder: Path | None) -> cache.Table:
    return cache.Table(folder, "model")


def settings_key(settings: Settings) -> bytes:
    """Every setting a finding can depend on (not the cache, jobs or the exit threshold)."""
    return repr((__version__, settings.select, settings.ignore, sorted(settings.severity.items()),
                 sorted(settings.per_file_ignores.items()), settings.exclude, settings.max_connections,
                 settings.max_connections_origin, settings.production, settings.development,
                 settings.config_path)).encode()


def model_key(files: list[SourceFile], digests: dict[str, str | tuple[str, int, int] | None],
              settings: Settings, helm: bytes) -> str | None:
    """The key of what the rules see, or None when a parsed file's facts have no digest. `helm`:
    the helm binary and version charts are rendered with (engine._helm_key)."""
    digest = hashlib.blake2b(settings_key(settings), digest_size=20)
    digest.update(helm)
    for source in files:
        digest.update(f"\0{source.path}\0{source.kind}\0{source.context}\0".encode())
        if source.path in digests:
            known = digests[source.path]
            if known is None:
                return None
            digest.update(b"F" + repr(known).encode())
        elif source.kind in PYTHON_KINDS and source.has_data and source.error is None:
            digest.update(b"S")  # not parsed (the prefilter): its bytes count only if something reads them
        elif (known_bytes := source.digest()) is not None:
            digest.update(b"B" + known_bytes)
        else:
            digest.update(b"E" + str(source.error).encode())
    return digest.hexdigest()


def _raw_digest(source: SourceFile | None) -> str:
    known = source.digest() if source is not None else None
    return "" if known is None else known.hex()  # = cache.digest of the bytes


def entry(outcome: Outcome, reads: Reads, files: list[SourceFile], staged: Staged) -> Entry:
    """A run's findings with what the run read directly."""
    by_path = {source.path: source for source in files}
    regions: Regions = {}
    for path, ranges in sorted(reads.regions.items()):
        source = by_path.get(path)
        if path not in reads.paths and source is not None and source.kind in PYTHON_KINDS:
            lines = source.unnoted_lines()
            regions[path] = (_raw_digest(source), tuple((first, last, _lines_digest(lines, first, last))
                                                        for first, last in sorted(ranges)))
    return (*outcome, digests_of(reads.paths, files), dict(reads.root_files), digests_of(reads.finished, files),
            marked(files), staged, regions)


def _lines_digest(lines: list[str], first: int, last: int) -> str:
    return hashlib.blake2b(repr(lines[max(first - 1, 0):last]).encode("utf-8", "surrogateescape"),
                           digest_size=16).hexdigest()


def regions_now(regions: Regions, files: list[SourceFile]) -> Regions:
    """The same ranges, with each file's digest as it is now (the lines read are as they were: `reuse` checked)."""
    by_path = {source.path: source for source in files}
    return {path: (_raw_digest(by_path[path]), ranges) for path, (_, ranges) in regions.items()}


def digests_of(paths: set[str], files: list[SourceFile]) -> dict[str, str]:
    """The digests of the Python files among `paths`."""
    by_path = {source.path: source for source in files}
    return {path: _raw_digest(by_path.get(path)) for path in sorted(paths)
            if path in by_path and by_path[path].kind in PYTHON_KINDS}


def store(table: cache.Table, key: str, stored: Entry) -> None:
    """Keep one entry (the table keeps only the latest)."""
    table.put(key, stored)
    table.save({key})


def reuse(table: cache.Table, key: str, root: Path, files: list[SourceFile], every_byte: bool = False
          ) -> tuple[Entry, bool] | None:
    """The stored entry when every file the model and rules read directly is as it was, else None; with whether
    what the finishing steps read is as it was too (else its `staged` findings are to be finished again).
    `every_byte`: the key holds every file's bytes (the run key), so nothing can have moved."""
    stored = table.get(key)
    if not (isinstance(stored, tuple) and len(stored) == 10):
        return None
    findings, suppressed, secrets, notes, raw, root_files, finished, marks, staged, regions = stored
    if not (_findings(findings) and isinstance(suppressed, int) and isinstance(secrets, dict)
            and isinstance(notes, list) and all(isinstance(note, str) for note in notes)
            and _pathdigests_of(raw) and _pathdigests_of(finished) and isinstance(root_files, dict)
            and isinstance(marks, tuple) and all(isinstance(path, str) for path in marks)
            and isinstance(staged, tuple) and len(staged) == 2 and _findings(staged[0])
            and _contexts(staged[1]) and _regions(regions)):
        return None
    checked: Secrets = {}
    for where, values in secrets.items():
        if not (isinstance(where, tuple) and len(where) == 2 and isinstance(where[0], str)
                and isinstance(where[1], int) and isinstance(values, frozenset)
                and all(isinstance(value, str) for value in values)):
            return None
        checked[where] = values
    by_path = {source.path: source for source in files}
    if not (_unchanged(raw, by_path) and _same_lines(regions, by_path)):
        return None
    for where, known in root_files.items():
        if not (isinstance(where, tuple) and len(where) == 2 and all(isinstance(part, str) for part in where)
                and isinstance(known, str)):
            return None
        if root_file_state(root, where[0], where[1]) != known:
            return None
    fresh = every_byte or (_unchanged(finished, by_path) and marked(files) == marks)
    return (findings, suppressed, checked, notes, raw, root_files, finished, marks, staged, regions), fresh


def _findings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(finding, Finding) for finding in value)


def _pathdigests_of(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(path, str) and isinstance(known, str)
                                           for path, known in value.items())


def _contexts(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(path, str) and isinstance(placed, tuple) and len(placed) == 2
        and isinstance(placed[0], Context) and isinstance(placed[1], str) for path, placed in value.items())


def _regions(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(path, str) and isinstance(read, tuple) and len(read) == 2 and isinstance(read[0], str)
        and isinstance(read[1], tuple) and all(
            isinstance(r, tuple) and len(r) == 3 and isinstance(r[0], int) and isinstance(r[1], int)
            and isinstance(r[2], str) for r in read[1])
        for path, read in value.items())


def _same_lines(regions: Regions, by_path: dict[str, SourceFile]) -> bool:
    """Every range of lines a rule read is as it was (a file with the digest noted is not read again)."""
    for path, (known, ranges) in regions.items():
        source = by_path.get(path)
        if source is None:
            return False
        if _raw_digest(source) == known:
            continue
        lines = source.unnoted_lines()
        if any(_lines_digest(lines, first, last) != digest for first, last, digest in ranges):
            return False
    return True


def _unchanged(digests: dict[str, str], by_path: dict[str, SourceFile]) -> bool:
    """Every one of these files is there with the digest noted."""
    return all(path in by_path and _raw_digest(by_path[path]) == known for path, known in digests.items())
