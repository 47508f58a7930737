"""Knowledge topics and values derived from them kept parsed in a run's cache folder (knowledge.keep_parsed)."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from prodcheck import knowledge


@pytest.fixture
def kept(tmp_path: Path):
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    knowledge.load.cache_clear()
    knowledge.keep_parsed(folder)
    try:
        yield folder
    finally:
        knowledge.keep_parsed(None)
        knowledge.load.cache_clear()


def test_a_topic_parsed_once_is_read_back_without_parsing(kept: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = knowledge.load("servers")
    knowledge.save_parsed()
    assert (kept / "knowledge.pickle").is_file()
    knowledge.load.cache_clear()
    knowledge.keep_parsed(kept)

    def refuse(_text: str) -> dict:
        raise AssertionError("parsed again")

    monkeypatch.setattr(tomllib, "loads", refuse)
    assert knowledge.load("servers") == parsed


def test_without_a_folder_nothing_is_kept(tmp_path: Path) -> None:
    knowledge.load.cache_clear()
    knowledge.keep_parsed(None)
    try:
        assert knowledge.load("servers")
        knowledge.save_parsed()
        assert not list(tmp_path.iterdir())
    finally:
        knowledge.load.cache_clear()


def test_a_derived_value_is_made_once_and_an_invalid_one_again(kept: Path) -> None:
    made: list[int] = []

    def make() -> tuple[str, ...]:
        made.append(1)
        return ("a", "b")

    def valid(value: object) -> bool:
        return isinstance(value, tuple) and all(isinstance(item, str) for item in value)

    assert knowledge.derived("t", make, valid) == ("a", "b")
    knowledge.save_parsed()
    knowledge.keep_parsed(kept)
    assert knowledge.derived("t", make, valid) == ("a", "b") and len(made) == 1
    assert knowledge.derived("t", make, lambda value: False) == ("a", "b") and len(made) == 2
