"""Command-line flags that gate the reloader (PC101): `if reload: uvicorn.run("app:app", reload=True)` in a command
whose `--reload` is off unless given (a click `is_flag=True` option, an argparse `store_true` argument, a parameter
defaulting to False). The reloader then runs only where a command line gives the flag.
Docs: rules/PC101-reload-in-production.md"""
from __future__ import annotations

import re

from prodcheck.knowledge import load
from prodcheck.model.facts import Call, PyFacts
from prodcheck.model.files import Context
from prodcheck.project import Project
from prodcheck.project.dev_guards import condition_of
from prodcheck.lazy_pattern import lazy

_FLAGS = load("servers")["cli_flags"]
_OFF_MARKERS = tuple(re.sub(r"\s+", "", marker) for marker in _FLAGS["off_markers"])
_FACTORIES = frozenset(_FLAGS["option_factories"])
# `if reload:`, `if args.reload:` directly around the call
_GATE = lazy(r"^(?:if|elif)\s+([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\s*:\s*(?:#.*)?$")
# a declaration of the option in the module: its name, then the call's other arguments (up to the closing parenthesis)
_DECLARED = lazy(r"""(['"])--([\w-]+)\1([^)]*)""")


def off_flag_gate(project: Project, facts: PyFacts, call: Call) -> str | None:
    """The option (`--reload`) of the command-line flag, off by default, whose `if` the call sits in directly, or None:
    the condition is a parameter of the function the call is in with a false default (`reload: bool = False`,
    `typer.Option(False)`), or a name whose option the module declares off unless given (`@click.option("--reload",
    is_flag=True)`, `parser.add_argument("--reload", action="store_true")`, read as `if reload:` or
    `if args.reload:`)."""
    source = project.by_path.get(facts.path)
    head = condition_of(source, call.span.line) if source is not None else None
    match = _GATE.match(head or "")
    if source is None or match is None:
        return None
    dotted = "." in match.group(1)
    name = match.group(1).rsplit(".", 1)[-1]
    option = "--" + name.replace("_", "-")
    function = next((f for f in facts.functions if f.qualname == call.scope), None)
    param = next((p for p in function.params if p.name == name), None) if function is not None and not dotted else None
    default = param.default if param is not None else None
    if default is not None and default.kind == "call" and default.text.rsplit(".", 1)[-1] in _FACTORIES:
        default = default.arg(0) or default.kwarg("default")
    if default is not None:
        return option if default.kind == "const" and not default.literal else None
    if param is None and not dotted:
        return None  # a name the function does not take: a setting, not the command line's
    text = source.text if source.text is not None else (source.data or b"").decode("utf-8", "replace")
    for declared in _DECLARED.finditer(text):
        rest = re.sub(r"\s+", "", declared.group(3))
        if declared.group(2) == option[2:] and any(marker in rest for marker in _OFF_MARKERS) \
                and "default=True" not in rest:
            return option
    return None


def given_by_production(project: Project, option: str) -> bool:
    """A production command line gives the option (`--reload`, `--reload=true`). A server's own command line
    (`uvicorn app.main:app --reload`, the server is no command of the project's) gives it to that server, not to
    the project's command; `python -m app.cli --reload` and a console script do give it."""
    return any(word == option or word.startswith(f"{option}=")
               for process in project.processes if process.context == Context.PROD
               for step in process.steps if (call := step.server) is None or call.server == "python"
               for word in step.command.argv)
