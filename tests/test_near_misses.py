"""Near-miss catalogues: one project per rule under tests/fixtures/nearmiss/<CODE>-<name>/.

Each line that stands for a clause of the rule's documentation says so in a comment, trailing or
alone on the line above: `# flags: <clause>` ("What it flags": an `# expect:` marker must sit on
the same line) or `# near miss: <clause>` (what it does not flag, or flags only as `info`). A rule
may spread its catalogue over several projects (each needs one clause; together both kinds). The
project runs with only that rule selected; its findings must sit exactly at the markers, agree
with them (tests/expectations.py) and match the snapshot tests/snapshots/nearmiss/<folder>.txt.
It runs on a copy outside any git checkout, so that what git tracks (PC303) does not depend on
whether the catalogue is committed yet.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from expectations import check, markers
from prodcheck import engine
from prodcheck.settings import Settings

CATALOGUES = sorted(p for p in (Path(__file__).parent / "fixtures" / "nearmiss").iterdir() if p.is_dir())
_CLAUSE = re.compile(r"#\s*(?P<kind>flags|near miss):")


def _files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in root.rglob("*") if p.is_file()}


def _clauses(files: dict[str, str]) -> dict[tuple[str, int], str]:
    """(path, line) -> "flags" or "near miss", for the code line each clause comment describes."""
    out: dict[tuple[str, int], str] = {}
    for path, text in files.items():
        pending: str | None = None
        for number, line in enumerate(text.splitlines(), 1):
            match = _CLAUSE.search(line)
            if line.strip().startswith("#") and match and not line.strip().startswith("#!"):
                pending = match.group("kind")
                continue
            if not line.strip() or line.strip().startswith("#"):
                continue
            kind = match.group("kind") if match else pending
            if kind:
                out[(path, number)] = kind
            pending = None
    return out


@pytest.mark.parametrize("root", CATALOGUES, ids=[p.name for p in CATALOGUES])
def test_near_miss_catalogue(root: Path, tmp_path: Path) -> None:
    code = root.name.split("-", 1)[0]
    files = _files(root)
    clauses = _clauses(files)
    assert clauses, f"{root.name}: no `# flags:` or `# near miss:` clause"
    expected = markers(files)
    for key, kind in clauses.items():
        severities = [m.severity for m in expected.get(key, []) if m.code == code]
        if kind == "flags":
            assert any(s != "info" for s in severities), f"{key}: a `flags` clause needs an `# expect: {code}` marker"
        else:
            assert all(s == "info" for s in severities), f"{key}: a near miss may only expect info"
    copy = shutil.copytree(root, tmp_path / root.name)
    result = engine.run(copy, Settings(select=(code,), use_cache=False))
    assert result.internal_errors == [], "a rule that crashes on its own catalogue reports nothing there"
    check(result.findings, files, code, f"nearmiss/{root.name}")


def test_every_catalogued_rule_has_both_kinds_of_clause() -> None:
    kinds: dict[str, set[str]] = {}
    for root in CATALOGUES:
        kinds.setdefault(root.name.split("-", 1)[0], set()).update(_clauses(_files(root)).values())
    assert {code: k for code, k in kinds.items() if k != {"flags", "near miss"}} == {}


def test_every_rule_has_a_catalogue() -> None:
    from prodcheck.rules import all_rules

    assert sorted(set(all_rules()) - {root.name.split("-", 1)[0] for root in CATALOGUES}) == []
