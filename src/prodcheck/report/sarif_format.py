"""SPEC section 2: SARIF 2.1.0 for GitHub code scanning and any SARIF viewer.

Every registered rule is listed in `tool.driver.rules` (so alerts can be explained even for
rules that found nothing this run); results carry a stable `partialFingerprints` entry, relative
URIs against `%SRCROOT%`, and never a source snippet (messages are masked by the rules).
"""
from __future__ import annotations

import json
from typing import TextIO
from urllib.parse import quote

from prodcheck import __version__
from prodcheck.engine import RunResult
from prodcheck.model.finding import Finding, Location, Severity
from prodcheck.report.paths import repository_base
from prodcheck.rules.base import RuleMeta

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
MAX_RESULTS = 25_000  # GitHub code scanning rejects more results per run
SRCROOT = "%SRCROOT%"
INFORMATION_URI = "https://pypi.org/project/prodcheck/"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_PROBLEM_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "recommendation"}
_FAMILY = {"0": "meta", "1": "runtime", "2": "container", "3": "secrets", "4": "database",
           "5": "concurrency", "6": "health", "7": "supply-chain"}


def _rules() -> list[RuleMeta]:
    from prodcheck.rules import all_rules

    return [rule.meta for rule in all_rules().values()]


def rule_descriptor(meta: RuleMeta) -> dict[str, object]:
    from prodcheck import docs

    text = docs.doc_text(meta)
    flags = docs.section(text, "What it flags") or meta.summary
    tags = ["prodcheck", _FAMILY.get(meta.code[2:3], "other")]
    properties: dict[str, object] = {"problem.severity": _PROBLEM_SEVERITY[meta.severity], "precision": "high"}
    if meta.security is not None:
        tags.append("security")
        properties["security-severity"] = f"{meta.security:.1f}"
    else:
        tags.append("reliability")
    if meta.core:
        tags.append("core")
    properties["tags"] = tags
    return {
        "id": meta.code,
        "name": meta.name,
        "shortDescription": {"text": meta.summary},
        "fullDescription": {"text": _plain(flags), "markdown": flags},
        "help": {"text": _plain(flags) + f"\n\nRun `prodcheck rule {meta.code}` for details, or see "
                                         f"{docs.doc_url(meta.code, meta.name)}",
                 "markdown": docs.body(text)},
        "helpUri": docs.doc_url(meta.code, meta.name),
        "defaultConfiguration": {"level": _LEVEL[meta.severity]},
        "properties": properties,
    }


def _plain(markdown: str) -> str:
    return " ".join(markdown.replace("`", "").split())


def _uri(prefix: str, path: str) -> str:
    return quote(prefix + path, safe="/")


def _physical(prefix: str, location: Location) -> dict[str, object]:
    span = location.span
    region: dict[str, int] = {"startLine": max(1, span.line), "startColumn": max(1, span.column),
                              "endLine": max(span.line, span.end_line, 1)}
    end_column = span.end_column if span.end_line > span.line else max(span.end_column, span.column)
    region["endColumn"] = max(1, end_column)
    return {"artifactLocation": {"uri": _uri(prefix, location.path), "uriBaseId": SRCROOT}, "region": region}


def result_object(finding: Finding, index: int, prefix: str, occurrence: int = 1) -> dict[str, object]:
    result: dict[str, object] = {
        "ruleId": finding.code,
        "ruleIndex": index,
        "level": _LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": _physical(prefix, finding.location)}],
        # The occurrence keeps identical-looking results in one file apart (13 equal lines are 13
        # alerts, not one), as GitHub's own primaryLocationLineHash does with its `:N` suffix.
        "partialFingerprints": {"prodcheck/v1": f"{finding.fingerprint()}:{occurrence}"},
        "properties": {"confidence": finding.confidence.name.lower(), "context": finding.context.value,
                       "fixable": finding.fix is not None},
    }
    related = [r for r in finding.related if r.path]
    if related:
        result["relatedLocations"] = [
            {"id": number, "physicalLocation": _physical(prefix, r),
             "message": {"text": r.label or f"{r.path}:{r.span.line}"}}
            for number, r in enumerate(related, 1)
        ]
    return result


def automation_id(category: str) -> str:
    """`runAutomationDetails.id` for a category, as `codeql database analyze --sarif-category` writes it."""
    return category if category.endswith("/") else category + "/"


def results(findings: list[Finding], index: dict[str, int], prefix: str) -> list[dict[str, object]]:
    seen: dict[str, int] = {}
    out = []
    for finding in findings:
        key = finding.fingerprint()
        seen[key] = seen.get(key, 0) + 1
        out.append(result_object(finding, index.get(finding.code, -1), prefix, seen[key]))
    return out


def document(result: RunResult, category: str | None = None) -> dict[str, object]:
    metas = _rules()
    index = {meta.code: position for position, meta in enumerate(metas)}
    base, prefix = repository_base(result.root)
    findings = result.findings
    notifications: list[dict[str, object]] = []
    if len(findings) > MAX_RESULTS:
        # Keep the most severe: code scanning drops whole uploads above the limit.
        ranked = sorted(findings, key=lambda f: (-f.severity, -f.confidence, f.sort_key()))
        findings = sorted(ranked[:MAX_RESULTS], key=lambda f: f.sort_key())
        notifications.append({"level": "warning", "message": {
            "text": f"{len(result.findings) - MAX_RESULTS} of {len(result.findings)} results omitted: "
                    f"SARIF uploads are limited to {MAX_RESULTS} results; run prodcheck locally for the full list"}})
    for message in result.internal_errors:
        notifications.append({"level": "error", "message": {"text": message.splitlines()[0]}})
    invocation: dict[str, object] = {"executionSuccessful": not result.internal_errors}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run = {
        "tool": {"driver": {
            "name": "prodcheck",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": INFORMATION_URI,
            "rules": [rule_descriptor(meta) for meta in metas],
        }},
        "originalUriBaseIds": {SRCROOT: {"uri": base.as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",
        "invocations": [invocation],
        "results": results(findings, index, prefix),
    }
    if category:
        # None by default: the upload step's `category:` then decides; with one, two prodcheck jobs
        # (two services of a monorepo) keep their alerts apart.
        run["automationDetails"] = {"id": automation_id(category)}
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(result: RunResult, out: TextIO, *, sarif_category: str | None = None, **_: object) -> None:
    # ensure_ascii: every control character (C1 too) travels as a \u escape, never raw.
    json.dump(document(result, sarif_category), out, indent=2, sort_keys=True, ensure_ascii=True)
    out.write("\n")
