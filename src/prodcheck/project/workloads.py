"""Kubernetes workloads: pod specs, containers and replica counts (HPA, kustomize) of the manifests."""
from __future__ import annotations

from typing import TYPE_CHECKING

from prodcheck.model.facts import LITERAL, TOOL_DEFAULT, Fact
from prodcheck.parsing.yaml import YNode
from prodcheck.project.infra import WORKLOAD_KINDS, Container, Workload, pod_spec_of, replicas_fact, scalar_location
from prodcheck.project.sources import SourceFile

if TYPE_CHECKING:
    from prodcheck.project import Project


def build_workloads(project: Project) -> list[Workload]:
    hpas: dict[str, tuple[SourceFile, YNode]] = {}
    for source, document in project.k8s_documents:
        if document.get("kind").as_str() == "HorizontalPodAutoscaler":  # type: ignore[union-attr]  # k8s_documents all have a kind
            target = document.path("spec", "scaleTargetRef", "name")
            if target is not None and target.as_str():
                hpas[target.as_str()] = (source, document)  # type: ignore[index]  # as_str() narrowed just above
    workloads = []
    from prodcheck.project.kustomize import kustomize_patch_paths, kustomize_replicas
    from prodcheck.project.helm_render import autoscaled

    patch_files = kustomize_patch_paths(project)
    for source, document in project.k8s_documents:
        kind = document.get("kind").as_str() or ""  # type: ignore[union-attr]  # k8s_documents all have a kind
        if kind not in WORKLOAD_KINDS or source.path in patch_files:
            continue  # kustomize patches are fragments of a base workload, not workloads
        name_node = document.path("metadata", "name")
        name = name_node.as_str() if name_node is not None else kind
        pod_spec = pod_spec_of(document, kind)
        containers_node = pod_spec.get("containers") if pod_spec is not None else None
        inits_node = pod_spec.get("initContainers") if pod_spec is not None else None
        containers = [Container(_container_name(c), c)
                      for c in (containers_node.list() if containers_node is not None else [])]
        inits = [Container(_container_name(c), c, True)
                 for c in (inits_node.list() if inits_node is not None else [])]
        if containers and not any(c.node.is_map and c.node.get("image") is not None for c in containers + inits):
            # No container names an image, which the API server requires of every container: a patch written
            # as a whole object (`config/default/manager_config_patch.yaml` of an operator's kustomize tree,
            # also one no kustomization lists), merged into a base workload that has the images
            continue
        kind_node = document.get("kind")
        origin = scalar_location(source.path, kind_node)  # type: ignore[arg-type]  # k8s_documents all have a kind
        if kind in {"Job", "CronJob", "Pod"}:
            replicas = Fact(1, origin, TOOL_DEFAULT, "1 pod")
        else:
            replicas = replicas_fact(source.path, document.path("spec", "replicas"), origin)
            hpa = hpas.get(name or "")
            if hpa is not None:
                max_node = hpa[1].path("spec", "maxReplicas")
                max_replicas = max_node.as_int() if max_node is not None else None
                if max_node is not None and max_replicas is not None:
                    replicas = Fact(max_replicas, scalar_location(hpa[0].path, max_node), LITERAL,
                                    f"{max_replicas} replicas (HPA maxReplicas)")
            elif (scaled := autoscaled(project.views, source.path)) is not None:
                replicas = Fact(scaled[0], scaled[1], LITERAL, f"{scaled[0]} replicas (Helm autoscaling.maxReplicas)")
            else:
                replicas = kustomize_replicas(project, kind, name or kind, source.path) or replicas
        workloads.append(Workload(source, kind, name or kind, document, pod_spec, containers, inits, replicas))
    return workloads


def _container_name(node: YNode) -> str:
    name = node.get("name")
    return (name.as_str() if name is not None else None) or "container"
