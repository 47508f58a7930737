"""discovery/run_scripts.py: the Python scripts deployment commands run, parsed whatever words they hold."""
from __future__ import annotations

from prodcheck.discovery.run_scripts import is_run_script, run_scripts
from prodcheck.discovery.sources import SourceFile
from prodcheck.model.files import Context, FileKind


def _source(path: str, kind: FileKind, text: str) -> SourceFile:
    return SourceFile(path, kind, Context.PROD, text.encode())


def test_the_scripts_and_modules_commands_run() -> None:
    tails = run_scripts([
        _source("svc/docker/start.sh", FileKind.SHELL, "alembic upgrade head\npython src/main.py\n"),
        _source("Dockerfile", FileKind.DOCKERFILE, 'CMD ["python3", "-u", "/app/run.py"]\n'),
        _source("Procfile", FileKind.PROCFILE, "web: python -m app.server --port $PORT\n"),
        _source("app/notes.py", FileKind.PYTHON, "python src/ignored.py"),  # no deployment file
    ])
    assert {"src/main.py", "main.py", "app/run.py", "app/server.py", "app/server/__main__.py"} <= tails
    assert "ignored.py" not in tails and "run.py" not in tails
    assert is_run_script("review/src/main.py", tails) and is_run_script("app/server/__main__.py", tails)
    assert not is_run_script("review/src/worker.py", tails) and not is_run_script("app/main_test.py", tails)


def test_an_absolute_path_names_two_parts_or_more() -> None:
    tails = run_scripts([_source("Dockerfile", FileKind.DOCKERFILE, "CMD python /srv/app/entry.py\n")])
    assert "entry.py" not in tails and {"app/entry.py", "srv/app/entry.py"} <= tails
