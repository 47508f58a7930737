"""Project templates (cookiecutter, copier): a Jinja-templated `.py` file is read as the project it
generates, every branch at once, line for line; what still does not parse is skipped quietly."""
from __future__ import annotations

import ast
import textwrap

from prodcheck.extract.jinja import placeholder_name, superset
from prodcheck.extract.python import extract
from prodcheck.model.module_names import module_name_for
from conftest import run_json, write_project

TEMPLATE = textwrap.dedent('''\
    from fastapi import FastAPI
    from {{cookiecutter.project_name}}.settings import settings
    {%- if cookiecutter.orm == "sqlalchemy" %}
    from sqlalchemy import create_engine
    {%- endif %}
    {# a comment
       over two lines #}

    def url() -> {%- if cookiecutter.async == "True"
        %}str{%- else %}bytes{%- endif %}:
        return "{{ cookiecutter.db_name | lower }}"
    {% for name in cookiecutter.extras %}
    EXTRA = 1
    {% endfor %}
''')


def test_the_superset_keeps_every_line_where_it_was() -> None:
    rendered = superset(TEMPLATE.encode()).decode()
    assert len(rendered.splitlines()) == len(TEMPLATE.splitlines())
    ast.parse(rendered)
    lines = rendered.splitlines()
    assert lines[1] == "from project_name.settings import settings"
    assert lines[3] == "from sqlalchemy import create_engine"  # a block's lines are kept
    assert lines[2] == lines[4] == lines[5] == lines[6] == ""  # tag-only lines and comments are blank
    assert lines[8] == "def url() -> str:"  # an inline condition keeps its first branch, on the tag's line
    assert lines[10] == '    return "db_name"'
    assert lines[12] == "EXTRA = 1"


def test_placeholders_become_their_variable_names() -> None:
    assert placeholder_name(" cookiecutter.project_slug ") == "project_slug"
    assert placeholder_name("cookiecutter.db_info.name | upper") == "db_info"
    assert placeholder_name("project_name") == "project_name"  # copier's bare variables
    assert module_name_for("{{cookiecutter.project_slug}}/{{ cookiecutter.project_slug }}/web/app.py") == \
        "project_slug.project_slug.web.app"


def test_facts_of_a_template_point_at_its_lines() -> None:
    facts = extract("{{cookiecutter.project_name}}/db.py", TEMPLATE.encode())
    assert facts.module == "project_name.db"
    assert ("create_engine", "sqlalchemy.create_engine") in facts.imports
    assert [f.span.line for f in facts.functions] == [9]


def test_a_generated_project_is_audited_and_an_unreadable_template_is_no_warning(tmp_path) -> None:
    lifespan = textwrap.dedent('''\
        from contextlib import asynccontextmanager
        from fastapi import FastAPI
        {%- if cookiecutter.migrations != "True" %}
        from {{cookiecutter.project_name}}.db import Base, engine
        {%- endif %}


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            {%- if cookiecutter.migrations != "True" %}
            Base.metadata.create_all(bind=engine)
            {%- endif %}
            yield


        app = FastAPI(lifespan=lifespan)
    ''')
    unreadable = "def handler({% for arg in cookiecutter.args %}{{ arg }}, {% endfor %}):\n    return {% if x %}1{% endif %}{\n"
    root = write_project(tmp_path, {
        "cookiecutter.json": '{"project_name": "shop", "migrations": "False"}',
        "{{cookiecutter.project_name}}/{{cookiecutter.project_name}}/main.py": lifespan,
        "{{cookiecutter.project_name}}/{{cookiecutter.project_name}}/generated.py": unreadable,
    })
    _, report = run_json(root)
    migrations = [f for f in report["findings"] if f["code"] == "PC401"]
    assert [(f["path"].rsplit("/", 1)[-1], f["line"]) for f in migrations] == [("main.py", 11)]
    assert not [f for f in report["findings"] if f["code"] == "PC000" and f["severity"] != "info"]


def test_a_secret_a_template_fills_from_a_literal_default_is_reported(tmp_path) -> None:
    root = write_project(tmp_path, {
        "cookiecutter.json": '{"project_slug": "shop", "secret_key": "super_secret", "api_token": "changeme",'
                             ' "jwt_secret": "{{ random_ascii_string(64) }}"}',
        "{{cookiecutter.project_slug}}/app/core/security.py": """
            SECRET_KEY = "{{cookiecutter.secret_key}}"
            API_TOKEN = "{{ cookiecutter.api_token }}"
            JWT_SECRET = "{{cookiecutter.jwt_secret}}"
            TITLE = "{{cookiecutter.project_slug}}"
        """,
    })
    _, report = run_json(root, "--select", "PC302")
    found = [(f["line"], f["severity"]) for f in report["findings"]]
    assert found == [(1, "warning")]  # a placeholder default (`changeme`) and a computed one are not known secrets
    assert "super_secret" not in report["findings"][0]["message"]
