"""What prodcheck knows about the outside world, as data a reviewer can read and extend.

Each `<topic>.toml` beside this module holds one topic (blocking APIs, migration tools, secret
names, ...), every entry with a comment that cites where the fact comes from. Rules and the model
ask `load(topic)` (or a typed accessor built on it) and never keep their own copy of a fact.
"""
from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any


@cache
def load(topic: str) -> dict[str, Any]:
    """The parsed `<topic>.toml` of this package (read once per process)."""
    text = resources.files(__package__).joinpath(f"{topic}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)
