"""Apply the fixes findings carry: plan per file, refuse what is unsafe, iterate until stable.

A fix is applied only when
- its file is a regular file inside the scanned root, reached through no symbolic link (so no fix
  ever writes outside the user's repository),
- the file parses before the edit (a file with parse errors is never touched) and after it
  (Python compiled, YAML loaded with ruamel.yaml's round-trip loader, Dockerfiles parsed),
- none of its edits overlaps an edit already accepted for that file in this round.
`--fix` re-runs the analysis after each round and applies what the new state offers, at most
MAX_ROUNDS times (ruff's loop); `--diff` shows one round and writes nothing.
"""
from __future__ import annotations

import difflib
import os
import warnings
from collections.abc import Callable, Iterable
from dataclasses import field
from pathlib import Path

from prodcheck.model.record import slotted
from prodcheck.safe_read import read_bytes
from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Edit, Finding, Fix

MAX_ROUNDS = 10


@slotted
class FileChange:
    path: str
    before: str
    after: str
    fixes: int


@slotted
class Outcome:
    changes: dict[str, FileChange] = field(default_factory=dict)
    fixed: int = 0
    refused: list[str] = field(default_factory=list)

    def diff(self) -> str:
        out: list[str] = []
        for path in sorted(self.changes):
            change = self.changes[path]
            out.extend(difflib.unified_diff(change.before.splitlines(keepends=True),
                                            change.after.splitlines(keepends=True), f"a/{path}", f"b/{path}"))
            if out and not out[-1].endswith("\n"):
                out[-1] += "\n\\ No newline at end of file\n"
        return "".join(out)


def fixes_to_apply(findings: Iterable[Finding], unsafe: bool) -> list[Fix]:
    """Fixes of production findings (a fix never rewrites what development runs), safe ones unless asked."""
    return [f.fix for f in findings
            if f.fix is not None and f.fix.edits and f.context == Context.PROD and (f.fix.safe or unsafe)]


def target(root: Path, path: str) -> Path | None:
    """The file to edit, or None when it is outside the root, behind a symlink, or not a regular file."""
    if not path or path.startswith("/") or "\\" in path or any(part in ("", ".", "..") for part in path.split("/")):
        return None
    current = root
    for part in path.split("/"):
        current = current / part
        if current.is_symlink():
            return None
    try:
        resolved = current.resolve(strict=True)
    except OSError:
        return None
    if not resolved.is_file() or root.resolve() not in resolved.parents:
        return None
    return current


def parses(path: str, text: str) -> bool:
    """The text is a valid file of its kind (the check every fix passes before and after)."""
    from prodcheck.discovery.classify import classify

    kind = classify(path)
    name = path.rsplit("/", 1)[-1].lower()
    if kind in (FileKind.PYTHON, FileKind.GUNICORN_CONF) or name.endswith(".py"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(text, path, "exec", dont_inherit=True)  # compiled, never executed
        except (SyntaxError, ValueError):
            return False
        import libcst

        try:
            libcst.parse_module(text)
        except Exception:  # libcst's ParserSyntaxError and friends
            return False
        return True
    if name.endswith((".yml", ".yaml")):
        from ruamel.yaml import YAML

        try:
            list(YAML(typ="rt").load_all(text))
        except Exception:  # ruamel.yaml's scanner, parser and composer errors
            return False
        return True
    if kind == FileKind.DOCKERFILE:
        from prodcheck.parsing import ParseError
        from prodcheck.parsing.dockerfile import parse

        try:
            parse(path, text)
        except ParseError:
            return False
        return True
    return "\0" not in text


def _offsets(text: str) -> list[int]:
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    return starts


def _offset(starts: list[int], text: str, line: int, column: int) -> int:
    if line > len(starts):
        return len(text)
    start = starts[line - 1]
    stop = starts[line] if line < len(starts) else len(text)
    return min(start + column - 1, stop)


def apply_fixes(text: str, fixes: list[Fix], path: str) -> tuple[str, int]:
    """The text with every non-overlapping fix for `path` applied (whole fixes only), and how many."""
    starts = _offsets(text)
    accepted: list[tuple[int, int, Edit]] = []
    applied = 0

    def ranges(fix: Fix) -> list[tuple[int, int, Edit]]:
        return [(_offset(starts, text, e.span.line, e.span.column), _offset(starts, text, e.span.end_line, e.span.end_column), e)
                for e in fix.edits]

    ordered = sorted(fixes, key=lambda fix: min((e.span.line, e.span.column) for e in fix.edits))
    for fix in ordered:
        if any(e.path != path for e in fix.edits):
            continue  # a multi-file fix is applied by the file it starts in only when all are here
        mine = ranges(fix)
        if any(start > stop for start, stop, _ in mine):
            continue
        clash = any((start < b_stop and b_start < stop) or (start == stop == b_start == b_stop)
                    for start, stop, _ in mine for b_start, b_stop, _ in accepted)
        if clash:
            continue
        accepted.extend(mine)
        applied += 1
    for start, stop, edit in sorted(accepted, key=lambda item: (item[0], item[1]), reverse=True):
        text = text[:start] + edit.text + text[stop:]
    return text, applied


def plan(root: Path, findings: Iterable[Finding], unsafe: bool) -> Outcome:
    """One round: every file's new text, checked, nothing written."""
    outcome = Outcome()
    by_path: dict[str, list[Fix]] = {}
    for fix in fixes_to_apply(findings, unsafe):
        by_path.setdefault(fix.edits[0].path, []).append(fix)
    for path, fixes in sorted(by_path.items()):
        file = target(root, path)
        if file is None:
            outcome.refused.append(f"{path}: not a regular file inside the project (or reached through a link)")
            continue
        try:
            before = read_bytes(file).decode("utf-8")  # never a link, never blocks on a FIFO
        except (OSError, UnicodeDecodeError):
            outcome.refused.append(f"{path}: cannot be read as UTF-8")
            continue
        if not parses(path, before):
            outcome.refused.append(f"{path}: has parse errors; fix them first")
            continue
        after, count = apply_fixes(before, fixes, path)
        if count == 0 or after == before:
            continue
        if not parses(path, after):
            outcome.refused.append(f"{path}: the fixes would leave it unparseable; nothing changed")
            continue
        outcome.changes[path] = FileChange(path, before, after, count)
        outcome.fixed += count
    return outcome


def write(root: Path, outcome: Outcome) -> None:
    for path, change in outcome.changes.items():
        file = target(root, path)
        if file is None:
            continue
        temporary = file.with_name(f".{file.name}.prodcheck-fix")
        try:
            temporary.write_bytes(change.after.encode("utf-8"))
            os.chmod(temporary, file.stat().st_mode & 0o7777)
            temporary.replace(file)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise OSError(f"{path}: cannot write: {error.strerror or error}") from None


def fix_until_stable(root: Path, analyse: Callable[[], list[Finding]], unsafe: bool,
                     max_rounds: int = MAX_ROUNDS) -> tuple[Outcome, list[Finding]]:
    """Apply, re-analyse, apply again until nothing changes (bounded); the total and the last findings."""
    total = Outcome()
    originals: dict[str, str] = {}
    findings = analyse()
    for _ in range(max_rounds):
        outcome = plan(root, findings, unsafe)
        total.refused = outcome.refused
        if not outcome.changes:
            break
        write(root, outcome)
        total.fixed += outcome.fixed
        for path, change in outcome.changes.items():
            originals.setdefault(path, change.before)
            total.changes[path] = FileChange(path, originals[path], change.after,
                                             change.fixes + (total.changes[path].fixes if path in total.changes else 0))
        findings = analyse()
    return total, findings
