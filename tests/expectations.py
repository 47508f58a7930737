"""What a test expects of a finding: `# expect:` markers in examples and fixtures, and snapshots.

A marker names where a rule fires and, optionally, what it says:

    CMD ["uvicorn", "app:app", "--reload"]  # expect: PC101 error col=31-39 conf=high msg="`--reload`" fix=none

- `PC101` the rule; alone on its own comment line, the marker points at the next code line;
- `error|warning|info` the severity;
- `col=S-E` the columns of the primary location (1-based, end exclusive, as in the JSON output);
- `conf=high|medium|low` the confidence; `fix=safe|unsafe|none` the fix;
- `msg="..."` a stable part of the message (repeatable: every part must occur);
- `related=path:line[,path:line]` the related locations, in order.

Everything a marker does not say is still pinned by the snapshot of the example: every finding of
the rule under test, rendered as text (location and span, severity, confidence, message, related
locations, fix and its edits), compared with `tests/snapshots/<suite>/<case>.txt`. After a
deliberate change of wording, regenerate them and review the diff, as with ruff's snapshots:

    PRODCHECK_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_rule_docs.py tests/test_core_fixtures.py
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from prodcheck.model.finding import Finding, Location

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("PRODCHECK_UPDATE_SNAPSHOTS") == "1"

_MARKER = re.compile(r"#\s*expect:\s*(?P<code>PC\d{3})(?P<rest>(?:\s+(?:[a-z]+=(?:\"[^\"]*\"|\S+)|error|warning|info))*)")
_FIELD = re.compile(r"(?P<key>[a-z]+)=(?:\"(?P<quoted>[^\"]*)\"|(?P<bare>\S+))|(?P<severity>error|warning|info)")
_KEYS = {"col", "conf", "fix", "msg", "related"}


@dataclass
class Marker:
    code: str
    severity: str | None = None
    columns: tuple[int, int] | None = None
    confidence: str | None = None
    fix: str | None = None
    messages: list[str] = field(default_factory=list)
    related: list[str] | None = None

    @classmethod
    def parse(cls, code: str, rest: str) -> Marker:
        marker = cls(code)
        for match in _FIELD.finditer(rest):
            if match.group("severity"):
                marker.severity = match.group("severity")
                continue
            key, value = match.group("key"), match.group("quoted") if match.group("quoted") is not None else match.group("bare")
            if key not in _KEYS:
                raise ValueError(f"unknown expectation field {key!r} (known: {sorted(_KEYS)})")
            if key == "col":
                start, _, end = value.partition("-")
                marker.columns = (int(start), int(end or start))
            elif key == "conf":
                marker.confidence = value
            elif key == "fix":
                marker.fix = value
            elif key == "msg":
                marker.messages.append(value)
            else:
                marker.related = value.split(",")
        return marker

    def mismatches(self, finding: Finding) -> list[str]:
        """What differs between this marker and a finding at its line."""
        out = []
        if self.severity is not None and finding.severity.label != self.severity:
            out.append(f"severity {finding.severity.label} != {self.severity}")
        if self.columns is not None:
            span = finding.span
            if (span.column, span.end_column) != self.columns:
                out.append(f"columns {span.column}-{span.end_column} != {self.columns[0]}-{self.columns[1]}")
        if self.confidence is not None and finding.confidence.name.lower() != self.confidence:
            out.append(f"confidence {finding.confidence.name.lower()} != {self.confidence}")
        if self.fix is not None and _fix_kind(finding) != self.fix:
            out.append(f"fix {_fix_kind(finding)} != {self.fix}")
        for part in self.messages:
            if part not in finding.message:
                out.append(f"message {finding.message!r} lacks {part!r}")
        if self.related is not None:
            related = [str(location) for location in finding.related]
            if related != self.related:
                out.append(f"related {related} != {self.related}")
        return out


def markers(files: dict[str, str]) -> dict[tuple[str, int], list[Marker]]:
    """(path, line) -> the markers that point at it."""
    expected: dict[tuple[str, int], list[Marker]] = {}
    for path, text in files.items():
        pending: list[Marker] = []
        for number, line in enumerate(text.splitlines(), 1):
            found = [Marker.parse(m.group("code"), m.group("rest")) for m in _MARKER.finditer(line)]
            only_comment = line.strip().startswith("#")
            if only_comment and found:
                pending.extend(found)  # a marker on its own line points at the next code line
                continue
            if only_comment or not line.strip():
                continue
            if pending or found:
                expected.setdefault((path, number), []).extend([*pending, *found])
            pending = []
    return expected


def _fix_kind(finding: Finding) -> str:
    if finding.fix is None:
        return "none"
    return "safe" if finding.fix.safe else "unsafe"


def _where(location: Location) -> str:
    span = location.span
    return f"{location.path}:{span.line}:{span.column}-{span.end_line}:{span.end_column}"


def render(findings: Iterable[Finding]) -> str:
    """Findings as the readable text a snapshot holds."""
    lines = []
    for finding in sorted(findings, key=Finding.sort_key):
        lines.append(f"{_where(finding.location)} {finding.code} {finding.severity.label} "
                     f"confidence={finding.confidence.name.lower()} context={finding.context.value}")
        lines.append(f"  message: {finding.message}")
        for location in finding.related:
            lines.append(f"  related: {_where(location)}" + (f" {location.label}" if location.label else ""))
        if finding.fix is not None:
            lines.append(f"  fix ({_fix_kind(finding)}): {finding.fix.title}")
            for edit in finding.fix.edits:
                lines.append(f"    edit {_where(Location(edit.path, edit.span))} -> {edit.text!r}")
    return "\n".join(lines) + "\n" if lines else ""


def check(findings: list[Finding], files: dict[str, str], code: str, snapshot_name: str,
          quiet_only: bool = False) -> None:
    """Findings of `code` must sit exactly at the markers, agree with them, and match the snapshot."""
    ours = [f for f in findings if f.code == code]
    expected = {key: [m for m in found if m.code == code] for key, found in markers(files).items()}
    expected = {key: found for key, found in expected.items() if found}
    at: dict[tuple[str, int], list[Finding]] = {}
    for finding in ours:
        at.setdefault((finding.path, finding.span.line), []).append(finding)
    if quiet_only:
        assert not at.keys() - expected.keys(), f"{code} must not fire here: {sorted(at.keys() - expected.keys())}"
    missing = sorted(expected.keys() - at.keys())
    extra = sorted(at.keys() - expected.keys())
    assert not missing, f"{code} expected at {missing}, found at {sorted(at)}"
    assert not extra, f"{code} fired at unmarked lines {extra}"
    problems = []
    for key, wanted in expected.items():
        got = at[key]
        assert len(got) == len(wanted), f"{code} fired {len(got)} times at {key}, expected {len(wanted)}"
        for marker, finding in zip(wanted, sorted(got, key=Finding.sort_key), strict=True):
            problems += [f"{key[0]}:{key[1]}: {p}" for p in marker.mismatches(finding)]
    assert not problems, "\n".join(problems)
    snapshot(render(ours), snapshot_name)


def snapshot(text: str, name: str) -> None:
    """Compare text with tests/snapshots/<name>.txt (or write it, with PRODCHECK_UPDATE_SNAPSHOTS=1)."""
    path = SNAPSHOTS / f"{name}.txt"
    if UPDATE:
        if text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        elif path.exists():
            path.unlink()
        return
    stored = path.read_text(encoding="utf-8") if path.exists() else ""
    assert text == stored, (f"findings differ from the snapshot {path.relative_to(SNAPSHOTS.parent)} "
                            "(if the change is deliberate: PRODCHECK_UPDATE_SNAPSHOTS=1 pytest ...)\n"
                            f"--- snapshot\n{stored}--- now\n{text}")
