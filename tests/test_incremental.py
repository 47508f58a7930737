"""A cached re-run after an edit reports exactly what a run without the cache reports: whether the
edit moved a fact (the rules run again) or not (the findings are reused, incremental.py)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from prodcheck import cache
from conftest import write_project
from prodcheck.cli import main

PROJECT = {
    "app/main.py": (
        "from fastapi import FastAPI\nfrom sqlalchemy import create_engine\n\n"
        "engine = create_engine('postgresql://app:hunter2@db/app')\napp = FastAPI()\n"
    ),
    "app/util.py": "def add(a, b):\n    return a + b\n",
    "Dockerfile": "FROM python:3.12-slim\nCOPY . .\nCMD uvicorn app.main:app --reload --host 0.0.0.0\n",
    "docker-compose.yml": "services:\n  web:\n    build: .\n  cache:\n    image: redis\n",
}


def _scan(root: Path, *args: str) -> dict:
    result = CliRunner().invoke(main, ["check", str(root), "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def _same_as_without_cache(root: Path, cache_dir: Path) -> dict:
    cached = _scan(root, "--cache-dir", str(cache_dir))
    assert cached == _scan(root, "--no-cache")
    return cached


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


EDITS = [
    # (file, old, new): each applied on top of the previous ones
    ("app/main.py", "app = FastAPI()\n", "app = FastAPI()\n# a comment: no fact moves\n"),
    ("app/main.py", "db/app')\n", "db/app')  # the anchor line changes, its facts do not\n"),
    ("app/main.py", "# the anchor line", "# prodcheck: ignore[PC302] the anchor line"),
    ("app/main.py", "# prodcheck: ignore[PC302] the anchor line", "# the anchor line"),
    ("app/main.py", "\nengine =", "\n\nengine ="),  # every fact below moves one line
    ("app/util.py", "return a + b", "return a - b"),  # a file no rule parses
    ("app/main.py", "app = FastAPI()", "app = FastAPI(debug=True)"),
    ("docker-compose.yml", "image: redis", "image: redis:7"),
    ("README.md", "", "This project is for demo purposes only.\n"),
    ("Tiltfile", "", "docker_build('web', '.')\n"),
    ("README.md", "for demo purposes only", "ready"),
]


@pytest.mark.parametrize("steps", [len(EDITS)])
def test_every_edit_is_seen_by_a_cached_run(tmp_path: Path, steps: int) -> None:
    root = tmp_path / "project"
    for relative, text in PROJECT.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    cache_dir = tmp_path / "cache"
    seen = [_same_as_without_cache(root, cache_dir)]
    for relative, old, new in EDITS[:steps]:
        path = root / relative
        if not path.exists():
            path.write_text(new)
        else:
            _edit(path, old, new)
        seen.append(_same_as_without_cache(root, cache_dir))
        seen.append(_same_as_without_cache(root, cache_dir))  # and again, from the entry just written
    # The edits changed what is reported (the test would not notice a stale cache otherwise).
    assert len({json.dumps(report["findings"], sort_keys=True) for report in seen}) >= 6


def test_a_lazy_table_reads_only_the_shards_it_needs(tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "x"
    table = cache.LazyTable(folder, "facts", shards=8)
    digests = {key: table.put(key, (key, 1)) for key in ("a", "b", "c", "d")}
    assert table.put("again", ("a", 1)) == digests["a"] != digests["b"]  # the digest is the value's
    table.save({"a", "b", "c", "d"}, stale={"again"})
    fresh = cache.LazyTable(folder, "facts", shards=8)
    assert fresh.get("c") == ("c", 1) and list(fresh.loaded) == [fresh.shard_of("c")]
    assert fresh.get("again") is None
    assert fresh.entries == {key: (key, 1) for key in "abcd"}


POOLED = {
    "app/__init__.py": "",
    "app/main.py": "from fastapi import FastAPI\n\nfrom app.db import engine\n\napp = FastAPI()\n",
    "app/db.py": (
        "import os\n\nfrom sqlalchemy import create_engine\n\n"
        "engine = create_engine(os.environ['DATABASE_URL'], pool_size=5, max_overflow=0)\n"
    ),
    "Dockerfile": (
        "FROM python:3.12-slim\nUSER app\nCOPY . .\n"
        'CMD ["gunicorn", "app.main:app", "-k", "uvicorn.workers.UvicornWorker", "-w", "4"]\n'
    ),
    "docker-compose.yml": (
        "services:\n  api:\n    build: .\n  db:\n    image: postgres:16.4\n"
        "    command: postgres -c max_connections=100\n"
    ),
}

# Each edit moves one input of PC402's arithmetic (pool x workers against max_connections), each in
# another file; the expected answer after it, so a stale re-use of the previous result fails.
CROSS_FILE_EDITS = [
    (None, "", "", False),  # 5 x 4 = 20 of 100
    ("Dockerfile", '"-w", "4"', '"-w", "32"', True),  # 5 x 32 = 160 of 100
    ("app/db.py", "pool_size=5", "pool_size=2", False),  # 2 x 32 = 64 of 100
    ("docker-compose.yml", "max_connections=100", "max_connections=50", True),  # 64 of 50
    ("app/db.py", "pool_size=2", "pool_size=1", False),  # 1 x 32 = 32 of 50
]


def test_an_edit_to_a_cross_file_fact_is_seen_by_a_cached_run(tmp_path: Path) -> None:
    root = tmp_path / "project"
    for relative, text in POOLED.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    cache_dir = tmp_path / "cache"
    for relative, old, new, over in CROSS_FILE_EDITS:
        if relative is not None:
            _edit(root / relative, old, new)
        for _ in range(2):  # the run that re-checks after the edit, then the one that reuses its entry
            report = _same_as_without_cache(root, cache_dir)
            assert any(f["code"] == "PC402" for f in report["findings"]) is over, (relative, new)


SERVICE = {
    "app/__init__.py": "",
    "app/main.py": (
        "from fastapi import FastAPI\n\nfrom app import routes\nfrom app.db import engine\n\n"
        "app = FastAPI()\napp.include_router(routes.router)\n"
    ),
    "app/routes.py": (
        "from fastapi import APIRouter\n\nfrom app.helpers import slow\n\nrouter = APIRouter()\n\n\n"
        "@router.get('/a')\nasync def read_a():\n    return {'ok': 1}\n"
    ),
    "app/helpers.py": "import time\n\n\ndef slow():\n    time.sleep(1)\n    return 1\n",
    "app/db.py": (
        "import os\n\nfrom sqlalchemy import create_engine\n\n"
        "engine = create_engine(os.environ['DATABASE_URL'], pool_size=5, max_overflow=0, pool_pre_ping=True)\n"
    ),
    "Dockerfile": (
        "FROM python:3.12-slim\nUSER app\nCOPY . .\n"
        'CMD ["gunicorn", "app.main:app", "-k", "uvicorn.workers.UvicornWorker", "-w", "4"]\n'
    ),
    "docker-compose.yml": (
        "services:\n  api:\n    build: .\n  db:\n    image: postgres:16.4\n"
        "    command: postgres -c max_connections=100\n"
    ),
}

# Statements that change a cross-file fact, each in one file, with the finding the edit must make
# appear (True) or disappear (False): a stale re-use of the previous run's result fails the step.
SERVICE_EDITS = [
    # a new route calling a blocking helper defined in another module
    ("app/routes.py", "    return {'ok': 1}\n",
     "    return {'ok': 1}\n\n\n@router.get('/b')\nasync def read_b():\n    return slow()\n", "PC501", True),
    # the helper stops blocking: only the helper's file changes
    ("app/helpers.py", "    time.sleep(1)\n", "    pass\n", "PC501", False),
    # ... and blocks again, through another call
    ("app/helpers.py", "    pass\n", "    time.sleep(2)\n", "PC501", True),
    # a new engine, without pool_pre_ping, in the module of the first one
    ("app/db.py", "pool_pre_ping=True)\n",
     "pool_pre_ping=True)\nreports = create_engine(os.environ['REPORTS_URL'], pool_size=5, max_overflow=0)\n",
     "PC403", True),
    # a changed worker count: (5 + 5) x 12 = 120 connections of 100
    ("Dockerfile", '"-w", "4"', '"-w", "12"', "PC402", True),
    # the new engine goes again: 5 x 12 = 60 of 100
    ("app/db.py", "reports = create_engine(os.environ['REPORTS_URL'], pool_size=5, max_overflow=0)\n", "",
     "PC402", False),
]


def test_statements_that_move_cross_file_facts_are_seen_by_a_cached_run(tmp_path: Path) -> None:
    root = tmp_path / "project"
    for relative, text in SERVICE.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    cache_dir = tmp_path / "cache"
    first = _same_as_without_cache(root, cache_dir)
    assert not {f["code"] for f in first["findings"]} & {"PC501", "PC403", "PC402"}
    for relative, old, new, code, present in SERVICE_EDITS:
        _edit(root / relative, old, new)
        for _ in range(2):  # the run that re-checks after the edit, then the one that reuses its entry
            report = _same_as_without_cache(root, cache_dir)
            assert any(f["code"] == code for f in report["findings"]) is present, (relative, new, code)


def test_inline_python_no_parser_reads_is_not_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -c CODE` that `ast` and then libcst refuse: a cached re-run after a fact edit remembers the refusal
    (fix/memo.py) and neither parses it again nor imports libcst for it; what it reports is a run's without the cache."""
    from prodcheck.project import inline_python

    files = {**PROJECT, "Dockerfile": (
        "FROM python:3.12-slim\nCOPY . .\nRUN python -c 'import ('\n"
        "CMD python -c 'import (' && uvicorn app.main:app --host 0.0.0.0\n")}
    root = tmp_path / "project"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    tried: list[bytes] = []
    extract = inline_python.extract

    def counted(path: str, data: bytes):  # type: ignore[no-untyped-def]
        tried.append(data)
        return extract(path, data)

    monkeypatch.setattr(inline_python, "extract", counted)
    cache_dir = tmp_path / "cache"
    inline_python._parsed.cache_clear()
    _scan(root, "--cache-dir", str(cache_dir))
    assert b"import (" in tried
    _edit(root / "app/main.py", "app = FastAPI()\n", "app = FastAPI()\nVERSION = 2\n")  # a fact moves: the rules run
    tried.clear()
    inline_python._parsed.cache_clear()
    cached = _scan(root, "--cache-dir", str(cache_dir))
    assert b"import (" not in tried
    inline_python._parsed.cache_clear()
    assert cached == _scan(root, "--no-cache")
    assert b"import (" in tried  # without the cache: tried again


