"""What `with value as name` binds: what the context manager's `__enter__` returns (`__aenter__` for `async with`),
not the context manager itself (https://docs.python.org/3/reference/compound_stmts.html#the-with-statement).

A project class's `__enter__` often hands out something else than the object: `with PostgresClient() as cur`
binds the cursor `__enter__` took from a sync driver's connection, so `cur.execute(...)` is the driver's. A
client of a library (`with requests.Session() as s`, `with conn.cursor() as cur`) stays what it is, as does what a
`@contextmanager` generator yields (its `yield` is what the name is bound to, read as its return already).
"""
from __future__ import annotations

from prodcheck.model.facts import ASYNC_WITH, Function, Value
from prodcheck.rules.concurrency.holding import Holding, HoldsBase, union


class Entered(HoldsBase):
    """The name a `with` statement binds."""

    _entered: dict[str, dict[int, str]]

    def bound_by(self, function: Function, value: Value) -> str:
        """How the local of `function` holding `value` was bound: "" (an assignment), WITH or ASYNC_WITH."""
        table = self._entered.get(function.qualname)
        if table is None:
            table = self._entered[function.qualname] = {id(local): how for _, local, how in function.locals if how}
        return table.get(id(value), "")

    def entered(self, held: Holding, value: Value, how: str, function: Function, depth: int) -> Holding | None:
        """What `with value as name` binds, `held` being what `value` holds."""
        if held.kind != "object" or self._yielded(value, function):
            return held
        name = "__aenter__" if how == ASYNC_WITH else "__enter__"
        found: list[Holding] = []
        for cls in held.ref.split("|"):
            method = self.method(cls, name)
            if method is None:  # a library base's context manager: what it returns is not known, the object is kept
                found.append(Holding("object", cls))
                continue
            enter = method[0]
            if enter.returns and all(r.kind == "name" and r.text == "self" for r in enter.returns):
                found.append(Holding("object", cls))  # `return self`: the object, of its own class
                continue
            returned = self.returns(enter, depth + 1)
            if returned is not None:
                found.append(returned)
        return union(found) if found else None

    def _yielded(self, value: Value, function: Function) -> bool:
        """`with session_scope() as db` over a generator function (`@contextmanager`): the name is bound to what it
        yields, which is what the function's returns already say."""
        if value.kind != "call" or "()" in value.text:
            return False
        target = self.index.function(value.text)
        if target is None:
            head, _, name = value.text.rpartition(".")
            holder = self.expression(head, function, line=value.line) if head else None
            target = self.method(holder.ref, name) if holder is not None and holder.kind in {"object", "class"} else None
        return target is not None and target[0].is_generator
