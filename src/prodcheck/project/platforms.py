"""Deployment platforms as sources of the project model.

render.yaml, fly.toml, railway.json / railway.toml, heroku.yml and app.json (with the Procfile it
describes) become `Process`es like every other command, so every rule sees a `startCommand` the way
it sees a Dockerfile `CMD`: a platform's release / pre-deploy command is a `release` process (run once
per deploy, not a PC401 finding), its web command a `web` process with the replicas the file states.
Health check paths (fly checks, Render `healthCheckPath`, Railway `healthcheckPath`, Helm probes) are
exposed for PC605. Helm charts live in `charts.py`, Kustomize overlays in `kustomize.py`.
Platform files are read as documents with locations (`platform_docs.py`); each format's reader is in
`platform_builder.py`.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from prodcheck.knowledge import load
from prodcheck.model.files import Context, FileKind
from prodcheck.parsing.yaml import YNode
from prodcheck.project.infra import Process
from prodcheck.project.memo import per_project
from prodcheck.project.platform_builder import PlatformBuilder, PlatformCheck, PlatformModel
from prodcheck.project.platform_docs import Doc, load_doc
from prodcheck.project.sources import SourceFile

if TYPE_CHECKING:
    from prodcheck.project import Project


PLATFORM_NAMES: dict[str, str] = load("files")["platforms"]


# ---------------------------------------------------------------- entry points


def platform_files(project: Project) -> list[SourceFile]:
    """Platform configs and Helm charts: the project deploys through them."""
    found = []
    for source in project.of_kind(FileKind.PLATFORM):
        name = source.path.rsplit("/", 1)[-1].lower()
        if name not in PLATFORM_NAMES or source.context != Context.PROD:
            continue
        if name == "app.json" and not _is_heroku_app_json(load_doc(project, source)):
            continue
        found.append(source)
    from prodcheck.project.charts import chart_files

    return found + chart_files(project)


@per_project
def platform_model(project: Project) -> PlatformModel:
    model = PlatformModel()
    builder = PlatformBuilder(project, model)
    sources = sorted(project.of_kind(FileKind.PLATFORM), key=lambda s: (s.path.endswith("app.json") is False, s.path))
    for source in sources:
        platform = PLATFORM_NAMES.get(source.path.rsplit("/", 1)[-1].lower())
        if platform is None:
            continue
        doc = load_doc(project, source)
        if doc is None:
            continue
        name = source.path.rsplit("/", 1)[-1].lower()
        if name == "app.json" and not _is_heroku_app_json(doc):
            continue  # some other app.json (an Expo or PWA manifest): not Heroku's
        read = {"app.json": builder.app_json, "heroku.yml": builder.heroku_yml}.get(name) or {
            "render": builder.render, "fly": builder.fly, "railway": builder.railway}[platform]
        _guarded(model, functools.partial(read, doc))
    from prodcheck.project.charts import helm_model

    _guarded(model, functools.partial(helm_model, project, builder))
    return model


def _guarded(model: PlatformModel, read: Any) -> None:
    """A platform file with values of unexpected types adds nothing, rather than breaking every rule."""
    processes, checks = len(model.processes), len(model.checks)
    try:
        read()
    except (TypeError, AttributeError, ValueError, KeyError, IndexError):
        del model.processes[processes:]
        del model.checks[checks:]


def _is_heroku_app_json(doc: Doc | None) -> bool:
    return doc is not None and any(doc.value(key) is not None for key in load("files")["heroku_app_json"]["keys"])


def platform_processes(project: Project, processes: list[Process], referenced_dockerfiles: set[str]) -> None:
    """The hook `Project.processes` calls: add platform processes, apply app.json formation to the Procfile."""
    model = platform_model(project)
    processes.extend(model.processes)
    referenced_dockerfiles.update(model.dockerfiles)
    for process in processes:
        if process.kind != "procfile":
            continue
        key = process.name.rsplit(":", 1)[-1]
        formation = model.formation.get(key)
        if formation is not None:
            process.replicas = formation
        for name, value in model.heroku_env.items():
            process.env.setdefault(name, value)


def platform_health_checks(project: Project) -> list[PlatformCheck]:
    project.processes  # noqa: B018 - builds the platform model through the processes hook
    return list(platform_model(project).checks)


def patched_containers(project: Project, kind: str, name: str, container: str) -> list[YNode]:
    from prodcheck.project.kustomize import patched_containers as patched

    return patched(project, kind, name, container)
