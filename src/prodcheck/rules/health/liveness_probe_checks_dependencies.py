"""PC604 liveness-probe-checks-dependencies. Docs and tests: rules/PC604-liveness-probe-checks-dependencies.md"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.model.finding import Location, Severity
from prodcheck.project import Project
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.rules.health.probes import health_checks, ports_differ
from prodcheck.rules.health.served import served_by
from prodcheck.rules.health.touches import TouchAnalysis


class LivenessProbeChecksDependencies(Rule):
    meta = RuleMeta(
        code="PC604", name="liveness-probe-checks-dependencies",
        summary="The liveness probe's route touches the database or another service",
        severity=Severity.WARNING, kinds=("cross-file",),
    )

    def check(self, project: Project) -> Iterator[Draft]:
        analysis = TouchAnalysis(project.python)
        for check in health_checks(project):
            if check.kind != "liveness" or ports_differ(project, check):
                continue
            served = served_by(project, check.process)
            if served is None:
                continue
            matching = [r for r in served.matching(check.path) if r.route is not None]
            if not matching:
                continue
            route = matching[0].route
            assert route is not None
            touch = analysis.route(route.function, route.facts)
            if touch is None:
                continue
            name = route.function.qualname.rsplit(".", 1)[-1]
            via = "".join(f" via `{step}()`" for step in touch.via)
            where = f"{touch.location.path}:{touch.location.span.line}"
            yield self.draft(
                f"liveness probe `{check.path}` of {check.owner} is served by `{name}`, which {touch.what}{via} at "
                f"{where}: when that dependency is slow or down, the kubelet restarts every pod at once and a "
                "brief blip there becomes a full outage; keep liveness dependency-free and check dependencies "
                "in the readiness probe",
                check.location, context=check.context,
                related=(Location(route.facts.path, route.function.span).labelled(f"route `{name}`"),
                         touch.location.labelled(touch.what)),
            )


__all__ = ["LivenessProbeChecksDependencies", "Severity"]
