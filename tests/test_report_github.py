"""`--format github`: workflow commands that no scanned text can forge, within GitHub's budget."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import write_project
from prodcheck.cli import main
from prodcheck.docs import doc_url
from prodcheck.model.finding import Finding, Location, Severity, Span
from prodcheck.report.github_format import (
    PER_LEVEL, annotation, escape_data, escape_property, md_message, md_text, select, summary_markdown,
)
from report_cases import SECRET, SHOP

_COMMAND_LINE = re.compile(r"^::(error|warning|notice) (?P<props>[^:]*)::(?P<data>.*)$")


def github(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(main, ["check", str(root), "--format", "github", "--no-cache", *args], env=env)
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def unescape_property(value: str) -> str:
    # What the runner does (actions/runner ActionCommand.UnescapeProperty).
    return value.replace("%2C", ",").replace("%3A", ":").replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def parse(line: str) -> tuple[str, dict[str, str], str]:
    match = _COMMAND_LINE.match(line)
    assert match, line
    props = dict(part.split("=", 1) for part in match.group("props").split(","))
    data = match.group("data").replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")
    return match.group(1), {k: unescape_property(v) for k, v in props.items()}, data


def finding(code: str = "PC101", severity: Severity = Severity.ERROR, line: int = 1, path: str = "Procfile",
            message: str = "m") -> Finding:
    return Finding(code, "reload-in-production", message, Location(path, Span(line, 5, line, 9)), severity)


def test_shape_of_an_annotation(tmp_path: Path) -> None:
    out = github(write_project(tmp_path, SHOP))
    lines = out.splitlines()
    assert len(lines) == 3
    level, props, data = parse(next(line for line in lines if "PC402" in line))
    assert level == "error"
    assert props["file"] == "app/database.py"
    assert props["line"] == "3" and props["endLine"] == "3"
    assert int(props["col"]) < int(props["endColumn"])
    assert props["title"] == "PC402 pool-exceeds-connection-limit"
    assert data.startswith("(20 + 40) x 4 workers")
    assert SECRET not in out


def test_escaping_rules() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"
    line = annotation(finding(path="we,ird:na%me\n::warning::x", message="x\n::set-env name=X::y"), "")
    assert "\n" not in line and "\r" not in line
    _level, props, data = parse(line)
    assert props["file"] == "we,ird:na%me\n::warning::x"
    assert data == "x\n::set-env name=X::y\n" + doc_url("PC101", "reload-in-production")  # the message, then the docs


def test_hostile_file_content_cannot_start_a_command(tmp_path: Path) -> None:
    # A quoted YAML key may hold a newline: the service name is quoted into the message.
    hostile = {
        "docker-compose.yml": """
            services:
              "api\\n::set-env name=X::y,100%\\r\\n::add-mask::z":
                image: shop/api:1.0
                command: uvicorn app.main:app --reload
            """,
        "deploy/we,ird:dir/Dockerfile": 'FROM python:3.12\nCMD ["uvicorn", "a:app", "--reload"]\n',
    }
    out = github(write_project(tmp_path, hostile))
    lines = out.splitlines()
    assert len(lines) >= 2, out
    for line in lines:
        assert _COMMAND_LINE.match(line), line
        assert not line.startswith(("::set-env", "::add-mask", "::stop-commands", "::add-path"))
        _level, props, _data = parse(line)
        assert set(props) <= {"file", "line", "col", "endLine", "endColumn", "title"}
    files = {parse(line)[1]["file"] for line in lines}
    assert "deploy/we,ird:dir/Dockerfile" in files
    compose = next(parse(line)[2] for line in lines if "docker-compose.yml" in line)
    assert "api\n::set-env name=X::y,100%\r\n::add-mask::z" in compose  # survives the round trip intact


def test_newline_in_a_scanned_file_name(tmp_path: Path) -> None:
    try:
        (tmp_path / "bad\nname").mkdir()
    except OSError:
        pytest.skip("file system refuses newlines in names")
    (tmp_path / "bad\nname" / "Dockerfile").write_text('FROM python:3.12\nCMD ["uvicorn", "a:app", "--reload"]\n')
    out = github(tmp_path)
    for line in out.splitlines():
        assert _COMMAND_LINE.match(line), line
    assert "bad%0Aname/Dockerfile" in out


def test_budget_of_ten_per_level_most_severe_first() -> None:
    findings = ([finding(severity=Severity.ERROR, line=n) for n in range(1, 15)]
                + [finding(severity=Severity.WARNING, line=n) for n in range(20, 23)]
                + [finding(severity=Severity.INFO, line=n) for n in range(30, 45)])
    shown, hidden = select(findings)
    levels = [f.severity for f in shown]
    assert levels == sorted(levels, reverse=True)
    assert levels.count(Severity.ERROR) == PER_LEVEL
    assert levels.count(Severity.WARNING) == 3
    assert levels.count(Severity.INFO) == PER_LEVEL - 1  # one notice slot stays for the summary notice
    assert hidden == len(findings) - len(shown)
    assert [f.span.line for f in shown[:3]] == [1, 2, 3]


def test_core_rules_first_within_a_level() -> None:
    # Twelve non-core errors before a core one in file order: the core one still gets a slot.
    findings = [finding(code="PC301", line=n, path="a.py") for n in range(1, 13)]
    findings.append(finding(code="PC402", line=1, path="z.py"))
    findings.append(finding(code="PC102", line=2, path="z.py"))
    shown, hidden = select(findings, core=frozenset({"PC301", "PC402"}))
    assert [f.code for f in shown[:2]] == ["PC301", "PC402"]  # one of each core rule first
    assert "PC102" not in [f.code for f in shown]
    assert hidden == 4
    shown, _ = select(findings, core=frozenset({"PC402"}))
    assert [f.code for f in shown[:3]] == ["PC402", "PC301", "PC102"]


def test_changed_lines_first_under_diff_base() -> None:
    findings = [finding(line=n) for n in range(1, 16)]
    shown, hidden = select(findings, lambda f: f.span.line > 10)
    assert [f.span.line for f in shown[:5]] == [11, 12, 13, 14, 15]
    assert hidden == 5


def test_overflow_notice_and_step_summary(tmp_path: Path) -> None:
    lines = [f"web{n}: uvicorn app.main:app --reload" for n in range(12)]
    root = write_project(tmp_path / "repo", {"Procfile": "\n".join(lines) + "\n"})
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    out = github(root, env={"GITHUB_STEP_SUMMARY": str(summary)})
    commands = out.splitlines()
    errors = [c for c in commands if c.startswith("::error ")]
    notices = [c for c in commands if c.startswith("::notice ")]
    assert len(errors) == PER_LEVEL
    assert len(notices) == 1
    assert "2 more prodcheck findings" in notices[0] and "job summary" in notices[0]
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# earlier step\n")  # appended, not overwritten
    rows = [line for line in text.splitlines() if line.startswith("| error |")]
    assert len(rows) == 12


def test_overflow_notice_without_step_summary(tmp_path: Path) -> None:
    lines = [f"web{n}: uvicorn app.main:app --reload" for n in range(11)]
    out = github(write_project(tmp_path, {"Procfile": "\n".join(lines) + "\n"}), env={"GITHUB_STEP_SUMMARY": ""})
    assert "1 more prodcheck finding not shown" in out and "--format sarif" in out


def test_summary_table_escapes_markdown() -> None:
    from prodcheck.engine import RunResult

    hostile = finding(message="`a|b` then | pipe, [link](https://x) <img src=x> `unbalanced", path="a|b`c.yml")
    text = summary_markdown(RunResult(Path("."), [hostile], 1, []))
    row = next(line for line in text.splitlines() if line.startswith("| error"))
    cells = re.split(r"(?<!\\)\|", row)
    assert len(cells) == 6  # the leading and trailing pipes plus four cells: no pipe broke out
    assert "<img" not in cells[4] and "](" not in cells[4]  # the message's own link is text, not a link
    assert f"[{hostile.name}]({doc_url(hostile.code, hostile.name)})" in cells[2]  # the rule's documentation is
    assert "<code>a\\|b</code>" in row
    assert md_text("`") == "\\`"
    assert md_message("x `y`") == "x <code>y</code>"


def test_paths_relative_to_the_workspace(tmp_path: Path) -> None:
    root = write_project(tmp_path / "services/api", {"Procfile": "web: uvicorn a:app --reload\n"})
    out = github(root, env={"GITHUB_WORKSPACE": str(tmp_path)})
    assert parse(out.splitlines()[0])[1]["file"] == "services/api/Procfile"


def test_no_findings(tmp_path: Path) -> None:
    out = github(write_project(tmp_path, {"Procfile": "web: gunicorn a:app -k uvicorn.workers.UvicornWorker\n"}))
    assert not any(line.startswith("::") for line in out.splitlines())


def test_shop_api_annotates_every_core_error(tmp_path: Path) -> None:
    from conftest import SHARED

    source = SHARED / "eval" / "projects" / "shop-api"
    if not source.is_dir():
        pytest.skip(f"{source} not present")
    import shutil

    root = shutil.copytree(source, tmp_path / "shop-api")
    out = github(root)
    annotated = {line.split("title=")[1].split(" ")[0] for line in out.splitlines() if line.startswith("::error ")}
    assert {"PC301", "PC401", "PC402", "PC501"} <= annotated
