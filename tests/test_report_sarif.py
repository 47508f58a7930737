"""`--format sarif`: SARIF 2.1.0 that validates and that GitHub code scanning accepts."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SHARED, write_project
from prodcheck.cli import main
from prodcheck.rules import all_rules
from report_cases import SECRET, SHOP

SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"


def sarif(root: Path, *args: str) -> dict:
    result = CliRunner().invoke(main, ["check", str(root), "--format", "sarif", "--no-cache", *args])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def validate(document: dict) -> None:
    if not SCHEMA.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{SCHEMA} is missing: the SARIF output cannot be validated")
        pytest.skip("shared/schemas not beside this checkout")
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return write_project(tmp_path, SHOP)


def test_validates_against_the_schema(shop: Path) -> None:
    document = sarif(shop)
    validate(document)
    assert document["version"] == "2.1.0"
    assert len(document["runs"]) == 1


def test_empty_run_validates_too(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("nothing to see\n")
    document = sarif(tmp_path)
    validate(document)
    assert document["runs"][0]["results"] == []


def test_every_registered_rule_is_described(shop: Path) -> None:
    run = sarif(shop)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(all_rules())
    by_id = {r["id"]: r for r in rules}
    for code, rule in all_rules().items():
        descriptor, meta = by_id[code], rule.meta
        assert descriptor["name"] == meta.name
        assert descriptor["shortDescription"]["text"] == meta.summary
        assert descriptor["fullDescription"]["text"]
        assert descriptor["help"]["markdown"]
        assert descriptor["defaultConfiguration"]["level"] == {"error": "error", "warning": "warning",
                                                                "info": "note"}[meta.severity.label]
        assert "prodcheck" in descriptor["properties"]["tags"]
        if meta.security is not None:
            assert float(descriptor["properties"]["security-severity"]) == meta.security
            assert "security" in descriptor["properties"]["tags"]
        else:
            assert "security-severity" not in descriptor["properties"]


def test_full_description_is_the_docs_what_it_flags_section(shop: Path) -> None:
    from prodcheck import docs

    rules = {r["id"]: r for r in sarif(shop)["runs"][0]["tool"]["driver"]["rules"]}
    meta = all_rules()["PC101"].meta
    flags = docs.section(docs.doc_text(meta), "What it flags")
    assert flags and rules["PC101"]["fullDescription"]["markdown"] == flags
    assert "## Why it hurts in production" in rules["PC101"]["help"]["markdown"]
    assert not rules["PC101"]["help"]["markdown"].startswith("---")  # no front matter


def test_results_point_at_rules_with_relative_uris(shop: Path) -> None:
    run = sarif(shop)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert "automationDetails" not in run  # none by default: the upload step's `category:` decides
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == shop.resolve().as_uri() + "/"
    codes = sorted(r["ruleId"] for r in run["results"])
    assert codes == ["PC201", "PC301", "PC402"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in {"error", "warning", "note"}
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not location["artifactLocation"]["uri"].startswith(("/", "file:"))
        region = location["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1 and "endColumn" in region
        fingerprint, occurrence = result["partialFingerprints"]["prodcheck/v1"].split(":")
        assert len(fingerprint) == 32 and occurrence == "1"
        assert set(result["properties"]) >= {"confidence", "context"}
    pool = next(r for r in run["results"] if r["ruleId"] == "PC402")
    related = pool["relatedLocations"]
    assert {r["physicalLocation"]["artifactLocation"]["uri"] for r in related} == {"app/database.py", "Dockerfile"}
    assert all(r["message"]["text"] for r in related)
    assert [r["id"] for r in related] == list(range(1, len(related) + 1))


def test_matches_the_json_findings(shop: Path) -> None:
    from conftest import run_json

    _, data = run_json(shop)
    results = sarif(shop)["runs"][0]["results"]
    by_fp = {r["partialFingerprints"]["prodcheck/v1"].split(":")[0]: r for r in results}
    for finding in data["findings"]:
        result = by_fp[finding["fingerprint"]]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert (region["startLine"], region["startColumn"], region["endColumn"]) == (
            finding["line"], finding["column"], finding["end_column"])
        assert result["message"]["text"] == finding["message"]


def test_secrets_never_appear(shop: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(shop), "--format", "sarif", "--no-cache"])
    assert SECRET not in result.stdout
    assert "****" in result.stdout
    assert '"snippet"' not in result.stdout


def test_fingerprints_stable_across_line_shifts(shop: Path) -> None:
    before = {r["ruleId"]: r["partialFingerprints"] for r in sarif(shop)["runs"][0]["results"]}
    database = shop / "app/database.py"
    database.write_text("# a comment\n\n" + database.read_text())
    after = {r["ruleId"]: r["partialFingerprints"] for r in sarif(shop)["runs"][0]["results"]}
    assert before == after


def test_paths_are_relative_to_the_repository_when_scanning_a_subfolder(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write_project(tmp_path / "services/api", SHOP)
    run = sarif(tmp_path / "services/api")["runs"][0]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"services/api/Dockerfile", "services/api/app/database.py"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"


def test_results_capped_at_the_code_scanning_limit(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from prodcheck.report import sarif_format

    monkeypatch.setattr(sarif_format, "MAX_RESULTS", 2)
    run = sarif(shop)["runs"][0]
    assert len(run["results"]) == 2
    assert {r["level"] for r in run["results"]} == {"error"}  # the most severe are kept
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert "1 of 3 results omitted" in notes[0]["message"]["text"]
    validate({"version": "2.1.0", "runs": [run]})


def test_output_file(shop: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.sarif"
    target.parent.mkdir()
    result = CliRunner().invoke(main, ["check", str(shop), "--format", "sarif", "--no-cache", "-o", str(target)])
    assert result.exit_code == 1
    assert result.stdout == ""
    validate(json.loads(target.read_text(encoding="utf-8")))


def test_category_sets_the_automation_id(shop: Path) -> None:
    first = sarif(shop, "--sarif-category", "api")["runs"][0]
    second = sarif(shop, "--sarif-category", "worker/")["runs"][0]
    assert first["automationDetails"]["id"] == "api/"
    assert second["automationDetails"]["id"] == "worker/"
    validate({"version": "2.1.0", "runs": [first, second]})


def test_repeated_lines_get_distinct_fingerprints(tmp_path: Path) -> None:
    # Thirteen identical-looking lines in one file are thirteen alerts, not one.
    line = "RUN pip install -r requirements.txt\n"
    write_project(tmp_path, {"Dockerfile": "FROM python:3.12-slim\n" + line * 13})
    results = [r for r in sarif(tmp_path, "--select", "PC702")["runs"][0]["results"]]
    prints = [r["partialFingerprints"]["prodcheck/v1"] for r in results]
    assert len(prints) == 13 and len(set(prints)) == 13
    assert len({p.split(":")[0] for p in prints}) == 1
    # Stable: a line inserted above shifts nothing.
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("# base\n" + dockerfile.read_text())
    again = [r["partialFingerprints"]["prodcheck/v1"] for r in sarif(tmp_path, "--select", "PC702")["runs"][0]["results"]]
    assert again == prints
