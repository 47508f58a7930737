"""Helm charts rendered statically with their default values (project/helm_render.py): the k8s
rules read the manifests, and report at the values.yaml line a user edits."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_json
from prodcheck.model.finding import Location, Span
from prodcheck.parsing.gotemplate import parse
from prodcheck.parsing.yaml import load_documents
from prodcheck.project.helm_eval import Budget, Evaluator
from prodcheck.project.helm_values import PLACEHOLDER

FIXTURES = Path(__file__).parent / "fixtures" / "helm"
RULES = ("PC201", "PC203", "PC301", "PC302", "PC401", "PC603", "PC606")


def _found(name: str) -> list[tuple[str, str, int]]:
    args = [a for code in RULES for a in ("--select", code)]
    _, report = run_json(FIXTURES / name, *args)
    return sorted((f["code"], f["path"], f["line"]) for f in report["findings"])


def test_unsafe_defaults_are_reported_where_the_user_edits_them() -> None:
    assert _found("defaults-unsafe") == [
        ("PC201", "chart/values.yaml", 10),  # api.securityContext: {} rendered with toYaml
        ("PC203", "chart/values.yaml", 2),  # image tag `| default .Values.global.version` -> "latest"
        ("PC301", "chart/values.yaml", 24),  # the bundled postgresql dependency's default password
        ("PC302", "chart/values.yaml", 33),  # a default admin password; not the disabled redis, not externalDatabase
        ("PC401", "chart/templates/api.yaml", 25),  # the migration line, in an `if` that defaults to on
        ("PC603", "chart/values.yaml", 12),  # `with .Values.api.readinessProbe` over {}: no probe
        ("PC606", "chart/values.yaml", 11),  # resources: {}
    ]  # the disabled worker (`runAsUser: 0` behind `worker.enabled: false`) renders nothing


def test_safe_defaults_through_include_and_conditions_are_quiet() -> None:
    assert _found("defaults-safe") == []


def _render(template: str, values: str, helpers: str = "") -> str:
    parsed = parse(template)
    defines = {**parse(helpers).defines, **parsed.defines} if helpers else parsed.defines
    root = {"Values": load_documents(values)[0], "Release": {"Name": "r"}, "Chart": {"Name": "c"}}
    emission = Evaluator(defines, "values.yaml", "t.yaml").render(parsed.body, root, root)
    return "".join(s.text for s in emission.segments)


def test_trimming_else_if_and_range() -> None:
    template = ("a:\n  {{- if .Values.off }}\n  x: 1\n  {{- else if .Values.on }}\n  y: {{ .Values.n }}\n  {{- end }}\n"
                "b:\n{{- range $k, $v := .Values.m }}\n  {{ $k }}: {{ $v | quote }}\n{{- end }}\n")
    assert _render(template, "off: false\non: true\nn: 3\nm: {z: 1, a: two}\n") == \
        'a:\n  y: 3\nb:\n  a: "two"\n  z: "1"\n'


def test_unknown_values_never_render_as_literals() -> None:
    assert _render("image: {{ tpl .Values.x . }}\n", "x: latest\n") == f"image: {PLACEHOLDER}\n"


def test_values_lines_are_remembered() -> None:
    parsed = parse("sc:\n  {{- toYaml .Values.sc | nindent 2 }}\n")
    root = {"Values": load_documents("a: 1\nsc:\n  runAsUser: 0\n")[0]}
    emission = Evaluator({}, "values.yaml", "t.yaml").render(parsed.body, root, root)
    origins = [s.origin for s in emission.segments if s.value]
    assert origins == [Location("values.yaml", Span(3, 14, 3, 15))]


def test_hostile_templates_end() -> None:
    """A recursive include and a huge loop stop at the budget (the chart's template is then skipped)."""
    with pytest.raises(Budget):
        _render('{{ define "a" }}{{ include "a" . }}{{ end }}x{{ include "a" . }}', "{}\n")
    with pytest.raises(Budget):
        _render("{{ range until 100000 }}9{{ end }}", "{}\n")


@pytest.mark.parametrize("template", [
    "{{- range until 60 }}" * 6 + "{{- end }}" * 6,  # loops within the loop limit, nested: 60^6 visits
    "".join(f'{{{{- define "d{i}" }}}}{{{{ include "d{i + 1}" . }}}}{{{{ include "d{i + 1}" . }}}}{{{{- end }}}}'
            for i in range(23)) + '{{- define "d23" }}{{- end }}{{ include "d0" . }}',  # 2^23 includes
    '{{ indent 2000000000 "x" }}',  # a 2 GB pad
    '{{ nindent -1 "x" }}',
], ids=["nested-loops", "include-fan-out", "huge-indent", "negative-indent"])
def test_work_that_writes_nothing_is_bounded_too(template: str) -> None:
    """Output size alone does not bound the work: loops and helpers that write nothing are counted."""
    with pytest.raises(Budget):
        _render(template, "{}\n")


def test_a_template_over_budget_is_pc000_and_the_run_goes_on(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: x\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("a: 1\n")
    head = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  template:\n    spec:\n"
            "      containers:\n      - name: a\n        image: x:1\n")
    (chart / "templates" / "heavy.yaml").write_text(
        head.format(name="heavy") + "        env: " + "{{ range until 60 }}" * 4 + "{{ end }}" * 4 + "\n")
    (chart / "templates" / "plain.yaml").write_text(head.format(name="plain") + "        env: []\n")
    for select in (("--select", "PC000"), ("--select", "PC000", "--select", "PC201")):
        _, report = run_json(tmp_path, *select)
        found = sorted((f["code"], f["path"], f["severity"]) for f in report["findings"])
        expected = [("PC000", "chart/templates/heavy.yaml", "info")]
        if "PC201" in select:
            expected.append(("PC201", "chart/templates/plain.yaml", "warning"))
        assert found == expected
        assert "steps" in report["findings"][0]["message"] or "steps" in report["findings"][-1]["message"]


def test_production_values_beside_the_chart_override_the_defaults(tmp_path: Path) -> None:
    # values-prod.yaml pins the tag and hardens the api container, and sets the worker to root
    assert _found("prod-values") == [("PC201", "chart/values-prod.yaml", 10)]
    _, report = run_json(FIXTURES / "prod-values")
    assert any("chart/values-prod.yaml" in note for note in report["notes"])
    # the same chart without its production values: the defaults' `latest` and empty securityContext
    import shutil

    copy = tmp_path / "defaults-only"
    shutil.copytree(FIXTURES / "prod-values", copy)
    (copy / "chart" / "values-prod.yaml").unlink()
    args = [a for code in RULES for a in ("--select", code)]
    _, report = run_json(copy, *args)
    assert sorted((f["code"], f["path"], f["line"]) for f in report["findings"]) == [
        ("PC201", "chart/values.yaml", 4), ("PC203", "chart/values.yaml", 3)]


def test_merged_values_follow_helm(tmp_path: Path) -> None:
    from prodcheck.project.helm_render import merged

    base = load_documents("a: {b: 1, c: 2}\nd: [1, 2]\ne: keep\n")[0]
    over = load_documents("a: {b: 9}\nd: [3]\ne: null\n")[0]
    result = merged(base, over, "values-prod.yaml")
    a, d = result.get("a"), result.get("d")
    assert a is not None and d is not None and result.get("e") is None
    assert [(k, v.as_str(), v.origin) for k, v in a.entries()] == [("b", "9", "values-prod.yaml"), ("c", "2", None)]
    assert d.strings() == ["3"]


def test_values_files_a_deploy_job_installs_the_chart_with_override_the_defaults(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "deployed"
    shutil.copytree(FIXTURES / "prod-values", root)
    (root / "chart" / "values-prod.yaml").rename(root / "release.yaml")
    workflow = root / ".github" / "workflows" / "deploy.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("on: {push: {branches: [main]}}\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
                        "      - run: helm upgrade --install shop ./chart -f release.yaml --namespace shop\n")
    args = [a for code in RULES for a in ("--select", code)]
    _, report = run_json(root, *args)
    assert sorted((f["code"], f["path"], f["line"]) for f in report["findings"]) == [("PC201", "release.yaml", 10)]
    assert any("release.yaml" in note for note in report["notes"])


def test_findings_moved_back_cover_the_value_or_the_template_line() -> None:
    """A finding on a rendered manifest points at what a user edits: the value's own span in
    values.yaml, or the template line from its first non-blank character to its last."""
    args = [a for code in ("PC203", "PC401", "PC606") for a in ("--select", code)]
    _, report = run_json(FIXTURES / "defaults-unsafe", *args)
    spans = sorted((f["code"], f["path"], f["line"], f["column"], f["end_line"], f["end_column"])
                   for f in report["findings"])
    assert spans == [
        ("PC203", "chart/values.yaml", 2, 12, 2, 20),  # `"latest"`, quotes included
        ("PC401", "chart/templates/api.yaml", 25, 15, 25, 38),  # `alembic upgrade head &&`
        ("PC606", "chart/values.yaml", 11, 14, 11, 16),  # `{}`
    ]


def test_the_summary_keeps_a_reason_of_160_characters_and_cuts_a_longer_one() -> None:
    """Why a chart was not rendered by Helm (its error) goes into the summary whole up to 160
    characters; a longer one is cut to 160 with an ellipsis."""
    from prodcheck.project.helm_render import Rendering

    whole = "e" * 160
    [note] = Rendering(static=[("chart", whole)]).notes()
    assert f"({whole})" in note
    [note] = Rendering(static=[("chart", "f" * 161)]).notes()
    assert f"({'f' * 157}...)" in note


_DEPLOYMENT = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  template:\n    spec:\n"
               "      containers:\n      - name: a\n        image: x:1\n"
               "        securityContext:\n          runAsUser: {{{{ .Values.uid }}}}\n")


