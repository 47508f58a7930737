"""systemd units and supervisord programs as process sources: what `ExecStart=` and `command=` run."""
from __future__ import annotations

from typing import TYPE_CHECKING

from prodcheck.model.facts import TOOL_DEFAULT, Fact
from prodcheck.model.files import FileKind
from prodcheck.model.finding import Location, Span
from prodcheck.parsing.shell import split_script
from prodcheck.project.infra import Process
from prodcheck.lazy_pattern import lazy

if TYPE_CHECKING:
    from prodcheck.project.processes import Processes

_SECTION = lazy(r"^\s*\[([^\]]+)\]\s*$")
_KEY = lazy(r"^\s*([A-Za-z_][\w.-]*)\s*[=:]\s*(.*?)\s*$")


def unit_commands(text: str, kind: FileKind | str) -> list[tuple[str, int, str]]:
    """(unit or program name, line, command) of a systemd unit's `ExecStart=` lines (prefixes such as
    `-`, `@`, `+`, `!` dropped, continuation lines joined) or a supervisord file's `command=` lines."""
    out: list[tuple[str, int, str]] = []
    section = ""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        raw, number = lines[index], index + 1
        index += 1
        while raw.endswith("\\") and index < len(lines):
            raw = raw[:-1] + " " + lines[index].strip()
            index += 1
        if raw.lstrip().startswith(("#", ";")):
            continue
        header = _SECTION.match(raw)
        if header:
            section = header.group(1).strip()
            continue
        match = _KEY.match(raw)
        if match is None:
            continue
        key, value = match.group(1), match.group(2)
        if kind == FileKind.SYSTEMD and section == "Service" and key == "ExecStart" and value:
            out.append(("service", number, value.lstrip("-@+!:")))
        elif kind == FileKind.SUPERVISOR and section.startswith("program:") and key == "command" and value:
            out.append((section.split(":", 1)[1], number, value))
    return out


def unit_processes(model: Processes, processes: list[Process]) -> None:
    project = model.project
    for source in project.of_kind(FileKind.SYSTEMD, FileKind.SUPERVISOR):
        kind = "systemd" if source.kind == FileKind.SYSTEMD else "supervisor"
        for name, line, command in unit_commands(source.text or "", source.kind):
            origin = Location(source.path, Span(line, 1, line, len(source.line(line)) + 1))
            processes.append(Process(
                name=f"{source.path}:{name}", origin=origin, kind=kind, role="web", context=source.context,
                steps=model.expand(split_script(command, line), source, []),
                replicas=Fact(1, origin, TOOL_DEFAULT, "1 process"), unit=f"{kind}:{source.path}", file=source,
            ))
