"""Helm charts and Kustomize overlays as sources of the project model.

Helm: templates are not rendered. A chart's workload template is read line by line for the few
things that are either literal or a plain `{{ .Values.x.y }}` reference (optionally piped through
`default`, `quote`, `toYaml`, `nindent`): `replicas`, `image`, `command`/`args` and probe paths. The
values come from the chart's `values.yaml` (replicaCount, autoscaling.maxReplicas when
`autoscaling.enabled`, image.repository / image.tag, probes). Anything else (conditionals we do not
evaluate, `include`, `tpl`, range loops) is not guessed: a value that needs rendering is simply
unknown. Render the chart (`helm template`) into the repository if those values matter.

Kustomize: a `kustomization.yaml` in a production folder can override `replicas` (the `replicas:`
field, a strategic-merge patch setting `spec.replicas`, or a JSON 6902 `replace`/`add` of
`/spec/replicas`). Patch files are not workloads of their own; their containers add probes and
resources to the base container of the same name.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prodcheck.knowledge import load
from prodcheck.model.facts import LITERAL, Fact
from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Location, Span
from prodcheck.parsing import ParseError, small_int
from prodcheck.parsing.shell import SimpleCommand, split_argv
from prodcheck.parsing.yaml import YNode, load_documents
from prodcheck.project.infra import is_third_party_image, scalar_location
from prodcheck.project.memo import per_project
from prodcheck.project.sources import SourceFile

if TYPE_CHECKING:
    from prodcheck.project import Project
    from prodcheck.project.platforms import _Builder

_KUSTOMIZATION = frozenset(load("kubernetes")["kustomize"]["files"])
_WORKLOAD = re.compile(r"^kind:\s*(Deployment|StatefulSet|DaemonSet)\s*$", re.M)
_EXPRESSION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")
_VALUES_REF = re.compile(r"^(?:toYaml\s+|quote\s+)?\.Values\.([A-Za-z0-9_.]+)(?:\s*\|\s*(.*))?$")


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


@dataclass(slots=True)
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
    from prodcheck.project.platforms import YamlDoc

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


def helm_model(project: Project, builder: _Builder) -> None:
    """Processes and probe checks of every chart's workload templates."""
    from prodcheck.project.platforms import Doc, PlatformCheck

    prod_dockerfiles = [(s, v) for s, v in project.dockerfiles if s.context == Context.PROD]
    for chart in _charts(project):
        chart_name = chart._chart_field("name") or chart.directory or "chart"
        for template in chart.templates:
            text = template.text or ""
            if not _WORKLOAD.search(text) or template.path in project.views.helm.templates:
                continue  # a template rendered statically is read as the manifests it renders (helm_render.py)
            lines = text.splitlines()
            replicas = _helm_replicas(chart, template, lines, text)
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


def _helm_replicas(chart: _Chart, template: SourceFile, lines: list[str], text: str) -> Fact[int] | None:
    if ".Values.autoscaling.enabled" in text or chart.value_node("autoscaling.enabled") is not None:
        enabled = chart.value_node("autoscaling.enabled")
        maximum = chart.value_node("autoscaling.maxReplicas")
        max_replicas = maximum.as_int() if maximum is not None else None
        if enabled is not None and enabled.as_bool() and maximum is not None and max_replicas is not None:
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


# ---------------------------------------------------------------- Kustomize


@dataclass(frozen=True, slots=True)
class _Patch:
    kustomization: str  # its path
    context: Context
    kind: str
    name: str
    document: YNode | None  # strategic merge
    operations: tuple[tuple[str, str, YNode | None], ...]  # JSON 6902: (op, path, value)
    origin: Location
    file: str = ""  # the patch file, when the patch is not inline (node spans are that file's)


@dataclass(slots=True)
class _Kustomize:
    patches: list[_Patch]
    patch_files: set[str]
    replicas: list[tuple[str, Fact[int], str, Context]]  # (name, count, kustomization dir, context)
    reach: dict[str, set[str]]  # kustomization dir -> manifest files it builds


def kustomization_files(project: Project) -> list[SourceFile]:
    return [source for source in project.of_kind(FileKind.YAML, FileKind.K8S)
            if source.path.rsplit("/", 1)[-1] in _KUSTOMIZATION]


def _kustomizations(project: Project) -> dict[str, tuple[SourceFile, YNode]]:
    found = {}
    for source in project.of_kind(FileKind.YAML, FileKind.K8S):
        if source.path.rsplit("/", 1)[-1] in _KUSTOMIZATION:
            documents = project.yaml(source)
            if documents and documents[0].is_map:
                found[posixpath.dirname(source.path)] = (source, documents[0])
    return found


def _join(directory: str, relative: str) -> str:
    return posixpath.normpath(posixpath.join(directory, relative)).lstrip("./") if directory else posixpath.normpath(relative)


@per_project
def kustomize(project: Project) -> _Kustomize:
    kustomizations = _kustomizations(project)
    state = _Kustomize([], set(), [], {})
    for directory, (source, root) in kustomizations.items():
        for key in ("patchesStrategicMerge", "patches", "patchesJson6902"):
            entries = root.get(key)
            for entry in entries.list() if entries is not None else []:
                state.patches.extend(_patch_entry(project, directory, source, entry, state.patch_files))
        replicas = root.get("replicas")
        for entry in replicas.list() if replicas is not None else []:
            name, count = entry.get("name"), entry.get("count")
            if name is not None and count is not None and count.as_int() is not None:
                state.replicas.append((name.as_str() or "", Fact(count.as_int(), scalar_location(source.path, count),  # type: ignore[arg-type]  # as_int() narrowed just above
                                       LITERAL, f"{count.as_int()} replicas (kustomize replicas)"), directory, source.context))
    for directory in kustomizations:
        state.reach[directory] = _reachable(project, kustomizations, directory, frozenset())
    return state