def test_a_chart_at_the_repository_root_is_rendered_with_its_values(tmp_path: Path) -> None:
    """Chart.yaml, values.yaml and templates/ at the top of the scanned folder (no chart folder)."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: x\nversion: 0.1.0\n")
    (tmp_path / "values.yaml").write_text("a: 1\nuid: 0\n")
    (tmp_path / "templates" / "api.yaml").write_text(_DEPLOYMENT.format(name="api"))
    _, report = run_json(tmp_path, "--select", "PC201")
    assert [(f["code"], f["path"], f["line"]) for f in report["findings"]] == [("PC201", "values.yaml", 2)]


def test_a_dependency_chart_is_not_rendered_on_its_own_and_the_charts_after_it_are(tmp_path: Path) -> None:
    """`api/charts/db/` is a dependency its parent's values configure: not rendered with its own defaults
    (its `runAsUser: 0` is no finding); the chart listed after it (`worker/`) is still rendered."""
    for chart, uid in (("api", "1000"), ("api/charts/db", "0"), ("worker", "0")):
        (tmp_path / chart / "templates").mkdir(parents=True)
        (tmp_path / chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {chart.rsplit('/', 1)[-1]}\nversion: 0.1.0\n")
        (tmp_path / chart / "values.yaml").write_text(f"uid: {uid}\n")
        (tmp_path / chart / "templates" / "deployment.yaml").write_text(_DEPLOYMENT.format(name="app"))
    rendering = _rendering(tmp_path)
    assert (rendering.charts, sorted(rendering.templates)) == (
        2, ["api/templates/deployment.yaml", "worker/templates/deployment.yaml"])
    _, report = run_json(tmp_path, "--select", "PC201")
    assert [(f["code"], f["path"], f["line"]) for f in report["findings"]] == [("PC201", "worker/values.yaml", 1)]


def test_templates_after_one_over_budget_are_still_rendered(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: x\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("uid: 0\n")
    heavy = "{{ range until 60 }}" * 4 + "{{ end }}" * 4 + "\n"
    long = "{{ range until 100 }}\n{{ end }}\n"  # a loop past the loop budget: left unread quietly
    (chart / "templates" / "a-heavy.yaml").write_text(heavy)
    (chart / "templates" / "b-long.yaml").write_text(long)
    (chart / "templates" / "c-api.yaml").write_text(_DEPLOYMENT.format(name="api"))
    _, report = run_json(tmp_path, "--select", "PC000", "--select", "PC201")
    assert sorted((f["code"], f["path"], f["line"]) for f in report["findings"]) == [
        ("PC000", "chart/templates/a-heavy.yaml", 1), ("PC201", "chart/values.yaml", 1)]


def test_the_summary_names_how_each_chart_was_read() -> None:
    from prodcheck.project.helm_render import Rendering

    assert Rendering().notes() == []
    one = Rendering(by_helm=["chart"], helm="v3.15.2", partly=[("chart", f"chart/templates/t{i}.yaml") for i in range(4)],
                    overrides=["chart/values-prod.yaml"])
    assert one.notes() == [
        "1 Helm chart rendered by `helm template` (v3.15.2) with default values",
        "Helm templates that do not render with the chart's default values (`required`, `fail`), read statically "
        "instead: chart/templates/t0.yaml, chart/templates/t1.yaml, chart/templates/t2.yaml, chart/templates/t3.yaml",
        "Helm charts read with their production values over the defaults: chart/values-prod.yaml"]
    many = Rendering(by_helm=["a", "b"], helm="v3", partly=[("a", f"t{i}") for i in range(5)],
                     overrides=[f"v{i}" for i in range(5)])
    notes = many.notes()
    assert notes[0].startswith("2 Helm charts rendered")
    assert notes[1].endswith(": t0, t1, t2, t3, ...") and notes[2].endswith(": v0, v1, v2, v3, ...")
    same = Rendering(static=[("a", "no helm binary on PATH"), ("b", "no helm binary on PATH")]).notes()
    assert same[0].startswith("2 Helm charts read without rendering by helm (no helm binary on PATH): rendered statically")
    differ = Rendering(static=[("", "why one"), ("b", "why two"), ("c", "why two"), ("d", "why four")]).notes()
    assert differ[0].startswith("4 Helm charts read without rendering by helm (.: why one; b: why two; c: why two): ")


def _rendering(root: Path):  # the project's Rendering
    from prodcheck import engine
    from prodcheck.project import Project
    from prodcheck.settings import Settings

    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(root, settings)
    return Project(root, discovered, engine.parse_python(root, discovered, settings), settings).views.helm


def test_chart_fields_and_release_fields_render(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: shop\nappVersion: \"1.4\"\nversion: 0.1.0\n"
                                      "dependencies: [{name: x}]\n")
    (chart / "values.yaml").write_text("a: 1\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n"
        "  v: {{ .Chart.Name }}-{{ .Chart.AppVersion }}-{{ .Release.Name }}-{{ .Release.Namespace }}"
        "-{{ .Release.Service }}-{{ .Release.IsInstall }}-{{ .Release.IsUpgrade }}-{{ .Release.Revision }}"
        "-{{ .Template.Name }}-{{ .Template.BasePath }}-{{ .Chart.Dependencies }}\n")
    rendering = _rendering(tmp_path)
    text = rendering.files["chart/templates/cm.yaml@rendered"].source.text
    assert text.endswith("  v: shop-1.4-release-name-default-Helm-true-false-1-chart/templates/cm.yaml-chart/templates-\n")
    assert (rendering.charts, sorted(rendering.templates)) == (1, ["chart/templates/cm.yaml"])


REMAP_TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: {{ .Values.image }}
          securityContext:
            runAsUser: {{ .Values.uid }}
          {{- if tpl "x" . }}
          command: [run]
          {{- end }}
          workingDir: {{ .Values.script }}
"""


