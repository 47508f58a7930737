"""Human output: grouped by file, code frames on a terminal, never interpreting scanned text as markup."""
from __future__ import annotations

import os
from collections import Counter
from typing import TextIO

from prodcheck.docs import doc_url
from prodcheck.engine import RunResult
from prodcheck.model.finding import Severity
from prodcheck.report.escape import finding as visible_finding
from prodcheck.report.escape import visible
from prodcheck.report.masking import masked_line

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render(result: RunResult, out: TextIO, *, color: bool | None = None, frames: bool | None = None,
           quiet: bool = False, statistics: bool = False, explain_context: bool = False, **_: object) -> None:
    from rich.console import Console
    from rich.text import Text

    terminal = out.isatty() if hasattr(out, "isatty") else False
    no_color = "NO_COLOR" in os.environ and os.environ["NO_COLOR"] != ""
    use_color = (terminal if color is None else color) and not no_color
    console = Console(file=out, force_terminal=use_color, no_color=not use_color, highlight=False,
                      soft_wrap=True, emoji=False, markup=False, width=10_000 if not terminal else None)
    show_frames = terminal if frames is None else frames
    current = None
    # -q hides info findings, and the counts below are of what is shown.
    findings = [f for f in result.findings if not (quiet and f.severity == Severity.INFO)]
    for original in findings:
        finding = visible_finding(original)
        if finding.path != current and not quiet:
            if current is not None:
                console.print()
            current = finding.path
        span = finding.span
        line = Text()
        line.append(f"{finding.path}:{span.line}:{span.column}: ", style="bold")
        code_style = _STYLE[finding.severity]
        if use_color:  # a terminal hyperlink (OSC 8) to the rule's documentation, as ruff does
            code_style += f" link {doc_url(finding.code, finding.name)}"
        line.append(finding.code, style=code_style)
        line.append(f" [{finding.severity.label}] ", style=_STYLE[finding.severity])
        line.append(finding.message)
        console.print(line)
        source_line = result.source_line(original.path, span.line) if show_frames else None
        if source_line is not None:
            masked = masked_line(original, source_line, result.secrets_on(original.path, span.line))
            code = visible(masked)
            # The caret under the flagged columns, counted in the escaped text.
            start = len(visible(masked[:span.column - 1])) if span.column > 1 else 0
            if span.end_line == span.line:
                width = len(visible(masked[span.column - 1:max(span.column, span.end_column) - 1]))
            else:
                width = len(code) - start
            frame = Text(f"  {span.line:>4} | ", style="dim")
            frame.append(code)
            console.print(frame)
            console.print(Text(" " * (9 + start) + "^" * min(max(1, width), 200), style=_STYLE[finding.severity]))
        for related in finding.related:
            if related.path and not quiet:
                console.print(Text(f"    {related.path}:{related.span.line}: {related.label}", style="dim"))
        if explain_context and finding.context_reason:
            console.print(Text(f"    context {finding.context.value}: {finding.context_reason}", style="dim"))
    if statistics:
        counts = Counter((f.code, f.name) for f in findings)
        console.print()
        for (code, name), number in sorted(counts.items()):
            console.print(Text(f"{number:>5}  {code} {visible(name)}"))
    errors = sum(1 for f in findings if f.severity == Severity.ERROR)
    warnings = sum(1 for f in findings if f.severity == Severity.WARNING)
    infos = len(findings) - errors - warnings
    if findings:
        console.print()
        console.print(Text(f"Found {len(findings)} finding{'s' if len(findings) != 1 else ''} "
                           f"({errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}, "
                           f"{infos} info) in {result.files} files.", style="bold"))
        first = findings[0]
        console.print(Text(f"Run `prodcheck rule {first.code}` (or any code) for details and fixes; documentation: "
                           f"{doc_url(first.code, first.name)}", style="dim"))
    else:
        console.print(Text(f"All checks passed: {result.files} files, no findings.", style="bold green"))
    for note in result.notes:
        console.print(Text(f"Note: {visible(note)}.", style="dim"))  # notes quote chart folders and helm's errors
