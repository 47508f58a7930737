"""PC406 sqlite-in-production. Docs and tests: rules/PC406-sqlite-in-production.md"""
from __future__ import annotations

import posixpath
from collections.abc import Iterator

from prodcheck.knowledge import load
from prodcheck.knowledge.templates import is_template_name
from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Location, Severity, Span
from prodcheck.parsing.dockerfile import parse_assignments
from prodcheck.project import Project
from prodcheck.project.db_urls import URL_KEYS, UrlResolver, UrlSource, env_file_paths
from prodcheck.project.infra import k8s_env, scalar_location
from prodcheck.project.images import is_third_party_image
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.rules.database.pool_without_pre_ping import _function_of, one_off_script

# `.env.production`, `prod.env`: the words that name a production variant (knowledge/contexts.toml).
_PROD_ENV_NAMES = tuple(load("contexts")["names"]["prod_words"])
_CONSEQUENCE = ("one writer at a time (concurrent requests get `database is locked`), a file inside the "
                "container that a redeploy replaces, and not shared between replicas or hosts")


def _is_sqlite(url: str) -> bool:
    return url.strip().lower().startswith("sqlite")


def _url_key(key: str) -> bool:
    return bool(URL_KEYS.match(key)) and "TEST" not in key.upper()


class SqliteInProduction(Rule):
    meta = RuleMeta(
        code="PC406", name="sqlite-in-production",
        summary="A SQLite URL as the production database",
        severity=Severity.WARNING, kinds=("py", "compose", "k8s", "env", "dockerfile"), dev="skip",
    )

    def check(self, project: Project) -> Iterator[Draft]:
        drafts: dict[tuple[str, int], Draft] = {}
        for draft in (*self._python(project), *self._compose(project), *self._k8s(project),
                      *self._dockerfiles(project), *self._env_files(project)):
            key = (draft.location.path, draft.location.span.line)
            current = drafts.get(key)
            if current is None or (draft.severity or self.meta.severity) > (current.severity or self.meta.severity):
                drafts[key] = draft
        yield from drafts.values()

    # ------------------------------------------------------------ Python engines

    def _python(self, project: Project) -> Iterator[Draft]:
        resolver = UrlResolver(project)
        for engine in project.engines:
            if project.context_of(engine.facts.path) != Context.PROD or one_off_script(project, engine):
                continue
            url_value = engine.value.arg(0) or engine.value.kwarg("url") or engine.value.kwarg("dsn")
            source = resolver.literal(url_value, engine.facts, _function_of(engine, resolver))
            if source is None or not _is_sqlite(source.url):
                continue
            unset = None
            if source.how in {"fallback", "settings"} and source.variable:
                unset = resolver.unset_in_production(
                    source.variable, lambda ref, e=engine: any(x is e for x in project.engines_for_app(ref)))
            yield self._python_draft(source, f"`{engine.value.last}()` at {engine.location}", unset)
        # Tortoise's set-up calls, by name (each distinct call name judged once, not every call).
        for facts, call in project.calls.among(project.calls.names_ending_with(("register_tortoise", "Tortoise.init"))):
            if project.context_of(facts.path) != Context.PROD or call.in_main:
                continue
            url_value = call.value.kwarg("db_url")
            function = resolver.index.functions.get(call.scope, (None,))[0] if call.scope else None
            source = resolver.literal(url_value, facts, function)
            if source is not None and _is_sqlite(source.url):
                yield self._python_draft(source, f"`{call.value.last}()` at {facts.path}:{call.span.line}")

    def _python_draft(self, source: UrlSource, used_by: str, unset: list[str] | None = None) -> Draft:
        if source.how in {"fallback", "settings"} and unset:
            where = ", ".join(f"`{name}`" for name in unset[:2])
            return self.draft(
                f"SQLite `{source.url}` is the default database for {used_by}, and nothing in the production "
                f"configuration sets `{source.variable}` ({where}), so production runs on it: {_CONSEQUENCE}; "
                f"set `{source.variable}` to a PostgreSQL URL and drop the default",
                source.location,
            )
        if source.how in {"fallback", "settings"}:
            variable = f"`{source.variable}`" if source.variable else "the environment variable"
            return self.draft(
                f"SQLite `{source.url}` is the default database for {used_by} when {variable} is unset: a "
                "deploy that forgets the variable starts on an empty, throwaway SQLite file instead of failing; "
                "make the variable required in production",
                source.location, severity=Severity.INFO,
            )
        return self.draft(
            f"SQLite `{source.url}` is the database of {used_by}: {_CONSEQUENCE}; use PostgreSQL and read the URL "
            "from the environment",
            source.location,
        )

    # ------------------------------------------------------------ configuration

    def _config_draft(self, key: str, value: str, location: Location, where: str) -> Draft:
        return self.draft(f"`{key}` is SQLite (`{value}`) {where}: {_CONSEQUENCE}; point it at PostgreSQL", location)

    def _compose(self, project: Project) -> Iterator[Draft]:
        for service in project.compose_services:
            if service.file.context != Context.PROD or is_third_party_image(service.image):
                continue
            for key, node in service.environment.items():
                value = node.as_str() or ""
                if _url_key(key) and _is_sqlite(value):
                    yield self._config_draft(key, value, scalar_location(service.file.path, node),
                                             f"for compose service `{service.name}`")
            env_files = service.node.get("env_file")
            for name in env_file_paths(env_files):
                path = posixpath.normpath(posixpath.join(posixpath.dirname(service.file.path), name))
                yield from self._env_file(project, path, f"in the `env_file` of compose service `{service.name}`")

    def _k8s(self, project: Project) -> Iterator[Draft]:
        for workload in project.workloads:
            if workload.file.context != Context.PROD:
                continue
            for container in workload.containers + workload.init_containers:
                for key, node in k8s_env(container.node).items():
                    value = node.as_str() or ""
                    if _url_key(key) and _is_sqlite(value):
                        yield self._config_draft(key, value, scalar_location(workload.file.path, node),
                                                 f"for container `{container.name}` of {workload.label}")

    def _dockerfiles(self, project: Project) -> Iterator[Draft]:
        for source, view in project.dockerfiles:
            if source.context != Context.PROD:
                continue
            stage = view.stage(None)
            if stage is None:
                continue
            for member in view.lineage(stage):
                for instruction in member.instructions:
                    if instruction.keyword != "ENV":
                        continue
                    for key, value in parse_assignments(instruction.value):
                        if _url_key(key) and _is_sqlite(value):
                            line = source.line(instruction.line)
                            start = line.find(key) + 1 if key in line else 1
                            yield self._config_draft(key, value, Location(source.path, Span(
                                instruction.line, start, instruction.line, len(line.rstrip()) + 1)), "baked into the image")

    def _env_files(self, project: Project) -> Iterator[Draft]:
        for source in project.of_kind(FileKind.ENV):
            name = source.path.rsplit("/", 1)[-1].lower()
            if source.context != Context.PROD or is_template_name(name):
                continue
            production = any(word in name.split(".") for word in _PROD_ENV_NAMES)
            for draft in self._env_file(project, source.path, f"in `{name}`"):
                if not production:
                    draft.severity = Severity.INFO
                    draft.message += " (if this file is only for local runs, name it `.env.local` or keep it out of git)"
                yield draft

    def _env_file(self, project: Project, path: str, where: str) -> Iterator[Draft]:
        source = project.by_path.get(path)
        if source is None or source.kind != FileKind.ENV or source.error is not None:
            return
        name = path.rsplit("/", 1)[-1].lower()
        if source.context != Context.PROD or is_template_name(name):
            return
        for entry in project.env_entries(source):
            if _url_key(entry.key) and _is_sqlite(entry.value):
                line = source.line(entry.line)
                yield self._config_draft(entry.key, entry.value, Location(path, Span(
                    entry.line, 1, entry.line, len(line.rstrip()) + 1)), where)
