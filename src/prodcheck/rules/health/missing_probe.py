"""PC603 missing-probe. Docs and tests: rules/PC603-missing-probe.md"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.model.finding import Location, Severity
from prodcheck.project import Project
from prodcheck.project.chart_defaults import left_to_installer
from prodcheck.project.helm_render import absence
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.rules.health.app_units import app_containers, container_layers, container_location
from prodcheck.rules.health.probes import process_for_node

_HARM = {
    "readinessProbe": "pods get traffic before the app can answer and keep getting it while it cannot",
    "livenessProbe": "a hung server (deadlock, blocked event loop) is never restarted",
}


class MissingProbe(Rule):
    meta = RuleMeta(
        code="PC603", name="missing-probe",
        summary="Kubernetes app container without a readiness or liveness probe",
        severity=Severity.WARNING, kinds=("k8s",), dev="skip",
    )

    def check(self, project: Project) -> Iterator[Draft]:
        for workload, container in app_containers(project):
            process = process_for_node(project, container.node)
            layers = container_layers(project, workload, container)
            serves = any(layer.get("ports") is not None for layer in layers) or (
                process is not None and process.server is not None)
            if not serves:
                continue  # workers: no traffic to gate, and no cheap way to probe them we could suggest
            missing = [key for key in ("readinessProbe", "livenessProbe")
                       if not any(layer.get(key) is not None for layer in layers)]
            if not missing:
                continue
            where = absence(project.views.helm, workload.file.path, container.node, missing[0])
            if where is False:
                continue  # a rendered chart block we could not evaluate may add the probe
            names = " and ".join(f"`{key}`" for key in missing)
            harm = "; ".join(_HARM[key] for key in missing)
            default = left_to_installer(project, where) if isinstance(where, Location) else None
            if default is not None:
                them = "them" if len(missing) > 1 else "it"
                yield self.draft(
                    f"container `{container.name}` of {workload.label} has no {names} by default: the chart's "
                    f"values.yaml leaves {them} out (`{default}`), so in every release installed with the default values "
                    f"{', and '.join(_HARM[key] for key in missing)}; "
                    f"turn {them} on by default here (installers can still switch {them} off)",
                    where,  # type: ignore[arg-type]  # a Location: left_to_installer found its default
                )
                continue
            yield self.draft(
                f"container `{container.name}` of {workload.label} has no {names}: {harm}",
                where if isinstance(where, Location) else container_location(workload.file.path, container),
            )
