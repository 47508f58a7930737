"""path_marks.required_literal: a text every match of a pattern holds, so a header without it is not searched."""
from __future__ import annotations

import re

import pytest

from prodcheck.project.path_marks import _header_patterns, required_literal


@pytest.mark.parametrize(("pattern", "literal"), [
    ("must not be deployed in production", "must not be deployed in production"),
    ("not (?:be )?(?:intended|meant) (?:to be used )?for production", "for production"),
    (r"\bonly for (?:local )?development\b", "development"),
    ("a*bcd", "bcd"),
    ("[ab]cd", "cd"),
    ("ab{2}c", "a"),
    (r"\.py", ".py"),
    ("a|bc", None),  # a top-level alternation requires neither
    ("(?i)production", None),  # a match need not hold the pattern's own case
    ("(?:x)?", None),
])
def test_required_literal(pattern: str, literal: str | None) -> None:
    assert required_literal(pattern) == literal


SENTENCES = [
    "this image must not be deployed in production machines",
    "it is not intended to be used for production", "not meant for production use", "not production-ready",
    "do not use this in production", "should not be used in production", "for demo purposes only",
    "will not be deployed on production machines", "for local development use only", "only for development",
]


@pytest.mark.parametrize("sentence", SENTENCES)
def test_each_header_match_holds_its_literal(sentence: str) -> None:
    matched = False
    for pattern, literal in _header_patterns():
        match = pattern.search(sentence)
        if match is not None:
            matched = True
            assert literal is None or literal in match.group(0)
    assert matched


def test_every_knowledge_pattern_has_a_literal() -> None:
    assert all(literal for _pattern, literal in _header_patterns())
    assert all(isinstance(pattern, re.Pattern) for pattern, _literal in _header_patterns())
