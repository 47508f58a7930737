"""What the walk knows of the module, class or function it is in (`Scope`), and how a test function's walk asks to
be made whole (`WholeFunction`): shared by every layer of the extractor (extract/python.py)."""
from __future__ import annotations

from prodcheck.model.facts import Value


class Scope:
    """A module, class or function being visited: its qualified name and, for a function, what its body binds.
    A plain class with slots, not a dataclass: one is made for every function and class the walk enters, and a
    dataclass's `__init__` called a factory for each container."""

    __slots__ = (
        "branches",
        "declared",
        "is_function",
        "is_generator",
        "local_names",
        "local_types",
        "locals",
        "qualname",
        "returns",
    )

    def __init__(self, qualname: str, is_function: bool) -> None:
        self.qualname = qualname
        self.is_function = is_function
        self.locals: list[tuple[str, Value, str]] = []
        self.local_names: set[str] = set()  # the names in `locals`, for membership
        self.returns: list[Value] = []
        self.is_generator = False
        self.declared: list[str] = []  # `global` / `nonlocal` names
        self.local_types: list[tuple[str, Value]] = []  # `name: Annotation` in a function
        # An `if`, or a binding of `p or Default()`, among its own statements: the only shapes param_guards
        # (extract/guards.py) reads, noted as the walk meets them, so a function without one is not read again.
        self.branches = False


class WholeFunction(Exception):
    """A test function makes a call whose arguments a reader takes: it is extracted whole."""
