"""PC404 async-session-expires-on-commit. Docs and tests: rules/PC404-async-session-expires-on-commit.md"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.fix.python import add_keyword
from prodcheck.knowledge.databases import async_session_factory_name, is_async_session_factory, sync_session_factories
from prodcheck.model.facts import Value
from prodcheck.model.files import Context
from prodcheck.model.finding import Location, Severity
from prodcheck.project import Project
from prodcheck.rules.base import Draft, FixAvailability, Rule, RuleMeta


def async_factory(value: Value) -> str | None:
    """`async_sessionmaker(...)` or `sessionmaker(..., class_=AsyncSession)`: how it reads, else None."""
    if value.kind != "call":
        return None
    if is_async_session_factory(value.text):
        return "async_sessionmaker()"
    if value.text in sync_session_factories():
        session_class = value.kwarg("class_")
        if session_class is not None and session_class.text.endswith("AsyncSession"):
            return "sessionmaker(class_=AsyncSession)"
    return None


class AsyncSessionExpiresOnCommit(Rule):
    meta = RuleMeta(
        code="PC404", name="async-session-expires-on-commit",
        summary="Async session factory without `expire_on_commit=False`",
        severity=Severity.WARNING, kinds=("py",), dev="skip", fix=FixAvailability.SOMETIMES,
    )

    def check(self, project: Project) -> Iterator[Draft]:
        # Only the calls of a session factory's name: the names are judged once each, not every call.
        calls = project.calls
        wanted = calls.entries_of(sync_session_factories()).union(
            name for name in calls.names_ending_with((async_session_factory_name(),)) if is_async_session_factory(name))
        for facts, call in calls.among(wanted):
            if project.context_of(facts.path) != Context.PROD:
                continue
            what = async_factory(call.value)
            written = call.value.kwarg("expire_on_commit")
            if what is None or call.value.has_star or (written is not None and not written.is_true):
                continue  # not an async factory, maybe set through **kwargs, or set to anything but True
            yield self.draft(
                f"`{what}` without `expire_on_commit=False`: every commit expires the loaded objects, and the "
                "next attribute read (`order.id` in the response, a relationship in a template) has to "
                "lazy-load from the database, which an async session cannot do implicitly: it raises "
                "`MissingGreenlet` and the request fails with a 500; pass `expire_on_commit=False`",
                Location(facts.path, call.span), context=Context.DEV if call.in_main else None,
                fix=add_keyword(project, facts.path, call.value, "expire_on_commit", "False") if written is None else None,
            )
