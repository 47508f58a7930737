"""Python files a start step runs by their path (PC401): `python app/backend_pre_start.py` before `exec uvicorn ...`.
What the file's top level runs (its `if __name__ == "__main__":` block included, and the project functions it calls),
every start of the container runs. Docs: rules/PC401-migrations-on-boot.md"""
from __future__ import annotations

import posixpath

from collections.abc import Iterator

from prodcheck.model.facts import Call, Function, PyFacts
from prodcheck.parsing.shell import SimpleCommand
from prodcheck.project import Project
from prodcheck.project.infra import Process, Step
from prodcheck.project.script_paths import shared_tail
from prodcheck.rules.database.migration_calls import migration_call
from prodcheck.model.finding import Location
from prodcheck.rules.database.startup_paths import Hop, path_text, project_runner, rank, reachable_migrations

# Options of the interpreter that take the next word as their value (https://docs.python.org/3/using/cmdline.html):
# `python -X dev -W error app/start.py`
_VALUED_OPTIONS = frozenset({"-X", "-W", "-Q"})


def python_script(project: Project, command: SimpleCommand) -> PyFacts | None:
    """The repository's Python file a command runs by its path (`python app/prestart.py`, `python3 -u ./start.py`):
    the parsed file whose path ends with the most of the path's parts (a container's folders are not the
    repository's: `COPY backend/ /app` then `python app/prestart.py`). None for `-m`, `-c` or a path from a variable."""
    argv = command.argv
    if not argv or not argv[0].rsplit("/", 1)[-1].startswith("python"):
        return None
    words = iter(argv[1:])
    token = None
    for word in words:
        if word in {"-m", "-c", "-"}:
            return None
        if word in _VALUED_OPTIONS:
            next(words, None)
            continue
        if not word.startswith("-"):
            token = word
            break
    if token is None or "$" in token or not token.endswith(".py"):
        return None
    parts = posixpath.normpath(token).lstrip("/").split("/")
    best: PyFacts | None = None
    best_shared = 0
    for facts in project.python.files.values():
        if not facts.path.endswith(parts[-1]):
            continue
        shared = shared_tail(parts, facts.path.split("/"))
        if shared > best_shared:
            best, best_shared = facts, shared
        elif shared == best_shared:
            best = None  # two files match as well: which one runs is not known
    return best


def script_migration(project: Project, command: SimpleCommand) -> tuple[PyFacts, Call, list[Hop], Function | None] | None:
    """The first migration a Python file a command runs reaches from its top level, in source order: the file, its
    top-level call, and the calls from the project function that call enters down to the migration (empty when the
    top-level call is the migration itself), with that function."""
    facts = python_script(project, command)
    if facts is None:
        return None
    index = project.python
    for call in facts.calls:
        if call.scope:
            continue
        if migration_call(call, index.constructor_of, index.assigned_value) and not project_runner(project, call):
            return facts, call, [], None
        target = index.functions.get(f"{facts.module}.{call.name}") or index.function(call.name)
        if target is None:
            continue
        paths = list(reachable_migrations(project, *target))
        if paths:
            return facts, call, min(paths, key=lambda path: rank(project, path)), target[0]
    return None


def long_running_scripts(project: Project) -> Iterator[tuple[Process, Step, tuple[PyFacts, Call, list[Hop], Function | None]]]:
    """Containers whose long-running command is a Python file of the repository (`ENTRYPOINT ["python3",
    "run-local.py"]`, no server the model sees started by a command) that migrates at its top level before its main
    work (spawning the server itself, a supervisor loop): every start of the container migrates. (process, the
    step, what `script_migration` found.)"""
    for process in project.processes:
        if process.role not in {"web", "image", "worker"} or process.server is not None:
            continue
        foreground = [step for step in process.steps if not step.command.background]
        found = script_migration(project, foreground[-1].command) if foreground else None
        if found is not None:
            yield process, foreground[-1], found


def script_reaches(project: Project, found: tuple[PyFacts, Call, list[Hop], Function | None]) -> tuple[str, Location]:
    """How a Python file a start step runs reaches its migration (`script_migration`), and where the migration is:
    the line to move."""
    facts, top, path, function = found
    if path and function:
        return path_text(project, path, function), Location(path[-1].facts.path, path[-1].call.span)
    return (f"its top level runs {migration_call(top, project.python.constructor_of, project.python.assigned_value)}",
            Location(facts.path, top.span))
