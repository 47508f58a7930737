"""PC401's development guard (rules/database/startup_paths.py `dev_guarded_call`): the `if` whose
condition names development is looked for up to 59 lines above the call, the nearest enclosing
block first; one line further is out of reach."""
from __future__ import annotations

from pathlib import Path

from conftest import write_project
from prodcheck import engine
from prodcheck.project import Project
from prodcheck.rules.database.startup_paths import dev_guarded_call
from prodcheck.settings import Settings


def _module(filler: int) -> str:
    body = "".join(f"    step_{n} = {n}\n" for n in range(filler))
    return f"import sqlalchemy\n\nif settings.debug:\n{body}    metadata.create_all(engine)\n"


def test_the_guard_is_looked_for_up_to_59_lines_above(tmp_path: Path) -> None:
    files = {"app/near.py": _module(58), "app/far.py": _module(59)}  # the `if` 59 and 60 lines above the call
    root = write_project(tmp_path, files)
    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(root, settings)
    project = Project(root, discovered, engine.parse_python(root, discovered, settings), settings)
    assert dev_guarded_call(project, "app/near.py", 3 + 58 + 1)
    assert not dev_guarded_call(project, "app/far.py", 3 + 59 + 1)
    assert not dev_guarded_call(project, "app/near.py", 3)  # the `if` line itself has nothing above it
