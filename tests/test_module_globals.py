"""project/python_names.py: which assignment of a module global the model takes when several modules assign it
(`_kept`, `_rekey_foreign_assigns`)."""
from __future__ import annotations

from pathlib import Path

from conftest import project_model

CACHE = "import redis\n\nclient = redis.Redis.from_url('redis://cache:6379/0')\n"
DB = "engine = None\n"
MAIN = ("from sqlalchemy import create_engine\n\nimport app.db as db\n\n\n"
        "def startup():\n    db.engine = create_engine('postgresql://db/app')\n")
CONFTEST = ("import fakeredis\n\nimport app.cache as cache\n\n\n"
            "def fake_cache():\n    cache.client = fakeredis.FakeRedis()\n")


def _assigned_in(project, name: str) -> str:  # type: ignore[no-untyped-def]
    resolved = project.python.resolve(name)
    assert resolved is not None and resolved.assign is not None
    return resolved.assign[1].path


def test_a_test_fixture_patching_a_global_leaves_the_module_value(tmp_path: Path) -> None:
    project = project_model(tmp_path, {"app/__init__.py": "", "app/cache.py": CACHE, "tests/conftest.py": CONFTEST})
    assert _assigned_in(project, "app.cache.client") == "app/cache.py"


def test_a_patch_written_under_another_root_is_of_the_same_module(tmp_path: Path) -> None:
    """The service lives in `backend/`, whose tests import `app.cache`: the module is `backend.app.cache` under the
    scanned root, and the patch is of its global all the same."""
    project = project_model(tmp_path, {"backend/app/__init__.py": "", "backend/app/cache.py": CACHE,
                                       "backend/tests/conftest.py": CONFTEST})
    assert _assigned_in(project, "backend.app.cache.client") == "backend/app/cache.py"
    assert _assigned_in(project, "app.cache.client") == "backend/app/cache.py"


def test_another_module_filling_an_empty_global_gives_its_value(tmp_path: Path) -> None:
    project = project_model(tmp_path, {"app/__init__.py": "", "app/db.py": DB, "app/main.py": MAIN})
    assert _assigned_in(project, "app.db.engine") == "app/main.py"
