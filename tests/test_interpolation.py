"""Compose interpolation (parsing/interpolation.py): what `docker compose` would substitute."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_json
from hypothesis import given
from hypothesis import strategies as st

from prodcheck.parsing.interpolation import resolve


@pytest.mark.parametrize(("text", "env", "expected", "defaulted"), [
    ("org/app:${TAG:-latest}", {}, "org/app:latest", ["TAG"]),
    ("org/app:${TAG:-latest}", {"TAG": ""}, "org/app:latest", ["TAG"]),
    ("org/app:${TAG-latest}", {"TAG": ""}, "org/app:", []),
    ("org/app:${TAG:-latest}", {"TAG": "1.2"}, "org/app:1.2", []),
    ("${IMAGE:-org/app:${TAG:-latest}}", {}, "org/app:latest", ["IMAGE", "TAG"]),
    ("${IMAGE:-org/app:${TAG}}", {"IMAGE": "x/y:2"}, "x/y:2", []),
    ("org/app:$TAG", {"TAG": "3"}, "org/app:3", []),
    ("cost $$5", {}, "cost $5", []),
    ("${A:+on}", {"A": "1"}, "on", []),
    ("${A:+on}", {}, "", []),
])
def test_resolves_as_compose_does(text: str, env: dict[str, str], expected: str, defaulted: list[str]) -> None:
    resolved = resolve(text, env)
    assert resolved is not None
    assert (resolved.text, resolved.defaulted) == (expected, defaulted)


@pytest.mark.parametrize("text", [
    "org/app:${TAG}", "org/app:$TAG", "org/app:${TAG:?set TAG}", "org/app:${TAG?required}",
    "${IMAGE:-org/app:${TAG}}", "org/app:${TAG:-latest", "${}", "${1X}",
])
def test_unknowable_without_a_value(text: str) -> None:
    assert resolve(text, {}) is None


@given(st.text(alphabet=st.characters(blacklist_characters="$")))
def test_text_without_references_is_itself(text: str) -> None:
    resolved = resolve(text, {})
    assert resolved is not None and resolved.text == text and resolved.defaulted == []


@given(st.text(), st.dictionaries(st.from_regex(r"[A-Z_][A-Z0-9_]{0,5}", fullmatch=True), st.text(max_size=5)))
def test_never_raises(text: str, env: dict[str, str]) -> None:
    resolve(text, env)


def test_pc203_takes_the_tag_the_compose_projects_dotenv_gives(project: Callable[[dict[str, str]], Path]) -> None:
    compose = """
        services:
          api:
            image: example/api:${API_TAG:-latest}
          worker:
            image: example/worker:${WORKER_TAG:-latest}
        """
    root = project({"deploy/docker-compose.yml": compose, "deploy/.env": "API_TAG=1.4.2\n"})
    _, report = run_json(root, "--select", "PC203")
    assert [(f["path"], f["line"]) for f in report["findings"]] == [("deploy/docker-compose.yml", 5)]
