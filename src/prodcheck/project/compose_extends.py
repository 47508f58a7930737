"""Compose `extends`: a service that extends another (in the same file or another one) inherits what it does not
set itself, its build, image, command and entrypoint among them
(https://docs.docker.com/compose/how-tos/multiple-compose-files/extends/). A production compose file often
extends the services of the base file: what it runs is the base service's command."""
from __future__ import annotations

import posixpath

from prodcheck.parsing.yaml import YNode
from prodcheck.project.infra import ComposeService


def extended(service: ComposeService, services: dict[tuple[str, str], ComposeService]) -> ComposeService | None:
    """The service `service` extends (`extends: {file: docker-compose.yaml, service: server}`, or `extends: server`
    in the same file), by (compose file path, service name) in `services`; None when it extends none known."""
    node = service.node.get("extends")
    if node is None:
        return None
    if node.is_scalar:
        name, file = node.as_str(), None
    elif node.is_map:
        name_node, file_node = node.get("service"), node.get("file")
        name = name_node.as_str() if name_node is not None else None
        file = file_node.as_str() if file_node is not None else None
    else:
        return None
    if not name:
        return None
    path = posixpath.normpath(posixpath.join(posixpath.dirname(service.file.path), file)) if file else service.file.path
    target = services.get((path, name))
    return target if target is not None and target is not service else None


def inherited(service: ComposeService, key: str, services: dict[tuple[str, str], ComposeService]) -> YNode | None:
    """The service's own `key`, else the one of the service it extends (three levels at most)."""
    owner = owner_of(service, key, services)
    return owner.node.get(key) if owner is not None else None


def owner_of(service: ComposeService, key: str,
             services: dict[tuple[str, str], ComposeService]) -> ComposeService | None:
    """The service that sets `key` for `service`: itself, or one it extends; its file's folder is what a relative
    `build: .` means."""
    current: ComposeService | None = service
    for _ in range(4):
        if current is None:
            return None
        if current.node.get(key) is not None:
            return current
        current = extended(current, services)
    return None
