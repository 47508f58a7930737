"""The one model of the whole project that every rule queries."""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from prodcheck.extract.servers import ServerCall
from prodcheck.model.facts import INFERRED, LITERAL, TOOL_DEFAULT, Fact, PyFacts, Value
from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Location, Span
from prodcheck.parsing import ParseError
from prodcheck.parsing.dockerfile import DockerfileView, command_of, exec_form
from prodcheck.parsing.dockerfile import parse as parse_dockerfile
from prodcheck.parsing.shell import SimpleCommand, split_argv, split_script
from prodcheck.parsing.textfiles import Entry, parse_env, parse_ini, parse_postgres_conf, parse_procfile
from prodcheck.parsing.yaml import YNode, load_documents
from prodcheck.project.infra import (
    WORKLOAD_KINDS, ComposeService, Container, DatabaseService, Process, Step, Workload, compose_env, is_shell_wrapper,
    image_repository, is_database_image, is_pooler_image, is_third_party_image, k8s_command, k8s_env,
    max_connections_in, pod_spec_of, raw_argv, replicas_fact, resolve_script, scalar_location, workers_fact, yaml_command,
)
from prodcheck.project.python_index import PythonIndex
from prodcheck.project.sources import SourceFile

if TYPE_CHECKING:
    from prodcheck.project.workflows import Workflow

ENGINE_FACTORIES = {
    "sqlalchemy.create_engine": (5, 10),
    "sqlalchemy.engine.create_engine": (5, 10),
    "sqlmodel.create_engine": (5, 10),
    "sqlalchemy.ext.asyncio.create_async_engine": (5, 10),
    "asyncpg.create_pool": (10, 0),
    "databases.Database": (10, 0),
}
_MIGRATION_DIRS = ("alembic/", "migrations/", "migration/")


@dataclass(frozen=True, slots=True)
class Engine:
    factory: str
    location: Location  # the call
    facts: PyFacts
    pool_size: Fact[int] | None  # None: not statically known
    max_overflow: Fact[int] | None
    null_pool: bool
    url: str | None  # literal URL, if any
    is_async: bool
    value: Value

    @property
    def per_process(self) -> int | None:
        if self.null_pool:
            return 0
        if self.pool_size is None or self.max_overflow is None:
            return None
        return self.pool_size.value + self.max_overflow.value


