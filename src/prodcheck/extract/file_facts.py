"""Per-file facts that rules reading every file of a project ask instead of every function's body facts.

Two project-wide scans read the whole of every file: `Hierarchy`'s registry of classes (the names that are
entries of a list, tuple, set or dict literal, or returned) and PC302's keyword literals (a call's keyword,
or a str key of a dict given as one, holding a str literal or a call of one). Each is summed up here once per
file when it is extracted, so the scans read a short tuple or one bit of a Call, and a function's argument
Values, locals and returns are read only by rules that need that function (the way to body facts built on
first read: S32-NOTES, k11-cold-s32). The file's `# prodcheck:` pragma comments (`pragma_comments`) are read here
too, from its bytes, when the findings are finished (finishing.py).
"""
from __future__ import annotations

from collections.abc import Iterable

from prodcheck.model.facts import Assign, Function, Value
from prodcheck.lazy_pattern import lazy

# How deep `registry_names` follows nested literals (`{"a": [A, B]}`): Hierarchy's registry reads this far.
_REGISTRY_DEPTH = 3
_COLLECTIONS = frozenset({"seq", "dict"})
_PRAGMA = lazy(rb"#\s*prodcheck\s*:")


def registry_names(assigns: Iterable[Assign], functions: Iterable[Function]) -> tuple[str, ...]:
    """The names (`Value.text` of a "name" Value, as qualified by the extractor) that are an entry of a list,
    tuple, set or dict literal a module global, class attribute or function local is assigned, or that a
    function returns (itself or as such an entry): the candidates a registry can hand out
    (`BACKENDS = {"sql": SqlStore}`, `return [Image, Search]`). Which of them are project classes is the
    reader's question (`Hierarchy._registry_classes`); each name once, in the order first seen."""
    found: dict[str, None] = {}
    for assign in assigns:
        value = assign.value
        if value.kind in _COLLECTIONS:
            _entries(value, 0, found)
    for function in functions:  # (most functions return nothing, or bind no local: their tuples are empty)
        returns, flat = function.returns, function.flat_locals
        if returns:
            for returned in returns:
                kind = returned.kind  # `_entries` of a name inlined: most returned Values are not collections
                if kind == "name":
                    found[returned.text] = None
                elif kind in _COLLECTIONS:
                    _entries(returned, 0, found)
        if flat:
            for local in flat[1::3]:  # the Values of `locals`; a function's own names are not in `assigns`
                if local.kind in _COLLECTIONS:  # type: ignore[union-attr]  # every third entry from the second is a Value
                    _entries(local, 0, found)  # type: ignore[arg-type]  # a Value, as above
    return tuple(found)


def _entries(value: Value, depth: int, found: dict[str, None]) -> None:
    # A module function, not a closure calling itself: such a closure is a reference cycle that outlives the
    # call, and extraction runs with the cyclic collector off (python_pass._collector_paused).
    if depth > _REGISTRY_DEPTH:
        return
    kind = value.kind
    if kind == "name":
        found[value.text] = None
    elif kind in _COLLECTIONS:
        for item in value.items:
            _entries(item, depth + 1, found)
        for item in value.keyword_values:
            _entries(item, depth + 1, found)


def literal_keywords(value: Value, found: list[str]) -> None:
    """Appends to `found` each keyword of the call, or str key of a dict given as one (at any depth), that holds
    a str literal or a call whose first argument is one (`password="s3cr3t"`, `key=SecretStr("...")`,
    `headers={"Authorization": "Bearer ..."}`): the only arguments PC302 reads of a call it does not know by
    name, and the names it asks whether they are secret-like."""
    flat = value.flat_keywords  # (`Value.is_str` inlined: this reads every keyword of every call)
    for index in range(1, len(flat), 2):
        item: Value = flat[index]  # type: ignore[assignment]  # names, then Values
        kind = item.kind
        if kind == "const":
            if isinstance(item.literal, str):
                found.append(flat[index - 1])  # type: ignore[arg-type]  # a name
        elif kind == "call":
            first = item.items[0] if item.items else None
            if first is not None and first.kind == "const" and isinstance(first.literal, str):
                found.append(flat[index - 1])  # type: ignore[arg-type]  # a name
        elif kind == "dict":
            literal_keywords(item, found)


def pragma_comments(source: bytes, path: str | None = None) -> tuple[tuple[int, str], ...]:
    """(line, text) of each comment that holds `prodcheck` in a file that has a `# prodcheck:` pragma. With `path`,
    a parsed file's: where its bytes do not tokenize, the comments of the text the extractor read instead (a
    template's rendering, newer syntax rewritten: `parse_rewritten`)."""
    # `find` first: a search for one string skips through the bytes, the pattern stops at every `#`
    if source.find(b"prodcheck") == -1 or not _PRAGMA.search(source):
        return ()
    import io
    import tokenize

    found: list[tuple[int, str]] = []
    try:
        for token in tokenize.tokenize(io.BytesIO(source).readline):
            if token.type == tokenize.COMMENT and "prodcheck" in token.string:
                found.append((token.start[0], token.string))
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
        rewritten = _rewritten_comments(path, source) if path is not None else None
        if rewritten is not None:
            return rewritten
    return tuple(found)


def _rewritten_comments(path: str, source: bytes) -> tuple[tuple[int, str], ...] | None:
    """The pragma comments of the text the extractor read for a file `ast` refuses, None when `ast` reads it."""
    import ast

    from prodcheck.extract.python import parse_rewritten

    try:
        ast.parse(source, filename=path)
        return None
    except SyntaxError as error:
        try:
            text = parse_rewritten(path, source, error)[1]
        except (SyntaxError, ValueError):
            return None
    return pragma_comments(text)
