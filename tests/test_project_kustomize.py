"""Kustomize in the project model (project/kustomize.py): which replica count a production overlay gives a
workload (the `replicas:` field, strategic-merge and JSON 6902 patches, inline or in files), which files
are patches rather than workloads, and which containers a patch adds to."""
from __future__ import annotations

from pathlib import Path

from conftest import write_project
from prodcheck import engine
from prodcheck.project import Project
from prodcheck.project.kustomize import kustomize, kustomize_patch_paths, kustomize_replicas, patched_containers
from prodcheck.settings import Settings

BASE = {
    "k8s/base/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
        spec:
          replicas: 1
          template:
            spec:
              containers:
                - name: api
                  image: registry.example/api:1
    """,
    "k8s/base/worker.yaml": """
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: worker
        spec:
          template:
            spec:
              containers:
                - name: worker
                  image: registry.example/api:1
    """,
    "k8s/base/kustomization.yaml": "resources:\n  - deployment.yaml\n  - worker.yaml\n  - https://example.com/x.yaml\n",
}


def project_of(root: Path, files: dict[str, str]) -> Project:
    write_project(root, {**BASE, **files})
    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(root, settings)
    return Project(root, discovered, engine.parse_python(root, discovered, settings), settings)


def replicas(project: Project, kind: str, name: str, path: str) -> tuple[int, str, str, int] | None:
    fact = kustomize_replicas(project, kind, name, path)
    return None if fact is None else (fact.value, fact.note, fact.origin.path, fact.origin.span.line)


def test_replicas_field_of_a_production_overlay(tmp_path: Path) -> None:
    project = project_of(tmp_path, {
        "k8s/overlays/prod/kustomization.yaml": """
            resources:
              - ../../base
            replicas:
              - name: api
                count: 4
              - name: worker
                count: many
              - count: 9
        """,
        "k8s/overlays/dev/kustomization.yaml": "resources:\n  - ../../base\nreplicas:\n  - name: api\n    count: 12\n",
    })
    assert replicas(project, "Deployment", "api", "k8s/base/deployment.yaml") == (
        4, "4 replicas (kustomize replicas)", "k8s/overlays/prod/kustomization.yaml", 5)
    assert replicas(project, "StatefulSet", "worker", "k8s/base/worker.yaml") is None
    assert replicas(project, "Deployment", "api", "k8s/other/deployment.yaml") is None  # not built by the overlay
    reach = kustomize(project).reach
    assert reach["k8s/overlays/prod"] == {"k8s/base/deployment.yaml", "k8s/base/worker.yaml"}
    assert reach["k8s/base"] == {"k8s/base/deployment.yaml", "k8s/base/worker.yaml"}


def test_patches_inline_and_in_files(tmp_path: Path) -> None:
    project = project_of(tmp_path, {
        "k8s/overlays/prod/kustomization.yaml": """
            resources:
              - ../../base
            patches:
              - path: replicas.yaml
              - target:
                  kind: StatefulSet
                  name: worker
                patch: |-
                  - op: replace
                    path: /spec/replicas
                    value: 6
                  - op: remove
                    path: /spec/replicas
                    value: 60
              - patch: |-
                  apiVersion: apps/v1
                  kind: Deployment
                  metadata:
                    name: api
                  spec:
                    template:
                      spec:
                        containers:
                          - name: api
                            resources:
                              limits: {memory: 512Mi}
                        initContainers:
                          - name: api
                            image: busybox
                          - name: other
                            image: busybox
            patchesJson6902:
              - target: {kind: Deployment, name: api}
                path: json-patch.yaml
            patchesStrategicMerge:
              - probes.yaml
        """,
        "k8s/overlays/prod/replicas.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 3\n",
        "k8s/overlays/prod/json-patch.yaml": "- op: add\n  path: /spec/replicas\n  value: 5\n",
        "k8s/overlays/prod/probes.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: api
            spec:
              template:
                spec:
                  containers:
                    - name: api
                      livenessProbe:
                        httpGet: {path: /healthz, port: 8080}
                    - name: sidecar
                      image: envoy
        """,
    })
    assert replicas(project, "Deployment", "api", "k8s/base/deployment.yaml") == (
        5, "5 replicas (kustomize patch)", "k8s/overlays/prod/json-patch.yaml", 3)
    assert replicas(project, "StatefulSet", "worker", "k8s/base/worker.yaml") == (
        6, "6 replicas (kustomize patch)", "k8s/overlays/prod/kustomization.yaml", 8)
    assert replicas(project, "Deployment", "worker", "k8s/base/worker.yaml") is None  # the patch targets a StatefulSet
    assert kustomize_patch_paths(project) == {"k8s/overlays/prod/replicas.yaml", "k8s/overlays/prod/json-patch.yaml",
                                              "k8s/overlays/prod/probes.yaml"}
    containers = patched_containers(project, "Deployment", "api", "api")
    assert sorted(sorted(key for key, _ in container.entries()) for container in containers) == [
        ["image", "name"], ["livenessProbe", "name"], ["name", "resources"]]
    assert patched_containers(project, "StatefulSet", "api", "api") == []
    assert patched_containers(project, "Deployment", "api", "missing") == []
    patches = [(p.kind, p.name, p.file, len(p.operations)) for p in kustomize(project).patches]
    assert sorted(patches) == [
        ("Deployment", "api", "", 0), ("Deployment", "api", "k8s/overlays/prod/json-patch.yaml", 1),
        ("Deployment", "api", "k8s/overlays/prod/probes.yaml", 0),
        ("Deployment", "api", "k8s/overlays/prod/replicas.yaml", 0), ("StatefulSet", "worker", "", 2)]


