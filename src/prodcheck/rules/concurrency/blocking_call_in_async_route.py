"""PC501 blocking-call-in-async-route. Docs and tests: rules/PC501-blocking-call-in-async-route.md"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.knowledge.blocking import blocking as blocking_kb
from prodcheck.model.facts import Call
from prodcheck.model.finding import Location, Severity
from prodcheck.project import Project
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.rules.concurrency.blocking_calls import classify_blocking
from prodcheck.rules.concurrency.request_path import defined, request_path
from prodcheck.rules.concurrency.summaries import Blocking, BlockingAnalysis


class BlockingCallInAsyncRoute(Rule):
    meta = RuleMeta(
        code="PC501", name="blocking-call-in-async-route", core=True,
        summary="Blocking I/O inside `async def` code on the request path",
        severity=Severity.ERROR, kinds=("py",),
    )
    analyses = ("concurrency",)

    def check(self, project: Project) -> Iterator[Draft]:
        analysis = BlockingAnalysis(project, classify_blocking)
        per_request = request_path(project.python, include_startup=False)
        for qualname, entry in sorted(request_path(project.python).items()):
            short = qualname.rsplit(".", 1)[-1]
            # Reached only from a lifespan or startup handler: it delays start-up, no request waits on it.
            startup = qualname not in per_request
            # one finding per line (`inspect(engine).get_schema_names()` is one stall); where a line reaches both a
            # stall and a filesystem metadata operation, the stall is the one reported
            chosen: dict[int, tuple[Call | None, Blocking]] = {}
            for blocking in analysis.direct(entry.function, entry.facts):
                _choose(chosen, blocking.call.line, None, blocking)
            for call, blocking in analysis.through_helpers(entry.function):
                _choose(chosen, call.line, call, blocking)
            blocks = entry.facts.dev_blocks
            for call, blocking in chosen.values():
                line = (call or blocking.call).span.line
                if any(first <= line <= last for first, last in blocks):
                    continue  # `if settings.ENV == "local":`: what only development runs
                # local I/O (a file read, [family] warning) before the server serves: no request is there to wait
                local_startup = startup and blocking.warning and not blocking.light
                severity = Severity.INFO if blocking.light or local_startup else \
                    Severity.WARNING if blocking.warning or startup else None
                does = "runs on" if blocking.light else "blocks"
                if call is None:
                    yield self.draft(
                        f"{blocking.what} {does} the event loop in `{defined(entry)} {short}` ({entry.why}): "
                        f"{_light(blocking) if blocking.light else _cost(startup, local_startup)}; {_hint(blocking, entry.why)}",
                        Location(entry.facts.path, blocking.call.span), severity=severity,
                    )
                    continue
                chain = " -> ".join(f"`{c}()`" for c in (call.name.rsplit(".", 1)[-1], *blocking.chain))
                where = f"{blocking.facts.path}:{blocking.call.line}"
                instead = f" ({blocking.instead} there)" if blocking.instead else ""
                # the cost is said for start-up (it is why a warning) and for a metadata operation (why an info)
                cost = f"; {_light(blocking)}" if blocking.light else f"; {_cost(startup, local_startup)}" if startup else ""
                yield self.draft(
                    f"{chain} {does} the event loop in `{defined(entry)} {short}` ({entry.why}): it reaches "
                    f"{blocking.what} at {where}{cost}; make it async{instead} or call it with `await asyncio.to_thread()`",
                    Location(entry.facts.path, call.span),
                    related=(Location(blocking.facts.path, blocking.call.span).labelled(blocking.what),),
                    severity=severity,
                )


def _choose(chosen: dict[int, tuple[Call | None, Blocking]], line: int, call: Call | None, blocking: Blocking) -> None:
    """Keep the first blocking of a line, unless this one costs more: a stall (a lock wait, a query, a request)
    over local file I/O, and local file I/O over a filesystem metadata operation. A start-up helper that opens a
    lock file, then waits on the lock, is reported for the wait."""
    known = chosen.get(line)
    if known is None or _weight(blocking) > _weight(known[1]):
        chosen[line] = (call, blocking)


def _weight(blocking: Blocking) -> int:
    return 0 if blocking.light else 1 if blocking.warning else 2


def _light(blocking: Blocking) -> str:
    """Why a light blocking call is only info: a wait of under a millisecond (knowledge/blocking.toml `brief`), or
    one filesystem metadata operation."""
    family = blocking_kb().function(blocking.call.value.text)
    if family is not None and family.brief_call(blocking.call.value):
        return family.brief_why
    return ("it is one filesystem metadata operation, no data read or written: a system call of microseconds on a "
            "local disk, no stall a request notices (so only info)")


def _cost(startup: bool, local: bool = False) -> str:
    if local:
        return ("it runs at start-up, before the process serves: reading or writing local files then delays no "
                "request (so only info)")
    if startup:
        return "the process serves no request until start-up is done, so each worker (and restart) starts later"
    return "no other request is served while it waits"


def _hint(blocking: Blocking, why: str) -> str:
    instead = blocking.instead or "an async equivalent, or `await asyncio.to_thread(...)`"
    if why.startswith(("route", "dependency")):
        return f"use {instead}, or declare it with plain `def` so FastAPI runs it in its threadpool"
    return f"use {instead}"
