"""The parse's second round (python_links.py): project modules that async code imports and that the prefilter
skipped are parsed, and the modules they import in turn; nothing else. A cached run sees the same files."""
from __future__ import annotations

from pathlib import Path

from conftest import write_project
from prodcheck import engine
from prodcheck.python_pass import SECOND, plan_python, python_index
from prodcheck.settings import Settings

DB = '''
import requests


def push(row):
    return requests.post("https://ledger.example.com/rows", json=row, timeout=5)
'''
# No word of the prefilter in these two: only their imports say they matter.
ENTRIES = '''
from app import db
from app.shapes import flatten


def record(row):
    return db.push(flatten(row))
'''
SHAPES = '''
def flatten(row):
    return dict(row)
'''
UNUSED = '''
def shout(text):
    return text.upper()
'''
ROUTE = '''
from fastapi import FastAPI

from app import entries

app = FastAPI()


@app.post("/rows")
async def add(row: dict):
    return entries.record(row)
'''
SYNC_ROUTE = ROUTE.replace("async def", "def")


def _files(route: str) -> dict[str, str]:
    return {"app/__init__.py": "", "app/db.py": DB, "app/entries.py": ENTRIES, "app/shapes.py": SHAPES,
            "app/unused.py": UNUSED, "app/main.py": route}


def _second(root: Path, settings: Settings) -> set[str]:
    plan = plan_python(root.resolve(), engine.discover(root.resolve(), settings), settings)
    plan.save()
    return plan.second


def _lines(root: Path, settings: Settings) -> list[tuple[str, int]]:
    result = engine.run(root, settings)
    return [(f.location.path, f.location.span.line) for f in result.findings if f.code == "PC501"]


def test_the_modules_async_code_imports_are_parsed_and_no_others(tmp_path: Path) -> None:
    root = write_project(tmp_path, _files(ROUTE))
    settings = Settings(select=("PC501",), use_cache=False)
    # entries.py (and its package) are imported by the async route; shapes.py by entries.py; unused.py by nobody
    assert _second(root, settings) == {"app/__init__.py", "app/entries.py", "app/shapes.py"}
    assert _lines(root, settings) == [("app/main.py", 10)]


def test_modules_only_sync_code_imports_stay_unparsed(tmp_path: Path) -> None:
    root = write_project(tmp_path, _files(SYNC_ROUTE))
    assert _second(root, Settings(select=("PC501",), use_cache=False)) == set()


def test_a_cached_run_parses_what_an_edit_newly_imports_from_async_code(tmp_path: Path) -> None:
    """The index remembers a skipped file as only checked; once async code imports it, a cached run parses it
    (and says so in the index), exactly as a run without the cache does."""
    root = write_project(tmp_path / "project", _files(SYNC_ROUTE))
    cached = Settings(select=("PC501",), use_cache=True, cache_dir=str(tmp_path / "cache"))
    uncached = Settings(select=("PC501",), use_cache=False)
    assert _lines(root, cached) == [] == _lines(root, uncached)
    write_project(root, {"app/main.py": ROUTE})
    assert _lines(root, cached) == [("app/main.py", 10)] == _lines(root, uncached)
    assert _lines(root, cached) == [("app/main.py", 10)]  # the same from the cache alone
    from prodcheck.cache import folder_for

    index = python_index(folder_for(root.resolve(), cached.cache_dir))
    assert sum(1 for value in index.entries.values() if isinstance(value, str) and value.startswith(SECOND)) == 3
    write_project(root, {"app/main.py": SYNC_ROUTE})  # and back: the helper is judged from nothing it imports
    assert _lines(root, cached) == [] == _lines(root, uncached)


# A models module the prefilter reads (its ORM's name) whose class derives from a base in a module it skips: the
# base, two levels up, is where the file is written.
MODELS = '''
import peewee

from app.stored import Stored


class Report(Stored):
    title = ""


class Visit(peewee.Model):
    path = peewee.CharField()
'''
STORED = '''
class Stored:
    def save(self, path):
        with open(path, "w") as handle:
            handle.write("{}")
'''
MODEL_ROUTE = '''
from fastapi import FastAPI

from app.models import Report

app = FastAPI()


@app.post("/reports")
async def add(path: str):
    Report().save(path)
'''


def test_the_modules_a_parsed_module_imports_are_parsed_when_async_code_reaches_it(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"app/__init__.py": "", "app/models.py": MODELS, "app/stored.py": STORED,
                                    "app/main.py": MODEL_ROUTE, "app/unused.py": UNUSED})
    settings = Settings(select=("PC501",), use_cache=False)
    assert _second(root, settings) == {"app/stored.py"}
    assert _lines(root, settings) == [("app/main.py", 10)]
    write_project(root, {"app/main.py": MODEL_ROUTE.replace("async def", "def")})
    assert _second(root, settings) == set()  # no async code: the models module is read, its base is not


def _cached_plan(root: Path, settings: Settings) -> tuple[set[str], bool]:
    """The files a cached run's second round parses, and whether it read the links table."""
    plan = plan_python(root.resolve(), engine.discover(root.resolve(), settings), settings)
    plan.save()
    return plan.second, "links" in plan.__dict__


def test_a_comment_edited_reuses_the_rounds_files_without_reading_links(tmp_path: Path) -> None:
    """Every parsed file's facts and every skipped file's bytes as they were: the files the last run's second
    round parsed are parsed again, and no file's links are read (a warm run's memory)."""
    root = write_project(tmp_path / "project", _files(ROUTE))
    cached = Settings(select=("PC501",), use_cache=True, cache_dir=str(tmp_path / "cache"))
    expected = {"app/__init__.py", "app/entries.py", "app/shapes.py"}
    assert _cached_plan(root, cached) == (expected, True)
    write_project(root, {"app/main.py": ROUTE + "# a comment\n"})
    assert _cached_plan(root, cached) == (expected, False)
    assert _lines(root, cached) == [("app/main.py", 10)] == _lines(root, Settings(select=("PC501",), use_cache=False))


