"""Which files production runs: the deployment model, built from evidence first and names second.

A platform engineer reads a repository by following what ships: the deploy workflows, Makefile
and script targets (`docker build -f`, docker/build-push-action `file:`, `docker compose -f a -f b
up`, `helm upgrade`, `kubectl apply -f`, `fly deploy`), the platform files (fly.toml, render.yaml,
railway, heroku.yml), and the Dockerfiles that production compose files build. Files those reach are
production. The marks of local use place the rest: compose files that bind-mount the source they
build, `develop: watch`, `*_dev` databases, nothing but local infrastructure, a `*.prod` sibling;
the Dockerfiles only such files build; folders of examples, load tests and tools
(knowledge/contexts.toml); a README that says the repository must not be deployed. A Dockerfile or
compose file nothing places while another one is placed in production is `ambiguous`.

The readers of deploy paths live in deploy_evidence.py, the marks of local use in compose files in
compose_marks.py, the marks of a path, its neighbours and its header in path_marks.py, each layer a class
the next extends; what one image stage or settings class is, in image_roles.py. Every placement carries its
reason, which findings repeat (`context_reason`). Files the configuration pins (`production` /
`development` globs) are never moved.
"""
from __future__ import annotations

import posixpath
import re
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from prodcheck.knowledge import load
from prodcheck.model.files import Context, FileKind
from prodcheck.parsing.dockerfile import DockerfileView
from prodcheck.project.compose_marks import development_base, includers, project_name_context
from prodcheck.project.ci_words import contexts_knowledge, lower_words
from prodcheck.project.path_marks import PathMarks, Placement
from prodcheck.project.sources import SourceFile

if TYPE_CHECKING:
    from prodcheck.parsing.yaml import YNode
    from prodcheck.project.views import FileViews


_TEMPLATE_REASON = ("part of a project template (a `{{ }}` path): read as the project it generates, "
                    "where nothing says development or test")


__all__ = ["Deployment", "Placement", "platform_ignores_healthcheck"]


