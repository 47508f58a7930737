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
