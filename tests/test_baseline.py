"""`--write-baseline` / `--baseline`: adopt prodcheck on an existing repository, see only new findings."""
from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from conftest import write_project
from prodcheck.cli import main
from report_cases import SECRET, SHOP


def check(root: Path, *args: str) -> tuple[int, list[tuple[str, str, int]]]:
    result = CliRunner().invoke(main, ["check", str(root), "--format", "json", "--no-cache", *args])
    assert result.exit_code in (0, 1), result.output
    findings = json.loads(result.stdout)["findings"]
    return result.exit_code, sorted((f["code"], f["path"], f["line"]) for f in findings)


def write(root: Path, baseline: Path, *args: str) -> int:
    """--write-baseline: writes the file, says how many findings it recorded on stderr, exits 0."""
    result = CliRunner().invoke(main, ["check", str(root), "--no-cache", "--write-baseline", str(baseline), *args])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    recorded = int(re.search(r"recorded (\d+) findings?", result.stderr).group(1))
    return recorded


def prepend(path: Path, text: str) -> None:
    path.write_text(text + path.read_text(encoding="utf-8"), encoding="utf-8")


def test_baseline_hides_todays_findings(tmp_path: Path) -> None:
    root = write_project(tmp_path / "repo", SHOP)
    baseline = tmp_path / "baseline.json"
    code, before = check(root)
    assert code == 1 and len(before) == 3
    assert write(root, baseline) == 3
    document = json.loads(baseline.read_text(encoding="utf-8"))
    assert document["version"] == 1
    assert sorted((e["code"], e["path"]) for e in document["findings"]) == sorted((c, p) for c, p, _ in before)
    assert SECRET not in baseline.read_text(encoding="utf-8")
    assert check(root, "--baseline", str(baseline)) == (0, [])


def test_findings_survive_line_shifts_and_unrelated_edits(tmp_path: Path) -> None:
    root = write_project(tmp_path / "repo", SHOP)
    baseline = tmp_path / "baseline.json"
    write(root, baseline)
    prepend(root / "app/database.py", '"""The database."""\nimport os\n\n\n')
    prepend(root / "Dockerfile", "# syntax=docker/dockerfile:1\n# build: docker build .\n")
    (root / "app/main.py").write_text("from fastapi import FastAPI\n\napp = FastAPI(title='shop')\n")
    _, shifted = check(root)
    assert ("PC301", "app/database.py", 7) in shifted  # the line moved from 3 to 7 ...
    assert check(root, "--baseline", str(baseline)) == (0, [])  # ... and is still known


def test_a_new_finding_is_reported(tmp_path: Path) -> None:
    root = write_project(tmp_path / "repo", SHOP)
    baseline = tmp_path / "baseline.json"
    write(root, baseline)
    prepend(root / "app/database.py", "# moved down\n")
    (root / "Procfile").write_text("web: uvicorn app.main:app --reload\n")
    database = root / "app/database.py"
    database.write_text(database.read_text() + 'replica = create_engine("postgresql://ro:other-pass@replica/shop")\n')
    assert check(root, "--baseline", str(baseline), "--select", "PC101,PC201,PC301,PC402") == (
        1, [("PC101", "Procfile", 1), ("PC301", "app/database.py", 5)])


def test_a_second_identical_finding_is_new(tmp_path: Path) -> None:
    root = write_project(tmp_path / "repo", {"Procfile": "web: uvicorn app.main:app --reload\n"})
    baseline = tmp_path / "baseline.json"
    write(root, baseline)
    (root / "Procfile").write_text("web: uvicorn app.main:app --reload\nweb: uvicorn app.main:app --reload\n")
    code, found = check(root, "--baseline", str(baseline))
    assert code == 1 and [c for c, _, _ in found] == ["PC101"]
    write(root, baseline)
    entries = json.loads(baseline.read_text())["findings"]
    assert [e.get("count") for e in entries] == [2]
    assert check(root, "--baseline", str(baseline)) == (0, [])


def test_fixing_a_finding_needs_no_baseline_update(tmp_path: Path) -> None:
    root = write_project(tmp_path / "repo", SHOP)
    baseline = tmp_path / "baseline.json"
    write(root, baseline)
    (root / "Dockerfile").write_text('FROM python:3.12-slim\nUSER app\nCMD ["gunicorn", "app.main:app", "-w", "1"]\n')
    assert check(root, "--baseline", str(baseline)) == (0, [])


def test_write_and_read_in_one_run(tmp_path: Path) -> None:
    root = write_project(tmp_path / "repo", SHOP)
    old = tmp_path / "old.json"
    new = tmp_path / "new.json"
    assert write(root, old, "--select", "PC201") == 1
    assert write(root, new, "--baseline", str(old)) == 3  # recorded: everything there is today
    assert len(json.loads(new.read_text())["findings"]) == 3
    _code, found = check(root, "--baseline", str(old))
    assert [c for c, _, _ in found] == ["PC301", "PC402"]  # reported: what the old baseline did not have


def test_bad_baselines_are_usage_errors(tmp_path: Path) -> None:
    root = write_project(tmp_path / "repo", SHOP)
    for text, fragment in [(None, "cannot read baseline"), ("{", "not valid JSON"), ("[]", "not a prodcheck baseline"),
                           ('{"findings": [{"code": "PC101"}]}', "without a fingerprint")]:
        path = tmp_path / "baseline.json"
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(text)
        result = CliRunner().invoke(main, ["check", str(root), "--no-cache", "--baseline", str(path)])
        assert result.exit_code == 2, (text, result.output)
        assert fragment in result.stderr
    result = CliRunner().invoke(main, ["check", str(root), "--no-cache", "--write-baseline", str(tmp_path / "no/x.json")])
    assert result.exit_code == 2 and "cannot write baseline" in result.stderr
