"""Dispatch tables: a dict literal of the project's functions or bound methods, one of which a call picks by key.

`self._handlers = {"save": self.on_save, "load": self.on_load}`, then `await self._handlers[kind](data)` or
`handler = self._handlers.get(kind)` and `await handler(data)`: which entry runs is known only at run time, so
each may (as each member of a union may). The table is an attribute of the class (or of a project base class),
a module global, or a local, bound to the literal or to what a function returns (`self._init_handlers()`).
"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.model.facts import Call, Function, PyFacts, Value
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.concurrency.holds import Holds
from prodcheck.rules.concurrency.wrapped import defined_in


def dispatched(index: PythonIndex, holds: Holds, call: Call, function: Function) -> list[tuple[Function, PyFacts]]:
    """The functions a call of an entry of a dispatch table may run, or the closure a local holds; [] when the
    call is no such call."""
    # each way below starts from a local the call names (`_maker`, `_table`) or from the entry of a table the call
    # picks (`table[]`): a call of anything else picks no entry (most calls asked here: a library's)
    name = call.value.text
    if "." in name or "[" in name or "(" in name:
        if not name.endswith("[]") or "[]" in name[:-2]:
            return []
    elif holds.local(function, name, call.line) is None:
        return []
    made = _made_closure(index, holds, call, function)
    if made is not None:
        return [made]
    table = _table(holds, call, function)
    if table is not None:
        return _entries(index, holds, table, function, function)
    maker = _maker(index, holds, call, function)
    if maker is None:
        return []
    # `task = _task_for(kind)` with `return table.get(kind)` in the maker: an entry of the maker's table
    found: dict[str, tuple[Function, PyFacts]] = {}
    for returned in maker[0].returns:
        looked_up = _looked_up(returned)
        for target in _entries(index, holds, looked_up, maker[0], function) if looked_up else ():
            found.setdefault(target[0].qualname, target)
    return list(found.values())


def _entries(index: PythonIndex, holds: Holds, table: str, scope: Function,
             caller: Function) -> list[tuple[Function, PyFacts]]:
    """The functions of the dict literals a table (read in `scope`) is bound to, other than the caller."""
    found: dict[str, tuple[Function, PyFacts]] = {}
    for literal, owner in _literals(index, holds, table, scope):
        for entry in (*literal.items, *literal.keyword_values):
            target = _entry(index, holds, entry, owner) if entry.kind == "name" else None
            if target is not None and target[0].qualname != caller.qualname:
                found.setdefault(target[0].qualname, target)
    return list(found.values())


def _looked_up(returned: Value) -> str | None:
    """The table a returned value picks an entry of: `table.get(kind)`, `table[kind]`."""
    if returned.kind == "call" and returned.last == "get" and "." in returned.text and "()" not in returned.text:
        return returned.text.rpartition(".")[0]
    if returned.kind == "subscript" and returned.text and "(" not in returned.text:
        return returned.text
    return None


def _maker(index: PythonIndex, holds: Holds, call: Call, function: Function) -> tuple[Function, PyFacts] | None:
    """The project function whose result a local the call calls was bound to (`task = pick(kind)`; `task(...)`)."""
    if "." in call.name or "[" in call.name or "(" in call.name:
        return None
    local = holds.local(function, call.name, call.line)
    if local is None or local.kind != "call" or "()" in local.text:
        return None
    return _function(index, holds, local.text, function)


def _table(holds: Holds, call: Call, function: Function) -> str | None:
    """The table a call picks from: `HANDLERS[kind](...)`, or a local bound to `table.get(kind)` / `table[kind]`."""
    name = call.name
    if name.endswith("[]") and "[]" not in name[:-2]:
        return name[:-2]
    if "." in name or "[" in name or "(" in name:
        return None
    local = holds.local(function, name, call.line)
    if local is None or "()" in local.text:
        return None
    if local.kind == "call" and local.last == "get" and "." in local.text:
        return local.text.rpartition(".")[0]
    if local.kind == "subscript" and local.text:
        return local.text
    return None


def _literals(index: PythonIndex, holds: Holds, table: str,
              function: Function) -> Iterator[tuple[Value, Function | None]]:
    """(dict literal, the function it is written in) for each value the table is bound to."""
    if table.startswith("self.") and table.count(".") == 1 and function.class_name:
        for owner in holds.mro(function.class_name):
            for value, scope in holds.attributes.get((owner, table[5:]), ()):
                yield from _dicts(index, holds, value, scope)
        return
    if "." not in table:
        local = holds.local(function, table)
        if local is not None:
            yield from _dicts(index, holds, local, function)
            return
    resolved = index.resolve(table)
    if resolved is not None and resolved.assign is not None:
        scope = index.functions.get(resolved.assign[0].scope)
        yield from _dicts(index, holds, resolved.assign[0].value, scope[0] if scope else None)
        if scope is None:  # bound at module level
            yield from _updates(resolved.qualname, resolved.assign[1])


def _updates(table: str, facts: PyFacts) -> Iterator[tuple[Value, Function | None]]:
    """The entries a module's own top level adds to a module-level table after binding it:
    `LISTERS = defaultdict(...)` then `LISTERS.update(gs=list_gs, s3=list_s3)` (or `**{...}`, or a dict literal)."""
    for call in facts.calls:
        if not call.scope and call.name == f"{table}.update":
            yield call.value, None  # its keywords
            for given in call.value.items:
                if given.kind == "dict":
                    yield given, None


def _dicts(index: PythonIndex, holds: Holds, value: Value,
           scope: Function | None) -> Iterator[tuple[Value, Function | None]]:
    """The literal itself, or the literals the function it calls returns (`self._init_handlers()`)."""
    if value.kind == "dict":
        yield value, scope
        return
    if value.kind != "call" or "()" in value.text or value.items or value.flat_keywords:
        return
    made = _function(index, holds, value.text, scope)
    for returned in made[0].returns if made is not None else ():
        if returned.kind == "dict":
            yield returned, made[0] if made is not None else None


def _entry(index: PythonIndex, holds: Holds, entry: Value, owner: Function | None) -> tuple[Function, PyFacts] | None:
    """The function an entry names: a bound method of the class the table is written in, a function the
    writing function defines, or a function of the project by name."""
    if owner is not None and "." not in entry.text:
        nested = index.functions.get(f"{owner.qualname}.{entry.text}")
        if nested is not None:
            return nested
    return _function(index, holds, entry.text, owner)


def _function(index: PythonIndex, holds: Holds, name: str, scope: Function | None) -> tuple[Function, PyFacts] | None:
    if name.startswith("self."):
        if scope is None or not scope.class_name or name.count(".") != 1:
            return None
        return holds.method(scope.class_name, name[5:])
    return index.function(name)


def _made_closure(index: PythonIndex, holds: Holds, call: Call,
                  function: Function) -> tuple[Function, PyFacts] | None:
    """`chain = self._wrap(step, chain)` then `await chain(context)`: the local holds the function the project
    function it called defines in its body and returns (`return wrapped`), which the call runs."""
    maker = _maker(index, holds, call, function)
    return next(returned_closures(index, maker[0]), None) if maker is not None else None


def returned_closures(index: PythonIndex, maker: Function) -> Iterator[tuple[Function, PyFacts]]:
    """The functions `maker` defines in its body and returns (`return wrapped`), in the order it returns them."""
    for returned in maker.returns:
        nested = defined_in(index, maker, returned)
        if nested is not None:
            yield nested
