"""Whether a call of a project function can reach a branch its parameters guard (extract/guards.py).

`detect(data, validate=False)` never runs what `if validate:` guards in `detect`, and `Context(tenant)`
never runs what `if workflow:` guards in `Context.__init__` when `workflow` defaults to None: what
blocks there does not block for that call. Only constants decide: a name, a call or a `*args` can be
anything, so the branch may run.
"""
from __future__ import annotations

from collections.abc import Container
from typing import TYPE_CHECKING

from prodcheck.extract.guards import ALTERNATIVE, FALSY, NONE, NOT_NONE, TRUTHY, UNSET
from prodcheck.model.facts import Call, Function, Value

if TYPE_CHECKING:
    from prodcheck.rules.concurrency.summaries import Blocking

_UNKNOWN = object()
# The need of a line that runs once per value of a parameter (a memoised helper keyed by it: summaries.py
# `_memo_keyed`): a constant given there was seen before, so the line does not run again
KEYED = "keyed"


def given_argument(call: Call, target: Function, param: str, position: int) -> Value | None:
    """The value the call gives `target`'s parameter `param` (at `position` of its parameters), by keyword or by
    position; None when it gives none or a `*args` hides where it is."""
    return given_value(call.value, target, param, position)


def given_value(value: Value, target: Function, param: str, position: int) -> Value | None:
    """`given_argument` for a call's value (a call named inside a chain, which has no fact of its own)."""
    for name, given in value.keywords:
        if name == param:
            return given
    if value.has_star or position < 0:
        return None
    # `obj.m(x)`, `Class(x)`: self is given; a module function's first parameter named `cls` is a class handed in
    # (`get_impl(cls: type[T], name)`), given by the call
    first = target.params[0].name if target.params else ""
    bound = first == "self" or (first == "cls" and bool(target.class_name))
    index = position - 1 if bound else position
    return value.items[index] if 0 <= index < len(value.items) else None


def _argument(call: Call, target: Function, param: str, position: int) -> Value | object:
    """The value the call gives `param` (its default when it gives none), or _UNKNOWN."""
    given = given_argument(call, target, param, position)
    if given is not None:
        return given
    if call.value.has_star:
        return _UNKNOWN
    for declared in target.params:
        if declared.name == param and declared.default is not None:
            return declared.default
    return _UNKNOWN  # a required parameter not found where it was looked for: the call is read wrongly


def _decides(value: Value | object, need: str) -> bool:
    """True when the value certainly fails the need."""
    if need == UNSET:  # a default built for a parameter left out: not for one the caller gives an object
        return isinstance(value, Value) and (value.kind != "const" or bool(value.literal))
    if not isinstance(value, Value) or value.kind != "const":
        return False
    if need == KEYED:
        return True
    literal = value.literal
    if literal is None:
        return need in (TRUTHY, NOT_NONE)
    if need == TRUTHY:
        return not literal
    if need == FALSY:
        return bool(literal)
    return need == NONE


def _given(call: Call, target: Function, param: str, position: int) -> Value | object:
    """The value the call itself gives `param` (not its default), or _UNKNOWN."""
    value = _argument(call, target, param, position)
    if any(declared.name == param and declared.default is value for declared in target.params):
        return _UNKNOWN
    return value


def possible(needs: tuple[tuple[str, str, int], ...], call: Call, target: Function) -> bool:
    """The call may run a line that needs `needs` of `target`'s parameters."""
    return not any(_fails(call, target, param, need, position) for param, need, position in needs)


def _fails(call: Call, target: Function, param: str, need: str, position: int) -> bool:
    """The call certainly fails the need; for `truthy|user:truthy:3` (a parameter bound again in a branch `user`
    guards: extract/guards.py `_unless_rebound`), it fails it and every such branch's."""
    if ALTERNATIVE in need:
        own, *others = need.split(ALTERNATIVE)
        alternatives = [other.split(":") for other in others]
        return _fails(call, target, param, own, position) and all(
            len(parts) == 3 and _fails(call, target, parts[0], parts[1], int(parts[2])) for parts in alternatives)
    return _decides((_given if need == UNSET else _argument)(call, target, param, position), need)


