"""A helper's parameter `touched` leaves out is one `unused` finds unused (rules/concurrency/branches.py): PC501
does not ask what an argument holds when the project helper it is given to leaves it unused (blocking_calls.py
`_used_by`), so the two must agree on every parameter."""
from __future__ import annotations

from prodcheck.extract.python import extract
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.concurrency.branches import touched, unused

SOURCE = b'''
def helper(a, b, c, d, e, f, g, h, i):
    a.run()
    print(b.name)
    x = c
    log(key=d.value)
    i.items().count()
    if e:
        return f
    return str(g), x
'''


def test_touched_leaves_out_exactly_the_unused_parameters() -> None:
    index = PythonIndex({"app/h.py": extract("app/h.py", SOURCE)}, {})
    function = index.functions["app.h.helper"][0]
    calls = index.calls_by_scope.get(function.qualname, ())
    names = touched(calls, function)
    for param in function.params:
        assert (param.name not in names) == unused(calls, function, param.name), param.name
    assert {param.name for param in function.params if param.name not in names} == {"e", "f", "h"}
