"""Names of the Kubernetes Secrets a project's manifests and charts refer to.

An app is often told which Secret to read by name (`SANDBOX_PROXY_CA_SECRET: sandbox-proxy-ca` in
a ConfigMap, `caSecretName: sandbox-proxy-ca` in the chart's values): such a value names a Secret,
it is not one. A value counts as a Secret's name when the project uses it as one: a Secret's
`metadata.name`, a `secretName:` of a volume, the `name:` of a `secretKeyRef`/`secretRef`, or a
values.yaml entry whose key says it names a Secret (knowledge/charts.toml `reference_words`).
"""
from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from prodcheck.knowledge import load
from prodcheck.parsing.yaml import YNode
from prodcheck.project.memo import per_project
from prodcheck.project.views import written_without

if TYPE_CHECKING:
    from prodcheck.project import Project

_REFERENCES = frozenset({"secretKeyRef", "secretRef"})


@per_project
def secret_object_names(project: Project) -> frozenset[str]:
    names: set[str] = set()
    for source, document in project.k8s_documents:
        kind = document.get("kind")
        if kind is not None and kind.as_str() == "Secret":
            _add(names, document.path("metadata", "name"))
        if written_without(source, document, "secret"):
            continue  # no `secretName`, `secretKeyRef` or `secretRef` key in it
        for node in document.maps():
            # every pair of every mapping, read off the pair list (a scalar key's value is its text, or
            # None for a null key, which names nothing here)
            for key, value in node.items():
                if key.kind != "scalar":
                    continue
                if key.value == "secretName":
                    _add(names, value)
                elif key.value in _REFERENCES and value.kind == "map":
                    _add(names, value.get("name"))
    words = tuple(load("charts")["reference_words"])
    for chart in project.files:
        if chart.path.rsplit("/", 1)[-1] != "Chart.yaml" or chart.error is not None:
            continue
        directory = posixpath.dirname(chart.path)
        values = project.by_path.get(posixpath.join(directory, "values.yaml") if directory else "values.yaml")
        documents = project.yaml(values) if values is not None and values.error is None else []
        if documents and documents[0].is_map:
            _values_names(documents[0], words, names)
    return frozenset(names)


def _values_names(root: YNode, words: tuple[str, ...], names: set[str]) -> None:
    stack: list[tuple[str, YNode]] = [("", root)]
    while stack:
        dotted, node = stack.pop()
        if node.is_map:
            for key, value in node.entries():
                path = f"{dotted}.{key}".lower()
                if value.is_scalar:
                    if any(word in path for word in words):
                        _add(names, value)
                else:
                    stack.append((path, value))
        elif node.is_seq:
            stack.extend((dotted, item) for item in node.list())


def _add(names: set[str], node: YNode | None) -> None:
    text = node.as_str() if node is not None and node.is_scalar else None
    if text and "$(" not in text:
        names.add(text)
