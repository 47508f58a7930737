"""GitLab code quality report (a Code Climate JSON array): `artifacts: reports: codequality`."""
from __future__ import annotations

import hashlib
import json
from typing import TextIO

from prodcheck.docs import doc_url
from prodcheck.engine import RunResult
from prodcheck.model.finding import Finding, Severity
from prodcheck.report.paths import repository_base

_SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}
_CATEGORY = {"1": "Bug Risk", "2": "Security", "3": "Security", "4": "Bug Risk", "5": "Performance",
             "6": "Bug Risk", "7": "Compatibility", "0": "Style"}


def issue(finding: Finding, prefix: str, occurrence: int) -> dict[str, object]:
    # GitLab merges issues with equal fingerprints: the occurrence keeps identical lines apart.
    fingerprint = hashlib.md5(f"{finding.fingerprint()}:{occurrence}".encode(), usedforsecurity=False).hexdigest()
    categories = [_CATEGORY.get(finding.code[2:3], "Bug Risk")]
    return {
        "type": "issue",
        "check_name": f"{finding.code} {finding.name}",
        "description": finding.message,
        # Code Climate's optional explanation (Markdown), shown by GitLab: the rule's documentation.
        "content": {"body": f"[{finding.code} {finding.name}]({doc_url(finding.code, finding.name)})"},
        "categories": categories,
        "fingerprint": fingerprint,
        "severity": _SEVERITY[finding.severity],
        "location": {"path": prefix + finding.path, "lines": {"begin": finding.span.line,
                                                              "end": max(finding.span.line, finding.span.end_line)}},
    }


def render(result: RunResult, out: TextIO, **_: object) -> None:
    _base, prefix = repository_base(result.root)
    seen: dict[str, int] = {}
    issues = []
    for finding in result.findings:
        key = finding.fingerprint()
        seen[key] = seen.get(key, 0) + 1
        issues.append(issue(finding, prefix, seen[key]))
    # ensure_ascii: every control character (C1 too) travels as a \u escape, never raw.
    json.dump(issues, out, indent=2, ensure_ascii=True)
    out.write("\n")
