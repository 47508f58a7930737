"""Console scripts a production process runs as its long-running command (PC401): `CMD ["background-tasks"]`
where pyproject.toml installs `background-tasks = "app.tasks.entrypoint:main"`. What `main()` runs before
its main work (`upgrade_db_schema()` then the task loop), every start of the container runs.
Docs: rules/PC401-migrations-on-boot.md"""
from __future__ import annotations

from collections.abc import Callable

from prodcheck.model.facts import Function, PyFacts
from prodcheck.model.files import Context
from prodcheck.project import Project
from prodcheck.project.console_scripts import ConsoleScript
from prodcheck.project.dev_guards import condition_of
from prodcheck.parsing.shell import SimpleCommand
from prodcheck.project.infra import Process, Step
from prodcheck.rules.database.flag_gates import opt_in_variable
from prodcheck.rules.database.startup_paths import Hop, rank, reachable_migrations, server_starts
from prodcheck.model.record import record

# Calls that only report (`logger.info(...)`, `print(...)`): no work a migration could come before.
_REPORTING = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "print"})


@record
class ConsoleEntry:
    function: Function
    facts: PyFacts
    script: ConsoleScript
    processes: list[Process]
    steps: list[Step]  # the command in each process that runs the script


def console_entries(project: Project) -> list[ConsoleEntry]:
    """Each project function a production process runs as a console script, its last foreground command."""
    entries: dict[str, ConsoleEntry] = {}
    for process in project.processes:
        if process.context in {Context.DEV, Context.TEST} or process.role not in {"web", "image", "worker"}:
            continue
        foreground = [step for step in process.steps if not step.command.background]
        if not foreground:
            continue
        step = foreground[-1]
        found = console_function(project, step.command)
        if found is None:
            continue
        function, facts, script = found
        entry = entries.setdefault(function.qualname, ConsoleEntry(function, facts, script, [], []))
        entry.processes.append(process)
        entry.steps.append(step)
    return list(entries.values())


def before_main_work(project: Project, entry: ConsoleEntry, line: int) -> bool:
    """The entry function's call at `line` runs on every start before more work of the function (a call after it
    that does more than log), and in no branch the model cannot tell (`if args.command == "migrate":`; an
    opt-in flag's `if` is read by flag_gates)."""
    source = project.by_path.get(entry.facts.path)
    head = condition_of(source, line) if source is not None else None
    if head is not None and opt_in_variable(project, entry.facts, line) is None:
        return False
    return any(call.span.line > line and call.name.rsplit(".", 1)[-1] not in _REPORTING
               for call in project.python.calls_by_scope.get(entry.function.qualname, []))


def serving_scripts(project: Project) -> Callable[[SimpleCommand], bool]:
    """Whether a command runs a console script of the project whose function starts the web server in process
    (`neuroagent-api --host 0.0.0.0`, its `main()` calling `uvicorn.run` itself or through one function it calls).
    The function the command's words pick: `shop-admin init` runs the group's `init` command, not its `serve`."""
    index = project.python
    starting = {function.qualname for function, _, _ in server_starts(project)}

    def serves(command: SimpleCommand) -> bool:
        found = console_function(project, command) if starting else None
        if found is None:
            return False
        function = found[0]
        return function.qualname in starting or any(
            callee.qualname in starting for _, callee, _ in index.callees(function))
    return serves


def console_function(project: Project, command: SimpleCommand) -> tuple[Function, PyFacts, ConsoleScript] | None:
    """The project function a command runs through a console script the repository installs: for a click or Typer
    command group, the command its first word names (`times-square init` runs `init()` of the module whose `main`
    group `times-square` is); otherwise the script's own function."""
    script = project.console_scripts.script(command)
    if script is None:
        return None
    words = [word for word in command.argv[1:] if not word.startswith("-")]
    chosen = _subcommand(project, script, words[0]) if words else None
    if chosen is None:
        chosen = project.python.function(f"{script.module}.{script.function}")
    return (chosen[0], chosen[1], script) if chosen is not None else None


def _subcommand(project: Project, script: ConsoleScript, word: str) -> tuple[Function, PyFacts] | None:
    """The function of the script's module registered as command `word` of its group (`@main.command()`,
    `@app.command("reset-html")`): named by the decorator's first argument or `name=`, else by the function's name,
    which click (8.0+) and Typer spell with `-` for `_`.
    https://click.palletsprojects.com/en/stable/api/#click.Group.command, https://typer.tiangolo.com/tutorial/commands/name/"""
    facts = project.python.modules.get(script.module)
    if facts is None:
        return None
    registering = f"{script.module}.{script.function}.command"
    for function in facts.functions:
        for decorator in function.decorators:
            if decorator.text != registering:
                continue
            given = decorator.arg(0) or decorator.kwarg("name")
            short = function.qualname.rsplit(".", 1)[-1]
            names = {given.literal} if given is not None and given.is_str else {short, short.replace("_", "-")}
            if word in names:
                return function, facts
    return None


def console_migration(project: Project, command: SimpleCommand) -> tuple[list[Hop], Function, ConsoleScript] | None:
    """The migration a start step's console script runs (`times-square init` before the server), as the calls from
    the command's function down to it: the first by `rank`. Not a call the function makes only under a condition
    (`if args.migrate:`), which the command's words may not meet."""
    found = console_function(project, command)
    if found is None:
        return None
    function, facts, script = found
    source = project.by_path.get(facts.path)
    paths = [path for path in reachable_migrations(project, function, facts)
             if source is None or condition_of(source, path[0].call.span.line) is None]
    return (min(paths, key=lambda path: rank(project, path)), function, script) if paths else None
