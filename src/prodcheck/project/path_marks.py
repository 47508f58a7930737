"""Where no deploy path places a file, its path and its neighbours do: a `*.prod` sibling, folders of
examples, tools and test rigs (knowledge/contexts.toml), chart files Helm never renders, requirements no
image installs (installs.py), test support, a README or a Dockerfile's or compose file's own header comment
that says it is not for production, a script whose server command sets the environment to development.
`PathMarks` extends the compose marks (compose_marks.py); the model (deployment.py) extends it.
"""
from __future__ import annotations

import posixpath
import re
from functools import cache, cached_property
from pathlib import Path

from prodcheck.extract.servers import server_call
from prodcheck.model.files import Context, FileKind
from prodcheck.project.compose_marks import LocalMarks, dev_setting
from prodcheck.project.ci_words import contexts_knowledge, lower_words
from prodcheck.project.installs import Installs, installed_requirements
from prodcheck.project.local_clusters import local_cluster_files
from prodcheck.project.sources import SourceFile
from prodcheck.model.record import record
from prodcheck.lazy_pattern import lazy


@cache
def _test_modules() -> tuple[tuple[str, ...], frozenset[str], tuple[str, ...]]:
    """knowledge/contexts.toml [test_imports] modules: in the table's order, as a set, and as the prefixes of their
    submodules."""
    modules = tuple(str(module) for module in contexts_knowledge()["test_imports"]["modules"])
    return modules, frozenset(modules), tuple(f"{module}." for module in modules)


def _test_import(imports: tuple[tuple[str, str], ...]) -> str | None:
    """The test framework or test client among a file's imports (knowledge/contexts.toml [test_imports]), or None:
    the first import that is one (a set and one `startswith` of every prefix decide it for each import, 52,000 on
    the cold bench corpus), as the first module of the table it is."""
    modules, exact, prefixes = _test_modules()
    for _, target in imports:
        if target in exact or target.startswith(prefixes):
            return next(module for module in modules if target == module or target.startswith(f"{module}."))
    return None


@record
class Placement:
    context: Context
    reason: str


