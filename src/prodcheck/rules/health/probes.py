"""Health checks from every file kind, and the process behind a node, which the PC6xx rules share (the app's
containers and production compose services are app_units.py's).

A `HealthCheck` is one HTTP probe of the app: a Kubernetes liveness/readiness/startup probe
(`httpGet`, or an `exec` probe that curls a local URL), a Dockerfile `HEALTHCHECK`, a compose
`healthcheck:`, or a platform's health check path (fly.toml, render.yaml, railway, Helm values).
Each carries the path, the port it targets, where it is written and the process behind it.
"""
from __future__ import annotations


from prodcheck.model.files import Context
from prodcheck.knowledge import load
from prodcheck.model.finding import Location, Span
from prodcheck.parsing.yaml import YNode
from prodcheck.project import Project
from prodcheck.project.infra import Process, scalar_location
from prodcheck.project.memo import per_project
from prodcheck.model.record import record
from prodcheck.lazy_pattern import lazy

LONG_RUNNING_KINDS = frozenset(load("kubernetes")["workloads"]["long_running"])
SIDECARS = frozenset(load("images")["sidecars"]["repositories"])
ONE_SHOT = frozenset(load("images")["one_shot"]["repositories"])
_URL = lazy(
    r"(?P<scheme>https?://)?(?<![\w.-])(?P<host>localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]|\$\{?HOSTNAME\}?)"
    r"(?::(?P<port>\d+|\$\{?[A-Za-z_][A-Za-z0-9_]*(?::?-\d+)?\}?))?(?P<path>/[^\s'\"`;|&)\\,]*)?"
)
_HTTP_CLIENTS = tuple(load("commands")["http_clients"]["words"])


@record
class HealthCheck:
    kind: str  # liveness | readiness | startup | docker | compose | platform
    path: str
    port: str | None  # as written: "8000", "http", "$PORT"; None when unknown
    location: Location  # where the path is written
    process: Process | None  # what serves it
    context: Context
    owner: str  # "container `api` of Deployment `catalog`", "the image `Dockerfile`", ...
    platform: str = ""  # fly | render | railway | helm, for platform checks

    @property
    def what(self) -> str:
        return {
            "liveness": "liveness probe", "readiness": "readiness probe", "startup": "startup probe",
            "docker": "`HEALTHCHECK`", "compose": "compose `healthcheck`",
        }.get(self.kind, f"{self.platform} health check")


# ---------------------------------------------------------------- URLs in commands


def local_url(text: str) -> tuple[str, str | None, int] | None:
    """(path, port, offset) of the first local URL an HTTP client command fetches."""
    if not any(client in text for client in _HTTP_CLIENTS):
        return None
    for match in _URL.finditer(text):
        if not match.group("scheme") and not (match.group("port") or match.group("path")):
            continue
        port = match.group("port")
        if port is None:
            port = "443" if (match.group("scheme") or "").startswith("https") else "80"
        path = match.group("path") or "/"
        offset = match.start("path") if match.group("path") else match.start()
        return path, port, offset
    return None


# ---------------------------------------------------------------- processes behind entities


def process_for_node(project: Project, node: YNode | None) -> Process | None:
    if node is None:
        return None
    return _by_node(project).get(id(node))


@per_project
def _by_node(project: Project) -> dict[int, Process]:
    out: dict[int, Process] = {}
    for process in project.processes:
        if process.node is not None:
            out.setdefault(id(process.node), process)
    return out


def dockerfile_process(project: Project, path: str) -> Process | None:
    return _image_processes(project).get(path)


@per_project
def _image_processes(project: Project) -> dict[str, Process]:
    """Dockerfile path -> the first process that runs the image itself (kind "dockerfile"): one pass over
    the processes, not one per Dockerfile asked about."""
    out: dict[str, Process] = {}
    for process in project.processes:
        if process.kind == "dockerfile" and process.dockerfile is not None:
            out.setdefault(process.dockerfile, process)
    return out


def server_port(project: Project, process: Process | None) -> str | None:
    """The port the web server binds, when the command says (or the server's default applies)."""
    if process is None or process.server is None:
        return None
    _, call = process.server
    if call.server in {"gunicorn", "hypercorn"}:
        bind = call.option("-b", "--bind")
        if bind is None:
            if call.server == "gunicorn" and (call.config_file or "PORT" in process.env
                                             or project.gunicorn_config_for(call, process.server[0]) is not None):
                return None
            return "8000"
        port = bind.rsplit(":", 1)[-1] if ":" in bind else None
    else:
        port = call.option("--port", "-p") if call.server == "daphne" else call.option("--port")
        if port is None:
            if call.server == "uvicorn" and "UVICORN_PORT" in process.env:
                return None
            return "8000"
    if port is None or not port.isdigit():
        return None
    return port


