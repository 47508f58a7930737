"""PC607 missing-restart-policy. Docs and tests: rules/PC607-missing-restart-policy.md"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.model.finding import Severity
from prodcheck.project import Project
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.rules.health.app_units import deployed_elsewhere, one_off, prod_services


class MissingRestartPolicy(Rule):
    meta = RuleMeta(
        code="PC607", name="missing-restart-policy",
        summary="Production compose service without a restart policy",
        severity=Severity.WARNING, kinds=("compose",), dev="skip",
    )

    def check(self, project: Project) -> Iterator[Draft]:
        if deployed_elsewhere(project):
            return
        if project.deployment.swarm is not None:  # (read with the placements, when the project is made)
            return  # a Swarm stack: `docker stack deploy` ignores `restart:`, and its services restart by default
        for service in prod_services(project):
            if service.get("restart") is not None or service.get("deploy", "restart_policy") is not None:
                continue
            if service.image is None and not service.builds:
                continue
            if one_off(project, service):
                continue
            yield self.draft(
                f"compose service `{service.name}` has no `restart:` policy: the default is `no`, so after a "
                "crash, an out-of-memory kill or a host reboot it stays down until someone notices",
                service.primary.location,
            )
