"""Helm charts rendered with their default values, statically, into manifests the k8s rules read.

Each template of a chart (`templates/*.yaml`, helpers from every `templates/**/_*.tpl`) is
evaluated by `helm_eval` over the chart's `values.yaml`. The manifests it yields join the
project's Kubernetes documents under a virtual path (`<template>@rendered`), so every Kubernetes
rule (root user, probes, image tags, resources, URLs and secrets in env) reads a chart as it
reads a manifest. A finding on a rendered line is then moved back to where a user edits it
(`remap`): the values.yaml line a value came from, or the template line that wrote it.

A chart nested in another chart's `charts/` folder is a dependency configured by its parent's
values: it is not rendered with its own defaults.

When a `helm` binary is on PATH (`helm_binary`), Helm renders each chart and its output replaces
the static one template by template; the static rendering is still made, for its line origins
(`_helm_rendered` aligns the two), and stays the reading of a chart Helm cannot render.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import field, replace
from typing import TYPE_CHECKING

from prodcheck.knowledge import load
from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Location, Span
from prodcheck.model.record import slotted
from prodcheck.parsing import ParseError
from prodcheck.parsing.yaml import YNode, load_documents
from prodcheck.project.sources import SourceFile
from prodcheck.lazy_pattern import lazy

if TYPE_CHECKING:
    from prodcheck.parsing.gotemplate import Node
    from prodcheck.project.helm_eval import Emission
    from prodcheck.project.views import FileViews
    from prodcheck.rules.base import Draft

SUFFIX = "@rendered"
_DOCUMENT_START = lazy(r"^---\s*(?:#.*)?$")
_SYNTAX = lazy(r"^\s*(?:-\s+)?(?:[\w.-]+:(?=\s|$))?|[\s\"':@/-]+")


@slotted
class Rendered:
    """One template's rendered text and, for each of its lines, where that line came from."""

    source: SourceFile  # virtual: path `<template>@rendered`, text = the rendered manifests
    template: SourceFile
    values_path: str
    origins: list[Location]  # per rendered line (index line - 1)
    uncertain: set[int] = field(default_factory=set)  # rendered lines under an unknown condition
    opaque: list[tuple[int, int | None]] = field(default_factory=list)  # (line, indent) of unknown blocks
    slots: list[tuple[int, str, Location]] = field(default_factory=list)  # (line, key, values origin)


@slotted
class Rendering:
    files: dict[str, Rendered] = field(default_factory=dict)
    documents: list[tuple[SourceFile, YNode]] = field(default_factory=list)
    templates: set[str] = field(default_factory=set)  # template paths that rendered to manifests
    charts: int = 0  # charts rendered
    helm: str | None = None  # the helm binary's version, when one rendered charts
    by_helm: list[str] = field(default_factory=list)  # chart folders Helm rendered
    static: list[tuple[str, str]] = field(default_factory=list)  # (chart folder, why not by Helm)
    partly: list[tuple[str, str]] = field(default_factory=list)  # (chart folder, template Helm left out)
    overrides: list[str] = field(default_factory=list)  # production values files layered over values.yaml

    def notes(self) -> list[str]:
        """What the summary says about how charts were read."""
        out = []
        if self.by_helm:
            out.append(f"{_count(len(self.by_helm))} rendered by `helm template` ({self.helm}) with default values")
        if self.partly:
            left = ", ".join(path for _, path in self.partly[:4]) + (", ..." if len(self.partly) > 4 else "")
            out.append(f"Helm templates that do not render with the chart's default values (`required`, `fail`), "
                       f"read statically instead: {left}")
        if self.static:
            reasons = sorted({_short(reason) for _, reason in self.static})
            why = reasons[0] if len(reasons) == 1 else "; ".join(f"{d or '.'}: {_short(r)}" for d, r in self.static[:3])
            out.append(f"{_count(len(self.static))} read without rendering by helm ({why}): rendered statically "
                       "with default values; what reaches a manifest only through tpl, lookup, .Files or functions "
                       "prodcheck does not model is not checked")
        if self.overrides:
            shown = ", ".join(self.overrides[:4]) + (", ..." if len(self.overrides) > 4 else "")
            out.append(f"Helm charts read with their production values over the defaults: {shown}")
        return out  # the report escapes them (report/escape.py); JSON escapes controls itself


def _count(charts: int) -> str:
    return f"{charts} Helm chart{'s' if charts != 1 else ''}"


def _short(reason: str) -> str:
    return reason if len(reason) <= 160 else reason[:157].rstrip() + "..."