def test_findings_on_rendered_lines_move_to_the_value_or_the_template_line(tmp_path: Path) -> None:
    from dataclasses import replace

    from prodcheck.model.files import Context
    from prodcheck.project.helm_render import remap
    from prodcheck.rules.base import Draft

    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: shop\n")
    (chart / "values.yaml").write_text("uid: 0\nimage: shop/api:latest\nscript: |\n  run\n")
    (chart / "templates" / "api.yaml").write_text(REMAP_TEMPLATE)
    rendering = _rendering(tmp_path)
    path = "chart/templates/api.yaml@rendered"
    assert rendering.files[path].uncertain == {13}

    def moved(line: int, column: int = 1, **fields: object) -> Draft:
        return remap(rendering, Draft("m", Location(path, Span(line, column)), **fields))  # type: ignore[arg-type]

    assert moved(12).location == Location("chart/values.yaml", Span(1, 6, 1, 7))  # `0`
    assert moved(10).location == Location("chart/values.yaml", Span(2, 8, 2, 23))  # the image value
    assert moved(11).location == Location("chart/templates/api.yaml", Span(11, 11, 11, 27))  # the template line
    assert moved(14).location == Location("chart/values.yaml", Span(3, 9, 3, 9))  # a block value: its first column
    assert moved(99).location == Location("chart/templates/api.yaml", Span(1, 1, 1, 20))  # past the end: line 1
    uncertain = moved(13)
    assert (uncertain.location.span.line, uncertain.context) == (14, Context.AMBIGUOUS)
    assert "could not be evaluated" in uncertain.context_reason
    assert moved(13, context=Context.DEV).context == Context.DEV  # the rule's own context stays
    assert moved(12).context is None

    related = Draft(f"see {path}:12 and other.yaml@rendered:3", Location("Dockerfile", Span(1)),
                    related=(Location(path, Span(10)), Location("x.yaml", Span(2))))
    out = remap(rendering, related)
    assert out.message == "see chart/values.yaml:1 and other.yaml@rendered:3"
    assert out.related == (Location("chart/values.yaml", Span(2, 8, 2, 23)), Location("x.yaml", Span(2)))
    assert out.location == Location("Dockerfile", Span(1))
    plain = Draft("m", Location("Dockerfile", Span(1)), related=(Location("x.yaml", Span(2)),))
    assert remap(rendering, plain) is plain
    on_rendered = remap(rendering, replace(related, location=Location(path, Span(12))))
    assert (on_rendered.location.path, on_rendered.message) == ("chart/values.yaml", out.message)


