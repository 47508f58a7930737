"""The console scripts a repository's packages install (pyproject.toml, knowledge/packaging.toml
`[console_scripts]`): `background-tasks = "app.tasks.entrypoint:main"` makes a command `background-tasks`
that calls `main()` of `app.tasks.entrypoint`. A container whose command is `background-tasks` runs that
function, as `python -m app.tasks.entrypoint` would run the module."""
from __future__ import annotations

from functools import cached_property
from typing import Any

from prodcheck.knowledge.packaging import console_script_tables
from prodcheck.model.files import FileKind
from prodcheck.model.finding import Location, Span
from prodcheck.parsing.shell import SimpleCommand
from prodcheck.project.tasks import key_line
from prodcheck.project.views import FileViews
from prodcheck.model.record import record


@record
class ConsoleScript:
    name: str
    module: str  # as written: `app.tasks.entrypoint`
    function: str  # `main`, or `Class.method`
    location: Location  # its line in pyproject.toml


class ConsoleScripts:
    def __init__(self, views: FileViews) -> None:
        self.views = views

    @cached_property
    def _scripts(self) -> dict[str, list[ConsoleScript]]:
        found: dict[str, list[ConsoleScript]] = {}
        for source in self.views.of_kind(FileKind.PYPROJECT):
            document = self.views.toml(source)
            lines = (source.text or "").splitlines()
            for path in console_script_tables():
                table: Any = document
                for key in path:
                    table = table.get(key) if isinstance(table, dict) else None
                if not isinstance(table, dict):
                    continue
                for name, value in table.items():
                    module, colon, function = value.partition(":") if isinstance(value, str) else ("", "", "")
                    function = function.split("[", 1)[0].strip()  # `mod:func [extra]`
                    if colon and module.strip() and function:
                        line = key_line(lines, "[" + ".".join(path) + "]", name)
                        found.setdefault(name, []).append(
                            ConsoleScript(name, module.strip(), function, Location(source.path, Span(line))))
        return found

    def script(self, command: SimpleCommand) -> ConsoleScript | None:
        """The console script a command runs (`background-tasks --verbose`), when exactly one package of the
        repository installs one of that name."""
        definitions = self._scripts.get(command.argv[0] if command.argv else "", [])
        return definitions[0] if len(definitions) == 1 else None
