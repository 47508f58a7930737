"""Evidence of what production runs: the commands deploy paths run and the files they name.

A platform engineer follows what ships: the deploy workflows, Makefile and script targets (`docker
build -f`, docker/build-push-action `file:`, `docker compose -f a -f b up`, `helm upgrade`, `kubectl
apply -f`, `fly deploy`, `heroku container:push`) and the platform files (fly.toml, render.yaml,
railway, heroku.yml). Files those reach are production, each with the reason. `Deployment`
(deployment.py) builds on this, through the readers of GitHub workflows (workflow_evidence.py).
"""
from __future__ import annotations

import json
import posixpath
import re
from typing import TYPE_CHECKING

from prodcheck.knowledge import load
from prodcheck.model.files import Context, FileKind
from prodcheck.parsing import ParseError
from prodcheck.parsing.nesting import check_depth
from prodcheck.parsing.shell import SimpleCommand, split_script, with_script_variables
from prodcheck.parsing.toml import loads as toml_loads
from prodcheck.project.build_configs import docker_builds
from prodcheck.project.ci_words import (
    contexts_knowledge, expression_word, is_test_build, lower_words, platform_of_tags, whole_expressions, with_env,
)
from prodcheck.project.script_runs import follow, make_recipes
from prodcheck.project.workflow_commands import rehearsal
from prodcheck.project.sources import SourceFile
from prodcheck.lazy_pattern import lazy

if TYPE_CHECKING:
    from prodcheck.project.views import FileViews

# Which options of `docker build` and `docker compose` take a value, which compose verbs ship
# (knowledge/workflows.toml [docker_cli]).
_DOCKER_CLI = load("workflows")["docker_cli"]
_COMPOSE_VERBS = frozenset(_DOCKER_CLI["compose_verbs"])
_COMPOSE_IMAGE_VERBS = frozenset(_DOCKER_CLI["compose_image_verbs"])
_DOCKER_VALUE_FLAGS = frozenset(_DOCKER_CLI["build_value_flags"])
_COMPOSE_VALUE_FLAGS = frozenset(_DOCKER_CLI["compose_value_flags"])
_HELM_BOOLEAN_FLAGS = frozenset(load("workflows")["helm_cli"]["boolean_flags"])
_DEPLOY_TARGET = lazy(r"deploy|release|prod|publish|push|ship|rollout|upload", re.I)


def _norm(path: str) -> str:
    normal = posixpath.normpath(path.strip().strip("'\""))  # never `./x`: normpath drops `.` parts
    return "" if normal == "." else normal


def _join(base: str, path: str) -> str:
    return _norm(posixpath.join(base, path)) if base else _norm(path)


def _where(source: SourceFile, line: int) -> str:
    return f"{source.path}:{line}"


