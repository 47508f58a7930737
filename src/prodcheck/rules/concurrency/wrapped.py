"""The keyword arguments a project decorator's wrapper is called with: the parameters of the function it wraps.

`@require_access(...)` over `async def upload(..., db: Session = Depends(get_db))` makes FastAPI await the
decorator's `async def wrapper(*args, **kwargs)` with the route's parameters as keywords (`functools.wraps` keeps
the route's signature, https://docs.python.org/3/library/functools.html#functools.update_wrapper, and FastAPI calls
the endpoint with keyword arguments). `kwargs.get("db")` in the wrapper, or in a sync helper the wrapper hands
`kwargs` to (`_check_access(kwargs)`), is the route's sync session. The facts list no `*args` / `**kwargs`
parameter: a name a wrapper reads that nothing binds (no parameter, local, enclosing function, module global or
builtin) is one of them.
"""
from __future__ import annotations

import builtins

from prodcheck.knowledge import listed
from prodcheck.model.facts import Function, PyFacts, Value
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.concurrency.holding import Holding, HoldsBase, union

_BUILTINS = frozenset(dir(builtins))
_READS = frozenset({"get", "pop"})  # a mapping's methods that give the value of a key (`kwargs.get("db")`)


class Wrapped(HoldsBase):
    """What the keyword arguments of a project decorator's wrapper hold."""

    _wrapped: dict[str, list[Function]] | None

    def wrapped(self, wrapper: str) -> list[Function]:
        """The project functions a decorator of the project puts `wrapper` (a nested function) around."""
        if self._wrapped is None:
            self._wrapped = _wrapped_functions(self.index)
        return self._wrapped.get(wrapper, [])

    def free_arguments(self, function: Function, name: str) -> Holding | None:
        """`kwargs` read in a wrapper that binds no such name: its `**kwargs`, the wrapped function's arguments
        (a wrapper the decorator gives none of the functions it decorates, `sync_wrapper` of a decorator used on
        `async def` routes only, is one all the same: its arguments hold nothing)."""
        if self._wrapped is None:
            self._wrapped = _wrapped_functions(self.index)
        if "." in name or name in _BUILTINS or function.qualname not in self._wrapped:
            return None
        return Holding("arguments", function.qualname)

    def handed_arguments(self, function: Function, name: str, depth: int) -> Holding | None:
        """What an unannotated parameter gets when the project's calls of `function` hand it a wrapper's keyword
        arguments (`_check_access(kwargs)` in the wrapper): every call that gives it a value must."""
        if self._wrapped is None:
            self._wrapped = _wrapped_functions(self.index)
        if not any(self._wrapped.values()):
            return None
        return self._own((function.qualname, "*" + name, -3), lambda: self._handed(function, name, depth))

    def _handed(self, function: Function, name: str, depth: int) -> Holding | None:
        refs: list[str] = []
        for found in self.given_at_sites(function, name, depth):
            if found is None or found.kind != "arguments":
                return None
            refs.extend(found.ref.split("|"))
        return Holding("arguments", "|".join(dict.fromkeys(refs))) if refs else None

    def argument(self, holder: Holding, value: Value | None, depth: int) -> Holding | None:
        """`kwargs.get("db")`: what the parameter `db` of each function the wrapper is put around holds."""
        key = value.arg(0) if value is not None else None
        if key is None or not key.is_str:
            return None
        held: list[Holding] = []
        for wrapper in holder.ref.split("|"):
            for function in self.wrapped(wrapper):
                if any(param.name == key.literal for param in function.params):
                    found = self._name(str(key.literal), function, depth + 1)
                    if found is not None:
                        held.append(found)
        return union(held) if held else None

    def arguments_member(self, holder: Holding, name: str, is_call: bool, depth: int,
                         value: Value | None) -> Holding | None:
        return self.argument(holder, value, depth) if is_call and name in _READS else None


def _wrapped_functions(index: PythonIndex) -> dict[str, list[Function]]:
    """Wrapper qualname -> the functions decorated with the decorator that returns it: the async wrapper for an
    `async def`, the sync one for a `def`, when the decorator returns either (`if iscoroutinefunction(func)`)."""
    found: dict[str, list[Function]] = {}
    for function, _ in index.functions.values():
        for decorator in function.decorators:
            if decorator.kind not in {"name", "call"} or "()" in decorator.text:
                continue
            target = index.function(decorator.text)
            if target is not None and decorator.kind == "call":
                target = returned_nested(index, target[0])
            if target is None:
                continue
            wrappers = [nested for returned in target[0].returns if (nested := defined_in(index, target[0], returned))]
            chosen = [w for w, _ in wrappers if w.is_async == function.is_async] or [w for w, _ in wrappers]
            for wrapper, _ in wrappers:
                found.setdefault(wrapper.qualname, [])
            for wrapper in chosen:
                if wrapper.qualname != function.qualname:
                    found[wrapper.qualname].append(function)
    return found


def returned_nested(index: PythonIndex, function: Function) -> tuple[Function, PyFacts] | None:
    """The function defined in `function`'s body that it returns (`return wrapper`, a decorator factory's
    `return decorator`): a returned name the index holds under `function`'s qualified name (no other returned
    name, `self.run` or a library's, is one)."""
    return next((nested for returned in function.returns if (nested := defined_in(index, function, returned))), None)


def defined_in(index: PythonIndex, function: Function, value: Value) -> tuple[Function, PyFacts] | None:
    """The function `value` names when it is a plain name of a function defined in `function`'s body (also through
    `typing.cast(F, wrapper)`, which returns it unchanged)."""
    if value.kind == "call" and value.text in listed("blocking", "wrappers", "identity") and len(value.items) == 2:
        value = value.items[1]
    if value.kind != "name" or "." in value.text:
        return None
    return index.functions.get(f"{function.qualname}.{value.text}")

