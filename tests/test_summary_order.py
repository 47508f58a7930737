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
