"""Helm charts as sources of the project model (Kustomize overlays: `kustomize.py`).

Helm: templates are not rendered. A chart's workload template is read line by line for the few
things that are either literal or a plain `{{ .Values.x.y }}` reference (optionally piped through
`default`, `quote`, `toYaml`, `nindent`): `replicas`, `image`, `command`/`args` and probe paths. The
values come from the chart's `values.yaml` (replicaCount, autoscaling.maxReplicas when
`autoscaling.enabled`, image.repository / image.tag, probes). Anything else (conditionals we do not
evaluate, `include`, `tpl`, range loops) is not guessed: a value that needs rendering is simply
unknown. Render the chart (`helm template`) into the repository if those values matter.
"""
from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING, Any

from prodcheck.model.facts import LITERAL, Fact
from prodcheck.model.files import Context
from prodcheck.model.finding import Location, Span
from prodcheck.model.record import slotted
from prodcheck.parsing import ParseError, small_int
from prodcheck.parsing.shell import SimpleCommand, split_argv
from prodcheck.parsing.yaml import YNode, load_documents
from prodcheck.project.infra import scalar_location
from prodcheck.project.images import is_third_party_image
from prodcheck.project.sources import SourceFile
from prodcheck.lazy_pattern import lazy

if TYPE_CHECKING:
    from prodcheck.project import Project
    from prodcheck.project.platform_builder import PlatformBuilder

_WORKLOAD = lazy(r"^kind:\s*(Deployment|StatefulSet|DaemonSet)\s*$", re.M)
_EXPRESSION = lazy(r"\{\{-?\s*(.*?)\s*-?\}\}")
_VALUES_REF = lazy(r"^(?:toYaml\s+|quote\s+)?\.Values\.([A-Za-z0-9_.]+)(?:\s*\|\s*(.*))?$")


# ---------------------------------------------------------------- Helm


def chart_files(project: Project) -> list[SourceFile]:
    return [s for s in project.files if s.path.rsplit("/", 1)[-1] == "Chart.yaml" and s.error is None]


def chart_sources(project: Project) -> list[SourceFile]:
    """Every `Chart.yaml` and the `values.yaml` beside it: the files the Helm model parses."""
    found = []
    for chart_file in chart_files(project):
        found.append(chart_file)
        directory = posixpath.dirname(chart_file.path)
        values = project.by_path.get(posixpath.join(directory, "values.yaml") if directory else "values.yaml")
        if values is not None and values.error is None:
            found.append(values)
    return found


@slotted
class _Chart:
    directory: str
    chart: YNode | None
    values: Any  # platforms.YamlDoc of values.yaml, or None
    templates: list[SourceFile]

    def value_node(self, dotted: str) -> YNode | None:
        if self.values is None:
            return None
        return self.values.node(*dotted.split("."))

    def resolve(self, text: str) -> tuple[str | None, YNode | None]:
        """A template value -> (text, the values node it came from). (None, None): needs rendering."""
        node: YNode | None = None
        unresolved = False

        def replace(match: re.Match[str]) -> str:
            nonlocal node, unresolved
            expression = match.group(1).strip()
            reference = _VALUES_REF.match(expression)
            if reference:
                found = self.value_node(reference.group(1))
                if found is not None and found.is_scalar and found.as_str() not in (None, ""):
                    node = node or found
                    return found.as_str() or ""
                default = re.search(r"default\s+(\S+)", reference.group(2) or "")
                if default:
                    return self._default(default.group(1))
                unresolved = True
                return ""
            if expression == ".Chart.AppVersion":
                return self._chart_field("appVersion") or ""
            unresolved = True
            return ""

        result = _EXPRESSION.sub(replace, text)
        if unresolved:
            return None, None
        return result.strip().strip("\"'"), node

    def _default(self, token: str) -> str:
        if token == ".Chart.AppVersion":
            return self._chart_field("appVersion") or ""
        return token.strip("\"'")

    def _chart_field(self, key: str) -> str | None:
        node = self.chart.get(key) if self.chart is not None else None
        return node.as_str() if node is not None else None


def _charts(project: Project) -> list[_Chart]:
    from prodcheck.project.platform_docs import YamlDoc

    charts = []
    for chart_file in chart_files(project):
        directory = posixpath.dirname(chart_file.path)
        documents = project.yaml(chart_file)
        values_source = project.by_path.get(posixpath.join(directory, "values.yaml") if directory else "values.yaml")
        values = None
        if values_source is not None and values_source.error is None:
            values_documents = project.yaml(values_source)
            if values_documents and values_documents[0].is_map:
                values = YamlDoc(values_source, values_documents[0])
        prefix = f"{directory}/templates/" if directory else "templates/"
        templates = [s for s in project.files if s.path.startswith(prefix) and s.text is not None]
        charts.append(_Chart(directory, documents[0] if documents and documents[0].is_map else None, values, templates))
    return charts


