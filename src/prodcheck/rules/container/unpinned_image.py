"""PC203 unpinned-image. Docs and tests: rules/PC203-unpinned-image.md"""
from __future__ import annotations

import posixpath
from collections.abc import Iterator
from functools import lru_cache

from prodcheck.fix.roundtrip import MAX_CHARS, Slot, file_text, loads_alike, refused, same_style
from prodcheck.fix.text import replace_scalar
from prodcheck.fix.roundtrip import fix as roundtrip_fix
from prodcheck.knowledge import load
from prodcheck.model.finding import Confidence, Edit, Fix, Location, Severity, Span
from prodcheck.parsing.dockerfile import substitute
from prodcheck.parsing.interpolation import resolve
from prodcheck.model.files import FileKind
from prodcheck.parsing.yaml import YNode
from prodcheck.project import Project
from prodcheck.project.infra import scalar_location
from prodcheck.project.images import image_repository, is_database_image, is_third_party_image
from prodcheck.project.sources import root_has_file
from prodcheck.rules.base import Draft, FixAvailability, Rule, RuleMeta

# Tools that build the project's images and rewrite `image:` in the manifests they deploy.
_IMAGE_REWRITERS = tuple(load("files")["image_rewriters"]["names"])


def _dotenv(project: Project, compose_path: str) -> dict[str, str]:
    """The variables of the `.env` beside a compose file, which compose reads for interpolation."""
    source = project.by_path.get(posixpath.join(posixpath.dirname(compose_path), ".env"))
    if source is None or source.error is not None or source.kind != FileKind.ENV:
        return {}
    return {entry.key: entry.value for entry in project.env_entries(source)}


@lru_cache(maxsize=8192)  # asked again and again about the same few hundred references (bounded)
def split_reference(reference: str) -> tuple[str, str | None]:
    """(image name without tag or digest, tag or None): `ghcr.io/a/b:1.2@sha256:..` -> (`ghcr.io/a/b`, `1.2`)."""
    name = reference.strip().strip("'\"").split("@", 1)[0]
    head, _, last = name.rpartition("/")
    if ":" in last:
        last, tag = last.split(":", 1)
        return (f"{head}/{last}" if head else last), tag
    return name, None


def _same_image(name: str) -> str:
    """The name Docker Hub resolves: `docker.io/library/postgres` and `postgres` are one image."""
    name = name.lower()
    for prefix in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        name = name.removeprefix(prefix)
    return name.removeprefix("library/")


@lru_cache(maxsize=8192)
def unpinned_tag(reference: str) -> str | None:
    """"untagged" or "latest" when an image reference floats; None when pinned or unknowable."""
    text = reference.strip().strip("'\"")
    if not text or "$" in text or "{{" in text or "@" in text:
        return None  # interpolated, templated, or pinned by digest
    last = text.rsplit("/", 1)[-1]
    if ":" not in last:
        return "untagged"
    tag = last.split(":", 1)[1]
    return "latest" if tag.lower() == "latest" else None


