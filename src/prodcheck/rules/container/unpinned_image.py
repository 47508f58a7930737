"""PC203 unpinned-image. Docs and tests: rules/PC203-unpinned-image.md"""
from __future__ import annotations

import posixpath
from collections.abc import Iterator

from prodcheck.model.finding import Location, Severity, Span
from prodcheck.parsing.dockerfile import substitute
from prodcheck.parsing.yaml import YNode
from prodcheck.project import Project
from prodcheck.project.infra import image_repository, is_database_image, is_third_party_image, scalar_location
from prodcheck.rules.base import Draft, Rule, RuleMeta

# Tools that build the project's images and rewrite `image:` in the manifests they deploy.
_IMAGE_REWRITERS = ("Tiltfile", "skaffold.yaml", "skaffold.yml", "garden.yml", "devspace.yaml")


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
        severity=Severity.WARNING, kinds=("dockerfile", "compose", "k8s"),
    )

    def check(self, project: Project) -> Iterator[Draft]:
        yield from self._dockerfiles(project)
        for service in project.compose_services:
            image = service.node.get("image")
            if image is None or service.node.get("build") is not None:
                continue  # with `build:`, `image:` names what compose builds, it is not pulled
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

    def _dockerfiles(self, project: Project) -> Iterator[Draft]:
        for source, view in project.dockerfiles:
            for stage in view.stages:
                if stage.base_stage is not None:
                    continue  # FROM an earlier stage
                base = substitute(stage.base, view.global_args)
                if base.lower() == "scratch":
                    continue
                earlier = {s.name.lower() for s in view.stages if s.name and s.line < stage.line}
                if base.lower() in earlier:
                    continue  # `ARG SERVER_TYPE=fba_server` + `FROM ${SERVER_TYPE}`: an earlier stage, not an image
                state = unpinned_tag(base)
                if state is None:
                    continue
                line_text = source.line(stage.line)
                start = line_text.find(stage.base)
                span = (Span(stage.line, start + 1, stage.line, start + 1 + len(stage.base)) if start >= 0
                        else Span(stage.line, 1, stage.line, len(line_text) + 1))
                yield self.draft(self._message(f"`FROM {base}`", base, state), Location(source.path, span))

    def _image(self, path: str, node: YNode, owner: str) -> Iterator[Draft]:
        reference = node.as_str()
        if not reference:
            return
        state = unpinned_tag(reference)
        if state is not None:
            yield self.draft(self._message(f"{owner} image `{reference}`", reference, state),
                             scalar_location(path, node))

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
        if any((project.root / name).is_file() for name in _IMAGE_REWRITERS):
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