def passed_on(function: Function, target: Function, call: Call,
              needs: tuple[tuple[str, str, int], ...]) -> tuple[tuple[str, str, int], ...]:
    """What `target`'s needs ask of `function`'s own parameters where the call hands one on unchanged:
    `self.users.lookup(client_user)` in `__init__(self, db, client_user=None)`, `lookup` returning early
    `if not client_user`, needs `client_user` truthy of `__init__` too, and `Repo(db)` rules the lookup out."""
    found: list[tuple[str, str, int]] = []
    for param, need, position in needs:
        if need not in (TRUTHY, FALSY, NONE, NOT_NONE):
            continue
        given = given_argument(call, target, param, position)
        if given is None or given.kind != "name" or "." in given.text:
            continue
        own = next((i for i, declared in enumerate(function.params) if declared.name == given.text), None)
        if own is None or function.local(given.text) is not None:
            continue  # not a parameter, or bound again in the body: not the caller's value any more
        found.append((given.text, need, own))
    return tuple(found)


def first_possible(inner: list[Blocking], call: Call, target: Function) -> Blocking | None:
    """The first of a helper's blocking calls that this call of the helper can reach."""
    for blocking in inner:
        if not blocking.needs or possible(blocking.needs, call, target):
            return blocking
    return None


def parameter(call: Call, target: Function, argument: Value) -> str | None:
    """The name of `target`'s parameter that the call gives `argument` to, or None when not known."""
    for name, given in call.value.keywords:
        if given is argument:
            return name
    for position, given in enumerate(call.value.items):
        if given is argument:
            if call.value.has_star:
                return None
            bound = bool(target.params) and target.params[0].name in {"self", "cls"}
            index = position + 1 if bound else position
            return target.params[index].name if index < len(target.params) else None
    return None


def unused(calls: tuple[Call, ...], target: Function, name: str) -> bool:
    """`target` calls nothing on its parameter `name`, hands it to no call and binds no other name to it:
    it only tests it, or yields or returns it to the caller (`with existing_or_new(db) as db:`)."""
    prefix = name + "."
    for call in calls:
        value = call.value
        if call.receiver == name or value.text.startswith(prefix):
            return False
        if any(a.text == name or a.text.startswith(prefix) for a in (*value.items, *value.keyword_values) if a.kind == "name"):
            return False
    return not any(value.kind == "name" and value.text == name for _, value, _ in target.locals)


def touched(calls: tuple[Call, ...], target: Function) -> frozenset[str]:
    """The names `target` calls something on, hands to a call or binds another name to (as heads of dotted names):
    a parameter not among them is `unused` (one pass over the function's calls for all its parameters)."""
    found: set[str] = set()
    for call in calls:
        value = call.value
        if call.receiver:
            found.add(call.receiver)
        if "." in value.text:
            found.add(value.text.partition(".")[0])
        found.update(a.text.partition(".")[0] for a in (*value.items, *value.keyword_values) if a.kind == "name")
    found.update(value.text for _, value, _ in target.locals if value.kind == "name")
    return frozenset(found)


_STORES = frozenset({"append", "add", "extend", "insert"})  # list/set methods that keep an object for later


def stored(calls: tuple[Call, ...], target: Function, name: str) -> bool:
    """`target` only keeps its parameter `name` in a list or set (`ITEMS.append(item)`): it calls nothing on it
    and hands it to nothing else, so what it does with it later is not this call's doing."""
    prefix = name + "."
    kept = False
    for call in calls:
        value = call.value
        if call.receiver == name or value.text.startswith(prefix):
            return False
        if any(a.text == name or a.text.startswith(prefix) for a in (*value.items, *value.keyword_values) if a.kind == "name"):
            if value.last not in _STORES or "." not in value.text:
                return False
            kept = True
    return kept and not any(value.kind == "name" and value.text == name for _, value, _ in target.locals)


