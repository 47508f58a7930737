"""PC101 reload-in-production. Docs and tests: rules/PC101-reload-in-production.md"""
from __future__ import annotations

from collections.abc import Iterator

import re

from prodcheck.knowledge import load
from prodcheck.knowledge.servers import reload_run_calls
from prodcheck.model.facts import Call, PyFacts, Value
from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Confidence, Location, Severity
from prodcheck.project import Project
from prodcheck.project.dev_guards import shell_dev_guarded
from prodcheck.project.sources import SourceFile
from prodcheck.fix.edits import remove_argument, remove_yaml_argument
from prodcheck.fix.python import remove_keyword
from prodcheck.fix.roundtrip import file_text
from prodcheck.rules.database.flag_gates import opt_in_variable, turned_on
from prodcheck.rules.runtime.cli_flags import given_by_production, off_flag_gate
from prodcheck.rules.base import Draft, FixAvailability, Rule, RuleMeta
from prodcheck.rules.helpers import find_token

# Commands whose text the fix edits: Dockerfiles and Procfiles on the token's exact span, compose and
# Kubernetes files through ruamel.yaml's round trip (a start script's logic is left to people).
_FIXABLE_KINDS = frozenset({FileKind.DOCKERFILE, FileKind.COMPOSE, FileKind.K8S, FileKind.PROCFILE})
_YAML_KINDS = frozenset({FileKind.COMPOSE, FileKind.K8S})
# Where the value a reload gate waits for may be set: Python by quoted strings, the rest by words.
_QUOTES_ONLY = frozenset({FileKind.PYTHON, FileKind.GUNICORN_CONF})
_SKIPPED_FOR_VALUES = frozenset({FileKind.LOCKFILE, FileKind.DOCKERIGNORE, FileKind.REQUIREMENTS})
_START_SCRIPT_WORDS = tuple(load("contexts")["path_words"]["start_script_words"])  # substrings: `server`, `prestart`


def modules_run_by_production(project: Project) -> set[str]:
    """Modules or script paths that a production process runs with `python -m x` / `python x.py`, or through a
    console script the project installs (`india-api` for `india_api.cmd.main:run`)."""
    run: set[str] = set()
    for process in project.processes:
        if process.context != Context.PROD or process.role not in {"web", "image", "script", "worker"}:
            continue
        for step in process.steps:
            call = step.server
            if call is not None and call.server == "python" and call.app_ref:
                run.add(call.app_ref.removeprefix("./"))
            script = project.console_scripts.script(step.command)
            if script is not None:  # `module:function`: that function runs, not every command of a CLI module
                run.add(f"{script.module}:{script.function}")
    return run


def module_is_run(project: Project, module: str, path: str, run: set[str], scope: str = "") -> bool:
    """A production command runs the module at `path` (`python -m`, `python x.py`), or, for a console script's
    `module:function`, that function: `scope` is where the call is written."""
    for ref in run:
        if ":" in ref:
            if ref.partition(":")[0] == module and scope == f"{module}.{ref.partition(':')[2]}":
                return True
            continue
        if ref.endswith(".py"):
            if path == ref or path.endswith("/" + ref) or ref.endswith("/" + path):
                return True
        elif module in (ref, f"{ref}.__main__") or module.endswith(("." + ref, f".{ref}.__main__")) \
                or ref.endswith("." + module):
            return True  # `python -m app` runs the package's `app/__main__.py`
    return False


def _falsy(value: Value) -> bool:
    return value.kind == "const" and not value.literal