class Deployment(PathMarks):
    """The deployment model: `placements` maps a path to its context and the reason for it."""

    def __init__(self, views: FileViews, pinned: frozenset[str] = frozenset(), root: Path | None = None) -> None:
        self.views = views
        self.root = root
        self.pinned = pinned
        self._prod: dict[str, str] = {}  # path -> why production runs it
        self._compose_prod_why: dict[str, str] = {}
        self._compose_builds: dict[str, str] = {}
        self.targets: dict[str, set[str]] = {}  # Dockerfile -> the stages deploy paths build (`--target`)
        # Dockerfile -> (the platform that runs its image, where that is said): an image tagged for a
        # platform's registry (`registry.heroku.com/...`) or pushed by the platform's CLI
        self.platform_images: dict[str, tuple[str, str]] = {}
        self._untargeted: set[str] = set()  # Dockerfiles a deploy path also builds whole (no `--target`)
        # where a deploy path runs `docker stack deploy`: the project's compose files are a Swarm stack's, whose
        # services restart by default (`deploy.restart_policy.condition` is `any`; `restart:` is ignored)
        self.swarm: str | None = None

    # ------------------------------------------------------------------ the model

    @cached_property
    def placements(self) -> dict[str, Placement]:
        self._from_workflows()
        self._from_task_files()
        self._from_platforms()
        self._from_build_configs()
        evidence = set(self._prod)  # what deploy paths and platform files reach, before compose closure
        views = self.views
        out: dict[str, Placement] = {}

        # compose files: evidence, then a prod name, then the marks of local use
        compose_files = [s for s in views.of_kind(FileKind.COMPOSE)]
        prod_compose: dict[str, str] = {}
        documents = {source.path: document for source, document in views.compose_files}
        for source in compose_files:
            if source.path in self._prod:
                prod_compose[source.path] = self._prod[source.path]
            elif source.context == Context.PROD and any(w in {"prod", "production"} for w in lower_words(posixpath.basename(source.path))):
                prod_compose[source.path] = f"its name `{posixpath.basename(source.path)}` says production"
        for source in compose_files:
            if source.path in prod_compose:
                out[source.path] = Placement(Context.PROD, prod_compose[source.path])
                continue
            if source.context != Context.PROD:
                continue
            named = project_name_context(documents[source.path]) if source.path in documents else None
            if named is not None:
                out[source.path] = Placement(named[0], f"its compose project name `{named[1]}` says "
                                             f"{'test' if named[0] == Context.TEST else 'development or a sample'}")
                continue
            marks = self._local_marks(source.path)
            # A production sibling by name alone is not enough: a base file that a `.prod` overlay extends,
            # or a default configuration beside a hardened one (onyx), still runs in production. Only a
            # deploy path that names other compose files makes an unnamed one ambiguous.
            deployed = sorted(p for p in prod_compose if p in self._compose_prod_why)
            if marks:
                out[source.path] = Placement(Context.DEV, "local development: " + "; ".join(marks[:2]))
            elif "{{" in source.path:
                out[source.path] = Placement(Context.PROD, _TEMPLATE_REASON)
            elif deployed:
                out[source.path] = Placement(Context.AMBIGUOUS, "no deploy path reaches it, while "
                                             f"{deployed[0]} is the compose file production deploys")

        self._place_overlays(compose_files, out)
        self._place_included(compose_files, out, documents)

        # Dockerfiles: what production builds, what only development compose files build
        built_by: dict[str, list[tuple[str, str]]] = {}
        for service in views.compose_services:
            dockerfile = self._built_dockerfile(service)
            if dockerfile is not None:
                built_by.setdefault(dockerfile, []).append((service.file.path, service.name))
        for dockerfile, users in built_by.items():
            for compose, name in users:
                placement = out.get(compose)
                context = placement.context if placement is not None else views.by_path[compose].context
                if compose in self._compose_builds and dockerfile not in self._prod:
                    self._prod[dockerfile] = f"built by service `{name}` in {self._compose_builds[compose]}"
                if context == Context.PROD and dockerfile not in self._prod:
                    self._prod[dockerfile] = f"built by service `{name}` of {compose}" + (
                        " (production compose file)" if compose in prod_compose else "")
        rigs = self._rig_images()
        prod_dockerfiles = {p for p in self._prod if (s := views.by_path.get(p)) is not None
                            and s.kind == FileKind.DOCKERFILE and p not in rigs}
        prod_texts = {views.by_path[p].text: p for p in sorted(prod_dockerfiles) if views.by_path[p].text}
        for source in views.of_kind(FileKind.DOCKERFILE):
            if source.path in rigs:
                out[source.path] = rigs[source.path]
                continue
            if source.path in self._prod:
                out[source.path] = Placement(Context.PROD, self._prod[source.path])
                continue
            if source.context != Context.PROD:
                continue
            sibling = self._prod_sibling(source)
            twin = prod_texts.get(source.text) if source.text else None
            users = built_by.get(source.path, [])
            if sibling:
                out[source.path] = Placement(Context.DEV, f"{sibling} beside it is the production image")
            elif twin is not None:  # a link to (or a copy of) the production Dockerfile
                out[source.path] = Placement(Context.PROD, f"the same file as {twin}: {self._prod[twin]}")
            elif users and not _has_command(views.dockerfile(source)):
                out[source.path] = Placement(Context.DEV, f"built only by {users[0][0]}, a development compose file, "
                                             "and it has no command of its own")
            elif users and (beside := _beside(source.path, prod_dockerfiles)) is not None:
                # the local stack's image, where production builds its own from the file beside it
                out[source.path] = Placement(Context.DEV, f"built only by {users[0][0]}, a development compose file, "
                                             f"while {beside} beside it is built for production")
            elif users and not prod_dockerfiles and (named := self.prod_named_dockerfile(source, set(built_by))):
                out[source.path] = Placement(Context.DEV, f"built only by {users[0][0]}, a development compose file, "
                                             f"while {named} is named as the production image")
            elif users and not prod_dockerfiles:
                out[source.path] = Placement(Context.PROD, f"the project's only image of its own: {users[0][0]} "
                                             "builds it for development, and it runs on its own")
            elif "{{" in source.path:
                out[source.path] = Placement(Context.PROD, _TEMPLATE_REASON)
            elif prod_dockerfiles:
                out[source.path] = Placement(Context.AMBIGUOUS, "no deploy path builds it, while "
                                             f"{sorted(prod_dockerfiles)[0]} is built for production")

        self._drop_cache_targets()

        # everything else a deploy command names (charts, manifests, fly.toml)
        for path, why in self._prod.items():
            if path not in out and path in views.by_path:
                out[path] = Placement(Context.PROD, why)

        # folders of examples, tools and test rigs; sample repositories: a README that disclaims production
        # ("for educational purposes only", a trading framework's risk notice) makes no sample of a repository whose
        # own workflows or platform files deploy or publish what it builds
        sample = self._sample_repository if not evidence else None
        unrendered = self._unrendered_chart_files()
        for source in views.files:
            if source.path in evidence or source.context != Context.PROD:
                continue
            word = unrendered.get(source.path) or self._folder_word(source) or self._test_support(source) \
                or self._self_described(source) or self._example_folder(source) or self._development_runner(source) \
                or self._local_cluster_manifest(source)
            if word is not None:
                out[source.path] = word
            elif sample is not None:
                out[source.path] = Placement(Context.DEV, f"a sample repository: {sample}")
            elif (uninstalled := self._uninstalled(source)) is not None:
                out[source.path] = uninstalled
        return {path: placement for path, placement in out.items() if path not in self.pinned}

    def _rig_images(self) -> dict[str, Placement]:
        """Dockerfiles a workflow or script builds from a folder of test rigs (`utilities/benchmark/`,
        `loadtest/`): the image of the benchmark or load test, pushed for the rig to pull, not the service
        production runs."""
        out: dict[str, Placement] = {}
        for path, why in self._prod.items():
            source = self.views.by_path.get(path)
            if source is None or source.kind != FileKind.DOCKERFILE or source.context != Context.PROD:
                continue
            rig = self._folder_word(source)
            if rig is not None and rig.context == Context.TEST and rig.reason.startswith("under `"):
                out[path] = Placement(Context.TEST, f"{rig.reason}: the image {why} is the rig's, not the service's")
        return out

    def _place_overlays(self, compose_files: list[SourceFile], out: dict[str, Placement]) -> None:
        """An overlay whose own usage comment layers it onto development compose files only is development."""
        for source in compose_files:
            if source.path not in out and source.context == Context.PROD:
                base = development_base(source, self._services_by_file.get(source.path, []), self.views.by_path,
                                        lambda p: out[p].context if p in out else self.views.by_path[p].context)
                if base is not None:
                    out[source.path] = Placement(Context.DEV, f"an overlay its usage layers onto {base[0]} "
                                                 f"({source.path}:{base[1]}), a development compose file")

    def _place_included(self, compose_files: list[SourceFile], out: dict[str, Placement],
                        documents: dict[str, YNode]) -> None:
        """A compose file that only development compose files `include:` runs in their stack: development."""
        included = includers(documents)
        for source in compose_files:
            by = included.get(source.path)
            if not by or source.path in out or source.context != Context.PROD:
                continue
            if all((out[p].context if p in out else self.views.by_path[p].context) in {Context.DEV, Context.TEST}
                   for p, _ in by):
                out[source.path] = Placement(Context.DEV, f"included by {by[0][0]} ({by[0][0]}:{by[0][1]}), "
                                             "a development compose file")

    def _drop_cache_targets(self) -> None:
        """`docker build --target builder -t app-builder` beside `docker build -t app` of the same file warms
        the cache of a build stage: the image that runs is the whole build, and a stage a later one builds
        from (`FROM builder`, `COPY --from=builder`) is not what serves."""
        for dockerfile in self._untargeted & set(self.targets):
            text = self.views.by_path[dockerfile].text or ""
            kept = {t for t in self.targets[dockerfile] if not re.search(
                rf"(?im)^\s*(?:FROM\s+{re.escape(t)}(?:\s|$)|COPY\s.*--from={re.escape(t)}(?:\s|$))", text)}
            if kept:
                self.targets[dockerfile] = kept
            else:
                del self.targets[dockerfile]

    def apply(self) -> None:
        """Move each file the model places to its context; keep the reason for findings."""
        for path, placement in self.placements.items():
            source = self.views.by_path.get(path)
            if source is not None:
                source.context = placement.context
                source.context_reason = placement.reason


def platform_ignores_healthcheck(platform: str) -> bool:
    return platform in contexts_knowledge()["platforms"]["ignore_healthcheck"]["names"]


def _has_command(view: DockerfileView | None) -> bool:
    stage = view.stage(None) if view is not None else None
    return stage is not None and (view.effective(stage, "CMD") is not None  # type: ignore[union-attr]  # view set with stage
                                  or view.effective(stage, "ENTRYPOINT") is not None)  # type: ignore[union-attr]  # as above


def _beside(path: str, others: set[str]) -> str | None:
    """The first of `others` in the same folder as `path`, when `path` is the folder's default Dockerfile: the
    production variant of the image the folder builds (`Dockerfile.openshift` beside `Dockerfile`). A Dockerfile
    named for a part of the project (`Dockerfile.frontend`) builds another image, whatever is beside it."""
    folder, name = posixpath.split(path)
    if name not in _DEFAULT_DOCKERFILES:
        return None
    return next((other for other in sorted(others) if other != path and posixpath.dirname(other) == folder), None)


_DEFAULT_DOCKERFILES = frozenset(load("files")["dockerfiles"]["names"]) | {"dockerfile"}  # and the CLI's fallback
