"""The project's files and their parsed views, each parsed once and shared by every rule."""
from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from prodcheck.model.facts import PyFacts
from prodcheck.model.files import Context, FileKind
from prodcheck.parsing import ParseError
from prodcheck.parsing.dockerfile import DockerfileView
from prodcheck.parsing.dockerfile import parse as parse_dockerfile
from prodcheck.parsing.kinds import declared_kinds
from prodcheck.parsing.shell import SimpleCommand, split_script
from prodcheck.parsing.shell_functions import in_execution_order
from prodcheck.parsing.textfiles import Entry, parse_env, parse_ini, parse_procfile
from prodcheck.parsing.yaml import YNode, text_cannot_hold
from prodcheck.parsing.yaml_memo import documents
from prodcheck.project.compose_kind import refine_compose
from prodcheck.project.infra import ComposeService
from prodcheck.project.script_paths import FilesByPath
from prodcheck.project.python_index import PythonIndex
from prodcheck.project.sources import SourceFile

if TYPE_CHECKING:
    from prodcheck.project.helm_render import Rendering
    from prodcheck.project.workflows import Workflow

T = TypeVar("T")


class FileViews:
    """Files by path and kind; parsed views (Dockerfile, YAML documents, env, ini, scripts) built on
    first use and cached on the file; a file whose view fails to parse joins `parse_errors`."""

    def __init__(self, files: list[SourceFile], python_facts: dict[str, PyFacts], root: Path | None = None) -> None:
        self.root = root  # the scanned folder: no program found inside it is run (executables.py)
        self.files = files
        self.by_path = FilesByPath((f.path, f) for f in files)
        self.python_facts = python_facts
        self.parse_errors: list[SourceFile] = [f for f in files if f.error is not None]
        self._of_kind: dict[tuple[FileKind | str, ...], tuple[int, list[SourceFile]]] = {}
        # chart folder -> the values files deploy paths install it with (`helm upgrade -f`), in
        # order; filled by the deployment model before anything renders a chart.
        self.helm_values: dict[str, list[str]] = {}
        refine_compose(self)  # `deploy/compose/app.yml`: a Compose file by its contents

    def of_kind(self, *kinds: FileKind | str) -> list[SourceFile]:
        # Computed once per set of kinds (and again only after a view failed to parse a file).
        cached = self._of_kind.get(kinds)
        if cached is None or cached[0] != len(self.parse_errors):
            cached = (len(self.parse_errors), [f for f in self.files if f.kind in kinds and f.error is None])
            self._of_kind[kinds] = cached
        return list(cached[1])

    def context_of(self, path: str) -> Context:
        source = self.by_path.get(path)
        return source.context if source else Context.PROD

    def view(self, source: SourceFile, name: str, build: Callable[[], T]) -> T | None:
        if name not in source.views:
            try:
                source.views[name] = build()
            except ParseError as error:
                source.error = error
                source.views[name] = None
                if source not in self.parse_errors:
                    self.parse_errors.append(source)
        return source.views[name]  # type: ignore[return-value]  # each view is stored under its own name by its builder

    def parse_all(self) -> None:
        """Parse every file of a kind read whole (`_PARSERS`) and every YAML file that declares
        `apiVersion` and `kind`, once: the views stay cached on the sources."""
        for source in self.files:
            if source.error is None and (parse := _PARSERS.get(source.kind)) is not None:
                parse(self, source)
        self.k8s_documents  # noqa: B018 (the manifest test of the model, and their parse)
        declared = declared_kinds()
        for source in self.files:
            if source.error is None and source.kind in declared:
                self.parsed(source)

    def parsed(self, source: SourceFile) -> object | None:
        """The view of a file of a kind its parser module declares (`prodcheck.parsing.kinds`)."""
        kind = declared_kinds().get(source.kind)
        if kind is None:
            return None
        return self.view(source, f"declared:{kind.name}", lambda: kind.parse(source.path, source.text or ""))

    def toml(self, source: SourceFile) -> dict[str, Any] | None:
        """A TOML file's document (pyproject.toml): a file tools cannot read is PC000."""
        from prodcheck.parsing.toml import loads

        return self.view(source, "toml", lambda: loads(source.text or ""))

    def dockerfile(self, source: SourceFile) -> DockerfileView | None:
        view = self.view(source, "dockerfile", lambda: parse_dockerfile(source.path, source.text or ""))
        if view is not None and "_lines" not in source.views:
            source.views["_lines"] = view.lines  # the same `splitlines()` of the same text: one list, not two
        return view

    def yaml(self, source: SourceFile) -> list[YNode]:
        return self.view(source, "yaml", lambda: documents(source)) or []

    def env_entries(self, source: SourceFile) -> list[Entry]:
        return self.view(source, "env", lambda: parse_env(source.text or "")) or []

    def ini_entries(self, source: SourceFile) -> list[tuple[str, Entry]]:
        return self.view(source, "ini", lambda: parse_ini(source.text or "")) or []

    def script_steps(self, source: SourceFile) -> list[SimpleCommand]:
        # in the order the commands run: a function's body where the script calls it
        return self.view(source, "script", lambda: in_execution_order(split_script(source.text or ""),
                                                                      source.text or "")) or []

    @cached_property
    def dockerfiles(self) -> list[tuple[SourceFile, DockerfileView]]:
        return [(f, view) for f in self.of_kind(FileKind.DOCKERFILE) if (view := self.dockerfile(f)) is not None]

    @cached_property
    def compose_files(self) -> list[tuple[SourceFile, YNode]]:
        out = []
        for source in self.of_kind(FileKind.COMPOSE):
            for document in self.yaml(source)[:1]:
                if document.is_map:
                    out.append((source, document))
        return out

    @cached_property
    def compose_services(self) -> list[ComposeService]:
        services = []
        for source, document in self.compose_files:
            node = document.get("services")
            for key, value in node.items() if node is not None else []:
                if key.is_scalar and value.is_map:
                    services.append(ComposeService(source, str(key.value), value, key))
        return services

    @cached_property
    def k8s_documents(self) -> list[tuple[SourceFile, YNode]]:
        out = []
        rendered = self.helm.templates  # a chart's templates are read once, as rendered
        for source in self.of_kind(FileKind.YAML, FileKind.K8S):
            if "apiVersion" not in (source.text or "") or "kind" not in (source.text or ""):
                continue
            if source.path in rendered:
                continue
            if "{{" in (source.text or "") and "/templates/" in f"/{source.path}":
                continue  # Helm templates need rendering; their values are read elsewhere
            for document in self.yaml(source):
                if document.is_map and document.get("apiVersion") is not None and document.get("kind") is not None:
                    source.kind = FileKind.K8S
                    out.append((source, document))
        out.extend(self.helm.documents)  # charts rendered with their default values (helm_render.py)
        return out

    @cached_property
    def helm(self) -> Rendering:
        from prodcheck.project.helm_render import render_charts

        return render_charts(self)

    @cached_property
    def workflows(self) -> list[tuple[SourceFile, YNode]]:
        return [(s, d) for s in self.of_kind(FileKind.WORKFLOW) for d in self.yaml(s)[:1] if d.is_map]

    @cached_property
    def workflow_jobs(self) -> list[Workflow]:
        """Workflows as jobs and steps: needs, what each job tests, deploys or migrates."""
        from prodcheck.project.workflows import build_workflows

        return build_workflows(self.workflows)

    @cached_property
    def procfile_entries(self) -> list[tuple[SourceFile, Entry]]:
        return [(s, e) for s in self.of_kind(FileKind.PROCFILE) for e in parse_procfile(s.text or "")]

    @cached_property
    def python(self) -> PythonIndex:
        contexts = {path: self.context_of(path) for path in self.python_facts}
        unread = tuple(f.path for f in self.files if f.kind == FileKind.PYTHON and f.path not in self.python_facts)
        return PythonIndex(self.python_facts, contexts, unread)


def written_without(source: SourceFile, document: YNode, needle: str) -> bool:
    """No key or value of `document` holds `needle`, known from its file's text alone: the document is one the
    file's own text parsed into (`FileViews.yaml`; a rendered chart's documents are not), and that text cannot
    hold the needle (`text_cannot_hold`). A scan for the needle in every value can skip such a document."""
    text = source.text
    if text is None or not text_cannot_hold(text, needle):
        return False
    parsed = source.views.get("yaml")
    return isinstance(parsed, list) and any(item is document for item in parsed)


# The parser of each file kind whose files are read whole (YAML that may or may not be a manifest
# is parsed by `k8s_documents`, Helm charts, kustomizations and platform files by their models).
_PARSERS: dict[FileKind | str, Callable[[FileViews, SourceFile], object]] = {
    FileKind.DOCKERFILE: FileViews.dockerfile,
    FileKind.COMPOSE: FileViews.yaml,
    FileKind.WORKFLOW: FileViews.yaml,
    FileKind.ENV: FileViews.env_entries,
    FileKind.ALEMBIC_INI: FileViews.ini_entries,
    FileKind.SHELL: FileViews.script_steps,
    FileKind.PYPROJECT: FileViews.toml,
}
