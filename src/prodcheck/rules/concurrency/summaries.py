"""What a function blocks on: the blocking calls in its body, and those its sync project helpers,
lambdas and partials reach, followed transitively (`BlockingAnalysis.sync_summary`), each with the
helpers between and what the function's parameters must be for it to run (branches.py).
Shared by PC501 and PC503, each with its own way to judge one call (`classify`).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from itertools import chain

from prodcheck.model.facts import AWAITED, OFFLOADED, ONCE, READ, Call, Function, PyFacts
from prodcheck.model.files import Context
from prodcheck.project import Project
from prodcheck.extract.once import memo_decorators
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.concurrency.branches import KEYED, Cycles, Kept, first_possible, passed_on
from prodcheck.rules.concurrency.callables import Callables
from prodcheck.rules.concurrency.callees import resolved_callees
from prodcheck.rules.concurrency.holds import Holds
from prodcheck.model.record import record


@record
class Why:
    """Why a call blocks, and what to use instead."""

    what: str
    instead: str = ""
    warning: bool = False
    light: bool = False  # its only I/O is one filesystem metadata operation (knowledge/blocking.toml `metadata`)


@record
class Blocking:
    call: Call
    facts: PyFacts
    what: str
    chain: tuple[str, ...] = ()  # project helpers between the async function and the blocking call
    instead: str = ""
    warning: bool = False
    # what the summarised function's parameters must be for it to run (extract/guards.py): a call of the
    # function that passes a constant failing one of them never reaches it (branches.py)
    needs: tuple[tuple[str, str, int], ...] = ()
    light: bool = False  # its only I/O is one filesystem metadata operation: reported at info, not as a stall


def _lazy(function: Function) -> bool:
    """A sync generator's body runs when it is iterated (by StreamingResponse: in the threadpool), not when called;
    a call iterated where it is made (`Call.iterated`) runs it there."""
    return function.is_generator and not any(d.last == "contextmanager" for d in function.decorators)


def _memoized(function: Function, call: Call) -> bool:
    """A module-level function under `functools.cache`/`lru_cache` (knowledge/blocking.toml [memo]) called with
    constants only: its body runs on the first call, every later one returns the kept result."""
    if function.class_name or memo_decorators().isdisjoint(d.text for d in function.decorators):
        return False
    value = call.value
    return not value.has_star and all(a.kind == "const" for a in (*value.items, *(v for _, v in value.keywords)))


def _memo_keyed(function: Function, target: Function, call: Call) -> tuple[tuple[str, str, int], ...]:
    """`_load_asset(name)` under `functools.lru_cache`, `name` a parameter of `function` and every other argument a
    constant: the body runs once per value of `name`, so a caller of `function` that gives a constant there reaches
    it once (`self.js("undecorate")`). The need (branches.py `KEYED`), or () when that is not the call's shape."""
    if target.class_name or memo_decorators().isdisjoint(d.text for d in target.decorators) or call.value.has_star:
        return ()
    value = call.value
    keyed = [a for a in (*value.items, *value.keyword_values) if a.kind != "const"]
    if len(keyed) != 1 or keyed[0].kind != "name":
        return ()
    position = next((i for i, p in enumerate(function.params) if p.name == keyed[0].text), None)
    return () if position is None else ((keyed[0].text, KEYED, position),)


def _unconditional(found: list[Blocking]) -> bool:
    """Every call of the function reaches a stall: a blocking call it makes whatever its parameters, and not only
    a filesystem metadata operation (a helper that makes a folder, then fetches, is reported for the fetch)."""
    return any(not blocking.needs and not blocking.light for blocking in found)


# a call offloaded to a thread, awaited (a coroutine: the loop serves others while it waits), or run only once (set-up)
_NOT_ON_THE_LOOP = OFFLOADED | AWAITED | ONCE

MAX_HELPERS = 5  # sync helpers followed below the async function, one summary under another


