"""Compose variable interpolation, as `docker compose` applies it to a compose file's values.

https://docs.docker.com/reference/compose-file/interpolation/: `$VAR` and `${VAR}`; `${VAR:-default}`
(unset or empty) and `${VAR-default}` (unset); `${VAR:?err}` and `${VAR?err}` (required);
`${VAR:+alt}` and `${VAR+alt}` (replacement when set); `$$` is a literal `$`. Defaults nest
(`${IMAGE:-org/app:${TAG:-latest}}`).

The values come only from what the repository commits (a compose project's `.env`), never from the
scanning machine's environment. A result that depends on a variable neither they nor a default give
is unknowable: `resolve` returns None.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from prodcheck.lazy_pattern import lazy

_NAME = lazy(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = (":-", "-", ":?", "?", ":+", "+")


@dataclass
class Resolved:
    text: str
    defaulted: list[str] = field(default_factory=list)  # variables whose default was used, in order


class _Unknowable(Exception):
    pass


def resolve(text: str, env: Mapping[str, str]) -> Resolved | None:
    """`text` with every reference replaced; None when a reference has no value and no default."""
    defaulted: list[str] = []
    try:
        value, end = _expand(text, 0, env, defaulted, nested=False)
    except _Unknowable:
        return None
    if end != len(text):
        return None  # an unbalanced `}` or `${`: not something compose accepts either
    return Resolved(value, defaulted)


def _expand(text: str, i: int, env: Mapping[str, str], defaulted: list[str], nested: bool) -> tuple[str, int]:
    """Expand from `i` to the end, or (when nested) to the `}` that closes the enclosing `${`."""
    out: list[str] = []
    while i < len(text):
        char = text[i]
        if nested and char == "}":
            return "".join(out), i
        if char != "$":
            out.append(char)
            i += 1
            continue
        if text.startswith("$$", i):
            out.append("$")
            i += 2
            continue
        if text.startswith("${", i):
            value, i = _braced(text, i + 2, env, defaulted)
            out.append(value)
            continue
        name = _NAME.match(text, i + 1)
        if name is None:
            out.append(char)
            i += 1
            continue
        if name.group() not in env:
            raise _Unknowable
        out.append(env[name.group()])
        i = name.end()
    if nested:
        raise _Unknowable  # no closing `}`
    return "".join(out), i


def _braced(text: str, i: int, env: Mapping[str, str], defaulted: list[str]) -> tuple[str, int]:
    """`NAME[op word]}` starting at `i` (after `${`) -> (value, index after the closing `}`)."""
    name = _NAME.match(text, i)
    if name is None:
        raise _Unknowable
    variable, i = name.group(), name.end()
    operator = next((op for op in _OPERATORS if text.startswith(op, i)), None)
    if operator is None:
        if not text.startswith("}", i):
            raise _Unknowable
        if variable not in env:
            raise _Unknowable
        return env[variable], i + 1
    # The word after the operator is expanded only when it is used, as compose does.
    scratch: list[str] = []
    try:
        word, end = _expand(text, i + len(operator), env, scratch, nested=True)
        word_known = True
    except _Unknowable:
        word, end, word_known = "", _closing(text, i + len(operator)), False
    if end < 0:
        raise _Unknowable
    is_set = variable in env
    is_full = is_set and env[variable] != ""
    colon = operator.startswith(":")
    kind = operator.lstrip(":")
    if kind == "-":
        if is_full or (is_set and not colon):
            return env[variable], end + 1
        if not word_known:
            raise _Unknowable
        defaulted.append(variable)
        defaulted.extend(scratch)
        return word, end + 1
    if kind == "?":
        if is_full or (is_set and not colon):
            return env[variable], end + 1
        raise _Unknowable  # required: whoever deploys must give it
    # `+`: the word when the variable is set, else empty
    if is_full or (is_set and not colon):
        if not word_known:
            raise _Unknowable
        defaulted.extend(scratch)
        return word, end + 1
    return "", end + 1


def _closing(text: str, i: int) -> int:
    """Index of the `}` closing a `${` whose body starts at `i`, or -1."""
    depth = 0
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return -1
