"""Database engines and connection pools the Python code creates, with their pool sizes."""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

from prodcheck.knowledge import load
from prodcheck.extract.once import memo_decorators
from prodcheck.knowledge.databases import EngineFactory, engine_factories, engine_factory
from prodcheck.knowledge.frameworks import application_constructors
from prodcheck.knowledge.environment import is_env_getter
from prodcheck.knowledge.servers import cpu_count_calls
from prodcheck.knowledge.migrations import environment_imports
from prodcheck.model.facts import INFERRED, LITERAL, TOOL_DEFAULT, Call, Fact, PyFacts, Value
from prodcheck.model.files import Context
from prodcheck.model.finding import Location, Span
from prodcheck.parsing import small_int
from prodcheck.parsing.shell import expand_default
from prodcheck.model.record import record

if TYPE_CHECKING:
    from prodcheck.project import Project

_MIGRATION_DIRS = frozenset(load("migrations")["folders"]["names"])


@record
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
    call: Call

    @property
    def unbounded(self) -> bool:
        """`max_overflow=-1`: SQLAlchemy's QueuePool then places no limit on the connections it opens
        (https://docs.sqlalchemy.org/en/20/core/pooling.html#sqlalchemy.pool.QueuePool.params.max_overflow)."""
        return not self.null_pool and self.max_overflow is not None and self.max_overflow.value < 0

    @property
    def per_process(self) -> int | None:
        if self.null_pool:
            return 0
        if self.pool_size is None or self.max_overflow is None or self.unbounded:
            return None
        return self.pool_size.value + self.max_overflow.value


def _test_named(target: str) -> bool:
    """`test_engine`, `app.db.engine_for_tests`: a name (its last part) with the word test."""
    return "test" in re.split(r"[^a-z]+", target.rsplit(".", 1)[-1].lower())


def _engine_or_pool(name: str) -> bool:
    """An engine or pool factory (not `engine_from_config` alone without a pool)."""
    factory = engine_factory(name)
    return factory is not None and (factory.from_config or factory.pool_defaults is not None)


