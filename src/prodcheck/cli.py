"""Command line: `prodcheck .`, `prodcheck check PATH...`, `prodcheck rule X`, `prodcheck rules`."""
from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from prodcheck import __version__

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.progress import TaskID

    from prodcheck.diff import ChangedLines
    from prodcheck.engine import RunResult
    from prodcheck.model.finding import Finding

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _DefaultToCheck(click.Group):
    """`prodcheck PATH` means `prodcheck check PATH`, as `ruff PATH` once did."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in {"--help", "-h", "--version"}):
            args = ["check", *args]
        return super().parse_args(ctx, args)


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def _git_root(path: Path) -> Path | None:
    start = path if path.is_dir() else path.parent
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


def _find_root(paths: list[Path]) -> tuple[Path, list[str]]:
    """The project root to model, and the paths (relative to it) whose findings are reported.
    Paths of different projects (two repositories, or folders outside any repository with no given
    folder holding the others) are a usage error: modelling their common parent would read unrelated
    files as one project, and dropping one would report nothing about it without saying so."""
    resolved = [p.resolve() for p in paths]
    if len(resolved) == 1 and resolved[0].is_dir():
        return resolved[0], []
    roots = {_git_root(p) for p in resolved}
    if len(roots) > 1:
        _usage_error("the paths are in different projects (" + ", ".join(
            sorted(str(r) if r is not None else "outside any git repository" for r in roots)) +
            "): check them one at a time")
    root = next(iter(roots))
    if root is None:
        cwd = Path.cwd().resolve()
        if all(p == cwd or cwd in p.parents for p in resolved):
            root = cwd
        else:
            common = Path(os.path.commonpath(resolved))
            folders = {p if p.is_dir() else p.parent for p in resolved}
            if common not in folders:
                _usage_error(f"the paths are not inside one project folder: give the project's folder "
                             f"(their common folder is {common}), or check them one at a time")
            root = common
    only = []
    for path in resolved:
        relative = path.relative_to(root).as_posix()
        only.append("" if relative == "." else relative)
    return root, only


@click.group(cls=_DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="prodcheck", message="%(prog)s %(version)s")
def main() -> None:
    """prodcheck: production-readiness audit for FastAPI / ASGI services on PostgreSQL."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "concise", "json", "sarif", "github", "gitlab", "junit"]),
              default="text", show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), help="Write the report to FILE.")
@click.option("--select", multiple=True, help="Only these rules: codes, names or prefixes (PC4), comma-separated.")
@click.option("--extend-select", multiple=True,
              help="Rules to add to the selection (configured or --select): codes, names or prefixes.")
@click.option("--min-confidence", type=click.Choice(["low", "medium", "high"]), default=None,
              help="Report only findings at or above this confidence (default: all).")
@click.option("--color", "color_mode", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour in the text report (`auto`: on a terminal, unless NO_COLOR is set).")
@click.option("--ignore", multiple=True, help="Skip these rules: codes, names or prefixes, comma-separated.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default=None,
              help="Lowest severity that makes the exit code 1 (default: warning).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False), help="Configuration file.")
@click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False), help="Report only findings not in FILE.")
@click.option("--write-baseline", type=click.Path(path_type=Path, dir_okay=False), help="Record today's findings in FILE.")
@click.option("--diff-base", metavar="REF", default=None,
              help="Report only findings on lines changed since the git ref REF (pull-request mode).")
@click.option("--sarif-category", metavar="CATEGORY", default=None,
              help="SARIF runAutomationDetails.id, to keep several prodcheck analyses apart in code scanning "
                   "(as `codeql database analyze --sarif-category`). Default: none.")
@click.option("--fix", is_flag=True, help="Apply the safe fixes, then report what is left.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Print the safe fixes as a unified diff and change nothing (exit 1 when there are any).")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff, also the fixes that may change behaviour.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the cache.")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Cache folder (default: $PRODCHECK_CACHE_DIR, else the user's cache folder).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Parallel parser processes.")
@click.option("--max-connections", type=click.IntRange(min=1), default=None,
              help="The database's max_connections when the repository does not state it.")
@click.option("--quiet", "-q", is_flag=True, help="Only findings at warning or above, no summary detail.")
@click.option("--statistics", is_flag=True, help="Count findings per rule.")
@click.option("--explain-context", is_flag=True,
              help="Under each finding, why its file counts as production, development, test or ambiguous.")
