"""extract/python.py: a branch a constant test switches off inside a function (`if False:`, `if debug and False:`,
the `else:` of `if x or True:`) never runs, so its calls are no facts; a `yield` there still makes a generator."""
from __future__ import annotations

import ast

from prodcheck.extract.guards import constant_truth
from prodcheck.extract.python import extract

SOURCE = b"""\
import requests

def build(store=None):
    if not store and False:
        requests.get("https://a.example.com")
    if store or True:
        store = requests.post("https://b.example.com")
    else:
        requests.delete("https://c.example.com")
    if store and flag:
        requests.put("https://d.example.com")
    return store

def stream():
    if False:
        yield None
    return requests.head("https://e.example.com")

if False:
    requests.patch("https://f.example.com")
"""


def test_calls_in_a_switched_off_branch_are_not_facts() -> None:
    facts = extract("app/build.py", SOURCE)
    assert sorted(call.name for call in facts.calls) == [
        "requests.head", "requests.patch", "requests.post", "requests.put"]  # module level is read as written
    assert {f.qualname: f.is_generator for f in facts.functions} == {"app.build.build": False, "app.build.stream": True}


def test_constant_truth_needs_every_deciding_part_constant() -> None:
    def truth(test: str) -> bool | None:
        return constant_truth(ast.parse(test, mode="eval").body)

    assert [truth(t) for t in ("False", "0", "x and False", "not True", "False or 0")] == [False] * 5
    assert [truth(t) for t in ("True", "x or True", "not None", "1 and 'a'")] == [True] * 4
    assert [truth(t) for t in ("x", "x and True", "x or False", "not x", "f() == 1")] == [None] * 5
