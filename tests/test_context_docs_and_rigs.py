"""Documentation trees and benchmark rigs outside the application's packages are not what production runs
(knowledge/contexts.toml [folders]): phoenix's internal_docs/vignettes/*.py and scripts/perf/*.py, prefect's
load_testing/ and benches/. The same words inside a package, or not as a folder's last word, stay production."""
from __future__ import annotations

from pathlib import Path

from conftest import run_json

FIXTURE = Path(__file__).parent / "fixtures" / "precision" / "context-docs-and-rigs"


def test_docs_and_rig_folders_outside_the_packages_are_not_production() -> None:
    _, report = run_json(FIXTURE)
    placed = {(f["code"], f["path"]): (f["severity"], f["context"]) for f in report["findings"]}
    assert placed == {
        ("PC601", "Dockerfile"): ("info", "prod"),
        # inside the application's packages: a docs router, latency probes
        ("PC301", "app/api/docs/pages.py"): ("error", "prod"),
        ("PC301", "app/perf/probes.py"): ("error", "prod"),
        # `docs_ingest/`: a service about documents, its last word is not a documentation word
        ("PC301", "docs_ingest/main.py"): ("error", "prod"),
        # the documentation site's image, a load-test runner, a timing script
        ("PC201", "docs/site/Dockerfile"): ("info", "dev"),
        ("PC301", "load_testing/run-server.sh"): ("info", "test"),
        ("PC301", "scripts/perf/time_queries.py"): ("info", "test"),
    }
    reasons = {f["path"]: f["context_reason"] for f in report["findings"]}
    assert reasons["docs/site/Dockerfile"] == "under `docs/`, a documentation folder outside the application's packages"
    assert reasons["scripts/perf/time_queries.py"].startswith("under `scripts/perf/`, a folder of evaluation or benchmark")
    # the snippet of a design note (a SQLite pool, a password) and a benchmark's fallback password: not reported
    assert not [f for f in report["findings"] if f["path"].startswith(("internal_docs/", "tools/benches/"))]


PACKAGE_FIXTURE = Path(__file__).parent / "fixtures" / "precision" / "context-docs-package"


def test_a_documentation_folder_that_is_a_package_of_its_own_is_not_production() -> None:
    """agno's top-level `cookbook/` holds an `__init__.py` (its recipes import each other as `cookbook.x`): a package
    of its own, not a sub-package of the application's, so its recipes and their compose files are documentation."""
    _, report = run_json(PACKAGE_FIXTURE)
    placed = {(f["code"], f["path"]): (f["severity"], f["context"]) for f in report["findings"]}
    assert placed == {
        ("PC601", "Dockerfile"): ("info", "prod"),
        ("PC203", "cookbook/integrations/mcp_demo/docker-compose.yml"): ("info", "dev"),
        ("PC301", "cookbook/storage/postgres_agent.py"): ("info", "dev"),
    }
    reasons = {f["path"]: f["context_reason"] for f in report["findings"]}
    assert reasons["cookbook/storage/postgres_agent.py"] == \
        "under `cookbook/`, a documentation folder outside the application's packages"


ASSISTANT_FIXTURE = Path(__file__).parent / "fixtures" / "precision" / "context-assistant-folders"


def test_ai_coding_assistant_folders_are_not_production() -> None:
    """deer-flow's `.agent/skills/*/templates/anchor.template.py` (a test to copy, with `<entry_point>` to fill in: a
    parse error) and phoenix's or agenta's `.agents/skills/*/scripts/*.py` serve the developers' coding assistants:
    a skill's helper with a local database URL, or a template that does not parse, is development, never a loud
    finding."""
    _, report = run_json(ASSISTANT_FIXTURE)
    placed = {(f["code"], f["path"]): (f["severity"], f["context"]) for f in report["findings"]}
    assert placed == {
        ("PC601", "Dockerfile"): ("info", "prod"),
        ("PC000", ".agents/skills/io-guard/templates/anchor.template.py"): ("info", "dev"),
        ("PC301", ".claude/skills/db-check/scripts/check_schema.py"): ("info", "dev"),
    }


SIBLING_FIXTURE = Path(__file__).parent / "fixtures" / "precision" / "context-compose-dev-sibling"


def test_a_base_compose_file_beside_its_development_variant_mounts_data_not_source() -> None:
    """deer-flow's docker/docker-compose.yaml ("Production Environment") mounts `../skills:/app/skills:ro` (skills the
    agents read, a folder with Python in it) and runs no reloader, beside docker/docker-compose-dev.yaml: the base is
    the stack production runs, so its missing health check and restart policy are warnings; the development variant's
    reloader stays info."""
    _, report = run_json(SIBLING_FIXTURE)
    placed = {(f["code"], f["path"]): (f["severity"], f["context"]) for f in report["findings"]}
    assert placed == {
        ("PC101", "docker/docker-compose-dev.yaml"): ("info", "dev"),
        ("PC601", "docker/docker-compose.yaml"): ("warning", "prod"),
        ("PC607", "docker/docker-compose.yaml"): ("warning", "prod"),
    }