class Project:
    def __init__(self, root: Path, files: list[SourceFile], python: dict[str, PyFacts], settings: object) -> None:
        self.root = root
        self.files = files
        self.by_path = {f.path: f for f in files}
        self.settings = settings
        self.python_facts = python
        self.parse_errors: list[SourceFile] = [f for f in files if f.error is not None]

    # ---------------------------------------------------------------- files and views

    def of_kind(self, *kinds: FileKind) -> list[SourceFile]:
        return [f for f in self.files if f.kind in kinds and f.error is None]

    def context_of(self, path: str) -> Context:
        source = self.by_path.get(path)
        return source.context if source else Context.PROD

    def _view(self, source: SourceFile, name: str, build):
        if name not in source.views:
            try:
                source.views[name] = build()
            except ParseError as error:
                source.error = error
                source.views[name] = None
                if source not in self.parse_errors:
                    self.parse_errors.append(source)
        return source.views[name]

    def dockerfile(self, source: SourceFile) -> DockerfileView | None:
        return self._view(source, "dockerfile", lambda: parse_dockerfile(source.path, source.text or ""))

    def yaml(self, source: SourceFile) -> list[YNode]:
        return self._view(source, "yaml", lambda: load_documents(source.text or "")) or []

    @cached_property
    def dockerfiles(self) -> list[tuple[SourceFile, DockerfileView]]:
        return [(f, view) for f in self.of_kind(FileKind.DOCKERFILE) if (view := self.dockerfile(f)) is not None]

    @cached_property
    def compose_files(self) -> list[tuple[SourceFile, YNode]]:
        out = []
        for source in self.of_kind(FileKind.COMPOSE):
            for document in self.yaml(source)[:1]:
                if document.is_map:
                    out.append((source, document))
        return out

    @cached_property
    def compose_services(self) -> list[ComposeService]:
        services = []
        for source, document in self.compose_files:
            node = document.get("services")
            for key, value in node.items() if node is not None else []:
                if key.is_scalar and value.is_map:
                    services.append(ComposeService(source, str(key.value), value, key))
        return services

    @cached_property
    def k8s_documents(self) -> list[tuple[SourceFile, YNode]]:
        out = []
        for source in self.of_kind(FileKind.YAML, FileKind.K8S):
            if "apiVersion" not in (source.text or "") or "kind" not in (source.text or ""):
                continue
            if "{{" in (source.text or "") and "/templates/" in f"/{source.path}":
                continue  # Helm templates need rendering; their values are read elsewhere
            for document in self.yaml(source):
                if document.is_map and document.get("apiVersion") is not None and document.get("kind") is not None:
                    source.kind = FileKind.K8S
                    out.append((source, document))
        return out

    @cached_property
    def workflows(self) -> list[tuple[SourceFile, YNode]]:
        return [(s, d) for s in self.of_kind(FileKind.WORKFLOW) for d in self.yaml(s)[:1] if d.is_map]

    @cached_property
    def workflow_jobs(self) -> list[Workflow]:
        """Workflows as jobs and steps: needs, what each job tests, deploys or migrates."""
        from prodcheck.project.workflows import build_workflows

        return build_workflows(self.workflows)

    @cached_property
    def procfile_entries(self) -> list[tuple[SourceFile, Entry]]:
        return [(s, e) for s in self.of_kind(FileKind.PROCFILE) for e in parse_procfile(s.text or "")]

    def env_entries(self, source: SourceFile) -> list[Entry]:
        return self._view(source, "env", lambda: parse_env(source.text or "")) or []

    def ini_entries(self, source: SourceFile) -> list[tuple[str, Entry]]:
        return self._view(source, "ini", lambda: parse_ini(source.text or "")) or []

    def script_steps(self, source: SourceFile) -> list[SimpleCommand]:
        return self._view(source, "script", lambda: split_script(source.text or "")) or []

    @cached_property
    def python(self) -> PythonIndex:
        contexts = {path: self.context_of(path) for path in self.python_facts}
        return PythonIndex(self.python_facts, contexts)

    # ---------------------------------------------------------------- kubernetes

    @cached_property
    def workloads(self) -> list[Workload]:
        hpas: dict[str, tuple[SourceFile, YNode]] = {}
        for source, document in self.k8s_documents:
            if document.get("kind").as_str() == "HorizontalPodAutoscaler":  # type: ignore[union-attr]  # k8s_documents all have a kind
                target = document.path("spec", "scaleTargetRef", "name")
                if target is not None and target.as_str():
                    hpas[target.as_str()] = (source, document)  # type: ignore[index]  # as_str() narrowed just above
        workloads = []
        from prodcheck.project.charts import kustomize_patch_paths, kustomize_replicas

        patch_files = kustomize_patch_paths(self)
        for source, document in self.k8s_documents:
            kind = document.get("kind").as_str() or ""  # type: ignore[union-attr]  # k8s_documents all have a kind
            if kind not in WORKLOAD_KINDS or source.path in patch_files:
                continue  # kustomize patches are fragments of a base workload, not workloads
            name_node = document.path("metadata", "name")
            name = name_node.as_str() if name_node is not None else kind
            pod_spec = pod_spec_of(document, kind)
            containers_node = pod_spec.get("containers") if pod_spec is not None else None
            inits_node = pod_spec.get("initContainers") if pod_spec is not None else None
            containers = [Container(self._container_name(c), c)
                          for c in (containers_node.list() if containers_node is not None else [])]
            inits = [Container(self._container_name(c), c, True)
                     for c in (inits_node.list() if inits_node is not None else [])]
            kind_node = document.get("kind")
            origin = scalar_location(source.path, kind_node)  # type: ignore[arg-type]  # k8s_documents all have a kind
            if kind in {"Job", "CronJob", "Pod"}:
                replicas = Fact(1, origin, TOOL_DEFAULT, "1 pod")
            else:
                replicas = replicas_fact(source.path, document.path("spec", "replicas"), origin)
                hpa = hpas.get(name or "")
                if hpa is not None:
                    max_node = hpa[1].path("spec", "maxReplicas")
                    max_replicas = max_node.as_int() if max_node is not None else None
                    if max_node is not None and max_replicas is not None:
                        replicas = Fact(max_replicas, scalar_location(hpa[0].path, max_node), LITERAL,
                                        f"{max_replicas} replicas (HPA maxReplicas)")
                else:
                    replicas = kustomize_replicas(self, kind, name or kind, source.path) or replicas
            workloads.append(Workload(source, kind, name or kind, document, pod_spec, containers, inits, replicas))
        return workloads

    @staticmethod
    def _container_name(node: YNode) -> str:
        name = node.get("name")
        return (name.as_str() if name is not None else None) or "container"

    # ---------------------------------------------------------------- processes

    def dockerfile_for(self, base_dir: str, context: str | None, dockerfile: str | None) -> SourceFile | None:
        directory = posixpath.normpath(posixpath.join(base_dir, context or "."))
        name = dockerfile or "Dockerfile"
        candidate = posixpath.normpath(posixpath.join(directory, name)).lstrip("./") if directory != "." else name
        candidate = posixpath.normpath(candidate)
        source = self.by_path.get(candidate)
        if source is not None and source.kind == FileKind.DOCKERFILE:
            return source
        return None

    def _expand(self, commands: list[SimpleCommand], source: SourceFile, rest: list[Step], workdir: str = "",
                via: tuple[str, ...] = (), depth: int = 0) -> list[Step]:
        """Commands as steps, with the start scripts they run inlined; `"$@"` becomes `rest`."""
        steps: list[Step] = []
        for command in commands:
            location = Location(source.path, Span(command.line, 1, command.line, len(source.line(command.line)) + 1))
            argv = command.argv
            script = None
            if argv and depth < 4:
                if (command.program in {"sh", "bash", "dash", "ash"} and len(argv) > 1 and not argv[1].startswith("-")) or (argv[0] in {"source", "."} and len(argv) > 1):
                    script = resolve_script(self.by_path, argv[1], workdir)
                else:
                    script = resolve_script(self.by_path, argv[0], workdir)
            if script is not None and script.path not in via:
                inner = self.script_steps(script)
                steps.extend(self._expand(inner, script, rest, workdir, (*via, script.path), depth + 1))
                continue
            if argv and argv[0] in {'"$@"', "$@", "${@}", '"${@}"'}:
                steps.extend(rest)
                rest = []
                continue
            steps.append(Step(command, location, via))
        return steps

    def dockerfile_steps(self, source: SourceFile, view: DockerfileView, target: str | None,
                         command_override: tuple[list[SimpleCommand], SourceFile] | None = None,
                         override_argv: tuple[list[str], int] | None = None) -> list[Step]:
        """What a container of this image runs: ENTRYPOINT and CMD (or the CMD a deployment overrides)."""
        stage = view.stage(target)
        if stage is None:
            return []
        workdir_instruction = view.effective(stage, "WORKDIR")
        workdir = workdir_instruction.value if workdir_instruction else ""
        entry = view.effective(stage, "ENTRYPOINT")
        cmd = view.effective(stage, "CMD")
        if command_override is not None:
            cmd_steps = self._expand(command_override[0], command_override[1], [], workdir)
            cmd_source = command_override[1]
            cmd_argv, cmd_line = override_argv or ([a for c in command_override[0] for a in c.argv], 1)
        else:
            cmd_steps = self._expand(command_of(cmd), source, [], workdir) if cmd else []
            cmd_source = source
            raw = exec_form(cmd.value) if cmd else None
            cmd_argv = raw if raw is not None else (["/bin/sh", "-c", cmd.value] if cmd else [])
            cmd_line = cmd.line if cmd else 1
        if entry is None:
            return cmd_steps
        entry_argv = exec_form(entry.value)
        if entry_argv is None:  # shell-form ENTRYPOINT ignores CMD
            return self._expand(command_of(entry), source, [], workdir)
        if is_shell_wrapper(entry_argv) and cmd_argv:
            # ENTRYPOINT ["sh", "-c"] + CMD ["alembic upgrade head && exec gunicorn ..."]
            return self._expand(split_script(cmd_argv[0], cmd_line), cmd_source, [], workdir)
        entry_commands = split_argv(entry_argv, entry.line)
        if not entry_commands:  # ENTRYPOINT ["tini", "--"]: the command follows
            return cmd_steps
        last = entry_commands[-1]
        if last.argv and resolve_script(self.by_path, last.argv[0], workdir) is not None:
            return self._expand(entry_commands, source, cmd_steps, workdir)  # the script's "$@" runs CMD
        return self._expand(split_argv([*entry_argv, *cmd_argv], entry.line), source, [], workdir)

    @cached_property
    def gunicorn_configs(self) -> dict[str, tuple[int | None, Location, PyFacts]]:
        out = {}
        for path, facts in self.python_facts.items():
            source = self.by_path.get(path)
            if source is None or source.kind != FileKind.GUNICORN_CONF:
                continue
            workers: int | None = None
            location = Location(path, Span(1))
            for assign in facts.assigns:
                if assign.target.endswith(".workers") and not assign.scope.count(".") > facts.module.count("."):
                    workers = lower_bound_int(assign.value)
                    location = Location(path, assign.span)
            out[path] = (workers, location, facts)
        return out

    def gunicorn_config_for(self, call: ServerCall, step: Step) -> tuple[int | None, Location] | None:
        name = call.config_file
        candidates = self.gunicorn_configs
        if name:
            name = name.removeprefix("python:").strip("'\"")
            basename = name.rsplit("/", 1)[-1]
            for path, (workers, location, _) in candidates.items():
                if path.rsplit("/", 1)[-1] == basename or path.replace("/", ".").removesuffix(".py") == name:
                    return workers, location
            return None
        for path, (workers, location, _) in candidates.items():
            if path.rsplit("/", 1)[-1] == "gunicorn.conf.py":
                return workers, location  # gunicorn reads ./gunicorn.conf.py by default
        return None

    def gunicorn_config_path(self, call: ServerCall) -> tuple[str | None, bool]:
        """(the Python config file a gunicorn command reads, known). Without `-c` gunicorn reads
        ./gunicorn.conf.py if there is one (path None, known True when there is none); known is
        False when `-c` names a file that is not in the repository."""
        name = call.config_file
        if name:
            name = name.removeprefix("python:").strip("'\"")
            wanted = name.lstrip("./")
            dotted = name.replace("/", ".").removesuffix(".py")
            matches = [p for p in self.python_facts if p == wanted or p.endswith("/" + wanted)
                       or p.removesuffix(".py").replace("/", ".").endswith(dotted)]
            if not matches and "/" not in name:
                matches = [p for p in self.python_facts if p.rsplit("/", 1)[-1] == name]
            return (min(matches, key=len), True) if matches else (None, False)
        defaults = [p for p in self.gunicorn_configs if p.rsplit("/", 1)[-1] == "gunicorn.conf.py"]
        return (min(defaults, key=len) if defaults else None), True

    def gunicorn_setting(self, path: str, name: str) -> tuple[Value, Location] | None:
        """The last module-level assignment of a gunicorn setting (`worker_class`, `wsgi_app`...)."""
        facts = self.python_facts.get(path)
        if facts is None:
            return None
        found = None
        for assign in facts.assigns:
            if assign.target == f"{facts.module}.{name}" and not assign.in_main:
                found = (assign.value, Location(path, assign.span))
        return found

    @cached_property
    def processes(self) -> list[Process]:
        processes: list[Process] = []
        referenced_dockerfiles: set[str] = set()
        referenced_scripts: set[str] = set()
        prod_dockerfiles = [(s, v) for s, v in self.dockerfiles if s.context == Context.PROD]

        # compose services
        base_services = {(posixpath.dirname(s.file.path), s.name): s for s in self.compose_services
                         if s.node.get("build") is not None or s.node.get("image") is not None}
        for service in self.compose_services:
            source, node = service.file, service.node
            base_dir = posixpath.dirname(source.path)
            image_node = node.get("image")
            image = image_node.as_str() if image_node is not None else None
            build = node.get("build")
            inherited = base_services.get((base_dir, service.name))
            if build is None and image is None and inherited is not None and inherited is not service:
                build = inherited.node.get("build")
                image_node = inherited.node.get("image")
                image = image_node.as_str() if image_node is not None else None
            dockerfile: SourceFile | None = None
            target = None
            if build is not None:
                if build.is_scalar:
                    dockerfile = self.dockerfile_for(base_dir, build.as_str(), None)
                else:
                    context = build.get("context")
                    dockerfile_node = build.get("dockerfile")
                    target_node = build.get("target")
                    target = target_node.as_str() if target_node is not None else None
                    dockerfile = self.dockerfile_for(base_dir, context.as_str() if context is not None else ".",
                                                     dockerfile_node.as_str() if dockerfile_node is not None else None)
            if dockerfile is not None:
                referenced_dockerfiles.add(dockerfile.path)
            command_node, entry_node = node.get("command"), node.get("entrypoint")
            command = yaml_command(command_node) if command_node is not None else None
            entrypoint = yaml_command(entry_node) if entry_node is not None else None
            steps: list[Step] = []
            written = True
            view = self.dockerfile(dockerfile) if dockerfile is not None else None
            if view is not None and entrypoint is None:
                steps = self.dockerfile_steps(dockerfile, view, target,  # type: ignore[arg-type]  # dockerfile is set whenever view is
                                              (command, source) if command is not None else None,
                                              (raw_argv(command_node), command_node.span.line) if command_node is not None else None)
                written = command is not None
            elif command is not None or entrypoint is not None:
                steps = self._expand((entrypoint or []) + (command or []), source, [])
            env = {k: (v.as_str() or "", scalar_location(source.path, v)) for k, v in compose_env(node.get("environment")).items()}
            if view is not None:
                stage = view.stage(target)
                if stage is not None:
                    for key, (value, instruction) in view.env(stage).items():
                        env.setdefault(key, (value, Location(dockerfile.path, Span(instruction.line))))  # type: ignore[union-attr]  # dockerfile is set whenever view is
            deploy_replicas = node.path("deploy", "replicas") or node.get("scale")
            replicas = replicas_fact(source.path, deploy_replicas, service.location)
            anchor = command_node or entry_node or service.key
            role = "web"
            processes.append(Process(
                name=f"{source.path}:{service.name}", origin=scalar_location(source.path, anchor), kind="compose",
                role=role, context=source.context, steps=steps, env=env, replicas=replicas,
                unit=f"compose:{source.path}", dockerfile=dockerfile.path if dockerfile else None, target=target,
                node=node, file=source, command_written=written,
            ))
            if image and not build and not steps:
                processes[-1].role = "other"

        # kubernetes workloads
        for workload in self.workloads:
            for container in workload.init_containers + workload.containers:
                commands, anchor, has_command, has_args = k8s_command(container.node)
                image_node = container.node.get("image")
                image = image_node.as_str() if image_node is not None else None
                dockerfile = None if is_third_party_image(image) else self._dockerfile_for_image(image, prod_dockerfiles)
                env = {k: (v.as_str() or "", scalar_location(workload.file.path, v)) for k, v in k8s_env(container.node).items()}
                steps = []
                written = True
                if dockerfile is not None:
                    referenced_dockerfiles.add(dockerfile[0].path)
                if has_command:
                    steps = self._expand(commands, workload.file, [])
                elif dockerfile is not None:
                    args_node = container.node.get("args")
                    steps = self.dockerfile_steps(dockerfile[0], dockerfile[1], None,
                                                  (commands, workload.file) if has_args else None,
                                                  (args_node.strings(), args_node.span.line) if args_node is not None else None)
                    if has_args and not steps:
                        steps = self._expand(commands, workload.file, [])
                    written = has_args
                    stage = dockerfile[1].stage(None)
                    if stage is not None:
                        for key, (value, instruction) in dockerfile[1].env(stage).items():
                            env.setdefault(key, (value, Location(dockerfile[0].path, Span(instruction.line))))
                elif has_args:
                    steps = self._expand(commands, workload.file, [])
                role = "init" if container.init else ("job" if workload.kind in {"Job", "CronJob"} else "web")
                origin_node = anchor or container.node.get("name") or container.node
                processes.append(Process(
                    name=f"{workload.kind}/{workload.name}:{container.name}",
                    origin=scalar_location(workload.file.path, origin_node), kind="k8s", role=role,
                    context=workload.file.context, steps=steps, env=env, replicas=workload.replicas, unit="k8s",
                    dockerfile=dockerfile[0].path if dockerfile else None, node=container.node, file=workload.file,
                    command_written=written,
                ))

        # Procfile
        for source, entry in self.procfile_entries:
            commands = split_script(entry.value, entry.line)
            role = {"web": "web", "release": "release"}.get(entry.key, "worker")
            origin = Location(source.path, Span(entry.line, 1, entry.line, len(source.line(entry.line)) + 1))
            processes.append(Process(
                name=f"{source.path}:{entry.key}", origin=origin, kind="procfile", role=role, context=source.context,
                steps=self._expand(commands, source, []), replicas=Fact(1, origin, TOOL_DEFAULT, "1 dyno (assumed)"),
                unit=f"procfile:{source.path}", file=source,
            ))

        # render.yaml, fly.toml, railway.*, heroku.yml / app.json, Helm charts (project/platforms.py)
        from prodcheck.project.platforms import platform_processes

        platform_processes(self, processes, referenced_dockerfiles)

        # Dockerfiles that nothing else runs: the image's own command is what production runs.
        for source, view in self.dockerfiles:
            stage = view.stage(None)
            if stage is None:
                continue
            steps = self.dockerfile_steps(source, view, None)
            env = {k: (v, Location(source.path, Span(i.line))) for k, (v, i) in view.env(stage).items()}
            entry = view.effective(stage, "CMD") or view.effective(stage, "ENTRYPOINT")
            origin = Location(source.path, Span(entry.line if entry else stage.line))
            processes.append(Process(
                name=source.path, origin=origin, kind="dockerfile", role="web" if source.path not in referenced_dockerfiles else "image",
                context=source.context, steps=steps, env=env, replicas=Fact(1, origin, TOOL_DEFAULT, "1 container"),
                unit=f"image:{source.path}", dockerfile=source.path, file=source,
            ))

        for process in processes:
            referenced_scripts.update(v for step in process.steps for v in step.via)
        # Start scripts nothing references: checked on their own, in their own context.
        for source in self.of_kind(FileKind.SHELL):
            if source.path in referenced_scripts:
                continue
            origin = Location(source.path, Span(1))
            processes.append(Process(
                name=source.path, origin=origin, kind="script", role="script", context=source.context,
                steps=self._expand(self.script_steps(source), source, [], via=(source.path,)),
                replicas=Fact(1, origin, TOOL_DEFAULT, "1 process"), unit=f"script:{source.path}", file=source,
            ))
        return processes

    def _dockerfile_for_image(self, image: str | None, candidates: list[tuple[SourceFile, DockerfileView]]):
        if not candidates:
            return None
        if image:
            repository = image_repository(image)
            for source, view in candidates:
                folder = posixpath.dirname(source.path).rsplit("/", 1)[-1].lower()
                if folder and folder in repository:
                    return source, view
        for source, view in candidates:
            if source.path == "Dockerfile":
                return source, view
        return candidates[0] if len(candidates) == 1 else None

    def workers(self, process: Process) -> Fact[int] | None:
        server = process.server
        if server is None:
            return None
        step, call = server
        config = self.gunicorn_config_for(call, step) if call.server == "gunicorn" else None
        source = self.by_path.get(step.location.path)
        line = source.line(step.location.span.line) if source else ""
        return workers_fact(step, call, process.env, config, line)

    # ---------------------------------------------------------------- databases

    @cached_property
    def databases(self) -> list[DatabaseService]:
        found: list[DatabaseService] = []
        conf_limit = self._postgres_conf_limit()
        for service in self.compose_services:
            if service.file.context != Context.PROD:
                continue
            image = service.image
            unit = f"compose:{service.file.path}"
            if is_database_image(image):
                found.append(DatabaseService(service.name, service.location, unit,
                                             self._compose_max_connections(service) or conf_limit))
            elif is_pooler_image(image):
                found.append(self._pooler(service.name, service.location, unit,
                                          compose_env(service.node.get("environment")), service.file.path))
        for workload in self.workloads:
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
                    found.append(self._pooler(workload.name, location, "k8s", k8s_env(container.node), workload.file.path))
        for source, document in self.k8s_documents:
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

    def _pooler(self, name: str, location: Location, unit: str, env: dict[str, YNode], path: str) -> DatabaseService:
        def number(*keys: str) -> Fact[int] | None:
            for key in keys:
                node = env.get(key)
                if node is not None and node.as_int() is not None:
                    return Fact(node.as_int(), scalar_location(path, node), LITERAL, f"{key}={node.as_int()}")  # type: ignore[arg-type]  # as_int() narrowed just above
            return None

        return DatabaseService(
            name, location, unit, None, pooler=True,
            pool_size=number("DEFAULT_POOL_SIZE", "PGBOUNCER_DEFAULT_POOL_SIZE", "POOL_SIZE"),
            client_limit=number("MAX_CLIENT_CONN", "PGBOUNCER_MAX_CLIENT_CONN"),
        )

    def _postgres_conf_limit(self) -> Fact[int] | None:
        for source in self.of_kind(FileKind.POSTGRES_CONF):
            for entry in parse_postgres_conf(source.text or ""):
                if entry.key == "max_connections" and entry.value.isdigit():
                    return Fact(int(entry.value), Location(source.path, Span(entry.line)), LITERAL,
                                f"max_connections={entry.value}")
        return None

    def databases_of(self, unit: str) -> list[DatabaseService]:
        """The databases a deployment unit uses: its own, else (compose) those of sibling compose files."""
        own = [d for d in self.databases if d.unit == unit]
        if own or not unit.startswith("compose:"):
            return own
        folder = posixpath.dirname(unit.removeprefix("compose:"))
        return [d for d in self.databases
                if d.unit.startswith("compose:") and posixpath.dirname(d.unit.removeprefix("compose:")) == folder]

    def database_limit(self, unit: str) -> Fact[int]:
        """The connection limit the app pools of a deployment unit run into."""
        databases = self.databases_of(unit)
        for database in databases:
            if not database.pooler and database.max_connections is not None:
                return database.max_connections
        configured = getattr(self.settings, "max_connections", None)
        origin = getattr(self.settings, "max_connections_origin", None) or Location("", Span(1))
        if configured:
            return Fact(int(configured), origin, LITERAL, f"max_connections={configured} (configured)")
        for database in databases:
            if not database.pooler:
                return Fact(100, database.origin, TOOL_DEFAULT, "100 max_connections (PostgreSQL default)")
        return Fact(100, Location("", Span(1)), TOOL_DEFAULT, "100 max_connections (PostgreSQL default)")

    # ---------------------------------------------------------------- engines

    @cached_property
    def engines(self) -> list[Engine]:
        engines = []
        for _path, facts in self.python_facts.items():
            if facts.path.startswith(_MIGRATION_DIRS) or "/alembic/" in facts.path or "/migrations/" in facts.path:
                continue
            test_engines = {a.value.span for a in facts.assigns
                            if "test" in re.split(r"[^a-z]+", a.target.rsplit(".", 1)[-1].lower())}
            for call in facts.calls:
                defaults = ENGINE_FACTORIES.get(call.name)
                if defaults is None or call.in_main or call.value.span in test_engines:
                    continue  # an engine only tests use never opens connections in production
                engines.append(self._engine(call.value, facts, defaults))
        return engines

    def _engine(self, value: Value, facts: PyFacts, defaults: tuple[int, int]) -> Engine:
        location = Location(facts.path, value.span)
        is_pool = value.text in {"asyncpg.create_pool", "databases.Database"}
        size_key, overflow_key = ("max_size", None) if is_pool else ("pool_size", "max_overflow")
        url_value = value.arg(0) or value.kwarg("url") or value.kwarg("dsn")
        url = self._literal_string(url_value, facts)
        pool_class = value.kwarg("poolclass")
        null_pool = pool_class is not None and pool_class.last in {"NullPool", "StaticPool"}
        if url and url.startswith("sqlite"):
            null_pool = True

        def number(key: str | None, default: int, what: str) -> Fact[int] | None:
            if key is None:
                return Fact(0, location, TOOL_DEFAULT, "")
            node = value.kwarg(key)
            if node is None:
                if value.has_star:
                    return None
                return Fact(default, location, TOOL_DEFAULT, f"{what} {default} (default)")
            literal = self._int_value(node, facts)
            if literal is None:
                return None
            certainty = LITERAL if node.kind == "const" else INFERRED
            return Fact(literal, Location(facts.path, node.span), certainty, f"{key}={literal}")

        return Engine(
            factory=value.text, location=location, facts=facts,
            pool_size=number(size_key, defaults[0], "pool_size" if not is_pool else "max_size"),
            max_overflow=number(overflow_key, defaults[1], "max_overflow"),
            null_pool=null_pool, url=url, is_async="async" in value.text or is_pool, value=value,
        )

    def _literal_string(self, value: Value | None, facts: PyFacts) -> str | None:
        if value is None:
            return None
        if value.is_str:
            return str(value.literal)
        if value.kind == "name":
            assigned = self.python.assigned_value(value.text) or self.python.assigned_value(f"{facts.module}.{value.text}")
            if assigned is not None and assigned.is_str:
                return str(assigned.literal)
        return None

    def _int_value(self, value: Value, facts: PyFacts) -> int | None:
        if value.int_value is not None:
            return value.int_value
        if value.kind == "call" and value.text == "int" and value.items:
            inner = value.items[0]
            if inner.kind == "call" and inner.text in {"os.getenv", "os.environ.get"} and len(inner.items) > 1:
                default = inner.items[1]
                if default.literal is not None and str(default.literal).isdigit():
                    return int(str(default.literal))
        if value.kind == "name":
            assigned = self.python.assigned_value(value.text) or self.python.assigned_value(f"{facts.module}.{value.text}")
            if assigned is not None and assigned is not value:
                return self._int_value(assigned, facts) if assigned.kind != "name" else None
        return None

    def engines_for_app(self, app_ref: str | None) -> list[Engine]:
        """Engines in the code a server's app reference loads (its top package), prod only."""
        candidates = [e for e in self.engines if self.context_of(e.facts.path) == Context.PROD]
        if not app_ref:
            return candidates
        module = app_ref.split(":", 1)[0].removesuffix(".py").replace("/", ".").strip(".")
        top = module.split(".", 1)[0]
        matching = [e for e in candidates if e.facts.module.split(".", 1)[0] == top
                    or e.facts.module.startswith(module.rsplit(".", 1)[0])]
        return matching or candidates


def lower_bound_int(value: Value) -> int | None:
    """An int, or the least an expression like `cpu_count() * 2 + 1` can be."""
    if value.int_value is not None:
        return value.int_value
    if value.kind == "call" and value.last == "cpu_count":
        return 1
    if value.kind == "call" and value.text == "int" and value.items:
        inner = value.items[0]
        if inner.kind == "call" and inner.last in {"getenv", "get"} and len(inner.items) > 1:
            default = inner.items[1]
            if default.literal is not None and str(default.literal).isdigit():
                return int(str(default.literal))
        return None
    if value.kind == "binop" and len(value.items) == 2:
        left, right = lower_bound_int(value.items[0]), lower_bound_int(value.items[1])
        if left is None or right is None:
            return None
        if value.text == "Add":
            return left + right
        if value.text == "Mult":
            return left * right
    return None
