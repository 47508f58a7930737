"""YAML trees kept across runs (parsing/yaml_memo.py): the trees a fresh parse builds, and parsed again when the
bytes or PyYAML's code move."""
from __future__ import annotations

from pathlib import Path

import pytest

from prodcheck.discovery.sources import SourceFile
from prodcheck.model.files import Context, FileKind
from prodcheck.parsing import ParseError, yaml_memo
from prodcheck.parsing.yaml import load_documents
from prodcheck.parsing.ynode import YNode

_TEXT = "base: &b {image: 'app:1', ports: [80, 443]}\nweb:\n  <<: *b\n  command: uvicorn app:app\n---\nx: 1\n"


def _dump(node: object) -> object:
    if isinstance(node, YNode):
        return (node.kind, tuple(node.position), _dump(node.value), node.tag, node.style, node.origin)
    if isinstance(node, (list, tuple)):
        return tuple(_dump(item) for item in node)
    return node


def _source(text: str) -> SourceFile:
    source = SourceFile("compose.yaml", FileKind.COMPOSE, Context.PROD, data=text.encode())
    source.text = text
    return source


def _parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def counting(text: str) -> list[YNode]:
        calls.append(text)
        return load_documents(text)

    monkeypatch.setattr(yaml_memo, "load_documents", counting)
    return calls


def _documents(folder: Path, text: str) -> list[YNode]:
    with yaml_memo.remembering(folder):
        return yaml_memo.documents(_source(text))


def test_a_rerun_answers_with_the_trees_a_parse_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _parsed(monkeypatch)
    expected = _dump(load_documents(_TEXT))
    first = _documents(tmp_path, _TEXT)
    assert _dump(first) == expected and len(parsed) == 1
    first[0].items()[0][1].origin = "elsewhere"  # what a reader does to its tree is not what the memo kept
    first[0].span  # noqa: B018 (the position becomes a Span)
    assert _dump(_documents(tmp_path, _TEXT)) == expected and len(parsed) == 1  # answered from the memo
    assert _dump(_documents(tmp_path, _TEXT)) == expected and len(parsed) == 1


def test_other_bytes_or_another_pyyaml_are_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _parsed(monkeypatch)
    _documents(tmp_path, _TEXT)
    edited = _TEXT.replace("443", "8443")
    assert _dump(_documents(tmp_path, edited)) == _dump(load_documents(edited)) and len(parsed) == 2
    monkeypatch.setattr(yaml_memo, "_yaml_code", lambda: "another PyYAML")
    assert _dump(_documents(tmp_path, edited)) == _dump(load_documents(edited)) and len(parsed) == 3
    monkeypatch.setattr(yaml_memo, "_yaml_code", lambda: "")  # PyYAML's code not found: never remembered
    _documents(tmp_path, edited)
    _documents(tmp_path, edited)
    assert len(parsed) == 5


def test_a_file_that_does_not_parse_is_parsed_by_every_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _parsed(monkeypatch)
    for _run in range(2):
        with pytest.raises(ParseError):
            _documents(tmp_path, "a: [1, 2\n")
    assert len(parsed) == 2


def test_without_a_cache_folder_every_file_is_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _parsed(monkeypatch)
    with yaml_memo.remembering(None):
        yaml_memo.documents(_source(_TEXT))
    yaml_memo.documents(_source(_TEXT))
    assert len(parsed) == 2
