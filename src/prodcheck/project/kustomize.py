"""Kustomize overlays as sources of the project model.

A `kustomization.yaml` in a production folder can override `replicas` (the `replicas:` field, a
strategic-merge patch setting `spec.replicas`, or a JSON 6902 `replace`/`add` of `/spec/replicas`).
Patch files are not workloads of their own; their containers add probes and resources to the base
container of the same name.
"""
from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from prodcheck.knowledge import load
from prodcheck.model.facts import LITERAL, Fact
from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Location
from prodcheck.parsing import ParseError
from prodcheck.parsing.yaml import YNode, load_documents
from prodcheck.project.infra import scalar_location
from prodcheck.project.memo import per_project
from prodcheck.project.sources import SourceFile
from prodcheck.model.record import record, slotted

if TYPE_CHECKING:
    from prodcheck.project import Project

_KUSTOMIZATION = frozenset(load("kubernetes")["kustomize"]["files"])


@record
class _Patch:
    kustomization: str  # its path
    context: Context
    kind: str
    name: str
    document: YNode | None  # strategic merge
    operations: tuple[tuple[str, str, YNode | None], ...]  # JSON 6902: (op, path, value)
    origin: Location
    file: str = ""  # the patch file, when the patch is not inline (node spans are that file's)


@slotted
class _Kustomize:
    patches: list[_Patch]
    patch_files: set[str]
    replicas: list[tuple[str, Fact[int], str, Context]]  # (name, count, kustomization dir, context)
    reach: dict[str, set[str]]  # kustomization dir -> manifest files it builds


def kustomization_files(project: Project) -> list[SourceFile]:
    return [source for source in project.of_kind(FileKind.YAML, FileKind.K8S)
            if source.path.rsplit("/", 1)[-1] in _KUSTOMIZATION]


def _kustomizations(project: Project) -> dict[str, tuple[SourceFile, YNode]]:
    found = {}
    for source in project.of_kind(FileKind.YAML, FileKind.K8S):
        if source.path.rsplit("/", 1)[-1] in _KUSTOMIZATION:
            documents = project.yaml(source)
            if documents and documents[0].is_map:
                found[posixpath.dirname(source.path)] = (source, documents[0])
    return found


def _join(directory: str, relative: str) -> str:
    return posixpath.normpath(posixpath.join(directory, relative)).lstrip("./") if directory else posixpath.normpath(relative)


@per_project
def kustomize(project: Project) -> _Kustomize:
    kustomizations = _kustomizations(project)
    state = _Kustomize([], set(), [], {})
    for directory, (source, root) in kustomizations.items():
        for key in ("patchesStrategicMerge", "patches", "patchesJson6902"):
            entries = root.get(key)
            for entry in entries.list() if entries is not None else []:
                state.patches.extend(_patch_entry(project, directory, source, entry, state.patch_files))
        replicas = root.get("replicas")
        for entry in replicas.list() if replicas is not None else []:
            name, count = entry.get("name"), entry.get("count")
            if name is not None and count is not None and count.as_int() is not None:
                state.replicas.append((name.as_str() or "", Fact(count.as_int(), scalar_location(source.path, count),  # type: ignore[arg-type]  # as_int() narrowed just above
                                       LITERAL, f"{count.as_int()} replicas (kustomize replicas)"), directory, source.context))
    for directory in kustomizations:
        state.reach[directory] = _reachable(project, kustomizations, directory, frozenset())
    return state


def _reachable(project: Project, kustomizations: dict[str, tuple[SourceFile, YNode]], directory: str,
               seen: frozenset[str]) -> set[str]:
    if directory in seen or directory not in kustomizations:
        return set()
    _, root = kustomizations[directory]
    out: set[str] = set()
    for key in ("resources", "bases", "components"):
        entries = root.get(key)
        for entry in entries.list() if entries is not None else []:
            relative = entry.as_str()
            if not relative or "://" in relative or relative.startswith(("github.com", "git@")):
                continue
            target = _join(directory, relative)
            if target in project.by_path:
                out.add(target)
            elif target in kustomizations:
                out |= _reachable(project, kustomizations, target, seen | {directory})
    return out


