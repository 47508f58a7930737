"""File views (project/views.py): each file parsed once, a file that fails joins the parse errors and
leaves the files of its kind, and which YAML files are Kubernetes manifests."""
from __future__ import annotations

from pathlib import Path

from conftest import write_project
from prodcheck import engine
from prodcheck.model.files import Context, FileKind
from prodcheck.project import Project
from prodcheck.settings import Settings


def project_of(root: Path, files: dict[str, str]) -> Project:
    write_project(root, files)
    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(root, settings)
    return Project(root, discovered, engine.parse_python(root, discovered, settings), settings)


def test_parse_errors_leave_their_kind(tmp_path: Path) -> None:
    project = project_of(tmp_path, {
        "docker-compose.yml": "services:\n  api:\n    image: [unclosed\n",
        "compose.yaml": "services:\n  api:\n    image: registry.example/api:1\n  - 1\n",
        "deploy/docker-compose.yml": "services:\n  web:\n    image: registry.example/web:1\n  bad: 1\n",
        ".github/workflows/ci.yml": "on: [push]\njobs:\n  a:\n    runs-on: ubuntu-latest\n",
        ".github/workflows/list.yml": "- not a workflow\n",
        "Procfile": "web: uvicorn app:app\n",
        "k8s/api.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n---\nkind: Orphan\n---\n- 1\n",
        "k8s/notes.yaml": "title: no manifest here\n",
        "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\ndata:\n  x: {{ .Values.x }}\n",
    })
    project.parse_all()
    errors = sorted(source.path for source in project.parse_errors)
    assert "docker-compose.yml" in errors and "compose.yaml" in errors
    assert [source.path for source in project.of_kind(FileKind.COMPOSE)] == ["deploy/docker-compose.yml"]
    assert [(s.file.path, s.name) for s in project.compose_services] == [("deploy/docker-compose.yml", "web")]
    assert [source.path for source, _ in project.workflows] == [".github/workflows/ci.yml"]
    assert [(source.path, document.get("kind").as_str()) for source, document in project.k8s_documents] == [
        ("k8s/api.yaml", "ConfigMap")]
    assert project.by_path["k8s/api.yaml"].kind == FileKind.K8S
    assert [(source.path, entry.key) for source, entry in project.procfile_entries] == [("Procfile", "web")]
    assert project.context_of("not/a/file.py") == Context.PROD
    assert project.yaml(project.by_path["docker-compose.yml"]) == []  # parsed once: the error is kept
