"""Which project functions a call runs: by name, methods of objects whose class is known, constructors,
`functools.partial` locals, the implementations of an abstract method, the entries of a dispatch table,
and the wrappers of the project's own decorators. Shared by the request-path walk and the blocking
summaries (request_path.py, summaries.py).
"""
from __future__ import annotations

from prodcheck.model.facts import ASYNC_WITH, AWAITED, WITH, Call, Function, PyFacts, Value
from prodcheck.model.packed_positions import LINE_SHIFT
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.concurrency.callables import is_partial
from prodcheck.rules.concurrency.dispatch import dispatched
from prodcheck.rules.concurrency.holds import Holding, Holds
from prodcheck.rules.concurrency.properties import property_reads
from prodcheck.rules.concurrency.wrapped import defined_in, returned_nested


_WITH_BOUND = frozenset({WITH, ASYNC_WITH})  # how a binding of `with ... as name` was made (Function.locals)


def resolved_callees(index: PythonIndex, holds: Holds, function: Function,
                     answers: dict[tuple[str, str], tuple[Function, PyFacts] | None] | None = None,
                     ) -> list[tuple[Call, Function, PyFacts]]:
    """The project functions a function calls: by name, methods of objects whose class is known
    (`self.repo.get()`, a `Depends`-injected service), constructors (`__init__`), and `functools.partial` locals.
    `answers` (deferred.py `Targets`), when given, gets the `call_target` answers found on the way (when the
    answer is made here, not read back)."""
    memo = index.__dict__.setdefault("_resolved_callees", {})
    if function.qualname in memo:
        return memo[function.qualname]
    out: list[tuple[Call, Function, PyFacts]] = []
    # what a call's name and receiver alone say, asked once per distinct pair (a function makes a quarter of its
    # calls under a name it already called: `len`, `session.execute`); what a call's line changes is asked per call
    by_name: dict[tuple[str, str], tuple[str, tuple[Function, PyFacts] | None]] = {}
    for call in index.calls_by_scope.get(function.qualname, []):
        name = call.value.text
        known = by_name.get((name, call.receiver))
        if known is None:
            # `log.record()` with `log` a parameter or local (its own or, in a closure, its factory's) is that
            # object's method, found through what it holds: never the method of a module global named `log`
            found_written = holds.unshadow(name, function)
            known = by_name[name, call.receiver] = (
                found_written, index.call_target(call, function) if found_written == name else None)
        written, target = known
        # (the lists below are only read: those a memo of Holds gives are not copied)
        targets: list[tuple[Function, PyFacts]] | tuple[tuple[Function, PyFacts], ...]
        if target is not None:
            targets = _own_abstract(holds, call, function, target) or (target,)
        else:
            targets, asked = _union_targets(holds, call, function)
            if not targets:
                held = object_target(index, holds, call, function, written, asked if written == name else None)
                # `await self._handlers[kind](data)`: each entry of the table
                targets = (held,) if held is not None else \
                    dispatched(index, holds, call, function) or _wrapped_called(holds, call, function)
        for found in targets:
            if found[0].qualname != function.qualname:
                out.append((call, *found))
                for wrapper in decorator_wrappers(index, found[0]):  # (a loop: a generator makes cells on every call)
                    if wrapper[0].qualname != function.qualname:
                        out.append((call, *wrapper))
    out.extend(property_reads(holds, function))  # `enabled = db.config.auth_enabled`: the getter runs
    if _WITH_BOUND.intersection(function.flat_locals[2::3]):
        out.extend(_context_methods(index, holds, function))
    memo[function.qualname] = out
    if answers is not None:
        answers.update((key, target) for key, (written, target) in by_name.items() if written == key[0])
    return out


def _context_methods(index: PythonIndex, holds: Holds, function: Function) -> list[tuple[Call, Function, PyFacts]]:
    """`async with Lease(path) as lease:` runs the project class's `__aenter__` on entry and its `__aexit__` on exit
    (`with`: `__enter__` and `__exit__`: https://docs.python.org/3/reference/compound_stmts.html#the-with-statement),
    each as a call made at the constructor's line."""
    found: list[tuple[Call, Function, PyFacts]] = []
    flat = function.flat_locals
    for position in range(2, len(flat), 3):  # (read flat: most bindings are assignments, no `with`)
        how = flat[position]
        if not how:
            continue
        value = flat[position - 1]
        assert isinstance(value, Value)
        if value.kind != "call" or not value.text.rpartition(".")[2][:1].isupper():
            continue  # a class is named in CapWords (PEP 8): `session.begin()`, `open()` are no project class
        resolved = index.resolve_written(value.text, function)
        if resolved is None or not resolved.cls:
            continue  # a library's context manager, or what a project function returns (a `@contextmanager`)
        call = next((c for c in index.calls_by_scope.get(function.qualname, ()) if c.value.at == value.at), None)
        if call is None:
            continue
        for name in ("__aenter__", "__aexit__") if how == ASYNC_WITH else ("__enter__", "__exit__"):
            method = holds.method(resolved.qualname, name)
            if method is not None and method[0].qualname != function.qualname:
                found.append((call, *method))
    return found


