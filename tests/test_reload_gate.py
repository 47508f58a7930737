"""PC101's reading of a reload switched by the environment (rules/runtime/reload_in_production.py):
which expressions are a gate "on unless X equals the literal", and how a line loses its comment."""
from __future__ import annotations

from pathlib import Path

import pytest
from test_project_processes import project_of

from prodcheck.extract.python import extract
from prodcheck.model.facts import Value
from prodcheck.rules.runtime.reload_in_production import _without_comment, reload_gate, value_is_ever_set


def _reload(expression: str) -> Value:
    facts = extract("app/run.py", f"import uvicorn\n\nuvicorn.run('app.main:app', reload={expression})\n".encode())
    value = next(call.value for call in facts.calls if call.name == "uvicorn.run").kwarg("reload")
    assert value is not None
    return value


@pytest.mark.parametrize(("expression", "gate"), [
    ('True if ENV != "production" else False', ("ENV", "production")),
    ('False if ENV == "production" else True', ("ENV", "production")),
    ('ENV != "production"', ("ENV", "production")),
    ('"production" != ENV', ("ENV", "production")),
    ('True if ENV != "production" else True', None),  # always on: no gate
    ('False if ENV != "production" else False', None),  # always off
    ('True if ENV == "development" else False', None),  # on only in development: a development gate
    ('ENV == "development"', None),
    ('True if ENV > "production" else False', None),  # not an equality
    ('False if ENV > "production" else True', None),  # not an equality, with the branches the other way round
    ('True if ENV != OTHER else False', None),  # no literal to compare with
    ('True if settings.env != "production" else False', ("settings.env", "production")),  # a dotted name
    ('True if get_env() != "production" else False', None),  # a call: not a setting's name
    # off in production, and elsewhere whatever DEBUG says: not known to be on anywhere, so no gate to judge
    ('DEBUG if ENV != "production" else False', None),
    ('False if ENV == "production" else DEBUG', None),
])
def test_reload_gate(expression: str, gate: tuple[str, str] | None) -> None:
    found = reload_gate(_reload(expression))
    assert (None if found is None else (found[0].text, found[1])) == gate


@pytest.mark.parametrize(("line", "code"), [
    ('reload = True  # off in production', "reload = True  "),
    ('mode = "a # b"  # note', 'mode = "a # b"  '),
    ("mode = 'say \\'#1\\''  # note", "mode = 'say \\'#1\\''  "),  # an escaped quote does not close the string
    ('mode = "x"', 'mode = "x"'),
])
def test_a_line_without_its_comment(line: str, code: str) -> None:
    assert _without_comment(line) == code


@pytest.mark.parametrize(("path", "text", "is_set"), [
    ("app/settings.py", 'ENV = "production"\n', True),  # a Python string that is not compared with
    ("app/settings.py", "MODE = 'production'  # the default\n", True),
    ("app/settings.py", 'if ENV == "production":\n    pass\n', False),  # compared with, either side
    ("app/settings.py", 'if ENV != "production":\n    pass\n', False),
    ("app/settings.py", 'if "production" == ENV:\n    pass\n', False),
    ("app/settings.py", 'if ENV in ("production", "prod"):\n    pass\n', False),  # a membership test
    ("app/settings.py", '# ENV = "production"\n', False),  # comments do not count
    ("app/settings.py", 'ENV = "dev"  # "production" when deployed\n', False),
    ("app/settings.py", 'NAME = "production-eu"\n', False),  # another value
    ("gunicorn.conf.py", 'mode = "production"\n', True),  # gunicorn's config is Python too
    (".env", "ENV=production\n", True),  # the bare word in a configuration file
    (".env", "# ENV=production\n", False),
    (".env", "ENV=production-eu\n", False),
    ("docker-compose.yml", "services:\n  api:\n    image: shop/api:1\n    environment:\n      APP_ENV: production\n",
     True),
    ("docker-compose.yml", "services:\n  api:\n    image: shop/api:1\n    environment:\n      APP_ENV: my.production\n",
     False),
    ("requirements.txt", "production==1.0\n", False),  # a package's name sets nothing
])
def test_whether_a_value_is_ever_set(tmp_path: Path, path: str, text: str, is_set: bool) -> None:
    """value_is_ever_set: whether the repository gives some setting the gate's literal (PC101 judges
    `reload=ENV != "production"` only when nothing does)."""
    project = project_of(tmp_path, {path: text})
    assert value_is_ever_set(project, "production") is is_set


def test_a_file_skipped_for_values_does_not_end_the_search(tmp_path: Path) -> None:
    """A requirements file naming a `production` package sets nothing, and the files after it are still
    read: `ENV=production` in `settings/.env` sets the value."""
    project = project_of(tmp_path, {"requirements.txt": "production==1.0\n", "settings/.env": "ENV=production\n"})
    assert [s.path for s in project.files].index("requirements.txt") < [s.path for s in project.files].index(
        "settings/.env")
    assert value_is_ever_set(project, "production") is True