class BlockingAnalysis:
    """Blocking calls by function, with sync project helpers followed transitively."""

    def __init__(self, project: Project, classify: Callable[[PythonIndex, Call, Function], Why | str | None]) -> None:
        self.project = project
        self.index = project.python
        self.holds = Holds.of(self.index)
        self.classify = classify
        self._sync_summary: dict[str, list[Kept]] = {}  # summaries no bound cut short, by function
        self._truncated: dict[tuple[str, int], list[Kept]] = {}  # summaries the bound cut, by (function, depth)
        self._deepest = 0  # while a summary is made: the deepest helper depth it reached
        self._cut = False  # ... and whether the bound cut it short
        self._cycles = Cycles()
        self.callables = Callables(self)

    def direct(self, function: Function, facts: PyFacts) -> Iterator[Blocking]:
        qualname = function.qualname
        read_from: set[str] = set()  # `result.status`, then `result.result`: one finding for the object's reads
        for call in chain(self.index.calls_by_scope.get(qualname, ()), self.index.reads_by_scope.get(qualname, ())):
            flags = call.flags
            if flags & _NOT_ON_THE_LOOP:
                continue
            read = flags & READ
            if read and call.name.rpartition(".")[0] in read_from:
                continue
            found = self.judge(call, function, facts)
            if found is not None:
                if read:
                    read_from.add(call.name.rpartition(".")[0])
                yield found

    def judge(self, call: Call, function: Function | None, facts: PyFacts) -> Blocking | None:
        """The call itself blocks (`function` is None for a call at module level)."""
        why = self.classify(self.index, call, function or Function(qualname="", is_async=False, span=call.span))
        if isinstance(why, str):
            return Blocking(call, facts, why)
        if why is not None:
            return Blocking(call, facts, why.what, instead=why.instead, warning=why.warning, light=why.light)
        return None

    def callees(self, function: Function) -> list[tuple[Call, Function, PyFacts]]:
        return resolved_callees(self.index, self.holds, function)

    def helpers(self, function: Function) -> list[tuple[Call, Function, PyFacts]]:
        """The sync project functions the function's calls run on its thread, when called: a function of the index
        alone (`resolved_callees`), kept on it for every summary and both analyses (PC501's and PC503's)."""
        memo: dict[str, list[tuple[Call, Function, PyFacts]]] = self.index.__dict__.setdefault("_sync_helpers", {})
        found = memo.get(function.qualname)
        if found is None:
            found = memo[function.qualname] = [
                (call, target, target_facts)
                for call, target, target_facts in resolved_callees(self.index, self.holds, function)
                if not (call.flags & _NOT_ON_THE_LOOP or target.is_async or (_lazy(target) and not call.iterated)
                        or _memoized(target, call))]
        return found

    def through_helpers(self, function: Function) -> Iterator[tuple[Call, Blocking]]:
        """Calls to the project's own sync functions that (transitively) block, and calls of lambdas and
        partials that do (`fetch()`, `with_retry(lambda: requests.get(url))`)."""
        for call, target, target_facts in self.helpers(function):
            inner = first_possible(self.sync_summary(target, target_facts, frozenset({function.qualname})), call, target)
            if inner is not None and not self._given_async_session(call, function, inner):
                yield call, inner
        facts = self.index.functions[function.qualname][1]
        yield from self.callables.reached(function, facts, frozenset({function.qualname}))

    def _given_async_session(self, call: Call, function: Function, inner: Blocking) -> bool:
        """`Record.insert(db)` with `db` an `AsyncSession`, into a helper whose parameter says `Session`: what
        the helper judges a sync session call runs on the session it is given, whose `add()` is in memory
        and whose `commit()` is a coroutine; nothing waits on the loop (the annotation is the helper's, the
        session the caller's)."""
        if inner.instead != self.holds.kb.sqlalchemy.instead:
            return False
        value = call.value
        for argument in (*value.items, *(item for _, item in value.keywords)):
            if argument.kind == "name" and "." not in argument.text:
                held = self.holds.value(argument, function)
                if held is not None and held.kind == "session" and held.ref == "async":
                    return True
        return False

    def sync_summary(self, function: Function, facts: PyFacts, seen: frozenset[str], depth: int = 0) -> list[Blocking]:
        """What the function blocks on, its sync helpers followed down to `MAX_HELPERS` below the async function.

        A summary whose helpers all fit in what is left below `depth` is the function's own, whatever the depth
        it is asked at while it still fits there (`Kept.height`: how far below it its helpers went); one cut short by
        the bound is kept for that depth only (`_truncated`). A walk that comes back to a function being summarised
        above it stops there (a cycle), and a function that comes back to itself is summarised again with its first
        summary to go on; what such walks found is read back only under the same open functions (branches.py
        `Cycles`). So no kept summary depends on the depth it was first asked at, nor on the function of its cycle
        entered first, nor a route's result on the routes summarised before it."""
        qualname = function.qualname
        cycles = self._cycles
        if qualname in seen:
            return cycles.cut(qualname)
        for kept in self._sync_summary.get(qualname, ()):
            if depth + kept.height <= MAX_HELPERS and kept.holds_in(seen, cycles.again):
                self._deepest = max(self._deepest, depth + kept.height)
                cycles.read(qualname, kept.visited, kept.external)
                return kept.found
        for kept in self._truncated.get((qualname, depth), ()):
            if kept.holds_in(seen, cycles.again):
                self._cut = True
                cycles.read(qualname, kept.visited, kept.external)
                return kept.found
        if depth > MAX_HELPERS:
            self._cut = True
            return []
        if self.index.contexts.get(facts.path, Context.PROD) == Context.TEST:
            return []
        outer = self._deepest, self._cut
        self._deepest, self._cut = depth, False
        cycles.open()
        found = self._summarise(function, facts, seen, depth)
        if cycles.came_back(qualname):
            # the function reaches itself (`list_projects(allow_cache=True)` -> refresh -> proto ->
            # `list_projects(allow_cache=False)`): summarised again, with its first summary where it comes back
            cycles.again[qualname] = found
            found = self._summarise(function, facts, seen, depth)
            del cycles.again[qualname]
        visited, external = cycles.close(qualname, seen)
        height, cut = self._deepest - depth, self._cut
        self._deepest, self._cut = max(outer[0], self._deepest), outer[1] or cut
        kept = Kept(found, height, visited, external)
        if cut:
            self._truncated.setdefault((qualname, depth), []).append(kept)
        else:
            self._sync_summary.setdefault(qualname, []).append(kept)
        return found

    def _summarise(self, function: Function, facts: PyFacts, seen: frozenset[str], depth: int) -> list[Blocking]:
        found = list(self.direct(function, facts))
        if function.guards:  # a line only some values of a parameter run: what it blocks on, when
            found = [replace(b, needs=function.needs(b.call.line)) for b in found]
        if not _unconditional(found):
            found += [replace(blocking, needs=function.needs(call.line)) if function.guards else blocking
                      for call, blocking in self.callables.reached(function, facts, seen | {function.qualname})][:1]
        if not _unconditional(found):
            found += self._first_helper_blocking(function, seen, depth)
        # a stall before a metadata operation, and what every call reaches first, then a wait (a lock, a request, a
        # query) before local file I/O: readers take the first they can
        found.sort(key=lambda b: (b.light, bool(b.needs), b.warning))
        return found

    def _first_helper_blocking(self, function: Function, seen: frozenset[str], depth: int) -> list[Blocking]:
        """The first of the function's sync helpers that blocks, with it in the chain (readers of
        sync_summary take the first): the first that every call of the function reaches, or the first
        few that only some do."""
        some: list[Blocking] = []
        light: list[Blocking] = []  # a helper that only makes a folder: kept while a later helper may stall
        for call, target, target_facts in self.helpers(function):
            first = first_possible(self.sync_summary(target, target_facts, seen | {function.qualname}, depth + 1),
                                   call, target)
            if first is not None:
                blocking = Blocking(first.call, first.facts, first.what, (target.qualname.rsplit(".", 1)[-1], *first.chain),
                                    first.instead, first.warning,
                                    function.needs(call.line) + _memo_keyed(function, target, call)
                                    + passed_on(function, target, call, first.needs), first.light)
                if blocking.light:
                    if not light:
                        light.append(blocking)
                    continue
                if not blocking.needs:
                    return [*some, blocking, *light]
                if len(some) < 4:
                    some.append(blocking)
        return some + light
