"""PC104 shell-form-entrypoint. Docs and tests: rules/PC104-shell-form-entrypoint.md"""
from __future__ import annotations

import re
from collections.abc import Iterator

from prodcheck.extract.servers import server_call
from prodcheck.knowledge.commands import long_running, shells
from prodcheck.model.finding import Location, Severity, Span
from prodcheck.parsing.dockerfile import DockerfileView, Instruction, Stage, command_of, exec_form
from prodcheck.parsing.shell import SUBSTITUTED, SimpleCommand, split_script
from prodcheck.parsing.shell_tokens import split_words
from prodcheck.parsing.yaml import YNode
from prodcheck.project import Project
from prodcheck.project.image_roles import image_purpose
from prodcheck.project.infra import Step, raw_argv, scalar_location
from prodcheck.project.script_paths import resolve_script
from prodcheck.project.sources import SourceFile
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.lazy_pattern import lazy

_SHELLS = shells()
# Long-running programs whose shutdown matters when they are the last command of a start script.
_LONG_RUNNING = long_running()
_TRAP = lazy(r"^\s*trap\s", re.M)
# Init processes that signal the whole process group (dumb-init by default, tini with -g).
_GROUP_INIT = lazy(r"\bdumb-init\b|\btini\b[^\n]*\s-g\b")


def shell_script(argv: list[str]) -> tuple[int, str] | None:
    """(index of the script in argv, script) for `[wrappers...] sh -c SCRIPT`."""
    for index, token in enumerate(argv[:4]):
        if token.rsplit("/", 1)[-1] not in _SHELLS:
            continue
        position = index + 1
        has_c = False
        while position < len(argv) and argv[position].startswith("-") and position <= index + 3:
            has_c = has_c or "c" in argv[position].lstrip("-")
            position += 1
        if has_c and position < len(argv):
            return position, argv[position]
        return None
    return None


def _returns_before_server(project: Project, script: SourceFile, steps: list[Step], path: str) -> bool:
    """The container runs more after the script returns (a prestart hook): `steps` from the script's
    first step on hold one outside the script, and the script does not end by running `"$@"`."""
    commands = project.script_steps(script)
    if commands and commands[-1].argv and commands[-1].argv[0] in {'"$@"', "$@", "${@}", '"${@}"'}:
        return False
    return any(path not in step.via for step in steps)


def _runs_server(command: SimpleCommand) -> bool:
    if command.argv and command.argv[0] in {'"$@"', "$@", "${@}", '"${@}"'}:
        return True
    return server_call(command) is not None or command.program in _LONG_RUNNING


def _describe(command: SimpleCommand) -> str:
    return command.program if not command.argv or not command.argv[0].startswith(("$", '"$')) else '"$@"'