def check(paths: tuple[Path, ...], output_format: str, output: Path | None, select: tuple[str, ...],
          extend_select: tuple[str, ...], min_confidence: str | None, color_mode: str, ignore: tuple[str, ...], fail_on: str | None, exit_zero: bool, config_file: Path | None,
          baseline: Path | None, write_baseline: Path | None, diff_base: str | None, sarif_category: str | None,
          fix: bool, show_diff: bool, unsafe_fixes: bool, no_cache: bool, cache_dir: Path | None, jobs: int | None,
          max_connections: int | None, quiet: bool, statistics: bool, explain_context: bool = False) -> None:
    """Audit PATHS (default: the current folder)."""
    from prodcheck import baseline as baseline_file
    from prodcheck import engine, settings as settings_module
    from prodcheck.model.finding import Severity
    from prodcheck.report import reporter
    from prodcheck.rules import is_known_selector

    targets = list(paths) or [Path(".")]
    missing = [str(p) for p in targets if not p.exists()]
    if missing:
        _usage_error(f"no such file or folder: {missing[0]}")
    root, only = _find_root(targets)
    try:
        config_path = config_file or settings_module.find_config(root)
        if config_file is not None and not config_file.is_file():
            raise settings_module.ConfigError(f"{config_file}: configuration file not found")
        # A configuration found in the project is read only from inside its folder (never through a
        # link out of it); one named with --config is the user's choice.
        inside = None if config_file or not config_path else config_path.parent
        settings = settings_module.load(config_path, inside) if config_path else settings_module.Settings()
        selected, ignored, extended = _split(select), _split(ignore), _split(extend_select)
        for selector in (*selected, *ignored, *extended):
            if not is_known_selector(selector):
                raise settings_module.ConfigError(
                    f"unknown rule {selector!r} in --select/--ignore/--extend-select{did_you_mean(selector)}; "
                    "see `prodcheck rules`")
        base = selected or settings.select
        if extended and base:
            selected = (*base, *extended)  # with no selection every rule runs already
        settings = settings.with_overrides(
            select=selected or None, ignore=(settings.ignore + ignored) if ignored else None,
            fail_on=Severity.parse(fail_on) if fail_on else None, max_connections=max_connections,
            use_cache=False if no_cache else None, jobs=jobs, cache_dir=str(cache_dir) if cache_dir else None,
        )
        known = baseline_file.load(baseline) if baseline else None
    except settings_module.ConfigError as error:
        _usage_error(str(error))
    changed = None
    if diff_base is not None:
        from prodcheck.diff import DiffError, changed_lines

        try:
            changed = changed_lines(root, diff_base)
        except DiffError as error:
            _usage_error(str(error))

    progress = _progress_bar(output_format)
    try:
        # With --write-baseline the whole current state is recorded; --baseline then filters it.
        result = engine.run(root, settings, only=only, baseline=None if write_baseline else known,
                            progress=progress.update if progress else None)
    finally:
        if progress:
            progress.close()
    if write_baseline:
        # Writing a baseline is the whole job: the file, one status line on stderr, exit 0.
        try:
            baseline_file.write(write_baseline, result.findings)
        except settings_module.ConfigError as error:
            _usage_error(str(error))
        count = len(result.findings)
        click.echo(f"prodcheck: recorded {count} finding{'s' if count != 1 else ''} in {write_baseline}", err=True)
        sys.exit(EXIT_OK)
    if changed is not None:
        result.findings = changed.filter(result.findings)
    if min_confidence is not None:
        from prodcheck.model.finding import Confidence

        floor = Confidence[min_confidence.upper()]
        result.findings = [f for f in result.findings if f.confidence >= floor]
    if fix or show_diff:
        result = _fix(root, result, lambda: engine.run(root, settings, only=only, baseline=known), changed,
                      unsafe_fixes, write=fix and not show_diff)
    render = reporter(output_format)
    if output is not None:
        try:
            handle = output.open("w", encoding="utf-8")
        except OSError as error:
            _usage_error(f"cannot write {output}: {error.strerror or error}")
        with handle:
            render(result, handle, quiet=quiet, statistics=statistics, explain_context=explain_context, color=False,
                   frames=False, changed=changed, sarif_category=sarif_category)
    else:
        color = {"auto": None, "always": True, "never": False}[color_mode]
        render(result, sys.stdout, quiet=quiet, statistics=statistics, changed=changed, sarif_category=sarif_category,
               color=color, explain_context=explain_context)
    failing = [f for f in result.findings if f.severity >= settings.fail_on]
    sys.exit(EXIT_OK if exit_zero or not failing else EXIT_FINDINGS)


def _fix(root: Path, result: RunResult, analyse: Callable[[], RunResult], changed: ChangedLines | None,
         unsafe: bool, write: bool) -> RunResult:
    """--diff: print the safe fixes as a unified diff and exit; --fix: apply them, then report what is left."""
    from prodcheck.fix import apply

    def findings() -> list[Finding]:
        current = analyse()
        result.findings = changed.filter(current.findings) if changed is not None else current.findings
        return result.findings

    if not write:
        outcome = apply.plan(root, result.findings, unsafe)
        sys.stdout.write(outcome.diff())
        for message in outcome.refused:
            click.echo(f"prodcheck: not fixed: {message}", err=True)
        click.echo(f"prodcheck: would fix {outcome.fixed} finding{'s' if outcome.fixed != 1 else ''}"
                   f"{_hidden_unsafe(result.findings, unsafe)}", err=True)
        sys.exit(EXIT_FINDINGS if outcome.changes else EXIT_OK)
    try:
        total, _ = apply.fix_until_stable(root, findings, unsafe)
    except OSError as error:
        _usage_error(str(error))
    for message in total.refused:
        click.echo(f"prodcheck: not fixed: {message}", err=True)
    click.echo(f"prodcheck: fixed {total.fixed} finding{'s' if total.fixed != 1 else ''} in {len(total.changes)} "
               f"file{'s' if len(total.changes) != 1 else ''}{_hidden_unsafe(result.findings, unsafe)}", err=True)
    return result


