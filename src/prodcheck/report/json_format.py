"""SPEC section 2: the `json` format, version 1."""
from __future__ import annotations

from typing import TextIO

from prodcheck import __version__
from prodcheck.engine import RunResult
from prodcheck.docs import doc_url
from prodcheck.model.finding import Finding, Severity, mask_secret
from prodcheck.report.json_text import dumps_indented


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
        # ruff's shape: what the fix does, whether --fix applies it or it needs --unsafe-fixes, the edits.
        "fix": None if finding.fix is None else {
            "message": finding.fix.title,
            "applicability": "safe" if finding.fix.safe else "unsafe",
            "edits": [{"path": e.path, "line": e.span.line, "column": e.span.column, "end_line": e.span.end_line,
                       "end_column": e.span.end_column, "content": _masked(e.text, finding.secrets)}
                      for e in finding.fix.edits],
        },
        "url": doc_url(finding.code, finding.name),
        "confidence": finding.confidence.name.lower(),
        "fingerprint": finding.fingerprint(),
        "related": [
            {"path": r.path, "line": r.span.line, "column": r.span.column, "label": r.label}
            for r in finding.related if r.path
        ],
    }


def _masked(text: str, secrets: tuple[str, ...]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = mask_secret(text, secret)
    return text


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
    # One write of the whole text: `json.dump` writes every token on its own (275,000 writes for the
    # 7,000-file infra corpus, a third of the report's time); the text is `json.dumps(indent=2)`'s (json_text.py).
    out.write(dumps_indented(document) + "\n")