def render_charts(views: FileViews) -> Rendering:
    rendering = Rendering()
    charts = [s for s in views.files if s.path.rsplit("/", 1)[-1] == "Chart.yaml" and s.error is None]
    if not charts:
        return rendering  # (the template engine and the helm binary's readers are loaded only for a chart)
    from prodcheck.project.helm_binary import helm_binary, helm_version

    chart_dirs = {posixpath.dirname(s.path) for s in charts}
    binary = helm_binary(views.root)
    rendering.helm = helm_version(binary) if binary is not None else None
    for chart in charts:
        directory = posixpath.dirname(chart.path)
        if any(_nested(directory, other) for other in chart_dirs):
            continue
        static = _render_chart(views, chart, directory, rendering)
        if binary is None or rendering.helm is None:
            reason = "no helm binary on PATH" if binary is None else "the helm binary did not answer `helm version`"
            rendering.static.append((directory, reason))
        else:
            from prodcheck.project.helm_aligned import render_with_helm

            render_with_helm(views, binary, directory, static, rendering, production_values(views, directory))
    return rendering


def _nested(directory: str, other: str) -> bool:
    prefix = f"{other}/charts/" if other else "charts/"
    return directory != other and directory.startswith(prefix)


def _render_chart(views: FileViews, chart: SourceFile, directory: str, rendering: Rendering) -> dict[str, Rendered]:
    """Render the chart statically into `rendering`; every template's rendering (also those that
    yield no manifest), for the Helm path to borrow line origins from."""
    from prodcheck.parsing.gotemplate import TemplateSyntaxError, parse
    from prodcheck.project.helm_eval import Budget, Evaluator, LongRange

    prefix = f"{directory}/templates/" if directory else "templates/"
    values_path = f"{directory}/values.yaml" if directory else "values.yaml"
    values_source = views.by_path.get(values_path)
    values: object = {}
    if values_source is not None and values_source.error is None and values_source.text is not None:
        documents = views.yaml(values_source)
        if values_source.error is not None:
            return {}
        if documents and documents[0].is_map:
            values = documents[0]
    overrides = production_values(views, directory)
    for override in overrides:
        documents = views.yaml(override)
        if override.error is None and documents and documents[0].is_map:
            values = merged(values, documents[0], override.path)
            rendering.overrides.append(override.path)
    chart_documents = views.yaml(chart)
    chart_node = chart_documents[0] if chart_documents and chart_documents[0].is_map else None
    templates = [s for s in views.files if s.path.startswith(prefix) and s.text is not None and s.error is None
                 and "/charts/" not in s.path[len(prefix) - 1:]]
    defines: dict[str, list[Node]] = {}
    bodies: list[tuple[SourceFile, list[Node]]] = []
    for template in sorted(templates, key=lambda s: s.path):
        try:
            parsed = parse(template.text or "")
        except (TemplateSyntaxError, RecursionError):
            continue
        defines.update(parsed.defines)
        name = template.path.rsplit("/", 1)[-1]
        if not name.startswith("_") and name.endswith((".yaml", ".yml")):
            bodies.append((template, parsed.body))
    root = {
        "Values": values,
        "Release": {"Name": "release-name", "Namespace": "default", "Service": "Helm", "IsInstall": True,
                    "IsUpgrade": False, "Revision": 1},
        "Chart": _chart_fields(chart_node),
    }
    rendered_any = False
    static: dict[str, Rendered] = {}
    for template, body in bodies:
        root["Template"] = {"Name": template.path, "BasePath": prefix.rstrip("/")}
        evaluator = Evaluator(defines, values_path, template.path)
        try:
            emission = evaluator.render(body, root, root)
        except LongRange:
            continue
        except (Budget, RecursionError, ArithmeticError) as error:
            # The chart asks for more work than a static reading spends (a hostile or pathological
            # template): PC000 says so, and the run goes on with the chart's other templates.
            reason = str(error) if isinstance(error, Budget) else "values too large or nested too deep"
            template.error = ParseError(f"Helm template not rendered with the chart's default values: {reason}; "
                                        "its manifests are not checked")
            views.parse_errors.append(template)
            continue
        rendered = _rendered(template, values_path, emission)
        static[template.path] = rendered
        documents = _documents(rendered.source.text or "")
        if not documents:
            continue
        rendered_any = True
        rendering.files[rendered.source.path] = rendered
        rendering.templates.add(template.path)
        rendering.documents.extend((rendered.source, document) for document in documents)
    rendering.charts += rendered_any
    return static