# Two routes reach the same blocking helper: the finding names one of them ("awaited from ..."), and which one must
# not depend on which files a re-run took from the cache and which it extracted again (the facts are handed to the
# rules in the order of the files, whatever the cache held: python_pass.load_python).
SHARED_HELPER = {
    "app/__init__.py": "",
    "app/routes_a.py": (
        "from fastapi import APIRouter\n\nfrom app.services import install\n\nrouter = APIRouter()\n\n\n"
        "@router.post('/a')\nasync def api_a():\n    await install()\n"
    ),
    "app/routes_b.py": (
        "from fastapi import APIRouter\n\nfrom app.services import install\n\nrouter = APIRouter()\n\n\n"
        "@router.post('/b')\nasync def api_b():\n    await install()\n"
    ),
    "app/services.py": "import shutil\n\n\nasync def install():\n    shutil.rmtree('/tmp/extension')\n",
    "app/main.py": (
        "from fastapi import FastAPI\n\nfrom app import routes_a, routes_b\n\napp = FastAPI()\n"
        "app.include_router(routes_a.router)\napp.include_router(routes_b.router)\n"
    ),
}


@pytest.mark.parametrize("edited", ["app/routes_b.py", "app/routes_a.py", "app/services.py"])
def test_a_finding_that_names_one_of_several_routes_names_the_same_after_an_edit(tmp_path: Path, edited: str) -> None:
    root = write_project(tmp_path / "project", SHARED_HELPER)
    cache_dir = tmp_path / "cache"
    first = _same_as_without_cache(root, cache_dir)
    assert any(f["code"] == "PC501" and "awaited from" in f["message"] for f in first["findings"]), first
    path = root / edited
    path.write_text(path.read_text() + "\n_EDITED = 1\n")  # a new fact: this file is extracted again
    _same_as_without_cache(root, cache_dir)
