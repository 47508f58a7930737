"""PC401 migrations-on-boot. Docs and tests: rules/PC401-migrations-on-boot.md"""
from __future__ import annotations

import re

from collections.abc import Iterator

from prodcheck.knowledge import load
from prodcheck.knowledge.migrations import migration_calls, migration_command
from prodcheck.model.facts import Call, Function, PyFacts, Value
from prodcheck.model.files import Context
from prodcheck.model.finding import Location, Severity, Span
from prodcheck.parsing.shell import split_script
from prodcheck.project import Project
from prodcheck.rules.base import Draft, Rule, RuleMeta


def migration_call(call: Call) -> str | None:
    """What a call does to the schema, if it is a migration: a short description."""
    name = call.name
    if name in migration_calls("upgrade"):
        return "`alembic.command.upgrade()`"
    if name in migration_calls("create_all"):
        return "`metadata.create_all()`"
    generate = call.value.kwarg("generate_schemas")
    if name in migration_calls("generate_schemas") or (name in migration_calls("register_tortoise")
                                                       and generate is not None and generate.is_true):
        return "Tortoise `generate_schemas`"
    if name.endswith("migration_context"):
        mode = call.value.kwarg("mode")
        if mode is not None and mode.literal in {"migrate", "upgrade"}:
            return '`migration_context(mode="migrate")`'
    for item in call.value.items:
        if item.kind == "name" and item.text in migration_calls("create_all"):
            return "`metadata.create_all()`"
    if name in migration_calls("shell"):
        # `run(["alembic", "upgrade", "head"])` or `system("cd app && alembic upgrade head")`
        strings = [str(v.literal) for v in _strings(call)]
        for command in split_script(" ".join(strings)) if strings else []:
            tool = migration_command(command.argv)
            if tool is not None:
                return f"`{tool}` in a subprocess"
    return None


def _strings(call: Call) -> Iterator[Value]:
    """The string literals among a call's positional arguments, in source order."""
    stack = list(reversed(call.value.items))
    while stack:
        value = stack.pop()
        if value.is_str:
            yield value
        stack.extend(reversed(value.items))


class MigrationsOnBoot(Rule):
    meta = RuleMeta(
        code="PC401", name="migrations-on-boot", core=True,
        summary="Schema migrations run when the application starts",
        severity=Severity.ERROR, kinds=("py", "dockerfile", "compose", "k8s", "procfile", "shell"),
    )

    def check(self, project: Project) -> Iterator[Draft]:
        yield from self._commands(project)
        yield from self._startup_code(project)
        yield from self._import_time(project)

    def _commands(self, project: Project) -> Iterator[Draft]:
        for process in project.processes:
            if process.role in {"web", "image", "script", "worker"}:
                server = process.server
                for step in process.migrations_before_server():
                    server_name = server[1].server if server else "the server"
                    yield self.draft(
                        f"`{' '.join(step.command.argv[:3])}` runs before `{server_name}` in the container's "
                        "start command: every replica and restart migrates, racing each other, and a failed "
                        "migration becomes a crash loop; run it once per deploy (a job, release phase or CI step)",
                        step.location, context=process.context,
                    )
            if process.role == "init" and process.replicas is not None and process.replicas.value > 1:
                for step in process.steps:
                    if _is_migration_step(step):
                        yield self.draft(
                            f"migration init container in a workload with {process.replicas.note}: every pod runs "
                            "it at once on each rollout; use a Job or a deploy step",
                            step.location, severity=Severity.WARNING, context=process.context,
                            related=(process.replicas.origin.labelled(process.replicas.note),),
                        )

    def _startup_code(self, project: Project) -> Iterator[Draft]:
        index = project.python
        for hook, facts, how in index.startup_hooks:
            for call, call_facts, chain in self._reachable_migrations(project, hook, facts):
                via = "" if not chain else " via " + " -> ".join(f"`{c}()`" for c in chain)
                description = migration_call(call)
                yield self.draft(
                    f"{description} runs in the {how} `{hook.qualname.rsplit('.', 1)[-1]}`{via}: every worker "
                    "of every replica migrates on boot, concurrently; run migrations once per deploy instead",
                    Location(call_facts.path, call.span),
                    related=(Location(facts.path, hook.span).labelled(how),),
                    context=Context.DEV if call.in_main else None,
                )

    def _reachable_migrations(self, project: Project, hook: Function, facts: PyFacts):
        index = project.python
        seen = {hook.qualname}
        stack: list[tuple[Function, PyFacts, tuple[str, ...]]] = [(hook, facts, ())]
        while stack:
            function, function_facts, chain = stack.pop()
            for call in index.calls_by_scope.get(function.qualname, []):
                if _dev_guarded(project, function_facts.path, call.span.line):
                    continue  # `if settings.is_sqlite(): create_all()`: development only
                if migration_call(call):
                    yield call, function_facts, chain
                    continue
                if len(chain) >= 3:
                    continue
                target = index.call_target(call, function)
                if target is not None and target[0].qualname not in seen:
                    seen.add(target[0].qualname)
                    stack.append((target[0], target[1], (*chain, target[0].qualname.rsplit(".", 1)[-1])))

    def _import_time(self, project: Project) -> Iterator[Draft]:
        index = project.python
        app_modules = [app.facts.module for app in index.apps.values() if app.kind != "router"]
        if not app_modules:
            return
        loaded = index.imported_closure(app_modules)
        for module in sorted(loaded):
            facts = index.modules.get(module)
            if facts is None:
                continue
            for call in facts.calls:
                if call.scope or call.in_main:
                    continue
                description = migration_call(call)
                if description:
                    yield self.draft(
                        f"{description} at import time of a module the app loads: it runs in every worker "
                        "process on boot; run migrations once per deploy instead",
                        Location(facts.path, call.span),
                    )


def _is_migration_step(step) -> bool:
    from prodcheck.extract.servers import is_migration

    return is_migration(step.command)


__all__ = ["MigrationsOnBoot", "Span", "migration_call"]


_GUARD = load("dev_guards")["condition"]
_GUARD_WORDS = frozenset(_GUARD["words"])
_SPLIT = re.compile(r"[^A-Za-z0-9!=]+|_")


def _dev_guarded(project: Project, path: str, line: int) -> bool:
    """The call sits in an `if` block whose condition names development (`if settings.is_sqlite():`)."""
    source = project.by_path.get(path)
    if source is None:
        return False
    lines: list[str] | None = (source.lines if source.text is not None
                               else source.views.get("_decoded_lines"))  # type: ignore[assignment]  # a list[str] view
    if lines is None:  # Python sources keep bytes (the parser decodes them): decode once per file
        lines = (source.data or b"").decode("utf-8", "replace").splitlines()
        source.views["_decoded_lines"] = lines
    if not 0 < line <= len(lines):
        return False
    text = lines[line - 1]
    indent = len(text) - len(text.lstrip())
    for number in range(line - 1, max(0, line - 60), -1):
        above = lines[number - 1]
        if not above.strip() or above.lstrip().startswith("#"):
            continue
        depth = len(above) - len(above.lstrip())
        if depth >= indent:
            continue
        head = above.strip()
        if not head.startswith(("if ", "elif ")):
            return False  # the nearest enclosing block is not a condition
        tokens = {t.lower() for t in _SPLIT.split(head[head.index(" "):].rstrip(":")) if t}
        tokens |= {"!=" for t in [head] if "!=" in t}
        if tokens & set(_GUARD["negations"]):
            return False
        return bool(tokens & _GUARD_WORDS)
    return False
