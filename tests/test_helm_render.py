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
        ("PC401", "chart/templates/api.yaml", 21),  # the migration is in an `if` that defaults to on
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
