"""What calling a callable value does: a lambda, a `functools.partial(...)`, a function named by reference.

A route that calls a local `fetch = partial(requests.get, url)` or `fetch = lambda: s3.get_object(...)`, or
hands one to a project helper that calls it (`with_retry(lambda: requests.get(url))`), runs the wrapped call
on the event loop. The same value handed to `asyncio.to_thread`, `run_in_threadpool`, `run_in_executor`,
`anyio.to_thread.run_sync` or `BackgroundTasks` is never called here, so it is never looked at.
"""
from __future__ import annotations

import weakref
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from prodcheck.knowledge import listed
from prodcheck.model.facts import AWAITED, OFFLOADED, ONCE, Call, Function, Param, PyFacts, Value
from prodcheck.model.finding import Span
from prodcheck.rules.concurrency.dispatch import returned_closures

if TYPE_CHECKING:
    from prodcheck.rules.concurrency.summaries import Blocking, BlockingAnalysis

MAX_DEPTH = 4
# what `reached` asks of a call after the callable it names (`_then`): nothing, a builtin that calls its argument, a
# project helper; not asked yet
_NOTHING, _EAGER, _HANDED, _UNASKED = 0, 1, 2, 3
# (call, the lambda or partial it calls by name, the function that is evaluated in, its facts, what is asked next)
_Candidate = tuple[Call, "Value | None", "Function | None", PyFacts, int]
MAX_OPEN = 32  # `called_params` answers waiting on each other (a parameter handed from helper to helper)


def partials() -> frozenset[str]:
    """`functools.partial` and the like (knowledge/blocking.toml [wrappers] partial), read when first asked."""
    return listed("blocking", "wrappers", "partial")


def is_partial(value: Value) -> bool:
    return value.kind == "call" and value.text in partials() and bool(value.items or value.kwarg("func"))


def _within(inner: Span, outer: Span) -> bool:
    return (inner.line, inner.column) >= (outer.line, outer.column) and \
        (inner.end_line, inner.end_column) <= (outer.end_line, outer.end_column)


def _given_params(helper: Function) -> list[Param]:
    """The parameters a call's arguments bind to, in order: a method's `self` or `cls` is not one of them."""
    params = list(helper.params)
    if helper.class_name and params and params[0].name in {"self", "cls"}:
        params = params[1:]
    return params


