"""The configuration's JSON schema (shipped in the package): the README's example validates, and
the schema accepts exactly the keys the loader accepts."""
from __future__ import annotations

import json
import tomllib
from importlib import resources

import jsonschema

from readme_snippets import readme_block
from prodcheck import settings


def schema() -> dict:
    return json.loads(resources.files("prodcheck.schema").joinpath("prodcheck.schema.json").read_text("utf-8"))


def test_readme_example_validates() -> None:
    table = tomllib.loads(readme_block("pyproject.toml"))["tool"]["prodcheck"]
    jsonschema.validate(table, schema())


def test_schema_keys_are_the_loaders_keys() -> None:
    assert set(schema()["properties"]) == settings._KEYS


def test_schema_rejects_what_the_loader_rejects() -> None:
    validator = jsonschema.Draft202012Validator(schema())
    for bad in ({"selct": ["PC1"]}, {"fail-on": "fatal"}, {"database": {"max_connections": 0}},
                {"severity": {"PC101": "loud"}}):
        assert list(validator.iter_errors(bad)), bad
