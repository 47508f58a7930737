"""PC103 asgi-app-on-sync-worker. Docs and tests: rules/PC103-asgi-app-on-sync-worker.md"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.parsing.shell_tokens import split_words
from prodcheck.extract.servers import ServerCall
from prodcheck.knowledge.frameworks import app_kind
from prodcheck.knowledge.servers import wsgi_workers
from prodcheck.model.finding import Location, Severity
from prodcheck.parsing.shell import expand_default
from prodcheck.project import Project
from prodcheck.project.infra import Process, Step
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.rules.helpers import token_location
from prodcheck.model.record import record


@record
class WorkerClass:
    value: str  # "sync" when nothing sets it
    origin: str  # how it is set, for the message
    location: Location


@record
class AsgiApp:
    ref: str
    framework: str
    location: Location


def is_wsgi_worker(value: str) -> bool:
    name = value.strip().strip("'\"")
    name = name.rsplit("#", 1)[-1]  # egg:gunicorn#sync
    return name.rsplit(".", 1)[-1].lower() in wsgi_workers()


def _cli_worker_class(tokens: list[str]) -> str | None:
    found = None
    for index, token in enumerate(tokens):
        if token in {"-k", "--worker-class"} and index + 1 < len(tokens):
            found = tokens[index + 1]
        elif token.startswith("--worker-class="):
            found = token.partition("=")[2]
        elif token.startswith("-k") and len(token) > 2:
            found = token[2:]
    return found


class AsgiAppOnSyncWorker(Rule):
    meta = RuleMeta(
        code="PC103", name="asgi-app-on-sync-worker",
        summary="gunicorn serves an ASGI app (FastAPI, Starlette) with a WSGI worker class",
        severity=Severity.ERROR, kinds=("dockerfile", "compose", "k8s", "procfile", "gunicorn.conf.py"),
    )

    def check(self, project: Project) -> Iterator[Draft]:
        for process in project.processes:
            for step, call in process.server_steps:
                if call.server != "gunicorn":
                    continue
                config_path, known = project.gunicorn_config_path(call)
                if not known:
                    continue  # `-c` names a config we cannot read: it may set the worker class
                app = self._app(project, call, config_path)
                if app is None:
                    continue
                worker = self._worker_class(project, process, step, call, config_path)
                if worker is None or not is_wsgi_worker(worker.value):
                    continue
                yield self.draft(
                    f"gunicorn serves `{app.ref}`, a {app.framework} (ASGI) app, with the `{worker.value}` worker "
                    f"({worker.origin}): a WSGI worker calls it with the wrong protocol and every request fails; "
                    "use `-k uvicorn.workers.UvicornWorker`",
                    worker.location, related=(app.location.labelled(f"the {app.framework} app"),),
                )

    # ------------------------------------------------------------ which app

    def _app(self, project: Project, call: ServerCall, config_path: str | None) -> AsgiApp | None:
        ref = call.app_ref
        if ref is None and config_path is not None:
            setting = project.gunicorn_setting(config_path, "wsgi_app")
            if setting is not None and setting[0].is_str:
                ref = str(setting[0].literal)
        if not ref or "$" in ref:
            return None
        module, _, attribute = ref.partition(":")
        module = module.strip().removesuffix(".py").replace("/", ".")
        attribute = attribute.strip() or "application"
        index = project.python
        if attribute.endswith(")"):
            function = index.function(f"{module}.{attribute.split('(', 1)[0]}")
            if function is None:
                return None
            definition, facts = function
            local_values = {name: value for name, value, _ in definition.locals}
            for returned in definition.returns:
                value = local_values.get(returned.text, returned) if returned.kind == "name" else returned
                kind = app_kind(value.text) if value.kind == "call" else None
                if kind in {"fastapi", "starlette"}:
                    return AsgiApp(ref, _framework(kind), Location(facts.path, value.span))
            return None
        app = index.app_object(f"{module}.{attribute}")
        if app is None or app.kind not in {"fastapi", "starlette"}:
            return None
        return AsgiApp(ref, _framework(app.kind), Location(app.facts.path, app.value.span))

    # ------------------------------------------------------------ which worker class

    def _worker_class(self, project: Project, process: Process, step: Step, call: ServerCall,
                      config_path: str | None) -> WorkerClass | None:
        """What gunicorn uses: command line > GUNICORN_CMD_ARGS > config file > `sync`."""
        source = project.by_path.get(step.location.path)
        line_text = source.line(step.location.span.line) if source else ""
        env = {k: v for k, (v, _) in process.env.items()}
        env.update(dict(step.command.env))
        token = call.worker_class
        if token is not None:
            value, _ = expand_default(token, env)
            if not value:
                return None
            return WorkerClass(value, f"`-k {token}`",
                               token_location(step.location.path, step.location.span.line, line_text, token))
        inline = dict(step.command.env).get("GUNICORN_CMD_ARGS")
        if inline is not None or "GUNICORN_CMD_ARGS" in process.env:
            text = inline if inline is not None else process.env["GUNICORN_CMD_ARGS"][0]
            location = (token_location(step.location.path, step.location.span.line, line_text, "GUNICORN_CMD_ARGS")
                        if inline is not None else process.env["GUNICORN_CMD_ARGS"][1])
            try:
                tokens = split_words(text)
            except ValueError:
                return None
            if any("$" in t for t in tokens):
                return None
            from_env = _cli_worker_class(tokens)
            if from_env is not None:
                return WorkerClass(from_env, "from `GUNICORN_CMD_ARGS`", location)
        if config_path is not None:
            setting = project.gunicorn_setting(config_path, "worker_class")
            if setting is not None:
                value, location = setting
                if not value.is_str:
                    return None  # computed from the environment: cannot tell
                return WorkerClass(str(value.literal), f"`worker_class` in `{config_path}`", location)
        return WorkerClass("sync", "gunicorn's default: no `-k` / `--worker-class`",
                           token_location(step.location.path, step.location.span.line, line_text, "gunicorn"))


def _framework(kind: str) -> str:
    return "FastAPI" if kind == "fastapi" else "Starlette"
