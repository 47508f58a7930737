"""Functions a request hands to something that runs them later on the event loop: Starlette's background tasks
and the jobs of an asyncio scheduler (knowledge/frameworks.toml [deferred]). An `async def` one is awaited on
the loop, where blocking stalls every request as a route's does; a sync one runs in a threadpool."""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.knowledge.frameworks import deferred_runners, job_second, task_spawners
from prodcheck.model.facts import Call, Function, PyFacts, Value
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.concurrency.branches import given_value
from prodcheck.rules.concurrency.callables import is_partial
from prodcheck.rules.concurrency.holds import Holds
from prodcheck.rules.concurrency.wrapped import returned_nested


# (name, receiver) of a call -> the project function it runs (`call_target`, which reads nothing else of the call)
Targets = dict[tuple[str, str], "tuple[Function, PyFacts] | None"]


def call_target(index: PythonIndex, call: Call, function: Function,
                targets: Targets | None) -> tuple[Function, PyFacts] | None:
    """`index.call_target(call, function)`, kept in `targets` when the caller gives a table: the request-path walk
    asks it for each call of an async function twice (`_coroutines_handed`, `_handed_to_background`), and most
    calls with arguments are a library's, whose answer (None) is the costly one to find. Kept by the call's name and
    receiver: a function calls many names more than once, and `resolved_callees` fills in those it resolved."""
    if targets is None:
        return index.call_target(call, function)
    key = (call.value.text, call.receiver)
    if key in targets:
        return targets[key]
    found = targets[key] = index.call_target(call, function)
    return found


def deferred_tasks(index: PythonIndex, function: Function,
                   targets: Targets | None = None) -> Iterator[tuple[Function, PyFacts, str]]:
    """(task, facts, what runs it, with `{caller}` to fill in) for each function `function` hands to `BackgroundTasks.add_task` /
    `BackgroundTask`, or to `add_job` of an asyncio scheduler: a function of the module or the project, one it
    defines in its body (`async def _export(): ...`), or a method of its class (`self.send_updates`). `targets`: the
    targets of `function`'s calls found so far (`call_target`)."""
    background, schedulers, scheduling = deferred_runners()
    spawners = task_spawners() if not function.is_async else frozenset()
    for call in index.calls_by_scope.get(function.qualname, []):
        last = call.value.text.rpartition(".")[2]
        handler: Value | None = None
        if last in spawners:
            spawned = _spawned_coroutine(index, call, function)
            if spawned is not None:
                yield *spawned, "a task `{caller}` starts"
            continue
        if last in background:
            runner = "async background task of `{caller}`"
        elif last in scheduling and _scheduler(index, call, function, schedulers):
            runner = "async job `{caller}` adds to an asyncio scheduler"
        else:
            handler = _handed_to_background(index, call, function, background, targets)
            if handler is None:
                continue
            runner = "async background task of `{caller}`"
        if handler is None and last in job_second():  # `schedule.daily(time(hour=0), backup)`: the job is second
            handler = call.value.arg(1) or call.value.kwarg("handle")
        handler = handler or call.value.arg(0) or call.value.kwarg("func")
        if handler is not None and is_partial(handler):
            # Starlette unwraps a partial to see it is async; `partial`'s function is positional-only
            # (https://docs.python.org/3/library/functools.html#functools.partial), never `func=`.
            handler = handler.arg(0)
        if handler is None or handler.kind != "name":
            continue
        name = handler.text
        target = _function_named(index, function, name)
        if target is None and name.count(".") == 1:
            # `tasks.add_task(recorder.record_stats, ctx)` with `recorder = StatsRecorder(...)`: the method of the
            # project object the name holds
            owner, _, method = name.partition(".")
            held = Holds.of(index).expression(owner, function, line=call.line)
            if held is not None and held.kind == "object" and "|" not in held.ref:
                target = Holds.of(index).method(held.ref, method)
        if target is None and "." not in name:
            # `wrapped = background_task_wrapper(indexing.update_indexes, logger)` then `add_task(wrapped, ...)`: the
            # closure a project factory defines in its body and returns
            made = Holds.of(index).local(function, name, call.line)
            factory = index.function(made.text) if made is not None and made.kind == "call" and "()" not in made.text \
                else None
            target = returned_nested(index, factory[0]) if factory is not None else None
        if target is not None:  # a sync one is left out by the walk, as every sync entry is
            yield *target, runner


def _spawned_coroutine(index: PythonIndex, call: Call, function: Function) -> tuple[Function, PyFacts] | None:
    """`asyncio.create_task(_do_update())` in a plain function (called on the loop: a task needs a running loop):
    the `async def` whose coroutine it makes a task of, defined in the function's body or named in the project.
    An async caller's tasks are the walk's own successors (request_path._successors)."""
    made = call.value.arg(0)
    if made is None or made.kind != "call" or "()" in made.text:
        return None
    target = _function_named(index, function, made.text)
    return target if target is not None and target[0].is_async else None


def _function_named(index: PythonIndex, function: Function, name: str) -> tuple[Function, PyFacts] | None:
    """The function a name written in `function` gives: a method of its class (`self.send_updates`), a function
    its body defines (`async def _export(): ...`), or a function of the module or the project."""
    if name.startswith("self.") and name.count(".") == 1 and function.class_name:
        return Holds.of(index).method(function.class_name, name[5:])
    return index.functions.get(f"{function.qualname}.{name}") or index.function(name)


def _handed_to_background(index: PythonIndex, call: Call, function: Function,
                          background: frozenset[str], targets: Targets | None) -> Value | None:
    """`self.add_background_task(background_tasks, self.handle_job, job_id)` with a project helper whose body does
    `background_tasks.add_task(task, *args)`: the function the call gives the parameter the helper hands over."""
    if not (call.value.items or call.value.flat_keywords):
        return None
    helper = call_target(index, call, function, targets)
    if helper is None:
        return None
    for inner in index.calls_by_scope.get(helper[0].qualname, ()):
        handed = inner.value.arg(0) if inner.value.text.rpartition(".")[2] in background else None
        if handed is None or handed.kind != "name" or "." in handed.text:
            continue
        for position, param in enumerate(helper[0].params):
            if param.name == handed.text:
                given = given_value(call.value, helper[0], param.name, position)
                return given if given is not None and given.kind == "name" else None
    return None


def _scheduler(index: PythonIndex, call: Call, function: Function, schedulers: frozenset[str]) -> bool:
    """The receiver of `add_job` was built by an asyncio scheduler's constructor: an attribute of the caller's
    class (`self.scheduler = AsyncIOScheduler()`), a local, or a module global."""
    receiver = call.value.text.rpartition(".")[0]
    if receiver.startswith("self.") and receiver.count(".") == 1 and function.class_name:
        holds = Holds.of(index)
        return any(value.kind == "call" and value.text in schedulers
                   for owner in holds.mro(function.class_name)
                   for value, _ in holds.attributes.get((owner, receiver[5:]), ()))
    if "." not in receiver:
        local = Holds.of(index).local(function, receiver)
        if local is not None:
            return local.kind == "call" and local.text in schedulers
        # `def schedule_tasks(scheduler: Scheduler)`: a parameter declared a scheduler
        declared = next((param.annotation for param in function.params if param.name == receiver), None)
        if declared is not None:
            return declared.text in schedulers
    return index.constructor_of(receiver) in schedulers
