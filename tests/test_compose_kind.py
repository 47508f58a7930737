"""project/compose_kind.py: a YAML file is a Compose file by its contents when its name does not say so."""
from __future__ import annotations

from pathlib import Path

from conftest import project_model, run_json, write_project
from prodcheck.model.files import FileKind

TIER = """\
x-logging: &default-logging
  driver: json-file
services:
  cadvisor:
    image: gcr.io/cadvisor/cadvisor:v0.49.1
    logging: *default-logging
    privileged: true
"""


def test_a_compose_project_under_any_name_is_a_compose_file(tmp_path: Path) -> None:
    files = {
        "docker-compose.yml": "include:\n  - deploy/compose/monitoring.yml\n",
        "deploy/compose/monitoring.yml": TIER,
        # not Compose: GitLab CI's `services` is a list, Render's `services` a list, a manifest has apiVersion
        "ci/gitlab.yml": "test:\n  image: python:3.12\n  services:\n    - postgres:16\n",
        "render.yaml": "services:\n  - type: web\n    name: api\n",
        "k8s/app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  services: x\n",
        "other/settings.yml": "services:\n  api:\n    url: https://api.example.com\nfeatures:\n  beta: true\n",
    }
    project = project_model(tmp_path, files)
    kinds = {source.path: source.kind for source in project.files}
    assert kinds["deploy/compose/monitoring.yml"] == FileKind.COMPOSE
    assert all(kinds[path] != FileKind.COMPOSE for path in ("ci/gitlab.yml", "render.yaml", "k8s/app.yaml",
                                                              "other/settings.yml"))


def test_its_services_are_checked_as_compose_services(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"deploy/compose/monitoring.yml": TIER})
    _, report = run_json(root, "--select", "PC202")
    assert [(f["path"], f["line"]) for f in report["findings"]] == [("deploy/compose/monitoring.yml", 7)]