class PathMarks(LocalMarks):
    """The marks of a file's path, its neighbours and its own header, as placements."""

    root: Path | None

    def _prod_sibling(self, source: SourceFile) -> str | None:
        """`Dockerfile.prod` beside `Dockerfile`, `docker-compose.prod.yml` beside `docker-compose.yml`."""
        folder, name = posixpath.split(source.path)
        prod_words = contexts_knowledge()["names"]["prod_words"]
        if source.kind == FileKind.DOCKERFILE:
            if name not in {"Dockerfile", "Containerfile"}:
                return None
            candidates = [f"{name}.{w}" for w in prod_words] + [f"{w}.{name}" for w in prod_words] + \
                [f"{name}-{w}" for w in prod_words] + [f"{name}_{w}" for w in prod_words]
        elif source.kind == FileKind.COMPOSE:
            stem, _dot, extension = name.rpartition(".")
            if stem not in {"docker-compose", "compose"}:
                return None
            candidates = [f"{stem}{sep}{w}.{extension}" for w in prod_words for sep in (".", "-", "_")]
        else:
            return None
        by_path = self.views.by_path
        for candidate in candidates:
            # the folder of a discovered path is a plain relative POSIX path: no normalising (which strips
            # the spaces and quotes a folder name may hold, and so missed the sibling there)
            path = f"{folder}/{candidate}" if folder else candidate
            if path in by_path:
                return path
        return None

    def prod_named_dockerfile(self, source: SourceFile, built_by_dev: set[str]) -> str | None:
        """Another Dockerfile of the repository named as the production variant (`Dockerfile.prod`, in any folder)
        that no development compose file builds (`built_by_dev`): the image production runs, where `source` is
        built only by the local stack."""
        prod_words = contexts_knowledge()["names"]["prod_words"]
        names = {f"{base}{sep}{word}" for base in ("Dockerfile", "Containerfile") for word in prod_words
                 for sep in (".", "-", "_")} | {f"{word}.Dockerfile" for word in prod_words}
        for other in self.views.of_kind(FileKind.DOCKERFILE):
            if other.path != source.path and posixpath.basename(other.path) in names and other.path not in built_by_dev:
                return other.path
        return None

    def _folder_word(self, source: SourceFile) -> Placement | None:
        deployment_kind = source.kind in _DEPLOYMENT_KINDS
        folder = source.path.rpartition("/")[0]
        # Files share their folders: each folder's marks are read once per kind of file (7,000
        # manifests in four folders asked the same question 7,000 times).
        key = (folder, deployment_kind)
        marks = self._folder_marks
        if key not in marks:
            marks[key] = self._folder_mark(folder.split("/") if folder else [], deployment_kind)
        if marks[key] is not None:
            return marks[key]
        name = source.path.rsplit("/", 1)[-1]
        words = lower_words(name)
        if not name.endswith(".py") and "testing" in words:
            return Placement(Context.TEST, f"its name `{name}` says testing")
        if source.kind in {FileKind.COMPOSE, FileKind.DOCKERFILE} \
                and any(w in contexts_knowledge()["names"]["test_stack_words"] for w in words):
            return Placement(Context.TEST, f"its name `{name}` says integration tests: the stack CI brings up")
        return None

    @cached_property
    def _folder_marks(self) -> dict[tuple[str, bool], Placement | None]:
        return {}

    @cached_property
    def _folder_words(self) -> dict[bool, tuple[tuple[Context, frozenset[str]], ...]]:
        """The folder names of each context (knowledge/contexts.toml [folders]), for files of a
        deployment kind (True) and the others."""
        folders = contexts_knowledge()["folders"]
        return {deployment: tuple((context, frozenset(table["any"]) | (frozenset(table["deployment"]) if deployment
                                                                        else frozenset()))
                                  for context, table in ((Context.DEV, folders["dev"]), (Context.TEST, folders["test"])))
                for deployment in (False, True)}

    def _folder_mark(self, parts: list[str], deployment_kind: bool) -> Placement | None:
        """The first folder of `parts` (a file's folders, outermost first) that marks what it holds as
        examples, tools, scratch work or test rigs."""
        folders = contexts_knowledge()["folders"]
        for index, part in enumerate(parts):
            lowered = part.lower()
            for context, words in self._folder_words[deployment_kind]:
                if lowered in words:
                    folder = "/".join(parts[: index + 1])
                    return Placement(context, f"under `{folder}/`, a folder of {'examples and tools' if context == Context.DEV else 'test rigs'}")
            if lowered in folders["dev"]["assistants"]:
                folder = "/".join(parts[: index + 1])
                return Placement(Context.DEV, f"under `{folder}/`, an AI coding assistant's folder (its skills and scripts "
                                 "serve the developers)")
            if lowered in folders["dev"]["scratch"] and not any(self._in_package(parts[:end]) for end in range(1, index + 2)):
                folder = "/".join(parts[: index + 1])
                return Placement(Context.DEV, f"under `{folder}/`, a scratch folder outside the application's packages")
            words = lower_words(part)
            # outside the packages: no folder above it is one (the folder itself may be: agno's top-level
            # `cookbook/__init__.py` makes its recipes importable as `cookbook.x`, not part of the application)
            if words and words[-1] in folders["dev"]["documentation"] \
                    and not any(self._in_package(parts[:end]) for end in range(1, index + 1)):
                folder = "/".join(parts[: index + 1])
                return Placement(Context.DEV, f"under `{folder}/`, a documentation folder outside the application's "
                                 "packages")
            if any(w in folders["test"]["rig_words"] for w in words) and not self._in_package(parts[:index]):
                folder = "/".join(parts[: index + 1])
                return Placement(Context.TEST, f"under `{folder}/`, a folder of evaluation or benchmark rigs "
                                 "(not a sub-package of the application)")
        return None

    def _unrendered_chart_files(self) -> dict[str, Placement]:
        """YAML files of a Helm chart that Helm never installs: outside `templates/` and `charts/`, not the
        chart's values or metadata, and not read by a template's `.Files.Get`/`.Files.Glob` (a
        `templates_disabled/` folder, manifests kept beside the chart). https://helm.sh/docs/topics/charts/"""
        charts = [posixpath.dirname(p) for p in self.views.by_path if posixpath.basename(p) == "Chart.yaml"]
        out: dict[str, Placement] = {}
        for chart in charts:
            prefix = f"{chart}/" if chart else ""
            reading = [s.text or "" for p, s in self.views.by_path.items()
                       if p.startswith(f"{prefix}templates/") and ".Files." in (s.text or "")]
            for path, source in self.views.by_path.items():
                if not path.startswith(prefix) or source.kind not in {FileKind.K8S, FileKind.YAML}:
                    continue
                relative = path[len(prefix):]
                top, _, rest = relative.partition("/")
                if not rest or top in {"templates", "charts"} or any(top in text for text in reading) \
                        or any(c != chart and path.startswith(f"{c}/") and len(c) > len(chart) for c in charts):
                    continue  # the chart's own files, what a template reads, or a nested chart's file
                out[path] = Placement(Context.DEV, f"in the Helm chart `{chart or '.'}` but outside `templates/`: "
                                      "Helm never renders or installs it")
        return out

    @cached_property
    def _installs(self) -> Installs:
        return installed_requirements(self.views.files, self.views.dockerfiles)

    def _uninstalled(self, source: SourceFile) -> Placement | None:
        """A requirements file no image installs while images install others (project/installs.py)."""
        if source.kind != FileKind.REQUIREMENTS or source.path.endswith(".in") \
                or self._in_package(source.path.split("/")[:-1]):
            # a pip-compile input is installed through the file compiled from it; beside an `__init__.py`: the
            # requirements of a package, deployed by means the repository may not show
            return None
        why = self._installs.uninstalled(source.path)
        return Placement(Context.AMBIGUOUS, why) if why is not None else None

    def _in_package(self, parts: list[str]) -> bool:
        """The folder `parts` is a Python package (it has an `__init__.py`)."""
        return bool(parts) and "/".join([*parts, "__init__.py"]) in self.views.by_path

    def _test_support(self, source: SourceFile) -> Placement | None:
        """A Python module importing a test framework or test client (knowledge/contexts.toml), unless a module of
        the application imports it: `lib/db.py` importing pytest for a guard (`pytest.exit(...)` when a test session
        points at the live database) is still the database layer `api/main.py` imports."""
        facts = self.views.python_facts.get(source.path)
        if facts is None:
            return None
        module = _test_import(facts.imports)
        if module is None or facts.module in self._imported_by_application:
            return None
        return Placement(Context.TEST, f"it imports `{module}`: test support")

    @cached_property
    def _imported_by_application(self) -> frozenset[str]:
        """The modules (`lib.db`, and its tail `db`, as a file's module name may be either) that a Python file
        neither in a test path nor importing a test framework imports."""
        imported: set[str] = set()
        for path, facts in self.views.python_facts.items():
            source = self.views.by_path.get(path)
            if source is None or source.context == Context.TEST or _test_import(facts.imports) is not None:
                continue
            for name in facts.imported_modules:
                parts = name.split(".")
                imported.update(".".join(parts[i:]) for i in range(len(parts)))
        return frozenset(imported)

    @cached_property
    def _sample_repository(self) -> str | None:
        for name in ("README.md", "README.rst", "README.txt", "README", "readme.md"):
            text = _read_readme(self.root, name) if self.root is not None else None
            if not text:
                continue
            text = " ".join(text.split()).lower()
            for pattern in contexts_knowledge()["readme"]["not_for_production"]:
                match = re.search(pattern, text)
                if match:
                    return f"the README says \"{match.group(0)}\""
        return None

    def _self_described(self, source: SourceFile) -> Placement | None:
        """A Dockerfile or compose file whose leading comment says production never runs it (`# This image is
        for development/model-training and will not be deployed on production machines`): the README's
        sentences (knowledge/contexts.toml [readme]) and those of [headers], read in the comment block that
        opens the file."""
        if source.kind not in {FileKind.DOCKERFILE, FileKind.COMPOSE} or not source.text \
                or _OPENS_WITH_COMMENT.match(source.text) is None:
            return None  # its first line with anything on it is no comment: no block to read
        head: list[str] = []
        # The lines of the file's head alone (most files are not read by line again): when the head holds more
        # than _HEADER_LINES lines, the first of them are the file's own (their ends are all inside the head).
        text = source.text or ""
        lines = text[:_HEADER_CHARS].splitlines()
        if len(text) > _HEADER_CHARS and len(lines) <= _HEADER_LINES:
            lines = source.lines
        for line in lines[:_HEADER_LINES]:
            stripped = line.strip()
            if stripped.startswith("#"):
                head.append(stripped.lstrip("#"))
            elif stripped:
                break
        text = " ".join(" ".join(head).split()).lower()
        if not text:
            return None
        for pattern, literal in _header_patterns():
            if literal is not None and literal not in text:
                continue  # every match holds it
            match = pattern.search(text)
            if match:
                return Placement(Context.DEV, f"its own header comment says \"{match.group(0)}\"")
        return None

    @cached_property
    def _example_folders(self) -> dict[str, str]:
        """Top-level folders whose own README opens by calling the folder an example, a sample or a demo
        (gpt-researcher's `deep_agents/README.md`: "This example uses LangChain's Deep Agents ..."), with the
        reason; a folder a deploy path reaches into is never one."""
        if self.root is None:
            return {}
        pattern = re.compile(contexts_knowledge()["readme"]["folder_is_example"])
        reached = {path.split("/", 1)[0] for path in self._prod}
        out: dict[str, str] = {}
        for folder in sorted({path.split("/", 1)[0] for path in self.views.by_path if "/" in path} - reached):
            if folder.startswith("."):
                continue
            text = _read_readme(self.root, f"{folder}/README.md")
            paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text or "") if p.strip()
                          and not p.lstrip().startswith(("#", "!", "[", "<", "|", "`", "-", ">", "="))]
            match = pattern.match(paragraphs[0].lower()) if paragraphs else None
            if match:
                out[folder] = f"its folder's README opens \"{paragraphs[0][:60]}\": an example, not what production runs"
        return out

    def _development_runner(self, source: SourceFile) -> Placement | None:
        """A shell script whose server command sets the application's environment to development
        (`ENVIRONMENT=DEVELOPMENT gunicorn ... --reload`, knowledge/contexts.toml [scripts]): a developer's runner."""
        if source.kind != FileKind.SHELL:
            return None
        for command in self.views.script_steps(source):
            if server_call(command) is None:
                continue
            for name, value in command.env:
                if dev_setting(name, value):
                    return Placement(Context.DEV, f"local development: its server command sets `{name}={value}` "
                                     f"({source.path}:{command.line})")
        return None

    @cached_property
    def _local_cluster_files(self) -> dict[str, str]:
        return local_cluster_files(self.views)

    def _local_cluster_manifest(self, source: SourceFile) -> Placement | None:
        why = self._local_cluster_files.get(source.path) if source.kind in {FileKind.K8S, FileKind.YAML} else None
        return Placement(Context.DEV, why) if why is not None else None

    def _example_folder(self, source: SourceFile) -> Placement | None:
        """A file other than Python code (requirements, images, manifests) in an example folder."""
        if source.kind == FileKind.PYTHON or "/" not in source.path:
            return None
        why = self._example_folders.get(source.path.split("/", 1)[0])
        return Placement(Context.DEV, why) if why is not None else None


