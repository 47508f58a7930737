"""Compose files by their contents: `deploy/compose/app.yml`, included by the root `docker-compose.yml`
(`include:`, https://docs.docker.com/reference/compose-file/include/) or named by `docker compose -f`, is a
Compose file though its name does not say so. A YAML file whose first document is a Compose project is one:
only Compose's own top-level keys (https://docs.docker.com/reference/compose-file/: `services`, `networks`,
`volumes`, `configs`, `secrets`, `include`, `name`, `version`, and `x-` extensions), and `services` a
mapping of services, at least one built or run from an image. A Kubernetes manifest (`apiVersion`), a
GitLab CI or Render file (`services` a list, or other top-level keys) is none."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from prodcheck.model.files import FileKind
from prodcheck.parsing.yaml import YNode
from prodcheck.lazy_pattern import lazy

if TYPE_CHECKING:
    from prodcheck.project.views import FileViews

_TOP_LEVEL = frozenset({"services", "networks", "volumes", "configs", "secrets", "include", "name", "version",
                        "models"})
_SERVICES_LINE = lazy(r"^services:[ \t]*(?:#.*)?$", re.MULTILINE)  # the top-level key, at the first column


def refine_compose(views: FileViews) -> None:
    """Give the Compose kind to the plain YAML files that are Compose projects."""
    for source in views.files:
        if source.kind != FileKind.YAML or source.error is not None:
            continue
        text = source.text or ""
        if "services:" not in text or "apiVersion" in text or _SERVICES_LINE.search(text) is None:
            continue
        documents = views.yaml(source)
        if documents and _is_compose(documents[0]):
            source.kind = FileKind.COMPOSE


def _is_compose(document: YNode) -> bool:
    if not document.is_map:
        return False
    for key, _ in document.items():
        name = str(key.value) if key.is_scalar else ""
        if name not in _TOP_LEVEL and not name.startswith("x-"):
            return False
    services = document.get("services")
    if services is None or not services.is_map:
        return False
    entries = [value for _, value in services.items()]
    return bool(entries) and all(value.is_map for value in entries) and any(
        value.get("image") is not None or value.get("build") is not None for value in entries)