def ports_differ(project: Project, check: HealthCheck) -> bool:
    """True when the check targets another port than the app's server (a sidecar, a metrics port)."""
    served = server_port(project, check.process)
    probe = check.port
    if probe is not None and not probe.isdigit() and check.process is not None and check.process.node is not None:
        probe = _named_port(check.process.node, probe)
    if served is None or probe is None or not probe.isdigit():
        return False
    return served != probe


def _named_port(container: YNode, name: str) -> str | None:
    ports = container.get("ports")
    for item in ports.list() if ports is not None else []:
        port_name = item.get("name")
        number = item.get("containerPort")
        if port_name is not None and port_name.as_str() == name and number is not None:
            return number.as_str()
    return None


# ---------------------------------------------------------------- the checks


@per_project
def health_checks(project: Project) -> tuple[HealthCheck, ...]:
    checks: list[HealthCheck] = []
    checks.extend(_k8s_checks(project))
    checks.extend(_dockerfile_checks(project))
    checks.extend(_compose_checks(project))
    checks.extend(_platform_checks(project))
    return tuple(checks)


def _k8s_checks(project: Project) -> list[HealthCheck]:
    out = []
    for workload in project.workloads:
        for container in workload.containers:
            process = process_for_node(project, container.node)
            owner = f"container `{container.name}` of {workload.label}"
            for key, kind in (("livenessProbe", "liveness"), ("readinessProbe", "readiness"), ("startupProbe", "startup")):
                probe = container.node.get(key)
                if probe is None or not probe.is_map:
                    continue
                check = _probe_check(workload.file.path, probe, kind, process, workload.file.context, owner)
                if check is not None:
                    out.append(check)
    return out


def _probe_check(path: str, probe: YNode, kind: str, process: Process | None, context: Context,
                 owner: str, platform: str = "") -> HealthCheck | None:
    http = probe.get("httpGet")
    if http is not None and http.is_map:
        path_node, port_node = http.get("path"), http.get("port")
        port = port_node.as_str() if port_node is not None else None
        if path_node is not None and path_node.as_str():
            return HealthCheck(kind, path_node.as_str(), port, scalar_location(path, path_node),  # type: ignore[arg-type]  # as_str() narrowed just above
                               process, context, owner, platform)
        return HealthCheck(kind, "/", port, scalar_location(path, probe.key_node("httpGet") or http),
                           process, context, owner, platform)
    command = probe.path("exec", "command")
    if command is not None:
        found = local_url(" ".join(command.strings()))
        if found is not None:
            nodes = command.list() if command.is_seq else [command]
            node = next((n for n in nodes if found[0] in (n.as_str() or "")), command)
            return HealthCheck(kind, found[0], found[1], scalar_location(path, node), process, context, owner, platform)
    return None


def _dockerfile_checks(project: Project) -> list[HealthCheck]:
    out = []
    for source, view in project.dockerfiles:
        stage = view.stage(None)
        instruction = view.effective(stage, "HEALTHCHECK") if stage is not None else None
        if instruction is None or instruction.value.strip().upper() == "NONE":
            continue
        found = local_url(instruction.value)
        if found is None:
            continue
        path, port, _ = found
        location = Location(source.path, Span(instruction.line))
        for number in range(instruction.line, instruction.end_line + 1):
            line = source.line(number)
            column = line.find(path) if path != "/" else -1
            if column >= 0 and ("localhost" in line or "127.0.0.1" in line):
                location = Location(source.path, Span(number, column + 1, number, column + 1 + len(path)))
                break
        out.append(HealthCheck("docker", path, port, location, dockerfile_process(project, source.path),
                               source.context, f"the image `{source.path}`"))
    return out


def _compose_checks(project: Project) -> list[HealthCheck]:
    out = []
    for service in project.compose_services:
        test = service.node.path("healthcheck", "test")
        if test is None:
            continue
        found = local_url(" ".join(test.strings()))
        if found is None:
            continue
        path = found[0]
        location = scalar_location(service.file.path, test)
        for node in test.list() if test.is_seq else [test]:
            text = node.as_str() or ""
            if path in text:
                line = service.file.line(node.span.line)
                column = line.find(path, node.span.column - 1)
                if column >= 0:
                    location = Location(service.file.path, Span(node.span.line, column + 1, node.span.line,
                                                                column + 1 + len(path)))
                break
        out.append(HealthCheck("compose", path, found[1], location, process_for_node(project, service.node),
                               service.file.context, f"compose service `{service.name}`"))
    return out


def _platform_checks(project: Project) -> list[HealthCheck]:
    try:
        from prodcheck.project.platforms import platform_health_checks
    except ImportError:  # pragma: no cover - platforms not installed yet
        return []
    out = []
    for check in platform_health_checks(project):
        out.append(HealthCheck(check.kind, check.path, check.port, check.location, check.process,
                               project.context_of(check.location.path), check.owner, check.platform))
    return out


# ---------------------------------------------------------------- kubernetes containers
