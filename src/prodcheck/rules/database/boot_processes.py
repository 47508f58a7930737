"""PC401: what a process's shape says about migrating in its start command — the server the migration runs
before, whether that server was started in the background first, whether the command lives as long as the
container, and what migrating there does to its replicas."""
from __future__ import annotations

from collections.abc import Callable

from prodcheck.extract.servers import ServerCall, is_migration
from prodcheck.knowledge.commands import restarting_policies
from prodcheck.parsing.shell import SimpleCommand
from prodcheck.project.infra import Process, Step
from prodcheck.rules.database.case_arms import server_step


def boot_harm(process: Process, what: str = "the server comes up") -> str:
    """What migrating in the start command does, for the replicas the process is known to run: a compose
    service without `replicas` (or with one) has no replica to race until it is scaled."""
    if process.kind == "compose" and (process.replicas is None or process.replicas.value <= 1):
        return (f"every start and restart migrates before {what}, a failed migration becomes a crash "
                "loop, and once the service is scaled its replicas race each other")
    return "every replica and restart migrates, racing each other, and a failed migration becomes a crash loop"


def named_server(process: Process, serves: Callable[[ServerCall], bool] | None,
                 manages: Callable[[SimpleCommand], bool] = lambda _command: False) -> str:
    """The server the migrations run before, as the message names it: the first step that is a server
    (`migrations_before_server` stops there, so every migration it returns comes before it)."""
    step = server_step(process, serves, manages)
    call = step.server if step is not None else None
    if step is None:
        return "the server"
    if call is None:
        return step.command.program  # a process manager's step (`exec supervisord -c ...`)
    if call.server != "python":
        return call.server
    return f"python {'' if (call.app_ref or '').endswith('.py') else '-m '}{call.app_ref}"


def after_background_server(process: Process, migration: Step,
                             serves: Callable[[ServerCall], bool] | None) -> bool:
    """`uvicorn app:app &` before the migration: the server is started in the background, then the script migrates."""
    for step in process.steps:
        if step is migration:
            return False
        call = step.server
        if step.command.background and call is not None and (
                call.server != "python" or (serves is not None and serves(call))):
            return True
    return False


def restart_policy(process: Process) -> str | None:
    """A compose service's `restart:` policy."""
    restart = process.node.get("restart") if process.kind == "compose" and process.node is not None else None
    return restart.as_str() if restart is not None else None


def execs_last(process: Process) -> bool:
    """The process's last foreground command is run through `exec` (`exec streamlit run ui/main.py`): it replaces
    the shell and lives as long as the container, the mark of a long-running command."""
    foreground = [step for step in process.steps if not step.command.background]
    return bool(foreground) and foreground[-1].command.exec


def restarts_forever(process: Process) -> bool:
    """A compose service whose `restart:` starts it again whenever its command exits: a long-running process."""
    return restart_policy(process) in restarting_policies()


def is_migration_step(step: Step) -> bool:
    return is_migration(step.command)
