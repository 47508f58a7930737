"""The walk's hottest functions keep their locals plain: a comprehension that reads a function's locals makes them
cells (Python 3.11), each allocated on every call of the function, whatever branch the call takes."""
from __future__ import annotations

import pytest

from prodcheck.extract.call_sites import CallSites
from prodcheck.extract.values import ValueBuilder


@pytest.mark.parametrize("function", [ValueBuilder.value, ValueBuilder._compute_value, ValueBuilder._without_arguments,
                                      CallSites.visit_Call, CallSites._children, CallSites.visit_Expr,
                                      CallSites.visit_Await, CallSites.visit_Attribute])
def test_a_hot_function_of_the_walk_has_no_cell(function: object) -> None:
    assert function.__code__.co_cellvars == ()  # type: ignore[attr-defined]  # a plain function