def helm_model(project: Project, builder: PlatformBuilder) -> None:
    """Processes and probe checks of every chart's workload templates."""
    from prodcheck.project.platform_docs import Doc
    from prodcheck.project.platform_builder import PlatformCheck

    prod_dockerfiles = [(s, v) for s, v in project.dockerfiles if s.context == Context.PROD]
    for chart in _charts(project):
        chart_name = chart._chart_field("name") or chart.directory or "chart"
        for template in chart.templates:
            text = template.text or ""
            if not _WORKLOAD.search(text) or template.path in project.views.helm.templates:
                continue  # a template rendered statically is read as the manifests it renders (helm_render.py)
            lines = text.splitlines()
            replicas = _helm_replicas(chart, template, lines)
            image = _helm_image(chart, lines)
            commands, command_source = _helm_commands(chart, template, lines)
            dockerfile = None
            if image is not None and not is_third_party_image(image):
                dockerfile = project.process_model.dockerfile_for_image(image, prod_dockerfiles)
            if not commands and dockerfile is None:
                continue
            doc = Doc(command_source or template)
            origin = Location(template.path, Span(_line_of(lines, "containers:") or 1))
            process = builder.process(doc, f"helm:{chart_name}", "web", commands, origin, "helm",
                                      dockerfile=dockerfile, replicas=replicas)
            process.unit = "k8s"
            process.context = chart.values.source.context if chart.values is not None else template.context
            for key, kind in (("livenessProbe", "liveness"), ("readinessProbe", "readiness"), ("startupProbe", "startup")):
                found = _helm_probe(chart, template, lines, key)
                if found is not None:
                    path, port, location = found
                    builder.model.checks.append(PlatformCheck(kind, "helm", path, port, location, process,
                                                              f"Helm chart `{chart_name}`"))


def _line_of(lines: list[str], needle: str) -> int | None:
    for number, line in enumerate(lines, 1):
        if line.strip().startswith(needle):
            return number
    return None


def _helm_replicas(chart: _Chart, template: SourceFile, lines: list[str]) -> Fact[int] | None:
    enabled = chart.value_node("autoscaling.enabled")
    if enabled is not None and enabled.as_bool():
        maximum = chart.value_node("autoscaling.maxReplicas")
        max_replicas = maximum.as_int() if maximum is not None else None
        if maximum is not None and max_replicas is not None:
            return Fact(max_replicas, scalar_location(chart.values.source.path, maximum), LITERAL,
                        f"{max_replicas} replicas (Helm autoscaling.maxReplicas)")
    for number, line in enumerate(lines, 1):
        match = re.match(r"^\s*replicas:\s*(.+?)\s*$", line)
        if not match:
            continue
        value, node = chart.resolve(match.group(1))
        count = small_int(value) if value is not None else None
        if count is None:
            return None
        if node is not None:
            return Fact(count, scalar_location(chart.values.source.path, node), LITERAL,
                        f"{value} replicas (Helm values)")
        return Fact(count, Location(template.path, Span(number)), LITERAL, f"{value} replicas")
    return None


def _helm_image(chart: _Chart, lines: list[str]) -> str | None:
    for line in lines:
        match = re.match(r"^\s*(?:-\s+)?image:\s*(.+?)\s*$", line)
        if match:
            value, _ = chart.resolve(match.group(1))
            return value or None
    return None


def _helm_commands(chart: _Chart, template: SourceFile, lines: list[str]) -> tuple[list[SimpleCommand], SourceFile | None]:
    argv: list[str] = []
    source: SourceFile | None = None
    line_number = 1
    for key in ("command", "args"):
        for number, line in enumerate(lines, 1):
            match = re.match(rf"^(\s*){key}:\s*(.*?)\s*$", line)
            if not match:
                continue
            indent, rest = len(match.group(1)), match.group(2)
            expression = rest or (lines[number].strip() if number < len(lines) else "")
            reference = _EXPRESSION.search(expression)
            if reference:
                values_ref = _VALUES_REF.match(reference.group(1).strip())
                node = chart.value_node(values_ref.group(1)) if values_ref else None
                if node is None or not node.is_seq:
                    return [], None  # needs rendering
                argv.extend(node.strings())
                source = chart.values.source
                line_number = node.span.line
            elif rest.startswith("["):
                try:
                    parsed = load_documents(rest)
                except ParseError:
                    return [], None
                argv.extend(parsed[0].strings() if parsed else [])
                source, line_number = template, number
            elif not rest:
                items = []
                for following in lines[number:]:
                    stripped = following.strip()
                    if not stripped.startswith("- ") or len(following) - len(following.lstrip()) < indent:
                        break
                    if "{{" in stripped:
                        return [], None
                    items.append(stripped[2:].strip().strip("\"'"))
                argv.extend(items)
                source, line_number = template, number
            break
    if not argv:
        return [], None
    return split_argv(argv, line_number), source


def _helm_probe(chart: _Chart, template: SourceFile, lines: list[str], key: str) -> tuple[str, str | None, Location] | None:
    text = template.text or ""
    if f".Values.{key}" in text:
        node = chart.value_node(key)
        path = node.path("httpGet", "path") if node is not None else None
        probe_path = path.as_str() if path is not None else None
        if node is not None and path is not None and probe_path:
            port = node.path("httpGet", "port")
            return probe_path, port.as_str() if port is not None else None, \
                scalar_location(chart.values.source.path, path)
        return None
    start = _line_of(lines, f"{key}:")
    if start is None:
        return None
    indent = len(lines[start - 1]) - len(lines[start - 1].lstrip())
    path = port = None
    location = None
    for number in range(start + 1, len(lines) + 1):
        line = lines[number - 1]
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        match = re.match(r"^\s*(path|port):\s*(.+?)\s*$", line)
        if not match:
            continue
        value, node = chart.resolve(match.group(2))
        if match.group(1) == "port":
            port = value
            continue
        if value is None:
            return None
        path = value
        if node is not None:
            location = scalar_location(chart.values.source.path, node)
        else:
            column = line.find(match.group(2)) + 1
            location = Location(template.path, Span(number, column, number, column + len(match.group(2))))
    if path is None or location is None:
        return None
    return path, port, location
