"""The deployment entities the PC6xx rules share: the app's own containers in Kubernetes workloads (not sidecars
or third-party images), the production compose services merged through `extends`, one-off services, and whether
the app is deployed somewhere else than compose. probes.py reads health checks from them."""
from __future__ import annotations

import posixpath
import re

from prodcheck.knowledge import load
from prodcheck.model.files import Context
from prodcheck.model.finding import Location
from prodcheck.model.record import slotted
from prodcheck.parsing.yaml import YNode
from prodcheck.project import Project
from prodcheck.project.images import image_repository, is_third_party_image
from prodcheck.project.infra import ComposeService, Container, Workload, scalar_location
from prodcheck.project.memo import per_project
from prodcheck.rules.health.probes import process_for_node

LONG_RUNNING_KINDS = frozenset(load("kubernetes")["workloads"]["long_running"])
SIDECARS = frozenset(load("images")["sidecars"]["repositories"])
ONE_SHOT = frozenset(load("images")["one_shot"]["repositories"])


def is_app_image(image: str | None) -> bool:
    if not image:
        return False
    return not is_third_party_image(image) and image_repository(image) not in SIDECARS


def container_layers(project: Project, workload: Workload, container: Container) -> list[YNode]:
    """The container and the kustomize patches that add to it (same workload kind, name and container)."""
    try:
        from prodcheck.project.platforms import patched_containers
    except ImportError:  # pragma: no cover
        return [container.node]
    return [container.node, *patched_containers(project, workload.kind, workload.name, container.name)]


def app_containers(project: Project) -> list[tuple[Workload, Container]]:
    """Containers of long-running workloads that run the project's own image (not sidecars, not databases)."""
    out = []
    for workload in project.workloads:
        if workload.kind not in LONG_RUNNING_KINDS:
            continue
        for container in workload.containers:
            image = container.node.get("image")
            if image is None or not is_app_image(image.as_str()):
                continue
            out.append((workload, container))
    return out


def container_location(path: str, container: Container) -> Location:
    name = container.node.get("name")
    return scalar_location(path, name if name is not None else container.node)


# ---------------------------------------------------------------- compose services


@slotted
class MergedService:
    """A compose service as `docker compose -f a.yml -f b.yml` sees it: every prod file of its folder."""

    primary: ComposeService
    parts: list[ComposeService]

    def get(self, *path: str) -> YNode | None:
        for part in reversed(self.parts):
            node = part.node.path(*path)
            if node is not None:
                return node
        return None

    @property
    def name(self) -> str:
        return self.primary.name

    @property
    def image(self) -> str | None:
        node = self.get("image")
        return node.as_str() if node is not None else None

    @property
    def builds(self) -> bool:
        return self.get("build") is not None


@per_project
def prod_services(project: Project) -> tuple[MergedService, ...]:
    """Services of production compose files, merged per folder; files that run a reloading dev server
    (`uvicorn --reload`, `fastapi dev`: PC101 reports those) are a development setup and left out."""
    dev_like = {p.file.path for p in project.processes
                if p.kind == "compose" and p.file is not None and any(c.reload_token for _, c in p.server_steps)}
    groups: dict[tuple[str, str], list[ComposeService]] = {}
    defaults = set(load("contexts")["names"]["compose_defaults"])  # the base file of a folder: findings go there
    for service in project.compose_services:
        if service.file.context != Context.PROD or service.file.path in dev_like:
            continue
        groups.setdefault((posixpath.dirname(service.file.path), service.name), []).append(service)
    merged = []
    for (folder, _), parts in groups.items():
        parts.sort(key=lambda s: (s.node.get("build") is None and s.node.get("image") is None,
                                  posixpath.basename(s.file.path) not in defaults, s.file.path))
        extended = _extends(project, parts[0], folder)
        merged.append(MergedService(parts[0], [*extended, *parts]))
    return tuple(merged)


def _extends(project: Project, service: ComposeService, folder: str) -> list[ComposeService]:
    node = service.node.get("extends")
    if node is None:
        return []
    if node.is_scalar:
        name, file = node.as_str(), None
    else:
        name_node, file_node = node.get("service"), node.get("file")
        name = name_node.as_str() if name_node is not None else None
        file = posixpath.normpath(posixpath.join(folder, file_node.as_str() or "")) if file_node is not None else None
    for other in project.compose_services:
        if other.name == name and other is not service and (
                other.file.path == (file or service.file.path) or (file is None and other.file is service.file)):
            return [other]
    return []


def deployed_elsewhere(project: Project) -> bool:
    """The project deploys to Kubernetes or a platform: its compose files are most likely for local runs."""
    if app_containers(project):
        return True
    try:
        from prodcheck.project.platforms import platform_files
    except ImportError:  # pragma: no cover
        return False
    return bool(platform_files(project))


def one_off(project: Project, service: MergedService) -> bool:
    """Migrations, seeders and other run-to-completion services."""
    if service.get("profiles") is not None:
        return True
    name = service.name.lower()
    if not set(re.split(r"[-_.]", name)).isdisjoint(load("contexts")["compose"]["one_off_words"]):
        return True
    for other in project.compose_services:
        depends = other.node.get("depends_on")
        if depends is not None and depends.is_map:
            entry = depends.get(service.name)
            condition = entry.get("condition") if entry is not None else None
            if condition is not None and condition.as_str() == "service_completed_successfully":
                return True
    if (service.image and image_repository(service.image) in ONE_SHOT and service.get("command") is None
            and service.get("entrypoint") is None):
        return True  # a tool image left to its own command, which exits: run on demand (`compose run`)
    process = process_for_node(project, service.primary.node)
    if process is not None and process.steps and process.server is None:
        from prodcheck.extract.servers import is_migration

        if any(is_migration(step.command) for step in process.steps):
            return True
        if process.steps[0].command.program in {"pytest", "alembic", "true"}:
            return True
    return False
