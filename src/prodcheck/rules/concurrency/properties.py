"""Reads of a project class's `@property` (knowledge-free: the getter is the project's own function).

`auth_enabled = db.config.auth_enabled` runs `UserModelConfig.auth_enabled`, whose body queries the database: the
read is a call of the getter (https://docs.python.org/3/library/functions.html#property). A read bound to a local
is one the extraction keeps (a function's `locals`); the getter is followed as the helper it is.
"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.model.facts import Call, Function, PyFacts, Value
from prodcheck.rules.concurrency.holds import Holds


def property_reads(holds: Holds, function: Function) -> Iterator[tuple[Call, Function, PyFacts]]:
    """(the read as a call, the getter, its facts) for each local the function binds to a project property's read."""
    flat = function.flat_locals  # name, value, how, ...: read without building the triples of `locals`
    values: tuple[Value, ...] = flat[1::3]  # type: ignore[assignment]  # every third entry from the second is a Value
    for value, how in zip(values, flat[2::3], strict=True):
        if how or value.kind != "name" or "." not in value.text:
            continue
        head, _, attribute = value.text.rpartition(".")
        holder = holds.expression(head, function, line=value.line)
        if holder is None or holder.kind != "object":
            continue
        getter = holds.method(holder.ref, attribute)
        if getter is not None and getter[0].qualname != function.qualname \
                and any(decorator.text == "property" for decorator in getter[0].decorators):
            yield Call(Value("call", value.at, value.text), function.qualname), *getter
