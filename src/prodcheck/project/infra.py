"""Deployment entities from every infra file kind: containers, processes, replicas, databases."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import field
from typing import TYPE_CHECKING

from prodcheck.extract.servers import ServerCall, is_migration, server_call
from prodcheck.knowledge import load
from prodcheck.knowledge.servers import assumed_host_cores
from prodcheck.model.facts import INFERRED, LITERAL, TOOL_DEFAULT, Fact
from prodcheck.model.files import Context
from prodcheck.model.finding import Location, Span
from prodcheck.model.record import record, slotted
from prodcheck.parsing import small_int
from prodcheck.parsing.shell import SimpleCommand, split_argv, split_script
from prodcheck.parsing.yaml import YNode
from prodcheck.project.sources import SourceFile

if TYPE_CHECKING:
    from prodcheck.project.gunicorn import GunicornWorkers

WORKLOAD_KINDS = frozenset(load("kubernetes")["workloads"]["kinds"])
_UNASKED = ServerCall("", None, ())  # `Step.server` before it is first asked


@record  # a frozen dataclass to mypy, built faster (model/record.py)
class Step:
    """A simple command and the place it is written."""

    command: SimpleCommand
    location: Location
    via: tuple[str, ...] = ()  # scripts it was reached through
    # The rules ask each step again and again (31,000 questions about ~9,000 steps on the infra corpus): read once.
    _server: ServerCall | None = field(default=_UNASKED, init=False, repr=False, compare=False)

    @property
    def server(self) -> ServerCall | None:
        call = self._server
        if call is _UNASKED:
            call = server_call(self.command)
            object.__setattr__(self, "_server", call)  # read-only to mypy (a record): the memo is no field anyone compares
        return call


@slotted
class Process:
    name: str
    origin: Location
    kind: str  # dockerfile | compose | k8s | procfile | script | platform | systemd | supervisor
    role: str  # web | release | worker | init | job | migrate | other
    context: Context
    steps: list[Step]
    env: dict[str, tuple[str, Location]] = field(default_factory=dict)
    replicas: Fact[int] | None = None
    unit: str = ""
    dockerfile: str | None = None
    target: str | None = None
    node: YNode | None = None  # compose service / k8s container
    file: SourceFile | None = None
    command_written: bool = True  # False when inherited from the image

    @property
    def server_steps(self) -> list[tuple[Step, ServerCall]]:
        return [(s, call) for s in self.steps if (call := s.server) is not None and call.server != "python"]

    @property
    def server(self) -> tuple[Step, ServerCall] | None:
        found = self.server_steps
        return found[0] if found else None

    def migrations_before_server(self, serves: Callable[[ServerCall], bool] | None = None,
                                 migrates: Callable[[SimpleCommand], bool] = is_migration,
                                 manages: Callable[[SimpleCommand], bool] = lambda _command: False) -> list[Step]:
        """Migration steps that run before the web server starts, or while it starts in the background
        (`uvicorn app:app &` then `alembic upgrade head`: the script goes on to migrate on every start).
        A `python -m pkg` / `python x.py` step counts as the server when `serves` says that module starts one,
        a process manager's step (`exec supervisord -c ...`) when `manages` says it starts the server;
        `migrates` says which commands migrate (a task runner's `task migrate` too)."""
        # the steps other than a server's: `migrates` is asked of them only once a server is found (most of a long
        # script's steps come before none)
        before: list[Step] = []
        backgrounded = False
        for step in self.steps:
            call = step.server
            if (call is not None and (call.server != "python" or (serves is not None and serves(call)))) \
                    or manages(step.command):
                if step.command.background:
                    backgrounded = True
                    continue
                return [earlier for earlier in before if migrates(earlier.command)]
            before.append(step)
        return [earlier for earlier in before if migrates(earlier.command)] if backgrounded else []

    def migrations_before_last(self, migrates: Callable[[SimpleCommand], bool] = is_migration) -> list[Step]:
        """Migration steps chained before the process's last foreground command when that command is no
        migration itself (`alembic upgrade head && python -m app.worker`): for a process known to run for
        good, they run on every start of it, as before a server."""
        foreground = [step for step in self.steps if not step.command.background]
        if len(foreground) < 2 or migrates(foreground[-1].command):
            return []
        return [step for step in foreground[:-1] if migrates(step.command)]


_UNREAD: str = "\0unread"  # `ComposeService.image` before it is first read (no image name holds a NUL)


@slotted
class ComposeService:
    file: SourceFile
    name: str
    node: YNode
    key: YNode
    # The model and the rules ask ~13 times per service (67,000 times on the infra corpus): read once.
    _image: str | None = field(default=_UNREAD, init=False, repr=False, compare=False)
    _environment: dict[str, YNode] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def location(self) -> Location:
        return Location(self.file.path, Span(self.key.span.line, self.key.span.column, self.key.span.line,
                                             self.key.span.column + len(self.name)))

    @property
    def image(self) -> str | None:
        image = self._image
        if image is _UNREAD:
            node = self.node.get("image")
            image = self._image = node.as_str() if node is not None else None
        return image

    @property
    def environment(self) -> dict[str, YNode]:
        """`compose_env` of the service's `environment:`, read once (a copy each time: the caller's own)."""
        environment = self._environment
        if environment is None:
            environment = self._environment = compose_env(self.node.get("environment"))
        return dict(environment)


@slotted
class Container:
    name: str
    node: YNode
    init: bool = False


@slotted
class Workload:
    file: SourceFile
    kind: str
    name: str
    doc: YNode
    pod_spec: YNode | None
    containers: list[Container]
    init_containers: list[Container]
    replicas: Fact[int]

    @property
    def location(self) -> Location:
        return node_location(self.file.path, self.doc.get("kind") or self.doc)

    @property
    def label(self) -> str:
        """How a message names it: `Deployment `api``, or, when a chart computes the name from values we
        could not read, the template that defines it (never the renderer's placeholder)."""
        if "$(" in self.name or not self.name.strip():
            return f"the {self.kind} of `{self.file.path.removesuffix('@rendered')}`"  # helm_render.SUFFIX
        return f"{self.kind} `{self.name}`"


@slotted
class DatabaseService:
    name: str
    origin: Location
    unit: str
    max_connections: Fact[int] | None
    pooler: bool = False
    pool_size: Fact[int] | None = None  # PgBouncer's server-side pool
    client_limit: Fact[int] | None = None  # PgBouncer's max_client_conn
    instances: Fact[int] | None = None  # how many PgBouncer instances run: the compose service's or workload's replicas


def node_location(path: str, node: YNode) -> Location:
    return Location(path, node.span)


def scalar_location(path: str, node: YNode) -> Location:
    span = node.span
    if node.is_scalar and span.end_line > span.line:
        span = Span(span.line, span.column, span.line, span.column + len(node.text or ""))
    return Location(path, span)


def compose_env(node: YNode | None) -> dict[str, YNode]:
    """`environment:` as a map or a `KEY=value` list -> name -> value node."""
    if node is None:
        return {}
    out: dict[str, YNode] = {}
    if node.is_map:
        for key, value in node.entries():
            out[key] = value
    elif node.is_seq:
        for item in node.list():
            text = item.as_str()
            if text and "=" in text:
                key, _, value = text.partition("=")
                out[key] = YNode("scalar", item.position, value, item.tag, item.style)
    return out


def yaml_command(node: YNode | None) -> list[SimpleCommand]:
    if node is None:
        return []
    if node.is_seq:
        return split_argv(node.strings(), node.span.line, argument_lines(node))
    text = node.as_str()
    if not text:
        return []
    line = node.span.line
    if node.style in {"|", ">"}:
        line += 1
    return split_script(text, line)


def argument_lines(*nodes: YNode | None) -> list[int]:
    """The line each item of YAML lists starts on; a literal block scalar (`- |`) starts on the line
    after its indicator, so a `sh -c` script in one reports each command at its own line."""
    return [item.span.line + (1 if item.style == "|" else 0) for node in nodes if node is not None and node.is_seq
            for item in node.list() if item.is_scalar and item.as_str() is not None]


def is_shell_wrapper(argv: list[str]) -> bool:
    """`["sh", "-c"]`, `["/bin/bash", "-lc"]`: a shell whose script comes next."""
    return bool(argv) and argv[0].rsplit("/", 1)[-1] in {"sh", "bash", "dash", "ash", "zsh"} and len(argv) >= 2 \
        and all(a.startswith("-") for a in argv[1:]) and any("c" in a for a in argv[1:])


def raw_argv(node: YNode) -> list[str]:
    """A compose `command:` as the argv compose passes (a string is split, not run by a shell)."""
    from prodcheck.parsing.shell_tokens import split_words

    if node.is_seq:
        return node.strings()
    try:
        return split_words(node.as_str() or "")
    except ValueError:
        return (node.as_str() or "").split()


def k8s_command(container: YNode) -> tuple[list[SimpleCommand], YNode | None, bool, bool]:
    """(commands, node that holds them, has command, has args)."""
    command, args = container.get("command"), container.get("args")
    argv = (command.strings() if command is not None else []) + (args.strings() if args is not None else [])
    anchor = command if command is not None else args
    if command is not None and args is not None and is_shell_wrapper(command.strings()):
        anchor = args  # the script is written in `args`
    if not argv or anchor is None:
        return [], None, command is not None, args is not None
    return split_argv(argv, anchor.span.line, argument_lines(command, args)), anchor, command is not None, \
        args is not None


def k8s_env(container: YNode) -> dict[str, YNode]:
    out: dict[str, YNode] = {}
    env = container.get("env")
    for item in env.list() if env is not None else []:
        name = item.get("name")
        value = item.get("value")
        if name is not None and name.as_str() and value is not None:
            out[name.as_str()] = value  # type: ignore[index]  # as_str() narrowed just above
    return out


def pod_spec_of(doc: YNode, kind: str) -> YNode | None:
    if kind == "Pod":
        return doc.get("spec")
    if kind == "CronJob":
        return doc.path("spec", "jobTemplate", "spec", "template", "spec")
    return doc.path("spec", "template", "spec")


def max_connections_in(argv: list[str]) -> int | None:
    for index, token in enumerate(argv):
        candidate = None
        if token in {"-c", "--set"} and index + 1 < len(argv):
            candidate = argv[index + 1]
        elif token.startswith(("--max_connections", "--max-connections", "-cmax_connections")):
            candidate = token.lstrip("-c").lstrip("-")
        elif token.startswith("max_connections="):
            candidate = token
        if candidate:
            match = re.match(r"^max[_-]connections\s*=\s*(\d+)$", candidate.strip())
            if match and small_int(match.group(1)) is not None:
                return small_int(match.group(1))
    return None


def replicas_fact(path: str, node: YNode | None, default_origin: Location, default: int = 1,
                  note: str = "replica") -> Fact[int]:
    if node is not None:
        value = node.as_int()
        if value is not None:
            return Fact(value, scalar_location(path, node), LITERAL, f"{value} {note}{'s' if value != 1 else ''}")
    return Fact(default, default_origin, TOOL_DEFAULT, f"{default} {note} (default)")


def env_workers(call: ServerCall, env: dict[str, tuple[str, Location]]) -> Fact[int] | None:
    """WEB_CONCURRENCY set to a number in the process's environment (gunicorn and uvicorn read it)."""
    if call.server in {"gunicorn", "uvicorn"} and "WEB_CONCURRENCY" in env:
        value, origin = env["WEB_CONCURRENCY"]
        if (count := small_int(value)) is not None:
            return Fact(count, origin, LITERAL, f"{value} workers (WEB_CONCURRENCY)")
    return None


def workers_fact(step: Step, call: ServerCall, env: dict[str, tuple[str, Location]],
                 gunicorn_config: GunicornWorkers | None, source_line: str) -> Fact[int]:
    """How many processes a server starts, and where that number is written."""
    from prodcheck.parsing.shell import expand_default, locate

    token = call.workers_token
    location = step.location
    if token is not None:
        env_values = {k: v for k, (v, _) in env.items()}
        value, variable = expand_default(token, env_values)
        span = locate(source_line, token)
        if span:
            location = Location(location.path, Span(location.span.line, span[0], location.span.line, span[1]))
        count = small_int(value) if value is not None else None
        if count is not None:
            if variable and variable in env:
                return Fact(count, env[variable][1], LITERAL, f"{value} workers ({variable})")
            certainty = LITERAL if variable is None else INFERRED
            return Fact(count, location, certainty, f"{value} workers")
        return Fact(1, location, INFERRED, f"at least 1 worker (`{token}` unresolved)")
    if call.server == "gunicorn" and gunicorn_config is not None and gunicorn_config[0] is not None:
        return Fact(gunicorn_config[0], gunicorn_config[1], LITERAL, f"{gunicorn_config[0]} workers (gunicorn config)")
    concurrency = env_workers(call, env)
    if call.server == "gunicorn" and gunicorn_config is not None and gunicorn_config.per_cpu:
        if concurrency is not None:
            return concurrency  # such configs read WEB_CONCURRENCY first (a number the environment pins)
        cores = assumed_host_cores()
        return Fact(cores + 1, gunicorn_config[1], INFERRED,
                    f"{cores + 1} workers (the gunicorn config grows `workers` with the CPU count; counted "
                    f"as {cores} cores + 1)")
    if call.server == "gunicorn" and gunicorn_config is not None and gunicorn_config.assigned:
        # `workers = web_concurrency` (computed from the environment): not 1, not known
        return Fact(1, gunicorn_config[1], INFERRED, "at least 1 worker (gunicorn config `workers` unresolved)")
    if concurrency is not None:
        return concurrency
    return Fact(1, step.location, TOOL_DEFAULT, "1 worker")