def test_a_skipped_module_edited_follows_its_links_again(tmp_path: Path) -> None:
    """A file the second round parsed now imports another skipped module: its bytes moved, so the round follows
    the links again and parses that module too, as a run without the cache does."""
    root = write_project(tmp_path / "project", _files(ROUTE))
    cached = Settings(select=("PC501",), use_cache=True, cache_dir=str(tmp_path / "cache"))
    uncached = Settings(select=("PC501",), use_cache=False)
    assert _cached_plan(root, cached)[0] == {"app/__init__.py", "app/entries.py", "app/shapes.py"}
    write_project(root, {"app/shapes.py": "from app.unused import shout\n" + SHAPES})
    both = {"app/__init__.py", "app/entries.py", "app/shapes.py", "app/unused.py"}
    assert _cached_plan(root, cached) == (both, True)
    assert _second(root, uncached) == both


def _followed(root: Path, settings: Settings, monkeypatch) -> tuple[set[str], bool]:
    """The files a cached run's second round parses, and whether it followed the links (else it reused a round)."""
    from prodcheck import python_rounds

    followed: list[bool] = []
    original = python_rounds._follow_links

    def follow(*args, **kwargs) -> None:
        followed.append(True)
        original(*args, **kwargs)

    monkeypatch.setattr(python_rounds, "_follow_links", follow)
    second = _cached_plan(root, settings)[0]
    monkeypatch.setattr(python_rounds, "_follow_links", original)
    return second, bool(followed)


def test_a_statement_edited_reuses_the_round_when_no_links_moved(tmp_path: Path, monkeypatch) -> None:
    """A parsed file gains a statement (its facts moved, not what it imports): the round is the last run's by the
    parsed files' links (`links_key`), and the findings are a run's without the cache; and back, by either key."""
    root = write_project(tmp_path / "project", _files(ROUTE))
    cached = Settings(select=("PC501",), use_cache=True, cache_dir=str(tmp_path / "cache"))
    uncached = Settings(select=("PC501",), use_cache=False)
    expected = {"app/__init__.py", "app/entries.py", "app/shapes.py"}
    assert _followed(root, cached, monkeypatch) == (expected, True)
    write_project(root, {"app/main.py": ROUTE + "\n_EDITED = 1\n"})
    assert _followed(root, cached, monkeypatch) == (expected, False)
    assert _lines(root, cached) == [("app/main.py", 10)] == _lines(root, uncached)
    write_project(root, {"app/main.py": ROUTE + "\n_EDITED = 2\n"})
    assert _followed(root, cached, monkeypatch) == (expected, False)
    write_project(root, {"app/main.py": ROUTE})
    assert _followed(root, cached, monkeypatch) == (expected, False)
    assert _lines(root, cached) == [("app/main.py", 10)] == _lines(root, uncached)


def test_a_parsed_file_that_imports_more_follows_its_links_again(tmp_path: Path, monkeypatch) -> None:
    """A parsed file's facts moved with what it imports (the route now imports a skipped module): the links key
    moved too, the round is followed again and parses that module, as a run without the cache does."""
    root = write_project(tmp_path / "project", _files(ROUTE))
    cached = Settings(select=("PC501",), use_cache=True, cache_dir=str(tmp_path / "cache"))
    uncached = Settings(select=("PC501",), use_cache=False)
    assert _followed(root, cached, monkeypatch)[0] == {"app/__init__.py", "app/entries.py", "app/shapes.py"}
    write_project(root, {"app/main.py": "from app.unused import shout\n" + ROUTE})
    both = {"app/__init__.py", "app/entries.py", "app/shapes.py", "app/unused.py"}
    assert _followed(root, cached, monkeypatch) == (both, True)
    assert _second(root, uncached) == both
    assert _lines(root, cached) == _lines(root, uncached)


def test_the_rounds_files_are_parsed_once_and_the_others_checked(tmp_path: Path, monkeypatch) -> None:
    """A skipped file's syntax check waits for the second round: a file the round parses is not checked first."""
    from prodcheck import python_pass

    checked: list[str] = []
    check = python_pass.syntax_check
    monkeypatch.setattr(python_pass, "syntax_check", lambda path, data: checked.append(path) or check(path, data))
    root = write_project(tmp_path, _files(ROUTE))
    assert _second(root, Settings(select=("PC501",), use_cache=False)) == {"app/__init__.py", "app/entries.py",
                                                                          "app/shapes.py"}
    assert checked == ["app/unused.py"]


def test_a_module_async_code_imports_that_does_not_parse_is_reported_once(tmp_path: Path) -> None:
    """The round reaches a skipped file before its check; one that does not parse stays a skipped file with its
    error, as the check leaves it, with the cache as without it."""
    root = write_project(tmp_path / "project", {**_files(ROUTE), "app/shapes.py": "def flatten(row:\n"})
    for settings in (Settings(use_cache=False),
                     Settings(use_cache=True, cache_dir=str(tmp_path / "cache")),
                     Settings(use_cache=True, cache_dir=str(tmp_path / "cache"))):
        plan = plan_python(root.resolve(), engine.discover(root.resolve(), settings), settings)
        plan.save()
        assert plan.second == {"app/__init__.py", "app/entries.py"}
        assert "app/shapes.py" in plan.checked and "app/shapes.py" not in plan.keys
        errors = [(f.code, f.location.path) for f in engine.run(root, settings).findings if f.code == "PC000"]
        assert errors == [("PC000", "app/shapes.py")]
