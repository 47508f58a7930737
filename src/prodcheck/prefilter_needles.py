"""The prefilter's needles, derived from the knowledge: a needle for every Python name a rule reads
(`python_needles`), those that count only as a whole name (`whole_word_needles`), and those that count only beside
or away from certain texts (`conditional_needles`). No word list lives here; prefilter.py searches for them."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from prodcheck.prefilter_values import Judges

# A Python file that contains none of the needles cannot hold anything a rule looks at, so it is
# never parsed (Ruff's `seen_module` idea). Everything cross-module needs one of them to matter.


@lru_cache(maxsize=1)
def python_needles() -> tuple[bytes, ...]:
    """The prefilter: a needle for every Python name the knowledge holds (`knowledge.needle`), and
    the words a topic's `[prefilter] words` lists. A file with none of them is not parsed."""
    return _derived()[0]


@lru_cache(maxsize=1)
def whole_word_needles() -> frozenset[bytes]:
    """The needles that count only as a whole name, with no identifier byte on either side: one part of a dotted name
    (a file that names `together.Together` writes `together` in its import, or before the dot; one that names
    `PIL.Image.open` writes `Image`; Django's `unique_together` and a `backgroundImage` key name neither), and the
    words of `[prefilter] whole_words` (`on_event`, not `transaction_event`). A needle another word, or a method on
    any object (`*.metadata.drop_all`), needs inside longer names is none of these."""
    return _derived()[1]


@lru_cache(maxsize=1)
def _derived() -> tuple[tuple[bytes, ...], frozenset[bytes]]:
    """The needles and the whole-word ones, as an earlier run made them from the same knowledge (~17 ms), or made now."""
    from prodcheck.knowledge import derived

    return derived("prefilter", _derive, _is_derived)


def _is_derived(value: object) -> bool:
    return (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], tuple)
            and all(isinstance(word, bytes) for word in value[0]) and isinstance(value[1], frozenset)
            and all(isinstance(word, bytes) for word in value[1]))


def _derive() -> tuple[tuple[bytes, ...], frozenset[bytes]]:
    from prodcheck.knowledge import needle, prefilter_whole_words, prefilter_words, qualified_names
    from prodcheck.knowledge.servers import servers

    words = {server.encode() for server in servers()}  # `uvicorn.run(app, workers=4)` (PC101, PC402)
    words.update(word.encode() for _, word in prefilter_words())
    whole_words = frozenset(word.encode() for word in prefilter_whole_words())
    whole = set(whole_words)
    inside = words - whole  # the needles that count inside a longer name too
    # A word covers a name's last part when every file that writes that part holds the word where it counts: a
    # whole word is the part itself, any other is inside it (one search for all of them).
    whole_base = words & whole
    unless = conditional_needles()
    # (a word that counts only beside a literal covers no name: `google.oauth2.id_token.verify_token` is called
    # with no literal; a Django migration, where `migrat` does not count, runs none of the helpers it covers)
    inside_base = sorted(inside - frozenset(needle_valued()))  # (a copy: `whole` and `inside` grow below, the words that cover do not)
    inside_base_search = re.compile(b"|".join(re.escape(word) for word in inside_base)).search if inside_base else None

    def covered(last: bytes) -> bool:
        return last in whole_base or (inside_base_search is not None and inside_base_search(last) is not None)

    others: list[tuple[bytes, bytes]] = []
    for _, name in qualified_names():
        # A file can only name `django.contrib.auth.hashers.make_password` by writing its last part
        # (however it imports it, even through a project re-export): when that part already holds a
        # word (`password`), the name needs no needle of its own. Its package as a needle would let
        # every file that merely imports the package through (570 Django files of the real corpus).
        last = name.rsplit(".", 1)[-1].removesuffix("()").encode()
        if covered(last):
            continue
        word = needle(name).encode()
        if word in last or not name.startswith("*."):
            words.add(word)
            if word in (part.removesuffix("()").encode() for part in name.split(".")):
                whole.add(word)  # one of the name's parts: written whole (`import together`, `from PIL import Image`)
            else:
                inside.add(word)
        else:  # a method on any object (`*.metadata.drop_all`): its needle is one of the parts it writes, no package
            others.append((last, word))
    # ... and so too for a method on any object (`*.metadata.drop_all`) whose last part holds a needle that stays: it
    # needs no `metadata` (the first of its two longest parts, tied with `drop_all`: a word of 250 files of the bench
    # corpus that call no drop_all) when `*.meta.drop_all` brings `drop_all`. Only the needles added above cover a
    # name, and none of them is dropped. A package's needle stays whatever its names' last parts hold: it also finds
    # the calls a family matches by module (`stripe.PaymentMethod.attach`, knowledge/blocking.py).
    whole -= inside
    written = tuple(word for word in words if word not in unless)
    for last, word in others:
        if not any(covering in last if covering not in whole else covering == last for covering in written):
            words.add(word)
            whole.discard(word)
    # A needle that contains another is redundant: the shorter one already matches (unless the shorter
    # one does not count in some files: `conditional_needles`, or only as a whole name).
    ordered = sorted(words, key=len)
    kept: list[bytes] = []
    covering: list[bytes] = []  # the kept needles that make a longer one redundant
    for word in ordered:
        if not any(shorter in word for shorter in covering):
            kept.append(word)
            if word not in unless and word not in whole:
                covering.append(word)
    return tuple(kept), frozenset(whole.intersection(kept))


