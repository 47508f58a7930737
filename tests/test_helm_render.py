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
