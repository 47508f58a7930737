"""Which of two assignments of one module global the name index keeps (`NameIndex`): a start-up function's real
value over a module-level `None`, the defining module's own value over another module's."""
from __future__ import annotations

from prodcheck.model.facts import Assign, PyFacts, Value


def keeps_held(current: tuple[Assign, PyFacts] | None, assign: Assign, module: str) -> bool:
    """Whether a module global keeps what it was assigned before rather than `assign`, when either is a
    function's assignment of it (`global store` then `store = await make_store()` in a start-up function):
    an empty value (`store = None` at module level, or in a shutdown function) never hides a real one, and
    of two real values the first stays. Two module-level assignments: the last, as Python runs them. Of the
    defining module's own value and one another module assigns (`db.engine = ...`), the own one, unless empty."""
    if current is None:
        return False
    held, held_facts = current
    old_own, new_own = held.target.startswith(held_facts.module + "."), assign.target.startswith(module + ".")
    if old_own != new_own:
        # `redis_module.redis_client = fake_redis` in another module (a test fixture's monkeypatch, a start-up
        # function filling a `client = None`): the defining module's own value stays, unless it is empty
        own, foreign = (held, assign) if old_own else (assign, held)
        keep_own = not _empty(own.value) or _empty(foreign.value)
        return keep_own if old_own else not keep_own
    if not (_in_function(held, module) or _in_function(assign, module)):
        return False
    return _empty(assign.value) or not _empty(held.value)


def _in_function(assign: Assign, module: str) -> bool:
    return bool(assign.scope) and assign.scope != module and assign.target == f"{module}.{assign.target.rpartition('.')[2]}"


def _empty(value: Value) -> bool:
    return value.kind == "const" and value.literal is None
