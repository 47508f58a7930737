"""What a sync helper blocks on does not depend on the depth it was first asked at (rules/concurrency/summaries.py
`sync_summary`): PC501 follows sync helpers five deep below the async function, and a summary the bound cut short
for one route (`h1` three helpers down from `read_a`) was kept for every later one (`read_b` calls `h1` itself)."""
from __future__ import annotations

from pathlib import Path

from conftest import run_json, write_project

HELPERS = "".join(f"def h{n}(url):\n    return h{n + 1}(url)\n\n\n" for n in range(1, 6)) + (
    "def h6(url):\n    return requests.get(url, timeout=5).json()\n\n\n"
    "def a1(url):\n    return a2(url)\n\n\ndef a2(url):\n    return a3(url)\n\n\ndef a3(url):\n    return h1(url)\n")

MAIN = '''from fastapi import FastAPI

from app.helpers import a1, h1

app = FastAPI()


@app.get("/a")
async def read_a(url: str):
    return a1(url)


@app.get("/b")
async def read_b(url: str):
    return h1(url)
'''


def test_a_helper_cut_short_below_one_route_is_followed_in_full_from_another(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/__init__.py": "", "app/helpers.py": "import requests\n\n\n" + HELPERS,
                             "app/main.py": MAIN})
    code, report = run_json(tmp_path, "--select", "PC501")
    found = [(finding["line"], finding["message"]) for finding in report["findings"]]
    assert code == 1 and len(found) == 1, found
    line, message = found[0]
    # read_b reaches requests.get six helpers down (h1 -> ... -> h6); read_a, three more above h1, is past the bound
    assert line == 15 and "`h1()` -> `h2()` -> `h3()` -> `h4()` -> `h5()` -> `h6()`" in message


CYCLE = '''import time

import requests


def a(url):
    b(url)
    return c(url)


def b(url):
    a(url)
    return d(url)


def c(url):
    return requests.get(url, timeout=5).json()


def d(url):
    time.sleep(1)
    return url
'''

ROUTES = '''from fastapi import FastAPI

from app.helpers import a, b

app = FastAPI()


@app.get("/a")
async def {first}(url: str):
    return a(url)


@app.get("/b")
async def read_b(url: str):
    return b(url)
'''


def _cycle_findings(root: Path, first: str) -> list[tuple[int, str]]:
    write_project(root, {"app/__init__.py": "", "app/helpers.py": CYCLE, "app/main.py": ROUTES.format(first=first)})
    code, report = run_json(root, "--select", "PC501")
    assert code == 1
    return [(finding["line"], finding["message"]) for finding in report["findings"]]


def test_a_cycle_of_helpers_is_summarised_from_the_function_each_route_enters(tmp_path: Path) -> None:
    """`a` and `b` call each other. Routes are judged in the order of their names: `read_a` (before `read_b`) or
    `zread_a` (after it) entered the cycle first, and the members summarised under that head were kept for the other
    route: by that order `read_b` reached `time.sleep()` (through `d`) or `requests.get()` (through `c`), and `read_a`
    the same one. Each route's walk is now the one entered at its own helper, whichever route came first: `a` finds
    `b`'s sleep before its own `c()`, `b` finds `a`'s fetch before its own `d()`."""
    first = _cycle_findings(tmp_path / "first", "read_a")
    second = _cycle_findings(tmp_path / "second", "zread_a")
    assert [(line, message.replace("zread_a", "read_a")) for line, message in second] == first
    assert [line for line, _ in first] == [10, 15]
    assert "`a()` -> `b()`" in first[0][1] and "`time.sleep()` at app/helpers.py:21" in first[0][1], first
    assert "`b()` -> `a()`" in first[1][1] and "`requests.get()`" in first[1][1] and "helpers.py:17" in first[1][1], first
