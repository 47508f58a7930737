"""Every example in rules/*.md runs: `# expect: PCxxx` lines must be flagged, every other line must not."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_project
from prodcheck import engine
from prodcheck.settings import Settings, load
from rule_docs import all_docs

CASES = [(doc, example) for doc in all_docs() for example in doc.examples()]


@pytest.mark.parametrize(
    ("doc", "example"), CASES, ids=[f"{doc.path.stem}::{example.section}" for doc, example in CASES]
)
def test_rule_doc_example(doc, example, tmp_path: Path) -> None:
    root = write_project(tmp_path, {path: text for path, text in example.files.items()})
    config = root / "prodcheck.toml"
    settings = load(config) if config.is_file() else Settings()
    result = engine.run(root, settings.with_overrides(use_cache=False))
    code = doc.code
    found: dict[tuple[str, int], list[str]] = {}
    for finding in result.findings:
        if finding.code == code:
            found.setdefault((finding.path, finding.span.line), []).append(finding.severity.label)
    expected = example.expectations(code)
    if example.section in {"Use instead", "Not flagged"}:
        loud = {k: v for k, v in found.items() if k not in expected and any(s != "info" for s in v)}
        quiet_unexpected = {k: v for k, v in found.items() if k not in expected}
        assert not quiet_unexpected, f"{code} must not fire in '{example.section}': {quiet_unexpected} {loud}"
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    assert not missing, f"{code} expected at {missing}, found at {sorted(found)}"
    assert not extra, f"{code} fired at unmarked lines {extra}"
    for key, severity in expected.items():
        assert len(found[key]) == 1, f"{code} fired {len(found[key])} times at {key}"
        if severity is not None:
            assert found[key][0] == severity, f"{code} at {key}: {found[key][0]}, expected {severity}"


def test_docs_have_examples() -> None:
    assert CASES, "no rule documentation found in rules/"
