"""extract/guards.py: which lines of a function only some values of its parameters run (unit tests of the
parameter rebound elsewhere; the reach through calls is pinned by the PC501-parameter-branches fixture)."""
from __future__ import annotations

import ast
import textwrap

from prodcheck.extract.guards import param_guards


def _guards(source: str) -> list[tuple[int, int, str, str, int]]:
    node = ast.parse(textwrap.dedent(source)).body[0]
    assert isinstance(node, ast.FunctionDef)
    return list(param_guards(node))


def test_a_parameter_bound_again_in_another_parameter_s_branch_keeps_its_test_unless_that_branch_ran() -> None:
    guards = _guards('''
        def init(self, user=None, *, name=None, frontend=None):
            if frontend and not name:
                name = frontend
            if name:
                fetch(name)
        ''')
    # line 6 runs when `name` is truthy, or when the branch that needs `frontend` truthy bound it
    assert (6, 6, "name", "truthy|frontend:truthy:-1", -1) in guards
    # the branch itself is guarded by both parameters, neither bound again before its test
    assert (4, 4, "frontend", "truthy", -1) in guards


def test_a_parameter_bound_again_outside_any_guard_loses_its_test() -> None:
    guards = _guards('''
        def init(self, name=None):
            name = name.strip() if name else load_default()
            if name:
                fetch(name)
        ''')
    assert not [g for g in guards if g[2] == "name" and g[0] == 5]


def test_the_operands_after_a_parameter_test_in_an_if_are_guarded_by_it() -> None:
    guards = _guards('''
        def public_url(self, key, verify_exists=True, skip_check=False):
            if verify_exists and not self.exists(key):
                raise KeyError(key)
            if skip_check or self.check(key):
                return key
        ''')
    # `self.exists(key)` runs only when `verify_exists` is truthy; `self.check(key)` only when `skip_check` is falsy
    assert (3, 3, "verify_exists", "truthy", 2) in guards
    assert (5, 5, "skip_check", "falsy", 3) in guards


def test_a_call_before_the_parameter_test_guards_nothing() -> None:
    guards = _guards('''
        def public_url(self, key, verify_exists=True):
            if self.exists(key) and verify_exists:
                raise KeyError(key)
        ''')
    # the body (line 4) is guarded; the test's own line, where `self.exists(key)` runs first, is not
    assert (4, 4, "verify_exists", "truthy", 2) in guards
    assert (3, 3, "verify_exists", "truthy", 2) not in guards


def test_the_walk_reads_the_guards_of_every_function_that_has_any() -> None:
    """The extractor asks `param_guards` only of a function whose statements hold an `if` or a `p or Default()`
    binding (extract/values.py `Scope.branches`, noted as the walk meets them): wherever they are (nested blocks, a
    branch a constant switches off, a lazy block, a test function of a test file), its guards are those
    `param_guards` reads off the function alone, and a nested function's or class's `if` is not the function's."""
    from prodcheck.extract.python import extract

    source = textwrap.dedent('''
        import threading
        _client = None

        def fallback(store=None):
            for _ in range(3):
                store = store or make()
            return store

        def annotated(flag=False):
            value: int = flag if flag else 0
            return value

        def dead(flag=False):
            if False:
                if flag:
                    work()

        def nested(flag=False):
            def inner():
                if flag:
                    work()
            class Local:
                if flag:
                    x = 1
            return inner, Local

        def lazy(flag=False):
            global _client
            if _client is None:
                if flag:
                    _client = make()
            return _client

        def handled(flag=False):
            try:
                work()
            except ValueError:
                with threading.Lock():
                    if not flag:
                        return None
            return 1

        def test_shallow(flag=False):
            while True:
                if flag:
                    client.post("/x", json={"a": 1})
                break

        def plain(flag=False):
            return work(flag)
        ''')
    tree = ast.parse(source)
    expected = {f.name: param_guards(f) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
    assert expected["fallback"] and expected["annotated"] and expected["dead"] and expected["lazy"]
    assert expected["handled"] and expected["test_shallow"] and not expected["nested"] and not expected["plain"]
    for reduced in (False, True):
        facts = extract("tests/test_guards.py", source.encode(), reduced)
        assert {f.qualname.rpartition(".")[2]: f.guards for f in facts.functions} == expected
