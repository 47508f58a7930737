"""Typed access to `commands.toml`: shells, command runners and long-running programs."""
from __future__ import annotations

import re
from functools import cache

from prodcheck.knowledge import load


@cache
def shells() -> frozenset[str]:
    """Shell program names (`sh`, `bash`): what `program` (the basename) of a shell is."""
    return frozenset(load("commands")["shells"]["names"])


@cache
def shell_words() -> frozenset[str]:
    """Shell names and the absolute paths images write them as (`/bin/sh`, `/usr/bin/env`)."""
    return shells() | frozenset(load("commands")["shells"]["paths"])


@cache
def runners() -> tuple[tuple[tuple[str, ...], bool], ...]:
    """(prefix, takes options before the command) for every program that runs another command."""
    return tuple((tuple(entry["prefix"]), bool(entry.get("options", False))) for entry in load("commands")["runners"])


@cache
def restarting_policies() -> frozenset[str]:
    """Compose `restart:` values that start the container again whenever its command exits."""
    return frozenset(load("commands")["restart_policies"]["forever"])


@cache
def user_switchers() -> frozenset[str]:
    return frozenset(load("commands")["user_switchers"]["names"])


@cache
def long_running() -> frozenset[str]:
    return frozenset(load("commands")["long_running"]["names"])


@cache
def privilege_drop() -> re.Pattern[str]:
    """A script that switches to another user before its command: any user switcher or other form."""
    forms = [*load("commands")["user_switchers"]["names"], *load("commands")["user_switchers"]["other_forms"]]
    return re.compile(r"\b(?:" + "|".join(r"\s+".join(map(re.escape, form.split())) for form in forms) + r")\b")


def process_managers() -> frozenset[str]:
    """Programs that start the programs of their configuration (`supervisord -c supervisord.conf`)."""
    return frozenset(load("commands")["process_managers"]["names"])
