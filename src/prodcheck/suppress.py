"""Inline pragmas in every file kind: `# prodcheck: ignore[PC101] -- reason`, `ignore`, `ignore-file[...]`."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from prodcheck.model.finding import Finding

_PRAGMA = re.compile(
    r"#\s*prodcheck\s*:\s*(?P<kind>ignore-file|ignore)\b(?:\[(?P<codes>[^\]]*)\])?(?:\s*--\s*(?P<reason>.*))?",
    re.IGNORECASE,
)


@dataclass(slots=True)
class Pragma:
    path: str
    line: int
    column: int
    whole_file: bool
    selectors: tuple[str, ...]  # empty: every rule
    text: str
    used: bool = False

    def covers(self, finding: Finding) -> bool:
        if not self.selectors:
            return True
        return any(s.upper() == finding.code or s.lower() == finding.name for s in self.selectors)


@dataclass(slots=True)
class Pragmas:
    by_path: dict[str, list[Pragma]] = field(default_factory=dict)

    def add_from_text(self, path: str, text: str, comment_lines: set[int] | None = None) -> None:
        if "prodcheck" not in text:
            return
        for number, line in enumerate(text.splitlines(), 1):
            if "prodcheck" not in line:
                continue
            if comment_lines is not None and number not in comment_lines:
                continue
            self._add(path, number, line)

    def add_comments(self, path: str, comments: tuple[tuple[int, str], ...], lines: list[str]) -> None:
        for number, comment in comments:
            line = lines[number - 1] if 0 < number <= len(lines) else comment
            self._add(path, number, line if comment in line else comment)

    def _add(self, path: str, number: int, line: str) -> None:
        match = _PRAGMA.search(line)
        if not match:
            return
        codes = tuple(c.strip() for c in (match.group("codes") or "").split(",") if c.strip())
        self.by_path.setdefault(path, []).append(
            Pragma(path, number, match.start() + 1, match.group("kind").lower() == "ignore-file", codes, match.group(0))
        )

    def suppresses(self, finding: Finding) -> bool:
        hit = False
        for pragma in self.by_path.get(finding.path, ()):
            if not pragma.covers(finding):
                continue
            line = finding.span.line
            if pragma.whole_file or pragma.line == line or pragma.line == line - 1:
                pragma.used = True
                hit = True
        return hit

    def unused(self) -> list[Pragma]:
        return [p for pragmas in self.by_path.values() for p in pragmas if not p.used]
