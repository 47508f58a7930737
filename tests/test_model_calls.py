"""project/calls.py: CallIndex lists each call name with the files that make it, every file once per name."""
from __future__ import annotations

from prodcheck.extract.python import extract
from prodcheck.project.calls import CallIndex


def _index() -> CallIndex:
    first = extract("app/a.py", b"import os\nos.getenv('A')\nos.getenv('B')\nprint(1)\n")
    second = extract("app/b.py", b"import os\nos.getenv('C')\nlen([])\n")
    third = extract("app/c.py", b"print(3)\n")
    return CallIndex({f.path: f for f in (first, second, third)})


def test_each_name_lists_the_files_that_call_it() -> None:
    index = _index()
    assert sorted(index.names) == ["len", "os.getenv", "print"]
    assert index.paths_calling(["os.getenv"]) == {"app/a.py", "app/b.py"}
    assert index.paths_calling(["print"]) == {"app/a.py", "app/c.py"}
    assert index.paths_calling(["len", "missing"]) == {"app/b.py"}
    assert index.matching(lambda name: name.startswith("os.")) == {"os.getenv"}


def test_named_yields_only_the_accepted_calls() -> None:
    found = [(facts.path, call.name) for facts, call in _index().named(lambda name: name == "os.getenv")]
    assert found == [("app/a.py", "os.getenv"), ("app/a.py", "os.getenv"), ("app/b.py", "os.getenv")]
