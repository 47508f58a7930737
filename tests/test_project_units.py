"""systemd units and supervisord programs (project/units.py): which lines are the commands a unit runs,
with the line each starts on."""
from __future__ import annotations

from prodcheck.model.files import FileKind
from prodcheck.project.units import unit_commands

SERVICE = """[Unit]
Description=api
ExecStart=/bin/false

[Service]
# ExecStart=/bin/commented
; ExecStart=/bin/also-commented
Environment=A=1
ExecStartPre=-/opt/venv/bin/alembic upgrade head
ExecStart=-@+!:/opt/venv/bin/gunicorn \\
    -c deploy/gunicorn.conf.py \\
    app.main:app
ExecStart=
not a key line
  [ Install ]
ExecStart=/bin/after-install
"""

SUPERVISOR = """; the worker
[supervisord]
command=supervisord-itself

[program:api]
command = uvicorn app.main:app --port 8001
user=app
[program:worker:extra]
command=celery -A app.tasks worker
command=
[group:all]
command=not-a-program
"""


def test_systemd_exec_start_lines_of_the_service_section() -> None:
    assert unit_commands(SERVICE, FileKind.SYSTEMD) == [
        ("service", 10, "/opt/venv/bin/gunicorn  -c deploy/gunicorn.conf.py  app.main:app")]
    assert unit_commands(SERVICE, FileKind.SUPERVISOR) == []


def test_supervisord_program_commands() -> None:
    assert unit_commands(SUPERVISOR, FileKind.SUPERVISOR) == [
        ("api", 6, "uvicorn app.main:app --port 8001"), ("worker:extra", 9, "celery -A app.tasks worker")]
    assert unit_commands(SUPERVISOR, FileKind.SYSTEMD) == []


def test_continuation_lines_and_the_end_of_the_file() -> None:
    """A joined line keeps the number of its first line; the next line after it keeps its own; a backslash on
    the last line has nothing to join."""
    assert unit_commands("[Service]\nExecStart=/bin/app \\\n  --flag\nExecStart=/bin/two", FileKind.SYSTEMD) == [
        ("service", 2, "/bin/app  --flag"), ("service", 4, "/bin/two")]
    assert unit_commands("[Service]\nExecStart=/bin/app \\", FileKind.SYSTEMD) == [("service", 2, "/bin/app \\")]
    assert unit_commands("", FileKind.SYSTEMD) == []
