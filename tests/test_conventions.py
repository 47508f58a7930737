"""Conventions users of ruff, zizmor and hadolint expect: did you mean, --color, concise output,
--min-confidence, --extend-select."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from conftest import write_project
from prodcheck.cli import main

RELOAD = {"Procfile": "web: uvicorn app.main:app --reload\n"}


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_did_you_mean_for_unknown_rules(tmp_path: Path) -> None:
    root = write_project(tmp_path, RELOAD)
    result = invoke("check", str(root), "--no-cache", "--select", "reload-in-prod")
    assert result.exit_code == 2 and "did you mean `reload-in-production`?" in result.stderr
    result = invoke("rule", "pool-without-preping")
    assert result.exit_code == 2 and "did you mean `pool-without-pre-ping`?" in result.stderr
    result = invoke("check", str(root), "--no-cache", "--ignore", "zzzzzz")
    assert result.exit_code == 2 and "did you mean" not in result.stderr


def test_color_always_and_never(tmp_path: Path) -> None:
    root = write_project(tmp_path, RELOAD)
    assert "\x1b[" in invoke("check", str(root), "--no-cache", "--color", "always").stdout
    assert "\x1b[" not in invoke("check", str(root), "--no-cache", "--color", "never").stdout
    assert "\x1b[" not in invoke("check", str(root), "--no-cache").stdout  # auto: not a terminal


def test_concise_is_one_line_per_finding(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"Procfile": "web: uvicorn app.main:app --reload\nworker: uvicorn a:app --reload\n"})
    lines = invoke("check", str(root), "--no-cache", "--format", "concise").stdout.splitlines()
    assert lines[0].startswith("Procfile:1:27: PC101 [error] ") and lines[1].startswith("Procfile:2:")
    assert lines[2:] == ["Found 2 findings."]


def test_min_confidence_filters(tmp_path: Path) -> None:
    root = write_project(tmp_path, RELOAD)
    data = json.loads(invoke("check", str(root), "--no-cache", "--format", "json").stdout)
    confidences = {f["confidence"] for f in data["findings"]}
    assert confidences == {"high"}
    kept = json.loads(invoke("check", str(root), "--no-cache", "--format", "json", "--min-confidence", "high").stdout)
    assert len(kept["findings"]) == len(data["findings"])
    result = invoke("check", str(root), "--no-cache", "--min-confidence", "certain")
    assert result.exit_code == 2


def test_extend_select_adds_to_the_configured_selection(tmp_path: Path) -> None:
    root = write_project(tmp_path, {**RELOAD, "prodcheck.toml": 'select = ["PC2"]\n'})
    codes = lambda *args: [f["code"] for f in json.loads(
        invoke("check", str(root), "--no-cache", "--format", "json", *args).stdout)["findings"]]
    assert codes() == []
    assert codes("--extend-select", "PC101") == ["PC101"]
    assert codes("--select", "PC7", "--extend-select", "reload-in-production") == ["PC101"]
