"""Positive and negative fixture projects for every core rule and every file kind it covers.

Each folder of tests/fixtures/core is named `<CODE>-<kind>-<pos|neg>`; `# expect: CODE` markers
(trailing, or alone on the line above; syntax in tests/expectations.py) name exactly where that rule
must fire and what it says, `# expect: CODE info` where it may only inform; the findings match the
snapshot tests/snapshots/core/<folder>.txt. Only the folder's rule is checked, so other rules may
evolve freely.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from expectations import check, markers
from prodcheck import engine
from prodcheck.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "core"
PROJECTS = sorted(p for p in FIXTURES.iterdir() if p.is_dir())


def _files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("root", PROJECTS, ids=[p.name for p in PROJECTS])
def test_core_fixture(root: Path) -> None:
    code, polarity = root.name.split("-", 1)[0], root.name.rsplit("-", 1)[1]
    files = _files(root)
    result = engine.run(root, Settings(select=(code,), use_cache=False))
    assert result.internal_errors == [], "a rule that crashes on its fixture reports nothing there"
    check(result.findings, files, code, f"core/{root.name}")
    severities = [m.severity for found in markers(files).values() for m in found if m.code == code]
    if polarity == "pos":
        assert any(s != "info" for s in severities), f"{root.name}: a positive fixture needs a `# expect: {code}` marker"
    else:
        assert all(s == "info" for s in severities), f"{root.name}: a negative fixture may only expect info"


def test_every_core_rule_has_both_polarities_per_kind() -> None:
    kinds: dict[tuple[str, str], set[str]] = {}
    for root in PROJECTS:
        stem, polarity = root.name.rsplit("-", 1)
        code, kind = stem.split("-", 1)
        kinds.setdefault((code, kind), set()).add(polarity)
    incomplete = {k: v for k, v in kinds.items() if v != {"pos", "neg"}}
    assert not incomplete, incomplete
