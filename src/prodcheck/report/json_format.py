"""SPEC section 2: the `json` format, version 1."""
from __future__ import annotations

import json
from typing import TextIO

from prodcheck import __version__
from prodcheck.engine import RunResult
from prodcheck.model.finding import Finding, Severity


def finding_dict(finding: Finding) -> dict[str, object]:
    span = finding.span
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.label,
        "path": finding.path,
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
        "message": finding.message,
        "context": finding.context.value,
        "context_reason": finding.context_reason,
        "fixable": finding.fix is not None,
        "confidence": finding.confidence.name.lower(),
        "fingerprint": finding.fingerprint(),
        "related": [
            {"path": r.path, "line": r.span.line, "column": r.span.column, "label": r.label}
            for r in finding.related if r.path
        ],
    }


def summary(result: RunResult) -> dict[str, int]:
    count = lambda level: sum(1 for f in result.findings if f.severity == level)
    return {
        "files": result.files,
        "findings": len(result.findings),
        "errors": count(Severity.ERROR),
        "warnings": count(Severity.WARNING),
        "infos": count(Severity.INFO),
    }


def render(result: RunResult, out: TextIO, **_: object) -> None:
    document: dict[str, object] = {
        "version": 1,
        "tool": {"name": "prodcheck", "version": __version__},
        "findings": [finding_dict(f) for f in result.findings],
        "summary": summary(result),
    }
    if result.notes:
        document["notes"] = list(result.notes)
    json.dump(document, out, indent=2, sort_keys=False)
    out.write("\n")
