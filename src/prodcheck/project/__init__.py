"""The one model of the whole project that every rule queries.

`Project` is a facade over parts, each of its own responsibility and module, that a rule may ask
directly:
- `views` (views.py): the files, by path and kind, and their parsed views;
- `process_model` (processes.py): what each deployment surface runs, as processes and steps;
- `gunicorn` (gunicorn.py): gunicorn configuration files and their settings;
- `database_model` (databases.py): database servers and poolers, and their connection limits;
- `engine_model` (engines.py): the engines and pools the Python code creates;
- `deployment` (deployment.py): which files production runs, from evidence first and names second;
  it sets every file's context (and the reason for it) before any other part reads one.
Kubernetes workloads are read by workloads.py, platform files by platforms.py, Helm charts by
charts.py, kustomize by kustomize.py, workflows by workflows.py.
"""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from prodcheck.extract.servers import ServerCall
from prodcheck.model.facts import Fact, PyFacts, Value
from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Location
from prodcheck.parsing.dockerfile import DockerfileView
from prodcheck.parsing.shell import SimpleCommand
from prodcheck.parsing.textfiles import Entry
from prodcheck.parsing.yaml import YNode
from prodcheck.discovery.context import ContextRules
from prodcheck.project.calls import CallIndex
from prodcheck.project.databases import Databases
from prodcheck.project.deployment import Deployment
from prodcheck.project.engines import Engine, Engines, lower_bound_int
from prodcheck.project.gunicorn import GunicornConfigs, GunicornWorkers
from prodcheck.project.infra import ComposeService, DatabaseService, Process, Step, Workload
from prodcheck.project.processes import Processes
from prodcheck.project.python_index import PythonIndex
from prodcheck.project.served_routes import served_by_production
from prodcheck.project.console_scripts import ConsoleScripts
from prodcheck.project.tasks import TaskRunners
from prodcheck.project.sources import SourceFile
from prodcheck.project.views import FileViews
from prodcheck.project.workloads import build_workloads

if TYPE_CHECKING:
    from prodcheck.project.workflows import Workflow

__all__ = ["Engine", "Project", "lower_bound_int"]


