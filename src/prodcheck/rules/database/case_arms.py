"""Where PC401 reads a migration as running before a container's server: the server's step, and whether a
migration and that step are alternatives (two arms of one shell `case` statement, parsing/shell_cases.py)."""
from __future__ import annotations

from collections.abc import Callable

from prodcheck.extract.servers import ServerCall
from prodcheck.parsing.shell import SimpleCommand
from prodcheck.parsing.shell_cases import other_arms
from prodcheck.project import Project
from prodcheck.project.infra import Process, Step


def server_step(process: Process, serves: Callable[[ServerCall], bool] | None,
                manages: Callable[[SimpleCommand], bool]) -> Step | None:
    """The step that starts the server (what `Process.migrations_before_server` reads migrations as running before)."""
    for step in process.steps:
        call = step.server
        if (call is not None and (call.server != "python" or (serves is not None and serves(call)))) \
                or manages(step.command):
            return step
    return None


def other_arm(project: Project, step: Step, target: Step | None) -> bool:
    """The migration and the server's command are in two arms of one shell `case` statement: the container runs one
    of them, chosen by its command's word (`case "$1" in prepare-db) dbmate migrate ;; *) exec "$@" ;; esac`)."""
    if target is None or step.location.path != target.location.path:
        return False
    source = project.by_path.get(step.location.path)
    text = source.text if source is not None else None
    if not text or "case" not in text:
        return False
    return other_arms(text, step.location.span.line, target.location.span.line)