def _reachable(project: Project, kustomizations: dict[str, tuple[SourceFile, YNode]], directory: str,
               seen: frozenset[str]) -> set[str]:
    if directory in seen or directory not in kustomizations:
        return set()
    _, root = kustomizations[directory]
    out: set[str] = set()
    for key in ("resources", "bases", "components"):
        entries = root.get(key)
        for entry in entries.list() if entries is not None else []:
            relative = entry.as_str()
            if not relative or "://" in relative or relative.startswith(("github.com", "git@")):
                continue
            target = _join(directory, relative)
            if target in project.by_path:
                out.add(target)
            elif target in kustomizations:
                out |= _reachable(project, kustomizations, target, seen | {directory})
    return out


def _patch_entry(project: Project, directory: str, source: SourceFile, entry: YNode, patch_files: set[str]) -> list[_Patch]:
    target_kind = target_name = ""
    inline: YNode | None = None
    file = None
    if entry.is_scalar:
        text = entry.as_str() or ""
        if "\n" in text:
            inline = entry
        else:
            file = text
    elif entry.is_map:
        path_node, patch_node, target = entry.get("path"), entry.get("patch"), entry.get("target")
        file = path_node.as_str() if path_node is not None else None
        inline = patch_node
        if target is not None:
            kind_node, name_node = target.get("kind"), target.get("name")
            target_kind = (kind_node.as_str() if kind_node is not None else "") or ""
            target_name = (name_node.as_str() if name_node is not None else "") or ""
    documents: list[YNode] = []
    origin = scalar_location(source.path, entry)
    path = ""
    if file:
        path = _join(directory, file)
        patch_files.add(path)
        patch_source = project.by_path.get(path)
        if patch_source is not None and patch_source.error is None and patch_source.text is not None:
            documents = project.yaml(patch_source)
            origin = Location(path, Span(1))
    elif inline is not None and inline.as_str():
        try:
            documents = load_documents(inline.as_str() or "")
        except ParseError:
            documents = []
        origin = scalar_location(source.path, inline)
    out: list[_Patch] = []
    for document in documents:
        if document.is_seq:  # JSON 6902 operations
            operations = []
            for item in document.list():
                op, op_path, value = item.get("op"), item.get("path"), item.get("value")
                if op is not None and op_path is not None:
                    operations.append((op.as_str() or "", op_path.as_str() or "", value))
            out.append(_Patch(source.path, source.context, target_kind, target_name, None, tuple(operations), origin,
                              path if file else ""))
        elif document.is_map:
            kind_node, name_node = document.get("kind"), document.path("metadata", "name")
            kind = (kind_node.as_str() if kind_node is not None else None) or target_kind
            name = (name_node.as_str() if name_node is not None else None) or target_name
            out.append(_Patch(source.path, source.context, kind, name, document, (), origin, path if file else ""))
    return out


def kustomize_patch_paths(project: Project) -> set[str]:
    """Files kustomizations use as patches: fragments of workloads, not workloads."""
    return kustomize(project).patch_files


def kustomize_replicas(project: Project, kind: str, name: str, path: str) -> Fact[int] | None:
    """The largest replica count a production overlay that builds `path` gives the workload."""
    state = kustomize(project)
    candidates: list[Fact[int]] = []
    for replica_name, fact, directory, context in state.replicas:
        if context == Context.PROD and replica_name == name and path in state.reach.get(directory, set()):
            candidates.append(fact)
    for patch in state.patches:
        if patch.context != Context.PROD or patch.name != name or (patch.kind and patch.kind != kind):
            continue
        directory = posixpath.dirname(patch.kustomization)
        if path not in state.reach.get(directory, set()):
            continue
        if patch.document is not None:
            node = patch.document.path("spec", "replicas")
            if node is not None and node.as_int() is not None:
                location = scalar_location(patch.file, node) if patch.file else patch.origin
                candidates.append(Fact(node.as_int(), location, LITERAL,  # type: ignore[arg-type]  # as_int() narrowed just above
                                       f"{node.as_int()} replicas (kustomize patch)"))
        for op, op_path, value in patch.operations:
            if op in {"replace", "add"} and op_path == "/spec/replicas" and value is not None and value.as_int() is not None:
                location = scalar_location(patch.file, value) if patch.file else patch.origin
                candidates.append(Fact(value.as_int(), location, LITERAL,  # type: ignore[arg-type]  # as_int() narrowed just above
                                       f"{value.as_int()} replicas (kustomize patch)"))
    if not candidates:
        return None
    return max(candidates, key=lambda fact: fact.value)


def patched_containers(project: Project, kind: str, name: str, container: str) -> list[YNode]:
    """Containers of production strategic-merge patches for the same workload and container name."""
    out = []
    for patch in kustomize(project).patches:
        if patch.document is None or patch.context != Context.PROD or patch.name != name or (patch.kind and patch.kind != kind):
            continue
        spec = patch.document.path("spec", "template", "spec")
        for key in ("containers", "initContainers"):
            items = spec.get(key) if spec is not None else None
            for item in items.list() if items is not None else []:
                item_name = item.get("name")
                if item_name is not None and item_name.as_str() == container:
                    out.append(item)
    return out
