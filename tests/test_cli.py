"""The command line as users meet it: formats, --output, exit codes, explicit files, text safety."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import run_json, write_project
from prodcheck.cli import main
from prodcheck.report import FORMATS
from report_cases import SECRET, SHOP

MARKUP = "[bold red]x[/]"


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_file_for_every_format(fmt: str, tmp_path: Path) -> None:
    root = write_project(tmp_path / "repo", SHOP)
    target = tmp_path / f"report.{fmt}"
    to_stdout = invoke("check", str(root), "--format", fmt, "--no-cache", env={"GITHUB_STEP_SUMMARY": ""})
    to_file = invoke("check", str(root), "--format", fmt, "--no-cache", "--output", str(target),
                     env={"GITHUB_STEP_SUMMARY": ""})
    assert to_stdout.exit_code == to_file.exit_code == 1
    assert to_file.stdout == ""
    written = target.read_text(encoding="utf-8")
    assert written == to_stdout.stdout
    assert SECRET not in written
    assert "\x1b[" not in written


def test_output_into_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    root = write_project(tmp_path, SHOP)
    result = invoke("check", str(root), "--no-cache", "--output", str(tmp_path / "no/such/dir/report.txt"))
    assert result.exit_code == 2
    assert "cannot write" in result.stderr


def test_exit_codes(tmp_path: Path) -> None:
    root = write_project(tmp_path, SHOP)
    assert invoke("check", str(root), "--no-cache").exit_code == 1
    assert invoke("check", str(root), "--no-cache", "--exit-zero").exit_code == 0
    assert invoke("check", str(root), "--no-cache", "--select", "PC201", "--fail-on", "error").exit_code == 0
    assert invoke("check", str(root), "--no-cache", "--select", "PC9").exit_code == 2
    assert invoke("check", str(tmp_path / "missing"), "--no-cache").exit_code == 2
    assert invoke("check", str(root), "--format", "xml").exit_code == 2


def test_text_never_interprets_scanned_text_as_markup(tmp_path: Path) -> None:
    root = write_project(tmp_path, {
        "docker-compose.yml": f"""
            services:
              "{MARKUP}":
                image: shop/api:1.0
                command: uvicorn app.main:app --reload  # {MARKUP}
            """,
    })
    result = invoke("check", str(root), "--no-cache")
    assert result.exit_code == 1
    assert f"`docker-compose.yml:{MARKUP}`" in result.stdout


def test_text_code_frames_and_colour_keep_markup_literal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from prodcheck import engine
    from prodcheck.report import text_format
    from prodcheck.settings import Settings

    root = write_project(tmp_path, {"Procfile": f"web: uvicorn app.main:app --reload  # {MARKUP}\n"})
    result = engine.run(root, Settings(use_cache=False))
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = io.StringIO()
    text_format.render(result, out, color=True, frames=True)
    assert "\x1b[" in out.getvalue()  # coloured ...
    plain = _strip_ansi(out.getvalue())
    assert f"--reload  # {MARKUP}" in plain  # ... and the frame shows the line as written
    monkeypatch.setenv("NO_COLOR", "1")
    out = io.StringIO()
    text_format.render(result, out, color=True, frames=True)
    assert "\x1b[" not in out.getvalue()
    assert MARKUP in out.getvalue()


def test_no_color_in_a_real_terminal_run(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"Procfile": "web: uvicorn app.main:app --reload\n"})
    completed = subprocess.run([sys.executable, "-m", "prodcheck", "check", str(root), "--no-cache"],
                               capture_output=True, text=True, env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"})
    assert completed.returncode == 1
    assert "\x1b[" not in completed.stdout
    assert "PC101" in completed.stdout


def test_the_command_ends_with_its_exit_code_and_every_byte_of_output(tmp_path: Path) -> None:
    """The console command leaves through os._exit once its streams are flushed: nothing may be lost."""
    root = write_project(tmp_path / "p", {"Procfile": "web: uvicorn app.main:app --reload\n"})
    clean = write_project(tmp_path / "clean", {"app/main.py": "x = 1\n"})
    command = [sys.executable, "-m", "prodcheck"]
    env = {"PATH": "/usr/bin:/bin", "PRODCHECK_CACHE_DIR": str(tmp_path / "cache")}
    findings = subprocess.run([*command, "check", str(root), "--format", "json"], capture_output=True, text=True,
                              env=env)
    assert findings.returncode == 1
    assert [f["code"] for f in json.loads(findings.stdout)["findings"]] == ["PC101"]
    report = tmp_path / "report.json"
    written = subprocess.run([*command, str(root), "--format", "json", "-o", str(report)], capture_output=True,
                             text=True, env=env)
    assert written.returncode == 1 and json.loads(report.read_text()) == json.loads(findings.stdout)
    assert subprocess.run([*command, str(clean)], capture_output=True, env=env).returncode == 0
    missing = subprocess.run([*command, str(tmp_path / "missing")], capture_output=True, text=True, env=env)
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    assert subprocess.run([*command, "--version"], capture_output=True, text=True, env=env).stdout.startswith(
        "prodcheck ")


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_explicit_files_report_findings_located_in_them_but_model_the_repository(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    root = write_project(tmp_path, SHOP)
    # PC402 needs the Dockerfile's workers to fire on app/database.py: the whole repository is modelled.
    _, data = run_json(root / "app" / "database.py")
    assert sorted(f["code"] for f in data["findings"]) == ["PC301", "PC402"]
    assert {f["path"] for f in data["findings"]} == {"app/database.py"}
    # The Dockerfile alone (a pre-commit run staging only it): its own PC201, and the PC402 its
    # worker count feeds (a related location), reported where it lives.
    _, data = run_json(root / "Dockerfile")
    assert sorted((f["code"], f["path"]) for f in data["findings"]) == [("PC201", "Dockerfile"),
                                                                        ("PC402", "app/database.py")]
    _, data = run_json(root / "app" / "main.py")
    assert data["findings"] == []
    # One folder alone is the project to model (a service in a monorepo): paths are relative to it.
    _, data = run_json(root / "app")
    assert {f["path"] for f in data["findings"]} == {"database.py"}


def test_explicit_files_and_folders_mixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    root = write_project(tmp_path, SHOP)
    monkeypatch.chdir(root)
    result = invoke("check", "app", "Dockerfile", "--format", "json", "--no-cache")
    paths = {f["path"] for f in json.loads(result.stdout)["findings"]}
    assert paths == {"app/database.py", "Dockerfile"}
    result = invoke("check", ".", "Dockerfile", "--format", "json", "--no-cache")
    assert len(json.loads(result.stdout)["findings"]) == 3


def test_paths_of_different_projects_are_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two repositories, or two folders outside any with no given folder holding the others: modelling
    their common parent would read unrelated files as one project, dropping one would hide it."""
    first = write_project(tmp_path / "one", SHOP)
    second = write_project(tmp_path / "two", SHOP)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = invoke("check", str(first), str(second), "--no-cache")
    assert result.exit_code == 2 and "not inside one project folder" in result.stderr
    (first / ".git").mkdir()
    (second / ".git").mkdir()
    result = invoke("check", str(first / "Dockerfile"), str(second / "Dockerfile"), "--no-cache")
    assert result.exit_code == 2 and "different projects" in result.stderr
    # Files and folders of one project outside any repository: their folder is the project.
    (first / ".git").rmdir()
    result = invoke("check", str(first / "Dockerfile"), str(first / "app"), "--format", "json", "--no-cache")
    assert result.exit_code == 1
    assert {f["path"] for f in json.loads(result.stdout)["findings"]} == {"app/database.py", "Dockerfile"}


def test_version_and_rules() -> None:
    assert invoke("--version").stdout.startswith("prodcheck ")
    listing = json.loads(invoke("rules", "--format", "json").stdout)
    assert {"PC000", "PC001", "PC101"} <= {r["code"] for r in listing}
    assert "What it flags" in invoke("rule", "PC001").stdout
    assert invoke("rule", "PC999").exit_code == 2


def test_quiet_hides_info_findings_and_does_not_count_them(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"Procfile": "web: uvicorn app.main:app --reload\n",
                                    "docker-compose.override.yml": "services:\n  web:\n"
                                                                   "    command: uvicorn app.main:app --reload\n"})
    loud = invoke("check", str(root), "--no-cache").stdout
    assert "1 info" in loud and "docker-compose.override.yml" in loud
    quiet = invoke("check", str(root), "--no-cache", "-q").stdout
    assert "Found 1 finding (1 error, 0 warnings, 0 info)" in quiet
    assert "docker-compose.override.yml" not in quiet
    (root / "Procfile").unlink()
    assert "All checks passed" in invoke("check", str(root), "--no-cache", "-q").stdout


def test_progress_goes_to_stderr() -> None:
    from prodcheck.cli import _Progress

    assert _Progress()._progress.console.stderr is True
