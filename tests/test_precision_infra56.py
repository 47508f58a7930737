"""Deployment-file patterns real repositories outside the labelled set showed prodcheck getting wrong (stop 56)."""
from __future__ import annotations

from pathlib import Path

from conftest import loud_findings

FIXTURES = Path(__file__).parent / "fixtures" / "precision"


def _loud(name: str, *codes: str) -> list[tuple[str, str, int, str]]:
    return loud_findings(FIXTURES / name, *codes)


def test_helm_install_of_a_registry_chart_places_no_file_and_dash_i_takes_no_value() -> None:
    """`helm upgrade -i "${chart}" "${CHART_REPO}/${chart}" ... ${VERSION_FLAG}` installs a chart from a registry:
    no folder of the repository is that chart, and the flag variable that expands to nothing is no word (it was read
    as the chart `.`, putting every file of the repository in production). `-i` is `--install` and takes no value,
    so `helm upgrade -i shop ./chart -f deploy/production.yaml` installs ./chart with those values: its pod runs as
    a non-root user. The examples' job and image stay development (info, not loud)."""
    assert _loud("context-helm-remote-chart", "PC201") == []


def test_pc401_ddl_on_an_in_process_database_file_is_no_migration_on_boot() -> None:
    """`with sqlite3.connect(path) as conn: conn.execute("CREATE TABLE IF NOT EXISTS ...")` (and through
    `conn.cursor()`) in start-up sets up a cache file of the container's own disk, which no other replica shares:
    no replica races another over it. The same DDL on the PostgreSQL connection start-up opens stays an error."""
    assert _loud("PC401-embedded-cache-db", "PC401") == [("PC401", "app/main.py", 13, "error")]


def test_pc101_reload_set_only_in_a_start_scripts_development_branch_is_info() -> None:
    """`if [[ ${DEV_MODE} == "True" ]]; then RELOAD="--reload"; fi` then `exec uvicorn $RELOAD ...`, or `uvicorn
    --reload` itself in the `then` branch of `if [ "$APP_ENV" = "development" ]`: production's start skips the
    branch, so the image reloads only when started in development mode (info). A branch taken everywhere but
    production (`!=`) still reloads in every deploy that does not set the variable: an error."""
    assert _loud("PC101-dev-branch", "PC101") == [("PC101", "admin/start.sh", 6, "error")]
