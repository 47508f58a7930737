"""Processes: what each deployment surface runs (compose services, Kubernetes containers, Procfile
entries, platform files, images nothing else runs, start scripts), as steps with start scripts inlined."""
from __future__ import annotations

import posixpath
from functools import cached_property
from typing import TYPE_CHECKING

from prodcheck.model.facts import TOOL_DEFAULT, Fact
from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Location, Span
from prodcheck.knowledge.commands import shells
from prodcheck.knowledge.servers import base_image_start
from prodcheck.parsing.dockerfile import DockerfileView, Stage, command_of, exec_form
from prodcheck.parsing.shell import SimpleCommand, expand_default, split_argv, split_script, with_script_variables
from prodcheck.project.compose_extends import inherited as extended_key, owner_of
from prodcheck.project.copied_scripts import renamed_copies, through_copies
from prodcheck.project.infra import (
    Process, Step, is_shell_wrapper, k8s_command, k8s_env, raw_argv, replicas_fact, scalar_location, workers_fact,
    yaml_command,
)
from prodcheck.project.images import image_repository, is_third_party_image
from prodcheck.project.script_paths import by_written_tail, resolve_script, under_variable
from prodcheck.project.sources import SourceFile

if TYPE_CHECKING:
    from prodcheck.project import Project


