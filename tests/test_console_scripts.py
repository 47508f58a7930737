"""project/console_scripts.py: the commands a repository's packages install, and the function each calls."""
from __future__ import annotations

from pathlib import Path

from conftest import project_model
from prodcheck.parsing.shell import split_script


def test_console_scripts_of_pep621_and_poetry_tables(tmp_path: Path) -> None:
    files = {
        "a/pyproject.toml": '[project]\nname = "a"\n\n[project.scripts]\na-worker = "a.worker:main"\nboth = "a.x:f"\n',
        "b/pyproject.toml": ('[tool.poetry]\nname = "b"\n\n[tool.poetry.scripts]\n'
                             'b-cli = "b.cli:App.run [extra]"\nboth = "b.y:g"\nbroken = "no_colon"\n'),
    }
    scripts = project_model(tmp_path, files).console_scripts
    worker = scripts.script(split_script("a-worker --verbose")[0])
    assert worker is not None and (worker.module, worker.function) == ("a.worker", "main")
    assert (worker.location.path, worker.location.span.line) == ("a/pyproject.toml", 5)
    cli = scripts.script(split_script("b-cli")[0])
    assert cli is not None and (cli.module, cli.function) == ("b.cli", "App.run")
    # two packages install `both`: which one a container runs is unknown; `broken` names no function
    assert scripts.script(split_script("both")[0]) is None
    assert scripts.script(split_script("broken")[0]) is None
    assert scripts.script(split_script("uvicorn app:app")[0]) is None
