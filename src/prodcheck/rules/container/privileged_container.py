"""PC202 privileged-container. Docs and tests: rules/PC202-privileged-container.md"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.knowledge import load
from prodcheck.model.finding import Severity
from prodcheck.parsing.yaml import YNode
from prodcheck.project import Project
from prodcheck.project.infra import scalar_location
from prodcheck.rules.base import Draft, Rule, RuleMeta

# What Docker and containerd grant every container anyway: adding one of these changes nothing.
DEFAULT_CAPABILITIES = frozenset(load("images")["capabilities"]["default"])
# Capabilities that amount to root on the host or a container escape.
ESCAPE_CAPABILITIES = frozenset(load("images")["capabilities"]["escape"])


def _capability(text: str) -> str:
    return text.strip().upper().removeprefix("CAP_")


class PrivilegedContainer(Rule):
    meta = RuleMeta(
        code="PC202", name="privileged-container",
        summary="A container with host privileges, privilege escalation or added capabilities",
        severity=Severity.ERROR, kinds=("compose", "k8s"), security=8.0,
    )

    def check(self, project: Project) -> Iterator[Draft]:
        for service in project.compose_services:
            path = service.file.path
            privileged = service.node.get("privileged")
            if privileged is not None and privileged.as_bool():
                yield self.draft(
                    f"compose service `{service.name}` runs `privileged: true`: every host device and capability, "
                    "so any code execution in it is a host compromise", scalar_location(path, privileged))
            yield from self._capabilities(path, service.node.get("cap_add"), f"compose service `{service.name}`")
        for workload in project.workloads:
            path = workload.file.path
            for container in workload.containers + workload.init_containers:
                context = container.node.get("securityContext")
                if context is None or not context.is_map:
                    continue
                privileged = context.get("privileged")
                if privileged is not None and privileged.as_bool():
                    # every capability already: the ones it adds besides say nothing more
                    yield self.draft(
                        f"container `{container.name}` runs `privileged: true`: every host device and capability, "
                        "so any code execution in it is a host compromise", scalar_location(path, privileged))
                    continue
                escalation = context.get("allowPrivilegeEscalation")
                if escalation is not None and escalation.as_bool() is True:
                    yield self.draft(
                        f"container `{container.name}` sets `allowPrivilegeEscalation: true`: setuid binaries and "
                        "file capabilities can raise its privileges after start",
                        scalar_location(path, escalation), severity=Severity.WARNING)
                yield from self._capabilities(path, context.path("capabilities", "add"),
                                              f"container `{container.name}`")

    def _capabilities(self, path: str, node: YNode | None, owner: str) -> Iterator[Draft]:
        if node is None:
            return
        items = node.list() if node.is_seq else [node]
        for item in items:
            text = item.as_str()
            if not text:
                continue
            capability = _capability(text)
            if capability in DEFAULT_CAPABILITIES:
                continue
            if capability in ESCAPE_CAPABILITIES:
                yield self.draft(
                    f"{owner} adds capability `{text}`: it amounts to root on the host (mounts, kernel modules, "
                    "other processes' memory)", scalar_location(path, item))
            else:
                yield self.draft(
                    f"{owner} adds capability `{text}` beyond the runtime's default set: more of the kernel is "
                    "reachable from a compromised process", scalar_location(path, item), severity=Severity.WARNING)
