"""Docs, registry and the SPEC's rule catalogue agree (flake8-async's consistency test, extended)."""
from __future__ import annotations

import os
import re

import pytest

from conftest import SHARED
from prodcheck.rules import all_rules
from rule_docs import REQUIRED_SECTIONS, RULES_DIR, all_docs

RULES = all_rules()
DOCS = {doc.code: doc for doc in all_docs()}


def test_codes_and_names_are_well_formed_and_unique() -> None:
    names = [rule.meta.name for rule in RULES.values()]
    assert len(names) == len(set(names))
    for code, rule in RULES.items():
        assert re.fullmatch(r"PC\d{3}", code)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.meta.name)
        assert not rule.meta.name.startswith(("no-", "disallow-", "ensure-"))


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_rule_has_one_matching_doc(code: str) -> None:
    meta = RULES[code].meta
    files = list(RULES_DIR.glob(f"{code}-*.md"))
    assert [f.name for f in files] == [f"{code}-{meta.name}.md"]
    doc = DOCS[code]
    # The front matter states the rule's metadata, field by field, and nothing else.
    assert doc.front == {
        "code": meta.code,
        "name": meta.name,
        "severity": meta.severity.label,
        "kinds": list(meta.kinds),
        "core": meta.core,
        "fix": meta.fix.value,
        "fix-safety": "none" if meta.fix.value == "none" else ("safe" if meta.fix_safe else "unsafe"),
    }, f"{code}: front matter differs from the rule's metadata"
    titles = [t for t in doc.sections]
    positions = [titles.index(s) for s in REQUIRED_SECTIONS if s in titles]
    assert [s for s in REQUIRED_SECTIONS if s not in titles] == [], f"{code}: missing sections"
    assert positions == sorted(positions), f"{code}: sections out of order"
    if code not in {"PC000", "PC001"}:
        assert "# expect: " + code in doc.text, f"{code}: no `# expect:` marker"
    # Every reference is something a reader can open: each line of the section carries a link.
    unlinked = [line for line in doc.sections["References"].splitlines()
                if line.strip() and "](https://" not in line and "](http://" not in line]
    assert unlinked == [], f"{code}: references without a link: {unlinked}"


def test_every_doc_has_a_rule() -> None:
    assert set(DOCS) <= set(RULES)


def test_registry_matches_spec_catalogue() -> None:
    spec = SHARED / "SPEC.md"
    if not spec.is_file():
        if os.environ.get("CI"):
            pytest.fail("shared/SPEC.md missing")
        pytest.skip("SPEC not beside this checkout")
    rows = re.findall(r"^\| (PC\d{3}) \| ([a-z0-9-]+) \|\s*(★?)\s*\|", spec.read_text(encoding="utf-8"), re.M)
    spec_rules = {code: (name, bool(star)) for code, name, star in rows}
    for code, rule in RULES.items():
        assert code in spec_rules, f"{code} is not in the SPEC"
        assert spec_rules[code] == (rule.meta.name, rule.meta.core), code


_LINK = re.compile(r"\[[^\]]+\]\((https?://[^)\s]+)\)|<(https?://[^>\s]+)>")


@pytest.mark.parametrize("code", sorted(DOCS))
def test_every_reference_is_a_link(code: str) -> None:
    items = [line for line in DOCS[code].sections.get("References", "").splitlines() if line.startswith("- ")]
    assert items, f"{code}: no references"
    unlinked = [item for item in items if not _LINK.search(item)]
    assert not unlinked, f"{code}: references without a link: {unlinked}"


@pytest.mark.parametrize("code", sorted(RULES))
def test_fix_safety_section_says_what_the_metadata_says(code: str) -> None:
    """The prose of "Fix safety" opens with the metadata's answer: no fix, safe, or unsafe."""
    meta = RULES[code].meta
    text = DOCS[code].sections["Fix safety"].strip()
    if meta.fix.value == "none":
        assert text.startswith("No automatic fix"), f"{code}: metadata says no fix, the doc says {text[:40]!r}"
    else:
        expected = "Safe" if meta.fix_safe else "Unsafe"
        assert text.split(maxsplit=1)[0].rstrip(":,") == expected, f"{code}: metadata says {expected}, the doc says {text[:40]!r}"