def _views(root: Path):  # the project's FileViews
    from prodcheck import engine
    from prodcheck.project import Project
    from prodcheck.settings import Settings

    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(root, settings)
    return Project(root, discovered, engine.parse_python(root, discovered, settings), settings).views


@pytest.mark.parametrize(("values", "expected"), [
    ("autoscaling:\n  enabled: true\n  maxReplicas: 7\n", (7, 3)),
    ("autoscaling:\n  enabled: false\n  maxReplicas: 7\n", None),
    ("autoscaling:\n  enabled: yes-please\n  maxReplicas: 7\n", None),
    ("autoscaling:\n  maxReplicas: 7\n", None),
    ("autoscaling:\n  enabled: true\n", None),
    ("autoscaling:\n  enabled: true\n  maxReplicas: many\n", None),
    ("- a list\n", None),
])
def test_a_chart_that_autoscales_by_default_gives_its_ceiling(tmp_path: Path, values: str,
                                                             expected: tuple[int, int] | None) -> None:
    from prodcheck.project.helm_render import autoscaled

    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: shop\n")
    (chart / "values.yaml").write_text(values)
    (chart / "templates" / "api.yaml").write_text(REMAP_TEMPLATE.replace("{{ .Values.", "{{ .Values.x."))
    views = _views(tmp_path)
    found = autoscaled(views, "chart/templates/api.yaml@rendered")
    assert (None if found is None else (found[0], found[1].span.line)) == expected
    if found is not None:
        assert found[1].path == "chart/values.yaml"
    assert autoscaled(views, "chart/templates/other.yaml@rendered") is None