def _hidden_unsafe(findings: list[Finding], unsafe: bool) -> str:
    hidden = 0 if unsafe else sum(1 for f in findings if f.fix is not None and not f.fix.safe)
    return f" ({hidden} more with --unsafe-fixes)" if hidden else ""


def did_you_mean(selector: str) -> str:
    """` (did you mean `PC101`?)` for a mistyped rule code or name, else ""."""
    import difflib

    from prodcheck.rules import all_rules

    metas = [rule.meta for rule in all_rules().values()]
    probe = selector.upper() if selector[:2].lower() == "pc" else selector.lower()
    close = difflib.get_close_matches(probe, [m.code for m in metas] + [m.name for m in metas], n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _usage_error(message: str) -> NoReturn:
    from prodcheck.report.escape import visible

    click.echo(f"prodcheck: error: {visible(message)}", err=True)
    sys.exit(EXIT_USAGE)


class _Progress:
    def __init__(self) -> None:
        from rich.progress import Progress

        from rich.console import Console

        # stderr only: `prodcheck . > report.txt` keeps the report clean and still shows progress.
        self._progress = Progress(transient=True, console=Console(stderr=True))
        self._task: TaskID | None = None
        self._started = False

    def update(self, done: int, total: int) -> None:
        if total < 300:
            return
        if not self._started:
            self._progress.start()
            self._task = self._progress.add_task("parsing Python", total=total)
            self._started = True
        assert self._task is not None  # set by start() just above
        self._progress.update(self._task, completed=done)

    def close(self) -> None:
        if self._started:
            self._progress.stop()


def _progress_bar(output_format: str) -> _Progress | None:
    if not sys.stderr.isatty() or os.environ.get("CI"):
        return None
    return _Progress()


@main.command()
@click.argument("rule")
def rule(rule: str) -> None:
    """Print the documentation of RULE (a code or a name)."""
    from prodcheck.docs import render_rule
    from prodcheck.rules import by_code_or_name

    found = by_code_or_name(rule)
    if found is None:
        _usage_error(f"unknown rule {rule!r}{did_you_mean(rule)}; `prodcheck rules` lists them")
    render_rule(found.meta, sys.stdout)


@main.command()
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
def rules(output_format: str) -> None:
    """List every rule: code, name, severity, file kinds, fixable."""
    from prodcheck.docs import DOCS_BASE, doc_url, fix_label
    from prodcheck.rules import all_rules

    metas = [r.meta for r in all_rules().values()]
    if output_format == "json":
        import json

        click.echo(json.dumps([{"code": m.code, "name": m.name, "severity": m.severity.label, "kinds": list(m.kinds),
                                "fixable": m.fix.value,
                                "fix_safety": "none" if m.fix.value == "none" else ("safe" if m.fix_safe else "unsafe"),
                                "core": m.core, "summary": m.summary, "url": doc_url(m.code, m.name)}
                               for m in metas], indent=2))
        return
    width = max(len(m.name) for m in metas)
    click.echo(f"{'code':<6} {'name':<{width}} {'severity':<8} {'fix':<18} kinds")
    for meta in metas:
        star = "*" if meta.core else " "
        click.echo(f"{meta.code:<6} {meta.name:<{width}} {meta.severity.label:<8} {fix_label(meta):<18} "
                   f"{', '.join(meta.kinds)}{'  ' + star if meta.core else ''}")
    click.echo(f"\nDocumentation of each rule: `prodcheck rule CODE`, or {DOCS_BASE}CODE-name.md")


def entry() -> NoReturn:
    """The `prodcheck` command: `main`, then the process ends as soon as the report is out.

    A scan holds millions of small objects (every file's facts). Tearing them down one by one at
    interpreter exit, plus the final garbage collection over all of them, took longer than the
    whole analysis of a re-run after one edit (4.4 of 8.6 s CPU on a 2,000-file project). So once
    the output streams are flushed the process exits directly (`os._exit`, as mypy does): every file
    prodcheck writes (report, cache, fixes, baseline) is closed before this point."""
    try:
        main.main(prog_name="prodcheck")
        code: int = EXIT_OK
    except SystemExit as done:
        if isinstance(done.code, int):
            code = done.code
        elif done.code is None:
            code = EXIT_OK
        else:
            print(done.code, file=sys.stderr)
            code = EXIT_FINDINGS
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`prodcheck . | head`)
            stream.flush()
    os._exit(code)