class Kept:
    """A summary as `BlockingAnalysis.sync_summary` keeps it: what it found, how many helpers below the function it
    went, and, for one a cycle cut short, the functions its walk visited and where it stopped that was open above it
    (`Cycles`)."""

    __slots__ = ("external", "found", "height", "visited")

    def __init__(self, found: list[Blocking], height: int, visited: frozenset[str] | None,
                 external: frozenset[str]) -> None:
        self.found = found
        self.height = height
        self.visited = visited  # None: no cycle cut it, so it is the function's own in every walk
        self.external = external

    def holds_in(self, seen: Container[str], again: Container[str]) -> bool:
        """Whether a walk under the functions `seen` (`again`: those summarised a second time) would find the same:
        each function it visited in the state it was then (not under way, under way, or summarised again). A cycle's
        member summarised under its head stopped at the head; asked under another head, under none, or in the head's
        second summary, it is summarised again, as that walk would."""
        if self.visited is None:
            return True
        return all(_state(name, seen, again) in self.external if name in seen
                   else name not in self.external and AGAIN + name not in self.external for name in self.visited)


def _state(name: str, seen: Container[str], again: Container[str]) -> str:
    """How a walk meets a function being summarised above it: it stops there (its name), or reads the first summary
    of one summarised again (`AGAIN` + its name)."""
    return AGAIN + name if name in again else name


def _outside(token: str, seen: Container[str], again: Container[str]) -> bool:
    """Where a walk stopped (`Cycles.cut`) was under way before the summary it belongs to: a function it stopped at
    still open in its first summary, or one it read the first summary of (`AGAIN` + its name) still summarised again."""
    if token.startswith(AGAIN):
        return token[1:] in again
    return token in seen and token not in again


AGAIN = "\0"  # before a function's name: its first summary read while it is summarised again (`Cycles.again`)


class Cycles:
    """Which summaries a cycle cut short, so that none is read back where it would not have been made the same.

    A walk stops at a function already being summarised above it (`cut`). A function whose walk came back to itself
    is summarised a second time with its first summary to go on (`again`: `projects(allow_cache=True)` reaches the
    uncached read through `projects(allow_cache=False)`). What such walks found depends on which functions were open,
    so each summary under way has a frame gathering the functions its walk visited and where it stopped: one that
    stopped nowhere is the function's own, in every walk; one that did is read back only under the same open
    functions among those it visited (`Kept.holds_in`). So every summary is what a walk entered at that function
    makes, whichever route reached the cycle first."""

    def __init__(self) -> None:
        self._frames: list[tuple[set[str], set[str]]] = []  # per summary under way: (visited, stopped at)
        self.again: dict[str, list[Blocking]] = {}  # the functions summarised a second time: their first summary

    def cut(self, qualname: str) -> list[Blocking]:
        """What a walk back to a function being summarised finds: nothing, or its first summary when it is
        summarised again."""
        first = self.again.get(qualname)
        if self._frames:
            visited, stopped = self._frames[-1]
            visited.add(qualname)
            stopped.add(qualname if first is None else AGAIN + qualname)
        return first or []

    def open(self) -> None:
        self._frames.append((set(), set()))

    def came_back(self, qualname: str) -> bool:
        """The walk of the summary under way (of `qualname`) stopped at the function itself."""
        return qualname in self._frames[-1][1]

    def close(self, qualname: str, seen: Container[str]) -> tuple[frozenset[str] | None, frozenset[str]]:
        """(the functions visited, or None when the walk stopped nowhere; where it stopped that was open above it),
        handed on to the summary under way above."""
        visited, stopped = self._frames.pop()
        if not stopped:
            self.read(qualname, None, frozenset())
            return None, frozenset()
        visited.add(qualname)
        external = frozenset(token for token in stopped if _outside(token, seen, self.again))
        self.read(qualname, frozenset(visited), external)
        return frozenset(visited), external

    def read(self, qualname: str, visited: frozenset[str] | None, external: frozenset[str]) -> None:
        """A summary used by the one under way: what it visited and stopped at is that one's too."""
        if not self._frames:
            return
        into, stopped = self._frames[-1]
        into.add(qualname)
        if visited is not None:
            into.update(visited)
            stopped.update(external)