_DEPLOYMENT_KINDS = frozenset({FileKind.DOCKERFILE, FileKind.COMPOSE, FileKind.K8S, FileKind.YAML, FileKind.SHELL,
                               FileKind.PROCFILE, FileKind.PLATFORM, FileKind.ENV})
_HEADER_LINES = 40  # the comment block that opens a file, at most this many lines
_HEADER_CHARS = 4096  # the head split into lines for it (the whole file when its first 40 lines reach past it)
# The first character of a file that is not whitespace (`str.isspace`, what `strip` removes) is a `#`.
_OPENS_WITH_COMMENT = lazy(r"\s*#")


def _read_readme(root: Path, name: str) -> str | None:
    """The first 20 kB of a root README: a regular file inside the root, never through a link."""
    from prodcheck.project.sources import root_text

    return root_text(root, name)


@cache
def _header_patterns() -> tuple[tuple[re.Pattern[str], str | None], ...]:
    """The sentences of knowledge/contexts.toml [readme] and [headers] that say production never runs a file,
    compiled once per run (every Dockerfile and compose file with a leading comment asks all of them), each with
    a text every match of it holds (`required_literal`): a header without it is not searched."""
    knowledge = contexts_knowledge()
    return tuple((re.compile(pattern), required_literal(pattern))
                 for pattern in (*knowledge["readme"]["not_for_production"],
                                 *knowledge["headers"]["not_for_production"]))


def required_literal(pattern: str) -> str | None:
    """The longest run of plain characters in the pattern's top-level sequence: every match holds it (the
    sequence is matched in order, and a run of literals only by itself). None when there is none (a top-level
    alternation, a pattern that ignores case: then nothing is required literally)."""
    from importlib import import_module

    try:
        constants, parser = import_module("re._constants"), import_module("re._parser")  # the `re` module's own parser
        parsed = parser.parse(pattern)
    except (ImportError, AttributeError):  # pragma: no cover - an interpreter whose `re` is laid out otherwise
        return None  # nothing required: every header is searched, as before
    if parsed.state.flags & re.IGNORECASE:
        return None
    runs: list[str] = []
    current = ""
    for op, argument in parsed:
        if op is constants.LITERAL:
            current += chr(argument)
            continue
        runs.append(current)
        current = ""
    runs.append(current)
    longest = max(runs, key=len)
    return longest or None
