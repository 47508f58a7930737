"""PC102 debug-enabled. Docs and tests: rules/PC102-debug-enabled.md"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.knowledge import load
from prodcheck.knowledge.frameworks import application_constructors
from prodcheck.model.facts import PyFacts, Value
from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Location, Severity, Span
from prodcheck.parsing.yaml import YNode
from prodcheck.project import Project
from prodcheck.project.dev_guards import guarded
from prodcheck.project.infra import k8s_env, scalar_location
from prodcheck.project.images import is_third_party_image
from prodcheck.rules.base import Draft, Rule, RuleMeta

DEBUG_NAMES = frozenset(load("environment")["debug"]["names"])
TRUTHY = frozenset(load("environment")["debug"]["truthy"])  # values that switch debug on


def debug_names(project: Project) -> set[str]:
    """DEBUG and its usual spellings, plus any `*DEBUG` variable the Python code reads by name."""
    names = set(DEBUG_NAMES)
    for _facts, call in project.calls.among(project.python.env_getter_names):  # (names of this same call index)
        first = call.value.arg(0)
        if first is not None and first.is_str and str(first.literal).upper().endswith("DEBUG"):
            names.add(str(first.literal))
    return names


def is_truthy(text: str | None) -> bool:
    return text is not None and text.strip().strip("'\"").lower() in TRUTHY


class DebugEnabled(Rule):
    meta = RuleMeta(
        code="PC102", name="debug-enabled",
        summary="Debug mode switched on in production code or configuration",
        severity=Severity.WARNING, kinds=("py", "compose", "k8s", "dockerfile"), security=5.0,
    )

    def check(self, project: Project) -> Iterator[Draft]:
        yield from self._python(project)
        names = debug_names(project)
        yield from self._compose(project, names)
        yield from self._kubernetes(project, names)
        yield from self._dockerfiles(project, names)

    # ------------------------------------------------------------ Python

    def _python(self, project: Project) -> Iterator[Draft]:
        index = project.python
        applications = project.calls.called(application_constructors())
        building = project.calls.paths_calling(applications)  # the other files' calls are not looked at
        for facts in project.python_facts.values():
            source = project.by_path.get(facts.path)
            if source is not None and source.kind == FileKind.GUNICORN_CONF:
                continue
            for call in facts.calls if facts.path in building else ():
                if call.value.text not in applications:
                    continue
                debug = call.value.kwarg("debug")
                if debug is None or not self._literal_true(project, facts, debug):
                    continue
                constructor = call.name.rsplit(".", 1)[-1]
                yield self.draft(
                    f"`{constructor}(debug=True)`: every unhandled exception answers the client with the "
                    "traceback and the source around it",
                    Location(facts.path, debug.span), severity=Severity.ERROR,
                    **_development(project, facts, call.in_main, call.span.line),
                )
            for assign in facts.assigns:
                if not assign.target.endswith(".debug"):
                    continue  # (most assignments: asked without splitting the name)
                owner, _, attribute = assign.target.rpartition(".")
                if attribute != "debug" or not owner or not assign.value.is_true:
                    continue
                app = index.app_object(owner)
                if app is None or app.kind == "router":
                    continue
                yield self.draft(
                    "`app.debug = True`: every unhandled exception answers the client with the traceback",
                    Location(facts.path, assign.span), severity=Severity.ERROR,
                    **_development(project, facts, assign.in_main, assign.span.line),
                )

    @staticmethod
    def _literal_true(project: Project, facts: PyFacts, value: Value) -> bool:
        if value.is_true:
            return True
        if value.kind != "name":
            return False
        # `DEBUG = True` at module level, then `FastAPI(debug=DEBUG)`; settings objects stay unknown.
        resolved = project.python.resolve(value.text) or project.python.resolve(f"{facts.module}.{value.text}")
        if resolved is None or resolved.assign is None:
            return False
        assign, owner = resolved.assign
        return assign.value.is_true and assign.scope in {"", owner.module}

    # ------------------------------------------------------------ configuration

    def _env_draft(self, name: str, value: str, where: str, location: Location) -> Draft:
        return self.draft(
            f"`{name}={value}` in {where}: debug mode in production leaks tracebacks and internals to clients",
            location,
        )

    def _compose(self, project: Project, names: set[str]) -> Iterator[Draft]:
        for service in project.compose_services:
            if is_third_party_image(service.image) and service.node.get("build") is None:
                continue
            for name, node in service.environment.items():
                if name in names and is_truthy(node.as_str()):
                    yield self._env_draft(name, node.as_str() or "", f"compose service `{service.name}`",
                                          _env_location(service.file.path, node, name, service.file.line(node.span.line)))

    def _kubernetes(self, project: Project, names: set[str]) -> Iterator[Draft]:
        for workload in project.workloads:
            for container in workload.containers + workload.init_containers:
                image = container.node.get("image")
                if is_third_party_image(image.as_str() if image is not None else None):
                    continue
                for name, node in k8s_env(container.node).items():
                    if name in names and is_truthy(node.as_str()):
                        yield self._env_draft(name, node.as_str() or "", f"container `{container.name}`",
                                              scalar_location(workload.file.path, node))
        for source, document in project.k8s_documents:
            kind = document.get("kind")
            if kind is None or kind.as_str() != "ConfigMap":
                continue
            data = document.get("data")
            for name, node in data.entries() if data is not None else []:
                if name in names and is_truthy(node.as_str()):
                    yield self._env_draft(name, node.as_str() or "", "a ConfigMap", scalar_location(source.path, node))

    def _dockerfiles(self, project: Project, names: set[str]) -> Iterator[Draft]:
        targets: dict[str, set[str | None]] = {}
        for process in project.processes:
            if process.dockerfile:
                targets.setdefault(process.dockerfile, {None}).add(process.target)
        for source, view in project.dockerfiles:
            seen: set[int] = set()
            for target in sorted(targets.get(source.path) or {None}, key=lambda t: t or ""):
                stage = view.stage(target)
                if stage is None:
                    continue
                for name, (value, instruction) in view.env(stage).items():
                    if instruction.keyword != "ENV" or name not in names or not is_truthy(value):
                        continue
                    if instruction.line in seen:
                        continue
                    seen.add(instruction.line)
                    line = next((n for n in range(instruction.line, instruction.end_line + 1)
                                 if name in source.line(n)), instruction.line)
                    text = source.line(line)
                    start = text.find(name)
                    span = Span(line, start + 1, line, len(text.rstrip(" \\")) + 1) if start >= 0 else Span(line)
                    yield self._env_draft(name, value, "the image's `ENV`", Location(source.path, span))


def _development(project: Project, facts: PyFacts, in_main: bool, line: int) -> dict[str, object]:
    """The context of debug switched on in code: development in a `__main__` block, or in an `if` whose condition
    names development (`if in_debug_mode(): app = FastAPI(debug=True)`, dev_guards.py: the same switch as
    `FastAPI(debug=settings.DEBUG)`); else the file's own."""
    if in_main:
        return {"context": Context.DEV}
    source = project.by_path.get(facts.path)
    if source is not None and guarded(source, line):
        return {"context": Context.DEV, "context_reason": "inside an `if` whose condition names development"}
    return {}


def _env_location(path: str, node: YNode, name: str, line_text: str) -> Location:
    """The value of a map entry, or the whole `NAME=value` item of a list."""
    location = scalar_location(path, node)
    start = line_text.find(name)
    if start >= 0 and start + 1 < location.span.column:
        return Location(path, Span(location.span.line, start + 1, location.span.line, location.span.end_column))
    return location