class UnpinnedImage(Rule):
    meta = RuleMeta(
        code="PC203", name="unpinned-image",
        summary="A base or service image without a version tag, or tagged `latest`",
        severity=Severity.WARNING, kinds=("dockerfile", "compose", "k8s"), fix=FixAvailability.SOMETIMES,
        fix_safe=False,
    )
    _tags: dict[str, dict[str, str]]
    _project: Project

    def check(self, project: Project) -> Iterator[Draft]:
        self._tags = self._pinned_elsewhere(project)
        self._project = project
        yield from self._dockerfiles(project)
        for service in project.compose_services:
            image = service.node.get("image")
            if image is None:
                continue
            if "$" in (image.as_str() or ""):
                yield from self._interpolated(project, service.file.path, image, f"compose service `{service.name}`",
                                              builds=service.node.get("build") is not None)
            elif service.node.get("build") is None:  # with `build:`, `image:` names what compose builds
                yield from self._image(service.file.path, image, f"compose service `{service.name}`")
        rewritten = self._rewritten_images(project)
        for workload in project.workloads:
            for container in workload.containers + workload.init_containers:
                image = container.node.get("image")
                if image is None:
                    continue
                name = image.as_str() or ""
                if not is_third_party_image(name) and (rewritten is True or (isinstance(rewritten, set) and image_repository(name) in rewritten)):
                    continue
                yield from self._image(workload.file.path, image, f"container `{container.name}`")

    @staticmethod
    def _stages_elsewhere(project: Project) -> dict[str, set[str]]:
        """Stage name -> the Dockerfiles that define it, for stages not named after their own base image (`FROM
        node:20 AS node` aliases an image). Another Dockerfile's `FROM deps` with no tag names such a stage, handed
        in as a named build context (`docker buildx bake` `contexts = { deps = "target:deps" }`,
        `--build-context deps=...`, compose `additional_contexts`), not an image on Docker Hub."""
        names: dict[str, set[str]] = {}
        for source, view in project.dockerfiles:
            for stage in view.stages:
                if stage.name and stage.name.lower() != image_repository(substitute(stage.base, view.global_args)):
                    names.setdefault(stage.name.lower(), set()).add(source.path)
        return names

    def _dockerfiles(self, project: Project) -> Iterator[Draft]:
        stages_elsewhere = self._stages_elsewhere(project)
        for source, view in project.dockerfiles:
            copied_from = {flag.partition("=")[2].lower() for i in view.instructions if i.keyword in {"COPY", "ADD"}
                           for flag in i.flags if flag.startswith("--from=")}
            based_on = {s.base_stage for s in view.stages if s.base_stage is not None}
            for stage in view.stages:
                if stage.base_stage is not None:
                    continue  # FROM an earlier stage
                base = substitute(stage.base, view.global_args)
                if base.lower() == "scratch":
                    continue
                earlier = {s.name.lower() for s in view.stages if s.name and s.line < stage.line}
                if base.lower() in earlier:
                    continue  # `ARG SERVER_TYPE=fba_server` + `FROM ${SERVER_TYPE}`: an earlier stage, not an image
                if not any(c in base for c in "/:@$") and stages_elsewhere.get(base.lower(), set()) - {source.path}:
                    continue  # `FROM deps`: another Dockerfile's stage, handed in as a named build context
                state = unpinned_tag(base)
                if state is None:
                    continue
                line_text = source.line(stage.line)
                start = line_text.find(stage.base)
                span = (Span(stage.line, start + 1, stage.line, start + 1 + len(stage.base)) if start >= 0
                        else Span(stage.line, 1, stage.line, len(line_text) + 1))
                fix = None
                pinned = self._known_tag(base)
                if pinned is not None and start >= 0 and "$" not in stage.base:
                    name, _tag = split_reference(stage.base)
                    fix = Fix(f"pin `{name}:{pinned[0]}` (the tag {pinned[1]} uses)",
                              (Edit(source.path, span, f"{name}:{pinned[0]}"),), safe=False)
                if (stage is not view.stages[-1] and stage.index not in based_on
                        and {(stage.name or "").lower(), str(stage.index)} & copied_from):
                    # A build stage that later stages only copy files out of: its base is no image that runs.
                    floating = "has no tag, so it means `latest`" if state == "untagged" else "is tagged `latest`"
                    yield self.draft(
                        f"`FROM {base}` {floating}, in a build stage that later stages only copy files from: no "
                        "container runs it, but two builds of the same commit may copy different files (tools, "
                        "downloaded binaries); pin a version tag or a digest for reproducible builds",
                        Location(source.path, span), fix=fix, severity=Severity.INFO)
                    continue
                yield self.draft(self._message(f"`FROM {base}`", base, state), Location(source.path, span), fix=fix)

    def _image(self, path: str, node: YNode, owner: str) -> Iterator[Draft]:
        reference = node.as_str()
        if not reference:
            return
        state = unpinned_tag(reference)
        if state is not None:
            yield self.draft(self._message(f"{owner} image `{reference}`", reference, state),
                             scalar_location(path, node), fix=self._yaml_fix(path, node, reference))

    def _interpolated(self, project: Project, path: str, node: YNode, owner: str, builds: bool) -> Iterator[Draft]:
        """`image: org/app:${TAG:-latest}`: what compose pulls when the deploy does not set the variable.

        Values come from the compose project's committed `.env`, else from the defaults; a variable
        with neither (`${TAG}`, `${TAG:?required}`) makes the reference unknowable, never a finding.
        With `build:`, compose pulls the image first and builds only when the pull fails, so a
        published name (`org/app`, a registry) whose tag is a variable floats there too; a bare local
        name only labels the build.
        """
        reference = node.as_str() or ""
        resolved = resolve(reference, _dotenv(project, path))
        if resolved is None or not resolved.defaulted:
            return
        state = unpinned_tag(resolved.text)
        if state is None or (builds and "/" not in split_reference(resolved.text)[0]):
            return
        names = list(dict.fromkeys(resolved.defaulted))
        variables = " and ".join(f"`{name}`" for name in names)
        what = f"{owner} image `{reference}` (`{resolved.text}` when {variables} {'is' if len(names) == 1 else 'are'} unset)"
        yield self.draft(self._message(what, resolved.text, state), scalar_location(path, node), confidence=Confidence.MEDIUM)

    def _known_tag(self, reference: str) -> tuple[str, str] | None:
        """(tag, where) when the project pins this image to exactly one tag elsewhere."""
        found = self._tags.get(_same_image(split_reference(reference)[0]), {})
        return next(iter(found.items())) if len(found) == 1 else None

    def _yaml_fix(self, path: str, node: YNode, reference: str) -> Fix | None:
        pinned = self._known_tag(reference)
        source = self._project.by_path.get(path)
        text = file_text(source) if source is not None else None
        if pinned is None or text is None:
            return None
        name, _tag = split_reference(reference)
        line = node.span.line

        def change(slot: Slot) -> bool:
            if not isinstance(slot.value, str) or slot.value.strip() != reference.strip():
                return False
            slot.set(same_style(slot.value, f"{name}:{pinned[0]}"))
            return True

        title = f"pin `{name}:{pinned[0]}` (the tag {pinned[1]} uses)"
        documents = self._project.yaml(source) if source is not None else []
        if len(text) <= MAX_CHARS and documents and loads_alike(documents):
            edit = replace_scalar(path, text, node.span, node.style, reference, f"{name}:{pinned[0]}")
            if edit is not None:
                return Fix(title, (edit,), safe=False)
        elif documents and refused(text, documents):
            return None  # the round-trip loader refuses a key written twice: no fix to offer
        return roundtrip_fix(title, path, text, line,
                             node.span.column, change, line, line, safe=False)

    @staticmethod
    def _pinned_elsewhere(project: Project) -> dict[str, dict[str, str]]:
        """Image name -> {tag: first file that names it}: the versions the project itself states.

        Dockerfile stages, compose and Kubernetes images, workflow service and job containers. A tag
        is what the project already runs somewhere (CI's `postgres:16` beside a compose `postgres`);
        the fix that copies it is unsafe: the project may pin different places on purpose.
        """
        references: list[tuple[str, str]] = []
        for source, view in project.dockerfiles:
            for stage in view.stages:
                if stage.base_stage is None:
                    references.append((substitute(stage.base, view.global_args), source.path))
        for service in project.compose_services:
            image = service.node.get("image")
            if image is not None and image.as_str() and service.node.get("build") is None:
                references.append((image.as_str() or "", service.file.path))
        for workload in project.workloads:
            for container in workload.containers + workload.init_containers:
                image = container.node.get("image")
                if image is not None and image.as_str():
                    references.append((image.as_str() or "", workload.file.path))
        for workflow in project.workflow_jobs:
            for job in workflow.jobs.values():
                services = job.node.get("services")
                nodes = [value for _key, value in services.items()] if services is not None and services.is_map else []
                container = job.node.get("container")
                if container is not None:
                    nodes.append(container)
                for node in nodes:
                    image = node.get("image") if node.is_map else node
                    if image is not None and image.as_str():
                        references.append((image.as_str() or "", workflow.path))
        tags: dict[str, dict[str, str]] = {}
        for reference, path in references:
            if "$" in reference or "{{" in reference:
                continue
            name, tag = split_reference(reference)
            if tag and tag.lower() != "latest" and unpinned_tag(reference) is None:
                tags.setdefault(_same_image(name), {}).setdefault(tag, path)
        return tags

    @staticmethod
    def _message(what: str, reference: str, state: str) -> str:
        floating = "has no tag, so it means `latest`" if state == "untagged" else "is tagged `latest`"
        if is_database_image(reference):
            return (f"{what} {floating}: a pull can bring a new PostgreSQL major version, whose data directory "
                    "the old one cannot read; pin the version")
        return (f"{what} {floating}: it changes under the same name, so nodes and rollbacks run different code; "
                "pin a version tag or a digest")

    @staticmethod
    def _rewritten_images(project: Project) -> set[str] | bool:
        """Images a kustomization rewrites (`images:`), or True when Tilt/Skaffold builds and rewrites them."""
        if any(root_has_file(project.root, name) for name in _IMAGE_REWRITERS):
            return True
        names: set[str] = set()
        for source in project.files:
            if posixpath.basename(source.path) not in {"kustomization.yaml", "kustomization.yml"} or source.error:
                continue
            for document in project.yaml(source):
                images = document.get("images") if document.is_map else None
                for item in images.list() if images is not None else []:
                    name = item.get("name")
                    if name is not None and name.as_str():
                        names.add(image_repository(name.as_str() or ""))
        return names
