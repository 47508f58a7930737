"""PC401 migrations-on-boot. Docs and tests: rules/PC401-migrations-on-boot.md"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.extract.servers import is_migration
from prodcheck.knowledge.commands import process_managers
from prodcheck.model.facts import Call, Function, PyFacts
from prodcheck.model.files import Context
from prodcheck.model.finding import Location, Severity, Span
from prodcheck.project import Project
from prodcheck.project.inline_python import inline_python
from prodcheck.parsing.shell import SimpleCommand
from prodcheck.project.infra import Process
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.rules.database.boot_processes import (
    after_background_server, boot_harm, execs_last, is_migration_step, named_server, restart_policy, restarts_forever,
)
from prodcheck.rules.database.case_arms import other_arm, server_step
from prodcheck.rules.database.script_files import long_running_scripts, script_migration, script_reaches
from prodcheck.rules.database.console_entries import before_main_work, console_entries, console_migration, serving_scripts
from prodcheck.rules.database.flag_gates import opt_in_variable, turned_on
from prodcheck.rules.database.migration_calls import drops_tables, migration_call
from prodcheck.rules.database.startup_paths import (
    Hop, constructor_on, library_setup_on, lock_on_the_way, method_of_instance, named_call,
    dev_guarded_call, one_per_setup_call, path_text, project_runner, rank, reachable_migrations, reported_call,
    server_starts,
    values_on,
)


class MigrationsOnBoot(Rule):
    meta = RuleMeta(
        code="PC401", name="migrations-on-boot", core=True,
        summary="Schema migrations run when the application starts",
        severity=Severity.ERROR, kinds=("py", "dockerfile", "compose", "k8s", "procfile", "shell"),
    )

    def check(self, project: Project) -> Iterator[Draft]:
        yield from self._commands(project)
        yield from self._startup_code(project)
        yield from self._console_scripts(project)
        yield from self._script_commands(project)
        yield from self._import_time(project)

    def _commands(self, project: Project) -> Iterator[Draft]:
        # `exec supervisord -c supervisord.conf` starts the server when a Supervisor configuration of the
        # repository runs one
        managed = any(p.kind == "supervisor" and p.role == "web" for p in project.processes)
        managers = process_managers() if managed else frozenset()
        serving = serving_scripts(project)

        def manages(command: SimpleCommand) -> bool:
            """A process manager that starts the server, or a console script of the project that starts one in
            process."""
            return command.program in managers or serving(command)

        known: dict[int, tuple[SimpleCommand, bool]] = {}  # processes of one script share its commands (kept: ids stay theirs)

        def migrates(command: SimpleCommand) -> bool:
            found = known.get(id(command))
            if found is not None:
                return found[1]
            task = project.tasks.task(command)
            answer = (is_migration(command) or (task is not None and any(is_migration(c) for c in task.commands))
                      or self._inline_migration(project, command) is not None
                      or console_migration(project, command) is not None
                      or script_migration(project, command) is not None)
            known[id(command)] = (command, answer)
            return answer

        for process in project.processes:
            if process.role in {"web", "image", "script", "worker"}:
                # `python -m pkg` is the server when pkg starts one; only in what a container or platform
                # runs (a start script nothing deploys is often a developer's `run_local.sh`)
                near = process.file.path if process.file is not None else ""
                serves = None if process.role == "script" else (
                    lambda call, near=near: bool(call.app_ref) and project.python.runs_server(call.app_ref or "", near))
                migrations = process.migrations_before_server(serves, migrates, manages)
                if migrations:  # (what the drafts say is read only for a process that migrates)
                    target = server_step(process, serves, manages)
                    server_name = named_server(process, serves, manages)
                    harm = boot_harm(process)
                elif restarts_forever(process) or (process.role != "script" and execs_last(process)):
                    # `alembic upgrade head && python -m app.worker` in a service restarted `always`, or a start
                    # script that ends in `exec streamlit run ...` (the program replaces the shell as the
                    # container's process): it is the container's long-running process, and every start
                    # migrates before it
                    migrations = process.migrations_before_last(migrates)
                    target = process.steps[-1] if process.steps else None
                    if migrations:
                        server_name = " ".join(process.steps[-1].command.argv[:3])
                        harm = (boot_harm(process, "its long-running command starts (the service restarts `"
                                          f"{restart_policy(process)}`)") if restarts_forever(process) else
                                boot_harm(process, "its long-running command starts (`exec` makes it the container's "
                                          "process)"))
                # `case "$1" in prepare-db) dbmate migrate ;; *) exec "$@" ;; esac`: one arm runs, not both
                migrations = [step for step in migrations if not other_arm(project, step, target)]
                for step in migrations:
                    when = (f"while `{server_name}` starts in the background" if after_background_server(process, step, serves)
                            else f"before `{server_name}`")
                    task = None if is_migration(step.command) else project.tasks.task(step.command)
                    runs = "" if task is None else (
                        f" (the {task.runner} task `{task.name}`: `{' '.join(str(c) for c in task.commands)}`)")
                    inline = None if is_migration(step.command) or task else self._inline_migration(project, step.command, step.location.span)
                    where = step.location if inline is None else Location(step.location.path, inline[0])
                    head = ' '.join(step.command.argv[:3]) if inline is None else inline[2]
                    if inline is not None:
                        runs = f" (inline Python: {inline[1]})"
                    console = None if is_migration(step.command) or task or inline else console_migration(
                        project, step.command)
                    related = () if task is None else (task.location.labelled(f"the `{task.name}` task"),)
                    if console is not None:
                        runs = f" (the console script `{console[2].name}`: {path_text(project, console[0], console[1])})"
                        related = (console[2].location.labelled(f"the console script `{console[2].name}`"),
                                   Location(console[0][-1].facts.path, console[0][-1].call.span).labelled("the migration"))
                    script = None if is_migration(step.command) or task or inline or console else script_migration(
                        project, step.command)
                    if script is not None:
                        # reported where the script migrates, the line to move: the start step is where it runs
                        reached, where = script_reaches(project, script)
                        runs = f" ({reached})"
                        related = (step.location.labelled(f"`{head}` runs here"),)
                    yield self.draft(
                        f"`{head}`{runs} runs {when} in the container's "
                        f"start command: {harm}; run it once per deploy (a job, release phase or CI step)",
                        where, context=process.context, related=related,
                    )
            if process.role == "init" and process.replicas is not None and process.replicas.value > 1:
                for step in process.steps:
                    if is_migration_step(step):
                        yield self.draft(
                            f"migration init container in a workload with {process.replicas.note}: every pod runs "
                            "it at once on each rollout; use a Job or a deploy step",
                            step.location, severity=Severity.WARNING, context=process.context,
                            related=(process.replicas.origin.labelled(process.replicas.note),),
                        )

    def _script_commands(self, project: Project) -> Iterator[Draft]:
        """A container whose long-running command is a Python file that migrates at its top level (script_files)."""
        for process, last, found in long_running_scripts(project):
            runs, where = script_reaches(project, found)
            head = " ".join(last.command.argv[:3])
            yield self.draft(
                f"`{head}`, the container's long-running command, migrates as it starts ({runs}): "
                f"{boot_harm(process, 'it gets to its main work')}; run it once per deploy (a job, release phase or CI step)",
                where, context=process.context, related=(last.location.labelled(f"`{head}` runs here"),),
            )

    def _inline_migration(self, project: Project, command: SimpleCommand,
                          written: Span | None = None) -> tuple[Span, str, str] | None:
        """The first call of the Python a command runs inline (`python - <<'EOF'`, `python -c`) that migrates,
        itself or through the project functions it calls: its span in the file, what it runs, and the words
        that hand the code over (`python <<EOF`). `written`: the command's span (a `-c` program's)."""
        inline = inline_python(command)
        if inline is None:
            return None
        index = project.python
        for call in inline.facts.calls:  # the code runs as `__main__`: its functions are there to be called
            span = inline.span(call.span, written or Span(command.line))
            description = migration_call(call, index.constructor_of, index.assigned_value)
            if description and not project_runner(project, call):
                return span, description, inline.head
            target = index.function(call.name)
            if target is None:
                continue
            paths = list(reachable_migrations(project, *target))
            if paths:
                return span, path_text(project, min(paths, key=lambda path: rank(project, path)), target[0]), inline.head
        return None

    def _startup_code(self, project: Project) -> Iterator[Draft]:
        # a gunicorn config file's start-up hook runs in the server (`on_starting`: once per server) or in
        # each worker (`post_fork`), whatever app it serves; a function that starts the server in process
        # (`uvicorn.run(...)`) runs what it calls before that once per server
        hooks: list[tuple[Function, PyFacts, str, bool, Call | None]] = []
        hooks.extend((hook, facts, how, True, None) for hook, facts, how in project.python.startup_hooks)
        hooks.extend((hook, facts, "gunicorn server hook", where == "worker", None)
                     for hook, facts, where in project.gunicorn.start_hooks)
        known = {hook.qualname for hook, *_rest in hooks}
        hooks.extend((function, facts, "function that starts the server", False, server)
                     for function, facts, server in server_starts(project) if function.qualname not in known)
        for hook, facts, how, per_worker, server in hooks:
            reported: set[tuple[str, int]] = set()
            reached = reachable_migrations(project, hook, facts, until=server.span.line if server else None)
            # an opt-in flag's migration runs only where a deploy turns the flag on (flag_gates)
            switched = [(path, _switches(project, path, facts.module)) for path in reached]
            switches = {id(path): on for path, on in switched if on is not None}
            for path, more in one_per_setup_call(project, [path for path, on in switched if on != []]):
                migration = path[-1]
                constructor = constructor_on(project, migration)
                description = migration_call(migration.call, constructor, values_on(project, migration)) or ""
                if more:
                    description += f" (and {more} more schema statement{'s' if more != 1 else ''} it reaches)"
                # Dropping tables is no migration to move to a deploy step but data lost on every start:
                # the line to delete is the drop itself, wherever start-up reaches it from.
                drops = drops_tables(migration.call, constructor, values_on(project, migration))
                entry = migration if drops else reported_call(project, path)
                where = Location(entry.facts.path, entry.call.span)
                if (where.path, where.span.line) in reported:
                    continue  # one finding per line of start-up code, whatever it reaches
                reported.add((where.path, where.span.line))
                callees = [step.callee.qualname.rsplit(".", 1)[-1] for step in path[:-1] if step.callee]
                via = "" if not callees else " via " + " -> ".join(f"`{c}()`" for c in callees)
                related = [Location(facts.path, hook.span).labelled(how)]
                if server is not None:
                    related.append(Location(facts.path, server.span).labelled("the server starts here, after it"))
                if entry is migration and len(path) > 1:
                    called = named_call(path) or path[0]
                    related.append(Location(called.facts.path, called.call.span).labelled("start-up calls it here"))
                elif entry is not migration:
                    related.append(Location(migration.facts.path, migration.call.span).labelled("the migration"))
                related.extend(where.labelled(f"`{variable}` turns it on here")
                               for variable, where in switches.get(id(path), []))
                lock = None if drops else lock_on_the_way(project, path)
                if drops:
                    advice = ("every start deletes the data of every table it drops, and replicas drop tables under "
                              "each other; remove it from start-up")
                elif lock is not None:
                    related.append(Location(lock[0].facts.path, lock[0].call.span).labelled("the lock"))
                    advice = (f"it holds a database advisory lock (`{lock[1]}`), so workers "
                              "and replicas take turns instead of racing, but every start still waits on the "
                              "migration and a failing one keeps every replica from starting; run migrations once "
                              "per deploy instead")
                elif per_worker:
                    advice = ("every worker of every replica migrates on boot, concurrently; run migrations once per "
                              "deploy instead")
                else:
                    advice = ("every replica migrates on boot, concurrently, and a failed migration keeps the server "
                              "from starting; run migrations once per deploy instead")
                yield self.draft(
                    f"{description} runs in the {how} `{hook.qualname.rsplit('.', 1)[-1]}`{via}: {advice}",
                    where, related=tuple(related), severity=Severity.WARNING if lock is not None else None,
                    context=Context.DEV if any(hop.call.in_main for hop in path) else None,
                )

    def _console_scripts(self, project: Project) -> Iterator[Draft]:
        """A console script a production container runs for good (console_entries): what its function runs before
        its main work, every start of every replica runs."""
        for entry in console_entries(project):
            reported: set[int] = set()
            for path in reachable_migrations(project, entry.function, entry.facts):
                switches = _switches(project, path, entry.facts.module, entry.processes)
                if switches == [] or not before_main_work(project, entry, path[0].call.span.line):
                    continue
                migration, where = path[-1], path[0]  # the entry function's line that starts it
                if where.call.span.line in reported:
                    continue
                reported.add(where.call.span.line)
                description = migration_call(migration.call, constructor_on(project, migration),
                                             values_on(project, migration)) or ""
                callees = [hop.callee.qualname.rsplit(".", 1)[-1] for hop in path[:-1] if hop.callee]
                via = "" if not callees else " via " + " -> ".join(f"`{c}()`" for c in callees)
                step = entry.steps[0]
                related = [step.location.labelled(f"`{entry.script.name}` runs here"),
                           entry.script.location.labelled(f"the console script `{entry.script.name}`")]
                if migration is not where:
                    related.append(Location(migration.facts.path, migration.call.span).labelled("the migration"))
                related.extend(at.labelled(f"`{variable}` turns it on here") for variable, at in switches or [])
                yield self.draft(
                    f"{description} runs{via} in `{entry.function.qualname.rsplit('.', 1)[-1]}()`, the console script "
                    f"`{entry.script.name}` a container runs, before its main work: every start and restart of every "
                    "replica migrates, concurrently, and a failed migration becomes a crash loop; run migrations once "
                    "per deploy instead", Location(where.facts.path, where.call.span), related=tuple(related))

    def _import_time(self, project: Project) -> Iterator[Draft]:
        index = project.python
        app_modules = [app.facts.module for app in index.apps.values() if app.kind != "router"]
        if not app_modules:
            return
        loaded = index.imported_closure(app_modules)
        hooks = frozenset(hook.qualname for hook, _facts, _how in index.startup_hooks)  # PC401 says so as start-up
        # the migrations each project function reaches, walked once: polar's 177 module-level calls of project
        # functions call 31 (`get_settings()`, `APIRouter` factories, ...)
        reached: dict[str, list[list[Hop]]] = {}
        # the project function each module-level call runs, by its name and whether it has a receiver (all
        # `_import_time_helper` reads of it): polar's 6,700 calls make 650 names
        targets: dict[tuple[str, bool], tuple[Function, PyFacts] | None] = {}
        constructor, constant = index.constructor_of, index.assigned_value
        for module in sorted(loaded):
            facts = index.modules[module]  # imported_closure follows the import graph of the index's own modules
            for call in facts.calls:
                if call.scope or call.in_main:
                    continue
                description = migration_call(call, constructor, constant)
                if description and not project_runner(project, call):
                    if dev_guarded_call(project, facts.path, call.span.line):
                        continue  # asked only of a call that migrates: reading a module's guards loads its facts
                    yield self.draft(
                        f"{description} at import time of a module the app loads: it runs in every worker "
                        "process on boot; run migrations once per deploy instead",
                        Location(facts.path, call.span),
                    )
                    continue
                draft = self._import_time_helper(project, facts, call, hooks, reached, targets)
                if draft is not None:
                    yield draft

    def _import_time_helper(self, project: Project, facts: PyFacts, call: Call, hooks: frozenset[str],
                            reached: dict[str, list[list[Hop]]],
                            targets: dict[tuple[str, bool], tuple[Function, PyFacts] | None]) -> Draft | None:
        """A module-level call of a project function that migrates (`create_tables()` below its `def`): the
        import runs it. Reported on the migration, with the module-level call as the related location (the other way
        round for a library's own set-up: `reported_call`). An `async def` called at module level only makes a
        coroutine, which nothing runs."""
        # (outside a function, the target is the name's, or none for a method of a receiver: `call_target`)
        key = (call.name, bool(call.receiver))
        if key in targets:
            target = targets[key]
        else:
            target = targets[key] = project.python.call_target(call) or method_of_instance(project, call, None)
        if target is None or target[0].is_async or target[0].qualname in hooks:
            return None
        known = reached.get(target[0].qualname)
        if known is None:
            known = reached[target[0].qualname] = list(reachable_migrations(project, target[0], target[1], hooks))
        if not known or dev_guarded_call(project, facts.path, call.span.line):
            return None
        start = Hop(call, Function(qualname="", is_async=False, span=call.span), facts, target[0])
        paths = [[start, *path] for path in known]
        path, more = min(paths, key=lambda path: rank(project, path)), len(paths) - 1
        migration = path[-1]
        constructor = constructor_on(project, migration)
        description = migration_call(migration.call, constructor, values_on(project, migration)) or ""
        if more:
            description += f" (and {more} more schema statement{'s' if more != 1 else ''} it reaches)"
        callees = [hop.callee.qualname.rsplit(".", 1)[-1] for hop in path[:-1] if hop.callee]
        # the migration, or for a library's own set-up the module-level call that enters it (`reported_call`)
        at_import = library_setup_on(project, path)
        return self.draft(
            f"{description} runs at import time of `{facts.module}`, which the app loads, via "
            + " -> ".join(f"`{c}()`" for c in callees)
            + ": it runs in every worker process on boot; run migrations once per deploy instead",
            Location(facts.path, call.span) if at_import else Location(migration.facts.path, migration.call.span),
            related=(Location(migration.facts.path, migration.call.span).labelled("the migration") if at_import
                     else Location(facts.path, call.span).labelled("the import runs it here"),),
        )


__all__ = ["MigrationsOnBoot", "Span", "migration_call"]


def _switches(project: Project, path: list[Hop], module: str,
              running: list[Process] | None = None) -> list[tuple[str, Location]] | None:
    """Where the deploys turn on the opt-in flags the calls on the way sit under (`if RUN_MIGRATIONS:`): None when
    no such flag gates the path, [] when one does and no production process running `module` turns it on."""
    found: list[tuple[str, Location]] | None = None
    for hop in path:
        variable = opt_in_variable(project, hop.facts, hop.call.span.line)
        if variable is None:
            continue
        on = turned_on(project, variable, module, running)
        if not on:
            return []
        found = [*(found or []), *((variable, where) for where in on)]
    return found
