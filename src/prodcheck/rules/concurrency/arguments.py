"""A blocking client handed to a project helper that does not say what its parameter holds (`read_count(cache,
key)` with `def read_count(r, key): return r.get(key)`): the call site knows the client, the helper's body says
which of its methods run on it, so the call blocks when one of those does. Followed through helpers the client
is handed on to, a few deep."""
from __future__ import annotations

from prodcheck.knowledge.blocking import Family
from prodcheck.model.facts import Call, Function, PyFacts, Value
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.concurrency.branches import parameter
from prodcheck.rules.concurrency.callees import object_target
from prodcheck.rules.concurrency.holds import Holds
from prodcheck.rules.concurrency.summaries import Why

MAX_HANDS = 3  # helpers a client (or a query: queries.py) is handed on through, after the first


def client_argument(index: PythonIndex, holds: Holds, call: Call, function: Function,
                    target: Function | None, handed: list[Value]) -> Why | None:
    """`read_count(cache, key)`, `cache` a sync Redis client, `read_count`'s parameter unannotated: the helper
    calls `r.get(key)` on the loop's thread. `target`: the call's `sync_target`; `handed`: its `names_handed`."""
    value = call.value
    if target is None or (not value.items and not value.flat_keywords):
        return None
    for argument in handed:
        held = holds.value(argument, function)
        family = holds.family(held) if held is not None else None
        if family is None:
            continue
        found = _calls_on(index, holds, call, target, argument, family, 0, frozenset({function.qualname}))
        if found is not None:
            param, method, helper = found
            shown = argument.text.rsplit(".", 1)[-1]
            return Why(f"`{value.last}()` called with the {family.what} `{shown}` (`{param}.{method}()` in "
                       f"`{helper}`)", family.instead, family.warning, family.light(method))
    return None


def sync_target(index: PythonIndex, holds: Holds, call: Call, function: Function) -> Function | None:
    """The project's sync function or method the call runs (not a constructor: what `__init__` keeps is
    followed through the attribute, not here)."""
    return sync_function(call_runs(index, holds, call, function))


def call_runs(index: PythonIndex, holds: Holds, call: Call, function: Function) -> tuple[Function, PyFacts] | None:
    """The project function or method a call runs by its name or its receiver, None for a call of what a call
    returned (`get()(db)`) or of an entry (`HANDLERS[kind](db)`)."""
    if "()" in call.value.text or call.value.text.endswith("[]"):
        return None
    return index.call_target(call, function) or object_target(index, holds, call, function)


def sync_function(found: tuple[Function, PyFacts] | None) -> Function | None:
    """The function `found` when it is a plain `def` other than a constructor."""
    if found is None or found[0].is_async or found[0].qualname.endswith(".__init__"):
        return None
    return found[0]


def _calls_on(index: PythonIndex, holds: Holds, call: Call, target: Function, argument: Value, family: Family,
              depth: int, seen: frozenset[str]) -> tuple[str, str, str] | None:
    """(parameter, method, helper): the first method of the client that `target` calls, on the loop's thread,
    on the parameter the call binds `argument` to, or that a sync helper it hands the parameter on to calls; one
    that only does a filesystem metadata operation (`path.mkdir()`) when nothing else is called on it."""
    name = parameter(call, target, argument)
    if name is None or name in {"self", "cls"} or depth > MAX_HANDS or target.qualname in seen:
        return None
    if holds.expression(name, target) is not None:
        return None  # the helper says what it holds (an annotation, a default): its own summary has it
    prefix = name + "."
    light: tuple[str, str, str] | None = None
    for inner in index.calls_by_scope.get(target.qualname, ()):
        if inner.offloaded or inner.awaited or inner.once:
            continue
        text = inner.value.text
        if text.startswith(prefix):
            parts = text[len(prefix):].split(".")
            middle, method = parts[:-1], parts[-1]
            if "()" in text[len(prefix):] or "[]" in text[len(prefix):]:
                continue
            if (family.through.intersection(middle) if family.through else not middle) and family.method_blocks(method):
                if not family.light(method):
                    return name, method, target.qualname.rsplit(".", 1)[-1]
                light = light or (name, method, target.qualname.rsplit(".", 1)[-1])
            continue
        for given in (*inner.value.items, *inner.value.keyword_values):
            if given.kind == "name" and given.text == name:
                helper = sync_target(index, holds, inner, target)
                if helper is not None:
                    found = _calls_on(index, holds, inner, helper, given, family, depth + 1, seen | {target.qualname})
                    if found is not None and not family.light(found[1]):
                        return found
                    light = light or found
    return light
