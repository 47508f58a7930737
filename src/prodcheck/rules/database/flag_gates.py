"""An opt-in flag around a start-up migration (PC401): `if ALEMBIC_UPGRADE_HEAD_ON_START: upgrade_db_schema()`,
where the flag holds an environment variable read with a false default
(`parse_bool(getenv("ALEMBIC_UPGRADE_HEAD_ON_START", default="false"))`). The migration then runs only in the
deploys that turn the variable on: the processes that serve the app (their server's module imports the start-up
code), else every production process, as their environment says (Dockerfile `ENV`, compose `environment:`,
Kubernetes `env:`). A flag on by default (`RUN_MIGRATIONS: bool = True`) or one the model cannot read gates nothing.
Docs: rules/PC401-migrations-on-boot.md"""
from __future__ import annotations


from prodcheck.model.facts import PyFacts, Value
from prodcheck.model.files import Context
from prodcheck.model.finding import Location
from prodcheck.parsing.shell import expand_default
from prodcheck.project import Project
from prodcheck.project.infra import Process
from prodcheck.project.dev_guards import condition_of
from prodcheck.lazy_pattern import lazy

# What a boolean setting read from the environment takes as off (pydantic's and distutils' strtobool spellings:
# https://docs.pydantic.dev/latest/api/standard_library_types/#booleans)
_OFF = frozenset({"", "false", "0", "no", "off", "n", "f"})
_FLAG = lazy(r"^(?:if|elif)\s+([A-Za-z_][A-Za-z0-9_.]*)\s*:\s*(?:#.*)?$")


# An environment variable read in the condition itself: `os.getenv("X")`, `os.environ.get("X", "")`, with no default or
# a default that is off (https://docs.python.org/3/library/os.html#os.getenv)
_READ_IN_CONDITION = lazy(
    r"""(?:os\.)?(?:getenv|environ\.get)\(\s*(['"])([A-Za-z_][A-Za-z0-9_]*)\1\s*"""
    r"""(?:,\s*(?:default\s*=\s*)?(?:(['"])([^'"]*)\3|(None|False|0))\s*)?\)""")


def opt_in_variable(project: Project, facts: PyFacts, line: int) -> str | None:
    """The environment variable of the opt-in flag whose `if` the line sits in (see the module), or None: a name
    holding the flag (`if RUN_MIGRATIONS:`), or the variable read in the condition itself with an off default
    (`if os.getenv("FASTAPI_AUTO_RELOAD", "").lower() in ("1", "true"):`)."""
    source = project.by_path.get(facts.path)
    head = condition_of(source, line) if source is not None else None
    condition = f" {head.split(' ', 1)[1]}" if head and " " in head else ""
    # a read the condition negates (`if not getenv(...)`, `!= "1"`) gates the other way: not an opt-in
    read = _READ_IN_CONDITION.search(condition) if " not " not in condition and "!=" not in condition else None
    if read is not None and (read.group(4) is None or read.group(4).strip().lower() in _OFF):
        return read.group(2)
    match = _FLAG.match(head or "")
    if match is None:
        return None
    name = match.group(1)
    first, _dot, rest = name.partition(".")
    imported = dict(facts.imports).get(first)
    dotted = (f"{imported}.{rest}" if rest else imported) if imported else f"{facts.module}.{name}"
    return _off_by_default(project, project.python.assigned_value(dotted))


def _off_by_default(project: Project, value: Value | None) -> str | None:
    """`getenv("X", "false")`, also inside a parser of one argument (`parse_bool(getenv("X", default="0"))`),
    `os.environ.get("X")`: X when the default is off."""
    getters = project.python.env_getter_names
    if value is not None and value.kind == "call" and value.text not in getters and len(value.items) == 1 \
            and not value.keywords:
        value = value.items[0]  # `parse_bool(...)`, `bool(...)`, `strtobool(...)`
    if value is None or value.kind != "call" or value.text not in getters or not value.items:
        return None
    variable = value.items[0]
    default = value.items[1] if len(value.items) > 1 else value.kwarg("default")
    if not variable.is_str or not variable.literal:
        return None
    if default is None or (default.kind == "const" and not default.literal):
        return str(variable.literal)  # None, False, 0, "": off
    if default.is_str and str(default.literal).strip().lower() in _OFF:
        return str(variable.literal)
    return None


def turned_on(project: Project, variable: str, module: str, running: list[Process] | None = None) -> list[Location]:
    """Where the production processes that run `module`'s start-up code set `variable` on: `running` when the
    caller knows them (a console script's), else those whose server serves an app module importing it when the
    model knows any, else every production process."""
    index = project.python
    live = [p for p in project.processes if p.context not in {Context.DEV, Context.TEST}]
    serving = [p for p in running if p.context not in {Context.DEV, Context.TEST}] if running is not None else []
    for process in live if running is None else []:
        for step in process.steps:
            call = step.server
            ref = (call.app_ref or "").split(":", 1)[0] if call is not None else ""
            served = index.module_for(ref) if ref else None
            if served is not None and module in index.imported_closure([served]):
                serving.append(process)
                break
    found = []
    for process in serving or live:
        setting = process.env.get(variable)
        if setting is None:
            continue
        value = expand_default(setting[0].strip())[0]
        if value is None or value.strip().strip("'\"").lower() not in _OFF:
            found.append(setting[1])  # (an unknown value, `$RUN_MIGRATIONS`, may be on)
    return found
