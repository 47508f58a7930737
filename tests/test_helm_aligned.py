"""Helm's own rendering joined to the project (project/helm_binary.py, helm_aligned.py), with a
stand-in `helm` outside the scanned folder (PRODCHECK_HELM) that prints fixed manifests: where a
finding on a line only Helm rendered is placed, which templates Helm leaves out, what happens
when Helm fails, and which files Helm is given."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_json, write_project

CHART = "apiVersion: v2\nname: shop\nversion: 0.1.0\n"
VALUES = "api:\n  image: shop/api:latest\n  user: 1000\nreplicas: 2\n"
TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: {{ .Values.replicas }}
  template:
    spec:
      containers:
        - name: api
          image: {{ include "lib.image" . }}
          securityContext:
            runAsUser: {{ include "lib.uid" . }}
            runAsGroup: {{ include "lib.uid" . }}
"""


def _helm(tmp_path: Path, script: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `helm` that answers `version` like Helm and runs `script` for `template`."""
    fake = tmp_path / "bin" / "helm"
    fake.parent.mkdir(parents=True, exist_ok=True)
    fake.write_text('#!/bin/sh\nif [ "$1" = version ]; then echo v3.15.2+gfake; exit 0; fi\n' + script)
    fake.chmod(0o755)
    monkeypatch.setenv("PRODCHECK_HELM", str(fake))
    return fake


def _prints(tmp_path: Path, output: str, monkeypatch: pytest.MonkeyPatch) -> None:
    printed = tmp_path / "bin" / "output.yaml"
    printed.parent.mkdir(parents=True, exist_ok=True)
    printed.write_text(output)
    _helm(tmp_path, f"cat '{printed}'\n", monkeypatch)


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    return write_project(tmp_path / "repo", {"app.py": "from fastapi import FastAPI\napp = FastAPI()\n", **files})


def _found(root: Path, *codes: str) -> tuple[list[tuple[str, str, int]], list[str]]:
    _, report = run_json(root, *[a for code in codes for a in ("--select", code)])
    return sorted((f["code"], f["path"], f["line"]) for f in report["findings"]), report.get("notes", [])


def _rendered(image: str, user: str, group: str = "1000") -> str:
    return ("---\n# Source: shop/templates/api.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n"
            "spec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: api\n"
            f"          image: {image}\n          securityContext:\n            runAsUser: {user}\n"
            f"            runAsGroup: {group}\n")


def test_lines_only_helm_rendered_are_placed_by_what_they_say(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The image line (a library helper's output) is the values.yaml entry with the same key and value;
    runAsUser, a key written once in the template, is that template line."""
    _prints(tmp_path, _rendered("shop/api:latest", "0"), monkeypatch)
    root = _repo(tmp_path, {"chart/Chart.yaml": CHART, "chart/values.yaml": VALUES,
                            "chart/templates/api.yaml": TEMPLATE})
    found, notes = _found(root, "PC201", "PC203")
    assert found == [("PC201", "chart/templates/api.yaml", 13), ("PC203", "chart/values.yaml", 2)]
    assert any("1 Helm chart rendered by `helm template` (v3.15.2+gfake)" in n for n in notes)


def test_a_line_said_twice_takes_the_origin_of_the_line_above(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`runAsUser` written twice in the template and `0` in no values entry: the line above decides."""
    template = TEMPLATE + "        - name: sidecar\n          image: shop/sidecar:1.0\n" \
        "          securityContext:\n            runAsUser: {{ include \"lib.uid\" . }}\n"
    output = _rendered("shop/api:1.0", "0") + ("        - name: sidecar\n          image: shop/sidecar:1.0\n"
                                                "          securityContext:\n            runAsUser: 1000\n")
    _prints(tmp_path, output, monkeypatch)
    root = _repo(tmp_path, {"chart/Chart.yaml": CHART, "chart/values.yaml": VALUES.replace("latest", "1.0"),
                            "chart/templates/api.yaml": template})
    found, _ = _found(root, "PC201")
    assert found == [("PC201", "chart/templates/api.yaml", 12)]  # `securityContext:`, the line above


def test_a_value_helm_rendered_from_values_yaml_points_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A value that only Helm renders, found once in values.yaml with the same key: that entry."""
    values = VALUES + "runAsUser: 0\n"
    _prints(tmp_path, _rendered("shop/api:1.0", "0"), monkeypatch)
    template = TEMPLATE.replace("runAsUser: {{", "runAsUser: {{ .Values.x }}{{").replace(
        "          securityContext:\n", "          securityContext:\n            runAsUser: 5\n")
    root = _repo(tmp_path, {"chart/Chart.yaml": CHART, "chart/values.yaml": values.replace("latest", "1.0"),
                            "chart/templates/api.yaml": template})
    found, _ = _found(root, "PC201")
    assert found == [("PC201", "chart/values.yaml", 5)]


def test_a_template_helm_cannot_render_with_the_defaults_is_left_out_and_read_statically(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Helm stops on the worker template (`required`): it is left out and Helm renders the rest; the
    worker is read statically (its root user found at values.yaml) and the summary names it."""
    printed = tmp_path / "bin" / "output.yaml"
    printed.parent.mkdir(parents=True)
    printed.write_text(_rendered("shop/api:1.0", "1000"))
    _helm(tmp_path, 'if [ -f "$3/templates/worker.yaml" ]; then\n'
                    '  echo "Error: execution error at (shop/templates/worker.yaml:3:4): worker.key is required" >&2\n'
                    f"  exit 1\nfi\ncat '{printed}'\n", monkeypatch)
    worker = TEMPLATE.replace("name: api", "name: worker").replace(
        '{{ include "lib.uid" . }}', "{{ .Values.worker.user }}").replace('{{ include "lib.image" . }}', "shop/w:1.0")
    root = _repo(tmp_path, {"chart/Chart.yaml": CHART, "chart/values.yaml": VALUES + "worker:\n  user: 0\n",
                            "chart/templates/api.yaml": TEMPLATE, "chart/templates/worker.yaml": worker})
    found, notes = _found(root, "PC201")
    assert found == [("PC201", "chart/values.yaml", 6)]
    assert any("do not render with the chart's default values" in n and "chart/templates/worker.yaml" in n
               for n in notes)


def test_when_helm_fails_the_chart_keeps_the_static_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for script, why in [("echo 'Error: template: no template \"lib.image\"' >&2\nexit 1\n",
                         'helm template failed: Error: template: no template "lib.image"'),
                        ("exit 3\n", "helm template failed: helm exited with 3")]:
        _helm(tmp_path, script, monkeypatch)
        root = _repo(tmp_path, {"chart/Chart.yaml": CHART, "chart/values.yaml": VALUES,
                                "chart/templates/api.yaml": TEMPLATE.replace('{{ include "lib.uid" . }}', "0")})
        found, notes = _found(root, "PC201")
        assert found == [("PC201", "chart/templates/api.yaml", 13)]
        assert any(f"read without rendering by helm ({why})" in n for n in notes), notes


def test_helm_is_given_a_copy_of_the_chart_and_the_production_values(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The stand-in prints what it was given: the chart folder's files (no file outside it, no
    subchart that is not vendored in its Chart.yaml) and the production values after values.yaml."""
    _helm(tmp_path, 'for f in "$3"/Chart.yaml "$3"/templates/*.yaml; do echo "# given: ${f#$3/}" >&2; done\n'
                    'shift 3\necho "$@" | grep -q -- "--values .*values-0.yaml" || exit 5\n'
                    'printf -- "---\\n# Source: shop/templates/api.yaml\\n"; cat "$(dirname "$0")/output.yaml"\n',
          monkeypatch)
    (tmp_path / "bin" / "output.yaml").write_text(_rendered("shop/api:1.0", "0")[len("---\n# Source: shop/templates/api.yaml\n"):])
    root = _repo(tmp_path, {"chart/Chart.yaml": CHART, "chart/values.yaml": VALUES,
                            "chart/values-prod.yaml": "replicas: 3\n", "chart/templates/api.yaml": TEMPLATE,
                            "other/secret.yaml": "kind: Secret\n"})
    found, notes = _found(root, "PC201")
    assert found == [("PC201", "chart/templates/api.yaml", 13)]  # not "helm exited with 5": the values were given
    assert any("rendered by `helm template`" in n for n in notes)


@pytest.mark.parametrize("setting", ["off", "OFF", "0", "false", "no", "none", " Off "])
def test_prodcheck_helm_turns_helm_off(setting: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from prodcheck.project.helm_binary import helm_binary

    fake = _helm(tmp_path, "exit 0\n", monkeypatch)
    monkeypatch.setenv("PATH", str(fake.parent))
    monkeypatch.setenv("PRODCHECK_HELM", setting)
    assert helm_binary() is None
    monkeypatch.setenv("PRODCHECK_HELM", "")
    assert helm_binary() == str(fake)  # unset: `helm` on PATH
    assert helm_binary(fake.parent.parent) is None  # never one inside the scanned folder


def test_helm_version_keeps_the_first_line_up_to_40_characters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from prodcheck.project.helm_binary import helm_version

    long = "v3." + "1" * 60
    fake = tmp_path / "helm"
    fake.write_text(f"#!/bin/sh\necho {long}\necho second line\n")
    fake.chmod(0o755)
    assert helm_version(str(fake)) == long[:40]


def test_helm_sees_only_its_own_environment(tmp_path: Path) -> None:
    from prodcheck.project.helm_binary import _environment

    closed = "http://127.0.0.1:9"
    assert _environment(tmp_path) == {
        "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HELM_CACHE_HOME": str(tmp_path / "cache"),
        "HELM_CONFIG_HOME": str(tmp_path / "config"), "HELM_DATA_HOME": str(tmp_path / "data"),
        "HELM_PLUGINS": str(tmp_path / "plugins"), "HELM_NO_PLUGINS": "1",
        "HELM_REGISTRY_CONFIG": str(tmp_path / "config" / "registry.json"),
        "HELM_REPOSITORY_CONFIG": str(tmp_path / "config" / "repositories.yaml"),
        "HELM_REPOSITORY_CACHE": str(tmp_path / "cache" / "repository"),
        "KUBECONFIG": str(tmp_path / "no-kubeconfig"),
        "HTTP_PROXY": closed, "HTTPS_PROXY": closed, "http_proxy": closed, "https_proxy": closed,
        "NO_PROXY": "", "no_proxy": ""}


def _source(path: str, data: bytes = b"kind: ConfigMap\n"):  # a SourceFile
    from prodcheck.model.files import Context, FileKind
    from prodcheck.project.sources import SourceFile

    return SourceFile(path, FileKind.YAML, Context.PROD, data=data)


def test_render_of_a_chart_at_the_root_with_failing_templates_left_out_up_to_four(tmp_path: Path) -> None:
    """Each template that stops Helm is removed from the copy and Helm runs again, four times at most;
    Helm's error names the chart's temporary folder, which the message leaves out."""
    from prodcheck.project.helm_binary import render

    fake = tmp_path / "helm"
    fake.write_text('#!/bin/sh\nfor f in "$3"/templates/fail*.yaml; do\n  if [ -f "$f" ]; then\n'
                    '    echo "Error: execution error at (shop/templates/$(basename "$f"):1:2): required in $3/x" >&2\n'
                    '    exit 1\n  fi\ndone\nprintf -- "---\\n# Source: shop/templates/ok.yaml\\nkind: Service\\n"\n')
    fake.chmod(0o755)
    files = [_source("Chart.yaml", b"name: shop\n"), _source("templates/ok.yaml")]
    four = files + [_source(f"templates/fail{i}.yaml") for i in range(4)]
    result = render(str(fake), "", four, [])
    assert (result.error, result.left_out, result.manifests) == (
        None, [f"templates/fail{i}.yaml" for i in range(4)], {"templates/ok.yaml": "---\nkind: Service\n"})
    result = render(str(fake), "", [*four, _source("templates/fail4.yaml")], [])
    assert result.error == "Error: execution error at (shop/templates/fail4.yaml:1:2): required in x"
    assert result.manifests == {}


def test_render_reports_why_helm_did_not_render(tmp_path: Path) -> None:
    from prodcheck.project.helm_binary import render

    chart = [_source("c/Chart.yaml", b"name: shop\n"), _source("c/templates/a.yaml")]
    fake = tmp_path / "helm"
    fake.write_text("#!/bin/sh\necho 'Error: execution error at (shop/templates/gone.yaml:1:2): x' >&2\n"
                    "printf '%0400d' 0 >&2\nexit 1\n")
    fake.chmod(0o755)
    result = render(str(fake), "c", chart, [])
    assert result.error is not None and len(result.error) == 300  # a template not in the copy: no retry
    assert result.error.startswith("Error: execution error at (shop/templates/gone.yaml:1:2): x 000")
    assert render(str(fake), "c", chart[1:], []).error == "Chart.yaml not readable"
    assert render(str(tmp_path / "missing"), "c", chart, []).error == "helm could not run: FileNotFoundError"


def test_requirements_yaml_is_copied_with_vendored_dependencies_only() -> None:
    from prodcheck.project.helm_binary import _vendored_only

    requirements = b"dependencies:\n  - name: redis\n  - name: common\n"
    vendored = [_source("c/charts/common/Chart.yaml", b"name: common\n"), _source("c/charts/README.md", b"x"),
                _source("c/files/redis/redis.conf", b"x"), _source("c/charts/redis", b"x")]  # no chart folder of redis
    assert _vendored_only(requirements, "c/", vendored) == b"dependencies:\n- name: common\n"
    assert _vendored_only(b"dependencies: [unclosed\n", "c/", vendored) == b"dependencies: [unclosed\n"
    assert _vendored_only(b"- a list\n", "c/", vendored) == b"- a list\n"
    assert _vendored_only(b"dependencies: {}\n", "c/", vendored) == b"dependencies: {}\n"
    everything = b"dependencies:\n  - name: common\n"
    assert _vendored_only(everything, "c/", vendored) is everything  # nothing to drop: the file as written


SLOTTED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: shop/api:1.0
          command: ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]
          ports:
            - containerPort: 8000
          {{- with .Values.readinessProbe }}
          readinessProbe:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          resources:
            limits: {memory: 1Gi}
          securityContext:
            runAsUser: 1000
"""


def test_a_block_the_defaults_leave_out_is_still_placed_at_its_value_when_helm_renders(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Helm's output has no readinessProbe (the values leave it `{}`): the missing probe is reported
    at that values.yaml line, the slot of the static rendering carried over to Helm's lines."""
    output = ("---\n# Source: shop/templates/api.yaml\n"
              + SLOTTED.replace("          {{- with .Values.readinessProbe }}\n          readinessProbe:\n"
                                "            {{- toYaml . | nindent 12 }}\n          {{- end }}\n", ""))
    _prints(tmp_path, output, monkeypatch)
    values = "image: x\nlivenessProbe: {httpGet: {path: /, port: 80}}\nreadinessProbe: {}\n"
    root = _repo(tmp_path, {"chart/Chart.yaml": CHART, "chart/values.yaml": values,
                            "chart/templates/api.yaml": SLOTTED})
    found, notes = _found(root, "PC603")
    assert found == [("PC603", "chart/values.yaml", 3)]
    assert any("rendered by `helm template`" in n for n in notes)


def test_helm_output_replaces_the_static_reading_of_every_template(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker template renders (statically) a root container, but Helm renders nothing for it (a
    condition only Helm evaluates): nothing is reported for it. A vendored subchart's manifests in
    Helm's output are not the chart's own templates and are not read either."""
    worker = TEMPLATE.replace("name: api", "name: worker").replace('{{ include "lib.uid" . }}', "0").replace(
        '{{ include "lib.image" . }}', "shop/w:1.0")
    subchart = ("---\n# Source: shop/charts/db/templates/db.yaml\n"
                + _rendered("db:1.0", "0")[len("---\n# Source: shop/templates/api.yaml\n"):])
    _prints(tmp_path, _rendered("shop/api:1.0", "1000") + subchart, monkeypatch)
    root = _repo(tmp_path, {"chart/Chart.yaml": CHART, "chart/values.yaml": VALUES,
                            "chart/templates/api.yaml": TEMPLATE, "chart/templates/worker.yaml": worker,
                            "chart/charts/db/Chart.yaml": "apiVersion: v2\nname: db\nversion: 1.0.0\n",
                            "chart/charts/db/templates/db.yaml": "kind: StatefulSet\n"})
    found, _ = _found(root, "PC201")
    assert found == []


@pytest.mark.parametrize(("lines", "aligned"), [(20_000, True), (20_001, False)])
def test_helm_output_of_20000_lines_is_aligned_with_the_static_reading_and_longer_is_not(
        lines: int, aligned: bool) -> None:
    """Helm's lines are matched to the static rendering's (whose lines know their origins) up to 20,000
    lines; past that a line is placed by what it says only (here: nothing in the template says it, so
    the template's first line)."""
    from prodcheck.model.files import Context, FileKind
    from prodcheck.model.finding import Location, Span
    from prodcheck.project.helm_aligned import _aligned
    from prodcheck.project.helm_render import Rendered
    from prodcheck.project.sources import SourceFile

    text = "\n".join(f"k{i}: v{i}" for i in range(lines))
    template = SourceFile("chart/templates/cm.yaml", FileKind.YAML, Context.PROD, text="{{ .Values.all }}\n")
    static = Rendered(SourceFile("chart/templates/cm.yaml@rendered", FileKind.YAML, Context.PROD, text=text),
                      template, "chart/values.yaml", [Location("chart/values.yaml", Span(i + 1)) for i in range(lines)])
    rendered = _aligned(template, "chart/values.yaml", text, static, {})
    assert len(rendered.origins) == lines
    expected = Location("chart/values.yaml", Span(lines)) if aligned else Location("chart/templates/cm.yaml", Span(1))
    assert rendered.origins[-1] == expected


def test_the_slots_of_the_static_rendering_move_with_the_lines_helm_renders_around_them() -> None:
    """A slot (where a block the defaults leave out would go) keeps its distance to the last line above it that
    both renderings share, moved to where Helm wrote that line: on the first shared line itself, on `spec:` after
    the lines Helm added above, on the last one; after the last shared line it stays on Helm's last line. A slot
    above every shared line (the static rendering's leading blank line) has nothing to move with and is dropped."""
    from prodcheck.model.files import Context, FileKind
    from prodcheck.model.finding import Location, Span
    from prodcheck.project.helm_aligned import _aligned
    from prodcheck.project.helm_render import Rendered
    from prodcheck.project.sources import SourceFile

    static_text = "\nkind: Deployment\nspec:\n  replicas: 1\n  template: {}\n"
    helm_text = "kind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 1\n  extra: 2\n  template: {}\n"
    template = SourceFile("chart/templates/d.yaml", FileKind.YAML, Context.PROD, text="{{ .Values.all }}\n")
    static = Rendered(SourceFile("chart/templates/d.yaml@rendered", FileKind.YAML, Context.PROD, text=static_text),
                      template, "chart/values.yaml", [Location("chart/values.yaml", Span(i + 1)) for i in range(6)])
    static.slots = [(line, key, Location("chart/values.yaml", Span(line)))
                    for line, key in ((1, "before"), (2, "first"), (3, "spec"), (5, "last"), (6, "end"))]
    rendered = _aligned(template, "chart/values.yaml", helm_text, static, {})
    assert [(line, key, origin.span.line) for line, key, origin in rendered.slots] == [
        (1, "first", 2), (4, "spec", 3), (7, "last", 5), (7, "end", 6)]
