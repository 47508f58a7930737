"""Project.calls: the calls of the names a predicate accepts, in the order of a loop over every call."""
from __future__ import annotations

from prodcheck.extract.python import extract
from prodcheck.project.calls import CallIndex


def test_named_keeps_file_and_call_order_and_asks_once_per_name() -> None:
    first = extract("app/a.py", b"import os\nos.getenv('A')\nprint(1)\nos.getenv('B')\n")
    second = extract("app/b.py", b"import os\nprint(2)\nos.environ.get('C')\nos.getenv('D')\n")
    index = CallIndex({first.path: first, second.path: second})
    asked: list[str] = []

    def wanted(name: str) -> bool:
        asked.append(name)
        return name in {"os.getenv", "os.environ.get"}

    found = [(facts.path, call.value.arg(0).literal) for facts, call in index.named(wanted)]  # type: ignore[union-attr]
    assert found == [("app/a.py", "A"), ("app/a.py", "B"), ("app/b.py", "C"), ("app/b.py", "D")]
    assert sorted(asked) == sorted(set(asked)) == sorted(index.names)
