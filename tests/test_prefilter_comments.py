"""A needle counts only outside comments (prefilter_comments.in_comment): the parser drops a comment, so no rule reads one
(pragmas are read from every file, parsed or not). Where a `#` may be in a string, it counts."""
from __future__ import annotations

import io
import itertools
import tokenize

import pytest

from prodcheck import prefilter
from prodcheck import prefilter_comments
from prodcheck.prefilter import _counts, _needs_parse, python_needles
from prodcheck.prefilter_comments import in_comment, without_comments


@pytest.fixture(autouse=True)
def _fresh_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prefilter, "_needle_order", [])


def _defined(data: bytes) -> bool:
    """The prefilter's answer as its definition states it: some needle counts (outside comments), or async code
    holds one of the async words."""
    return any(_counts(data, needle) for needle in python_needles()) or prefilter._async_worth(data)


SKIPPED = [
    b"# the client below used requests once\nx = 1\n",
    b"x = 1  # not sqlalchemy: plain dicts\n",
    b"def f():\n    # fastapi would do this for us\n    return 1\n",
    b"    # import requests\r\nvalue = 2\r\n",
]
READ = [
    b"import requests  # the HTTP client\n",
    b"# requests\nimport httpx\n",  # the first needle found is a comment's, another counts
    b'COLOR = "#fff"; note = 1  # requests\n',  # a quote before the `#`: perhaps a string, so it counts
    b'SQL = """\n# CREATE TABLE t (id int)\n"""\n',  # a `#` line in a triple-quoted string is the string's text
    b'x = "a \\\n# requests"\n',  # a line a backslash continues may be a string's
    b'# redis\n# postgresql\nURL = f"{scheme}://db/app"\n',  # a `[prefilter.with]` text is read in comments too
]


@pytest.mark.parametrize("tried_first", [0, 5])
def test_a_needle_only_in_comments_is_no_reason_to_read_a_file(monkeypatch: pytest.MonkeyPatch,
                                                               tried_first: int) -> None:
    monkeypatch.setattr(prefilter, "_FIRST_TRIED", tried_first)
    assert [_needs_parse(source) for source in SKIPPED] == [False] * len(SKIPPED)
    assert [_needs_parse(source) for source in READ] == [True] * len(READ)
    assert [_needs_parse(source) for source in SKIPPED + READ] == [_defined(source) for source in SKIPPED + READ]


def test_a_comment_is_what_the_tokenizer_calls_one() -> None:
    """Every cut `without_comments` makes starts a comment token, and whatever it keeps holds the rest."""
    source = (b'"""Module.\n# not a comment: the docstring\'s text\n"""\nimport os  # a comment\n'
              b'x = "#" + \'#\'  # after quotes: kept\n# a comment line\nY = """\n# text\n""" \n'
              b"z = 1 \\\n    # continued\n")
    starts = {token.start for token in tokenize.tokenize(io.BytesIO(source).readline)
              if token.type == tokenize.COMMENT}
    kept = without_comments(source)
    assert kept == (b'"""Module.\n# not a comment: the docstring\'s text\n"""\nimport os  \n'
                    b'x = "#" + \'#\'  # after quotes: kept\n\nY = """\n# text\n""" \n'
                    b"z = 1 \\\n    # continued\n")
    lines = source.split(b"\n")
    for number, line in enumerate(lines, 1):
        column = line.find(b"#")
        if column != -1 and in_comment(source, sum(len(l) + 1 for l in lines[:number - 1]) + column + 1):
            assert (number, column) in starts


def test_the_triple_quotes_are_matched_once_however_many_needles_are_in_comments(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A hostile file of comment lines naming needles is read in one pass: `open_quote` is never asked to match the
    same bytes twice (it once matched from the file's start for every needle in a comment: quadratic)."""
    data = b"'''\n'''\n" + b"# sqlalchemy and requests\n" * 2_000 + b"x = 1\n"
    spans: list[tuple[int, int]] = []
    original = prefilter_comments.open_quote

    def counted(source: bytes, position: int, quote: bytes | None, end: int) -> tuple[int, bytes | None]:
        spans.append((position, end))
        return original(source, position, quote, end)

    monkeypatch.setattr(prefilter_comments, "open_quote", counted)
    assert _counts(data, b"sqlalchemy") is False
    assert spans and sum(end - position for position, end in spans) <= len(data)
    assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(spans))
