"""PC000 for the files the prefilter leaves unread: `syntax_check` passes a file exactly when the
extractor would parse it (its own check is cheaper than a parse; the extractor decides when they differ)."""
from __future__ import annotations

import pytest

from prodcheck.python_pass import syntax_check


@pytest.mark.parametrize("source", [
    b"x = 1\n",
    b"return 1\n",  # the compiler's error, not the parser's: `ast.parse` reads it
    b"nonlocal x\n",  # the scope analysis' error, likewise
    b"# -*- coding: latin-1 -*-\nname = '\xe9'\n",
    b"type Alias = list[int]\n",  # newer syntax: the newer-syntax reader accepts it
])
def test_a_file_the_parser_reads_passes(source: bytes) -> None:
    assert syntax_check("lib/module.py", source) is None


@pytest.mark.parametrize("source", [b"def f(:\n    pass\n", b"x = (\n", b"\xe9 = 1\n"])
def test_a_file_the_parser_rejects_is_reported_where_it_fails(source: bytes) -> None:
    found = syntax_check("lib/module.py", source)
    assert found is not None
    message, line, column = found
    assert message and line >= 1 and column >= 1
