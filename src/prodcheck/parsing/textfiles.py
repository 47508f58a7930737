"""Small line-based formats: .env, Procfile, alembic.ini, requirements, postgresql.conf."""
from __future__ import annotations

import re
from prodcheck.model.record import record
from prodcheck.lazy_pattern import lazy

_ENV_LINE = lazy(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$")
_PROCFILE_LINE = lazy(r"^([A-Za-z0-9_-]+)\s*:\s*(.+)$")
_INI_LINE = lazy(r"^\s*([A-Za-z0-9_.-]+)\s*[=:]\s*(.*)$")


@record
class Entry:
    key: str
    value: str
    line: int
    column: int  # 1-based column where the value starts


def parse_env(text: str) -> list[Entry]:
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        if raw.lstrip().startswith("#"):
            continue
        match = _ENV_LINE.match(raw)
        if not match:
            continue
        value = match.group(2).strip()
        column = match.start(2) + 1
        if value[:1] in {"'", '"'} and value.endswith(value[0]) and len(value) >= 2:
            value = value[1:-1]
            column += 1
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        entries.append(Entry(match.group(1), value, number, column))
    return entries


def parse_procfile(text: str) -> list[Entry]:
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        if raw.lstrip().startswith("#"):
            continue
        match = _PROCFILE_LINE.match(raw.strip())
        if match:
            entries.append(Entry(match.group(1), match.group(2).strip(), number, raw.find(match.group(2)) + 1))
    return entries


def parse_ini(text: str) -> list[tuple[str, Entry]]:
    """(section, entry) pairs; configparser would lose line numbers and choke on duplicates."""
    section = ""
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1].strip()
            continue
        match = _INI_LINE.match(raw)
        if match:
            out.append((section, Entry(match.group(1), match.group(2).strip(), number, match.start(2) + 1)))
    return out


def parse_requirements(text: str) -> list[Entry]:
    """Requirement lines (name and spec); options, includes and comments are skipped."""
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-", "--")):
            continue
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$", line)
        if match:
            entries.append(Entry(match.group(1), match.group(3).strip(), number, 1))
    return entries


def parse_postgres_conf(text: str) -> list[Entry]:
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        match = re.match(r"^([a-z_]+)\s*=?\s*'?([^']*)'?\s*$", line)
        if match:
            entries.append(Entry(match.group(1), match.group(2).strip(), number, 1))
    return entries
