"""extract/once.py: which calls of a function run only until the state it keeps is set (Call.once)."""
from __future__ import annotations

from prodcheck.extract.python import extract

SOURCE = b'''
import logging
import os

_engine = None
_seen = {}


def configure(name):
    logger = logging.getLogger(name)
    os.getpid()
    if logger.handlers:
        return logger
    os.makedirs("/logs")
    logger.addHandler(object())


def engine():
    global _engine
    if _engine is None:
        _engine = os.open("/db", 0)
    else:
        os.stat("/db")
    return _engine


def keyed(key):
    if key in _seen:
        return _seen[key]
    _seen[key] = os.listdir(key)


def not_kept(flag):
    if flag:
        return None
    os.remove("/tmp/x")


class Loader:
    def load(self):
        if self._data is not None:
            return self._data
        self._data = os.listdir("/data")

        def later():
            os.sync()
        return later
'''


def test_once_marks_set_up_after_a_guard_and_inside_a_lazy_block_only() -> None:
    facts = extract("app/setup.py", SOURCE)
    once = {call.name: call.once for call in facts.calls}
    assert once["logging.getLogger"] is False and once["os.getpid"] is False  # before the guard
    assert once["os.makedirs"] is True and once["logger.addHandler"] is True
    assert once["os.open"] is True and once["os.stat"] is False  # the `else:` runs every time
    assert once["os.remove"] is False  # a parameter is no kept state
    listdirs = [call.once for call in facts.calls if call.name == "os.listdir"]
    assert listdirs == [False, True]  # keyed by a parameter: every call; an instance attribute is kept state
    assert once["os.sync"] is False  # a nested function runs when it is called, not as set-up


HELPERS = b'''
import os

_pool = None


def _connect():
    global _pool
    _pool = os.open("/db", 0)
    return _pool


def pool():
    if _pool is not None:
        return _pool
    return _connect()


class Context:
    def instance(self):
        if self.phase == "ready" and self._value is not None:
            return self._value
        os.getpid()
        return self._initialise()

    def _initialise(self):
        self._value = os.listdir("/data")
        self.phase = "ready"

    def flip(self):
        if self.phase == "closed":
            return None
        os.remove("/tmp/x")
        self.phase = "open"

    def ensure(self):
        if self.phase != "ready":
            os.chmod("/x", 0)
            self.phase = "ready"

    def fill(self):
        if not self.country:
            self._lookup_country()

    def _lookup_country(self):
        os.access("/geo", 0)
        self.country = "xx"

    def renamed(self):
        if self._value is not None:
            return self._value
        os.rename("/a", "/b")
        return Context()._initialise()
'''


def test_once_follows_the_helper_that_sets_the_state_and_the_constant_a_guard_compares() -> None:
    """State set by a method the guarded one calls on `self`, or by a module function that declares it
    `global`, is set-up state; `state == CONSTANT` holds once that constant (no other) is assigned."""
    facts = extract("app/contexts.py", HELPERS)
    once = {call.name: call.once for call in facts.calls}
    assert once["app.contexts._connect"] is True  # sets the global it declares
    assert once["os.getpid"] is True and once["self._initialise"] is True
    assert once["os.remove"] is False  # sets "open", tests "closed": runs on every call
    assert once["os.chmod"] is True  # a lazy block until the state is the constant it tests
    assert once["self._lookup_country"] is False  # a lazy block on a row's field, set by a helper: every new row
    assert once["os.rename"] is False  # another instance's method sets another instance's state

