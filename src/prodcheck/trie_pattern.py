"""One regular expression for a set of literal byte strings, laid out as a trie (`(?:ab(?:c|d)|x)`).

Python's `re` tries the branches of an alternation one after the other at each position, so a flat `a|b|c` of
hundreds of words costs a comparison per word per byte; a trie shares each prefix, and a position is left after
the few branches that start with its byte. A match is always one of the strings (the longest where one string is
a prefix of another), and a search finds one exactly when some string occurs."""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_END = -1  # a trie node's key for "a string ends here" (every other key is a byte)


def trie_pattern(strings: Iterable[bytes]) -> re.Pattern[bytes]:
    """A compiled pattern matching exactly the strings (an empty set matches nothing)."""
    root: dict[int, Any] = {}  # byte -> the trie of what follows it
    for string in strings:
        node = root
        for byte in string:
            node = node.setdefault(byte, {})
        node[_END] = {}
    if not root:
        return re.compile(rb"(?!)")
    return re.compile(_branches(root))


def _branches(node: dict[int, Any]) -> bytes:
    alternatives = [re.escape(bytes([byte])) + _branches(child) for byte, child in sorted(node.items()) if byte != _END]
    if not alternatives:
        return b""
    body = alternatives[0] if len(alternatives) == 1 else b"(?:" + b"|".join(alternatives) + b")"
    if _END in node:  # a string ends here: the longer ones are optional
        return b"(?:" + b"|".join(alternatives) + b")?"
    return body
