"""Credentials a Helm chart ships in its default values.yaml.

A chart installs with its defaults unless a user overrides them, so a literal password there is
a default credential of every such install. A value counts when the chart uses it by default:
not under a section whose `enabled:` is false, not under a dependency whose Chart.yaml
`condition:` is false, not under a section for something the chart does not run itself
(`externalDatabase`, knowledge/charts.toml). A password of a bundled database dependency
(Chart.yaml `dependencies:` naming postgresql, mysql, ...) is the credential of the database URL
the chart's app connects with.
"""
from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from prodcheck.knowledge import load
from prodcheck.model.finding import Location
from prodcheck.parsing.yaml import YNode
from prodcheck.project.memo import per_project
from prodcheck.project.sources import SourceFile
from prodcheck.model.record import record
from prodcheck.lazy_pattern import lazy

if TYPE_CHECKING:
    from prodcheck.project import Project


@record
class ChartValue:
    values: SourceFile
    key: str  # dotted path in values.yaml
    node: YNode
    database: str | None  # the bundled database dependency it configures


_OBJECT_NAME = lazy(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")


def default_secret(value: ChartValue) -> str | None:
    """The literal secret a chart default holds, or None (a name, a reference, a placeholder)."""
    from prodcheck.rules.secrets.secret_values import Evidence, is_secret_name, secret_evidence

    name = value.key.rsplit(".", 1)[-1].split("[", 1)[0]
    text = value.node.as_str()
    words = tuple(load("charts")["reference_words"])
    if text is None or not is_secret_name(name) or any(w in value.key.lower() for w in words):
        return None
    if name.lower().endswith("secret") and _OBJECT_NAME.match(text):
        return None  # `caSecret: sandbox-proxy-ca`: the name of a Kubernetes Secret
    return text if secret_evidence(text) >= Evidence.WEAK else None


@per_project
def chart_values(project: Project) -> list[ChartValue]:
    """Every scalar of each top-level chart's values.yaml that the chart uses by default."""
    knowledge = load("charts")
    databases = set(knowledge["database_charts"])
    unused = tuple(knowledge["unused_prefixes"])
    charts = [s for s in project.files if s.path.rsplit("/", 1)[-1] == "Chart.yaml" and s.error is None]
    directories = {posixpath.dirname(s.path) for s in charts}
    out: list[ChartValue] = []
    for chart in charts:
        directory = posixpath.dirname(chart.path)
        if any(directory != other and directory.startswith(f"{other}/charts/" if other else "charts/")
               for other in directories):
            continue  # a vendored dependency: configured by its parent's values
        values = project.by_path.get(posixpath.join(directory, "values.yaml") if directory else "values.yaml")
        documents = project.yaml(values) if values is not None and values.error is None else []
        if values is None or not documents or not documents[0].is_map:
            continue
        root = documents[0]
        chart_documents = project.yaml(chart)
        dependencies = _dependencies(chart_documents[0] if chart_documents and chart_documents[0].is_map else None, root)
        for key, node in root.entries():
            if key.lower().startswith(unused) or dependencies.get(key, ("", True))[1] is False:
                continue
            database = key if dependencies.get(key, ("", True))[0] in databases else None
            _walk(values, key, node, database, unused, out)
    return out


def _dependencies(chart: YNode | None, values: YNode) -> dict[str, tuple[str, bool | None]]:
    """values key (alias or name) -> (chart name, enabled by its condition; None: no condition)."""
    out: dict[str, tuple[str, bool | None]] = {}
    entries = chart.get("dependencies") if chart is not None else None
    for entry in entries.list() if entries is not None else []:
        name, alias, condition = entry.get("name"), entry.get("alias"), entry.get("condition")
        chart_name = (name.as_str() if name is not None else None) or ""
        key = (alias.as_str() if alias is not None else None) or chart_name
        enabled: bool | None = None
        if condition is not None and condition.as_str():
            node = values.path(*(condition.as_str() or "").split(",")[0].strip().split("."))
            enabled = node.as_bool() if node is not None else None
        out[key] = (chart_name, enabled)
    return out


def _walk(values: SourceFile, key: str, node: YNode, database: str | None, unused: tuple[str, ...],
          out: list[ChartValue]) -> None:
    stack = [(key, node)]
    while stack:
        dotted, current = stack.pop()
        if current.is_scalar:
            out.append(ChartValue(values, dotted, current, database))
            continue
        if current.is_map:
            enabled = current.get("enabled")
            if enabled is not None and enabled.as_bool() is False:
                continue  # a section the defaults switch off
            for child, value in current.entries():
                if not child.lower().startswith(unused):
                    stack.append((f"{dotted}.{child}", value))
        elif current.is_seq:
            stack.extend((f"{dotted}[{index}]", item) for index, item in enumerate(current.list()))


_OFF_DEFAULTS = frozenset({"{}", "[]", "false", "null", "~", '""', "''"})


def left_to_installer(project: Project, location: Location) -> str | None:
    """`location` is a default in a chart's values.yaml that leaves a setting empty or off for whoever
    installs the chart (`resources: {}`, `readinessProbe: false`: the `helm create` convention), and this
    repository has no production values file of its own that could set it (values-production.yaml beside
    it, the `-f` files of a deploy path's `helm upgrade`): every install with the defaults goes without it,
    and the place to fix it is that default. The default as written (`{}`, `false`), or None."""
    from prodcheck.project.helm_render import production_values

    if posixpath.basename(location.path) != "values.yaml":
        return None
    directory = posixpath.dirname(location.path)
    if (posixpath.join(directory, "Chart.yaml") if directory else "Chart.yaml") not in project.by_path:
        return None
    if production_values(project.views, directory):
        return None
    source = project.by_path.get(location.path)
    span = location.span
    if source is None or source.text is None or span.end_line != span.line:
        return None
    lines = source.lines
    if not 0 < span.line <= len(lines):
        return None
    written = lines[span.line - 1][span.column - 1:span.end_column - 1].strip()
    return written if written.lower() in _OFF_DEFAULTS else None
