"""Manifests a developer applies to a cluster on their own machine: a shell script or a Makefile recipe that
starts one (knowledge/contexts.toml [local_clusters]: `kind create cluster`, `minikube start`) and applies
manifests hands them to that cluster, not to production (path_marks.py places them, evidence first)."""
from __future__ import annotations

import posixpath
from collections.abc import Iterator, Sequence

from prodcheck.model.files import FileKind
from prodcheck.parsing.shell import SimpleCommand, split_script
from prodcheck.project.ci_words import contexts_knowledge
from prodcheck.project.script_runs import make_recipes
from prodcheck.project.views import FileViews

_MANIFEST_EXTENSIONS = (".yml", ".yaml")


def local_cluster_files(views: FileViews) -> dict[str, str]:
    """Each YAML file of the repository that the commands of a script or recipe starting a local cluster name
    (`kubectl apply -f k8s/app.yml`, `envsubst < ../app.yml | kubectl apply -f -`), or that sits directly in a
    folder they name (`kubectl apply -f kind/manifests`: kubectl reads a folder's files, not its sub-folders,
    without `-R`), relative to the file's folder or the root, with the reason."""
    starts = [tuple(words) for words in contexts_knowledge()["local_clusters"]["commands"]]
    out: dict[str, str] = {}
    for where, folder, steps in _command_groups(views):
        starter = next((" ".join(start) for step in steps for start in starts
                        if step.program == start[0] and all(word in step.argv[1:] for word in start[1:])), None)
        if starter is None:
            continue
        for step in steps:
            for word in step.argv[1:]:
                if word.startswith("-") or "$" in word:
                    continue
                for base in (folder, ""):
                    path = posixpath.normpath(posixpath.join(base, word))
                    for manifest in _manifests(views, path):
                        out.setdefault(manifest, f"applied by {where} to a local cluster (`{starter}`)")
    return out


def _command_groups(views: FileViews) -> Iterator[tuple[str, str, Sequence[SimpleCommand]]]:
    """(where, folder, commands): every shell script, and every recipe of a Makefile (each its own group)."""
    for script in views.of_kind(FileKind.SHELL):
        yield script.path, posixpath.dirname(script.path), views.script_steps(script)
    for makefile in views.of_kind(FileKind.MAKEFILE):
        for target, line, text in make_recipes(makefile.text or ""):
            yield f"`make {target}` ({makefile.path}:{line})", posixpath.dirname(makefile.path), split_script(text, line)


def _manifests(views: FileViews, path: str) -> list[str]:
    if path.endswith(_MANIFEST_EXTENSIONS):
        return [path] if path in views.by_path else []
    if path in {".", ""} or path.startswith("..") or path in views.by_path:
        return []
    prefix = f"{path}/"
    return [p for p in views.by_path if p.startswith(prefix) and p.endswith(_MANIFEST_EXTENSIONS)
            and "/" not in p[len(prefix):]]
