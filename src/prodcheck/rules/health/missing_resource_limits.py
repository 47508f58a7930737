"""PC606 missing-resource-limits. Docs and tests: rules/PC606-missing-resource-limits.md"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.model.finding import Location, Severity
from prodcheck.project import Project
from prodcheck.project.chart_defaults import left_to_installer
from prodcheck.project.helm_render import absence
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.rules.health.app_units import app_containers, container_layers, container_location, deployed_elsewhere, \
    one_off, prod_services
from prodcheck.project.images import is_third_party_image


class MissingResourceLimits(Rule):
    meta = RuleMeta(
        code="PC606", name="missing-resource-limits",
        summary="Container without a memory limit",
        severity=Severity.WARNING, kinds=("k8s", "compose"), dev="skip",
    )

    def check(self, project: Project) -> Iterator[Draft]:
        yield from self._kubernetes(project)
        yield from self._compose(project)

    def _kubernetes(self, project: Project) -> Iterator[Draft]:
        if self._limit_range_defaults(project):
            return  # a LimitRange gives every container of the namespace a default limit
        for workload, container in app_containers(project):
            layers = container_layers(project, workload, container)
            if any(layer.path("resources", "limits", "memory") is not None for layer in layers):
                continue
            where = absence(project.views.helm, workload.file.path, container.node, "resources")
            if where is False:
                continue  # a rendered chart block we could not evaluate may set the limits
            if isinstance(where, Location) and left_to_installer(project, where) is not None:
                yield self.draft(
                    f"container `{container.name}` of {workload.label} has no `resources.limits.memory` by "
                    "default: the chart's values.yaml leaves `resources` empty, so every release installed with "
                    "the default values runs without a memory limit, and one leaking or overloaded pod can take "
                    "the node's memory; give `resources` a default `limits.memory` here (installers can still "
                    "override it)",
                    where,
                )
                continue
            yield self.draft(
                f"container `{container.name}` of {workload.label} has no "
                "`resources.limits.memory`: one leaking or overloaded pod can take the node's memory, and the "
                "kernel's OOM killer then picks its victims among every pod on the node",
                where if isinstance(where, Location) else container_location(workload.file.path, container),
            )

    @staticmethod
    def _limit_range_defaults(project: Project) -> bool:
        for _, document in project.k8s_documents:
            kind = document.get("kind")
            if kind is None or kind.as_str() != "LimitRange":
                continue
            limits = document.path("spec", "limits")
            for item in limits.list() if limits is not None else []:
                if item.path("default", "memory") is not None or item.path("max", "memory") is not None:
                    return True
        return False

    def _compose(self, project: Project) -> Iterator[Draft]:
        if deployed_elsewhere(project):
            return
        for service in prod_services(project):
            if not service.builds and is_third_party_image(service.image):
                continue  # databases and caches: sized by their own configuration
            if service.image is None and not service.builds:
                continue
            if service.get("deploy", "resources", "limits", "memory") is not None or service.get("mem_limit") is not None:
                continue
            if one_off(project, service):
                continue
            yield self.draft(
                f"compose service `{service.name}` has no memory limit (`deploy.resources.limits.memory` or "
                "`mem_limit`): a leak or a traffic spike grows it until the host runs out of memory and the "
                "kernel kills whichever process it picks, the database included",
                service.primary.location,
            )
