"""The project function a call names (`NameIndex.call_target`), kept per call for PC501 and PC503: the request-path
walk, the callees, the deferred and handed-on callables and the argument checks each ask it of the same calls (84,000
questions, 29,500 distinct on polar). A function of the index alone, kept with the concurrency analysis
(`PythonIndex.ANALYSES`)."""
from __future__ import annotations

from prodcheck.model.facts import Call, Function, PyFacts
from prodcheck.project.python_index import PythonIndex

Kept = tuple[Call, Function | None, tuple[Function, PyFacts] | None]


def call_target(index: PythonIndex, call: Call, function: Function | None) -> tuple[Function, PyFacts] | None:
    """`index.call_target(call, function)`, answered once per call (and the function it is asked in)."""
    memo: dict[int, Kept] = index.__dict__.setdefault("_call_targets", {})
    kept = memo.get(id(call))
    if kept is not None and kept[0] is call and kept[1] is function:
        return kept[2]
    found = index.call_target(call, function)
    memo[id(call)] = (call, function, found)
    return found