def _patch_entry(project: Project, directory: str, source: SourceFile, entry: YNode, patch_files: set[str]) -> list[_Patch]:
    target_kind = target_name = ""
    inline: YNode | None = None
    file = None
    if entry.is_scalar:
        text = entry.as_str() or ""
        if "\n" in text:
            inline = entry
        else:
            file = text
    elif entry.is_map:
        path_node, patch_node, target = entry.get("path"), entry.get("patch"), entry.get("target")
        file = path_node.as_str() if path_node is not None else None
        inline = patch_node
        if target is not None:
            kind_node, name_node = target.get("kind"), target.get("name")
            target_kind = (kind_node.as_str() if kind_node is not None else "") or ""
            target_name = (name_node.as_str() if name_node is not None else "") or ""
    documents: list[YNode] = []
    origin = scalar_location(source.path, entry)
    path = ""
    if file:
        path = _join(directory, file)
        patch_files.add(path)
        patch_source = project.by_path.get(path)
        if patch_source is not None and patch_source.error is None and patch_source.text is not None:
            documents = project.yaml(patch_source)
    elif inline is not None and inline.as_str():
        try:
            documents = load_documents(inline.as_str() or "")
        except ParseError:
            documents = []
        origin = scalar_location(source.path, inline)
    out: list[_Patch] = []
    for document in documents:
        if document.is_seq:  # JSON 6902 operations
            operations = []
            for item in document.list():
                op, op_path, value = item.get("op"), item.get("path"), item.get("value")
                if op is not None and op_path is not None:
                    operations.append((op.as_str() or "", op_path.as_str() or "", value))
            out.append(_Patch(source.path, source.context, target_kind, target_name, None, tuple(operations), origin,
                              path if file else ""))
        elif document.is_map:
            kind_node, name_node = document.get("kind"), document.path("metadata", "name")
            kind = (kind_node.as_str() if kind_node is not None else None) or target_kind
            name = (name_node.as_str() if name_node is not None else None) or target_name
            out.append(_Patch(source.path, source.context, kind, name, document, (), origin, path if file else ""))
    return out


def kustomize_patch_paths(project: Project) -> set[str]:
    """Files kustomizations use as patches: fragments of workloads, not workloads."""
    return kustomize(project).patch_files


def kustomize_replicas(project: Project, kind: str, name: str, path: str) -> Fact[int] | None:
    """The largest replica count a production overlay that builds `path` gives the workload."""
    state = kustomize(project)
    candidates: list[Fact[int]] = []
    for replica_name, fact, directory, context in state.replicas:
        if context == Context.PROD and replica_name == name and path in state.reach.get(directory, set()):
            candidates.append(fact)
    for patch in state.patches:
        if patch.context != Context.PROD or patch.name != name or (patch.kind and patch.kind != kind):
            continue
        directory = posixpath.dirname(patch.kustomization)
        if path not in state.reach.get(directory, set()):
            continue
        if patch.document is not None:
            node = patch.document.path("spec", "replicas")
            if node is not None and node.as_int() is not None:
                location = scalar_location(patch.file, node) if patch.file else patch.origin
                candidates.append(Fact(node.as_int(), location, LITERAL,  # type: ignore[arg-type]  # as_int() narrowed just above
                                       f"{node.as_int()} replicas (kustomize patch)"))
        for op, op_path, value in patch.operations:
            if op in {"replace", "add"} and op_path == "/spec/replicas" and value is not None and value.as_int() is not None:
                location = scalar_location(patch.file, value) if patch.file else patch.origin
                candidates.append(Fact(value.as_int(), location, LITERAL,  # type: ignore[arg-type]  # as_int() narrowed just above
                                       f"{value.as_int()} replicas (kustomize patch)"))
    if not candidates:
        return None
    return max(candidates, key=lambda fact: fact.value)


def patched_containers(project: Project, kind: str, name: str, container: str) -> list[YNode]:
    """Containers of production strategic-merge patches for the same workload and container name."""
    out = []
    for patch in kustomize(project).patches:
        if patch.document is None or patch.context != Context.PROD or patch.name != name or (patch.kind and patch.kind != kind):
            continue
        spec = patch.document.path("spec", "template", "spec")
        for key in ("containers", "initContainers"):
            items = spec.get(key) if spec is not None else None
            for item in items.list() if items is not None else []:
                item_name = item.get("name")
                if item_name is not None and item_name.as_str() == container:
                    out.append(item)
    return out
