"""`--format gitlab` (Code Climate JSON for GitLab code quality) and `--format junit`."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner

from conftest import run_json, write_project
from prodcheck.cli import main
from report_cases import SECRET, SHOP


def report(root: Path, fmt: str, *args: str) -> str:
    result = CliRunner().invoke(main, ["check", str(root), "--format", fmt, "--no-cache", *args])
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def test_gitlab_code_quality(tmp_path: Path) -> None:
    root = write_project(tmp_path, SHOP)
    issues = json.loads(report(root, "gitlab"))
    _, data = run_json(root)
    assert len(issues) == len(data["findings"]) == 3
    for issue, finding in zip(issues, data["findings"], strict=True):
        assert issue["type"] == "issue"
        assert issue["check_name"] == f"{finding['code']} {finding['name']}"
        assert issue["description"] == finding["message"]
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert issue["location"]["path"] == finding["path"]
        assert issue["location"]["lines"]["begin"] == finding["line"]
        assert isinstance(issue["categories"], list) and issue["categories"]
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    severities = {i["check_name"][:5]: i["severity"] for i in issues}
    assert severities == {"PC201": "major", "PC301": "critical", "PC402": "critical"}
    assert SECRET not in json.dumps(issues)


def test_gitlab_fingerprints_unique_for_identical_lines(tmp_path: Path) -> None:
    procfile = "web: uvicorn a:app --reload\nweb2: uvicorn a:app --reload\n"
    issues = json.loads(report(write_project(tmp_path, {"Procfile": procfile, "Procfile.worker": procfile}), "gitlab"))
    assert len({i["fingerprint"] for i in issues}) == len(issues) >= 2


def test_gitlab_empty_is_an_empty_array(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("hi\n")
    assert json.loads(report(tmp_path, "gitlab")) == []


def test_junit_one_testcase_per_finding(tmp_path: Path) -> None:
    root = write_project(tmp_path, SHOP)
    tree = ET.fromstring(report(root, "junit"))
    suite = tree.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == int(suite.get("tests")) == int(suite.get("failures")) == 3
    for case in cases:
        failure = case.find("failure")
        assert failure is not None and failure.get("message")
        assert case.get("file") in {"Dockerfile", "app/database.py"}
    assert SECRET not in ET.tostring(tree, encoding="unicode")


def test_junit_escapes_hostile_text(tmp_path: Path) -> None:
    hostile = {
        "docker-compose.yml": """
            services:
              "a<b>&c\\"d]]>\\u0001\\u001b[31m":
                image: shop/api:1.0
                command: uvicorn app.main:app --reload
            """,
    }
    text = report(write_project(tmp_path, hostile), "junit")
    tree = ET.fromstring(text)  # well-formed despite markup and control characters
    message = tree.find("testsuite/testcase/failure").get("message")
    assert 'a<b>&c"d]]>' in message
    assert "\x01" not in text and "\x1b" not in text


def test_junit_without_findings_has_one_passing_case(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("hi\n")
    tree = ET.fromstring(report(tmp_path, "junit"))
    cases = tree.findall("testsuite/testcase")
    assert len(cases) == 1 and cases[0].find("failure") is None
