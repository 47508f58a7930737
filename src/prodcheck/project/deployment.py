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

Every placement carries its reason, which findings repeat (`context_reason`). Files the
configuration pins (`production` / `development` globs) are never moved.
"""
from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prodcheck.knowledge import load
from prodcheck.model.facts import PyFacts
from prodcheck.model.files import Context, FileKind
from prodcheck.parsing import ParseError
from prodcheck.parsing.dockerfile import DockerfileView, Stage, command_of
from prodcheck.parsing.nesting import check_depth
from prodcheck.parsing.shell import SimpleCommand, split_script
from prodcheck.parsing.toml import loads as toml_loads
from prodcheck.parsing.yaml import YNode
from prodcheck.project.infra import (
    ComposeService, compose_env, image_repository, is_database_image, is_pooler_image, yaml_command,
)
from prodcheck.project.sources import SourceFile

if TYPE_CHECKING:
    from prodcheck.project.views import FileViews

# Which options of `docker build` and `docker compose` take a value, which compose verbs ship
# (knowledge/workflows.toml [docker_cli]).
_DOCKER_CLI = load("workflows")["docker_cli"]
_COMPOSE_VERBS = frozenset(_DOCKER_CLI["compose_verbs"])
_DOCKER_VALUE_FLAGS = frozenset(_DOCKER_CLI["build_value_flags"])
_COMPOSE_VALUE_FLAGS = frozenset(_DOCKER_CLI["compose_value_flags"])
_DEPLOY_TARGET = re.compile(r"deploy|release|prod|publish|push|ship|rollout|upload", re.I)
_WORD = re.compile(r"[A-Za-z0-9]+")
_MAKE_TARGET = re.compile(r"^([A-Za-z0-9_.\-/]+)(?:\s+[^:=]*)?:(?!=)")


_TEMPLATE_REASON = ("part of a project template (a `{{ }}` path): read as the project it generates, "
                    "where nothing says development or test")


@dataclass(frozen=True, slots=True)
class Placement:
    context: Context
    reason: str


@cache
def _knowledge() -> dict[str, Any]:
    return load("contexts")


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _norm(path: str) -> str:
    normal = posixpath.normpath(path.strip().strip("'\"")).removeprefix("./")
    return "" if normal == "." else normal


def _join(base: str, path: str) -> str:
    return _norm(posixpath.join(base, path)) if base else _norm(path)


def _where(source: SourceFile, line: int) -> str:
    return f"{source.path}:{line}"


class Deployment:
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

    # ------------------------------------------------------------------ evidence of production

    def _mark_prod(self, path: str, why: str) -> None:
        path = _norm(path)
        if path and path not in self._prod:
            self._prod[path] = why

    def _mark_tree(self, folder: str, why: str) -> None:
        """Every file under a folder a deploy command applies (a chart, a manifest directory)."""
        folder = _norm(folder)
        source = self.views.by_path.get(folder)
        if source is not None:
            self._mark_prod(folder, why)
            return
        prefix = f"{folder}/" if folder else ""
        for path in self.views.by_path:
            if path.startswith(prefix):
                self._mark_prod(path, why)

    def _add_target(self, dockerfile: str, target: str | None) -> None:
        """A stage a deploy path builds; a stage named for development (`dev`, `debug`) is a debugging
        variant published beside the real one, not what serves."""
        if not target:
            self._untargeted.add(dockerfile)
        if target and "$" not in target and not any(w in {"dev", "debug", "test", "local"} for w in _words(target)):
            self.targets.setdefault(dockerfile, set()).add(target)

    def _dockerfile_at(self, path: str) -> str | None:
        source = self.views.by_path.get(_norm(path))
        return source.path if source is not None and source.kind == FileKind.DOCKERFILE else None

    def _read_command(self, command: SimpleCommand, base: str, where: str, deploy: bool,
                      env: dict[str, str] | None = None) -> None:
        """What one command builds or deploys. `deploy`: the command runs on a deploy path (a deploy
        job, a deploy target); compose and cluster commands count only there, image builds anywhere
        but a test job."""
        argv = list(command.argv)
        program = command.program
        if program in {"docker", "podman"} and len(argv) > 1:
            rest = argv[1:]
            if rest[:2] == ["buildx", "build"] or rest[:2] == ["image", "build"]:
                self._docker_build(rest[2:], base, where, env or {})
            elif rest[0] == "build":
                self._docker_build(rest[1:], base, where, env or {})
            elif rest[0] == "compose" and deploy:
                self._compose_command(rest[1:], base, where)
            elif rest[:2] == ["stack", "deploy"] and deploy:
                self._compose_command(["up", *rest[2:]], base, where, file_flags=("-c", "--compose-file"))
        elif program in {"docker-compose", "podman-compose"} and deploy:
            self._compose_command(argv[1:], base, where)
        elif program == "helm" and len(argv) > 2 and argv[1] in {"upgrade", "install"} and deploy:
            self._helm(argv[2:], base, where)
        elif program in {"kubectl", "oc"} and len(argv) > 2 and argv[1] in {"apply", "create", "replace"} and deploy:
            self._kubectl(argv[2:], base, where)
        elif program in {"fly", "flyctl"} and len(argv) > 1 and argv[1] == "deploy":
            self._fly(argv[2:], base, where)
        elif program == "heroku" and len(argv) > 1 and argv[1] == "container:push":
            found = self._dockerfile_at(_join(base, "Dockerfile"))
            if found is not None:
                self._mark_prod(found, f"pushed by `heroku container:push` at {where}")
                self.platform_images.setdefault(found, ("heroku", where))

    def _docker_build(self, args: list[str], base: str, where: str, env: dict[str, str]) -> None:
        dockerfile: str | None = None
        target: str | None = None
        tags: list[str] = []
        positional: list[str] = []
        skip = False
        for index, arg in enumerate(args):
            if skip:
                skip = False
                continue
            if arg == "--target" and index + 1 < len(args):
                target = args[index + 1]
                skip = True
            elif arg.startswith("--target="):
                target = arg.split("=", 1)[1]
            elif arg in {"-f", "--file"} and index + 1 < len(args):
                dockerfile = args[index + 1]
                skip = True
            elif arg.startswith("--file="):
                dockerfile = arg.split("=", 1)[1]
            elif arg.startswith("-f") and len(arg) > 2 and not arg.startswith("--"):
                dockerfile = arg[2:]
            elif arg in {"-t", "--tag"} and index + 1 < len(args):
                tags.append(_expression_word(args, index + 1))
                skip = True
            elif arg.startswith("--tag="):
                tags.append(arg.split("=", 1)[1])
            elif arg in _DOCKER_VALUE_FLAGS:
                skip = True
            elif not arg.startswith("-"):
                positional.append(arg)
        context = positional[-1] if positional else "."
        if "$" in context or "://" in context:
            context = "."
        path = _join(base, dockerfile) if dockerfile else _join(_join(base, context), "Dockerfile")
        found = self._dockerfile_at(path)
        if found is not None:
            self._mark_prod(found, f"built by `docker build` at {where}")
            self._add_target(found, target)
            platform = _platform_of_tags(tags, env)
            if platform is not None:
                self.platform_images.setdefault(found, (platform, where))

    def _compose_command(self, args: list[str], base: str, where: str,
                         file_flags: tuple[str, ...] = ("-f", "--file")) -> None:
        files: list[str] = []
        verb = None
        skip = False
        for index, arg in enumerate(args):
            if skip:
                skip = False
                continue
            if arg in file_flags and index + 1 < len(args):
                files.append(args[index + 1])
                skip = True
            elif arg.startswith("--file="):
                files.append(arg.split("=", 1)[1])
            elif arg in _COMPOSE_VALUE_FLAGS:
                skip = True
            elif not arg.startswith("-") and verb is None:
                verb = arg
        if verb not in _COMPOSE_VERBS:
            return
        if not files:
            files = [name for name in ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
                     if _join(base, name) in self.views.by_path][:1]
        for name in files:
            path = _join(base, name)
            if path in self.views.by_path:
                self._mark_prod(path, f"deployed by `docker compose -f {name}` at {where}")
                self._compose_prod_why.setdefault(path, where)

    def _helm(self, args: list[str], base: str, where: str) -> None:
        positional = []
        values: list[str] = []
        skip = False
        for index, arg in enumerate(args):
            if skip:
                skip = False
                continue
            if arg in {"-f", "--values"} and index + 1 < len(args):
                self._mark_prod(_join(base, args[index + 1]), f"values of `helm {args[0]}` at {where}")
                values.append(_norm(_join(base, args[index + 1])))
                skip = True
            elif arg.startswith("-") and "=" not in arg and arg not in {"--install", "--atomic", "--wait", "--create-namespace",
                                                                        "--force", "--dry-run", "--debug", "--reuse-values",
                                                                        "--reset-values", "--cleanup-on-fail"}:
                skip = True
            elif not arg.startswith("-"):
                positional.append(arg)
        if len(positional) >= 2:
            self._mark_tree(_join(base, positional[1]), f"chart installed by `helm` at {where}")
            chart = self.views.helm_values.setdefault(_norm(_join(base, positional[1])), [])
            chart.extend(v for v in values if v in self.views.by_path and v not in chart)

    def _kubectl(self, args: list[str], base: str, where: str) -> None:
        for index, arg in enumerate(args):
            if arg in {"-f", "--filename", "-k", "--kustomize"} and index + 1 < len(args):
                self._mark_tree(_join(base, args[index + 1]), f"applied by `kubectl` at {where}")

    def _fly(self, args: list[str], base: str, where: str) -> None:
        config = "fly.toml"
        for index, arg in enumerate(args):
            if arg in {"--dockerfile"} and index + 1 < len(args):
                found = self._dockerfile_at(_join(base, args[index + 1]))
                if found:
                    self._mark_prod(found, f"built by `fly deploy` at {where}")
            elif arg in {"-c", "--config"} and index + 1 < len(args):
                config = args[index + 1]
        self._mark_prod(_join(base, config), f"deployed by `fly deploy` at {where}")

    def _from_workflows(self) -> None:
        for workflow in self.views.workflow_jobs:
            top_env = _env_map(workflow.document)
            for job in workflow.jobs.values():
                if job.is_test_job():
                    continue
                deploy = job.deploys() is not None
                job_env = {**top_env, **_env_map(job.node)}
                for step in job.steps:
                    working = step.node.get("working-directory") if step.node.is_map else None
                    base = _norm(working.as_str() or "") if working is not None else ""
                    line = step.run_node.span.line if step.run_node is not None else step.node.span.line
                    env = {**job_env, **_env_map(step.node)}
                    for command in step.commands:
                        where = f"{job.path}:{command.line if command.line > 1 else line}"
                        self._read_command(command, base, where, deploy, env)
                    if step.uses and "/build-push-action" in step.uses:
                        self._build_push_action(step.node, job.path)

    def _build_push_action(self, node: YNode, path: str) -> None:
        with_node = node.get("with")
        if with_node is None or not with_node.is_map:
            return
        file_node, context_node = with_node.get("file"), with_node.get("context")
        context = (context_node.as_str() or ".") if context_node is not None else "."
        if "$" in context or "://" in context:
            context = "."
        where = f"{path}:{node.span.line}"
        if file_node is not None and file_node.as_str():
            found = self._dockerfile_at(_norm(file_node.as_str() or ""))
        else:
            found = self._dockerfile_at(_join(context, "Dockerfile"))
        target_node = with_node.get("target")
        if found is not None:
            self._mark_prod(found, f"built by docker/build-push-action at {where}")
            target = target_node.as_str() if target_node is not None else None
            self._add_target(found, target)

    def _from_task_files(self) -> None:
        """Makefile / justfile targets and scripts whose name says they deploy."""
        for source in self.views.of_kind(FileKind.MAKEFILE):
            if source.context != Context.PROD:
                continue
            base = posixpath.dirname(source.path)
            for target, line, text in _make_recipes(source.text or ""):
                deploy = bool(_DEPLOY_TARGET.search(target)) and not any(
                    w in {"dev", "local", "test", "tests"} for w in _words(target))
                for command in split_script(text, line):
                    self._read_command(command, base, _where(source, command.line), deploy)
        for source in self.views.of_kind(FileKind.SHELL):
            if source.context != Context.PROD:
                continue
            name = posixpath.basename(source.path)
            deploy = bool(_DEPLOY_TARGET.search(name))
            for command in self.views.script_steps(source):
                self._read_command(command, posixpath.dirname(source.path) if deploy else "", _where(source, command.line),
                                   deploy)

    def _from_platforms(self) -> None:
        for source in self.views.of_kind(FileKind.PLATFORM):
            folder = posixpath.dirname(source.path)
            name = posixpath.basename(source.path).lower()
            text = source.text or ""
            wanted: list[str] = []
            try:
                if name == "fly.toml":
                    fly_build = toml_loads(text).get("build")
                    dockerfile = fly_build.get("dockerfile") if isinstance(fly_build, dict) else None
                    wanted.append(str(dockerfile or "Dockerfile"))
                elif name == "railway.toml":
                    build = toml_loads(text).get("build")
                    if isinstance(build, dict) and build.get("dockerfilePath"):
                        wanted.append(str(build["dockerfilePath"]))
                elif name == "railway.json":
                    check_depth(text, what="JSON")
                    build = json.loads(text).get("build")
                    if isinstance(build, dict) and build.get("dockerfilePath"):
                        wanted.append(str(build["dockerfilePath"]))
                elif name in {"render.yaml", "render.yml"}:
                    for document in self.views.yaml(source)[:1]:
                        services = document.get("services") if document.is_map else None
                        for service in services.list() if services is not None and services.is_seq else []:
                            path = service.get("dockerfilePath") if service.is_map else None
                            if path is not None and path.as_str():
                                wanted.append(path.as_str() or "")
                elif name == "heroku.yml":
                    for document in self.views.yaml(source)[:1]:
                        docker = document.path("build", "docker") if document.is_map else None
                        for _key, value in docker.items() if docker is not None and docker.is_map else []:
                            if value.as_str():
                                wanted.append(value.as_str() or "")
            except (ValueError, ParseError, AttributeError, RecursionError):
                continue
            for path in wanted:
                found = self._dockerfile_at(_join(folder, path))
                if found is not None:
                    self._mark_prod(found, f"built by the platform file {source.path}")

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
        return {path: placement for path, placement in out.items() if path not in self.pinned}

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


_ENV_REFERENCE = re.compile(r"\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def _expression_word(args: list[str], index: int) -> str:
    """The word at `index` with a GitHub expression the shell splitter cut at its spaces put back together
    (`${{`, `env.IMAGE`, `}}:latest` -> `${{ env.IMAGE }}:latest`); the other tokens are read as before."""
    word = args[index]
    if "${{" not in word or "}}" in word:
        return word
    parts = [word]
    for token in args[index + 1: index + 4]:
        parts.append(token)
        if "}}" in token:
            return " ".join(parts)
    return word


def _env_map(node: YNode | None) -> dict[str, str]:
    """The plain `env:` values of a workflow, job or step node."""
    env = node.get("env") if node is not None and node.is_map else None
    if env is None or not env.is_map:
        return {}
    return {key.as_str() or "": value.as_str() or "" for key, value in env.items() if value.is_scalar}


def _platform_of_tags(tags: list[str], env: dict[str, str]) -> str | None:
    """The platform whose registry an image tag names (`registry.heroku.com/app/web`), with the workflow's
    `env:` values put in for `${{ env.X }}` and `$X` (knowledge/contexts.toml [platforms.registries])."""
    registries: dict[str, str] = _knowledge()["platforms"]["registries"]
    for tag in tags:
        for _ in range(3):  # an env value may name another (`registry.heroku.com/${APP}/web`)
            expanded = _ENV_REFERENCE.sub(lambda m: env.get(next(g for g in m.groups() if g), m.group(0)), tag)
            if expanded == tag:
                break
            tag = expanded
        host = tag.split("/", 1)[0].lower()
        if host in registries:
            return str(registries[host])
    return None


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


def _make_recipes(text: str) -> Iterable[tuple[str, int, str]]:
    """(target, first line, recipe text) of a Makefile or justfile."""
    target: str | None = None
    lines: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if raw.startswith(("\t", "    ")) and target is not None:
            if not lines:
                start = number
            lines.append(raw.strip().lstrip("@-").strip())
            continue
        if target is not None and lines:
            yield target, start, "\n".join(lines)
        target, lines = None, []
        match = _MAKE_TARGET.match(raw)
        if match and not raw.startswith((".PHONY", "#")):
            target = match.group(1)
    if target is not None and lines:
        yield target, start, "\n".join(lines)


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
