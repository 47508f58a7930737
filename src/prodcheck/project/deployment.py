"""Which files production runs: the deployment model, built from evidence first and names second.

A platform engineer reads a repository by following what ships: the deploy workflows, Makefile
and script targets (`docker build -f`, docker/build-push-action `file:`, `docker compose -f a -f b
up`, `helm upgrade`, `kubectl apply -f`, `fly deploy`), the platform files (fly.toml, render.yaml,
railway, heroku.yml), and the Dockerfiles that production compose files build. Files those reach are
production. The marks of local use place the rest: compose files that bind-mount the source they
build, `develop: watch`, `*_dev` databases, nothing but local infrastructure, a `*.prod` sibling;
the Dockerfiles only such files build; folders of examples, load tests and tools
(knowledge/contexts.toml); a README that says the repository must not be deployed. A Dockerfile or
compose file nothing places while another one is placed in production is `ambiguous`.

The readers of deploy paths live in deploy_evidence.py. Every placement carries its reason, which
findings repeat (`context_reason`). Files the configuration pins (`production` / `development`
globs) are never moved.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from prodcheck.model.facts import PyFacts
from prodcheck.model.files import Context, FileKind
from prodcheck.parsing.dockerfile import DockerfileView, Stage, command_of
from prodcheck.project.compose_marks import development_base, local_image, project_name_context
from prodcheck.project.deploy_evidence import DeployEvidence, _join, _knowledge, _norm, _words
from prodcheck.project.installs import Installs, installed_requirements
from prodcheck.project.infra import (
    ComposeService, compose_env, image_repository, is_database_image, is_pooler_image, yaml_command,
)
from prodcheck.project.sources import SourceFile

if TYPE_CHECKING:
    from prodcheck.project.views import FileViews


_TEMPLATE_REASON = ("part of a project template (a `{{ }}` path): read as the project it generates, "
                    "where nothing says development or test")


@dataclass(frozen=True, slots=True)
class Placement:
    context: Context
    reason: str


class Deployment(DeployEvidence):
    """The deployment model: `placements` maps a path to its context and the reason for it."""

    def __init__(self, views: FileViews, pinned: frozenset[str] = frozenset(), root: Path | None = None) -> None:
        self.views = views
        self.root = root
        self.pinned = pinned
        self._prod: dict[str, str] = {}  # path -> why production runs it
        self._compose_prod_why: dict[str, str] = {}
        self.targets: dict[str, set[str]] = {}  # Dockerfile -> the stages deploy paths build (`--target`)
        # Dockerfile -> (the platform that runs its image, where that is said): an image tagged for a
        # platform's registry (`registry.heroku.com/...`) or pushed by the platform's CLI
        self.platform_images: dict[str, tuple[str, str]] = {}
        self._untargeted: set[str] = set()  # Dockerfiles a deploy path also builds whole (no `--target`)

    # ------------------------------------------------------------------ compose files and their marks

    @cached_property
    def _services_by_file(self) -> dict[str, list[ComposeService]]:
        out: dict[str, list[ComposeService]] = {}
        for service in self.views.compose_services:
            out.setdefault(service.file.path, []).append(service)
        return out

    def _built_dockerfile(self, service: ComposeService) -> str | None:
        build = service.node.get("build")
        if build is None:
            return None
        base = posixpath.dirname(service.file.path)
        if build.is_scalar:
            return self._dockerfile_at(_join(_join(base, build.as_str() or "."), "Dockerfile"))
        context_node, file_node = build.get("context"), build.get("dockerfile")
        context = _join(base, (context_node.as_str() or ".") if context_node is not None else ".")
        return self._dockerfile_at(_join(context, (file_node.as_str() or "Dockerfile") if file_node is not None else "Dockerfile"))

    def _build_context(self, service: ComposeService) -> str | None:
        build = service.node.get("build")
        if build is None:
            return None
        base = posixpath.dirname(service.file.path)
        if build.is_scalar:
            return _join(base, build.as_str() or ".")
        context_node = build.get("context")
        return _join(base, (context_node.as_str() or ".") if context_node is not None else ".")

    def _is_source_dir(self, folder: str) -> bool:
        prefix = f"{folder}/" if folder else ""
        return any(p.startswith(prefix) and p.endswith(".py") for p in self.views.python_facts)

    def _local_marks(self, path: str) -> list[str]:
        """The marks of local use in one compose file, as reasons."""
        knowledge = _knowledge()["compose"]
        services = self._services_by_file.get(path, [])
        marks: list[str] = []
        base = posixpath.dirname(path)
        reload_words = knowledge["reload_words"]
        dev_database = re.compile(knowledge["dev_database"], re.I)
        local_images = set(knowledge["local_images"])
        for service in services:
            line = service.key.span.line
            if service.node.get("develop") is not None:
                marks.append(f"service `{service.name}` has `develop: watch` ({path}:{line})")
            context = self._build_context(service)
            volumes = service.node.get("volumes")
            mounted_source = None
            for volume in volumes.list() if volumes is not None and volumes.is_seq else []:
                host = None
                if volume.is_scalar:
                    text = volume.as_str() or ""
                    if ":" in text and text.startswith((".", "/", "$")):
                        host = text.split(":", 1)[0]
                elif volume.is_map:
                    kind, source_node = volume.get("type"), volume.get("source")
                    if kind is not None and kind.as_str() == "bind" and source_node is not None:
                        host = source_node.as_str()
                if not host or not host.startswith("."):
                    continue
                folder = _join(base, host)
                if folder in self.views.by_path:
                    continue  # a single file (a config), not the source
                if (context is not None and (folder == context or context.startswith(f"{folder}/") if folder else True)) \
                        or self._is_source_dir(folder):
                    mounted_source = f"service `{service.name}` bind-mounts the source `{host}` ({path}:{volume.span.line})"
                    break
            image = local_image(service)
            if image is not None:
                marks.append(f"service `{service.name}` runs `{image}`, an image tagged for local use that it does not build "
                             f"({path}:{line})")
            commands = " ".join(str(c) for key in ("command", "entrypoint")
                                if (node := service.node.get(key)) is not None for c in yaml_command(node))
            reloads = [w for w in reload_words if w in commands]
            if mounted_source:
                marks.append(mounted_source + (f" and runs `{reloads[0]}`" if reloads else ""))
            for key, value in compose_env(service.node.get("environment")).items():
                text = value.as_str() or ""
                database = text.rsplit("/", 1)[-1].split("?", 1)[0] if "://" in text else text
                if (key.endswith(("_DB", "_DATABASE", "DB_NAME", "_URL", "_DSN")) or "DATABASE" in key) and database \
                        and dev_database.search(database):
                    marks.append(f"service `{service.name}` uses the development database `{database}` ({path}:{value.span.line})")
                    break
        own = [s for s in services if s.node.get("build") is not None or not self._backing(s.image, local_images)]
        if services and not own:
            marks.append(f"{path} runs only local infrastructure ({', '.join(s.name for s in services[:4])}), none of the project's own images")
        return marks

    @staticmethod
    def _backing(image: str | None, local_images: set[str]) -> bool:
        if not image:
            return False
        return is_database_image(image) or is_pooler_image(image) or image_repository(image) in local_images

    # ------------------------------------------------------------------ names

    def _prod_sibling(self, source: SourceFile) -> str | None:
        """`Dockerfile.prod` beside `Dockerfile`, `docker-compose.prod.yml` beside `docker-compose.yml`."""
        folder, name = posixpath.split(source.path)
        prod_words = _knowledge()["names"]["prod_words"]
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
        normal = _norm(folder) == folder  # then joining one plain name needs no normpath per candidate
        for candidate in candidates:
            path = (f"{folder}/{candidate}" if folder else candidate) if normal else _join(folder, candidate)
            if path in by_path:
                return path
        return None

    def _folder_word(self, source: SourceFile) -> Placement | None:
        folders = _knowledge()["folders"]
        deployment_kind = source.kind in {FileKind.DOCKERFILE, FileKind.COMPOSE, FileKind.K8S, FileKind.YAML,
                                          FileKind.SHELL, FileKind.PROCFILE, FileKind.PLATFORM, FileKind.ENV}
        parts = source.path.split("/")[:-1]
        for index, part in enumerate(parts):
            lowered = part.lower()
            for context, table in ((Context.DEV, folders["dev"]), (Context.TEST, folders["test"])):
                words = set(table["any"]) | (set(table["deployment"]) if deployment_kind else set())
                if lowered in words:
                    folder = "/".join(parts[: index + 1])
                    return Placement(context, f"under `{folder}/`, a folder of {'examples and tools' if context == Context.DEV else 'test rigs'}")
            if any(w in folders["test"]["rig_words"] for w in _words(part)) and not self._in_package(parts[:index]):
                folder = "/".join(parts[: index + 1])
                return Placement(Context.TEST, f"under `{folder}/`, a folder of evaluation or benchmark rigs "
                                 "(not a sub-package of the application)")
        name = source.path.rsplit("/", 1)[-1]
        if not name.endswith(".py") and "testing" in _words(name):
            return Placement(Context.TEST, f"its name `{name}` says testing")
        if source.kind in {FileKind.COMPOSE, FileKind.DOCKERFILE} \
                and any(w in _knowledge()["names"]["test_stack_words"] for w in _words(name)):
            return Placement(Context.TEST, f"its name `{name}` says integration tests: the stack CI brings up")
        return None

    def _unrendered_chart_files(self) -> dict[str, Placement]:
        """YAML files of a Helm chart that Helm never installs: outside `templates/` and `charts/`, not the
        chart's values or metadata, and not read by a template's `.Files.Get`/`.Files.Glob` (a
        `templates_disabled/` folder, manifests kept beside the chart). https://helm.sh/docs/topics/charts/"""
        charts = [posixpath.dirname(p) for p in self.views.by_path if posixpath.basename(p) == "Chart.yaml"]
        out: dict[str, Placement] = {}
        for chart in charts:
            prefix = f"{chart}/" if chart else ""
            files_text = " ".join(s.text or "" for p, s in self.views.by_path.items()
                                  if p.startswith(f"{prefix}templates/") and ".Files." in (s.text or ""))
            for path, source in self.views.by_path.items():
                if not path.startswith(prefix) or source.kind not in {FileKind.K8S, FileKind.YAML}:
                    continue
                relative = path[len(prefix):]
                top, _, rest = relative.partition("/")
                if not rest or top in {"templates", "charts"} or top in files_text \
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
        """A Python module importing a test framework or test client (knowledge/contexts.toml)."""
        facts = self.views.python_facts.get(source.path)
        if facts is None:
            return None
        modules = _knowledge()["test_imports"]["modules"]
        for _, target in facts.imports:
            for module in modules:
                if target == module or target.startswith(module + "."):
                    return Placement(Context.TEST, f"it imports `{module}`: test support")
        return None

    @cached_property
    def _sample_repository(self) -> str | None:
        for name in ("README.md", "README.rst", "README.txt", "README", "readme.md"):
            text = _read_readme(self.root, name) if self.root is not None else None
            if not text:
                continue
            text = " ".join(text.split()).lower()
            for pattern in _knowledge()["readme"]["not_for_production"]:
                match = re.search(pattern, text)
                if match:
                    return f"the README says \"{match.group(0)}\""
        return None

    # ------------------------------------------------------------------ the model

    @cached_property
    def placements(self) -> dict[str, Placement]:
        self._from_workflows()
        self._from_task_files()
        self._from_platforms()
        evidence = set(self._prod)  # what deploy paths and platform files reach, before compose closure
        views = self.views
        out: dict[str, Placement] = {}

        # compose files: evidence, then a prod name, then the marks of local use
        compose_files = [s for s in views.of_kind(FileKind.COMPOSE)]
        prod_compose: dict[str, str] = {}
        documents = {source.path: document for source, document in views.compose_files}
        for source in compose_files:
            if source.path in self._prod:
                prod_compose[source.path] = self._prod[source.path]
            elif source.context == Context.PROD and any(w in {"prod", "production"} for w in _words(posixpath.basename(source.path))):
                prod_compose[source.path] = f"its name `{posixpath.basename(source.path)}` says production"
        for source in compose_files:
            if source.path in prod_compose:
                out[source.path] = Placement(Context.PROD, prod_compose[source.path])
                continue
            if source.context != Context.PROD:
                continue
            named = project_name_context(documents[source.path]) if source.path in documents else None
            if named is not None:
                out[source.path] = Placement(named[0], f"its compose project name `{named[1]}` says "
                                             f"{'test' if named[0] == Context.TEST else 'development or a sample'}")
                continue
            marks = self._local_marks(source.path)
            # A production sibling by name alone is not enough: a base file that a `.prod` overlay extends,
            # or a default configuration beside a hardened one (onyx), still runs in production. Only a
            # deploy path that names other compose files makes an unnamed one ambiguous.
            deployed = sorted(p for p in prod_compose if p in self._compose_prod_why)
            if marks:
                out[source.path] = Placement(Context.DEV, "local development: " + "; ".join(marks[:2]))
            elif "{{" in source.path:
                out[source.path] = Placement(Context.PROD, _TEMPLATE_REASON)
            elif deployed:
                out[source.path] = Placement(Context.AMBIGUOUS, "no deploy path reaches it, while "
                                             f"{deployed[0]} is the compose file production deploys")

        self._place_overlays(compose_files, out)

        # Dockerfiles: what production builds, what only development compose files build
        built_by: dict[str, list[tuple[str, str]]] = {}
        for service in views.compose_services:
            dockerfile = self._built_dockerfile(service)
            if dockerfile is not None:
                built_by.setdefault(dockerfile, []).append((service.file.path, service.name))
        for dockerfile, users in built_by.items():
            for compose, name in users:
                placement = out.get(compose)
                context = placement.context if placement is not None else views.by_path[compose].context
                if context == Context.PROD and dockerfile not in self._prod:
                    self._prod[dockerfile] = f"built by service `{name}` of {compose}" + (
                        " (production compose file)" if compose in prod_compose else "")
        prod_dockerfiles = {p for p in self._prod if (s := views.by_path.get(p)) is not None and s.kind == FileKind.DOCKERFILE}
        prod_texts = {views.by_path[p].text: p for p in sorted(prod_dockerfiles) if views.by_path[p].text}
        for source in views.of_kind(FileKind.DOCKERFILE):
            if source.path in self._prod:
                out[source.path] = Placement(Context.PROD, self._prod[source.path])
                continue
            if source.context != Context.PROD:
                continue
            sibling = self._prod_sibling(source)
            twin = prod_texts.get(source.text) if source.text else None
            users = built_by.get(source.path, [])
            if sibling:
                out[source.path] = Placement(Context.DEV, f"{sibling} beside it is the production image")
            elif twin is not None:  # a link to (or a copy of) the production Dockerfile
                out[source.path] = Placement(Context.PROD, f"the same file as {twin}: {self._prod[twin]}")
            elif users and not _has_command(views.dockerfile(source)):
                out[source.path] = Placement(Context.DEV, f"built only by {users[0][0]}, a development compose file, "
                                             "and it has no command of its own")
            elif users and not prod_dockerfiles:
                out[source.path] = Placement(Context.PROD, f"the project's only image of its own: {users[0][0]} "
                                             "builds it for development, and it runs on its own")
            elif "{{" in source.path:
                out[source.path] = Placement(Context.PROD, _TEMPLATE_REASON)
            elif prod_dockerfiles:
                out[source.path] = Placement(Context.AMBIGUOUS, "no deploy path builds it, while "
                                             f"{sorted(prod_dockerfiles)[0]} is built for production")

        self._drop_cache_targets()

        # everything else a deploy command names (charts, manifests, fly.toml)
        for path, why in self._prod.items():
            if path not in out and path in views.by_path:
                out[path] = Placement(Context.PROD, why)

        # folders of examples, tools and test rigs; sample repositories
        sample = self._sample_repository
        unrendered = self._unrendered_chart_files()
        for source in views.files:
            if source.path in evidence or source.context != Context.PROD:
                continue
            word = unrendered.get(source.path) or self._folder_word(source) or self._test_support(source)
            if word is not None:
                out[source.path] = word
            elif sample is not None:
                out[source.path] = Placement(Context.DEV, f"a sample repository: {sample}")
            elif (uninstalled := self._uninstalled(source)) is not None:
                out[source.path] = uninstalled
        return {path: placement for path, placement in out.items() if path not in self.pinned}

    def _place_overlays(self, compose_files: list[SourceFile], out: dict[str, Placement]) -> None:
        """An overlay whose own usage comment layers it onto development compose files only is development."""
        for source in compose_files:
            if source.path not in out and source.context == Context.PROD:
                base = development_base(source, self._services_by_file.get(source.path, []), self.views.by_path,
                                        lambda p: out[p].context if p in out else self.views.by_path[p].context)
                if base is not None:
                    out[source.path] = Placement(Context.DEV, f"an overlay its usage layers onto {base[0]} "
                                                 f"({source.path}:{base[1]}), a development compose file")

    def _drop_cache_targets(self) -> None:
        """`docker build --target builder -t app-builder` beside `docker build -t app` of the same file warms
        the cache of a build stage: the image that runs is the whole build, and a stage a later one builds
        from (`FROM builder`, `COPY --from=builder`) is not what serves."""
        for dockerfile in self._untargeted & set(self.targets):
            text = self.views.by_path[dockerfile].text or ""
            kept = {t for t in self.targets[dockerfile] if not re.search(
                rf"(?im)^\s*(?:FROM\s+{re.escape(t)}(?:\s|$)|COPY\s.*--from={re.escape(t)}(?:\s|$))", text)}
            if kept:
                self.targets[dockerfile] = kept
            else:
                del self.targets[dockerfile]

    def apply(self) -> None:
        """Move each file the model places to its context; keep the reason for findings."""
        for path, placement in self.placements.items():
            source = self.views.by_path.get(path)
            if source is not None:
                source.context = placement.context
                source.context_reason = placement.reason