def production_values(views: FileViews, directory: str) -> list[SourceFile]:
    """The values files a production install layers over values.yaml: those named for production
    beside the chart, then the `-f` files of the deploy paths' `helm upgrade|install` of it."""
    paths = [f"{directory}/{name}" if directory else name for name in load("charts")["production_values"]]
    paths += [path for path in views.helm_values.get(directory, []) if path not in paths]
    found = []
    for path in paths:
        source = views.by_path.get(path)
        defaults = path == (f"{directory}/values.yaml" if directory else "values.yaml")
        if source is not None and source.error is None and source.text is not None and not defaults:
            found.append(source)
    return found


def merged(base: object, override: YNode, path: str) -> YNode:
    """`base` values with `override` on top, as Helm merges `-f` files: maps merge key by key, any
    other value replaces, `null` removes the key. Nodes from `override` remember `path`."""
    if not isinstance(base, YNode) or not base.is_map or not override.is_map:
        return _stamped(override, path)
    items: dict[str, tuple[YNode, YNode]] = {str(k.value): (k, v) for k, v in base.items() if k.is_scalar}
    for key, value in override.items():
        if not key.is_scalar:
            continue
        name = str(key.value)
        if value.is_scalar and value.tag.endswith(":null"):
            items.pop(name, None)
            continue
        previous = items.get(name)
        items[name] = (_stamped(key, path), merged(previous[1], value, path) if previous is not None and value.is_map
                       else _stamped(value, path))
    return YNode("map", base.position, list(items.values()), base.tag, base.style, origin=base.origin)


def _stamped(node: YNode, path: str) -> YNode:
    if node.is_map:
        value: object = [(_stamped(k, path), _stamped(v, path)) for k, v in node.items()]
    elif node.is_seq:
        value = [_stamped(item, path) for item in node.list()]
    else:
        value = node.value
    return YNode(node.kind, node.position, value, node.tag, node.style, origin=path)


def _chart_fields(node: YNode | None) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in node.entries() if node is not None else []:
        if value.is_scalar:
            out[key[:1].upper() + key[1:]] = value.as_str()
    return out


def _rendered(template: SourceFile, values_path: str, emission: Emission) -> Rendered:
    texts: list[str] = []
    per_line: list[list[tuple[str, Location | None, bool]]] = [[]]
    segment_line: list[int] = []
    written_lines: list[list[int]] = []  # per segment: the lines it writes something other than blanks on
    for segment in emission.segments:
        segment_line.append(len(per_line))
        pieces = segment.text.split("\n")
        written_lines.append([])
        for index, piece in enumerate(pieces):
            if index:
                per_line.append([])
            per_line[-1].append((piece, segment.origin, segment.value))
            if piece.strip():
                written_lines[-1].append(len(per_line))
        texts.append(segment.text)
    segment_line.append(len(per_line))
    origins = []
    for pieces in per_line:
        valued = [o for text, o, value in pieces if value and o is not None and text.strip()]
        written = [o for text, o, _ in pieces if o is not None and text.strip()]
        anywhere = [o for _, o, _ in pieces if o is not None]
        # A line is the value's when the template only wrote its key and punctuation around it
        # (`image: "{{ .Values.repo }}:{{ .Values.tag }}"`); a command with a value in it is the template's.
        syntax = _SYNTAX.sub("", "".join(text for text, _, value in pieces if not value))
        origins.append(valued[-1] if valued and not syntax else written[0] if written else
                        anywhere[0] if anywhere else Location(template.path, Span(1)))
    source = SourceFile(template.path + SUFFIX, FileKind.K8S, template.context, text="".join(texts),
                        context_reason=template.context_reason)
    rendered = Rendered(source, template, values_path, origins)
    for start, end in emission.uncertain:  # the lines the uncertain segments write on, not the newline before them
        rendered.uncertain.update(line for lines in written_lines[start:end] for line in lines)
    rendered.opaque = [(segment_line[min(i, len(segment_line) - 1)], width) for i, width in emission.opaque]
    rendered.slots = [(segment_line[min(s.at, len(segment_line) - 1)], s.key, s.origin) for s in emission.slots]
    return rendered


def _documents(text: str) -> list[YNode]:
    """The rendered manifests (maps with apiVersion and kind); a document that does not parse is
    skipped, as `helm template` output would be fixed by its author, not read by us."""
    out: list[YNode] = []
    lines = text.split("\n")
    start = 0
    for index in range(len(lines) + 1):
        if index < len(lines) and not _DOCUMENT_START.match(lines[index]):
            continue
        chunk = "\n" * start + "\n".join(lines[start:index])
        start = index + 1
        if not chunk.strip():
            continue
        try:
            documents = load_documents(chunk)
        except ParseError:
            continue
        out.extend(d for d in documents if d.is_map and d.get("apiVersion") is not None and d.get("kind") is not None)
    return out


