"""Console scripts a production process runs as its long-running command (PC401): `CMD ["background-tasks"]`
where pyproject.toml installs `background-tasks = "app.tasks.entrypoint:main"`. What `main()` runs before
its main work (`upgrade_db_schema()` then the task loop), every start of the container runs.
Docs: rules/PC401-migrations-on-boot.md"""
from __future__ import annotations

from dataclasses import dataclass

from prodcheck.model.facts import Function, PyFacts
from prodcheck.model.files import Context
from prodcheck.project import Project
from prodcheck.project.console_scripts import ConsoleScript
from prodcheck.project.dev_guards import enclosing_condition, source_lines
from prodcheck.project.infra import Process, Step
from prodcheck.rules.database.flag_gates import opt_in_variable

# Calls that only report (`logger.info(...)`, `print(...)`): no work a migration could come before.
_REPORTING = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "print"})


@dataclass(frozen=True, slots=True)
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
        script = project.console_scripts.script(step.command)
        target = project.python.function(f"{script.module}.{script.function}") if script is not None else None
        if script is None or target is None:
            continue
        entry = entries.setdefault(target[0].qualname, ConsoleEntry(target[0], target[1], script, [], []))
        entry.processes.append(process)
        entry.steps.append(step)
    return list(entries.values())


def before_main_work(project: Project, entry: ConsoleEntry, line: int) -> bool:
    """The entry function's call at `line` runs on every start before more work of the function (a call after it
    that does more than log), and in no branch the model cannot tell (`if args.command == "migrate":`; an
    opt-in flag's `if` is read by flag_gates)."""
    source = project.by_path.get(entry.facts.path)
    head = enclosing_condition(source_lines(source), line) if source is not None else None
    if head is not None and opt_in_variable(project, entry.facts, line) is None:
        return False
    return any(call.span.line > line and call.name.rsplit(".", 1)[-1] not in _REPORTING
               for call in project.python.calls_by_scope.get(entry.function.qualname, []))