ABSENCE = """\
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
          env:
            {{- include "lib.env" . | nindent 12 }}
          {{- include "lib.container" . | nindent 10 }}
        - name: sidecar
          image: shop/sidecar:1.0
          env:
            {{- include "lib.env" . | nindent 12 }}
          securityContext: {{ include "lib.security" . | nindent 12 }}
"""


def test_a_missing_key_is_not_reported_where_an_unknown_block_might_write_it(tmp_path: Path) -> None:
    """api: an unknown block at the container's own level might set resources, probes and the user;
    sidecar: the unknown block under `env:` cannot, and its securityContext's value is unknown."""
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: shop\n")
    (chart / "values.yaml").write_text("a: 1\n")
    (chart / "templates" / "api.yaml").write_text(ABSENCE)
    _, report = run_json(tmp_path, "--select", "PC201", "--select", "PC603", "--select", "PC606")
    found = sorted((f["code"], f["path"], f["line"]) for f in report["findings"])
    assert found == [("PC606", "chart/templates/api.yaml", 14)]  # the sidecar has no resources


def test_an_unknown_block_on_the_container_s_first_or_last_line_might_write_any_key(tmp_path: Path) -> None:
    """`- name: api` then `{{- include "lib.container" . | nindent 10 }}`: the block joins the container's
    first line, and might set resources, probes and the user, so none of them is reported missing; the
    same for a block on the container's last line."""
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: shop\n")
    (chart / "values.yaml").write_text("a: 1\n")
    head = ABSENCE[:ABSENCE.index("        - name: api")]
    (chart / "templates" / "api.yaml").write_text(
        head + '        - name: api\n          {{- include "lib.container" . | nindent 10 }}\n')
    rendered = _rendering(tmp_path).files["chart/templates/api.yaml@rendered"]
    assert rendered.source.text.splitlines()[-1] == "        - name: api"
    _, report = run_json(tmp_path, "--select", "PC201", "--select", "PC603", "--select", "PC606")
    assert report["findings"] == []
    # the block on the container's last line: the template's last line, with no newline after it
    (chart / "templates" / "api.yaml").write_text(
        head + '        - name: api\n          image: shop/api:1.0\n{{ include "lib.container" . | nindent 10 }}')
    _, report = run_json(tmp_path, "--select", "PC201", "--select", "PC603", "--select", "PC606")
    assert report["findings"] == []