def decorator_wrappers(index: PythonIndex, function: Function) -> list[tuple[Function, PyFacts]]:
    """What a call of a function under the project's own decorators runs first: each decorator's wrapper, the
    nested function the decorator returns (`@with_session` whose `wrapper` opens a sync session and hands it in;
    for a decorator factory, `@retry(3)`, the wrapper its returned decorator returns). A decorator that returns
    the function itself (a registration) adds nothing."""
    memo = index.__dict__.setdefault("_decorator_wrappers", {})
    if function.qualname in memo:
        return memo[function.qualname]
    found: list[tuple[Function, PyFacts]] = []
    for decorator in function.decorators:
        if decorator.kind not in {"name", "call"} or "()" in decorator.text:
            continue
        target = index.function(decorator.text)
        levels = 2 if decorator.kind == "call" else 1  # a factory returns the decorator, which returns the wrapper
        for _ in range(levels):
            target = returned_nested(index, target[0]) if target is not None else None
        if target is not None and target[0].qualname != function.qualname:
            found.append(target)
    memo[function.qualname] = found
    return found


def entry_wrappers(index: PythonIndex, function: Function) -> list[tuple[Function, PyFacts, str]]:
    """The `async def` wrappers the project's own decorators put around a route (or a dependency, a middleware):
    what the framework calls, and awaits on the event loop, is the wrapper (`@require_permissions(...)` whose
    `wrapper` checks a sync session before it awaits the route), each with the decorator's name. A decorator that
    returns a sync or an async wrapper as the function is one or the other (`if iscoroutinefunction(func)`) gives
    its async one to an `async def` only (https://docs.python.org/3/library/functools.html#functools.wraps keeps
    the name, not the kind: FastAPI awaits what is a coroutine function)."""
    found: list[tuple[Function, PyFacts, str]] = []
    for decorator in function.decorators:
        if decorator.kind not in {"name", "call"} or "()" in decorator.text:
            continue
        target = index.function(decorator.text)
        if target is not None and decorator.kind == "call":
            target = returned_nested(index, target[0])  # a factory: the decorator it returns
        if target is None:
            continue
        wrappers = [nested for returned in target[0].returns if (nested := defined_in(index, target[0], returned))]
        awaited = [wrapper for wrapper in wrappers if wrapper[0].is_async]
        if awaited and (function.is_async or len(awaited) == len(wrappers)):
            found.extend((*wrapper, decorator.text.rsplit(".", 1)[-1]) for wrapper in awaited
                         if wrapper[0].qualname != function.qualname)
    return found


def _wrapped_called(holds: Holds, call: Call, function: Function) -> list[tuple[Function, PyFacts]]:
    """`return func(*args, **kwargs)` without `await` in a decorator's `async def` wrapper, `func` the decorator's
    parameter: the plain `def` functions the decorator is put around run there, on the event loop (FastAPI awaits
    the wrapper, not the threadpool). Any of them, whichever the wrapper was reached for: each call of one of them
    makes a coroutine of the wrapper, and awaiting it runs the body on the loop. Not `await func(...)`: the
    `async def` functions it wraps are reached where they are called, not wherever the wrapper is; nor in a sync
    wrapper, whose callers reach the function they call themselves. Also the plain `def` functions the project hands
    the factory by reference (`background_task_wrapper(indexing.update_indexes, logger)`)."""
    name = call.value.text
    if not function.is_async or call.flags & AWAITED or "." in name or "()" in name or call.receiver \
            or "." not in function.qualname:
        return []
    decorator = holds.index.functions.get(function.qualname.rsplit(".", 1)[0])
    if decorator is None or not any(param.name == name for param in decorator[0].params):
        return []
    if name in function.declared or any(param.name == name for param in function.params):
        return []
    found: list[tuple[Function, PyFacts]] = []
    for wrapped in holds.wrapped(function.qualname):
        target = holds.index.functions.get(wrapped.qualname) if not wrapped.is_async else None
        if target is not None:
            found.append(target)
    # the factory called by hand: `wrapped = background_task_wrapper(indexing.update_indexes, logger)`
    found.extend(handed for handed in holds.handed_functions(decorator[0], name)
                 if not handed[0].is_async and all(handed[0].qualname != f[0].qualname for f in found))
    return found


def _own_abstract(holds: Holds, call: Call, function: Function,
                  target: tuple[Function, PyFacts]) -> list[tuple[Function, PyFacts]]:
    """`self._upsert(chunks)` in a base class's concrete method (`DataStore.upsert`), `_upsert` abstract there:
    `self` is an instance of a subclass, so the subclass's implementation runs (the template-method pattern).
    The one implementation, or each one the project builds when several do; none known: the abstract method."""
    name = call.value.text
    if not name.startswith("self.") or not function.class_name:
        return []
    method = name[5:]
    if "." in method or "()" in method:
        return []
    several = holds.implementations(function.class_name, method)  # empty unless `method` is abstract
    found = holds.method(function.class_name, method)  # an abstract method's one implementation, else `target`
    return several or ([found] if found is not None and found[0].qualname != target[0].qualname else [])


