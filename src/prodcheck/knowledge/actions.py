"""Typed access to `actions.toml`: the majors of well-known GitHub Actions."""
from __future__ import annotations

from functools import cache
from typing import NamedTuple

from prodcheck.knowledge import load


class ActionMajors(NamedTuple):
    supported: int  # first major on a runtime the hosted runners still ship
    removed_below: int  # majors below this one no longer run at all
    current: int  # the major a fix moves to


@cache
def action_majors() -> dict[str, ActionMajors]:
    """`owner/name` (lower case) -> its majors."""
    return {name.lower(): ActionMajors(int(entry["supported"]), int(entry["removed_below"]), int(entry["current"]))
            for name, entry in load("actions")["actions"].items()}


@cache
def branch_refs() -> frozenset[str]:
    """Refs (lower case) that name a moving branch rather than a release (`@main`, `@master`)."""
    return frozenset(load("actions")["refs"]["branches"])
