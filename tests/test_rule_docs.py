"""Every example in rules/*.md runs: `# expect: PCxxx ...` lines must be flagged as their markers say
(see tests/expectations.py), every other line must not, and the findings match their snapshot."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import write_project
from expectations import check
from prodcheck import engine
from prodcheck.rules import all_rules
from prodcheck.settings import Settings, load
from rule_docs import all_docs

RULES = all_rules()
CASES = [(doc, example) for doc in all_docs() for example in doc.examples()]


def _snapshot_name(doc, example) -> str:
    return f"docs/{doc.path.stem}/{re.sub(r'[^A-Za-z0-9]+', '-', example.section).strip('-').lower()}"


@pytest.mark.parametrize(
    ("doc", "example"), CASES, ids=[f"{doc.path.stem}::{example.section}" for doc, example in CASES]
)
def test_rule_doc_example(doc, example, tmp_path: Path) -> None:
    root = write_project(tmp_path, {path: text for path, text in example.files.items()})
    config = root / "prodcheck.toml"
    settings = load(config) if config.is_file() else Settings()
    result = engine.run(root, settings.with_overrides(use_cache=False))
    assert result.internal_errors == [], "a rule that crashes on its own example reports nothing there"
    check(result.findings, example.files, doc.code, _snapshot_name(doc, example),
          quiet_only=example.section in {"Use instead", "Not flagged"})
    meta = RULES[doc.code].meta
    for finding in result.findings:
        if finding.code == doc.code and finding.fix is not None:
            assert meta.fix.value != "none", f"{doc.code} offers a fix but its metadata says fix: none"
            assert finding.fix.safe == meta.fix_safe, f"{doc.code}: a fix whose safety differs from the metadata"


def test_docs_have_examples() -> None:
    assert CASES, "no rule documentation found in rules/"


def test_sections_have_distinct_snapshot_names() -> None:
    names = [_snapshot_name(doc, example) for doc, example in CASES]
    assert len(names) == len(set(names))
