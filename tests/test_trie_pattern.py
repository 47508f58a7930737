"""trie_pattern: one pattern for a set of byte strings finds one of them exactly where a search for each would."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from prodcheck.trie_pattern import trie_pattern

_ALPHABET = st.sampled_from([b"a", b"b", b"c", b".", b"(", b" ", b"\\", b"*"])
_STRINGS = st.lists(st.lists(_ALPHABET, min_size=1, max_size=5).map(b"".join), max_size=8)
_TEXT = st.lists(_ALPHABET, max_size=30).map(b"".join)


@given(_STRINGS, _TEXT)
def test_a_match_is_one_of_the_strings_and_there_is_one_when_any_occurs(strings: list[bytes], text: bytes) -> None:
    found = trie_pattern(strings).search(text)
    assert (found is not None) == any(string in text for string in strings)
    if found is not None:
        assert found.group() in strings


def test_prefixes_and_regex_characters_are_literal() -> None:
    pattern = trie_pattern([b"session.query(", b"sess", b"session"])
    found = pattern.search(b"x = session.query(User)")
    assert found is not None and found.group() == b"session.query("
    assert pattern.search(b"sessionXquery(") is not None  # `session` itself
    assert trie_pattern([b"a.b"]).search(b"axb") is None
    assert trie_pattern([]).search(b"anything") is None
