"""Typed access to `migrations.toml`: which commands and calls migrate a database schema."""
from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from prodcheck.knowledge import load
from prodcheck.knowledge.names import Names, names


@cache
def _patterns() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(pattern) for pattern in load("migrations")["commands"]["patterns"])


@cache
def _launchers() -> frozenset[str]:
    return frozenset(load("migrations")["commands"]["launchers"])


def migration_command(argv: Sequence[str]) -> str | None:
    """The migration tool an argv runs (`alembic upgrade head`, `python -m alembic upgrade`,
    `npx prisma migrate deploy`), as the words of its pattern joined, or None."""
    words = [word.rsplit("/", 1)[-1] for word in argv]
    if words and words[0].startswith("python"):
        words = [word for word in words[1:] if word != "-m"]
    while words and words[0] in _launchers():
        words = words[1:]
    for pattern in _patterns():
        if len(words) >= len(pattern) and words[0] == pattern[0] and all(p in words[1:] for p in pattern[1:]):
            return " ".join(pattern)
    return None


def migration_calls(kind: str) -> Names:
    """Python calls of one kind in `[calls]`: upgrade, create_all, generate_schemas, register_tortoise, shell."""
    return names("migrations", "calls", kind)
