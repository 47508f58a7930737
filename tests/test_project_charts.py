"""Helm chart templates read line by line (project/charts.py): what a workload template that the
static renderer cannot read (here: an `if` never closed, so the template does not parse) gives
the project model: its processes' commands, replicas and probes, each from a literal or a plain
`.Values` reference, and nothing guessed where a value needs rendering."""
from __future__ import annotations

from pathlib import Path

from conftest import project_model, write_project
from prodcheck.model.files import Context
from prodcheck.project import Project
from prodcheck.project.platforms import platform_health_checks, platform_model

APP = {"app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"}
DOCKERFILE = 'FROM python:3.12-slim\nCMD ["uvicorn", "app.main:app", "--port", "8080"]\n'
UNPARSED = "{{- if .Values.extra }}\n"  # never closed: the static renderer leaves the template to charts.py
HEAD = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n"


def _project(root: Path, files: dict[str, str]) -> Project:
    return project_model(root, {**APP, **files})


def _chart(root: Path, template: str, values: str = "", chart: str = "apiVersion: v2\nname: api\n",
           directory: str = "chart/", **extra: str) -> Project:
    files = {f"{directory}Chart.yaml": chart, f"{directory}templates/deployment.yaml": template + UNPARSED, **extra}
    if values:
        files[f"{directory}values.yaml"] = values
    return _project(root, files)


def _steps(project: Project) -> list[list[str]]:
    """Where each process's commands are written."""
    return [[f"{s.location.path}:{s.location.span.line}" for s in p.steps] for p in platform_model(project).processes]


def _processes(project: Project) -> list[tuple[str, list[str], int | None, str | None, str | None, int]]:
    """(name, commands, replicas, where the replica count is, Dockerfile, origin line)."""
    out = []
    for p in platform_model(project).processes:
        replicas = p.replicas
        where = f"{replicas.origin.path}:{replicas.origin.span.line}" if replicas is not None else None
        out.append((p.name, [" ".join(s.command.argv) for s in p.steps], replicas.value if replicas else None, where,
                    p.dockerfile, p.origin.span.line))
    return out


def _checks(project: Project) -> list[tuple[str, str, str | None, str, int, int, int]]:
    return [(c.kind, c.path, c.port, c.location.path, c.location.span.line, c.location.span.column,
             c.location.span.end_column) for c in platform_health_checks(project)]


def _container(lines: str) -> str:
    indented = "".join(f"          {line}\n" for line in lines.splitlines())
    return HEAD + "  template:\n    spec:\n      containers:\n        - name: api\n" + indented


def test_a_literal_command_list_and_replicas(tmp_path: Path) -> None:
    template = HEAD.replace("spec:\n", "spec:\n  replicas: 2\n") + (
        "  template:\n    spec:\n      containers:\n        - name: api\n          image: postgres:16\n"
        "          command:\n            - uvicorn\n            - \"app.main:app\"\n          args:\n"
        "          - --port\n          - '80'\n")
    project = _chart(tmp_path, template)
    assert _processes(project) == [("chart/templates/deployment.yaml:helm:api", ["uvicorn app.main:app --port 80"], 2,
                                    "chart/templates/deployment.yaml:6", None, 9)]
    assert _steps(project) == [["chart/templates/deployment.yaml:15"]]  # `command:` and `args:` together, at `args:`
    [process] = platform_model(project).processes
    assert (process.unit, process.context) == ("k8s", Context.PROD)


def test_a_flow_list_command_and_a_values_list_on_the_next_line(tmp_path: Path) -> None:
    template = _container('image: postgres:16\ncommand: ["gunicorn", "app.main:app"]\nargs:\n'
                          "  {{- toYaml .Values.args | nindent 12 }}\n")
    project = _chart(tmp_path, template, "args: [-w, '3']\n")
    assert _processes(project) == [("chart/values.yaml:helm:api", ["gunicorn app.main:app -w 3"], 1,
                                    "chart/templates/deployment.yaml:8", None, 8)]  # at `containers:`
    assert _steps(project) == [["chart/values.yaml:1"]]  # the values list, read last