class ShellFormEntrypoint(Rule):
    meta = RuleMeta(
        code="PC104", name="shell-form-entrypoint",
        summary="The server runs under a shell that does not pass SIGTERM on: no graceful shutdown",
        severity=Severity.WARNING, kinds=("dockerfile", "compose", "k8s"),
    )

    def check(self, project: Project) -> Iterator[Draft]:
        yield from self._dockerfiles(project)
        yield from self._compose(project)
        yield from self._kubernetes(project)
        yield from self._scripts(project)

    # ------------------------------------------------------------ Dockerfiles

    def _dockerfiles(self, project: Project) -> Iterator[Draft]:
        targets: dict[str, set[str | None]] = {}
        for process in project.processes:
            if process.dockerfile:
                targets.setdefault(process.dockerfile, {None}).add(process.target)
        for source, view in project.dockerfiles:
            for target in sorted(targets.get(source.path) or {None}, key=lambda t: t or ""):
                stage = view.stage(target)
                if stage is not None:
                    yield from self._stage(source, view, stage)

    def _stage(self, source: SourceFile, view: DockerfileView, stage: Stage) -> Iterator[Draft]:
        if image_purpose(view, stage) is not None:
            return  # a Lambda function or a build step: no service process to signal
        if view.effective(stage, "SHELL") is not None:
            return  # an explicit SHELL: the shell form is a deliberate choice (Docker's own check agrees)
        entry = view.effective(stage, "ENTRYPOINT")
        cmd = view.effective(stage, "CMD")
        entry_argv = exec_form(entry.value) if entry is not None else None
        if entry is not None and entry_argv is None:
            yield from self._shell_form(source, entry, "ENTRYPOINT")
            return  # a shell-form ENTRYPOINT ignores CMD
        if entry_argv is not None and _GROUP_INIT.search(" ".join(entry_argv)):
            return
        cmd_argv = exec_form(cmd.value) if cmd is not None else None
        if cmd is not None and cmd_argv is None:
            yield from self._shell_form(source, cmd, "CMD")
            return
        if entry_argv is not None:
            found = shell_script(entry_argv)
            if found is not None and found[0] == len(entry_argv) - 1 and entry is not None:
                yield from self._explicit_shell(source.path, found[1], entry.line, _line_span(source, entry.line),
                                                _shell_name(entry_argv))
                return
            if found is None and entry_argv and entry_argv[-1].lstrip("-").endswith("c") and cmd_argv and cmd is not None:
                wrapper = shell_script([*entry_argv, cmd_argv[0]])
                if wrapper is not None:  # ENTRYPOINT ["sh", "-c"] + CMD ["script"]
                    yield from self._explicit_shell(source.path, wrapper[1], cmd.line, _line_span(source, cmd.line),
                                                    _shell_name(entry_argv))
                    return
        if cmd_argv is not None and cmd is not None:
            found = shell_script(cmd_argv)
            if found is not None:
                yield from self._explicit_shell(source.path, found[1], cmd.line, _line_span(source, cmd.line),
                                                _shell_name(cmd_argv))

    def _shell_form(self, source: SourceFile, instruction: Instruction, keyword: str) -> Iterator[Draft]:
        commands = _own(command_of(instruction))
        if not commands or commands[-1].exec:
            return  # `CMD exec gunicorn ...`: the shell replaces itself with the server
        last = commands[-1]
        name = _describe(last)
        try:
            words = split_words(instruction.value)
        except ValueError:
            words = []
        inner = shell_script(words) if words else None
        if len(commands) > 1 and inner is not None and inner[0] == len(words) - 1:
            # `CMD /bin/bash -c ". activate && ./start.sh"`: the commands are the inner shell's; it is
            # that shell (under /bin/sh) which must `exec` the last one.
            shell = _shell_name(words)
            message = (f"`{keyword}` in shell form runs `{shell} -c` with {len(commands)} commands and no `exec` "
                       f"before `{name}`: `/bin/sh` (PID 1) and `{shell}` stay its parents and SIGTERM never reaches "
                       f"`{name}` (no graceful shutdown); write `exec {last.argv[0] if last.argv else name}` inside the "
                       f"`{shell} -c` string, and the "
                       f"`{keyword}` in JSON form (`{keyword} [\"{words[0]}\", \"-c\", \"...\"]`)")
        elif len(commands) > 1:
            message = (f"`{keyword}` in shell form runs {len(commands)} commands under `/bin/sh -c`: the shell stays "
                       f"PID 1 and SIGTERM never reaches `{name}` (no graceful shutdown); write `exec {name} ...` "
                       "for the last command")
        elif "$" in instruction.value:
            message = (f"`{keyword}` in shell form: `{name}` runs under `/bin/sh -c`, which may not pass SIGTERM on "
                       f"(no graceful shutdown); write `{keyword} exec {name} ...` (the JSON array form would stop "
                       "the shell expanding its `$` variables)")
        else:
            message = (f"`{keyword}` in shell form: `{name}` runs under `/bin/sh -c`, which may not pass SIGTERM on "
                       f"(no graceful shutdown); use the JSON array form (`{keyword} [\"{last.program}\", ...]`) "
                       f"or write `{keyword} exec {name} ...`")
        yield self.draft(
            message,
            Location(source.path, _line_span(source, instruction.line)),
        )

    # ------------------------------------------------------------ explicit `sh -c` in compose and Kubernetes

    def _explicit_shell(self, path: str, script: str, line: int, span: Span, shell: str = "sh") -> Iterator[Draft]:
        if _GROUP_INIT.search(script) or _TRAP.search(script):
            return
        commands = _own(split_script(script, line))
        if len(commands) < 2 or commands[-1].exec:
            return  # a lone command is exec'd by sh/bash themselves
        last = commands[-1]
        if not _runs_server(last) or last.operator == "&":
            return  # a wait loop or a one-off task: nothing long-running to shut down
        yield self.draft(
            f"`{shell} -c` runs {len(commands)} commands without `exec` before `{_describe(last)}`: the shell stays "
            f"PID 1 and SIGTERM never reaches `{_describe(last)}` (no graceful shutdown); write "
            f"`exec {_describe(last)} ...`",
            Location(path, span),
        )

    def _compose(self, project: Project) -> Iterator[Draft]:
        for service in project.compose_services:
            command, entrypoint = service.node.get("command"), service.node.get("entrypoint")
            entry_argv = raw_argv(entrypoint) if entrypoint is not None else []
            command_argv = raw_argv(command) if command is not None else []
            if _GROUP_INIT.search(" ".join(entry_argv + command_argv)):
                continue
            found = shell_script(entry_argv + command_argv)
            if found is None:
                continue
            node = _script_node(entrypoint, command, len(entry_argv), found[0])
            if node is None:
                continue
            location = scalar_location(service.file.path, node)
            line = node.span.line + (1 if node.style in {"|", ">"} else 0)
            yield from self._explicit_shell(service.file.path, found[1], line, location.span,
                                            _shell_name(entry_argv + command_argv))

    def _kubernetes(self, project: Project) -> Iterator[Draft]:
        for workload in project.workloads:
            for container in workload.containers + workload.init_containers:
                command, args = container.node.get("command"), container.node.get("args")
                command_argv = command.strings() if command is not None else []
                args_argv = args.strings() if args is not None else []
                argv = command_argv + args_argv
                if _GROUP_INIT.search(" ".join(argv)):
                    continue
                found = shell_script(argv)
                if found is None:
                    continue
                node = _script_node(command, args, len(command_argv), found[0])
                if node is None:
                    continue
                location = scalar_location(workload.file.path, node)
                line = node.span.line + (1 if node.style in {"|", ">"} else 0)
                yield from self._explicit_shell(workload.file.path, found[1], line, location.span, _shell_name(argv))

    # ------------------------------------------------------------ start scripts

    def _scripts(self, project: Project) -> Iterator[Draft]:
        """A container's start script whose last command is the server, without `exec`."""
        seen: set[str] = set()
        for process in project.processes:
            if process.kind not in {"dockerfile", "compose", "k8s"} or process.file is None:
                continue
            if not any(step.via for step in process.steps):
                continue  # it runs no start script (its written command is not read then)
            if _GROUP_INIT.search(self._written_command(project, process)):
                continue
            for index, step in enumerate(process.steps):
                for path in step.via:
                    if path in seen:
                        continue
                    script = project.by_path.get(path)
                    if script is not None and _returns_before_server(project, script, process.steps[index:], path):
                        continue  # `sh prestart.sh && exec gunicorn`: its last command is not the container's
                    seen.add(path)
                    if script is not None:
                        yield from self._script(project, script)

    def _written_command(self, project: Project, process) -> str:
        parts: list[str] = []
        if process.node is not None:
            for key in ("command", "entrypoint", "args"):
                node = process.node.get(key)
                if node is not None:
                    parts.extend(raw_argv(node))
        view = project.dockerfile_view(process.dockerfile) if process.dockerfile else None
        if view is not None:
            stage = view.stage(process.target)
            entry = view.effective(stage, "ENTRYPOINT") if stage is not None else None
            if entry is not None:
                parts.append(entry.value)
        return " ".join(parts)

    def _script(self, project: Project, script: SourceFile) -> Iterator[Draft]:
        text = script.text or ""
        if _TRAP.search(text) or _GROUP_INIT.search(text):
            return  # the script handles or delegates signals itself
        commands = _own(project.script_steps(script))
        if not commands:
            return
        last = commands[-1]
        if last.exec or last.operator == "&" or not _runs_server(last):
            return
        if last.argv and resolve_script(project.by_path, last.argv[-1] if last.program in _SHELLS else last.argv[0]):
            return  # it hands over to another script, checked on its own
        name = _describe(last)
        yield self.draft(
            f"start script runs `{name}` without `exec`: the script's shell stays PID 1 and SIGTERM never "
            f"reaches `{name}` (no graceful shutdown); write `exec {name} ...`",
            Location(script.path, _line_span(script, last.line)),
        )


def _own(commands: list[SimpleCommand]) -> list[SimpleCommand]:
    """The script's own commands, not those its command substitutions run (`nproc` of `-w $(nproc)`): the shell
    waits for those itself, so they are no command it runs before the server."""
    return [command for command in commands if command.operator != SUBSTITUTED]


def _script_node(first: YNode | None, second: YNode | None, first_len: int, index: int) -> YNode | None:
    """The YAML node that holds argv[index] of `first + second` (a list item, or a whole string)."""
    node, position = (first, index) if index < first_len else (second, index - first_len)
    if node is None:
        return None
    if node.is_seq:
        items = [n for n in node.list() if n.is_scalar]
        return items[position] if position < len(items) else node
    return node


def _line_span(source: SourceFile, line: int) -> Span:
    text = source.line(line)
    start = len(text) - len(text.lstrip())
    return Span(line, start + 1, line, len(text.rstrip()) + 1)


def _shell_name(argv: list[str]) -> str:
    """`bash` for `["/bin/bash", "-c", ...]`: the shell the message names."""
    for token in argv[:4]:
        name = token.rsplit("/", 1)[-1]
        if name in _SHELLS:
            return name
    return "sh"
