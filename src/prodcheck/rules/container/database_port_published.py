"""PC204 database-port-published. Docs and tests: rules/PC204-database-port-published.md"""
from __future__ import annotations

import re
from collections.abc import Iterator

from prodcheck.knowledge import load
from prodcheck.model.finding import Severity
from prodcheck.model.record import record
from prodcheck.parsing.dockerfile import substitute
from prodcheck.parsing.yaml import YNode
from prodcheck.project import Project
from prodcheck.project.images import image_repository, is_database_image, is_pooler_image
from prodcheck.project.infra import ComposeService, scalar_location
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.rules.secrets.secret_values import is_secret_value
from prodcheck.lazy_pattern import lazy

_OTHER_STORES = frozenset(load("images")["stores"]["published"])  # besides PostgreSQL and its poolers
_SERVERS = load("images")["database_servers"]
_SERVER_PORTS = frozenset(_SERVERS["server_ports"])
_SERVER_PROBES = tuple(_SERVERS["server_probes"])
_LOOPBACK = lazy(r"^(?:127\.\d+\.\d+\.\d+|::1|localhost|0{0,4}:{2}1)$", re.I)


@record  # a frozen dataclass to mypy, built faster (model/record.py)
class Published:
    host_ip: str | None  # None: every interface
    host_port: str | None  # None: an ephemeral port
    container_port: str


def parse_port(text: str) -> Published | None:
    """Compose short syntax `[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`; None when unreadable."""
    spec = substitute(text.strip().strip("'\""), {}).split("/", 1)[0]
    if not spec:
        return None
    host_ip = None
    if spec.startswith("["):
        end = spec.find("]")
        if end < 0:
            return None
        host_ip, spec = spec[1:end], spec[end + 1:].lstrip(":")
    parts = spec.split(":")
    if len(parts) == 1:
        return Published(host_ip, None, parts[0])
    if len(parts) == 2:
        return Published(host_ip, parts[0] or None, parts[1])
    return Published(":".join(parts[:-2]) or host_ip, parts[-2] or None, parts[-1])


def published_port(item: YNode) -> Published | None:
    """A `ports:` entry (short or long syntax) of a compose service; None when unreadable."""
    if item.is_map:
        target = item.get("target")
        published = item.get("published")
        host_ip = item.get("host_ip")
        if target is None or not target.as_str():
            return None
        return Published(host_ip.as_str() if host_ip is not None else None,
                         published.as_str() if published is not None else None, target.as_str() or "")
    text = item.as_str()
    return parse_port(text) if text else None


def is_loopback(host_ip: str | None) -> bool:
    return host_ip is not None and bool(_LOOPBACK.match(host_ip.strip()))


def is_store_image(image: str | None) -> bool:
    """A database, a pooler or another datastore (Redis, MongoDB, MySQL...)."""
    return bool(image) and (is_database_image(image) or is_pooler_image(image)
                            or image_repository(image or "") in _OTHER_STORES)


def publishes_outside(service: ComposeService) -> bool:
    """The service publishes a port on an interface other than loopback (a `$VAR` interface counts as
    chosen at deploy time, so not)."""
    ports = service.node.get("ports")
    for item in ports.list() if ports is not None and ports.is_seq else []:
        published = published_port(item)
        if published is None or is_loopback(published.host_ip):
            continue
        if published.host_ip is not None and "$" in published.host_ip:
            continue
        return True
    return False


def _configured_server(service: ComposeService, ports: YNode) -> bool:
    """A service of an image not known as a database's that publishes a database server's own port from the container
    and is configured as that server: the official images' password variable, or the server's health probe
    (knowledge/images.toml [database_servers] server_ports, server_probes)."""
    if not any((published := published_port(item)) is not None and published.container_port in _SERVER_PORTS
               for item in ports.list()):
        return False
    env = service.environment
    if any(name in env for name in _SERVERS["password_variables"]):
        return True
    probe = service.node.path("healthcheck", "test")
    words = " ".join(n.as_str() or "" for n in (probe.list() if probe.is_seq else [probe])) if probe is not None else ""
    return any(word in words for word in _SERVER_PROBES)


def service_image(project: Project, service: ComposeService) -> str | None:
    """The image a compose service runs: its `image:`, else the base image of the Dockerfile stage it builds."""
    if service.image:
        return service.image
    process = project.built_process_of_node(service.node)
    if process is not None and process.dockerfile:
        view = project.dockerfile_view(process.dockerfile)
        if view is not None:
            stage = view.stage(process.target)
            return view.base_image(stage) if stage is not None else None
    return None


class DatabasePortPublished(Rule):
    meta = RuleMeta(
        code="PC204", name="database-port-published",
        summary="A database service publishes its port on every interface of the host",
        severity=Severity.WARNING, kinds=("compose",), dev="skip", security=6.5,
    )

    def check(self, project: Project) -> Iterator[Draft]:
        for service in project.compose_services:
            ports = service.node.get("ports")
            if ports is None or not ports.is_seq:
                continue
            if not is_store_image(service_image(project, service)) and not _configured_server(service, ports):
                continue
            exposed_auth = self._weak_auth(service)
            for item in ports.list():
                published = self._published(item)
                if published is None or is_loopback(published.host_ip):
                    continue
                if published.host_ip is not None and "$" in published.host_ip:
                    continue  # an interface chosen at deploy time
                host = f"host port {published.host_port}" if published.host_port else "a random host port"
                message = (f"database service `{service.name}` publishes port {published.container_port} on {host} of "
                           "every interface: reachable from outside the compose network, past ufw/firewalld")
                if exposed_auth:
                    message += f", and it {exposed_auth}"
                yield self.draft(message, scalar_location(service.file.path, item),
                                 severity=Severity.ERROR if exposed_auth else None)

    @staticmethod
    def _published(item: YNode) -> Published | None:
        return published_port(item)

    @staticmethod
    def _weak_auth(service: ComposeService) -> str:
        env = service.environment
        method = env.get("POSTGRES_HOST_AUTH_METHOD")
        if method is not None and (method.as_str() or "").strip().lower() == "trust":
            return "accepts connections without a password (`POSTGRES_HOST_AUTH_METHOD=trust`)"
        for name in load("images")["database_servers"]["password_variables"]:
            node = env.get(name)
            if node is not None and is_secret_value(node.as_str()):
                return f"has a password written in the compose file (`{name}`)"
        return ""
