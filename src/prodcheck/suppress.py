"""Inline pragmas in every file kind: `# prodcheck: ignore[PC101] -- reason`, `ignore`, `ignore-file[...]`.

A pragma at the end of a line covers findings that start on that line; a pragma alone on its line
also covers the line directly below it (Dockerfiles, where a trailing `#` is not a comment, need
that form). `ignore-file[...]` anywhere covers the whole file. Codes and names are both accepted.
Pragmas that suppress nothing among the enabled rules become PC001 unused-suppression findings.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import field

from prodcheck.model.finding import Finding
from prodcheck.lazy_pattern import lazy
from prodcheck.model.record import slotted

_PRAGMA = lazy(
    r"#\s*prodcheck\s*:\s*(?P<kind>ignore-file|ignore)(?![\w-])(?:\s*\[(?P<codes>[^\]]*)\])?"
    r"(?:\s*--\s*(?P<reason>.*))?",
    re.IGNORECASE,
)


@slotted
class Pragma:
    path: str
    line: int
    column: int
    whole_file: bool
    selectors: tuple[str, ...]  # empty: every rule
    text: str
    own_line: bool = True  # nothing but whitespace before the comment
    reason: str = ""
    used: bool = False
    used_selectors: set[str] = field(default_factory=set)

    def matching(self, finding: Finding) -> list[str] | None:
        """The selectors that name this finding's rule ([] for a bare pragma); None if none does."""
        if not self.selectors:
            return []
        hits = [s for s in self.selectors if s.upper() == finding.code or s.lower() == finding.name]
        return hits or None

    def covers(self, finding: Finding) -> bool:
        return self.matching(finding) is not None

    def applies_to_line(self, line: int) -> bool:
        return self.whole_file or self.line == line or (self.own_line and self.line == line - 1)

    @property
    def label(self) -> str:
        what = f"[{', '.join(self.selectors)}]" if self.selectors else ""
        return f"prodcheck: {'ignore-file' if self.whole_file else 'ignore'}{what}"


@slotted
class Unused:
    """A pragma, or some of its selectors, that suppressed nothing: one PC001 finding."""

    pragma: Pragma
    message: str


@slotted
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
            if comment in line:
                self._add(path, number, line, start=line.rindex(comment))
            else:
                self._add(path, number, comment)

    def _add(self, path: str, number: int, line: str, start: int = 0) -> None:
        match = _PRAGMA.search(line, start)
        if not match:
            return
        codes = tuple(c.strip() for c in (match.group("codes") or "").split(",") if c.strip())
        self.by_path.setdefault(path, []).append(Pragma(
            path, number, match.start() + 1, match.group("kind").lower() == "ignore-file", codes,
            match.group(0).rstrip(), own_line=not line[:match.start()].strip(),
            reason=(match.group("reason") or "").strip(),
        ))

    def suppresses(self, finding: Finding) -> bool:
        hit = False
        for pragma in self.by_path.get(finding.path, ()):
            if not pragma.applies_to_line(finding.span.line):
                continue
            selectors = pragma.matching(finding)
            if selectors is None:
                continue
            pragma.used = True
            pragma.used_selectors.update(selectors)
            hit = True
        return hit

    def unused(self) -> list[Pragma]:
        return [p for pragmas in self.by_path.values() for p in pragmas if not p.used]

    def unused_reports(self, resolve: Callable[[str], str | None],
                       enabled: Callable[[str, str], bool]) -> list[Unused]:
        """PC001 candidates. `resolve` maps a selector to a rule code (None: no such rule);
        `enabled(code, path)` says whether that rule ran on that file (a pragma for a rule turned
        off by --select, --ignore or per-file-ignores is not reported: it may matter elsewhere)."""
        reports: list[Unused] = []
        for pragmas in self.by_path.values():
            for pragma in pragmas:
                if not pragma.selectors:
                    if not pragma.used:
                        reports.append(Unused(pragma, f"`{pragma.label}` suppresses nothing; remove it"))
                    continue
                unknown = [s for s in pragma.selectors if resolve(s) is None]
                idle = [s for s in pragma.selectors
                        if s not in pragma.used_selectors and (code := resolve(s)) is not None
                        and enabled(code, pragma.path)]
                if unknown:
                    names = ", ".join(f"`{s}`" for s in unknown)
                    reports.append(Unused(pragma, f"`{pragma.label}` names no prodcheck rule: {names}; "
                                                  "`prodcheck rules` lists them"))
                elif idle and len(idle) == len(pragma.selectors):
                    reports.append(Unused(pragma, f"`{pragma.label}` suppresses nothing; remove it"))
                elif idle:
                    names = ", ".join(f"`{s}`" for s in idle)
                    reports.append(Unused(pragma, f"{names} in `{pragma.label}` suppresses nothing; remove it"))
        return reports