def test_commands_that_need_rendering_are_not_guessed(tmp_path: Path) -> None:
    for index, lines in enumerate([
        'image: postgres:16\ncommand: {{ include "api.command" . }}\n',  # not a values reference
        "image: postgres:16\ncommand: {{ .Values.command }}\n",  # a values reference to a string
        'image: postgres:16\ncommand: ["unclosed\n',  # a flow list that does not parse
        "image: postgres:16\ncommand:\n  - uvicorn\n  - {{ .Values.app }}\n",  # an item needs rendering
    ]):
        project = _chart(tmp_path / str(index), _container(lines), "command: uvicorn app.main:app\napp: x\n")
        assert _processes(project) == [], lines


def test_a_block_list_ends_at_the_first_line_that_is_not_its_item(tmp_path: Path) -> None:
    template = _container("image: postgres:16\ncommand:\n  - uvicorn\n  - app.main:app\nports:\n  - containerPort: 80\n")
    project = _chart(tmp_path, template)
    assert [p[1] for p in _processes(project)] == [["uvicorn app.main:app"]]
    outdented = _container("image: postgres:16\ncommand:\n  - uvicorn\n") + "        - name: sidecar\n"
    project = _chart(tmp_path / "outdented", outdented)
    assert [p[1] for p in _processes(project)] == [["uvicorn"]]


def test_an_image_of_the_project_runs_its_dockerfile(tmp_path: Path) -> None:
    template = _container('image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"\n')
    values = "image:\n  repository: registry.example.com/shop/api\n  tag: \"\"\n"
    project = _chart(tmp_path, template, values, "apiVersion: v2\nname: api\nappVersion: \"1.4.0\"\n",
                     **{"Dockerfile": DOCKERFILE})
    assert _processes(project) == [("chart/templates/deployment.yaml:helm:api", ["uvicorn app.main:app --port 8080"], 1,
                                    "chart/templates/deployment.yaml:8", "Dockerfile", 8)]
    # a third-party image runs no Dockerfile of the project: with no command, no process
    project = _chart(tmp_path / "third", _container("image: redis:7\n"), **{"Dockerfile": DOCKERFILE})
    assert _processes(project) == []


def test_template_values_resolve_through_defaults_and_the_chart(tmp_path: Path) -> None:
    """replicas: a values reference, its `default`, `.Chart.AppVersion`; an empty value is no value."""
    cases = [
        ("{{ .Values.replicaCount }}", "replicaCount: 4\n", 4, "chart/values.yaml:1"),
        ('{{ .Values.replicaCount | default 5 }}', "replicaCount: \"\"\n", 5, "chart/templates/deployment.yaml:6"),
        ('{{ .Values.missing | default "6" }}', "a: 1\n", 6, "chart/templates/deployment.yaml:6"),
        ("{{ .Values.missing | default .Chart.AppVersion }}", "a: 1\n", 7, "chart/templates/deployment.yaml:6"),
        ("{{ .Chart.AppVersion }}", "a: 1\n", 7, "chart/templates/deployment.yaml:6"),
        ("{{ quote .Values.replicaCount }}", "replicaCount: 8\n", 8, "chart/values.yaml:1"),
        ("{{ .Values.replicaCount }}", "", None, None),  # no values.yaml: needs rendering
        ("{{ .Values.missing }}", "a: 1\n", None, None),
        ("{{ .Values.replicaCount | int }}", "replicaCount: \"\"\n", None, None),  # no default to fall back on
        ("{{ include \"replicas\" . }}", "a: 1\n", None, None),
        ("{{ .Values.replicaCount }}", "replicaCount: {a: 1}\n", None, None),  # a map is no count
        ("{{ .Values.replicaCount }}", "replicaCount: many\n", None, None),
    ]
    for index, (expression, values, count, where) in enumerate(cases):
        template = HEAD + f"  replicas: {expression}\n" + _container("command: [uvicorn, app.main:app]\n")[len(HEAD):]
        project = _chart(tmp_path / str(index), template, values, "apiVersion: v2\nname: api\nappVersion: \"7\"\n")
        [process] = platform_model(project).processes
        fact = process.replicas
        found = (fact.value, f"{fact.origin.path}:{fact.origin.span.line}") if fact and fact.note != "1 instance (default)" \
            and "default" not in fact.note else (None, None)
        assert found == (count, where), expression


