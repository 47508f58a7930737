"""PC201 container-runs-as-root. Docs and tests: rules/PC201-container-runs-as-root.md"""
from __future__ import annotations

import re
from collections.abc import Iterator

from prodcheck.knowledge import load
from prodcheck.knowledge.commands import privilege_drop
from prodcheck.model.files import Context
from prodcheck.model.finding import Confidence, Location, Severity, Span
from prodcheck.parsing.dockerfile import DockerfileView, Stage, command_of, copy_words
from prodcheck.parsing.yaml import YNode
from prodcheck.project import Project
from prodcheck.project.image_roles import image_purpose
from prodcheck.project.helm_render import absence
from prodcheck.project.infra import Workload, scalar_location
from prodcheck.project.ci_words import lower_words
from prodcheck.project.images import image_repository, is_third_party_image
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.lazy_pattern import lazy

# `user:` / `USER` is `user[:group]`; the user decides, whatever the group (knowledge/images.toml [users]).
_ROOT = frozenset(load("images")["users"]["root"])
# Base images that already run as an unprivileged user.
_NONROOT_BASES = lazy(load("images")["patterns"]["nonroot_bases"])
# Base images whose job needs root (Docker-in-Docker).
_ROOT_BY_DESIGN = lazy(load("images")["patterns"]["root_by_design"])
# Third-party service images whose own entrypoint or USER keeps the service off root (knowledge/images.toml)
_DROPS_PRIVILEGES = frozenset(load("images")["drops_privileges"]["repositories"])
_PROD_STAGES = frozenset(load("contexts")["path_words"]["prod_stage_names"])
_DEV_STAGE_WORDS = frozenset(load("contexts")["path_words"]["dev_stage_words"])
_HOST_SOCKETS = tuple(load("images")["host_sockets"]["names"])


def is_root(user: str | None) -> bool:
    return user is not None and user.strip().strip("'\"").lower().partition(":")[0] in _ROOT


def _squashed(view: DockerfileView, stage: Stage) -> str | None:
    """The stage whose whole filesystem a `FROM scratch` image copies (`COPY --from=production-stage / /`, a squashed
    image): it runs that stage's programs as root, since a copy brings files, not the stage's `USER`."""
    for member in view.lineage(stage):
        for instruction in member.instructions:
            source = next((flag.split("=", 1)[1] for flag in instruction.flags if flag.startswith("--from=")), None)
            if instruction.keyword == "COPY" and source and copy_words(instruction.value) == ["/", "/"]:
                return source
    return None


def _security_value(container: YNode, pod_spec: YNode | None, key: str) -> tuple[YNode | None, YNode | None]:
    container_node = container.path("securityContext", key)
    pod_node = pod_spec.path("securityContext", key) if pod_spec is not None else None
    return container_node, pod_node


