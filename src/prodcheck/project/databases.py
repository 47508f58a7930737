"""Database servers and poolers the deployment runs, and the connection limit app pools run into."""
from __future__ import annotations

import posixpath
import re
from functools import cached_property
from typing import TYPE_CHECKING

from prodcheck.discovery.sources import root_text
from prodcheck.model.facts import LITERAL, TOOL_DEFAULT, Fact
from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Location, Span
from prodcheck.parsing import small_int
from prodcheck.parsing.textfiles import parse_postgres_conf
from prodcheck.parsing.yaml import YNode
from prodcheck.project.infra import (
    ComposeService, DatabaseService, k8s_command, k8s_env, max_connections_in, replicas_fact, scalar_location,
    yaml_command,
)
from prodcheck.project.images import is_database_image, is_pooler_image
from prodcheck.lazy_pattern import lazy

if TYPE_CHECKING:
    from prodcheck.project import Project


_INIT_FOLDER = "/docker-entrypoint-initdb.d"
_ALTER_MAX_CONNECTIONS = lazy(r"ALTER\s+SYSTEM\s+SET\s+max_connections\s*(?:=|TO)\s*'?(\d+)'?", re.IGNORECASE)


class Databases:
    def __init__(self, project: Project) -> None:
        self.project = project

    @cached_property
    def all(self) -> list[DatabaseService]:
        project = self.project
        found: list[DatabaseService] = []
        conf_limit = self._postgres_conf_limit()
        for service in project.compose_services:
            if service.file.context != Context.PROD:
                continue
            image = service.image
            unit = f"compose:{service.file.path}"
            if is_database_image(image):
                found.append(DatabaseService(service.name, service.location, unit,
                                             self._compose_max_connections(service) or self._init_script_limit(service)
                                             or conf_limit))
            elif is_pooler_image(image):
                instances = replicas_fact(service.file.path, service.node.path("deploy", "replicas")
                                          or service.node.get("scale"), service.location)
                found.append(self._pooler(service.name, service.location, unit,
                                          service.environment, service.file.path, instances))
        for workload in project.workloads:
            for container in workload.containers:
                image_node = container.node.get("image")
                image = image_node.as_str() if image_node is not None else None
                location = scalar_location(workload.file.path, container.node.get("name") or container.node)
                if is_database_image(image):
                    commands, anchor, _, _ = k8s_command(container.node)
                    argv = [a for c in commands for a in c.argv]
                    limit = max_connections_in(argv)
                    fact = Fact(limit, scalar_location(workload.file.path, anchor), LITERAL,
                                f"max_connections={limit}") if limit and anchor is not None else conf_limit
                    found.append(DatabaseService(workload.name, location, "k8s", fact))
                elif is_pooler_image(image):
                    found.append(self._pooler(workload.name, location, "k8s", k8s_env(container.node), workload.file.path,
                                              workload.replicas))
        for source, document in project.k8s_documents:
            kind = document.get("kind").as_str()  # type: ignore[union-attr]  # k8s_documents all have a kind
            if kind == "Cluster" and "cnpg" in (document.get("apiVersion").as_str() or ""):  # type: ignore[union-attr]  # apiVersion: k8s_documents all have one
                node = document.path("spec", "postgresql", "parameters", "max_connections")
                fact = Fact(node.as_int(), scalar_location(source.path, node), LITERAL,
                            f"max_connections={node.as_int()}") if node is not None and node.as_int() else None
                found.append(DatabaseService("cluster", scalar_location(source.path, document.get("kind")), "k8s", fact))  # type: ignore[arg-type]  # k8s_documents all have a kind
        return found

    def _compose_max_connections(self, service: ComposeService) -> Fact[int] | None:
        command = service.node.get("command")
        if command is None:
            return None
        argv = [a for c in yaml_command(command) for a in c.argv]
        limit = max_connections_in(argv)
        if limit is None:
            return None
        return Fact(limit, scalar_location(service.file.path, command), LITERAL, f"max_connections={limit}")

    def _init_script_limit(self, service: ComposeService) -> Fact[int] | None:
        """`./init.sql:/docker-entrypoint-initdb.d/init.sql` holding `ALTER SYSTEM SET max_connections = 200;`: the
        postgres image runs the SQL files of that folder when it initialises its data directory
        (https://hub.docker.com/_/postgres, "Initialization scripts"), and ALTER SYSTEM writes postgresql.auto.conf,
        which the server it then starts reads (https://www.postgresql.org/docs/current/sql-altersystem.html)."""
        volumes = service.node.get("volumes")
        if volumes is None or not volumes.is_seq:
            return None
        base = posixpath.dirname(service.file.path)
        for item in volumes.list():
            text = item.as_str() if item.is_scalar else None
            parts = (text or "").split(":")
            if len(parts) < 2 or not parts[1].startswith(_INIT_FOLDER):
                continue
            mounted = posixpath.normpath(posixpath.join(base, parts[0]))
            if not mounted.endswith(".sql") or mounted.startswith(("../", "/")):
                continue  # one SQL file of the repository (a folder of them is not listed here)
            text = root_text(self.project.root, mounted)  # no file kind of ours: read as the README is, safely
            for number, line in enumerate((text or "").splitlines(), 1):
                match = _ALTER_MAX_CONNECTIONS.search(line)
                if match is not None and (limit := small_int(match.group(1))) is not None:
                    return Fact(limit, Location(mounted, Span(number)), LITERAL, f"max_connections={limit}")
        return None

    def _pooler(self, name: str, location: Location, unit: str, env: dict[str, YNode], path: str,
                instances: Fact[int]) -> DatabaseService:
        def number(*keys: str) -> Fact[int] | None:
            for key in keys:
                node = env.get(key)
                if node is not None and node.as_int() is not None:
                    return Fact(node.as_int(), scalar_location(path, node), LITERAL, f"{key}={node.as_int()}")  # type: ignore[arg-type]  # as_int() narrowed just above
            return None

        return DatabaseService(
            name, location, unit, None, pooler=True,
            pool_size=number("DEFAULT_POOL_SIZE", "PGBOUNCER_DEFAULT_POOL_SIZE", "POOL_SIZE"),
            client_limit=number("MAX_CLIENT_CONN", "PGBOUNCER_MAX_CLIENT_CONN"), instances=instances,
        )

    def _postgres_conf_limit(self) -> Fact[int] | None:
        for source in self.project.of_kind(FileKind.POSTGRES_CONF):
            for entry in parse_postgres_conf(source.text or ""):
                if entry.key == "max_connections" and (limit := small_int(entry.value)) is not None:
                    return Fact(limit, Location(source.path, Span(entry.line)), LITERAL,
                                f"max_connections={entry.value}")
        return None

    def of_unit(self, unit: str) -> list[DatabaseService]:
        """The databases a deployment unit uses: its own, else (compose) those of sibling compose files."""
        own = [d for d in self.all if d.unit == unit]
        if own or not unit.startswith("compose:"):
            return own
        return list(self._compose_by_folder.get(posixpath.dirname(unit.removeprefix("compose:")), ()))

    @cached_property
    def _compose_by_folder(self) -> dict[str, list[DatabaseService]]:
        """The databases of compose units by the folder of their compose file, in `all`'s order (each unit
        asked about its siblings' compared every database's folder before)."""
        found: dict[str, list[DatabaseService]] = {}
        for database in self.all:
            if database.unit.startswith("compose:"):
                found.setdefault(posixpath.dirname(database.unit.removeprefix("compose:")), []).append(database)
        return found

    def _managed_limit(self, unit: str) -> Fact[int] | None:
        """The managed PostgreSQL plan the unit's platform file declares (render.yaml, Heroku app.json)."""
        from prodcheck.project.platforms import platform_model

        limits = platform_model(self.project).managed_limits
        kind, _, path = unit.partition(":")
        if kind == "render":
            return limits.get(unit)
        if kind in {"procfile", "heroku"}:
            return limits.get(f"heroku:{posixpath.dirname(path)}")
        return None

    def limit(self, unit: str) -> Fact[int]:
        """The connection limit the app pools of a deployment unit run into."""
        databases = self.of_unit(unit)
        for database in databases:
            if not database.pooler and database.max_connections is not None:
                return database.max_connections
        settings = self.project.settings
        configured = getattr(settings, "max_connections", None)
        origin = getattr(settings, "max_connections_origin", None) or Location("", Span(1))
        if configured:
            return Fact(int(configured), origin, LITERAL, f"max_connections={configured} (configured)")
        managed = self._managed_limit(unit)
        if managed is not None:
            return managed
        for database in databases:
            if not database.pooler:
                return Fact(100, database.origin, TOOL_DEFAULT, "100 max_connections (PostgreSQL default)")
        return Fact(100, Location("", Span(1)), TOOL_DEFAULT, "100 max_connections (PostgreSQL default)")
