"""File views (project/views.py): each file parsed once, a file that fails joins the parse errors and
leaves the files of its kind, and which YAML files are Kubernetes manifests."""
from __future__ import annotations

from pathlib import Path

from conftest import write_project
from prodcheck import engine
from prodcheck.model.files import Context, FileKind
from prodcheck.parsing import ParseError
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


def test_a_view_that_fails_is_one_parse_error_and_the_kind_lists_follow(tmp_path: Path) -> None:
    """The files of a kind are listed again once a view fails (a file read after the list was made leaves
    it); a second failing view of the same file adds no second parse error; the first document of a compose
    file or workflow is the one read, and a document that is no mapping is none."""
    project = project_of(tmp_path, {
        "compose.yaml": "services:\n  api:\n    image: a\n---\nservices:\n  other:\n    image: b\n",
        "deploy/compose.yaml": "- not a compose file\n",
        "ops/compose.yaml": "services: [api]\n",
        "late/compose.yaml": "services: {api: {image: [unclosed\n",
        ".github/workflows/ci.yml": "on: [push]\njobs: {}\n---\non: [pull_request]\n",
    })
    assert "late/compose.yaml" in [source.path for source in project.parse_errors]
    before = [source.path for source in project.of_kind(FileKind.COMPOSE)]
    assert sorted(before) == ["compose.yaml", "deploy/compose.yaml", "ops/compose.yaml"]
    extra = project.by_path["deploy/compose.yaml"]

    def fails() -> object:
        raise ParseError("unreadable")

    assert project.views.view(extra, "one", fails) is None and project.views.view(extra, "two", fails) is None
    assert project.views.view(extra, "one", lambda: 1) is None  # built once: the failure is kept
    assert [source.path for source in project.parse_errors].count("deploy/compose.yaml") == 1
    assert sorted(source.path for source in project.of_kind(FileKind.COMPOSE)) == ["compose.yaml", "ops/compose.yaml"]
    assert [source.path for source, _ in project.views.compose_files] == ["compose.yaml", "ops/compose.yaml"]
    assert [s.name for s in project.compose_services] == ["api"]
    [(_, workflow)] = project.workflows
    assert workflow.get("on").strings() == ["push"]


def test_which_yaml_files_are_manifests(tmp_path: Path) -> None:
    """A YAML file is read as manifests only when its text has both `apiVersion` and `kind`, and each
    document only when it is a mapping with both keys; a chart template with template actions is left to the
    chart model, a file elsewhere with `{{` in a comment is read."""
    project = project_of(tmp_path, {
        "k8s/only-version.yaml": "apiVersion: v1\nmetadata: {name: a}\n",
        "k8s/only-kind.yaml": "kind: ConfigMap\nmetadata: {name: a}\n",
        "k8s/both.yaml": "# {{ not a template here }}\napiVersion: v1\nkind: ConfigMap\n",
        "k8s/split.yaml": "apiVersion: v1\nmetadata: {name: a}\n---\nkind: Secret\n",
        "templates/plain.yaml": "apiVersion: v1\nkind: Service\n",
        "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\ndata: {x: '{{ .Values.x }}'}\n",
        "loose/templates/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: '{{ .Values.name }}'}\n",
    })
    found = [(source.path, document.get("kind").as_str()) for source, document in project.k8s_documents]
    assert found == [("k8s/both.yaml", "ConfigMap"), ("templates/plain.yaml", "Service")]
    assert project.by_path["k8s/split.yaml"].kind != FileKind.K8S


def test_parse_all_parses_declared_kinds_and_python_files_never_read(tmp_path: Path) -> None:
    project = project_of(tmp_path, {
        "chart/Chart.yaml": "apiVersion: v2\nname: c\n",
        "chart/templates/_helpers.tpl": '{{- define "c.name" -}}c{{- end -}}\n',
        "Dockerfile": "FROM python:3.12-slim\n", "app/main.py": "x = 1\n", "dev/tool.py": "y = 2\n",
    })
    helpers = project.by_path["chart/templates/_helpers.tpl"]
    project.parse_all()
    assert any(name.startswith("declared:") for name in helpers.views)
    assert project.views.parsed(project.by_path["Dockerfile"]) is None
    assert project.context_of("dev/tool.py") == project.by_path["dev/tool.py"].context != Context.PROD
