"""PC403 pool-without-pre-ping. Docs and tests: rules/PC403-pool-without-pre-ping.md"""
from __future__ import annotations

import re
from collections.abc import Iterator

from prodcheck.knowledge.databases import connectionless_keywords, connectionless_schemes, sqlalchemy_engine
from prodcheck.model.facts import Value
from prodcheck.model.files import Context
from prodcheck.fix.python import add_keyword
from prodcheck.model.finding import Location, Severity, Span
from prodcheck.project import Engine, Project
from prodcheck.project.db_urls import UrlResolver
from prodcheck.project.dev_guards import guarded
from prodcheck.rules.base import Draft, FixAvailability, Rule, RuleMeta


def connectionless_engine(engine: Engine, resolver: UrlResolver) -> bool:
    """An engine with no server connection to go stale: a URL (literal, constant, default, or an f-string
    whose scheme is literal) of a dialect that calls an HTTP API or runs in process (SQLite, BigQuery,
    DuckDB ...: knowledge/databases.toml), a keyword only such a dialect takes, or SQLite-only connect_args."""
    schemes = connectionless_schemes()
    url = engine.value.arg(0) or engine.value.kwarg("url")
    texts = [engine.url or ""]
    if url is not None and url.kind == "fstring":
        texts.append(url.text)  # f"sqlite+aiosqlite:///{path}": the scheme is literal even when the path is not
    source = resolver.literal(url, engine.facts, _function_of(engine, resolver))
    if source is not None:
        texts.append(source.url)
    if any(re.split(r"[+:]", text, maxsplit=1)[0].lower() in schemes for text in texts if "://" in text):
        return True
    if any(engine.value.kwarg(keyword) is not None for keyword in connectionless_keywords()):
        return True  # `credentials_info=...`: a BigQuery engine whatever its URL
    connect_args = engine.value.kwarg("connect_args")
    return connect_args is not None and connect_args.kwarg("check_same_thread") is not None


def _function_of(engine: Engine, resolver: UrlResolver):
    # One index of a file's call scopes, not a scan of every call per engine (quadratic).
    scopes: dict[str, dict[Span, str]] = resolver.__dict__.setdefault("_call_scopes", {})
    by_span = scopes.get(engine.facts.path)
    if by_span is None:
        by_span = {}
        for call in engine.facts.calls:
            if call.scope:
                by_span.setdefault(call.span, call.scope)
        scopes[engine.facts.path] = by_span
    scope = by_span.get(engine.value.span)
    if scope:
        found = resolver.index.functions.get(scope)
        return found[0] if found else None
    return None


def one_off_script(project: Project, engine: Engine) -> bool:
    """An engine in a command-line script (a `__main__` block) that no web app imports."""
    if engine.facts.main_block is None:
        return False
    index = project.python
    app_modules = [app.facts.module for app in index.apps.values() if app.kind != "router"]
    if not app_modules:
        return False
    return engine.facts.module not in index.imported_closure(app_modules)


def short_lived(engine: Engine) -> bool:
    """An engine a function makes, uses and drops (`engine = create_engine(url)` then `with engine.begin()`):
    bound to a local name that the function neither returns nor declares `global` or `nonlocal` (nor binds
    to such a name a value built from it, `SessionLocal = sessionmaker(engine)`), so its pool lives for
    one call and never holds a connection long enough to go stale."""
    scope = next((call.scope for call in engine.facts.calls if call.value.span == engine.value.span), "")
    # the nearest `def` of that name above the call: a project template (or a module redefining a
    # function in branches) holds several functions of one qualified name
    line = engine.value.span.line
    function = max((f for f in engine.facts.functions if f.qualname == scope and f.span.line <= line),
                   key=lambda f: f.span.line, default=None) if scope else None
    if function is None:
        return False
    names = {name for name, value, _ in function.locals if value.span == engine.value.span and "." not in name}
    if not names or any(value.span == engine.value.span for value in function.returns):
        return False
    # what holds the engine: the locals built from it (`factory = sessionmaker(engine)`); stored on an
    # attribute (`app.state.db_engine = engine`, `self.engine = ...`) it outlives the call
    for name, value, _ in function.locals:
        if _mentions(value, names):
            names.add(name)
    later = [a for a in engine.facts.assigns if a.scope == scope and a.span.line >= function.span.line]
    if any("." in a.target and _mentions(a.value, names) for a in later):
        return False
    returned = {value.text.split(".", 1)[0] for value in function.returns} | {
        item.text.split(".", 1)[0] for value in function.returns for item in (*value.items, *(v for _, v in value.keywords))}
    if names & returned:
        return False
    return not names & set(function.declared)


def _mentions(value: Value, names: set[str], depth: int = 0) -> bool:
    """`value` is one of `names`, or a call or container with one among its arguments."""
    if value.kind == "name" and value.text.split(".", 1)[0] in names:
        return True
    return depth < 3 and any(_mentions(item, names, depth + 1)
                             for item in (*value.items, *(v for _, v in value.keywords)))


class PoolWithoutPrePing(Rule):
    meta = RuleMeta(
        code="PC403", name="pool-without-pre-ping",
        summary="`create_engine`/`create_async_engine` without `pool_pre_ping=True`",
        severity=Severity.WARNING, kinds=("py",), dev="skip", fix=FixAvailability.SOMETIMES,
    )

    def check(self, project: Project) -> Iterator[Draft]:
        resolver = UrlResolver(project)
        for engine in project.engines:
            value = engine.value
            if sqlalchemy_engine(value.text) is None or engine.null_pool:
                continue
            if value.kwarg("pool_pre_ping") is not None or value.has_star:
                continue  # set (to anything: an explicit False is a decision), or maybe set through **kwargs
            if project.context_of(engine.facts.path) != Context.PROD:
                continue
            if connectionless_engine(engine, resolver) or one_off_script(project, engine):
                continue
            if short_lived(engine):
                continue
            source = project.by_path.get(engine.facts.path)
            if source is not None and guarded(source, value.span.line):
                continue  # `if settings.environment == "development": return create_async_engine(...)`
            name = value.last
            recycle = " (`pool_recycle` only retires connections by age; it does not notice a dead one)" \
                if value.kwarg("pool_recycle") is not None else ""
            yield self.draft(
                f"`{name}()` without `pool_pre_ping=True`: after a database restart or failover, or when a "
                "proxy, PgBouncer or firewall drops idle connections, the pool hands out dead connections and "
                f"requests fail with `OperationalError` until each one has been tried{recycle}; "
                "pass `pool_pre_ping=True`",
                Location(engine.facts.path, value.span),
                fix=add_keyword(project, engine.facts.path, value, "pool_pre_ping", "True"),
            )
