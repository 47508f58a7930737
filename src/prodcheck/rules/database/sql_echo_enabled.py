"""PC407 sql-echo-enabled. Docs and tests: rules/PC407-sql-echo-enabled.md"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.knowledge.databases import sqlalchemy_engine
from prodcheck.model.facts import Value
from prodcheck.model.files import Context
from prodcheck.model.finding import Location, Severity
from prodcheck.project import Project
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.rules.database.pool_without_pre_ping import one_off_script


class SqlEchoEnabled(Rule):
    meta = RuleMeta(
        code="PC407", name="sql-echo-enabled",
        summary="`echo=True` on a production engine: every statement and its parameters in the logs",
        severity=Severity.WARNING, kinds=("py",), dev="skip", security=4.0,
    )

    def check(self, project: Project) -> Iterator[Draft]:
        for engine in project.configured_engines:
            value = engine.value
            if sqlalchemy_engine(value.text, keyword_options=False) is None or project.context_of(engine.facts.path) != Context.PROD:
                continue
            echo = value.kwarg("echo")
            if echo is None or one_off_script(project, engine):
                continue
            level = self._echo_level(project, echo, engine.facts.module)
            if level is None:
                continue
            hidden = value.kwarg("hide_parameters")
            parameters = "" if hidden is not None and hidden.is_true else " with its bound parameters (emails, " \
                                                                          "password hashes, tokens)"
            yield self.draft(
                f"`echo={level}` on `{value.last}()` logs every SQL statement{parameters}"
                f"{' and every result row' if level == repr('debug') else ''} at INFO: log volume grows with "
                "traffic, and personal data and secrets end up in the log pipeline; remove it or drive it from a "
                "setting that is off in production (`echo=settings.SQL_ECHO`)",
                Location(engine.facts.path, echo.span),
            )

    @staticmethod
    def _echo_level(project: Project, echo: Value, module: str) -> str | None:
        """`True` / `'debug'` when the value is a literal (or a module constant) that turns echo on."""
        if echo.kind == "name":
            assigned = project.python.assigned_value(echo.text) or project.python.assigned_value(f"{module}.{echo.text}")
            if assigned is None or assigned.kind != "const":
                return None  # a setting, an environment variable: decided at deploy time
            echo = assigned
        if echo.is_true:
            return "True"
        if echo.is_str and str(echo.literal).lower() == "debug":
            return repr("debug")
        return None
