"""The prefilter counts a secret's name (knowledge/secrets.toml `[prefilter] valued_words`) only where a string literal
can be what it names (prefilter_values.py): a file that writes `order_token` only as an argument is syntax-checked,
not parsed, and every shape PC302 reads a literal secret in, or a check that refuses a placeholder, is still parsed.
The project: tests/fixtures/prefilter/secret-words."""
from __future__ import annotations

from pathlib import Path

import pytest

from prodcheck import engine, python_pass
from prodcheck.prefilter import _needs_parse
from prodcheck.settings import Settings

PROJECT = Path(__file__).parent / "fixtures" / "prefilter" / "secret-words"
# file -> the line of its PC302 finding (None: none)
EXPECTED = {
    "app/constants.py": 1,  # one line
    "app/multiline.py": 2,  # the literal on the line after the name
    "app/env.py": 7,  # an environment getter's default, its arguments one per line
    "app/client.py": 8,  # a keyword, its literal on the next line
    "app/signing.py": 5,  # a JWT call's key: the file's only secret name has no literal (`jwt` counts anywhere)
    "app/config.py": 8,  # a settings field's placeholder default, in `Field(...)` over lines
    "app/startup.py": None,  # refuses `csrf_secret`'s placeholder: config.py's other field is quiet
    "app/quiet.py": None,  # `order_token` as an argument, a local and a dict's value
    "app/name_resolved.py": None,  # `API_TOKEN = DEFAULT_KEY`: PC302 resolves no name to a constant
}


def _findings() -> list[tuple[str, int]]:
    found = engine.run(PROJECT, Settings(select=("PC302",), use_cache=False)).findings
    return sorted((f.location.path, f.location.span.line) for f in found)


def test_a_secret_name_counts_only_beside_a_literal() -> None:
    parsed = {path: _needs_parse((PROJECT / path).read_bytes()) for path in EXPECTED}
    assert parsed == {path: path not in {"app/quiet.py", "app/name_resolved.py"} for path in EXPECTED}


def test_every_file_parsed_gives_the_same_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    found = _findings()
    assert found == sorted((path, line) for path, line in EXPECTED.items() if line is not None)
    monkeypatch.setattr(python_pass, "_needs_parse", lambda data: True)
    assert _findings() == found


def test_the_valued_calls_wrap_every_literal_pc302_reads() -> None:
    """`[prefilter] valued_calls` holds PC302's wrappers (`[code] wrappers`) and pydantic's `Field`, whose default
    code_secrets.py reads; `valued_words` are words of the prefilter."""
    from prodcheck.knowledge import load

    secrets = load("secrets")
    assert {*secrets["code"]["wrappers"], "Field"} <= set(secrets["prefilter"]["valued_calls"])
    assert set(secrets["prefilter"]["valued_words"]) <= set(secrets["prefilter"]["words"])


def test_a_word_read_past_its_reach_counts() -> None:
    """A hostile file cannot make each place of a word read on to the file's end (prefilter_values.py `_REACH`):
    a statement that never closes, or a name longer than code writes, counts in doubt (the file is parsed, as a file
    holding the word was before the word needed a literal)."""
    assert _needs_parse(b"api_token: (\n" + b"    x,\n" * 5_000)
    assert _needs_parse(b"x" * 1_000 + b"_token = 1\n")
    assert not _needs_parse(b"api_token: (\n" + b"    x,\n" * 5 + b")\n")  # within reach: no literal, not parsed
    assert not _needs_parse(b"x" * 100 + b"_token = 1\n")


def test_a_word_is_read_at_so_many_places(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past `TRIES` places of one word judged not to name a literal, the word counts in doubt: what one file costs
    is bounded."""
    from prodcheck import prefilter
    from prodcheck.prefilter_values import TRIES

    read: list[int] = []
    original = prefilter.valued_at

    def counting(*args: object) -> bool:
        read.append(1)
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(prefilter, "valued_at", counting)
    assert _needs_parse(b"def f(order_token):\n" + b"    g(order_token)\n" * 10_000)
    assert TRIES <= len(read) <= len(prefilter.needle_valued()) * TRIES  # (each word whose places these are)
    read.clear()
    assert not _needs_parse(b"def f(order_token):\n" + b"    g(order_token)\n" * 3)
    assert len(read) % 4 == 0 and read  # every place of each word: within the tries
