"""OpenShift builds of the repository's own Dockerfiles: a `BuildConfig` with the Docker strategy builds the file its
`dockerStrategy.dockerfilePath` names (default `Dockerfile`) in the folder its `source.contextDir` names (default the
repository's root), and pushes the image to the `output` image stream the cluster's deployments run
(https://docs.openshift.com/container-platform/4.14/cicd/builds/build-strategies.html#builds-strategy-docker-build_build-strategies,
https://docs.openshift.com/container-platform/4.14/cicd/builds/creating-build-inputs.html#builds-source-code_creating-build-inputs).
A BuildConfig is written on its own, in a `List`'s `items`, or in a `Template`'s `objects`
(https://docs.openshift.com/container-platform/4.14/openshift_images/using-templates.html), which `oc process`
fills in before `oc apply` creates it."""
from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prodcheck.model.files import Context, FileKind
from prodcheck.parsing.yaml import YNode
from prodcheck.project.sources import SourceFile

if TYPE_CHECKING:
    from prodcheck.project.views import FileViews

_NESTED = {"Template": "objects", "List": "items"}


def docker_builds(views: FileViews) -> Iterator[tuple[SourceFile, str, str, int]]:
    """(the manifest, the build's context folder, its Dockerfile path in that folder, the line) for each Docker-strategy
    BuildConfig of a manifest in production context. A path a template parameter fills in (`${DOCKERFILE}`) is
    unknown and left out."""
    for source in views.of_kind(FileKind.YAML, FileKind.K8S):
        if source.context != Context.PROD or "BuildConfig" not in (source.text or ""):
            continue
        for document in views.yaml(source):
            for build in _build_configs(document, 0):
                strategy = build.path("spec", "strategy", "dockerStrategy")
                if strategy is None or not strategy.is_map:
                    continue
                dockerfile = strategy.get("dockerfilePath")
                context = build.path("spec", "source", "contextDir")
                path = (dockerfile.as_str() if dockerfile is not None else None) or "Dockerfile"
                folder = (context.as_str() if context is not None else None) or ""
                if "$" not in path and "$" not in folder:
                    yield source, folder, path, build.span.line


def _build_configs(document: YNode, depth: int) -> Iterator[YNode]:
    if not document.is_map or depth > 2:
        return
    kind = document.get("kind")
    kind_text = kind.as_str() if kind is not None else None
    if kind_text == "BuildConfig":
        yield document
    elif kind_text in _NESTED:
        nested = document.get(_NESTED[kind_text])
        for item in nested.list() if nested is not None and nested.is_seq else []:
            yield from _build_configs(item, depth + 1)
