"""A callable handed down a chain of helpers is followed to the helper that calls it, whatever was asked before
(rules/concurrency/callables.py `called_params`): each helper's answer is its own, read by the helper that hands
it the parameter. Before, an answer asked a few helpers down was cut short by the helpers above it, unless the
same helper's own answer had been kept already: `a`'s answer depended on whether `b`'s was asked first."""
from __future__ import annotations

from typing import cast

from prodcheck.extract.python import extract
from prodcheck.project import Project
from prodcheck.project.python_index import PythonIndex
from prodcheck.rule_inputs import PythonOnly
from prodcheck.rules.concurrency.blocking_calls import classify_blocking
from prodcheck.rules.concurrency.summaries import BlockingAnalysis

HELPERS = ("".join(f"def {name}(fn):\n    return {following}(fn)\n\n\n" for name, following in zip("abcde", "bcdef", strict=True))
           + "def f(fn):\n    return fn()\n\n\ndef g(fn):\n    return g(fn)\n").encode()


def _answers(order: str) -> dict[str, frozenset[str]]:
    index = PythonIndex({"app/helpers.py": extract("app/helpers.py", HELPERS)}, {})
    analysis = BlockingAnalysis(cast(Project, PythonOnly(index)), classify_blocking)
    return {name: analysis.callables.called_params(index.functions[f"app.helpers.{name}"][0]) for name in order}


def test_a_helper_s_called_parameters_are_the_same_whichever_helper_is_asked_first() -> None:
    assert _answers("ab") == _answers("ba") == {"a": frozenset({"fn"}), "b": frozenset({"fn"})}
    assert _answers("fedcba")["a"] == frozenset({"fn"})


def test_a_helper_handing_its_parameter_to_itself_calls_nothing() -> None:
    assert _answers("g") == {"g": frozenset()}