class Project:
    def __init__(self, root: Path, files: list[SourceFile], python: dict[str, PyFacts], settings: object) -> None:
        self.root = root
        self.settings = settings
        self.python_facts = python
        self.views = FileViews(files, python, root)
        # Where each file runs, from the evidence of the deploy paths, before anything reads a context.
        globs = ContextRules(getattr(settings, "production", ()) or (), getattr(settings, "development", ()) or ())
        pinned = frozenset(f.path for f in files if globs.pinned(f.path) is not None)
        self.deployment = Deployment(self.views, pinned, root)
        self.deployment.apply()
        # Python modules: what the production app serves is production, whatever the file's name says
        for path, (context, why) in served_by_production(self.views, pinned).items():
            source = self.views.by_path[path]
            source.context, source.context_reason = context, why
            self.views.python.contexts[path] = context
        self.files = self.views.files
        self.by_path = self.views.by_path
        self.parse_errors = self.views.parse_errors
        self.process_model = Processes(self)
        self.gunicorn = GunicornConfigs(self)
        self.database_model = Databases(self)
        self.engine_model = Engines(self)

    # ---------------------------------------------------------------- files and views (views.py)

    def parse_all(self) -> None:
        """Parse every file of a kind the model reads, once, before any rule runs: which parse
        errors (PC000) are reported must not depend on which rules are selected. Each parse is
        cached on its source, so the rules that ask later get the same view."""
        from prodcheck.project.charts import chart_sources
        from prodcheck.project.kustomize import kustomization_files
        from prodcheck.project.platform_docs import load_doc

        self.views.parse_all()
        for source in chart_sources(self) + kustomization_files(self):
            self.yaml(source)
        for source in self.of_kind(FileKind.PLATFORM):
            load_doc(self, source)
        self.views.helm  # noqa: B018 - a chart's template over the rendering budget is a PC000 too

    def of_kind(self, *kinds: FileKind | str) -> list[SourceFile]:
        return self.views.of_kind(*kinds)

    def context_of(self, path: str) -> Context:
        return self.views.context_of(path)

    def dockerfile(self, source: SourceFile) -> DockerfileView | None:
        return self.views.dockerfile(source)

    def parsed(self, source: SourceFile) -> object | None:
        """The view of a file of a kind declared by its parser module (`prodcheck.parsing.kinds`)."""
        return self.views.parsed(source)

    def yaml(self, source: SourceFile) -> list[YNode]:
        return self.views.yaml(source)

    def env_entries(self, source: SourceFile) -> list[Entry]:
        return self.views.env_entries(source)

    def ini_entries(self, source: SourceFile) -> list[tuple[str, Entry]]:
        return self.views.ini_entries(source)

    def script_steps(self, source: SourceFile) -> list[SimpleCommand]:
        return self.views.script_steps(source)

    @property
    def dockerfiles(self) -> list[tuple[SourceFile, DockerfileView]]:
        return self.views.dockerfiles

    @property
    def compose_files(self) -> list[tuple[SourceFile, YNode]]:
        return self.views.compose_files

    @property
    def compose_services(self) -> list[ComposeService]:
        return self.views.compose_services

    @property
    def k8s_documents(self) -> list[tuple[SourceFile, YNode]]:
        return self.views.k8s_documents

    @property
    def workflows(self) -> list[tuple[SourceFile, YNode]]:
        return self.views.workflows

    @property
    def workflow_jobs(self) -> list[Workflow]:
        return self.views.workflow_jobs

    @property
    def procfile_entries(self) -> list[tuple[SourceFile, Entry]]:
        return self.views.procfile_entries

    @property
    def python(self) -> PythonIndex:
        return self.views.python

    @property
    def calls(self) -> CallIndex:
        return self.python.calls

    @cached_property
    def workloads(self) -> list[Workload]:
        return build_workloads(self)

    @cached_property
    def console_scripts(self) -> ConsoleScripts:
        """Commands the repository's packages install (`[project.scripts]`): console_scripts.py."""
        return ConsoleScripts(self.views)

    @cached_property
    def tasks(self) -> TaskRunners:
        """Named tasks of task runners (`task migrate`, `make migrate`): tasks.py."""
        return TaskRunners(self.views)

    # ---------------------------------------------------------------- processes (processes.py, gunicorn.py)

    @property
    def processes(self) -> list[Process]:
        return self.process_model.all

    def processes_of_dockerfile(self, path: str) -> list[Process]:
        """The processes whose image is built from the Dockerfile at `path`, in model order."""
        return self._processes_by_dockerfile.get(path, [])

    def built_process_of_node(self, node: object) -> Process | None:
        """The first process (in model order) of a compose service's or a workload's node whose image a Dockerfile
        of the repository builds: one index, not a pass over the processes per service."""
        return self._built_process_by_node.get(id(node))

    @cached_property
    def _built_process_by_node(self) -> dict[int, Process]:
        found: dict[int, Process] = {}
        for process in self.processes:
            if process.node is not None and process.dockerfile:
                found.setdefault(id(process.node), process)
        return found

    @cached_property
    def _processes_by_dockerfile(self) -> dict[str, list[Process]]:
        # Rules ask per Dockerfile (and per process): one pass instead of Dockerfiles x processes.
        index: dict[str, list[Process]] = {}
        for process in self.processes:
            if process.dockerfile:
                index.setdefault(process.dockerfile, []).append(process)
        return index

    def dockerfile_view(self, path: str) -> DockerfileView | None:
        """The parsed Dockerfile at `path`, when it is one the model read."""
        return self._dockerfile_views.get(path)

    @cached_property
    def _dockerfile_views(self) -> dict[str, DockerfileView]:
        views: dict[str, DockerfileView] = {}
        for source, view in self.dockerfiles:
            views.setdefault(source.path, view)
        return views

    def dockerfile_for(self, base_dir: str, context: str | None, dockerfile: str | None) -> SourceFile | None:
        return self.process_model.dockerfile_for(base_dir, context, dockerfile)

    def dockerfile_steps(self, source: SourceFile, view: DockerfileView, target: str | None,
                         command_override: tuple[list[SimpleCommand], SourceFile] | None = None,
                         override_argv: tuple[list[str], int] | None = None) -> list[Step]:
        return self.process_model.dockerfile_steps(source, view, target, command_override, override_argv)

    def workers(self, process: Process) -> Fact[int] | None:
        return self.process_model.workers(process)

    def gunicorn_config_for(self, call: ServerCall, step: Step) -> GunicornWorkers | None:
        return self.gunicorn.config_for(call, step)

    def gunicorn_config_path(self, call: ServerCall) -> tuple[str | None, bool]:
        return self.gunicorn.config_path(call)

    def gunicorn_setting(self, path: str, name: str) -> tuple[Value, Location] | None:
        return self.gunicorn.setting(path, name)

    # ---------------------------------------------------------------- databases (databases.py)

    @property
    def databases(self) -> list[DatabaseService]:
        return self.database_model.all

    def databases_of(self, unit: str) -> list[DatabaseService]:
        return self.database_model.of_unit(unit)

    def database_limit(self, unit: str) -> Fact[int]:
        return self.database_model.limit(unit)

    # ---------------------------------------------------------------- engines (engines.py)

    @property
    def engines(self) -> list[Engine]:
        return self.engine_model.all

    @property
    def configured_engines(self) -> list[Engine]:
        """`engines` and those built from a configuration dict (`engine_from_config`)."""
        return self.engine_model.configured

    def engines_for_app(self, app_ref: str | None) -> list[Engine]:
        return self.engine_model.for_app(app_ref)

    def pools_for_app(self, app_ref: str | None) -> list[Engine]:
        """The engines a server's app builds once per process and keeps (engines.py `kept_for_app`)."""
        return self.engine_model.kept_for_app(app_ref)
