"""project/template_defaults.py: the literal default a cookiecutter template fills in for a value that is
one `{{cookiecutter.NAME}}` placeholder, read from the `cookiecutter.json` beside the generated folder."""
from __future__ import annotations

import json
from pathlib import Path

from conftest import write_project
from prodcheck.project.template_defaults import TemplateDefaults

_DEFAULTS = {"project_slug": "shop", "secret_key": "changeme", "computed": "{{ random_ascii_string(64) }}",
             "orm": ["sqlalchemy", "none"], "blank": "  ", "port": 8000}


def test_a_placeholder_in_a_generated_file_gives_its_literal_default(tmp_path: Path) -> None:
    write_project(tmp_path, {"cookiecutter.json": json.dumps(_DEFAULTS)})
    defaults = TemplateDefaults(tmp_path)
    generated = "{{cookiecutter.project_slug}}/app/settings.py"
    assert defaults.default(generated, "{{cookiecutter.secret_key}}") == ("secret_key", "changeme")
    assert defaults.default(generated, "  {{ cookiecutter.secret_key }} ") == ("secret_key", "changeme")
    assert defaults.default("{{ cookiecutter.project_slug | lower }}/x.py", "{{cookiecutter.secret_key}}") == \
        ("secret_key", "changeme")


def test_computed_choice_blank_unknown_and_non_text_defaults_give_nothing(tmp_path: Path) -> None:
    write_project(tmp_path, {"cookiecutter.json": json.dumps(_DEFAULTS)})
    defaults = TemplateDefaults(tmp_path)
    generated = "{{cookiecutter.project_slug}}/app/settings.py"
    for name in ("computed", "orm", "blank", "port", "missing"):
        assert defaults.default(generated, "{{cookiecutter." + name + "}}") is None, name


def test_only_a_whole_placeholder_in_a_generated_folder_counts(tmp_path: Path) -> None:
    write_project(tmp_path, {"cookiecutter.json": json.dumps(_DEFAULTS)})
    defaults = TemplateDefaults(tmp_path)
    assert defaults.default("app/settings.py", "{{cookiecutter.secret_key}}") is None  # not generated
    assert defaults.default("{{cookiecutter.project_slug}}/s.py", "key-{{cookiecutter.secret_key}}") is None
    assert defaults.default("{{cookiecutter.project_slug}}/s.py", "changeme") is None


def test_the_json_beside_a_nested_template_folder_is_read_once(tmp_path: Path) -> None:
    write_project(tmp_path, {"templates/web/cookiecutter.json": json.dumps({"secret_key": "nested"}),
                             "cookiecutter.json": json.dumps({"secret_key": "top"})})
    defaults = TemplateDefaults(tmp_path)
    path = "templates/web/{{cookiecutter.project_slug}}/settings.py"
    assert defaults.default(path, "{{cookiecutter.secret_key}}") == ("secret_key", "nested")
    (tmp_path / "templates/web/cookiecutter.json").write_text(json.dumps({"secret_key": "changed"}), encoding="utf-8")
    assert defaults.default(path, "{{cookiecutter.secret_key}}") == ("secret_key", "nested")  # kept per folder


def test_a_missing_broken_or_non_mapping_json_gives_nothing(tmp_path: Path) -> None:
    path = "{{cookiecutter.project_slug}}/settings.py"
    assert TemplateDefaults(tmp_path).default(path, "{{cookiecutter.secret_key}}") is None
    for text in ("{not json", json.dumps(["secret_key", "changeme"])):
        write_project(tmp_path, {"cookiecutter.json": text})
        assert TemplateDefaults(tmp_path).default(path, "{{cookiecutter.secret_key}}") is None, text