@lru_cache(maxsize=1)
def needle_unless() -> dict[bytes, tuple[bytes, ...]]:
    """Needles that do not count in a file that also holds one of their texts (knowledge:
    `[prefilter.unless]`): the file holds the word only through what it imports."""
    from prodcheck.knowledge import prefilter_unless

    return {word.encode(): tuple(text.encode() for text in texts) for word, texts in prefilter_unless()}


@lru_cache(maxsize=1)
def needle_with() -> dict[bytes, tuple[bytes, ...]]:
    """Needles that count only in a file that also holds one of their texts, in any case (knowledge:
    `[prefilter.with]`): a URL's `://` beside the name of a database whose URL a rule reads."""
    from prodcheck.knowledge import prefilter_with

    return {word.encode(): tuple(text.lower().encode() for text in texts) for word, texts in prefilter_with()}


@lru_cache(maxsize=1)
def needle_not_in_decorators() -> frozenset[bytes]:
    """Needles that do not count where they are written in a decorator (knowledge: `[prefilter]
    not_in_decorators`): `settings(` in `@override_settings(DEBUG=True)` names no settings accessor."""
    from prodcheck.knowledge import prefilter_not_in_decorators

    return frozenset(word.encode() for word in prefilter_not_in_decorators())


@lru_cache(maxsize=1)
def secret_judges() -> Judges:
    """What a word of `needle_valued` names, as PC302 judges it: a secret's name (`is_secret_name`), a placeholder a
    check may refuse (`is_refusable_placeholder`)."""
    from prodcheck.rules.secrets.secret_values import is_refusable_placeholder, is_secret_name

    return Judges(is_secret_name, is_refusable_placeholder)


class Valued(NamedTuple):
    """How a needle of `needle_valued` counts: anywhere in a file holding one of `anywhere`, else where a string
    literal can be what it names (prefilter_values.py `valued_at`, a literal wrapped in one of `calls` too)."""

    anywhere: tuple[bytes, ...]
    calls: frozenset[bytes]


@lru_cache(maxsize=1)
def needle_valued() -> dict[bytes, Valued]:
    """Needles that count only where a string literal can be what they name, unless the file holds one of their texts
    (knowledge: `[prefilter] valued_words`, `valued_anywhere`, `valued_calls`): a secret's name beside its value."""
    from prodcheck.knowledge import prefilter_valued

    return {word.encode(): Valued(tuple(text.encode() for text in anywhere), frozenset(call.encode() for call in calls))
            for word, anywhere, calls in prefilter_valued()}


@lru_cache(maxsize=1)
def conditional_needles() -> frozenset[bytes]:
    """The needles that do not count in every file holding them (`needle_unless`, `needle_with`,
    `needle_not_in_decorators`, `needle_valued`): each is searched alone, and no longer needle is dropped for holding
    one."""
    return frozenset(needle_unless()) | frozenset(needle_with()) | needle_not_in_decorators() | frozenset(needle_valued())


@lru_cache(maxsize=1)
def async_needles() -> tuple[bytes, ...]:
    """Words that make a file with an `async def` worth parsing (knowledge: blocking.toml [prefilter])."""
    from prodcheck.knowledge import load

    return tuple(word.encode() for word in load("blocking")["prefilter"]["async_words"])