def test_autoscaling_gives_the_ceiling_only_when_it_is_on(tmp_path: Path) -> None:
    template = HEAD + "  replicas: 2\n" + _container("command: [uvicorn, app.main:app]\n")[len(HEAD):]
    on = "autoscaling:\n  enabled: true\n  maxReplicas: 9\n"
    assert _processes(_chart(tmp_path / "on", template, on))[0][2:4] == (9, "chart/values.yaml:3")
    off = "autoscaling:\n  enabled: false\n  maxReplicas: 9\n"
    assert _processes(_chart(tmp_path / "off", template, off))[0][2:4] == (2, "chart/templates/deployment.yaml:6")
    unknown = "autoscaling:\n  enabled: true\n  maxReplicas: many\n"
    assert _processes(_chart(tmp_path / "unknown", template, unknown))[0][2:4] == (2, "chart/templates/deployment.yaml:6")


def test_probes_from_values_and_from_the_template(tmp_path: Path) -> None:
    template = _container("command: [uvicorn, app.main:app]\nlivenessProbe:\n  {{- toYaml .Values.livenessProbe | nindent 12 }}\n"
                          "readinessProbe:\n  httpGet:\n    path: /ready\n    port: 8080\n"
                          "startupProbe:\n  httpGet:\n    path: {{ .Values.startupPath }}\n    port: http\n")
    values = "livenessProbe:\n  httpGet:\n    path: /healthz\n    port: http\nstartupPath: /started\n"
    project = _chart(tmp_path, template, values)
    assert _checks(project) == [
        ("liveness", "/healthz", "http", "chart/values.yaml", 3, 11, 19),
        ("readiness", "/ready", "8080", "chart/templates/deployment.yaml", 15, 21, 27),
        ("startup", "/started", "http", "chart/values.yaml", 5, 14, 22)]


def test_probes_without_a_known_path_are_left_out(tmp_path: Path) -> None:
    template = _container("command: [uvicorn, app.main:app]\nlivenessProbe:\n  {{- toYaml .Values.livenessProbe | nindent 12 }}\n"
                          "readinessProbe:\n  httpGet:\n    port: 8080\n"
                          "startupProbe:\n  httpGet:\n    path: {{ .Values.missing }}\n"
                          "resources: {}\n")
    values = "livenessProbe:\n  exec:\n    command: [true]\n"
    assert _checks(_chart(tmp_path, template, values)) == []


def test_a_probe_ends_at_the_next_key_of_its_level(tmp_path: Path) -> None:
    template = _container("command: [uvicorn, app.main:app]\nreadinessProbe:\n  tcpSocket:\n    port: 8080\n"
                          "lifecycle:\n  httpGet:\n    path: /not-a-probe\n")
    assert _checks(_chart(tmp_path, template)) == []


def test_the_chart_name_and_a_chart_at_the_repository_root(tmp_path: Path) -> None:
    template = _container("command: [uvicorn, app.main:app]\n")
    unnamed = _chart(tmp_path / "unnamed", template, chart="apiVersion: v2\n", directory="deploy/api/")
    assert [p[0] for p in _processes(unnamed)] == ["deploy/api/templates/deployment.yaml:helm:deploy/api"]
    listed = _chart(tmp_path / "listed", template, chart="- not a chart\n", directory="deploy/api/")
    assert [p[0] for p in _processes(listed)] == ["deploy/api/templates/deployment.yaml:helm:deploy/api"]
    root = _chart(tmp_path / "root", template, "replicaCount: 3\n", chart="apiVersion: v2\n", directory="")
    assert _processes(root) == [("templates/deployment.yaml:helm:chart", ["uvicorn app.main:app"], 1,
                                 "templates/deployment.yaml:8", None, 8)]


def test_only_workload_templates_are_read(tmp_path: Path) -> None:
    template = _container("command: [uvicorn, app.main:app]\n").replace("kind: Deployment", "kind: Job")
    assert _processes(_chart(tmp_path, template)) == []
    for kind in ("StatefulSet", "DaemonSet"):
        template = _container("command: [uvicorn, app.main:app]\n").replace("kind: Deployment", f"kind: {kind}")
        assert len(_processes(_chart(tmp_path / kind, template))) == 1


