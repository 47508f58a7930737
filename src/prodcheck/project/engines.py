"""Database engines and connection pools the Python code creates, with their pool sizes."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from prodcheck.knowledge.databases import EngineFactory, engine_factory
from prodcheck.knowledge.environment import is_env_getter
from prodcheck.model.facts import INFERRED, LITERAL, TOOL_DEFAULT, Fact, PyFacts, Value
from prodcheck.model.files import Context
from prodcheck.model.finding import Location
from prodcheck.parsing import small_int

if TYPE_CHECKING:
    from prodcheck.project import Project

_MIGRATION_DIRS = ("alembic/", "migrations/", "migration/")


@dataclass(frozen=True, slots=True)
class Engine:
    factory: str
    location: Location  # the call
    facts: PyFacts
    pool_size: Fact[int] | None  # None: not statically known
    max_overflow: Fact[int] | None
    null_pool: bool
    url: str | None  # literal URL, if any
    is_async: bool
    value: Value

    @property
    def per_process(self) -> int | None:
        if self.null_pool:
            return 0
        if self.pool_size is None or self.max_overflow is None:
            return None
        return self.pool_size.value + self.max_overflow.value


class Engines:
    def __init__(self, project: Project) -> None:
        self.project = project

    @cached_property
    def all(self) -> list[Engine]:
        engines = []
        for _path, facts in self.project.python_facts.items():
            if facts.path.startswith(_MIGRATION_DIRS) or "/alembic/" in facts.path or "/migrations/" in facts.path:
                continue
            test_engines = {a.value.span for a in facts.assigns
                            if "test" in re.split(r"[^a-z]+", a.target.rsplit(".", 1)[-1].lower())}
            for call in facts.calls:
                factory = engine_factory(call.name)
                if factory is None or factory.from_config or factory.pool_defaults is None:
                    continue  # not a pool whose size its call says
                if call.in_main or call.value.span in test_engines:
                    continue  # an engine only tests use never opens connections in production
                engines.append(self._engine(call.value, facts, factory))
        return engines

    def _engine(self, value: Value, facts: PyFacts, factory: EngineFactory) -> Engine:
        location = Location(facts.path, value.span)
        defaults = factory.pool_defaults or (0, 0)
        is_pool = factory.library != "sqlalchemy"
        size_key, overflow_key = factory.size_keyword, factory.overflow_keyword
        url_value = value.arg(0) or value.kwarg("url") or value.kwarg("dsn")
        url = self._literal_string(url_value, facts)
        pool_class = value.kwarg("poolclass")
        null_pool = pool_class is not None and pool_class.last in {"NullPool", "StaticPool"}
        if url and url.startswith("sqlite"):
            null_pool = True

        def number(key: str | None, default: int, what: str) -> Fact[int] | None:
            if key is None:
                return Fact(0, location, TOOL_DEFAULT, "")
            node = value.kwarg(key)
            if node is None:
                if value.has_star:
                    return None
                return Fact(default, location, TOOL_DEFAULT, f"{what} {default} (default)")
            literal = self._int_value(node, facts)
            if literal is None:
                return None
            certainty = LITERAL if node.kind == "const" else INFERRED
            return Fact(literal, Location(facts.path, node.span), certainty, f"{key}={literal}")

        return Engine(
            factory=value.text, location=location, facts=facts,
            pool_size=number(size_key, defaults[0], "pool_size" if not is_pool else "max_size"),
            max_overflow=number(overflow_key, defaults[1], "max_overflow"),
            null_pool=null_pool, url=url, is_async=factory.mode == "async", value=value,
        )

    def _literal_string(self, value: Value | None, facts: PyFacts) -> str | None:
        if value is None:
            return None
        if value.is_str:
            return str(value.literal)
        if value.kind == "name":
            python = self.project.python
            assigned = python.assigned_value(value.text) or python.assigned_value(f"{facts.module}.{value.text}")
            if assigned is not None and assigned.is_str:
                return str(assigned.literal)
        return None

    def _int_value(self, value: Value, facts: PyFacts) -> int | None:
        if value.int_value is not None:
            return value.int_value
        if value.kind == "call" and value.text == "int" and value.items:
            inner = value.items[0]
            default = inner.arg(1) or inner.kwarg("default")
            if inner.kind == "call" and is_env_getter(inner.text, self.project.python.constructor_of) and default is not None:
                if default.literal is not None and (number := small_int(default.literal)) is not None:
                    return number
        if value.kind == "name":
            python = self.project.python
            assigned = python.assigned_value(value.text) or python.assigned_value(f"{facts.module}.{value.text}")
            if assigned is not None and assigned is not value:
                return self._int_value(assigned, facts) if assigned.kind != "name" else None
        return None

    def for_app(self, app_ref: str | None) -> list[Engine]:
        """Engines in the code a server's app reference loads (its top package), prod only."""
        candidates = [e for e in self.all if self.project.context_of(e.facts.path) == Context.PROD]
        if not app_ref:
            return candidates
        module = app_ref.split(":", 1)[0].removesuffix(".py").replace("/", ".").strip(".")
        top = module.split(".", 1)[0]
        matching = [e for e in candidates if e.facts.module.split(".", 1)[0] == top
                    or e.facts.module.startswith(module.rsplit(".", 1)[0])]
        return matching or candidates


def lower_bound_int(value: Value) -> int | None:
    """An int, or the least an expression like `cpu_count() * 2 + 1` can be."""
    if value.int_value is not None:
        return value.int_value
    if value.kind == "call" and value.last == "cpu_count":
        return 1
    if value.kind == "call" and value.text == "int" and value.items:
        inner = value.items[0]
        default = inner.arg(1) or inner.kwarg("default")
        if inner.kind == "call" and is_env_getter(inner.text) and default is not None:
            if default.literal is not None and (number := small_int(default.literal)) is not None:
                return number
        return None
    if value.kind == "binop" and len(value.items) == 2:
        left, right = lower_bound_int(value.items[0]), lower_bound_int(value.items[1])
        if left is None or right is None:
            return None
        if value.text == "Add":
            return left + right
        if value.text == "Mult":
            return left * right
    return None