def test_a_rendered_document_that_does_not_parse_leaves_the_others_read(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: x\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("uid: 0\n")
    (chart / "templates" / "api.yaml").write_text(
        "--- # the config\napiVersion: v1\nkind: ConfigMap\ndata: {a: [unclosed\n---\n"
        + _DEPLOYMENT.format(name="api") + "---\nkind: NoApiVersion\n---\n")
    rendering = _rendering(tmp_path)
    assert [d.get("kind").as_str() for _, d in rendering.documents] == ["Deployment"]  # type: ignore[union-attr]
    _, report = run_json(tmp_path, "--select", "PC201")
    assert [(f["path"], f["line"]) for f in report["findings"]] == [("chart/values.yaml", 1)]


def test_a_template_that_does_not_parse_leaves_the_templates_after_it_read(tmp_path: Path) -> None:
    """`a-broken.yaml` (an `if` never ended) comes first in path order: it is left out and `b-api.yaml` after it is
    still rendered (its root container reported at the values line)."""
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: x\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("uid: 0\n")
    (chart / "templates" / "a-broken.yaml").write_text("{{ if .Values.uid }}\nkind: ConfigMap\n")
    (chart / "templates" / "b-api.yaml").write_text(_DEPLOYMENT.format(name="api"))
    _, report = run_json(tmp_path, "--select", "PC201")
    assert [(f["path"], f["line"]) for f in report["findings"]] == [("chart/values.yaml", 1)]
