"""What the walk knows of the module, class or function it is in (`Scope`), and how a test function's walk asks to
be made whole (`WholeFunction`): shared by every layer of the extractor (extract/python.py)."""
from __future__ import annotations

from dataclasses import dataclass, field

from prodcheck.model.facts import Value


@dataclass
class Scope:
    """A module, class or function being visited: its qualified name and, for a function, what its body binds."""

    qualname: str
    is_function: bool
    locals: list[tuple[str, Value, str]] = field(default_factory=list)
    local_names: set[str] = field(default_factory=set)  # the names in `locals`, for membership
    returns: list[Value] = field(default_factory=list)
    is_generator: bool = False
    declared: list[str] = field(default_factory=list)  # `global` / `nonlocal` names
    local_types: list[tuple[str, Value]] = field(default_factory=list)  # `name: Annotation` in a function
    # An `if`, or a binding of `p or Default()`, among its own statements: the only shapes param_guards
    # (extract/guards.py) reads, noted as the walk meets them, so a function without one is not read again.
    branches: bool = False


class WholeFunction(Exception):
    """A test function makes a call whose arguments a reader takes: it is extracted whole."""
