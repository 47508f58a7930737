"""parsing/dockerfile.py hands dockerfile-parse the text's lines already split: the same structure as the
library's own reading of a file object of the text."""
from __future__ import annotations

import io

import pytest
from dockerfile_parse import DockerfileParser

from prodcheck.parsing.dockerfile import _file_lines, _parser_class, parse

TEXTS = [
    "",
    "FROM python:3.12\n",
    "FROM python:3.12",  # no final line feed
    "FROM a\r\nRUN b \\\r\n  c\r\n",  # CRLF
    "FROM a\rRUN b\n",  # a lone carriage return is no line end for the library
    "FROM a\n# comment\nRUN apt-get update && \\\n    # inside\n    apt-get install -y x\nCMD [\"x\"]\n",
    "# escape=`\nFROM a\nRUN b `\n  c\n",
    "# syntax=docker/dockerfile:1\n# escape=`\nFROM a\n",
    "FROM a\nENV X=é\u2028Y\nLABEL k=\"v\x0cw\"\n\n\n",
    "FROM a\nRUN <<EOF\necho hi\nEOF\nCMD x\n",
    "\n\n   \nFROM a AS b\nCOPY --from=b . .\n",
]


@pytest.mark.parametrize("text", TEXTS)
def test_same_structure_as_a_file_object(text: str) -> None:
    expected = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8")), env_replace=False).structure
    assert _parser_class()(_file_lines(text)).structure == expected


def test_text_a_file_object_cannot_hold_fails_to_parse() -> None:
    from prodcheck.parsing import ParseError

    with pytest.raises(ParseError):
        parse("Dockerfile", "FROM a\nRUN echo \ud800\n")
