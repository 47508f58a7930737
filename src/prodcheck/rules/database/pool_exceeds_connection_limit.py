"""PC402 pool-exceeds-connection-limit. Docs and tests: rules/PC402-pool-exceeds-connection-limit.md"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from prodcheck.model.facts import LITERAL, TOOL_DEFAULT, Fact
from prodcheck.model.files import Context
from prodcheck.model.finding import Confidence, Location, Severity
from prodcheck.project import Engine, Project
from prodcheck.project.infra import Process
from prodcheck.rules.base import Draft, Rule, RuleMeta


def _where(location: Location) -> str:
    return f" ({location.path}:{location.span.line})" if location.path else ""


def _engine_term(engine: Engine) -> str:
    if engine.max_overflow is not None and engine.max_overflow.note:
        return f"{engine.pool_size.value} + {engine.max_overflow.value}"  # type: ignore[union-attr]  # callers pass engines with a pool size
    return f"{engine.pool_size.value}"  # type: ignore[union-attr]  # callers pass engines with a pool size


class PoolExceedsConnectionLimit(Rule):
    meta = RuleMeta(
        code="PC402", name="pool-exceeds-connection-limit", core=True,
        summary="Connection pools x workers x replicas can open more connections than the database allows",
        severity=Severity.ERROR, kinds=("cross-file",),
    )

    def check(self, project: Project) -> Iterator[Draft]:
        units: dict[str, list[Process]] = defaultdict(list)
        for process in project.processes:
            if process.context != Context.PROD or process.role != "web" or process.kind == "script":
                continue
            if process.server is None:
                continue
            units[process.unit].append(process)
        for unit, processes in sorted(units.items()):
            yield from self._check_unit(project, unit, processes)
        yield from self._check_poolers(project)

    def _check_unit(self, project: Project, unit: str, processes: list[Process]) -> Iterator[Draft]:
        terms: list[str] = []
        related: list[Location] = []
        total = 0
        first_engine: Engine | None = None
        inferred = False
        unbounded: list[Engine] = []
        for process in processes:
            _step, call = process.server  # type: ignore[misc]  # server processes only: server is set
            unbounded.extend(e for e in project.engines_for_app(call.app_ref) if e.unbounded)
            engines = [e for e in project.pools_for_app(call.app_ref) if e.per_process]
            if not engines:
                continue
            workers = project.workers(process)
            replicas = process.replicas
            if workers is None or replicas is None:
                continue
            per_process = sum(e.per_process for e in engines)  # type: ignore[misc]  # per_process engines only: not None
            first_engine = first_engine or engines[0]
            engine_text = " + ".join(f"({_engine_term(e)})" if e.max_overflow and e.max_overflow.note else _engine_term(e)
                                     for e in engines)
            if len(engines) > 1:
                engine_text = f"({engine_text})"
            product = per_process * workers.value * replicas.value
            total += product
            terms.append(f"{engine_text} x {workers.note}{_where(workers.origin)} x {replicas.note}"
                         + (f"{_where(replicas.origin)}" if replicas.certainty == LITERAL else ""))
            for engine in engines:
                for fact in (engine.pool_size, engine.max_overflow):
                    if fact is not None and fact.note:
                        related.append(fact.origin.labelled(fact.note))
                        inferred = inferred or fact.certainty != LITERAL
            related.append(workers.origin.labelled(workers.note))
            related.append(replicas.origin.labelled(replicas.note))
            inferred = inferred or workers.certainty not in {LITERAL, TOOL_DEFAULT}
        limit = self._limit(project, unit)
        yield from self._unbounded(unbounded, limit)
        if first_engine is None:  # no process with a sized pool, workers and replicas: no terms
            return
        if total <= limit.value:
            return
        if limit.origin.path:
            related.append(limit.origin.labelled(limit.note))
        arithmetic = " + ".join(terms)
        limit_text = limit.note if "default" in limit.note else f"{limit.value} max_connections{_where(limit.origin)}"
        if " plan `" in limit.note or ("max_client_conn" in limit.note and "default" not in limit.note):
            limit_text = f"{limit.note}{_where(limit.origin)}"
        location = first_engine.pool_size.origin if first_engine.pool_size else first_engine.location
        if "max_client_conn" in limit.note:
            fix = "size the pools so that pool x workers x replicas fits, or raise PgBouncer's `max_client_conn`"
        else:
            fix = ("size the pools so that pool x workers x replicas fits, put PgBouncer in front, or "
                   + ("choose a plan with more connections" if " plan `" in limit.note else "raise `max_connections`"))
        yield self.draft(
            f"{arithmetic} = {total} > {limit_text}: under load the pools open more connections than "
            f"the database accepts and requests fail with `too many clients`; {fix}",
            location, related=tuple(dict.fromkeys(related)),
            confidence=Confidence.MEDIUM if inferred or limit.certainty != LITERAL else Confidence.HIGH,
        )

    def _unbounded(self, engines: list[Engine], limit: Fact[int]) -> Iterator[Draft]:
        """An engine whose `max_overflow=-1` lifts the pool's limit: no product of workers and
        replicas bounds it, so it is reported on its own (once per engine)."""
        limit_text = limit.note if "default" in limit.note else f"{limit.value} max_connections{_where(limit.origin)}"
        for engine in {(e.location.path, e.location.span): e for e in engines}.values():
            fact = engine.max_overflow
            assert fact is not None  # unbounded engines have one
            yield self.draft(
                f"`max_overflow={fact.value}` places no limit on this pool: under load every worker process opens "
                f"a connection per concurrent request, past {limit_text}, and requests fail with "
                "`too many clients`; give `max_overflow` a bound that fits the workers x replicas",
                fact.origin, related=(engine.location.labelled("the engine"),),
                confidence=Confidence.HIGH if fact.certainty == LITERAL else Confidence.MEDIUM,
            )

    def _check_poolers(self, project: Project) -> Iterator[Draft]:
        """PgBouncer's own server pool (default_pool_size x its replicas) against the database's max_connections."""
        for database in project.databases:
            if not database.pooler:
                continue
            pool = database.pool_size or Fact(20, database.origin, TOOL_DEFAULT, "default_pool_size 20 (PgBouncer default)")
            replicas = database.instances
            assert replicas is not None  # a pooler's instances are read where the pooler is found
            total = pool.value * replicas.value
            limit = project.database_limit(database.unit)
            if total <= limit.value or (pool.certainty != LITERAL and replicas.certainty != LITERAL):
                continue
            limit_text = limit.note if "default" in limit.note else f"{limit.value} max_connections{_where(limit.origin)}"
            related = [pool.origin.labelled(pool.note), replicas.origin.labelled(replicas.note)]
            if limit.origin.path:
                related.append(limit.origin.labelled(limit.note))
            yield self.draft(
                f"PgBouncer `{database.name}`: {pool.note}{_where(pool.origin)} x {replicas.note} = {total} server "
                f"connections > {limit_text}: the pooler itself opens more connections than the database accepts; "
                "lower `default_pool_size` (it is per database/user pair) or raise `max_connections`",
                pool.origin if pool.certainty == LITERAL else database.origin,
                related=tuple(dict.fromkeys(related)),
                confidence=Confidence.HIGH if limit.certainty == LITERAL else Confidence.MEDIUM,
            )

    def _limit(self, project: Project, unit: str) -> Fact[int]:
        for database in project.databases_of(unit):
            if database.pooler:
                if database.client_limit is not None:
                    fact = database.client_limit
                    return Fact(fact.value, fact.origin, fact.certainty, f"{fact.value} max_client_conn (PgBouncer `{database.name}`)")
                return Fact(100, database.origin, TOOL_DEFAULT, "100 max_client_conn (PgBouncer default)")
        return project.database_limit(unit)
