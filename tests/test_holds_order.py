"""What a name holds does not depend on what was asked before it (rules/concurrency/members.py `_own`).

A cycle among answers under way (a function returning what another returns, which returns the first) cuts the
chain: the inner answer is computed with the outer one unknown. Kept, it would answer for every later question
with what it found under that chain, so PC501's results for one route would depend on the routes analysed
before it, and could not be kept per route between runs."""
from __future__ import annotations

from pathlib import Path

from conftest import run_json, write_project

from prodcheck.extract.python import extract
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.concurrency.holding import Holding
from prodcheck.rules.concurrency.holds import Holds

FILES = {
    "app/__init__.py": b"",
    "app/clients.py": (b"from minio import Minio\n\n"
                       b"def first(flag):\n    if flag:\n        return second(False)\n    return Minio('s3')\n\n"
                       b"def second(flag):\n    if flag:\n        return first(False)\n    return None\n"),
}


def _returns(order: list[str]) -> dict[str, Holding | None]:
    facts = {path: extract(path, data) for path, data in FILES.items()}
    index = PythonIndex(facts, {})
    holds = Holds(index)
    return {name: holds.returns(index.functions[f"app.clients.{name}"][0]) for name in order}


def test_a_function_s_returns_are_the_same_whichever_is_asked_first() -> None:
    first_then_second = _returns(["first", "second"])
    second_then_first = _returns(["second", "first"])
    assert first_then_second == second_then_first
    held = first_then_second["second"]
    assert held is not None and held.kind == "client"  # `second(True)` returns `first(False)`: a Minio client


def test_an_answer_computed_under_an_outer_answer_s_cut_is_not_kept() -> None:
    holds = Holds(PythonIndex({path: extract(path, data) for path, data in FILES.items()}, {}))
    outer, inner = ("", "outer", 0), ("", "inner", 0)
    seen: list[object] = []

    def inner_answer() -> object:
        seen.append(holds._own(outer, lambda: "again"))  # the outer answer is under way: a cut, None
        return "inner"

    assert holds._own(outer, lambda: holds._own(inner, inner_answer)) == "inner"
    assert seen == [None] and outer in holds._memo and inner not in holds._memo
    assert holds._own(inner, inner_answer) == "inner"  # asked on its own: computed again, the outer answer known
    assert seen == [None, "inner"] and holds._memo[inner] == "inner"


ROUTES = b'''from fastapi import FastAPI

from app.clients import first, second

app = FastAPI()


@app.get("/a")
async def read_a():
    return second(True).bucket_exists("a")


@app.get("/b")
async def read_b():
    return first(True).bucket_exists("b")
'''


def test_each_route_reaching_the_client_is_reported_whichever_route_is_analysed_first(tmp_path: Path) -> None:
    """`second(True)` returns `first(False)`, a Minio client: found whether or not `first`'s answer, which cuts
    at `second`'s, was asked for another route before (it was the first answer kept for `second`: None)."""
    write_project(tmp_path, {**{path: data.decode() for path, data in FILES.items()}, "app/main.py": ROUTES.decode()})
    code, report = run_json(tmp_path, "--select", "PC501")
    lines = sorted(finding["line"] for finding in report["findings"] if finding["code"] == "PC501")
    assert code == 1 and lines == [10, 15]
