"""PC101 reload-in-production. Docs and tests: rules/PC101-reload-in-production.md"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Location, Severity
from prodcheck.project import Project
from prodcheck.fix.edits import remove_argument, remove_yaml_argument
from prodcheck.fix.python import remove_keyword
from prodcheck.fix.roundtrip import file_text
from prodcheck.rules.base import Draft, FixAvailability, Rule, RuleMeta
from prodcheck.rules.helpers import find_token

# Commands whose text the fix edits: Dockerfiles and Procfiles on the token's exact span, compose and
# Kubernetes files through ruamel.yaml's round trip (a start script's logic is left to people).
_FIXABLE_KINDS = frozenset({FileKind.DOCKERFILE, FileKind.COMPOSE, FileKind.K8S, FileKind.PROCFILE})
_YAML_KINDS = frozenset({FileKind.COMPOSE, FileKind.K8S})
_START_SCRIPT_WORDS = ("start", "entrypoint", "run", "boot", "serve", "launch", "docker")  # substrings: `server`, `prestart` match


def modules_run_by_production(project: Project) -> set[str]:
    """Modules or script paths that a production process runs with `python -m x` / `python x.py`."""
    run: set[str] = set()
    for process in project.processes:
        if process.context != Context.PROD or process.role not in {"web", "image", "script", "worker"}:
            continue
        for step in process.steps:
            call = step.server
            if call is not None and call.server == "python" and call.app_ref:
                run.add(call.app_ref.removeprefix("./"))
    return run


def module_is_run(project: Project, module: str, path: str, run: set[str]) -> bool:
    for ref in run:
        if ref.endswith(".py"):
            if path == ref or path.endswith("/" + ref) or ref.endswith("/" + path):
                return True
        elif module == ref or module.endswith("." + ref) or ref.endswith("." + module):
            return True
    return False


class ReloadInProduction(Rule):
    meta = RuleMeta(
        code="PC101", name="reload-in-production", core=True,
        summary="Auto-reload or a development server in a command production runs",
        severity=Severity.ERROR, kinds=("py", "dockerfile", "compose", "k8s", "procfile", "shell"),
        fix=FixAvailability.SOMETIMES,
    )

    def check(self, project: Project) -> Iterator[Draft]:
        for process in project.processes:
            unreferenced_script = process.kind == "script" and not any(
                word in process.origin.path.rsplit("/", 1)[-1].lower() for word in _START_SCRIPT_WORDS
            )
            for step, call in process.server_steps:
                if not call.reload_token:
                    continue
                source = project.by_path.get(step.location.path)
                token = call.reload_token if call.reload_token != "dev" else "dev"
                location = find_token(step.location.path, source.lines if source else [], step.location.span.line, token)
                where = f"{process.kind} `{process.name}`" if process.kind != "script" else "a start script"
                what = "`fastapi dev` (a development server)" if call.dev_server else f"`{call.server} {call.reload_token}`"
                context = Context.DEV if unreferenced_script and process.context == Context.PROD else process.context
                fix = None
                if call.reload_token.startswith("--reload") and source is not None and \
                        source.kind in _FIXABLE_KINDS and location.span.end_column > location.span.column:
                    title = f"remove `{call.reload_token}`"
                    if source.kind in _YAML_KINDS:
                        text = file_text(source)
                        fix = remove_yaml_argument(location.path, text, location.span.line, call.reload_token,
                                                   title) if text is not None else None
                    else:
                        fix = remove_argument(location.path, source.lines, location.span, call.reload_token, title)
                yield self.draft(
                    f"{what} in {where}: the reloader watches the filesystem, restarts on every change and "
                    "runs a single process; production needs a plain server with workers",
                    location, context=context, fix=fix,
                )
        run = modules_run_by_production(project)
        for facts in project.python_facts.values():
            source = project.by_path.get(facts.path)
            if source is not None and source.kind == FileKind.GUNICORN_CONF:
                for assign in facts.assigns:
                    if assign.target.endswith(".reload") and assign.value.is_true:
                        yield self.draft("`reload = True` in the gunicorn config: workers restart on every file "
                                         "change in production", Location(facts.path, assign.span))
                continue
            for call in facts.calls:
                if call.name not in {"uvicorn.run", "uvicorn.main.run", "hypercorn.run"}:
                    continue
                reload_value = call.value.kwarg("reload")
                if reload_value is None or not reload_value.is_true:
                    continue
                is_run = module_is_run(project, facts.module, facts.path, run)
                context = None if is_run else Context.DEV
                note = "a production command runs this module" if is_run else (
                    "only when the module is run directly")
                yield self.draft(
                    f"`uvicorn.run(reload=True)` ({note}): the reloader restarts the server on file changes and "
                    "ignores `workers`", Location(facts.path, reload_value.span), context=context,
                    fix=remove_keyword(project, facts.path, call.value, "reload") if is_run else None,
                )