def reload_gate(value: Value) -> tuple[Value, str] | None:
    """`reload=True if X != "prod" else False`, `reload=False if X == "prod" else True` or
    `reload=X != "prod"`: reload is on unless X equals the literal. Returns (X, literal)."""
    compare, on_when_true = value, True
    if value.kind == "ifexp":
        test, body, orelse = value.items
        if body.is_true and _falsy(orelse):
            compare = test
        elif _falsy(body) and orelse.is_true:
            compare, on_when_true = test, False
        else:
            return None
    if compare.kind != "compare" or compare.text not in {"Eq", "NotEq"}:
        return None
    if (compare.text == "NotEq") != on_when_true:
        return None  # on only when X equals the literal: a development gate
    left, right = compare.items
    subject, literal = (left, right) if right.is_str else (right, left)
    if not literal.is_str or subject.kind != "name":
        return None
    return subject, str(literal.literal)


def _defaulted_on(project: Project, facts: PyFacts, call: Call, value: Value, run: set[str]) -> str | None:
    """`uvicorn.run(..., reload=reload)` in `def start(..., reload: bool = True)` (a CLI command: typer's
    `typer.Option(True)` too), in a module a production command runs without a word about reloading: where that
    command is written, or None."""
    if value.kind != "name" or "." in value.text or not module_is_run(project, facts.module, facts.path, run):
        return None
    function = next((f for f in facts.functions if f.qualname == call.scope), None)
    param = next((p for p in function.params if p.name == value.text), None) if function is not None else None
    default = param.default if param is not None else None
    if default is not None and default.kind == "call" and default.text.rsplit(".", 1)[-1] in {"Option", "option"}:
        default = default.arg(0) or default.kwarg("default")  # `reload: bool = typer.Option(True, ...)`
    if default is None or not default.is_true:
        return None
    for process in project.processes:
        if process.context != Context.PROD:
            continue
        for step in process.steps:
            server = step.server
            if server is None or server.server != "python" or not server.app_ref \
                    or not module_is_run(project, facts.module, facts.path, {server.app_ref.removeprefix("./")}):
                continue
            if any("reload" in word for word in step.command.argv):
                return None  # `--no-reload`, `--reload false`: the command says
            return f"{step.location.path}:{step.location.span.line}"
    return None