def test_a_rendered_template_is_not_read_again(tmp_path: Path) -> None:
    template = _container("command: [uvicorn, app.main:app]\n")
    files = {"chart/Chart.yaml": "apiVersion: v2\nname: api\n", "chart/values.yaml": "a: 1\n",
             "chart/templates/deployment.yaml": template}
    assert [p[0] for p in _processes(_project(tmp_path, files))] == []


def test_a_broken_values_file_of_any_chart_is_a_parse_error(tmp_path: Path) -> None:
    """values.yaml beside every Chart.yaml is parsed up front, a vendored subchart's too (the static
    renderer never reads that one): PC000 names it."""
    from conftest import run_json

    write_project(tmp_path, {**APP, "chart/Chart.yaml": "apiVersion: v2\nname: shop\n", "chart/values.yaml": "a: 1\n",
                             "chart/charts/db/Chart.yaml": "apiVersion: v2\nname: db\n",
                             "chart/charts/db/values.yaml": "a: [unclosed\n", "other/values.yaml": "b: [unclosed\n"})
    _, report = run_json(tmp_path, "--select", "PC000")
    assert [f["path"] for f in report["findings"]] == ["chart/charts/db/values.yaml"]  # not a values.yaml of no chart


def test_a_probe_path_made_of_two_values_points_at_the_first(tmp_path: Path) -> None:
    template = _container("command: [uvicorn, app.main:app]\nreadinessProbe:\n  httpGet:\n"
                          "    path: {{ .Values.prefix }}{{ .Values.health }}\n")
    project = _chart(tmp_path, template, "prefix: /api\nhealth: /ready\n")
    assert _checks(project) == [("readiness", "/api/ready", None, "chart/values.yaml", 1, 9, 13)]


def test_a_command_key_on_the_last_line_and_a_template_without_containers(tmp_path: Path) -> None:
    """The unclosed `if` first this time, so that `command:` can be the template's last line."""
    template = UNPARSED + HEAD + "  template:\n    spec:\n      initContainers:\n        - name: init\n" \
        "          image: postgres:16\n          args: [alembic, upgrade, head]\n          command:"
    files = {"chart/Chart.yaml": "apiVersion: v2\nname: api\n", "chart/templates/deployment.yaml": template}
    project = _project(tmp_path, files)
    assert _processes(project) == [("chart/templates/deployment.yaml:helm:api", ["alembic upgrade head"], 1,
                                    "chart/templates/deployment.yaml:1", None, 1)]  # no `containers:`: line 1


def test_an_image_with_a_part_that_needs_rendering_is_not_guessed(tmp_path: Path) -> None:
    """`image: "{{ .Values.image.repository }}:{{ include "api.tag" . }}"`: the tag needs rendering, so
    the image is not known (never the repository with an empty tag), and with no command, no process."""
    values = "image:\n  repository: registry.example.com/shop/api\n"
    for index, image in enumerate(['"{{ .Values.image.repository }}:{{ include "api.tag" . }}"',
                                   '"{{ .Values.image.repository }}{{ .Release.Name }}"']):
        project = _chart(tmp_path / str(index), _container(f"image: {image}\n"), values, **{"Dockerfile": DOCKERFILE})
        assert _processes(project) == [], image
    project = _chart(tmp_path / "known", _container('image: "{{ .Values.image.repository }}"\n'), values,
                     **{"Dockerfile": DOCKERFILE})
    assert [p[4] for p in _processes(project)] == ["Dockerfile"]


def test_a_chart_whose_replicas_cannot_be_read_counts_one_replica_by_the_chart_default(tmp_path: Path) -> None:
    """PC402's arithmetic names where each number came from: a chart's Deployment without a readable `replicas`
    runs Kubernetes' default of one, said as a replica (a Helm chart), not a machine, dyno or bare instance."""
    template = HEAD + "  replicas: {{ .Values.missing }}\n" + _container("command: [uvicorn, app.main:app]\n")[len(HEAD):]
    project = _chart(tmp_path, template, "a: 1\n", "apiVersion: v2\nname: api\nappVersion: \"7\"\n")
    [process] = platform_model(project).processes
    assert process.replicas is not None and process.replicas.value == 1
    assert process.replicas.note == "1 replica (default)"
