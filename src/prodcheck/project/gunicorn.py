"""gunicorn configuration files: which one a command reads, and the settings it makes."""
from __future__ import annotations

from functools import cached_property
from typing import NamedTuple
from typing import TYPE_CHECKING

from prodcheck.extract.servers import ServerCall
from prodcheck.knowledge.packaging import installed_path
from prodcheck.knowledge.servers import cpu_count_calls, gunicorn_start_hooks
from prodcheck.model.facts import Function, PyFacts, Value
from prodcheck.model.files import FileKind
from prodcheck.model.finding import Location, Span
from prodcheck.project.engines import lower_bound_int
from prodcheck.project.infra import Step
from prodcheck.parsing.shell import expand_default

if TYPE_CHECKING:
    from prodcheck.project import Project


class GunicornWorkers(NamedTuple):
    """The `workers` of a gunicorn config file: the number (None: not set, or set to a value not worked
    out), where it is set (line 1 when it is not), and whether the file sets it at all."""

    workers: int | None
    location: Location
    assigned: bool = False
    per_cpu: bool = False  # set to a value not worked out, in a file that reads the CPU count


class GunicornConfigs:
    def __init__(self, project: Project) -> None:
        self.project = project

    @cached_property
    def configs(self) -> dict[str, tuple[GunicornWorkers, PyFacts]]:
        """Each file named like a gunicorn config file: its `workers` and its facts."""
        out = {}
        for path, facts in self.project.python_facts.items():
            source = self.project.by_path.get(path)
            if source is not None and source.kind == FileKind.GUNICORN_CONF:
                out[path] = (_workers(path, facts), facts)
        return out

    def config_for(self, call: ServerCall, step: Step) -> GunicornWorkers | None:
        """The `workers` of the config file a gunicorn command reads (None: no such file). A file named
        with `-c` is read whatever its name (`-c deploy/prod_settings.py`)."""
        name = call.config_file
        if name and "$" in name:
            name = expand_default(name)[0]  # -c "${GUNICORN_CONF:-/app/gunicorn_conf.py}"
        candidates = self.configs
        if name:
            name = installed_path(name.removeprefix("python:").strip("'\""))
            basename = name.rsplit("/", 1)[-1]
            for path, (workers, _) in candidates.items():
                if path.rsplit("/", 1)[-1] == basename or path.replace("/", ".").removesuffix(".py") == name:
                    return workers
            path, _ = self.config_path(call)  # a config file not named like one
            return _workers(path, self.project.python_facts[path]) if path is not None else None
        for path, (workers, _) in candidates.items():
            if path.rsplit("/", 1)[-1] == "gunicorn.conf.py":
                return workers  # gunicorn reads ./gunicorn.conf.py by default
        return None

    def config_path(self, call: ServerCall) -> tuple[str | None, bool]:
        """(the Python config file a gunicorn command reads, known). Without `-c` gunicorn reads
        ./gunicorn.conf.py if there is one (path None, known True when there is none); known is
        False when `-c` names a file that is not in the repository."""
        name = call.config_file
        if name and "$" in name:
            name = expand_default(name)[0]
        python_facts = self.project.python_facts
        if name:
            name = installed_path(name.removeprefix("python:").strip("'\""))
            wanted = name.lstrip("./")
            dotted = name.replace("/", ".").removesuffix(".py")
            matches = [p for p in python_facts if p == wanted or p.endswith("/" + wanted)
                       or p.removesuffix(".py").replace("/", ".").endswith(dotted)]
            if not matches:  # a bare file name (a name with a folder never equals a file name)
                matches = [p for p in python_facts if p.rsplit("/", 1)[-1] == name]
            return (min(matches, key=len), True) if matches else (None, False)
        defaults = [p for p in self.configs if p.rsplit("/", 1)[-1] == "gunicorn.conf.py"]
        return (min(defaults, key=len) if defaults else None), True

    @cached_property
    def start_hooks(self) -> list[tuple[Function, PyFacts, str]]:
        """(function, facts, where) for each server hook that runs at start-up (`on_starting`, `post_fork`...,
        knowledge/servers.toml) in a gunicorn config file: a file named like one, or one a gunicorn command of
        the repository reads with `-c`. Where: "server" (runs once) or "worker" (once per worker)."""
        paths = set(self.configs)
        for process in self.project.processes:
            for _step, call in process.server_steps:
                if call.server == "gunicorn" and call.config_file:
                    path, _known = self.config_path(call)
                    if path is not None:
                        paths.add(path)
        found = []
        for path in sorted(paths):
            facts = self.project.python_facts[path]
            for function in facts.functions:
                module, _dot, name = function.qualname.rpartition(".")
                where = gunicorn_start_hooks().get(name)
                if where is not None and module == facts.module and not function.class_name:
                    found.append((function, facts, where))
        return found

    def setting(self, path: str, name: str) -> tuple[Value, Location] | None:
        """The last module-level assignment of a gunicorn setting (`worker_class`, `wsgi_app`...)."""
        facts = self.project.python_facts.get(path)
        if facts is None:
            return None
        found = None
        for assign in facts.assigns:
            if assign.target == f"{facts.module}.{name}" and not assign.in_main:
                found = (assign.value, Location(path, assign.span))
        return found


def _workers(path: str, facts: PyFacts) -> GunicornWorkers:
    """The module-level `workers` a gunicorn config file sets (the last assignment wins)."""
    workers: int | None = None
    location = Location(path, Span(1))
    assigned = False
    for assign in facts.assigns:
        if assign.target.endswith(".workers") and not assign.scope.count(".") > facts.module.count("."):
            workers = lower_bound_int(assign.value)
            location = Location(path, assign.span)
            assigned = True
    per_cpu = assigned and workers is None and any(call.name in cpu_count_calls() for call in facts.calls)
    return GunicornWorkers(workers, location, assigned, per_cpu)