class DeployEvidence:
    """The readers of deploy paths; `Deployment` holds the state they fill."""

    views: FileViews
    _prod: dict[str, str]  # path -> why production runs it
    _compose_prod_why: dict[str, str]
    _compose_builds: dict[str, str]  # compose file -> the build or push of its images on a deploy path
    targets: dict[str, set[str]]  # Dockerfile -> the stages deploy paths build (`--target`)
    platform_images: dict[str, tuple[str, str]]  # Dockerfile -> (the platform that runs its image, where)
    _untargeted: set[str]  # Dockerfiles a deploy path also builds whole (no `--target`)
    swarm: str | None  # where a deploy path runs `docker stack deploy`

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
        if target and "$" not in target and not any(w in {"dev", "debug", "test", "local"} for w in lower_words(target)):
            self.targets.setdefault(dockerfile, set()).add(target)

    def _dockerfile_at(self, path: str) -> str | None:
        """The Dockerfile at `path`; for the default name, the lower-case `dockerfile` the docker CLI falls
        back to when there is no `Dockerfile` (knowledge/files.toml [dockerfiles])."""
        source = self.views.by_path.get(_norm(path))
        folder, _slash, name = _norm(path).rpartition("/")
        if source is None and name == "Dockerfile":
            source = self.views.by_path.get(f"{folder}/dockerfile" if folder else "dockerfile")
        return source.path if source is not None and source.kind == FileKind.DOCKERFILE else None

    def _dockerfile_in(self, folder: str) -> str | None:
        """The default-named Dockerfile of a folder of the repository (a build context), or None."""
        return self._dockerfile_at(f"{folder}/Dockerfile") if folder and folder not in self.views.by_path else None

    def _read_command(self, command: SimpleCommand, base: str, where: str, deploy: bool,
                      env: dict[str, str] | None = None) -> None:
        """What one command builds or deploys. `deploy`: the command runs on a deploy path (a deploy
        job, a deploy target); compose and cluster commands count only there, image builds anywhere
        but a test job."""
        argv = list(command.argv)
        program = command.program
        if rehearsal(command) is not None:
            return  # `helm install --dry-run`, `kubectl apply --dry-run=server`: a check of the files, nothing ships
        if program in {"docker", "podman"} and len(argv) > 1:
            rest = argv[1:]
            if rest[:2] == ["buildx", "build"] or rest[:2] == ["image", "build"]:
                self._docker_build(rest[2:], base, where, env or {})
            elif rest[0] == "build":
                self._docker_build(rest[1:], base, where, env or {})
            elif rest[0] == "compose" and deploy:
                self._compose_command(rest[1:], base, where)
            elif rest[:2] == ["stack", "deploy"] and deploy:
                self.swarm = self.swarm or where
                self._compose_command(["up", *rest[2:]], base, where, file_flags=("-c", "--compose-file"))
        elif program in {"docker-compose", "podman-compose"} and deploy:
            self._compose_command(argv[1:], base, where)
        elif program == "helm" and len(argv) > 2 and argv[1] in {"upgrade", "install"} and deploy:
            self._helm(argv[2:], base, where)
        elif program in {"kubectl", "oc"} and len(argv) > 2 and argv[1] in {"apply", "create", "replace"} and deploy:
            self._kubectl(argv[2:], base, where)
        elif program == "oc" and len(argv) > 2 and argv[1] == "process" and deploy:
            # `oc process -f template.yaml ... | oc apply -f -`: the template's objects, filled in, are what is applied
            self._kubectl(argv[2:], base, where, "processed by `oc process`")
        elif program in {"fly", "flyctl"} and len(argv) > 1 and argv[1] == "deploy":
            self._fly(argv[2:], base, where)
        elif program == "heroku" and len(argv) > 1 and argv[1] == "container:push":
            found = self._dockerfile_at(_join(base, "Dockerfile"))
            if found is not None:
                self._mark_prod(found, f"pushed by `heroku container:push` at {where}")
                self.platform_images.setdefault(found, ("heroku", where))

    def _docker_build(self, args: list[str], base: str, where: str, env: dict[str, str]) -> None:
        args = whole_expressions(args)
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
            elif arg.startswith("-f") and len(arg) > 2:  # `-fdocker/Dockerfile` (`--file=` is above)
                dockerfile = arg[2:]
            elif arg in {"-t", "--tag"} and index + 1 < len(args):
                tags.append(expression_word(args, index + 1))
                skip = True
            elif arg.startswith("--tag="):
                tags.append(arg.split("=", 1)[1])
            elif arg in _DOCKER_VALUE_FLAGS:
                skip = True
            elif not arg.startswith("-"):
                positional.append(arg)
        context = with_env(positional[-1], env) if positional else "."
        if "$" in context or "://" in context:
            context = "."
        # `-f ${{ env.DOCKERFILE }}` or `-f "$DOCKERFILE"`: the workflow's `env:` names the file
        dockerfile = with_env(dockerfile, env) if dockerfile else None
        path = _join(base, dockerfile) if dockerfile else _join(_join(base, context), "Dockerfile")
        found = self._dockerfile_at(path)
        if found is not None and not is_test_build(tags, found):
            self._mark_prod(found, f"built by `docker build` at {where}")
            self._add_target(found, target)
            platform = platform_of_tags(tags, env)
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
            files = [name for name in contexts_knowledge()["names"]["compose_defaults"]
                     if _join(base, name) in self.views.by_path][:1]
        for name in files:
            path = _join(base, name)
            if path not in self.views.by_path:
                continue
            if verb in _COMPOSE_IMAGE_VERBS:
                # `docker compose build` / `push`: the images its services build ship (deployment.py places the
                # Dockerfiles), the file's run settings do not
                self._compose_builds.setdefault(path, f"`docker compose {verb}` of {name} at {where}")
                continue
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
            elif arg.startswith("-") and "=" not in arg and arg not in _HELM_BOOLEAN_FLAGS:
                skip = True
            elif arg and not arg.startswith("-"):  # an unquoted variable that expands to nothing is no word
                positional.append(arg)
        # the chart: a folder of the repository, not a chart repository's (`oci://...`, `https://...`) nor one a
        # variable names (`${CHART_REPO}/${chart}`), which reach no file here
        if len(positional) >= 2 and "://" not in positional[1] and "$" not in positional[1]:
            self._mark_tree(_join(base, positional[1]), f"chart installed by `helm` at {where}")
            chart = self.views.helm_values.setdefault(_norm(_join(base, positional[1])), [])
            chart.extend(v for v in values if v in self.views.by_path and v not in chart)

    def _kubectl(self, args: list[str], base: str, where: str, how: str = "applied by `kubectl`") -> None:
        for index, arg in enumerate(args):
            if arg in {"-f", "--filename", "-k", "--kustomize"} and index + 1 < len(args):
                self._mark_tree(_join(base, args[index + 1]), f"{how} at {where}")

    def _from_build_configs(self) -> None:
        """The Dockerfiles an OpenShift BuildConfig of a production manifest builds (project/build_configs.py)."""
        for source, folder, path, line in docker_builds(self.views):
            found = self._dockerfile_at(_join(folder, path))
            if found is not None:
                self._mark_prod(found, f"built by the OpenShift BuildConfig at {source.path}:{line}")

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

    def _from_task_files(self) -> None:
        """Makefile / justfile targets and scripts whose name says they deploy."""
        for source in self.views.of_kind(FileKind.MAKEFILE):
            if source.context != Context.PROD:
                continue
            base = posixpath.dirname(source.path)
            for target, line, text in make_recipes(source.text or ""):
                deploy = bool(_DEPLOY_TARGET.search(target)) and not any(
                    w in {"dev", "local", "test", "tests"} for w in lower_words(target))
                commands = split_script(text, line)  # each recipe line runs in a shell of its own
                for number in dict.fromkeys(c.line for c in commands):
                    self._read_runs([c for c in commands if c.line == number], base, source, deploy)
        for source in self.views.of_kind(FileKind.SHELL):
            if source.context == Context.PROD:
                deploy = bool(_DEPLOY_TARGET.search(posixpath.basename(source.path)))
                self._read_runs(with_script_variables(self.views.script_steps(source), source.text or "", literal_only=True),
                                posixpath.dirname(source.path) if deploy else "", source, deploy)

    def _read_runs(self, commands: list[SimpleCommand], base: str, source: SourceFile, deploy: bool) -> None:
        """Commands, following their `cd` and the scripts they run (script_runs.py)."""
        for run in follow(commands, base, self.views.by_path, self.views.script_steps, seen=(source.path,)):
            where = _where(source, run.command.line) if run.script is None else \
                f"{_where(run.script, run.command.line)} (run by {source.path})"
            self._read_command(run.command, run.base, where, deploy)

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