class Callables:
    """Blocking reached by calling a callable value, for one `BlockingAnalysis`."""

    def __init__(self, analysis: BlockingAnalysis) -> None:
        # A weak reference: the analysis holds this object, and a cycle between them would keep both, with every
        # summary and table they built, until the (paused) garbage collector runs: after the end of the run. PC501's
        # analysis was still held at the end of PC503 (3 MiB of the 7,574-file cold scan's peak).
        self.analysis: BlockingAnalysis = weakref.proxy(analysis)
        self.index = analysis.index
        self._called_params: dict[str, frozenset[str]] = {}
        self._open: dict[str, int] = {}  # the `called_params` answers under way, each with its place
        self._low = 1 << 30  # the outermost place a cut met in the answer under way (`called_params`)

    # ---------------------------------------------------------------- where callables are called

    def reached(self, function: Function, facts: PyFacts, seen: frozenset[str]) -> Iterator[tuple[Call, Blocking]]:
        """Calls in `function` that run a blocking callable: `fetch()` of a local or module-level lambda or
        partial, and project helpers given a blocking callable they call.

        What it asks of each call alone (is it awaited, offloaded, does it call a lambda or partial by name, a builtin
        that calls its argument, a project helper) is kept on the index once every call was asked (`_candidates`), for
        every later walk of the function and for both analyses (PC501's and PC503's): each answer is the index's
        (memoised there when first asked), and the next walks ask them in the same order, as the first did."""
        memo: dict[str, tuple[Function, PyFacts, list[_Candidate]]] = \
            self.index.__dict__.setdefault("_reached_calls", {})
        known = memo.get(function.qualname)
        if known is None or known[0] is not function or known[1] is not facts:
            yield from self._candidates(function, facts, seen, memo)
            return
        for call, held, owner, owner_facts, then in known[2]:
            if held is not None:
                found = self.of(held, owner, owner_facts, seen, 0)
                if found is not None:
                    yield call, found
                    continue
            if then == _UNASKED:
                then = self._then(call, function, listed("blocking", "eager", "functions"))
            found = self._asked(then, call, function, facts, seen)
            if found is not None:
                yield call, found

    def _candidates(self, function: Function, facts: PyFacts, seen: frozenset[str],
                    memo: dict[str, tuple[Function, PyFacts, list[_Candidate]]]) -> Iterator[tuple[Call, Blocking]]:
        """`reached`, asking each call what it is, and noting the calls that are anything for the walks after
        (kept when every call was asked): the lambda or partial it calls by name (with the function it is evaluated
        in, None at module level, and its facts), and what is asked of it next (`_then`; `_UNASKED` where a
        callable it names blocked, so it was not asked)."""
        holds = self.analysis.holds
        eager = listed("blocking", "eager", "functions")
        noted: list[_Candidate] = []
        params = [param.name for param in function.params]
        # the function's call targets (`_target`), read when first needed (where `_target` would first be asked)
        targets: dict[int, Function] | None = None
        for call in self.index.calls_by_scope.get(function.qualname, []):
            flags = call.flags
            if flags & (OFFLOADED | ONCE):
                continue
            if flags & AWAITED:  # `await helper(lambda: ...)`: an awaited project helper still runs what it calls on the loop
                if targets is None:
                    targets = self._targets(function)
                if id(call) not in targets:
                    continue
            value = call.value
            name = value.text
            held: Value | None = None
            owner: Function | None = function
            owner_facts = facts
            if "()" not in name and not call.receiver:
                held = holds.local(function, name) if "." not in name else None
                if held is None and name not in params:
                    resolved = self.index.resolve(name if "." in name else f"{facts.module}.{name}")
                    if resolved is not None and resolved.assign is not None:
                        held, owner, owner_facts = resolved.assign[0].value, None, resolved.assign[1]
                if held is not None and (held.kind == "lambda" or is_partial(held)):
                    found = self.of(held, owner, owner_facts, seen, 0)
                    if found is not None:
                        noted.append((call, held, owner, owner_facts, _UNASKED))
                        yield call, found
                        continue
                else:
                    held = None
            # `_then`, inline: the helper found is handed on to `_handed_to_helper`, not looked up again
            helper: Function | None = None
            if name in eager:
                then = _EAGER
            elif value.items or value.flat_keywords:
                if targets is None:
                    targets = self._targets(function)
                helper = targets.get(id(call))
                then = _HANDED if helper is not None else _NOTHING
            else:
                then = _NOTHING
            if held is not None or then != _NOTHING:
                noted.append((call, held, owner, owner_facts, then))
            if then == _NOTHING:
                continue  # (most calls: no method call for them)
            found = self._called_by_builtin(call, function, facts, seen) if then == _EAGER else \
                self._handed_to_helper(call, function, facts, seen, helper)
            if found is not None:
                yield call, found
        memo[function.qualname] = (function, facts, noted)

    def _asked(self, then: int, call: Call, function: Function, facts: PyFacts,
               seen: frozenset[str]) -> Blocking | None:
        """What `_then` said to ask of a call: whether the builtin it calls, or the helper it hands a callable to,
        runs a blocking one (None: nothing to ask, or nothing blocks)."""
        if then == _EAGER:
            return self._called_by_builtin(call, function, facts, seen)
        if then == _HANDED:
            return self._handed_to_helper(call, function, facts, seen)
        return None

    def _then(self, call: Call, function: Function, eager: frozenset[str]) -> int:
        """What `reached` asks of a call after the callable it names: a builtin that calls its argument (`_EAGER`), a
        project helper it hands arguments to (`_HANDED`), or nothing."""
        if call.name in eager:
            return _EAGER
        value = call.value
        return _HANDED if (value.items or value.flat_keywords) and self._target(call, function) is not None \
            else _NOTHING

    def _called_by_builtin(self, call: Call, function: Function, facts: PyFacts, seen: frozenset[str]) -> Blocking | None:
        """`list(map(fetch, urls))`, `sorted(rows, key=score)`: the function named there (or a partial of one) runs here,
        once per item ([eager] callable_first, `key=`). A lambda there is judged where it is written: its calls are
        this function's own."""
        value = call.value
        for argument in (value.arg(0) if call.name in listed("blocking", "eager", "callable_first") else None, value.kwarg("key")):
            if argument is not None and argument.kind != "lambda":
                found = self.of(argument, function, facts, seen, 0)
                if found is not None:
                    return found
        return None

    def _target(self, call: Call, function: Function) -> Function | None:
        return self._targets(function).get(id(call))

    def _targets(self, function: Function) -> dict[int, Function]:
        """The function each call of `function` runs (by the call's id): what `resolved_callees` found, its last one
        for a call that runs several, kept on the index for both analyses (a function of the index alone)."""
        memo: dict[str, dict[int, Function]] = self.index.__dict__.setdefault("_callee_targets", {})
        targets = memo.get(function.qualname)
        if targets is None:
            targets = memo[function.qualname] = {id(c): t for c, t, _ in self.analysis.callees(function)}
        return targets

    def _handed_to_helper(self, call: Call, function: Function, facts: PyFacts,
                          seen: frozenset[str], helper: Function | None = None) -> Blocking | None:
        """`helper`: the function the call runs (`_target`), when the caller found it already."""
        if helper is None:
            helper = self._target(call, function)
        if helper is None:
            return None
        called = self.called_params(helper)
        if not called:
            return None
        params = _given_params(helper)
        handed: list[Value] = []
        tables: list[Value] = []
        for position, argument in enumerate(call.value.items):
            if position < len(params) and params[position].name in called:
                handed.append(argument)
            elif position < len(params) and f"{params[position].name}[]" in called:
                tables.append(argument)
        handed.extend(argument for key, argument in call.value.keywords if key in called)
        tables.extend(argument for key, argument in call.value.keywords if f"{key}[]" in called)
        for argument in handed:
            found = self.of(argument, function, facts, seen, 0)
            if found is not None:
                return found
        for argument in tables:
            found = self._entries(argument, function, facts, seen)
            if found is not None:
                return found
        return None

    def _entries(self, table: Value, function: Function, facts: PyFacts, seen: frozenset[str]) -> Blocking | None:
        """`process(checks)` with `checks = {"ssl": check_ssl, "db": check_service("db")}` and `checks[key]()` in
        the helper: a dispatch table handed over, whose entries it calls: the first blocking call of an entry, a
        function named or the closure a factory call made (a nested table is not an entry called so)."""
        if table.kind == "name" and "." not in table.text:
            table = self.analysis.holds.local(function, table.text) or table
        if table.kind != "dict":
            return None
        for entry in (*table.items, *table.keyword_values):
            if entry.kind == "name":
                found = self.of(entry, function, facts, seen, 1)
            elif entry.kind == "call" and "()" not in entry.text:
                made = self._made(entry.text)
                found = self._through(*made, seen) if made is not None else None
            else:
                found = None
            if found is not None:
                return found
        return None

    def _made(self, name: str) -> tuple[Function, PyFacts] | None:
        """The sync function a project factory defines in its body and returns (`return check`), or None."""
        factory = self.index.function(name)
        if factory is None:
            return None
        return next((nested for nested in returned_closures(self.index, factory[0]) if not nested[0].is_async), None)

    def called_params(self, helper: Function) -> frozenset[str]:
        """Parameters a project function calls itself, on the thread it runs on (`fn()` in `def retry(fn)`); a
        parameter whose entries it calls (`checks[key]()`) as `checks[]`; and a parameter it hands on to another
        project function that calls it there (`await run_job(job)` with `def run_job(fn): return fn()`), through
        the helpers it hands it to: the callable runs on the same thread, an awaited helper's on the loop.

        Each answer is the helper's own, whatever asks it first (as `Holds.expression`'s): one helper's answer
        reads the next one's, and an answer a cycle among those under way cut short (`_open`, `_low`, as in
        `Members._own`) is not kept."""
        known = self._called_params.get(helper.qualname)
        if known is not None:
            return known
        qualname, open_ = helper.qualname, self._open
        at = open_.get(qualname)
        if at is not None or len(open_) > MAX_OPEN:
            self._low = min(self._low, at if at is not None else 0)
            return frozenset()
        place = open_[qualname] = len(open_)
        outer, self._low = self._low, place + 1
        try:
            direct, handed, rest = self._parameter_calls(helper)
            found = self._handed_on(handed, rest) if handed else set()
            found.update(direct)
        finally:
            del open_[qualname]
            low, self._low = self._low, min(outer, self._low)
        known = frozenset(found)
        if low >= place:
            self._called_params[qualname] = known
        return known

    def _parameter_calls(self, helper: Function) -> tuple[frozenset[str], tuple[tuple[Call, Function], ...], frozenset[str]]:
        """What `called_params` reads of the helper's own calls: the parameters it calls itself (`fn()`, and
        `table[key]()`: an entry of a parameter called, named `table[]`), the calls that hand one of its other
        parameters, as it is, to a project function (with that function), and those other parameters. A function of
        the index alone, kept on it for both analyses (PC501's and PC503's): what the functions handed to call is
        asked per analysis."""
        memo: dict[str, tuple[Function, frozenset[str], tuple[tuple[Call, Function], ...], frozenset[str]]] = \
            self.index.__dict__.setdefault("_parameter_calls", {})
        known = memo.get(helper.qualname)
        if known is not None and known[0] is helper:
            return known[1], known[2], known[3]
        names = {param.name for param in helper.params}
        calls = self.index.calls_by_scope.get(helper.qualname, [])
        direct = set()
        for call in calls:
            name = call.value.text
            if (name in names or (name.endswith("[]") and name[:-2] in names)) and not call.flags & (OFFLOADED | AWAITED):
                direct.add(name)
        rest = frozenset(names.difference(direct))
        handed: list[tuple[Call, Function]] = []
        for call in calls:
            value = call.value
            # a call that only hands the value to a thread (`to_thread(run_job, fn)`) runs nothing here
            if call.flags & (OFFLOADED | ONCE) or not (value.items or value.flat_keywords) or not any(
                    argument.kind == "name" and argument.text in rest
                    for argument in (*value.items, *value.keyword_values)):
                continue
            # by name only (a module function, an import, a sibling in a closure): the helper's whole callee list
            # (`_target`) would resolve every call of every helper that passes a parameter on, most for nothing
            resolved = self.index.call_target(call, helper)
            if resolved is not None:
                handed.append((call, resolved[0]))
        found = memo[helper.qualname] = (helper, frozenset(direct), tuple(handed), rest)
        return found[1], found[2], found[3]

    def _handed_on(self, handed: Sequence[tuple[Call, Function]], names: frozenset[str]) -> set[str]:
        """Parameters among `names` given, as they are, to a project function that calls that parameter of its own
        (`handed`: the calls giving one, each with the function it runs)."""
        found: set[str] = set()
        for call, target in handed:
            called = self.called_params(target)
            if not called:
                continue
            value = call.value
            params = _given_params(target)
            given = [(params[position].name, argument) for position, argument in enumerate(value.items)
                     if position < len(params)] + list(value.keywords)
            found.update(argument.text for name, argument in given
                         if name in called and argument.kind == "name" and argument.text in names)
        return found

    # ---------------------------------------------------------------- what calling a value does

    def of(self, value: Value, function: Function | None, facts: PyFacts, seen: frozenset[str],
           depth: int) -> Blocking | None:
        """The first blocking call made by calling `value` (evaluated in `function`, None at module level)."""
        if depth > MAX_DEPTH:
            return None
        if value.kind == "lambda":
            return self._lambda(value, function, facts, seen)
        if is_partial(value):
            wrapped = value.arg(0) or value.kwarg("func")
            return self.of(wrapped, function, facts, seen, depth + 1) if wrapped is not None else None
        if value.kind != "name":
            return None
        if function is not None and "." not in value.text:
            held = self.analysis.holds.local(function, value.text)
            if held is not None:
                return self.of(held, function, facts, seen, depth + 1) if held.kind in {"lambda", "call"} else None
            if any(param.name == value.text for param in function.params):
                return None
        target = self.index.function(value.text)
        if target is not None:
            helper, helper_facts = target
            if helper.is_async:
                return None
            return self._through(helper, helper_facts, seen)
        head = value.text.partition(".")[0]
        receiver = head if function is not None and self.analysis.holds.local(function, head) is not None else ""
        reference = Call(Value("call", value.at, text=value.text), function.qualname if function else "",
                         receiver=receiver)
        return self.analysis.judge(reference, function, facts)

    def _lambda(self, value: Value, function: Function | None, facts: PyFacts, seen: frozenset[str]) -> Blocking | None:
        calls = self.index.calls_by_scope.get(function.qualname, []) if function is not None else \
            [call for call in facts.calls if not call.scope]
        body = [call for call in calls if call.span != value.span and _within(call.span, value.span) and not call.awaited]
        light: Blocking | None = None  # a filesystem metadata operation: kept while the body may still stall
        for call in body:
            found = self.analysis.judge(call, function, facts)
            if found is not None and not found.light:
                return found
            light = light or found
        if function is None:
            return light
        inside = {id(call) for call in body}
        for call, helper, helper_facts in self.analysis.callees(function):
            if id(call) in inside and not helper.is_async:
                found = self._through(helper, helper_facts, seen)
                if found is not None and not found.light:
                    return found
                light = light or found
        return light

    def _through(self, helper: Function, helper_facts: PyFacts, seen: frozenset[str]) -> Blocking | None:
        """A sync project function called through the value: its first blocking call, with it in the chain (none for
        one being summarised above: `sync_summary` notes where the cycle stopped)."""
        inner = self.analysis.sync_summary(helper, helper_facts, seen)
        if not inner:
            return None
        return replace(inner[0], chain=(helper.qualname.rsplit(".", 1)[-1], *inner[0].chain))
