"""The commands a task runner runs for a named task (`uv run task migrate` -> `alembic upgrade head`):
taskipy and Poe the Poet tasks of pyproject.toml, Makefile targets and justfile recipes
(knowledge/tasks.toml). A start script that runs `task migrate` migrates as surely as one that runs
`alembic upgrade head` itself."""
from __future__ import annotations

import posixpath
import re
from functools import cached_property
from typing import Any

from prodcheck.knowledge import load
from prodcheck.model.files import FileKind
from prodcheck.model.finding import Location, Span
from prodcheck.parsing.shell import SimpleCommand, split_script
from prodcheck.project.deploy_evidence import make_recipes
from prodcheck.project.views import FileViews
from prodcheck.model.record import record


@record
class Task:
    """A named task and the commands it runs, with where it is defined."""

    runner: str  # the runner as a message names it: taskipy, Poe the Poet, make, just
    name: str
    commands: tuple[SimpleCommand, ...]
    location: Location


class TaskRunners:
    def __init__(self, views: FileViews) -> None:
        self.views = views

    @cached_property
    def _runners(self) -> dict[str, dict[str, Any]]:
        return {runner["program"]: runner for runner in load("tasks")["runners"]}

    @cached_property
    def _tasks(self) -> dict[tuple[str, str], list[Task]]:
        """(runner, task name) -> its definitions, in path order (a repository may define one per package)."""
        found: dict[tuple[str, str], list[Task]] = {}
        for source in self.views.of_kind(FileKind.PYPROJECT):
            document = self.views.toml(source)
            lines = (source.text or "").splitlines()
            for program, runner in self._runners.items():
                table: Any = document
                for key in runner.get("table", ()):
                    table = table.get(key) if isinstance(table, dict) else None
                if not isinstance(table, dict) or not runner.get("table"):
                    continue
                header = "[" + ".".join(runner["table"]) + "]"
                for name, value in table.items():
                    text = value if isinstance(value, str) else (
                        value.get("cmd") or value.get("shell") if isinstance(value, dict) else None)
                    if not isinstance(text, str):
                        continue
                    line = key_line(lines, header, name)
                    commands = tuple(split_script(text, line))
                    found.setdefault((program, name), []).append(
                        Task(runner["tool"], name, commands, Location(source.path, Span(line))))
        recipe_runners = [program for program, runner in self._runners.items() if runner.get("recipes")]
        for source in self.views.of_kind(FileKind.MAKEFILE):
            for target, line, text in make_recipes(source.text or ""):
                for program in recipe_runners:
                    if (program == "just") == ("justfile" in posixpath.basename(source.path).lower()):
                        found.setdefault((program, target), []).append(
                            Task(self._runners[program]["tool"], target, tuple(split_script(text, line)),
                                 Location(source.path, Span(line))))
        return found

    def task(self, command: SimpleCommand) -> Task | None:
        """The task a command runs (`task migrate`, `make migrate`), when the repository defines exactly
        one task of that name for that runner: with two (one per package), which one runs is unknown."""
        if command.program not in self._runners:
            return None
        names = [word for word in command.argv[1:] if not word.startswith("-")]
        if not names or len(names) < len(command.argv) - 1:
            # `make -C backend migrate`, `just --justfile x migrate`: options that take a value move the task
            return None
        definitions = self._tasks.get((command.program, names[0]), [])
        return definitions[0] if len(definitions) == 1 else None


def key_line(lines: list[str], header: str, name: str) -> int:
    """The line of `name = ...` in the table `header` (1 when it cannot be told)."""
    inside = False
    key = re.compile(rf"^\s*[\"']?{re.escape(name)}[\"']?\s*=")
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("["):
            inside = stripped == header
        elif inside and key.match(line):
            return number
    return 1
