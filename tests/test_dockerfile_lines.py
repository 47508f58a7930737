"""parsing/dockerfile.py reads a Dockerfile through dockerfile-parse's public API: a text that the library's file
object cannot hold (a lone surrogate from a file decoded with `surrogateescape`) is a parse error, not a crash."""
from __future__ import annotations

import pytest

from prodcheck.parsing import ParseError
from prodcheck.parsing.dockerfile import parse


def test_text_a_file_object_cannot_hold_fails_to_parse() -> None:
    with pytest.raises(ParseError):
        parse("Dockerfile", "FROM a\nRUN echo \ud800\n")


def test_instructions_and_flags_are_read() -> None:
    view = parse("Dockerfile", "FROM python:3.12 AS base\nCOPY --chown=app:app --link . /app\nRUN <<EOF\necho hi\nEOF\n")
    stage = view.stage()
    assert stage is not None
    copy = next(i for i in stage.instructions if i.keyword == "COPY")
    assert copy.flags == ("--chown=app:app", "--link")
    assert copy.value.split() == [".", "/app"]