def _union_targets(holds: Holds, call: Call, function: Function
                   ) -> tuple[list[tuple[Function, PyFacts]], tuple[str, Holding | None] | None]:
    """`self.reader.read()` with `self.reader` one of several project classes (`A | B`, assigned in two
    places): the method of each, as any may run. Also what it found the call's head to hold, for `object_target`
    to read instead of asking again (`Asked`), or None when it did not ask."""
    name = call.value.text
    if name.endswith("()"):
        return _result_called(holds, call, function), None
    head, _, method = name.rpartition(".")
    dotted = bool(head)
    if not head and "()" not in method and not call.receiver:
        head, method = method, "__call__"  # `await auth_handler(request)`: an instance called runs its `__call__`
    if not holds.defines(method):
        # no project class has such a method, whatever the receiver holds; for `object_target`, which asks the same
        # of a dotted name's head, as if it held nothing (an undotted name's `__call__` is not its question)
        return [], (head, None) if dotted else None
    if not head:
        return [], None
    at = call.value.at  # `call.value.line`, inline: a property's read is a call of its getter
    holder = holds.expression(head, function, line=at >> LINE_SHIFT if type(at) is int else at.line)  # type: ignore[union-attr]
    asked = (head, holder)
    if holder is None or holder.kind not in {"object", "class"}:
        return [], asked
    if "|" not in holder.ref:
        # an abstract method several subclasses implement; on a class (`impl = get_impl(Auth, name)`, then
        # `await impl.get_instance(request)`), a classmethod the configured subclass implements
        return holds.implementations(holder.ref, method), asked
    found: dict[str, tuple[Function, PyFacts]] = {}
    for member in holder.ref.split("|"):  # each member's method, or each implementation of one it only declares
        for target in holds.implementations(member, method) or holds.methods(member, method):
            found.setdefault(target[0].qualname, target)
    return list(found.values()), asked


def _result_called(holds: Holds, call: Call, function: Function) -> list[tuple[Function, PyFacts]]:
    """`Client.import_module(kind)(**config)`: what a call returns is called. A class (one of several a factory
    picks, `-> Type[BaseClient]`) is built, running its `__init__`; an instance runs its `__call__`."""
    holder = holds.expression(call.name, function, line=call.line)
    if holder is None or holder.kind not in {"class", "object"}:
        return []
    method = "__init__" if holder.kind == "class" else "__call__"
    found: dict[str, tuple[Function, PyFacts]] = {}
    for member in holder.ref.split("|"):
        target = holds.method(member, method)
        if target is not None:
            found.setdefault(target[0].qualname, target)
    return list(found.values())


def object_target(index: PythonIndex, holds: Holds, call: Call, function: Function,
                   written: str = "", asked: tuple[str, Holding | None] | None = None) -> tuple[Function, PyFacts] | None:
    """The project method a call of a name runs through what its head holds (`self.repo.get()`), a `super()` call,
    a project class built, a `functools.partial` local, an instance called. `asked`: (head, what it holds) when the
    caller has asked that of the call at its line already (`_union_targets`), read instead of asking again."""
    written_as = call.value.text
    name = written or written_as
    if name.startswith("super().") and function.class_name:
        # `super().save()` in an override: the method the next project base defines (the subclass's own is
        # this one); an ancestor a library defines is judged as the call of its name
        method = name[len("super()."):]
        return holds.inherited(function.class_name, method) if "." not in method and "()" not in method else None
    if "()" not in name and not call.receiver and name == written_as:
        resolved = index.resolve(name)
        if resolved is not None and resolved.cls:
            return holds.method(resolved.qualname, "__init__")  # a project class built here runs its __init__
    head, _, method = name.rpartition(".")
    if head:
        if asked is not None and asked[0] == head:
            holder = asked[1]
        elif not holds.defines(method):
            return None  # no project class has such a method, whatever the receiver holds
        else:
            holder = holds.expression(head, function, line=call.value.line)
        if holder is not None and holder.kind in {"object", "class"}:
            return holds.method(holder.ref, method)
        return None
    if "()" in name:
        return None
    local = holds.local(function, name)
    if local is not None:
        if is_partial(local):
            inner = local.arg(0) or local.kwarg("func")
            return index.function(inner.text) if inner is not None and inner.kind == "name" else None
    if not call.receiver and name == written_as:  # `await checker(request)`: an instance of a project class called
        holder = asked[1] if asked is not None and asked[0] == name else holds.expression(name, function,
                                                                                          line=call.value.line)
        if holder is not None and holder.kind == "object":
            return holds.method(holder.ref, "__call__")
        if holder is not None and holder.kind == "class" and "|" not in holder.ref:
            # `BackendClass = get_backend_class(kind)` then `BackendClass(settings)`: a project class picked at run
            # time and built here runs its __init__
            return holds.method(holder.ref, "__init__")
    return None
