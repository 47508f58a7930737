"""PC502 sync-driver-for-async-engine. Docs and tests: rules/PC502-sync-driver-for-async-engine.md"""
from __future__ import annotations

import posixpath
from collections.abc import Iterator

from prodcheck.knowledge import load
from prodcheck.knowledge.databases import sqlalchemy_engine
from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Severity
from prodcheck.project import Engine, Project
from prodcheck.project.db_urls import UrlResolver, UrlSource, scheme_of
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.rules.database.pool_without_pre_ping import _function_of, one_off_script

# scheme -> (the sync DBAPI it loads, the async scheme to use instead)
SYNC_SCHEMES: dict[str, tuple[str, str]] = {
    scheme: (entry["driver"], entry["instead"]) for scheme, entry in load("databases")["sync_schemes"].items()
}


def _sync(source: UrlSource) -> tuple[str, str] | None:
    return SYNC_SCHEMES.get(scheme_of(source.url))


class SyncDriverForAsyncEngine(Rule):
    meta = RuleMeta(
        code="PC502", name="sync-driver-for-async-engine",
        summary="`create_async_engine` with a sync driver URL (`postgresql://`, `+psycopg2`)",
        severity=Severity.ERROR, kinds=("py", "compose", "k8s", "dockerfile", "env"), dev="skip",
    )

    def check(self, project: Project) -> Iterator[Draft]:
        resolver = UrlResolver(project)
        seen: set[tuple[str, int]] = set()
        for engine in project.engines:
            if (factory := sqlalchemy_engine(engine.value.text)) is None or factory.mode != "async" or project.context_of(engine.facts.path) != Context.PROD:
                continue
            if one_off_script(project, engine):
                continue
            for draft in self._engine(project, resolver, engine):
                key = (draft.location.path, draft.location.span.line)
                if key not in seen:
                    seen.add(key)
                    yield draft

    def _engine(self, project: Project, resolver: UrlResolver, engine: Engine) -> Iterator[Draft]:
        url_value = engine.value.arg(0) or engine.value.kwarg("url")
        function = _function_of(engine, resolver)
        literal = resolver.literal(url_value, engine.facts, function)
        config = self._config(project, resolver, engine, url_value, function)
        where = f"`create_async_engine()` at {engine.location}"
        related = (engine.location.labelled("create_async_engine()"),)
        if literal is not None:
            sync = _sync(literal)
            if sync is not None:
                masked = literal.masked
                if literal.how == "literal":
                    yield self.draft(
                        f"`{masked}` selects the sync driver {sync[0]}, and {where} uses it: the app fails at "
                        "start-up with `InvalidRequestError: The asyncio extension requires an async driver`; "
                        f"use `{sync[1]}://`",
                        literal.location, related=related, secrets=_secret(literal),
                    )
                else:
                    overridden = config and all(_sync(c) is None for c in config)
                    variable = f"`{literal.variable}`" if literal.variable else "its variable"
                    unset = resolver.unset_in_production(
                        literal.variable, lambda ref: any(e is engine for e in project.engines_for_app(ref))
                    ) if literal.variable and not config else None
                    if unset:
                        yield self.draft(
                            f"the default `{masked}` selects the sync driver {sync[0]} for {where}, and nothing in "
                            f"the production configuration sets {variable} "
                            f"({', '.join(f'`{n}`' for n in unset[:2])}): the app fails at start-up with "
                            f"`InvalidRequestError: The asyncio extension requires an async driver`; use `{sync[1]}://`",
                            literal.location, related=related, secrets=_secret(literal),
                        )
                    else:
                        yield self.draft(
                            f"the default `{masked}` (used when {variable} is unset) selects the sync driver "
                            f"{sync[0]} for {where}: without the variable the app cannot start; use `{sync[1]}://`",
                            literal.location, related=related, secrets=_secret(literal),
                            severity=Severity.INFO if overridden else Severity.WARNING,
                        )
            if literal.how == "literal":
                return  # written in code: configuration does not reach it
        for value in config:
            sync = _sync(value)
            if sync is None:
                continue
            yield self.draft(
                f"`{value.variable}` is `{value.masked}`, which selects the sync driver {sync[0]}, and {where} "
                "reads it unchanged: the app fails at start-up with `InvalidRequestError: The asyncio extension "
                f"requires an async driver`; use `{sync[1]}://`",
                value.location, related=related, secrets=_secret(value),
            )

    @staticmethod
    def _config(project: Project, resolver: UrlResolver, engine: Engine, url_value, function) -> list[UrlSource]:
        read = resolver.env_read(url_value, engine.facts, function)
        if read is None or read.transformed:
            return []

        def runs_engine(app_ref: str | None) -> bool:
            return any(e is engine for e in project.engines_for_app(app_ref))

        values = resolver.config_values(read.variable, runs_engine)
        if read.settings_class:
            settings_facts = resolver.index.classes.get(read.settings_class, (None, None))[1]
            for name in resolver.settings_env_files(read.settings_class):
                for base in ("", posixpath.dirname(getattr(settings_facts, "path", "") or "")):
                    path = posixpath.normpath(posixpath.join(base, name))
                    source = project.by_path.get(path)
                    if source is None or source.kind != FileKind.ENV or source.context != Context.PROD:
                        continue
                    for found in resolver.env_file_values(path, read.variable):
                        if all(found.location != v.location for v in values):
                            values.append(found)
                    break
        return values


def _secret(source: UrlSource) -> tuple[str, ...]:
    password = source.password
    return (password,) if password else ()
