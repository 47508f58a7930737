"""`--format concise`: one line per finding (`path:line:col: CODE [severity] message`), then a count.

For editors, grep and `wc -l`: no grouping, no code frames, no related lines, no colour.
"""
from __future__ import annotations

from typing import TextIO

from prodcheck.engine import RunResult
from prodcheck.model.finding import Severity
from prodcheck.report.escape import visible


def render(result: RunResult, out: TextIO, *, quiet: bool = False, **_: object) -> None:
    findings = [f for f in result.findings if not (quiet and f.severity == Severity.INFO)]
    for finding in findings:
        span = finding.span
        out.write(f"{visible(finding.path)}:{span.line}:{span.column}: {finding.code} [{finding.severity.label}] "
                  f"{visible(finding.message)}\n")
    count = len(findings)
    out.write(f"Found {count} finding{'s' if count != 1 else ''}.\n" if count else "All checks passed.\n")
