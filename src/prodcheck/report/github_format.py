"""SPEC section 2: GitHub Actions workflow commands (`::error file=…::message`).

Every value that can carry text from a scanned file is escaped the way the runner unescapes it,
so no file name or message can end the command line and start another (`::set-env`,
`::add-mask`, `::stop-commands`). GitHub shows only 10 annotations of each level per step and
drops the rest silently: the budget goes to the most severe findings (findings whose own line
changed first under --diff-base), and one notice says how many were left out and where they are.
The complete list goes to $GITHUB_STEP_SUMMARY as a Markdown table when that variable is set.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from prodcheck.docs import doc_url
from prodcheck.engine import RunResult
from prodcheck.model.finding import Finding, Severity
from prodcheck.report.escape import visible
from prodcheck.report.paths import repository_base
from prodcheck.lazy_pattern import lazy

PER_LEVEL = 10  # annotations GitHub displays per level and step
SUMMARY_LIMIT = 900_000  # the step summary upload is refused above 1 MiB
_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
_ICON = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info"}


def escape_data(text: str) -> str:
    """Control characters made visible first: the log shows what the file holds, never runs it."""
    return visible(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **properties: object) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items() if value is not None)
    return f"::{level}{' ' + props if props else ''}::{escape_data(message)}"


def annotation(finding: Finding, prefix: str) -> str:
    span = finding.span
    properties: dict[str, object] = {"file": prefix + finding.path, "line": span.line}
    end_line = max(span.line, span.end_line)
    if end_line == span.line:
        # The runner drops col/endColumn when line and endLine differ.
        properties["col"] = span.column
        properties["endLine"] = end_line
        properties["endColumn"] = max(span.column, span.end_column)
    else:
        properties["endLine"] = end_line
    properties["title"] = f"{finding.code} {finding.name}"
    return command(_COMMAND[finding.severity], f"{finding.message}\n{doc_url(finding.code, finding.name)}",
                   **properties)


def _core_codes() -> frozenset[str]:
    from prodcheck.rules import all_rules

    return frozenset(code for code, rule in all_rules().items() if rule.meta.core)


def select(findings: list[Finding], primary_changed: Callable[[Finding], bool] | None = None,
           per_level: int = PER_LEVEL, core: frozenset[str] | None = None) -> tuple[list[Finding], int]:
    """The annotations to emit (most important first) and how many do not fit the budget.

    Within each level: the six core problems first, one finding of each rule before a second of
    any, then findings whose own line changed (--diff-base), then by confidence; the step summary
    lists everything left out.
    """
    core = _core_codes() if core is None else core
    ordered = sorted(findings, key=lambda f: (0 if primary_changed is None or primary_changed(f) else 1,
                                              -f.confidence, f.sort_key()))
    # The n-th finding of its rule: one of each rule first, so twelve of one kind cannot crowd out
    # the only finding of another.
    nth: dict[int, int] = {}
    per_rule: dict[tuple[Severity, str], int] = {}
    for finding in ordered:
        key = (finding.severity, finding.code)
        nth[id(finding)] = per_rule.get(key, 0)
        per_rule[key] = nth[id(finding)] + 1
    position = {id(f): number for number, f in enumerate(ordered)}
    ranked = sorted(findings, key=lambda f: (-f.severity, 0 if f.code in core else 1, nth[id(f)], position[id(f)]))
    by_level: dict[Severity, list[Finding]] = {}
    for finding in ranked:
        by_level.setdefault(finding.severity, []).append(finding)
    overflow = sum(max(0, len(group) - per_level) for group in by_level.values())
    if overflow and len(by_level.get(Severity.INFO, ())) >= per_level:
        # The closing notice needs a slot of the notice budget itself.
        overflow += 1
        notice_budget = per_level - 1
    else:
        notice_budget = per_level
    shown: list[Finding] = []
    for level in (Severity.ERROR, Severity.WARNING, Severity.INFO):
        budget = notice_budget if level == Severity.INFO else per_level
        shown.extend(by_level.get(level, [])[:budget])
    return shown, len(findings) - len(shown)


def render(result: RunResult, out: TextIO, *, changed: object = None, **_: object) -> None:
    _base, prefix = repository_base(result.root)
    primary = getattr(changed, "primary", None)
    shown, hidden = select(result.findings, primary)
    for finding in shown:
        out.write(annotation(finding, prefix) + "\n")
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if hidden:
        where = ("the job summary lists all of them" if summary_path else
                 "run `prodcheck check` locally or upload SARIF (`--format sarif`) to see all of them")
        out.write(command("notice", f"{hidden} more prodcheck finding{'s' if hidden != 1 else ''} not shown as "
                          f"annotations (GitHub shows {PER_LEVEL} per level): {where}",
                          title="prodcheck: more findings") + "\n")
    if not result.findings:
        out.write(f"prodcheck: {result.files} files checked, no findings\n")
    if summary_path:
        write_summary(Path(summary_path), result, prefix)


_MD_SPECIAL = lazy(r"[\\`*_{}\[\]()#!|~<>&$]")


def md_text(text: str) -> str:
    """Plain text that Markdown renders literally: no links, images, HTML, or table breaks."""
    text = visible(" ".join(text.replace("\r", " ").replace("\n", " ").split(" ")))
    escaped = []
    for char in text:
        if char == "&":
            escaped.append("&amp;")
        elif char == "<":
            escaped.append("&lt;")
        elif char == ">":
            escaped.append("&gt;")
        elif _MD_SPECIAL.fullmatch(char):
            escaped.append("\\" + char)
        else:
            escaped.append(char)
    return "".join(escaped)


def md_message(message: str) -> str:
    """A message keeps its `code` spans (as <code>), everything in it escaped."""
    parts = message.split("`")
    if len(parts) % 2 == 0:  # unbalanced backticks: the last one is literal
        parts[-2:] = [parts[-2] + "`" + parts[-1]]
    out = []
    for number, part in enumerate(parts):
        out.append(f"<code>{md_text(part)}</code>" if number % 2 else md_text(part))
    return "".join(out)


def summary_markdown(result: RunResult, prefix: str = "", limit: int = SUMMARY_LIMIT) -> str:
    findings = sorted(result.findings, key=lambda f: (-f.severity, f.sort_key()))
    counts = {level: sum(1 for f in findings if f.severity == level) for level in Severity}
    lines = ["## prodcheck", ""]
    if not findings:
        lines += [f"All checks passed: {result.files} files, no findings.", ""]
        return "\n".join(lines) + "\n"
    lines += [f"{len(findings)} finding{'s' if len(findings) != 1 else ''}: {counts[Severity.ERROR]} error, "
              f"{counts[Severity.WARNING]} warning, {counts[Severity.INFO]} info in {result.files} files.", "",
              "| Severity | Rule | Location | Message |", "| --- | --- | --- | --- |"]
    size = sum(len(line) + 1 for line in lines)
    for position, finding in enumerate(findings):
        location = f"{prefix}{finding.path}:{finding.span.line}"
        row = (f"| {_ICON[finding.severity]} | {md_text(finding.code)} "
               f"[{md_text(finding.name)}]({doc_url(finding.code, finding.name)}) | "
               f"<code>{md_text(location)}</code> | {md_message(finding.message)} |")
        if size + len(row) + 1 > limit:
            lines += ["", f"… and {len(findings) - position} more (the step summary is limited to 1 MiB): "
                          "run `prodcheck check` locally for the full list."]
            break
        lines.append(row)
        size += len(row) + 1
    lines.append("")
    return "\n".join(lines) + "\n"


def write_summary(path: Path, result: RunResult, prefix: str = "") -> None:
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(summary_markdown(result, prefix))
    except OSError as error:
        import sys

        print(f"prodcheck: cannot write the step summary to {path}: {error.strerror or error}", file=sys.stderr)
