"""What a compose file says about itself: its project name, the images it runs, the usage its comments give.

The deployment model (deployment.py) reads these besides the marks of local use (bind-mounted source,
`develop: watch`, development databases):

- the top-level `name:` is the Compose project name (https://docs.docker.com/reference/compose-file/version-and-name/),
  which the maintainers pick for what the file brings up: `opal-callbacks-example`, `mem0-dev`,
  `app-integration-test` say a sample, a development stack or a test stack as plainly as a file name does;
- a service that runs an image tagged for local use (`app:local`, `app:dev`) without building it runs what a
  developer built on their machine: no registry production pulls from serves that tag;
- an overlay (no service has an `image` or a `build`: it only adds keys to services another file defines) whose
  own usage comment layers it onto development files (`docker compose -f docker-compose.dev.yml -f this.yml up`)
  changes the development stack, not the production one.

`LocalMarks` reads the marks of local use themselves: services that bind-mount the source they build (with
`--reload` or not), `develop: watch`, development databases (`web_dev`), nothing but local infrastructure.
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from functools import cached_property

from prodcheck.knowledge import load
from prodcheck.model.files import Context
from prodcheck.parsing.yaml import YNode
from prodcheck.project.ci_words import contexts_knowledge
from prodcheck.project.deploy_evidence import _join
from prodcheck.project.infra import ComposeService, yaml_command
from prodcheck.project.images import image_repository, is_database_image, is_pooler_image
from prodcheck.project.script_paths import by_written_tail, under_variable
from prodcheck.project.sources import SourceFile
from prodcheck.project.workflow_evidence import WorkflowEvidence
from prodcheck.lazy_pattern import lazy

_PATH_WORDS = load("contexts")["path_words"]
# The variables that name the application's environment (knowledge/contexts.toml [scripts]): set to a development value
# on the project's own service, they say the stack is a development one.
_ENVIRONMENT_SWITCHES = frozenset(load("contexts")["scripts"]["environment_variables"])
_LOCAL_IMAGE_TAGS = frozenset(load("contexts")["compose"]["local_image_tags"])
_WORD = lazy(r"[A-Za-z0-9]+")
_VARIABLE = lazy(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*")
# The login name of whoever runs the command (POSIX `USER`, `LOGNAME`: https://pubs.opengroup.org/onlinepubs/9799919799/basedefs/V1_chap08.html)
_USER_VARIABLE = lazy(r"\$\{?(?:USER|LOGNAME)\b")
_FILE_FLAG = lazy(r"(?:^|\s)(?:-f|--file)[\s=]+['\"]?([^\s'\"]+\.ya?ml)")


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def dev_setting(name: str, value: str) -> bool:
    """`ENVIRONMENT=local`, `APP_ENV=development`: a variable that names the application's environment
    (knowledge/contexts.toml [scripts] environment_variables) set to a development value ([path_words] dev)."""
    if name not in _ENVIRONMENT_SWITCHES:
        return False  # the value's words are read only for a switch (asked of every variable of every service)
    words = _words(value)
    return bool(words) and all(w in _PATH_WORDS["dev"] for w in words)


def project_name_context(document: YNode) -> tuple[Context, str] | None:
    """The context the compose project `name:` gives the file, and the name, or None."""
    node = document.get("name") if document.is_map else None
    name = node.as_str() if node is not None and node.is_scalar else None
    if not name:
        return None
    if _USER_VARIABLE.search(name):
        # `name: "${USER}-cm-service"`: one stack per developer who brings it up, on their own machine; a
        # deployment's name does not depend on who runs it
        return Context.DEV, name
    if "$" in name:
        return None
    words = _words(name)
    if any(w in _PATH_WORDS["dev"] or w in _PATH_WORDS["sample"] for w in words):
        return Context.DEV, name
    if any(w in _PATH_WORDS["test_words"] or w in load("contexts")["names"]["test_stack_words"] for w in words):
        return Context.TEST, name
    return None


def local_image(service: ComposeService) -> str | None:
    """The image of a service that runs, without building it, an image tagged for local use (`app:local`)."""
    image = service.image
    if not image or service.node.get("build") is not None:
        return None
    name = _VARIABLE.sub("", image.split("@", 1)[0])
    repository, colon, tag = name.rpartition(":")
    if not colon or "/" in tag or not repository:
        return None
    return image if any(w in _LOCAL_IMAGE_TAGS for w in _words(tag)) else None


def is_overlay(services: list[ComposeService]) -> bool:
    """Every service only adds keys to one another file defines: none has an `image` or a `build`."""
    return bool(services) and all(s.node.get("image") is None and s.node.get("build") is None
                                  and s.node.get("extends") is None for s in services)


def usage_bases(path: str, text: str) -> list[tuple[str, int]]:
    """The other compose files the comments of an overlay layer it onto (`-f base.yml -f this.yml`), with the line."""
    folder, name = posixpath.split(path)
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip()
        if not stripped.startswith("#"):
            continue
        files = [m.group(1) for m in _FILE_FLAG.finditer(stripped[1:])]
        if not any(posixpath.basename(f) == name for f in files):
            continue  # not a command that layers this file
        for file in files:
            other = posixpath.normpath(posixpath.join(folder, file))  # never `./x`: normpath drops `.` parts
            if posixpath.basename(other) != name:
                out.append((other, number))
    return out


def includers(documents: Mapping[str, YNode]) -> dict[str, list[tuple[str, int]]]:
    """Compose file -> the compose files whose top-level `include:` pulls it into their stack, with the line
    (https://docs.docker.com/reference/compose-file/include/: a path, or `path:` as one path or a list)."""
    out: dict[str, list[tuple[str, int]]] = {}
    for path, document in documents.items():
        entries = document.get("include") if document.is_map else None
        for entry in entries.list() if entries is not None and entries.is_seq else []:
            node = entry.get("path") if entry.is_map else entry
            paths = node.list() if node is not None and node.is_seq else [node] if node is not None else []
            for item in paths:
                written = item.as_str() if item.is_scalar else None
                if written and "$" not in written:
                    target = posixpath.normpath(posixpath.join(posixpath.dirname(path), written))
                    out.setdefault(target, []).append((path, item.span.line))
    return out


def development_base(source: SourceFile, services: list[ComposeService], files: Mapping[str, SourceFile],
                     context_of: Callable[[str], Context]) -> tuple[str, int] | None:
    """For an overlay whose usage comments layer it onto development or test compose files only, the first of
    them and the comment's line; None otherwise (not an overlay, no usage, or a production base)."""
    if not is_overlay(services):
        return None
    bases = [(p, line) for p, line in usage_bases(source.path, source.text or "") if p in files]
    if bases and all(context_of(p) in {Context.DEV, Context.TEST} for p, _ in bases):
        return bases[0]
    return None


class LocalMarks(WorkflowEvidence):
    """The marks of local use in compose files, over the readers of deploy paths (workflow_evidence.py)."""

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
        written = under_variable(context_node.as_str() or "") if context_node is not None else None
        if written is not None:  # `context: ${PATHS_PROJECT_DIR}/backend` (processes.Processes.dockerfile_for)
            name = (file_node.as_str() or "Dockerfile") if file_node is not None else "Dockerfile"
            return by_written_tail(posixpath.normpath(posixpath.join(written, name)),
                                   (source.path for source, _ in self.views.dockerfiles))
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

    def _local_marks(self, path: str, seen: tuple[str, ...] = ()) -> list[str]:
        """The marks of local use in one compose file, as reasons."""
        knowledge = contexts_knowledge()["compose"]
        services = self._services_by_file.get(path, [])
        marks: list[str] = []
        base = posixpath.dirname(path)
        for service in services:
            # `extends: {file: compose.yml, service: app}` (https://docs.docker.com/compose/how-tos/multiple-compose-files/extends/):
            # the service is that one, its bind mounts and development command included, with a few keys changed
            extends = service.node.get("extends")
            file = extends.get("file") if extends is not None and extends.is_map else None
            target = _join(base, file.as_str() or "") if file is not None and file.as_str() else None
            if target and target != path and target not in seen and len(seen) < 3 \
                    and self._local_marks(target, (*seen, path)):
                marks.append(f"service `{service.name}` extends a service of {target}, a development compose file "
                             f"({path}:{service.key.span.line})")
        reload_words = knowledge["reload_words"]
        dev_database = re.compile(knowledge["dev_database"], re.I)
        local_images = set(knowledge["local_images"])
        emulators = set(knowledge["emulators"])
        for service in services:
            line = service.key.span.line
            if service.image and image_repository(service.image) in emulators:
                marks.append(f"service `{service.name}` runs `{service.image}`, a stand-in for a cloud service that "
                             f"only development runs ({path}:{line})")
            if service.node.get("develop") is not None:
                marks.append(f"service `{service.name}` has `develop: watch` ({path}:{line})")
            context: str | None = None
            context_read = False  # the build context is read for the first bind mount of a relative path
            volumes = service.node.get("volumes")
            mounted_source = None
            for volume in volumes.list() if volumes is not None and volumes.is_seq else []:
                host = None
                if volume.is_scalar:
                    text = volume.as_str() or ""
                    if ":" in text and text.startswith("."):  # a relative host path (`/abs`, `$VAR` are no source)
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
                if not context_read:
                    context, context_read = self._build_context(service), True
                if (context is not None and (folder == context or context.startswith(f"{folder}/") if folder else True)) \
                        or self._is_source_dir(folder):
                    mounted_source = f"service `{service.name}` bind-mounts the source `{host}` ({path}:{volume.span.line})"
                    break
            image = local_image(service)
            if image is not None:
                marks.append(f"service `{service.name}` runs `{image}`, an image tagged for local use that it does not build "
                             f"({path}:{line})")
            if mounted_source:
                commands = [str(c) for key in ("command", "entrypoint")
                            if (node := service.node.get(key)) is not None for c in yaml_command(node)]
                reloads = [w for w in reload_words if any(w in command for command in commands)]  # within one command
                if reloads or self._dev_sibling(path) is None:
                    marks.append(mounted_source + (f" and runs `{reloads[0]}`" if reloads else ""))
            environment = service.environment
            switch = next(((key, value) for key, value in environment.items() if dev_setting(key, value.as_str() or "")),
                          None)
            if switch is not None and (service.node.get("build") is not None or not self._backing(service.image, local_images)):
                # `ENVIRONMENT=local` on the project's own service: the application is told it runs in development
                marks.append(f"service `{service.name}` sets `{switch[0]}={switch[1].as_str()}` ({path}:{switch[1].span.line})")
            for key, value in environment.items():
                if not (key.endswith(("_DB", "_DATABASE", "DB_NAME", "_URL", "_DSN")) or "DATABASE" in key):
                    continue  # no variable that names a database
                text = value.as_str() or ""
                database = text.rsplit("/", 1)[-1].split("?", 1)[0] if "://" in text else text
                if database and dev_database.search(database):
                    marks.append(f"service `{service.name}` uses the development database `{database}` ({path}:{value.span.line})")
                    break
        own = [s for s in services if s.node.get("build") is not None or not self._backing(s.image, local_images)]
        if services and not own:
            marks.append(f"{path} runs only local infrastructure ({', '.join(s.name for s in services[:4])}), none of the project's own images")
        elif services and base and f"{base}/__init__.py" in self.views.by_path \
                and not any(s.node.get("build") is not None for s in services):
            # keep's keep/providers/grafana_provider/docker-compose.yml: a Grafana to try the provider module against
            marks.append(f"{path} sits in the Python package `{base}/` and builds nothing: the services a module's "
                         "developers run it against, not a deployment")
        return marks

    def _dev_sibling(self, path: str) -> str | None:
        """The development variant beside a base compose file (`docker-compose-dev.yaml`, `compose.dev.yml` beside
        `docker-compose.yaml`): with one, the base is the stack that is not development's, and a folder it mounts
        without a reloader (deer-flow's `../skills:/app/skills:ro`, the skills the agents read) is data it serves, not
        a source tree being edited."""
        folder, name = posixpath.split(path)
        stem, dot, _extension = name.rpartition(".")
        if not dot or stem not in {"docker-compose", "compose"}:
            return None
        for word in contexts_knowledge()["path_words"]["dev"]:
            for separator in (".", "-", "_"):
                for extension in ("yml", "yaml"):
                    candidate = _join(folder, f"{stem}{separator}{word}.{extension}")
                    if candidate in self.views.by_path:
                        return candidate
        return None

    @staticmethod
    def _backing(image: str | None, local_images: set[str]) -> bool:
        if not image:
            return False
        return is_database_image(image) or is_pooler_image(image) or image_repository(image) in local_images