class Engines:
    def __init__(self, project: Project) -> None:
        self.project = project

    @cached_property
    def all(self) -> list[Engine]:
        """Engines and pools whose call says their size (not `engine_from_config(...)`)."""
        return self._engines(from_config=False)

    @cached_property
    def configured(self) -> list[Engine]:
        """Every engine and pool, with those built from a configuration dict
        (`engine_from_config(config, echo=True)`: its keywords still override the dict)."""
        return self._engines(from_config=True)

    @cached_property
    def _factory_names(self) -> frozenset[str]:
        """The project's call names of an engine or pool factory, judged once for `all` and `configured`."""
        return self.project.calls.called(name for name in engine_factories() if _engine_or_pool(name))  # (exact names)

    def _engines(self, from_config: bool) -> list[Engine]:
        engines = []
        skipped: dict[str, bool] = {}  # path -> the file makes no production engine
        test_engines: dict[str, set[Span]] = {}  # path -> the spans of values assigned to test names
        for facts, call in self.project.calls.among(self._factory_names):
            factory = engine_factory(call.name)
            assert factory is not None
            if factory.from_config and not from_config:
                continue  # not a pool whose size its call says
            if facts.path not in skipped:
                # Alembic's env.py wherever it lives: `alembic upgrade` runs it, not the web process
                skipped[facts.path] = bool(_MIGRATION_DIRS.intersection(facts.path.split("/")[:-1])) or any(
                    target in environment_imports() for _, target in facts.imports)
            if skipped[facts.path]:
                continue
            tests = test_engines.get(facts.path)
            if tests is None:
                tests = test_engines[facts.path] = {a.value.span for a in facts.assigns if _test_named(a.target)}
                tests.update(value.span for function in facts.functions for name, value, _ in function.locals
                             if _test_named(name))  # a function's own names are its locals only
            if call.in_main or call.value.span in tests:
                continue  # an engine only tests use never opens connections in production
            engines.append(self._engine(call, facts, factory))
        return engines

    def kept_for_app(self, app_ref: str | None) -> list[Engine]:
        """The engines of `for_app` each process builds once and keeps: the pools whose connections
        add up per process."""
        return [e for e in self.for_app(app_ref) if self._once_per_process(e.call)]

    def _once_per_process(self, call: Call) -> bool:
        """The engine is built once in each process that imports its module: at module level, in a
        function the process's set-up reaches (a module-level call, a start-up hook, an app factory,
        a class built at import), in a memoised function, or in a lazy initialisation. An engine a
        function builds when something asks for it (a connector to a customer's datastore, a session
        for a cron script, a one-shot check) holds no pool the web process keeps: how many there are
        depends on the callers, so it is not added to the process's connections."""
        if not call.scope or call.once:
            return True
        found = self.project.python.functions.get(call.scope)
        if found is not None and not memo_decorators().isdisjoint(d.text for d in found[0].decorators):
            return True
        return call.scope in self._set_up

    @cached_property
    def _set_up(self) -> frozenset[str]:
        """Functions a process runs while it sets up: called at a production module's top level,
        start-up hooks, the functions that build the application, and what they call (`__init__` of a
        class they build)."""
        index = self.project.python
        pending: list[str] = [function.qualname for function, _facts, _how in index.startup_hooks]
        # the application constructors the project calls (the knowledge lists them: no call name is judged)
        applications = index.calls.called(application_constructors())
        for facts in index.files.values():
            if self.project.context_of(facts.path) == Context.TEST:
                continue
            for call in facts.calls:
                scope = call.scope
                if (scope and call.value.text not in applications) or call.in_main:
                    continue
                pending.append(scope or call.value.text)  # a module-level call, or an app factory
        seen: set[str] = set()
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            target = index.function(name)
            if target is None:
                resolved = index.resolve(name)
                if resolved is None or not resolved.cls:
                    continue
                target = index.functions.get(f"{resolved.qualname}.__init__")
                if target is None:
                    continue
            function = target[0]
            seen.add(function.qualname)
            for call in index.calls_by_scope.get(function.qualname, []):
                name = call.name
                if name.startswith("self.") and function.class_name:
                    name = f"{function.class_name}.{name[5:]}"
                pending.append(name)
        return frozenset(seen)

    def _engine(self, call: Call, facts: PyFacts, factory: EngineFactory) -> Engine:
        value = call.value
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
            found = self._int_fact(node, facts)
            if found is None:
                return None
            literal, origin = found
            if node.kind == "const":
                return Fact(literal, Location(facts.path, node.span), LITERAL, f"{key}={literal}")
            # Written elsewhere (a constant, a settings default, an env var's fallback): point there.
            return Fact(literal, origin, INFERRED, f"{key}={literal}")

        return Engine(
            factory=value.text, location=location, facts=facts,
            pool_size=number(size_key, defaults[0], "pool_size" if not is_pool else "max_size"),
            max_overflow=number(overflow_key, defaults[1], "max_overflow"),
            null_pool=null_pool, url=url, is_async=factory.mode == "async", value=value, call=call,
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

    def _int_fact(self, value: Value, facts: PyFacts, depth: int = 0) -> tuple[int, Location] | None:
        """The number an expression gives when the environment leaves it alone, and where that number
        is written: a literal; `int(...)` of one; an environment getter's default (`os.getenv("X", "40")`,
        `config("X", cast=int, default=20)`); the fallback of `os.environ.get("X") or 40`; a name or
        a settings field (`settings.POOL_SIZE: int = 16`) bound to one."""
        if depth > 6:
            return None
        here = Location(facts.path, value.span)
        if value.int_value is not None:
            return value.int_value, here
        if value.is_str and (number := small_int(str(value.literal))) is not None:
            return number, here
        if value.kind == "call" and value.text in {"int", "float", "str", "round"} and len(value.items) == 1:
            return self._int_fact(value.items[0], facts, depth + 1)  # `int(getenv("X", str(WORKERS * 3)))`
        if value.kind == "call" and is_env_getter(value.text, self.project.python.constructor_of):
            default = value.arg(1) or value.kwarg("default")
            return self._int_fact(default, facts, depth + 1) if default is not None else None
        if value.kind == "call" and value.text in {"max", "min"} and len(value.items) > 1 and not value.flat_keywords:
            # `max(settings.pool_size // settings.web_concurrency, 5)`: every argument known, the one picked
            found = [self._int_fact(item, facts, depth + 1) for item in value.items]
            known = [item for item in found if item is not None]
            if len(known) != len(found):
                return None
            pick = max if value.text == "max" else min
            return pick(known, key=lambda item: item[0])
        if value.kind == "binop" and len(value.items) == 2 and value.text in _ARITHMETIC:
            left, right = (self._int_fact(item, facts, depth + 1) for item in value.items)
            if left is None or right is None or (value.text in {"FloorDiv", "Div"} and right[0] == 0):
                return None
            return int(_ARITHMETIC[value.text](left[0], right[0])), here
        if value.kind == "boolop" and value.text == "Or" and len(value.items) == 2:
            left, right = value.items
            if left.kind == "call" and is_env_getter(left.text, self.project.python.constructor_of) \
                    and left.arg(1) is None and left.kwarg("default") is None:
                return self._int_fact(right, facts, depth + 1)  # int(os.environ.get("X") or 40)
            return None
        if value.kind == "name":
            from prodcheck.project.db_urls import UrlResolver

            resolver = UrlResolver(self.project)
            assigned = resolver.assignment(value.text, facts)  # None for `settings = Settings()`
            if assigned is not None:
                return self._int_fact(assigned[0], assigned[1], depth + 1) if assigned[0] is not value else None
            field = resolver.settings_field(value.text, facts)
            if field is not None and field[0] is not None:
                return self._int_fact(field[0], field[1], depth + 1)
        return None

    def for_app(self, app_ref: str | None) -> list[Engine]:
        """Engines in the code a server's app reference loads, prod only: those whose module the app's
        module imports (directly or through other project modules). When the imports show none (an
        import the index cannot follow), those in the app's own package. Never every engine of the
        repository: one that nothing served loads (a cron script, a CLI, another service's datastore)
        opens no connection in this process."""
        candidates = [e for e in self.all if self.project.context_of(e.facts.path) == Context.PROD]
        served = self.served_modules(app_ref)
        imported = [e for e in candidates if e.facts.module in served]
        if imported or not app_ref:
            return imported
        module = expand_default(app_ref)[0] if "$" in app_ref else app_ref
        module = (module or "").split(":", 1)[0].removesuffix(".py").replace("/", ".").strip(".")
        top = module.split(".", 1)[0]
        folder = self._package_folder(module)
        return [e for e in candidates if (top and (e.facts.module.split(".", 1)[0] == top
                or e.facts.module.startswith(module.rsplit(".", 1)[0])))
                or (folder is not None and e.facts.path.startswith(folder))]

    def _package_folder(self, module: str) -> str | None:
        """The folder of the app module's top package (`backend/app/` for backend/app/main.py as
        `app.main`), or its source root for a top-level module (`src/` for src/main.py as `main`);
        None for a module at the repository's root."""
        found = self.project.python.module_for(module) if module else None
        if found is None:
            return None
        path = self.project.python.modules[found].path
        own = found.replace(".", "/")
        for suffix in (own + ".py", own + "/__init__.py"):
            if path.endswith(suffix):
                root = path[: len(path) - len(suffix)]
                folder = root + found.split(".", 1)[0] + "/" if "." in found else root
                return folder or None
        return None

    def served_modules(self, app_ref: str | None) -> set[str]:
        index = self.project.python
        roots: list[str] = []
        if app_ref and "$" in app_ref:
            app_ref = expand_default(app_ref)[0]  # ${APP_MODULE:-app.main:app}
        if app_ref:
            module = app_ref.split(":", 1)[0].removesuffix(".py").replace("/", ".").strip(".")
            found = index.module_for(module) if module else None
            if found is None and "." in module:
                found = index.module_for(module.rsplit(".", 1)[-1])
            if found is not None:
                roots = [found]
        if not roots:
            roots = sorted({app.facts.module for app in index.apps.values() if app.kind != "router"})
        return index.imported_closure(roots) if roots else set()


# Arithmetic a pool size is computed with (`WORKERS * 3`, `POOL // WEB_CONCURRENCY`), as `ast` names the operators
_ARITHMETIC: dict[str, Callable[[int, int], float]] = {
    "Add": lambda a, b: a + b, "Sub": lambda a, b: a - b, "Mult": lambda a, b: a * b,
    "FloorDiv": lambda a, b: a // b, "Div": lambda a, b: a / b,
}


def lower_bound_int(value: Value) -> int | None:
    """An int, or the least an expression like `cpu_count() * 2 + 1` can be."""
    if value.int_value is not None:
        return value.int_value
    if value.kind == "call" and value.text in cpu_count_calls():
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