def _without_comment(line: str) -> str:
    """A Python line without its trailing comment (a `#` inside a one-line string stays)."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            if char == quote and line[index - 1] != "\\":
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#":
            return line[:index]
    return line


def value_is_ever_set(project: Project, literal: str) -> bool:
    """Whether any file of the repository gives some setting the value `literal`: a quoted string
    in Python that is not itself compared with (`== "production"`), or the bare word in a
    configuration file (`ENV=production`, `ENVIRONMENT: production`). Comments do not count."""
    quoted = re.compile(rf"""(?P<before>[=!]=\s*|\bin\s*[\[({{]?\s*)?(['"]){re.escape(literal)}\2(?P<after>\s*[=!]=)?""")
    bare = re.compile(rf"(?<![\w.-]){re.escape(literal)}(?![\w.-])")
    for source in project.files:
        if source.kind in _SKIPPED_FOR_VALUES:
            continue
        text = source.text
        if text is None and source.data is not None:  # a parsed Python file keeps only its bytes
            text = source.data.decode("utf-8", "replace")
        if not text or literal not in text:
            continue
        for line in text.splitlines():
            if literal not in line:
                continue
            if source.kind in _QUOTES_ONLY:
                for match in quoted.finditer(_without_comment(line)):
                    if not match.group("before") and not match.group("after"):
                        return True
            elif bare.search(line.split("#", 1)[0]):
                return True
    return False


def _dev_branch_only(source: SourceFile | None, token: str) -> bool:
    """Every line of a start script that writes the reload option sits in the `then` branch of a condition naming
    development (`if [[ ${DEV_MODE} == "True" ]]; then RELOAD="--reload"; fi` before `exec uvicorn $RELOAD ...`, or
    the command itself there): production starts the server without it unless it runs in development mode."""
    if source is None or source.kind != FileKind.SHELL or not token.startswith("-"):
        return False
    option = re.compile(rf"(?<![\w-]){re.escape(token)}(?![\w-])")
    lines = source.lines
    holding = [number for number, text in enumerate(lines, 1)
               if not text.lstrip().startswith("#") and option.search(text.split(" #", 1)[0])]
    return bool(holding) and all(shell_dev_guarded(lines, number) for number in holding)


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
                location = find_token(step.location.path, source.lines if source else [], step.location.span.line,
                                      call.reload_token)
                where = f"{process.kind} `{process.name}`" if process.kind != "script" else "a start script"
                what = "`fastapi dev` (a development server)" if call.dev_server else f"`{call.server} {call.reload_token}`"
                dev_branch = _dev_branch_only(source, call.reload_token)
                if dev_branch:
                    what += " (only in the script's branch for development)"
                context = Context.DEV if (unreferenced_script or dev_branch) and process.context == Context.PROD \
                    else process.context
                fix = None
                # remove_argument and remove_yaml_argument offer an edit only where the token is found as written
                if call.reload_token.startswith("--reload") and source is not None and source.kind in _FIXABLE_KINDS:
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
        reload_calls = reload_run_calls()
        # The files that call a server's run function: the other files' calls are not looked at.
        running = project.calls.paths_calling(project.calls.entries_of(reload_calls))
        for facts in project.python_facts.values():
            source = project.by_path.get(facts.path)
            if source is not None and source.kind == FileKind.GUNICORN_CONF:
                for assign in facts.assigns:
                    if assign.target.endswith(".reload") and assign.value.is_true:
                        yield self.draft("`reload = True` in the gunicorn config: workers restart on every file "
                                         "change in production", Location(facts.path, assign.span))
                continue
            for call in facts.calls if facts.path in running else ():
                if call.name not in reload_calls:
                    continue
                reload_value = call.value.kwarg("reload")
                if reload_value is None:
                    continue
                defaulted = _defaulted_on(project, facts, call, reload_value, run)
                if defaulted is not None:
                    yield self.draft(
                        f"`uvicorn.run(reload={reload_value.text})` takes the default of the command's `{reload_value.text}` "
                        f"parameter, True, and the production command ({defaulted}) does not change it: the reloader "
                        "restarts the server on file changes and ignores `workers`",
                        Location(facts.path, reload_value.span))
                    continue
                gate = None if reload_value.is_true else reload_gate(reload_value)
                if not reload_value.is_true:
                    if gate is None or value_is_ever_set(project, gate[1]):
                        continue
                    subject, literal = gate
                    yield self.draft(
                        f"`uvicorn.run(reload=...)` is on unless `{subject.text}` is {literal!r}, and nothing in "
                        f"the repository sets anything to {literal!r}: unless the deployment does, the reloader "
                        "runs in production (it restarts on file changes and ignores `workers`)",
                        Location(facts.path, reload_value.span), confidence=Confidence.MEDIUM,
                    )
                    continue
                is_run = module_is_run(project, facts.module, facts.path, run, call.scope)
                # `if os.getenv("FASTAPI_AUTO_RELOAD", ""):` around it: on only where a deploy turns the variable on
                opt_in = opt_in_variable(project, facts, call.span.line)
                gated = opt_in is not None and is_run and not turned_on(project, opt_in, facts.module)
                # `if reload: uvicorn.run(..., reload=True)` under `@click.option("--reload", is_flag=True)`
                flag = off_flag_gate(project, facts, call) if is_run and not gated else None
                flagged = flag is not None and not given_by_production(project, flag)
                is_run = is_run and not gated and not flagged
                context = None if is_run else Context.DEV
                note = "a production command runs this module" if is_run else (
                    f"only where `{opt_in}` is set, which no production process does" if gated
                    else f"only when the command line gives `{flag}`, which no production command does" if flagged
                    else "only when the module is run directly")
                yield self.draft(
                    f"`uvicorn.run(reload=True)` ({note}): the reloader restarts the server on file changes and "
                    "ignores `workers`", Location(facts.path, reload_value.span), context=context,
                    fix=remove_keyword(project, facts.path, call.value, "reload") if is_run else None,
                )
