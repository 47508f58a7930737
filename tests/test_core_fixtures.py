"""Positive and negative fixture projects for every core rule and every file kind it covers.

Each folder of tests/fixtures/core is named `<CODE>-<kind>-<pos|neg>`; `# expect: CODE` markers
(trailing, or alone on the line above) name exactly where that rule must fire, `# expect: CODE info`
where it may only inform. Only the folder's rule is checked, so other rules may evolve freely.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from prodcheck import engine
from prodcheck.settings import Settings
from rule_docs import Example

FIXTURES = Path(__file__).parent / "fixtures" / "core"
PROJECTS = sorted(p for p in FIXTURES.iterdir() if p.is_dir())


def _files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("root", PROJECTS, ids=[p.name for p in PROJECTS])
def test_core_fixture(root: Path) -> None:
    code, _kind, polarity = root.name.split("-", 1)[0], *root.name.rsplit("-", 1)[0].split("-", 1)[1:], root.name.rsplit("-", 1)[1]
    example = Example(root.name, polarity, _files(root))
    expected = example.expectations(code)
    result = engine.run(root, Settings(select=(code,), use_cache=False))
    found = {(f.path, f.span.line): f.severity.label for f in result.findings if f.code == code}
    assert set(found) == set(expected), f"{root.name}: expected {sorted(expected)}, found {found}"
    for key, severity in expected.items():
        if severity is not None:
            assert found[key] == severity, f"{root.name} {key}: {found[key]} != {severity}"
    loud = [k for k, s in expected.items() if s is None]
    if polarity == "pos":
        assert loud, f"{root.name}: a positive fixture needs a `# expect: {code}` marker"
    else:
        assert not loud, f"{root.name}: a negative fixture may only expect info"


def test_every_core_rule_has_both_polarities_per_kind() -> None:
    kinds: dict[tuple[str, str], set[str]] = {}
    for root in PROJECTS:
        stem, polarity = root.name.rsplit("-", 1)
        code, kind = stem.split("-", 1)
        kinds.setdefault((code, kind), set()).add(polarity)
    incomplete = {k: v for k, v in kinds.items() if v != {"pos", "neg"}}
    assert not incomplete, incomplete
