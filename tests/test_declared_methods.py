"""extract/python.py `stubs`: the methods whose body only declares them (`...`, `pass`, a docstring, `raise
NotImplementedError`, or a fixed default returned: a hook a subclass overrides), which PC501 follows to their
subclasses' implementations (rules/concurrency/hierarchy.py)."""
from __future__ import annotations

from prodcheck.extract.python import extract

SOURCE = b'''
from typing import Protocol


class Store(Protocol):
    def get(self, key): ...
    def put(self, key, value):
        """Store one value."""
    def drop(self, key):
        pass


class Base:
    def load(self):
        raise NotImplementedError
    @staticmethod
    def exchange(**payload):
        """Exchange a code."""
        raise NotImplementedError("exchange() is not implemented")
    def name(self):
        return "base"
    def label(self):
        return self.name().title()
    def options(self):
        return {"retries": 3}
    def result(self):
        return HookResult()
    def check(self):
        if self.ready:
            raise NotImplementedError
    def fail(self):
        raise ValueError("no")
    def process(self):
        msg = f"{type(self)}.process"
        raise NotImplementedError(msg)
    def count(self):
        total = 0
        return total


def helper():
    ...
'''


def test_a_method_whose_body_only_declares_it_is_a_stub() -> None:
    facts = extract("app/store.py", SOURCE)
    assert set(facts.stubs) == {"app.store.Store.get", "app.store.Store.put", "app.store.Store.drop",
                                "app.store.Base.load", "app.store.Base.exchange", "app.store.Base.name",
                                "app.store.Base.result", "app.store.Base.process"}
