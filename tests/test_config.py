"""Configuration (SPEC section 4): where it is read from, what each key does, strict validation."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import run_json, write_project
from prodcheck.cli import main
from report_cases import SHOP

PROJECT = {
    "Procfile": "web: uvicorn app.main:app --reload\n",
    "docker-compose.dev.yml": "services:\n  api:\n    image: shop/api:1.0\n    command: uvicorn app.main:app --reload\n",
}


def codes(root: Path, *args: str) -> list[tuple[str, str, str]]:
    _, data = run_json(root, *args)
    return sorted((f["code"], f["path"], f["severity"]) for f in data["findings"])


def usage_error(root: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["check", str(root), "--no-cache", *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return result.stderr


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    files = {k: v for k, v in {**SHOP, **PROJECT}.items() if k != "prodcheck.toml"}
    return write_project(tmp_path, files)


def config(root: Path, text: str, name: str = "prodcheck.toml") -> Path:
    path = root / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("name", "table"), [
    ("prodcheck.toml", ""), (".prodcheck.toml", ""), ("pyproject.toml", "[tool.prodcheck]\n"),
])
def test_the_three_places(shop: Path, name: str, table: str) -> None:
    config(shop, f'{table}select = ["PC101"]\n', name)
    assert {c for c, _, _ in codes(shop)} == {"PC101"}


def test_pyproject_without_a_table_is_not_a_config(shop: Path) -> None:
    config(shop, '[project]\nname = "shop"\n', "pyproject.toml")
    assert {"PC101", "PC201"} <= {c for c, _, _ in codes(shop)}


def test_config_found_from_a_subfolder_up_to_the_repository(shop: Path) -> None:
    (shop / ".git").mkdir()
    config(shop, 'select = ["PC301"]\n')
    _, data = run_json(shop / "app" / "database.py")
    assert {f["code"] for f in data["findings"]} == {"PC301"}


def test_explicit_config_file(shop: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.toml"
    other.write_text('select = ["PC201"]\n')
    assert {c for c, _, _ in codes(shop, "--config", str(other))} == {"PC201"}
    assert "not found" in usage_error(shop, "--config", str(tmp_path / "missing.toml"))


@pytest.mark.parametrize(("text", "name", "fragments"), [
    ('selct = ["PC101"]\n', "prodcheck.toml", ["prodcheck.toml", "`selct`", "unknown key", "did you mean `select`"]),
    ('[tool.prodcheck]\nfail_on = "error"\n', "pyproject.toml",
     ["pyproject.toml", "`tool.prodcheck.fail_on`", "unknown key", "fail-on"]),
    ('[database]\nmax_conections = 50\n', "prodcheck.toml", ["`database.max_conections`", "max_connections"]),
    ('[tool]\nprodcheck = 3\n', "pyproject.toml", ["must be a table"]),
])
def test_unknown_keys_are_errors_naming_file_and_key(shop: Path, text: str, name: str, fragments: list[str]) -> None:
    config(shop, text, name)
    message = usage_error(shop)
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize(("text", "fragments"), [
    ('fail-on = "critical"\n', ["`fail-on`", "error, warning, info", "'critical'"]),
    ('[severity]\nPC101 = "fatal"\n', ["`severity.PC101`", "error, warning, info"]),
    ('[severity]\nPC999 = "error"\n', ["`severity.PC999`", "unknown rule"]),
    ('severity = "error"\n', ["`severity`", "table"]),
    ('select = ["PC9"]\n', ["`select`", "unknown rule 'PC9'", "prefix"]),
    ('ignore = [1]\n', ["`ignore`", "list of strings"]),
    ('[per-file-ignores]\n"tests/*" = ["nope"]\n', ["per-file-ignores.tests/*", "unknown rule 'nope'"]),
    ('per-file-ignores = ["PC101"]\n', ["`per-file-ignores`", "table"]),
    ('exclude = "a", \n', ["invalid TOML"]),
    ('[database]\nmax_connections = -5\n', ["`database.max_connections`", "positive integer"]),
    ('[database]\nmax_connections = "lots"\n', ["positive integer"]),
    ('production = [true]\n', ["`production`", "list of strings"]),
])
def test_bad_values_say_what_is_allowed(shop: Path, text: str, fragments: list[str]) -> None:
    config(shop, text)
    message = usage_error(shop)
    assert "prodcheck.toml" in message
    for fragment in fragments:
        assert fragment in message, message


def test_select_and_ignore_by_code_name_and_prefix(shop: Path) -> None:
    config(shop, 'select = ["PC1", "container-runs-as-root"]\n')
    assert {c for c, _, _ in codes(shop)} == {"PC101", "PC201"}
    config(shop, 'select = ["PC1", "PC2", "PC3"]\nignore = ["PC20", "PC301"]\n')
    assert {c for c, _, _ in codes(shop)} == {"PC101"}
    config(shop, 'ignore = ["reload-in-production"]\n')
    assert "PC101" not in {c for c, _, _ in codes(shop)}


def test_command_line_select_replaces_and_ignore_extends(shop: Path) -> None:
    config(shop, 'select = ["PC101"]\nignore = ["PC301"]\n')
    assert {c for c, _, _ in codes(shop, "--select", "PC2,PC3")} == {"PC201"}


def test_severity_overrides(shop: Path) -> None:
    config(shop, '[severity]\nPC201 = "error"\nreload-in-production = "info"\n')
    found = codes(shop)
    assert ("PC201", "Dockerfile", "error") in found
    assert ("PC101", "Procfile", "info") in found


def test_per_file_ignores(shop: Path) -> None:
    config(shop, '[per-file-ignores]\n"Procfile" = ["reload-in-production"]\n"app/**" = ["PC3", "PC4"]\n')
    found = codes(shop)
    assert ("PC101", "Procfile", "error") not in found
    assert not [f for f in found if f[1].startswith("app/")]
    assert ("PC201", "Dockerfile", "warning") in found


def test_exclude(shop: Path) -> None:
    config(shop, 'exclude = ["Procfile", "app/"]\n')
    paths = {p for _, p, _ in codes(shop)}
    assert "Procfile" not in paths and not any(p.startswith("app/") for p in paths)
    assert "Dockerfile" in paths


def test_always_skipped_folders(shop: Path) -> None:
    write_project(shop, {"node_modules/x/Procfile": "web: uvicorn a:app --reload\n",
                         ".venv/Procfile": "web: uvicorn a:app --reload\n",
                         "ignored/Procfile": "web: uvicorn a:app --reload\n",
                         ".gitignore": "ignored/\n"})
    paths = {p for _, p, _ in codes(shop)}
    assert not any(p.startswith(("node_modules", ".venv", "ignored")) for p in paths)


def test_fail_on(shop: Path) -> None:
    only_warnings = ["--select", "PC201"]
    assert CliRunner().invoke(main, ["check", str(shop), "--no-cache", *only_warnings]).exit_code == 1
    config(shop, 'fail-on = "error"\n')
    assert CliRunner().invoke(main, ["check", str(shop), "--no-cache", *only_warnings]).exit_code == 0
    assert CliRunner().invoke(main, ["check", str(shop), "--no-cache", *only_warnings,
                                     "--fail-on", "warning"]).exit_code == 1
    config(shop, 'fail-on = "info"\nselect = ["PC101"]\n[severity]\nPC101 = "info"\n')
    assert CliRunner().invoke(main, ["check", str(shop), "--no-cache"]).exit_code == 1


def test_database_max_connections(shop: Path) -> None:
    _, data = run_json(shop, "--select", "PC402")
    assert "100 max_connections" in data["findings"][0]["message"]  # the PostgreSQL default
    config(shop, "[database]\nmax_connections = 500\n")
    assert codes(shop, "--select", "PC402") == []
    config(shop, "[database]\nmax_connections = 200\n")
    _, data = run_json(shop, "--select", "PC402")
    [finding] = data["findings"]
    assert "200" in finding["message"]
    assert any(r["path"] == "prodcheck.toml" for r in finding["related"])


def test_production_and_development_globs(shop: Path) -> None:
    found = codes(shop, "--select", "PC101")
    assert ("PC101", "docker-compose.dev.yml", "info") in found
    assert ("PC101", "Procfile", "error") in found
    config(shop, 'production = ["docker-compose.dev.yml"]\ndevelopment = ["Procfile"]\n')
    found = codes(shop, "--select", "PC101")
    assert ("PC101", "Procfile", "info") in found
    assert ("PC101", "docker-compose.dev.yml", "error") in found


def test_readme_configuration_is_complete_and_valid(tmp_path: Path) -> None:
    import tomllib

    from readme_snippets import readme_block

    snippet = readme_block("pyproject.toml")
    table = tomllib.loads(snippet)["tool"]["prodcheck"]
    spec_keys = {"select", "ignore", "severity", "per-file-ignores", "exclude", "fail-on", "database",
                 "production", "development"}
    assert set(table) == spec_keys  # every key of SPEC section 4 is shown
    assert "max_connections" in table["database"]
    files = {k: v for k, v in SHOP.items() if k != "prodcheck.toml"}
    root = write_project(tmp_path, files)
    (root / "pyproject.toml").write_text(snippet, encoding="utf-8")
    (root / "docker-compose.ci.yml").write_text("services:\n  api:\n    image: shop/api:1.0\n"
                                                "    command: uvicorn app.main:app --reload\n")
    _, data = run_json(root)
    found = {(f["code"], f["path"]): f for f in data["findings"]}
    assert "200 max_connections" in found[("PC402", "app/database.py")]["message"]
    assert found[("PC101", "docker-compose.ci.yml")]["severity"] == "info"
