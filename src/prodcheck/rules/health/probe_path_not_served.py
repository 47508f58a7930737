"""PC605 probe-path-not-served. Docs and tests: rules/PC605-probe-path-not-served.md"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.model.finding import Severity
from prodcheck.project import Project
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.rules.health.probes import HealthCheck, health_checks, ports_differ
from prodcheck.rules.health.served import served_by

_HARM = {
    "readiness": "the pod never becomes Ready, gets no traffic and the rollout stalls",
    "liveness": "the kubelet restarts the container over and over (CrashLoopBackOff)",
    "startup": "the kubelet kills the container before it ever starts serving",
    "docker": "the container is reported unhealthy forever, and services waiting for `service_healthy` never start",
    "compose": "the container is reported unhealthy forever, and services waiting for `service_healthy` never start",
}
_PLATFORM_HARM = {
    "fly": "Fly never marks the machine healthy and the deploy fails or routes no traffic",
    "render": "Render never sees the service healthy, so deploys never go live",
    "railway": "Railway's deploy healthcheck never passes and the deployment is marked failed",
    "helm": "the pod never becomes Ready or is restarted over and over",
}


class ProbePathNotServed(Rule):
    meta = RuleMeta(
        code="PC605", name="probe-path-not-served",
        summary="A probe or health check requests a path no route of the app serves",
        severity=Severity.ERROR, kinds=("cross-file",),
    )

    def check(self, project: Project) -> Iterator[Draft]:
        for check in health_checks(project):
            if check.process is None or ports_differ(project, check):
                continue
            served = served_by(project, check.process)
            if served is None or served.serves(check.path):
                continue
            others = served.other_methods(check.path)
            if not served.complete and not others:
                continue  # a prefix or route we could not follow may serve it
            yield self.draft(self._message(check, served.suggestions(check.path), [r.method for r in others]),
                             check.location, context=check.context)

    @staticmethod
    def _message(check: HealthCheck, near: list[str], methods: list[str]) -> str:
        harm = _HARM.get(check.kind) or _PLATFORM_HARM.get(check.platform, "the health check always fails")
        if methods:
            listed = ", ".join(sorted({m.upper() for m in methods}))
            found = f"is only served for {listed}, so the probe's GET gets 405"
        else:
            found = "is not served by any route of the app, so it gets 404"
            if near:
                found += " (did you mean " + " or ".join(f"`{p}`" for p in near) + "?)"
        return f"{check.what} path `{check.path}` of {check.owner} {found}: {harm}"