class Processes:
    def __init__(self, project: Project) -> None:
        self.project = project
        self._image_indexes: dict[int, tuple[list, int, dict, list[int], tuple | None]] = {}

    def dockerfile_for(self, base_dir: str, context: str | None, dockerfile: str | None) -> SourceFile | None:
        written = under_variable(context or "")
        if written is not None:
            # `context: ${PATHS_PROJECT_DIR}/backend`, the variable set in a .env file the repository leaves out: the
            # one Dockerfile of the repository at the written tail
            tail = posixpath.normpath(posixpath.join(written, dockerfile or "Dockerfile"))
            found = by_written_tail(tail, (source.path for source, _ in self.project.views.dockerfiles))
            return self.project.by_path.get(found) if found is not None else None
        directory = posixpath.normpath(posixpath.join(base_dir, context or "."))
        name = dockerfile or "Dockerfile"
        candidate = posixpath.normpath(posixpath.join(directory, name)).lstrip("./") if directory != "." else name
        candidate = posixpath.normpath(candidate)
        source = self.project.by_path.get(candidate)
        if source is None and dockerfile is None:  # the docker CLI's fallback to a lower-case `dockerfile`
            folder = posixpath.dirname(candidate)
            source = self.project.by_path.get(posixpath.join(folder, "dockerfile") if folder else "dockerfile")
        if source is not None and source.kind == FileKind.DOCKERFILE:
            return source
        return None

    def expand(self, commands: list[SimpleCommand], source: SourceFile, rest: list[Step], workdir: str = "",
                via: tuple[str, ...] = (), depth: int = 0) -> list[Step]:
        """Commands as steps, with the start scripts they run inlined; `"$@"` becomes `rest`."""
        steps: list[Step] = []
        for command in commands:
            location = Location(source.path, Span(command.line, 1, command.line, len(source.line(command.line)) + 1))
            argv = command.argv
            script = None
            at = 0  # where the script's name is in argv: its arguments follow
            if argv and depth < 4:
                # `. "${PRE_START_PATH:-/app/prestart.sh}"`: the script the default names, when nothing sets it
                if command.program in shells():
                    # `bash -e start.sh`: the shell's own options come before the script it runs
                    at = next((i for i, a in enumerate(argv) if i and not a.startswith(("-", "+"))), 0)
                    script = resolve_script(self.project.by_path, expand_default(argv[at])[0] or "", workdir,
                                            source.path) if at else None
                elif argv[0] in {"source", "."} and len(argv) > 1:
                    at = 1
                    script = resolve_script(self.project.by_path, expand_default(argv[1])[0] or "", workdir, source.path)
                else:
                    script = resolve_script(self.project.by_path, expand_default(argv[0])[0] or "", workdir, source.path)
            if script is not None and script.path not in via:
                inner = with_script_variables(self.project.script_steps(script), script.text or "")
                arguments = rest
                if argv[at + 1:]:  # `./start.sh uvicorn app.main:app`: the script's "$@" is its arguments
                    arguments = self.expand(split_argv(argv[at + 1:], command.line), source, rest, workdir, via, depth + 1)
                steps.extend(self.expand(inner, script, arguments, workdir, (*via, script.path), depth + 1))
                continue
            if argv and argv[0] in {"$@", "${@}"}:  # `exec "$@"`: the shell splitter has removed the quotes
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
        copies = renamed_copies(view, stage, self.project.by_path)
        if command_override is not None:
            cmd_steps = self.expand(command_override[0], command_override[1], [], workdir)
            cmd_source = command_override[1]
            cmd_argv, cmd_line = override_argv or ([a for c in command_override[0] for a in c.argv], 1)
        else:
            cmd_steps = self.expand(command_of(cmd), source, [], workdir) if cmd else []
            cmd_source = source
            raw = exec_form(cmd.value) if cmd else None
            if cmd is not None and raw is not None and through_copies(raw, copies, workdir) != raw:
                cmd_steps = self.expand(split_argv(through_copies(raw, copies, workdir), cmd.line), source, [], workdir)
            cmd_argv = raw if raw is not None else (["/bin/sh", "-c", cmd.value] if cmd else [])
            cmd_line = cmd.line if cmd else 1
        if entry is None:
            if cmd is None and command_override is None:
                return self._base_image_steps(source, view, stage)
            return cmd_steps
        entry_argv = exec_form(entry.value)
        if entry_argv is None:  # shell-form ENTRYPOINT ignores CMD
            return self.expand(command_of(entry), source, [], workdir)
        entry_argv = through_copies(entry_argv, copies, workdir)
        if is_shell_wrapper(entry_argv) and cmd_argv:
            # ENTRYPOINT ["sh", "-c"] + CMD ["alembic upgrade head && exec gunicorn ..."]
            return self.expand(split_script(cmd_argv[0], cmd_line), cmd_source, [], workdir)
        entry_commands = split_argv(entry_argv, entry.line)
        if not entry_commands:  # ENTRYPOINT ["tini", "--"]: the command follows
            return cmd_steps
        last = entry_commands[-1]
        if len(last.argv) == 1 and resolve_script(self.project.by_path, last.argv[0], workdir) is not None:
            return self.expand(entry_commands, source, cmd_steps, workdir)  # the script's "$@" runs CMD
        return self.expand(split_argv([*entry_argv, *cmd_argv], entry.line), source, [], workdir)

    def _base_image_steps(self, source: SourceFile, view: DockerfileView, stage: Stage) -> list[Step]:
        """An image without a command of its own runs its base image's: for the base images that run
        the app's prestart hook before their server (knowledge/servers.toml `[base_images]`), the
        hook script the build copies in, then the server, both placed at the `FROM` line."""
        start = base_image_start(view.base_image(stage))
        if start is None:
            return []
        prestart, command = start
        root = view.lineage(stage)[-1]
        steps: list[Step] = []
        script = resolve_script(self.project.by_path, prestart)
        directory = posixpath.dirname(source.path)
        if script is not None and (not directory or script.path.startswith(directory + "/")):
            steps = self.expand(with_script_variables(self.project.script_steps(script), script.text or ""), script, [],
                                via=(script.path,))
        location = Location(source.path, Span(root.line, 1, root.line, len(source.line(root.line)) + 1))
        return [*steps, Step(SimpleCommand(command, root.line, exec=True), location)]

    @cached_property
    def all(self) -> list[Process]:
        processes: list[Process] = []
        referenced_dockerfiles: set[str] = set()
        self._compose(processes, referenced_dockerfiles)
        self._kubernetes(processes, referenced_dockerfiles)
        self._procfiles(processes)
        # render.yaml, fly.toml, railway.*, heroku.yml / app.json, Helm charts (project/platforms.py)
        from prodcheck.project.platforms import platform_processes

        platform_processes(self.project, processes, referenced_dockerfiles)
        self._images(processes, referenced_dockerfiles)
        from prodcheck.project.units import unit_processes

        unit_processes(self, processes)  # systemd ExecStart=, supervisord command=
        self._scripts(processes)
        return processes

    def _compose(self, processes: list[Process], referenced_dockerfiles: set[str]) -> None:
        """Compose services: the image a service builds runs the service's command (or its own)."""
        base_services = {(posixpath.dirname(s.file.path), s.name): s for s in self.project.compose_services
                         if s.node.get("build") is not None or s.node.get("image") is not None}
        by_file = {(s.file.path, s.name): s for s in self.project.compose_services}
        for service in self.project.compose_services:
            source, node = service.file, service.node
            base_dir = posixpath.dirname(source.path)
            image_node = extended_key(service, "image", by_file)  # `extends:` a service that builds or names it
            image = image_node.as_str() if image_node is not None else None
            build_owner = owner_of(service, "build", by_file)
            build = build_owner.node.get("build") if build_owner is not None else None
            build_dir = posixpath.dirname(build_owner.file.path) if build_owner is not None else base_dir
            inherited = base_services.get((base_dir, service.name))
            if build is None and image is None and inherited is not None and inherited is not service:
                build = inherited.node.get("build")
                image_node = inherited.node.get("image")
                image = image_node.as_str() if image_node is not None else None
            dockerfile: SourceFile | None = None
            target = None
            if build is not None:
                if build.is_scalar:
                    dockerfile = self.dockerfile_for(build_dir, build.as_str(), None)
                else:
                    context = build.get("context")
                    dockerfile_node = build.get("dockerfile")
                    target_node = build.get("target")
                    target = target_node.as_str() if target_node is not None else None
                    dockerfile = self.dockerfile_for(build_dir, context.as_str() if context is not None else ".",
                                                     dockerfile_node.as_str() if dockerfile_node is not None else None)
            if dockerfile is not None:
                referenced_dockerfiles.add(dockerfile.path)
            command_node, entry_node = extended_key(service, "command", by_file), extended_key(service, "entrypoint", by_file)
            command = yaml_command(command_node) if command_node is not None else None
            entrypoint = yaml_command(entry_node) if entry_node is not None else None
            steps: list[Step] = []
            written = True
            view = self.project.dockerfile(dockerfile) if dockerfile is not None else None
            if view is not None and entrypoint is None:
                steps = self.dockerfile_steps(dockerfile, view, target,  # type: ignore[arg-type]  # dockerfile is set whenever view is
                                              (command, source) if command is not None else None,
                                              (raw_argv(command_node), command_node.span.line) if command_node is not None else None)
                written = command is not None
            elif command is not None or entrypoint is not None:
                steps = self.expand((entrypoint or []) + (command or []), source, [])
            env = {k: (v.as_str() or "", scalar_location(source.path, v)) for k, v in service.environment.items()}
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

    def _kubernetes(self, processes: list[Process], referenced_dockerfiles: set[str]) -> None:
        """Containers of Kubernetes workloads, init containers first."""
        prod_dockerfiles = [(s, v) for s, v in self.project.dockerfiles if s.context == Context.PROD]
        for workload in self.project.workloads:
            for container in workload.init_containers + workload.containers:
                commands, anchor, has_command, has_args = k8s_command(container.node)
                image_node = container.node.get("image")
                image = image_node.as_str() if image_node is not None else None
                dockerfile = None if is_third_party_image(image) else self.dockerfile_for_image(image, prod_dockerfiles)
                env = {k: (v.as_str() or "", scalar_location(workload.file.path, v)) for k, v in k8s_env(container.node).items()}
                steps: list[Step] = []
                written = True
                if dockerfile is not None:
                    referenced_dockerfiles.add(dockerfile[0].path)
                if has_command:
                    steps = self.expand(commands, workload.file, [])
                elif dockerfile is not None:
                    args_node = container.node.get("args")
                    steps = self.dockerfile_steps(dockerfile[0], dockerfile[1], None,
                                                  (commands, workload.file) if has_args else None,
                                                  (args_node.strings(), args_node.span.line) if args_node is not None else None)
                    if has_args and not steps:
                        steps = self.expand(commands, workload.file, [])
                    written = has_args
                    stage = dockerfile[1].stage(None)
                    if stage is not None:
                        for key, (value, instruction) in dockerfile[1].env(stage).items():
                            env.setdefault(key, (value, Location(dockerfile[0].path, Span(instruction.line))))
                elif has_args:
                    steps = self.expand(commands, workload.file, [])
                role = "init" if container.init else ("job" if workload.kind in {"Job", "CronJob"} else "web")
                origin_node = anchor or container.node.get("name") or container.node
                processes.append(Process(
                    name=f"{workload.kind}/{workload.name}:{container.name}",
                    origin=scalar_location(workload.file.path, origin_node), kind="k8s", role=role,
                    context=workload.file.context, steps=steps, env=env, replicas=workload.replicas, unit="k8s",
                    dockerfile=dockerfile[0].path if dockerfile else None, node=container.node, file=workload.file,
                    command_written=written,
                ))

    def _procfiles(self, processes: list[Process]) -> None:
        for source, entry in self.project.procfile_entries:
            commands = split_script(entry.value, entry.line)
            role = {"web": "web", "release": "release"}.get(entry.key, "worker")
            origin = Location(source.path, Span(entry.line, 1, entry.line, len(source.line(entry.line)) + 1))
            processes.append(Process(
                name=f"{source.path}:{entry.key}", origin=origin, kind="procfile", role=role, context=source.context,
                steps=self.expand(commands, source, []), replicas=Fact(1, origin, TOOL_DEFAULT, "1 dyno (assumed)"),
                unit=f"procfile:{source.path}", file=source,
            ))

    def _images(self, processes: list[Process], referenced_dockerfiles: set[str]) -> None:
        """Dockerfiles that nothing else runs: the image's own command is what production runs."""
        for source, view in self.project.dockerfiles:
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

    def _scripts(self, processes: list[Process]) -> None:
        """Start scripts nothing references: checked on their own, in their own context."""
        referenced_scripts: set[str] = set()
        for process in processes:
            referenced_scripts.update(v for step in process.steps for v in step.via)
        for source in self.project.of_kind(FileKind.SHELL):
            if source.path in referenced_scripts:
                continue
            origin = Location(source.path, Span(1))
            processes.append(Process(
                name=source.path, origin=origin, kind="script", role="script", context=source.context,
                steps=self.expand(self.project.script_steps(source), source, [], via=(source.path,)),
                replicas=Fact(1, origin, TOOL_DEFAULT, "1 process"), unit=f"script:{source.path}", file=source,
            ))

    def dockerfile_for_image(self, image: str | None, candidates: list[tuple[SourceFile, DockerfileView]]):
        if not candidates:
            return None
        folders, lengths, root = self._image_index(candidates)
        if image:
            # The first candidate (in `candidates` order) whose folder name is part of the image's
            # repository name: each part of that name of a length some folder has is looked up,
            # rather than every folder tested against the name (an image of a monorepo with a
            # thousand Dockerfiles would otherwise test a thousand folders).
            repository = image_repository(image)
            best: tuple[int, tuple[SourceFile, DockerfileView]] | None = None
            for length in lengths:
                for start in range(len(repository) - length + 1):
                    found = folders.get(repository[start:start + length])
                    if found is not None and (best is None or found[0] < best[0]):
                        best = found
            if best is not None:
                return best[1]
        if root is not None:
            return root
        return candidates[0] if len(candidates) == 1 else None

    def _image_index(self, candidates: list[tuple[SourceFile, DockerfileView]]) -> tuple[
            dict[str, tuple[int, tuple[SourceFile, DockerfileView]]], list[int], tuple[SourceFile, DockerfileView] | None]:
        """Per list of candidate Dockerfiles, once: each folder name with its first candidate and
        that candidate's rank (the order the image match prefers them in), the lengths of those
        names, and the root Dockerfile."""
        key = id(candidates)
        cached = self._image_indexes.get(key)
        if cached is not None and cached[0] is candidates and cached[1] == len(candidates):
            return cached[2], cached[3], cached[4]
        folders: dict[str, tuple[int, tuple[SourceFile, DockerfileView]]] = {}
        root = None
        for source, view in candidates:
            folder = posixpath.dirname(source.path).rsplit("/", 1)[-1].lower()
            if folder:
                folders.setdefault(folder, (len(folders), (source, view)))
            if root is None and source.path == "Dockerfile":
                root = (source, view)
        lengths = sorted({len(folder) for folder in folders})
        self._image_indexes[key] = (candidates, len(candidates), folders, lengths, root)
        return folders, lengths, root

    def workers(self, process: Process) -> Fact[int] | None:
        server = process.server
        if server is None:
            return None
        step, call = server
        config = self.project.gunicorn.config_for(call, step) if call.server == "gunicorn" else None
        source = self.project.by_path.get(step.location.path)
        line = source.line(step.location.span.line) if source else ""
        return workers_fact(step, call, process.env, config, line)
