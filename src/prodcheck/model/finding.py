from __future__ import annotations

import hashlib
from dataclasses import field, fields, replace
from enum import IntEnum
from operator import attrgetter
from typing import NamedTuple, TypeVar

from prodcheck.model.files import Context
from prodcheck.model.record import record

_T = TypeVar("_T")


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.strip().upper()]


class Confidence(IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3


def mask_secret(text: str, secret: str) -> str:
    """Replace a secret in text; `:password@` keeps its delimiters so the URL stays readable."""
    if not secret:
        return text
    if secret.startswith(":") and secret.endswith("@") and len(secret) > 2:
        return text.replace(secret, ":****@")
    if secret.startswith("-") and secret.endswith("}") and len(secret) > 2:  # `${DB_PASSWORD:-secret}`
        return text.replace(secret, "-****}")
    return text.replace(secret, "****")


class _SpanFields(NamedTuple):
    line: int
    column: int
    end_line: int
    end_column: int


class Span(_SpanFields):
    """1-based lines and columns; end_column is exclusive, as in the JSON output.

    A tuple: hashable, ordered by position, picklable, and cheap to create by the hundred thousand
    during extraction (`Span.exact` skips the normalisation when the caller already has all four).
    """

    __slots__ = ()

    def __new__(cls, line: int, column: int = 1, end_line: int = 0, end_column: int = 0) -> Span:
        if end_line < line:
            end_line = line
        if end_line == line and end_column < column:
            end_column = column
        return tuple.__new__(cls, (line, column, end_line, end_column))

    @classmethod
    def exact(cls, line: int, column: int, end_line: int, end_column: int) -> Span:
        return tuple.__new__(cls, (line, column, end_line, end_column))

    def __repr__(self) -> str:
        return f"Span(line={self.line}, column={self.column}, end_line={self.end_line}, end_column={self.end_column})"

    def __reduce__(self):
        # Pickled as `_shaped(Span, fields)`: the cache's unpickler calls `tuple.__new__` itself for `_shaped`, in C,
        # no Python frame per object (caches hold hundreds of thousands).
        return (_shaped, (Span, tuple(self)))


def _shaped(cls: type[_T], values: tuple[object, ...]) -> _T:
    """A tuple class's instance holding `values` as they are (`tuple.__new__`): how the model's tuples (Span, the
    shapes of a Value) pickle themselves. The cache's unpickler calls `tuple.__new__` in its place (cache.py):
    one C call, where a `partial(tuple.__new__, cls)` per class cost a copy of its arguments and a call more
    (6 % of loading a project's facts)."""
    return tuple.__new__(cls, values)  # type: ignore[type-var]  # cls is a tuple class


def quick_pickle(cls: type[_T]) -> type[_T]:
    """Pickle a slotted dataclass as (class, field values): the default path calls
    `dataclasses.fields()` for every object, which made saving and loading the facts cache
    (hundreds of thousands of objects) cost more than re-parsing the changed file."""
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]  # a dataclass type; typeshed wants an instance
    getter = attrgetter(*names)
    if len(names) == 1:
        def __reduce__(self):
            return (cls, (getter(self),))
    else:
        def __reduce__(self):
            return (cls, getter(self))
    cls.__reduce__ = __reduce__  # type: ignore[method-assign]  # replacing the method is the point
    return cls


@quick_pickle
@record  # a frozen dataclass to mypy, built ~3x faster (model/record.py): 45,000 on the infra corpus
class Location:
    path: str  # POSIX, relative to the scan root
    span: Span
    label: str = ""

    def labelled(self, label: str) -> Location:
        return replace(self, label=label)

    def __str__(self) -> str:
        return f"{self.path}:{self.span.line}"


@quick_pickle
@record
class Edit:
    """Replace the characters between two (line, column) points; the one currency of fixes."""

    path: str
    span: Span
    text: str


@quick_pickle
@record
class Fix:
    title: str
    edits: tuple[Edit, ...]
    safe: bool = True


@quick_pickle
@record  # a frozen dataclass to mypy, built faster (model/record.py)
class Finding:
    code: str
    name: str
    message: str
    location: Location
    severity: Severity
    related: tuple[Location, ...] = ()
    confidence: Confidence = Confidence.HIGH
    context: Context = Context.PROD
    fix: Fix | None = None
    # Literal secret values this finding is about: never printed, masked in code frames.
    secrets: tuple[str, ...] = field(default=(), compare=False)
    # Source line of the primary location, normalised; feeds the fingerprint.
    anchor: str = field(default="", compare=False)
    # Why the file counts as production, development, test or ambiguous (SPEC section 4).
    context_reason: str = field(default="", compare=False)

    @property
    def path(self) -> str:
        return self.location.path

    @property
    def span(self) -> Span:
        return self.location.span

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.span.line, self.span.column, self.code, self.message)

    def fingerprint(self) -> str:
        """Stable across line shifts and unrelated edits: code, file and the flagged source text."""
        basis = "\0".join((self.code, self.path, " ".join(self.anchor.split()) or self.message))
        return hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest()[:32]