class ContainerRunsAsRoot(Rule):
    meta = RuleMeta(
        code="PC201", name="container-runs-as-root", core=True,
        summary="The container that runs the service runs as root",
        severity=Severity.ERROR, kinds=("dockerfile", "compose", "k8s"), security=7.0,
    )

    _switches: dict[str, re.Match[str] | None]  # path -> the first user switch in it, searched once

    def check(self, project: Project) -> Iterator[Draft]:
        self._switches = {}
        yield from self._dockerfiles(project)
        yield from self._compose(project)
        yield from self._kubernetes(project)

    def _nonroot_elsewhere(self, project: Project, dockerfile: str) -> bool:
        """Every compose service / pod that runs this image sets a non-root user itself."""
        users = []
        for process in project.processes_of_dockerfile(dockerfile):
            if process.kind not in {"compose", "k8s"} or process.node is None:
                continue
            if process.kind == "compose":
                user = process.node.get("user")
                users.append(user is not None and not is_root(user.as_str()))
            else:
                run_as = process.node.path("securityContext", "runAsUser")
                non_root = process.node.path("securityContext", "runAsNonRoot")
                users.append((run_as is not None and (run_as.as_int() or 0) > 0)
                             or (non_root is not None and non_root.as_bool() is True))
        return bool(users) and all(users)

    def _dockerfiles(self, project: Project) -> Iterator[Draft]:
        targets: dict[str, set[str | None]] = {}
        for process in project.processes:
            if process.dockerfile and process.kind == "compose" and process.context == Context.PROD:
                targets.setdefault(process.dockerfile, set()).add(process.target)
        for path, names in project.deployment.targets.items():  # `--target` of the deploy builds
            targets.setdefault(path, set()).update(names)
        for source, view in project.dockerfiles:
            # a stage named for production is what ships, whatever a development compose file builds; unless
            # a stage that ships is built on it (`FROM runtime AS prod`): then it is a base, and `prod` runs (a
            # `debug` stage built on it, even the last one a compose file builds whole, ships nothing)
            named = [s for s in view.stages if s.name and s.name.lower() in _PROD_STAGES]
            shipped = [st for t in targets.get(source.path, set()) if (st := view.stage(t)) is not None
                       and not (st.name and _DEV_STAGE_WORDS & set(lower_words(st.name)))]
            bases = {m.index for st in [*shipped, *named] for m in view.lineage(st)[1:]}
            targets.setdefault(source.path, set()).update(s.name for s in named if s.index not in bases and s.name)
            for target in sorted(targets.get(source.path) or {None}, key=lambda t: t or ""):
                stage = view.stage(target)
                if stage is None or image_purpose(view, stage) is not None:
                    continue  # Lambda functions and build steps: no container of their own runs as a service
                user = view.effective(stage, "USER")
                if user is not None and is_root(user.value.split()[0] if user.value.split() else ""):
                    line = source.line(user.line)
                    yield self.draft(
                        f"`USER {user.value}` in the stage that runs: the service runs as root, so any code "
                        "execution bug owns the container",
                        Location(source.path, Span(user.line, 1, user.line, len(line) + 1)),
                    )
                    continue
                if user is not None:
                    continue
                base = view.base_image(stage)
                squashed = _squashed(view, stage) if base.lower() == "scratch" else None
                if _drops_privileges(view, stage, base) or _NONROOT_BASES.search(base) or (base.lower() == "scratch"
                                                                                     and squashed is None):
                    continue  # `FROM scratch` with a static binary: no shell, no users, nothing else to run
                if self._nonroot_elsewhere(project, source.path):
                    continue
                from_line = source.line(stage.line)
                if _ROOT_BY_DESIGN.search(base):
                    yield self.draft(
                        f"no `USER` in the stage that runs: the image is built on `{base}`, a Docker-in-Docker "
                        "image whose Docker daemon needs root (in a privileged container), so root is its design; "
                        "keep it away from untrusted input, or use a rootless variant",
                        Location(source.path, Span(stage.line, 1, stage.line, len(from_line) + 1)),
                        severity=Severity.INFO)
                    continue
                name = f" (`{stage.name}`)" if stage.name else ""
                where = Location(source.path, Span(stage.line, 1, stage.line, len(from_line) + 1))
                command = [view.effective(stage, keyword) for keyword in ("ENTRYPOINT", "CMD")]
                if any(i is not None and privilege_drop().search(i.value) for i in command):
                    continue  # `CMD ["su-exec", "app", "uvicorn", ...]`: the switch is the first thing it runs
                switcher = self._scripts_drop_privileges(project, source.path)
                if switcher:
                    # The service itself runs as another user, but the image still starts as root.
                    yield self.draft(
                        f"no `USER` in the stage that runs{name}: the container starts as root and its start "
                        f"command switches user (`{switcher.group(0)}`) only later, so the start script before the "
                        "switch and every `docker exec` run as root, and Kubernetes `runAsNonRoot` refuses the "
                        "image; prepare files at build time and set `USER`",
                        where, severity=Severity.WARNING, confidence=Confidence.MEDIUM,
                    )
                    continue
                copied = (f", built `FROM scratch` with the whole filesystem of `{squashed}` copied in, and a "
                          "copy keeps no `USER`") if squashed else ""
                yield self.draft(
                    f"no `USER` in the stage that runs{name}{copied}: the container runs as root by default",
                    where, severity=Severity.WARNING,
                )

    def _scripts_drop_privileges(self, project: Project, dockerfile: str) -> re.Match[str] | None:
        """The user switch (`gosu app`) in a start script the image runs, if there is one."""
        for process in project.processes_of_dockerfile(dockerfile):
            if process.dockerfile == dockerfile:
                for step in process.steps:
                    if step.via:
                        found = self._switch_in(project, step.location.path)
                        if found is not None:
                            return found
        return None

    def _switch_in(self, project: Project, path: str) -> re.Match[str] | None:
        """The first user switch in a file, searched once per file (each image's processes run the same
        few scripts: polar searched its start script 507 times)."""
        searched = self._switches
        if path not in searched:
            source = project.by_path.get(path)
            searched[path] = privilege_drop().search(source.text or "") if source is not None else None
        return searched[path]

    def _compose(self, project: Project) -> Iterator[Draft]:
        for service in project.compose_services:
            user = service.node.get("user")
            if user is None or not is_root(user.as_str()):
                continue
            volumes = service.node.get("volumes")
            mounts = [n.text for n in volumes.walk() if n.is_scalar and n.text] if volumes is not None else []
            socket = next((s for s in _HOST_SOCKETS if any(s in m for m in mounts)), None)
            if socket is not None:
                yield self.draft(
                    f"compose service `{service.name}` runs as `user: {user.as_str()}` with the host's `{socket}` "
                    "mounted: it controls the host's container runtime, so any code execution bug in it owns the "
                    "host, not only the container; put a socket proxy that allows only the calls it needs in "
                    "between, or use rootless Docker",
                    scalar_location(service.file.path, user))
                continue
            yield self.draft(f"compose service `{service.name}` runs as `user: {user.as_str()}`: any code execution "
                             "bug in it owns the container; set a non-root `user:` or a `USER` in its image",
                             scalar_location(service.file.path, user))

    def _kubernetes(self, project: Project) -> Iterator[Draft]:
        dockerfile_users: dict[str, bool] = {}
        for source, view in project.dockerfiles:
            stage = view.stage(None)
            user = view.effective(stage, "USER") if stage else None
            dockerfile_users[source.path] = user is not None and not is_root(user.value.split()[0] if user.value.split() else "")
        # (file, container node) -> the first workload holding that container: one pass, not one per process
        workloads: dict[tuple[int, int], Workload] = {}
        for candidate in project.workloads:
            for container in candidate.containers + candidate.init_containers:
                workloads.setdefault((id(candidate.file), id(container.node)), candidate)
        for process in project.processes:
            # every Kubernetes process is built from a workload's container (processes.py), so it is found
            workload = workloads.get((id(process.file), id(process.node))) if process.kind == "k8s" else None
            if workload is None or process.node is None:
                continue
            path = workload.file.path
            container = process.node
            run_as, pod_run_as = _security_value(container, workload.pod_spec, "runAsUser")
            effective = run_as if run_as is not None else pod_run_as
            if effective is not None and effective.as_int() == 0:
                yield self.draft(f"`runAsUser: 0` for container `{process.name.rsplit(':', 1)[-1]}`: it runs as root",
                                 scalar_location(path, effective))
                continue
            non_root, pod_non_root = _security_value(container, workload.pod_spec, "runAsNonRoot")
            chosen = non_root if non_root is not None else pod_non_root
            if chosen is not None and chosen.as_bool() is True:
                continue
            if effective is not None and (effective.as_int() or 0) > 0:
                continue
            if any(c.node is container for c in workload.init_containers):
                continue
            image_node = container.get("image")
            image = image_node.as_str() if image_node is not None else None
            if is_third_party_image(image) or (image and _NONROOT_BASES.search(image)):
                continue
            if process.dockerfile and dockerfile_users.get(process.dockerfile):
                continue
            name_node = container.get("name") or container
            explicit = chosen is not None and chosen.as_bool() is False
            where = absence(project.views.helm, path, container, "securityContext")
            if where is False:
                continue  # a rendered chart block we could not evaluate may set the user
            yield self.draft(
                f"container `{process.name.rsplit(':', 1)[-1]}` has "
                + ("`runAsNonRoot: false`" if explicit else "no `runAsNonRoot: true` or non-zero `runAsUser`")
                + ": nothing stops it from running as root",
                scalar_location(path, chosen) if explicit and chosen is not None else
                where if isinstance(where, Location) else scalar_location(path, name_node),
                severity=Severity.WARNING, confidence=Confidence.MEDIUM,
            )


def _drops_privileges(view: DockerfileView, stage: Stage, base: str) -> bool:
    """`FROM postgres:16` or `FROM nginx:1` kept as the image runs it: its own entrypoint steps down to the service's
    user, or its Dockerfile sets one. An ENTRYPOINT of the stage keeps that when it runs the image's own
    `docker-entrypoint.sh` or its server (`nginx -g "daemon off;"`, `redis-server`: a program named after the
    image), not another program (`ENTRYPOINT ["backup-entrypoint.sh"]` on `postgres:18-alpine` runs as root); a
    third-party image that runs as root itself (`caddy:2`) never does."""
    repository = image_repository(base)
    if repository not in _DROPS_PRIVILEGES:
        return False
    entrypoint = view.effective(stage, "ENTRYPOINT")
    if entrypoint is None:
        return True
    commands = command_of(entrypoint)
    program = commands[0].program if commands else ""
    return program == "docker-entrypoint.sh" or program.startswith(repository.split("-")[0])