def platform_ignores_healthcheck(platform: str) -> bool:
    return platform in _knowledge()["platforms"]["ignore_healthcheck"]["names"]


def _has_command(view: DockerfileView | None) -> bool:
    stage = view.stage(None) if view is not None else None
    return stage is not None and (view.effective(stage, "CMD") is not None  # type: ignore[union-attr]  # view set with stage
                                  or view.effective(stage, "ENTRYPOINT") is not None)  # type: ignore[union-attr]


def _read_readme(root: Path, name: str) -> str | None:
    """The first 20 kB of a root README: a regular file inside the root, never through a link."""
    from prodcheck.project.sources import root_text

    return root_text(root, name)


_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+")
_SETTINGS_CLASS = ("config", "settings", "configuration")


def image_purpose(view: DockerfileView, stage: Stage) -> str | None:
    """Why an image stage is not a long-running service, or None when it is one: an AWS Lambda
    function (the Lambda runtime runs it), or a build step whose command only copies or bundles."""
    images = _knowledge()["images"]
    base = view.base_image(stage).lower()
    if base.startswith(tuple(images["function_bases"])):
        return f"an AWS Lambda function image (`FROM {base}`): the Lambda runtime runs it, not a container of its own"
    commands = [c for keyword in ("ENTRYPOINT", "CMD") if (i := view.effective(stage, keyword)) is not None
                for c in command_of(i) if c.argv]
    if commands and all(c.program in images["build_programs"] for c in commands):
        return f"a build step: its command only copies or bundles files (`{commands[0]}`)"
    return None


def settings_class_context(facts: PyFacts | None, line: int) -> Placement | None:
    """A line inside a settings class named for tests or development (`TestConfig`,
    `DevelopmentSettings`, `LocalConfig`): the environment that class configures is not production."""
    if facts is None:
        return None
    found = None
    for klass in facts.classes:
        span = klass.span
        if not span.line <= line <= max(span.end_line, span.line):
            continue
        name = klass.qualname.rsplit(".", 1)[-1]
        words = [w.lower() for w in _CAMEL.findall(name)]
        if not words or words[-1] not in _SETTINGS_CLASS:
            continue
        if any(w in {"test", "tests", "testing"} for w in words):
            found = Placement(Context.TEST, f"inside `{name}`, the settings of the test environment")
        elif any(w in {"dev", "development", "local", "debug"} for w in words):
            found = Placement(Context.DEV, f"inside `{name}`, the settings of a development environment")
    return found
