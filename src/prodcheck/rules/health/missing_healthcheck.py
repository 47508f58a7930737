"""PC601 missing-healthcheck. Docs and tests: rules/PC601-missing-healthcheck.md"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.model.files import Context
from prodcheck.model.finding import Location, Severity, Span
from prodcheck.project import Project
from prodcheck.project.deployment import platform_ignores_healthcheck
from prodcheck.project.infra import Process
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.rules.health.app_units import deployed_elsewhere, one_off, prod_services
from prodcheck.rules.health.probes import process_for_node


def image_healthcheck(project: Project, process: Process | None) -> str | None:
    """"yes" when the image a process runs has a HEALTHCHECK, "none" for `HEALTHCHECK NONE`, "no", or None (unknown)."""
    if process is None or process.dockerfile is None:
        return None
    source = project.by_path.get(process.dockerfile)
    view = project.dockerfile(source) if source is not None else None
    stage = view.stage(process.target) if view is not None else None
    if stage is None:
        return None
    instruction = view.effective(stage, "HEALTHCHECK")  # type: ignore[union-attr]  # stage is None when view is
    if instruction is None:
        return "no"
    return "none" if instruction.value.strip().upper() == "NONE" else "yes"


class MissingHealthcheck(Rule):
    meta = RuleMeta(
        code="PC601", name="missing-healthcheck",
        summary="A served container with no health check where nothing else probes it",
        severity=Severity.WARNING, kinds=("dockerfile", "compose"), dev="skip",
    )

    def check(self, project: Project) -> Iterator[Draft]:
        if deployed_elsewhere(project):
            return  # Kubernetes and the platforms ignore HEALTHCHECK; PC603 checks their probes
        yield from self._compose(project)
        yield from self._dockerfiles(project)

    def _compose(self, project: Project) -> Iterator[Draft]:
        for service in prod_services(project):
            if service.get("healthcheck") is not None:
                continue
            process = process_for_node(project, service.primary.node)
            if process is None or process.server is None or one_off(project, service):
                continue
            image = image_healthcheck(project, process)
            if image != "no":
                continue  # the image's HEALTHCHECK covers it, or it is opted out, or we cannot see the image
            server = process.server[1].server
            yield self.draft(
                f"compose service `{service.name}` runs `{server}` with no `healthcheck:` and its image "
                f"`{process.dockerfile}` has no `HEALTHCHECK`: Docker reports it up while the app is still booting "
                "or wedged, and `depends_on: condition: service_healthy` cannot wait for it",
                service.primary.location,
            )

    def _dockerfiles(self, project: Project) -> Iterator[Draft]:
        if project.procfile_entries:
            return  # a Procfile platform runs the app; the image is not what is probed
        for process in project.processes:
            if process.kind != "dockerfile" or process.role != "web" or process.context != Context.PROD:
                continue
            if process.server is None or image_healthcheck(project, process) != "no":
                continue
            platform = project.deployment.platform_images.get(process.dockerfile or "")
            if platform is not None and platform_ignores_healthcheck(platform[0]):
                continue  # the platform runs the image and ignores HEALTHCHECK (it checks the app itself)
            source = project.by_path.get(process.dockerfile or "")
            line = process.origin.span.line
            text = source.line(line) if source is not None else ""
            # Nothing in the repository runs this image: whether anything reads a HEALTHCHECK depends on an
            # orchestrator we cannot see (Kubernetes and most platforms ignore it and probe the app themselves;
            # a base image cannot know its children's health route), so this is advice, not a warning.
            yield self.draft(
                f"the image runs `{process.server[1].server}` with no `HEALTHCHECK`, and nothing in the repository "
                "shows what runs it: under `docker run`, Compose or Swarm a booting or hung server looks as healthy "
                "as a working one (`depends_on: condition: service_healthy` cannot wait for it, Swarm never "
                "replaces it); add a `HEALTHCHECK` on a cheap route if the image runs there (Kubernetes and most "
                "platforms ignore it and probe the app themselves)",
                Location(process.origin.path, Span(line, 1, line, len(text) + 1)), severity=Severity.INFO,
            )
