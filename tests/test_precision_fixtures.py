"""Regression fixtures for patterns that real repositories showed prodcheck getting wrong (issue 10)."""
from __future__ import annotations

from pathlib import Path

from conftest import run_json

FIXTURES = Path(__file__).parent / "fixtures" / "precision"


def _loud(name: str, *codes: str) -> list[tuple[str, str, int, str]]:
    args = [a for code in codes for a in ("--select", code)]
    _, report = run_json(FIXTURES / name, *args)
    return sorted((f["code"], f["path"], f["line"], f["severity"]) for f in report["findings"]
                  if f["severity"] != "info")


def test_pc302_names_messages_and_placeholders_are_not_secrets() -> None:
    assert _loud("PC302-not-secrets", "PC302") == []


def test_pc302_secrets_by_evidence() -> None:
    assert _loud("PC302-secrets", "PC302") == [
        ("PC302", "app/config.py", 5, "error"),  # a GitHub token format
        ("PC302", "app/config.py", 6, "warning"),  # random-looking, in code
        ("PC302", "app/config.py", 7, "warning"),  # getenv fallback
        ("PC302", "app/config.py", 15, "warning"),  # settings default, BaseSettings through BaseConfig
        ("PC302", "docker-compose.yml", 7, "warning"),  # ${VAR:-default}
    ]


def test_pc405_revision_built_on_by_a_merge_without_op_import_is_history() -> None:
    """A later revision with no `from alembic import op` (a merge) still makes earlier ones history."""
    _, report = run_json(FIXTURES / "PC405-merge-revision", "--select", "PC405")
    assert [(f["path"], f["severity"]) for f in report["findings"]] == [
        ("migrations/versions/0001_drop.py", "info")]


def test_pc104_advice_fits_the_case() -> None:
    """`$PORT` in a shell-form CMD: `exec`, not the JSON array form (which would stop the expansion);
    an explicit `bash -c` is named `bash -c`."""
    _, report = run_json(FIXTURES / "PC104-advice", "--select", "PC104")
    messages = {f["path"]: f["message"] for f in report["findings"]}
    assert "CMD exec gunicorn" in messages["Dockerfile"] and "JSON array form would stop" in messages["Dockerfile"]
    assert messages["compose.yaml"].startswith("`bash -c`")


def test_pc000_says_utf16_and_keeps_templates_quiet() -> None:
    _, report = run_json(FIXTURES / "PC000-templates-utf16")
    found = {f["path"]: f for f in report["findings"] if f["code"] == "PC000"}
    assert "UTF-16" in found["compose.yaml"]["message"] and "binary" not in found["compose.yaml"]["message"]
    assert found["chart/templates_disabled/hpa.yaml"]["severity"] == "info"


def test_pc703_cached_builder_stage_and_cache_mount() -> None:
    _, report = run_json(FIXTURES / "PC703-cached-installs", "--select", "PC703")
    found = [(f["path"], f["severity"], f["message"]) for f in report["findings"]]
    assert [(p, s) for p, s, _ in found] == [("mount/Dockerfile", "info")]
    assert "downloads again" not in found[0][2] and "cache mount" in found[0][2]


def test_pc706_reusable_workflow_gets_its_permissions_from_callers() -> None:
    _, report = run_json(FIXTURES / "PC706-reusable", "--select", "PC706")
    assert report["findings"] == []

