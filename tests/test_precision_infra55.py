"""Deployment-file patterns real repositories outside the labelled set showed prodcheck getting wrong (stop 55)."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import loud_findings, run_json
from prodcheck.parsing.shell import split_script
from prodcheck.project.workflow_commands import deploy_command, rehearsal

FIXTURES = Path(__file__).parent / "fixtures" / "precision"


def _loud(name: str, *codes: str) -> list[tuple[str, str, int, str]]:
    return loud_findings(FIXTURES / name, *codes)


def test_a_chart_checked_with_helm_install_dry_run_is_not_deployed() -> None:
    """`helm install ... --dry-run` in a CI job renders and validates a chart: the folder is not made
    production by it, so a bind-mounting compose file kept beside the chart stays development (no loud
    PC101/PC204/PC302), and the job deploys nothing."""
    assert _loud("context-helm-dry-run") == [("PC606", "chart/templates/deployment.yaml", 12, "warning")]


@pytest.mark.parametrize(("line", "option"), [
    ("helm install check chart --dry-run", "--dry-run"),
    ("helm upgrade --install app ./chart --dry-run=server", "--dry-run=server"),
    ("kubectl apply --dry-run=client -f k8s/", "--dry-run=client"),
    ("kubectl apply --dry-run=none -f k8s/", None),
    ("kubectl apply -f k8s/", None),
    ("uv publish --dry-run", "--dry-run"),
    ("docker build --dry-run .", None),  # not a deploy command of knowledge/workflows.toml
])
def test_rehearsal_options_of_deploy_commands(line: str, option: str | None) -> None:
    command = split_script(line)[0]
    assert rehearsal(command) == option
    assert (deploy_command(command)[0] is None) == (option is not None or not line.startswith(("helm", "kubectl", "uv")))


def test_a_dry_run_manifest_piped_into_apply_still_deploys() -> None:
    """`kubectl create secret ... --dry-run=client -o yaml | kubectl apply -f -`: the second command ships it."""
    first, second = split_script("kubectl create secret generic app --from-env-file=.env --dry-run=client -o yaml"
                                 " | kubectl apply -f -")
    assert deploy_command(first)[0] is None
    assert deploy_command(second)[0] == "cluster"


def test_pc301_a_regex_that_parses_urls_and_a_local_database_of_a_script_are_not_leaks() -> None:
    """A regular expression written like a URL (`mysql\\+pymysql://(?P<user>[^:]+)(?::(?P<password>[^@]*))?@...`)
    holds no password; a script that starts its own database on this machine and connects to `localhost`
    is reported at info, as a local URL in code is. A remote host in code or in a command stays an error."""
    assert _loud("PC301-regex-and-local-script", "PC301") == [
        ("PC301", "app/dsn.py", 13, "error"),
        ("PC301", "scripts/restore.sh", 2, "error"),
    ]
    _, report = run_json(FIXTURES / "PC301-regex-and-local-script", "--select", "PC301")
    info = [(f["path"], f["line"]) for f in report["findings"] if f["severity"] == "info"]
    assert info == [("scripts/make_migration.sh", 4)]


def test_a_workload_whose_containers_name_no_image_is_a_patch_not_a_workload() -> None:
    """An operator's kustomize tree keeps `config/default/manager_config_patch.yaml` (a Deployment with only the
    container's name and args) even when no kustomization lists it: no container of it names an image, which
    every container of a real pod needs, so it is a fragment of `config/manager/manager.yaml` (non-root by
    its pod `securityContext`), not a second workload running as root."""
    assert _loud("k8s-unlisted-patch") == []


def test_a_ci_image_pushed_under_a_computed_tag_keeps_the_context_its_name_gives() -> None:
    """`Dockerfile.ci` built and pushed by docker/build-push-action with `tags: ${{ steps.image.outputs.name }}`
    (the image the test jobs then run in): no tag to read, so the Dockerfile's own name says test and the build
    does not make it production. The release image pushed with `${{ steps.meta.outputs.tags }}` stays production."""
    assert [f for f in _loud("context-ci-named-image", "PC201", "PC702")] == [
        ("PC201", "Dockerfile", 1, "warning"),
    ]