def test_a_patch_in_a_development_overlay_scales_nothing(tmp_path: Path) -> None:
    project = project_of(tmp_path, {
        "k8s/overlays/dev/kustomization.yaml": "resources:\n  - ../../base\npatches:\n  - path: replicas.yaml\n",
        "k8s/overlays/dev/replicas.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 7\n",
    })
    assert replicas(project, "Deployment", "api", "k8s/base/deployment.yaml") is None
    assert patched_containers(project, "Deployment", "api", "api") == []


def test_overlays_reach_bases_and_components_never_remote_ones_and_stop_at_a_cycle(tmp_path: Path) -> None:
    project = project_of(tmp_path, {
        "kustomization.yaml": "bases:\n  - k8s/base\ncomponents:\n  - k8s/extra\nresources:\n  - ''\n",
        "k8s/extra/kustomization.yaml": "resources:\n  - job.yaml\n  - ../loop\n",
        "k8s/extra/job.yaml": "kind: Job\n",
        "k8s/loop/kustomization.yaml": "resources:\n  - ../extra\n  - github.com/org/repo/deploy\n"
                                       "  - git@github.com:org/repo.git\n  - ../base/missing.yaml\n",
    })
    reach = kustomize(project).reach
    everything = {"k8s/base/deployment.yaml", "k8s/base/worker.yaml", "k8s/extra/job.yaml"}
    assert reach[""] == everything  # the overlay at the repository root
    assert reach["k8s/loop"] == {"k8s/extra/job.yaml"}  # ../extra leads back to ../loop: read once


def test_the_largest_count_wins_and_patches_without_a_kind_take_their_target(tmp_path: Path) -> None:
    project = project_of(tmp_path, {
        "k8s/overlays/prod/kustomization.yaml": """
            resources:
              - ../../base
            replicas:
              - name: api
                count: 2
              - name: api
                count: 7
            patchesStrategicMerge:
              - |-
                metadata:
                  name: worker
                spec:
                  replicas: 3
              - |-
                kind: Deployment
                metadata: [unclosed
            patches:
              - target: {kind: Deployment, name: api}
                patch: |-
                  spec:
                    replicas: 4
              - path: missing.yaml
              - target: {kind: Deployment}
                patch: |-
                  - op: replace
                    path: /spec/replicas
                    value: 50
              - patch: ""
        """,
    })
    assert replicas(project, "Deployment", "api", "k8s/base/deployment.yaml") == (
        7, "7 replicas (kustomize replicas)", "k8s/overlays/prod/kustomization.yaml", 7)
    patches = sorted((p.kind, p.name, len(p.operations), p.origin.path, p.origin.span.line)
                     for p in kustomize(project).patches)
    assert patches == [
        ("", "worker", 0, "k8s/overlays/prod/kustomization.yaml", 9),  # inline, no kind: any kind
        ("Deployment", "", 1, "k8s/overlays/prod/kustomization.yaml", 24),  # no name: scales no workload
        ("Deployment", "api", 0, "k8s/overlays/prod/kustomization.yaml", 19)]
    assert kustomize_patch_paths(project) == {"k8s/overlays/prod/missing.yaml"}
    # the inline patch with no kind applies to a workload of any kind named worker
    assert replicas(project, "StatefulSet", "worker", "k8s/base/worker.yaml") == (
        3, "3 replicas (kustomize patch)", "k8s/overlays/prod/kustomization.yaml", 9)


def test_patched_containers_come_from_production_strategic_merge_patches_only(tmp_path: Path) -> None:
    patch = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n"
             "      containers:\n        - name: api\n          readinessProbe: {httpGet: {path: /ready}}\n")
    project = project_of(tmp_path, {
        "k8s/overlays/prod/kustomization.yaml": "resources:\n  - ../../base\npatches:\n  - path: probe.yaml\n"
                                                "  - target: {name: api}\n    patch: |-\n      - op: add\n"
                                                "        path: /spec/template/spec/containers/0/readinessProbe\n"
                                                "        value: {}\n",
        "k8s/overlays/prod/probe.yaml": patch,
        "k8s/overlays/dev/kustomization.yaml": "resources:\n  - ../../base\npatches:\n  - path: probe.yaml\n",
        "k8s/overlays/dev/probe.yaml": patch.replace("/ready", "/dev"),
    })
    [container] = patched_containers(project, "Deployment", "api", "api")
    assert container.path("readinessProbe", "httpGet", "path").as_str() == "/ready"  # type: ignore[union-attr]
    assert patched_containers(project, "Deployment", "other", "api") == []
