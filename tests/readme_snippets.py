"""Code blocks of README.md, by their `title="…"`: tests run them, so the README cannot drift."""
from __future__ import annotations

import re

from conftest import REPO

_BLOCK = re.compile(r'^```(?P<lang>\w+) title="(?P<title>[^"]+)"\n(?P<body>.*?)^```$', re.M | re.S)


def readme_block(title: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = [m.group("body") for m in _BLOCK.finditer(text) if m.group("title") == title]
    assert len(blocks) == 1, f"README.md must have exactly one block titled {title!r}, found {len(blocks)}"
    return blocks[0]