# ---------------------------------------------------------------- back to the files a user edits


def origin_of(rendered: Rendered, location: Location) -> Location:
    line = location.span.line
    origin = rendered.origins[line - 1] if 0 < line <= len(rendered.origins) else rendered.origins[0]
    if origin.path != rendered.template.path:
        span = origin.span
        return Location(origin.path, Span(span.line, span.column, span.line, span.end_column if span.end_line == span.line
                                          else span.column))
    template_line = rendered.template.line(origin.span.line)
    column = len(template_line) - len(template_line.lstrip()) + 1
    return Location(origin.path, Span(origin.span.line, column, origin.span.line, len(template_line.rstrip()) + 1))


def remap(rendering: Rendering, draft: Draft) -> Draft:
    """A finding on a rendered manifest, moved to the values.yaml or template line behind it."""
    if not rendering.files:
        return draft
    message = _MENTION.sub(lambda m: _mention(rendering, m), draft.message) if SUFFIX in draft.message else draft.message
    rendered = rendering.files.get(draft.location.path)
    if rendered is None:
        if message != draft.message or any(r.path in rendering.files for r in draft.related):
            return replace(draft, message=message, related=tuple(_moved(rendering, r) for r in draft.related))
        return draft
    changes: dict[str, object] = {"location": origin_of(rendered, draft.location), "fix": None, "message": message,
                                  "related": tuple(_moved(rendering, r) for r in draft.related)}
    if draft.location.span.line in rendered.uncertain and draft.context is None:
        changes["context"] = Context.AMBIGUOUS
        changes["context_reason"] = ("Helm chart rendered statically with its default values: this line is "
                                     "under a condition that could not be evaluated")
    return replace(draft, **changes)  # type: ignore[arg-type]  # the fields of Draft, by name


_MENTION = lazy(r"([^\s(`]+?)" + re.escape(SUFFIX) + r":(\d+)")


def _mention(rendering: Rendering, match: re.Match[str]) -> str:
    """`templates/x.yaml@rendered:12` in a message -> `values.yaml:40` (where line 12 came from)."""
    rendered = rendering.files.get(match.group(1) + SUFFIX)
    if rendered is None:
        return match.group(0)
    origin = origin_of(rendered, Location(rendered.source.path, Span(int(match.group(2)))))
    return f"{origin.path}:{origin.span.line}"


def _moved(rendering: Rendering, location: Location) -> Location:
    rendered = rendering.files.get(location.path)
    return origin_of(rendered, location) if rendered is not None else location


def absence(rendering: Rendering, path: str, container: YNode, key: str) -> Location | bool | None:
    """Where to report that a rendered container lacks `key`: the values node that would set it
    (an empty `{}` rendered with toYaml, or a `with`/`if` block the defaults leave out). False: an
    unknown block inside the container might provide it, so its absence is not known. None: not a
    rendered container, or nothing better than the container itself."""
    rendered = rendering.files.get(path)
    if rendered is None:
        return None
    first, last = container.span.line, container.span.end_line
    keys_indent = container.span.column - 1
    if any(first <= line <= last and (width is None or width == keys_indent) for line, width in rendered.opaque):
        return False  # an unknown block at the container's own level (not one under `env:`, not the next key)
    present = container.get(key)
    if present is not None:
        key_line = (container.key_node(key) or present).span.line
        if any(key_line <= line <= max(key_line, present.span.end_line) for line, _ in rendered.opaque):
            return False  # `securityContext: {{ include "unknown" . | nindent 10 }}`: its value is unknown
        return origin_of(rendered, Location(path, present.span))
    for line, slot_key, origin in rendered.slots:
        if slot_key == key and first - 1 <= line <= last:
            return origin
    return None


def autoscaled(views: FileViews, path: str) -> tuple[int, Location] | None:
    """A rendered workload's chart scales it with an HPA on by default (`autoscaling.enabled` and
    `autoscaling.maxReplicas` in values.yaml, the `helm create` scaffold): its replica ceiling."""
    rendered = views.helm.files.get(path)
    values = views.by_path.get(rendered.values_path) if rendered is not None else None
    documents = views.yaml(values) if values is not None and values.error is None else []
    root = documents[0] if documents and documents[0].is_map else None
    enabled = root.path("autoscaling", "enabled") if root is not None else None
    maximum = root.path("autoscaling", "maxReplicas") if root is not None else None
    if enabled is None or enabled.as_bool() is not True or maximum is None or maximum.as_int() is None:
        return None
    return maximum.as_int(), Location(values.path, maximum.span)  # type: ignore[return-value,union-attr]  # narrowed above
