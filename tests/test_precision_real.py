"""Hand-reviewed verdicts on real repositories (issue 10): a finding judged false must not come back
at warning or error, and one judged true must stay (at warning or error, or at the severity its verdict names).

`tests/data/precision_verdicts.json` holds each verdict: repository and pinned commit, rule, file,
the stripped text of the line (the anchor, robust to line shifts), `true`/`false`/`debatable` and why.
A `debatable` verdict (right by the letter, arguable for the case) is kept for the sample's numbers
and asserts nothing; nor does a `false` verdict with an `open` field, a judged false positive not yet
fixed, whose `open` names the cause left to fix (drop the field when it is fixed, and the check holds it). A `true`
verdict with a `severity` field is right at that severity only: `info` for a real call that is no stall (one
filesystem metadata operation, knowledge/blocking.toml `metadata`), which must stay reported, and not louder. The repositories are the labelled set of `shared/eval/real` (checked out by its
`checkout.sh`) and others checked out at the pinned commit as owner+name; CI has no network, so the
check runs only where they are: set `PRODCHECK_REAL_ROOT` to the folder(s) of checkouts, separated
by `os.pathsep` (e.g. /tmp/prodcheck-real:/tmp/precision). It scans every repository once, which
takes minutes.
"""
from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import run_json
from prodcheck.copies import COPY_LABEL

VERDICTS = json.loads((Path(__file__).parent / "data" / "precision_verdicts.json").read_text(encoding="utf-8"))
ROOTS = [Path(r) for r in os.environ.get("PRODCHECK_REAL_ROOT", "").split(os.pathsep) if r]
BY_REPO: dict[str, list[dict]] = defaultdict(list)
for _verdict in VERDICTS:
    BY_REPO[_verdict["repo"]].append(_verdict)


def test_verdicts_are_well_formed() -> None:
    for verdict in VERDICTS:
        assert verdict["verdict"] in {"true", "false", "debatable"} and verdict["why"] and verdict["anchor"], verdict
        assert len(verdict["commit"]) == 40 and verdict["rule"].startswith("PC"), verdict
        assert "open" not in verdict or (verdict["verdict"] == "false" and verdict["open"]), verdict
        assert "severity" not in verdict or (verdict["verdict"] == "true" and verdict["severity"] == "info"), verdict


@pytest.mark.skipif(not any(root.is_dir() for root in ROOTS),
                    reason="real repositories absent: set PRODCHECK_REAL_ROOT to the checkouts of shared/eval/real")
@pytest.mark.parametrize("repo", sorted(BY_REPO))
def test_reviewed_verdicts_hold(repo: str) -> None:
    project = next((root / repo for root in ROOTS if (root / repo).is_dir()), None)
    if project is None:
        pytest.skip(f"{repo} is not checked out under {os.pathsep.join(map(str, ROOTS))}")
    verdicts = BY_REPO[repo]
    codes = sorted({v["rule"] for v in verdicts})
    _, report = run_json(project, *[a for code in codes for a in ("--select", code)])
    loud, quiet = set(), set()
    for finding in report["findings"]:
        # a byte-identical copy's finding is reported once, on one copy, naming the others (prodcheck/copies.py)
        copies = [r["path"] for r in finding.get("related", []) if r.get("label") == COPY_LABEL]
        for path in [finding["path"], *copies]:
            try:
                lines = (project / path).read_text(encoding="utf-8", errors="replace").splitlines()
                anchor = lines[finding["line"] - 1].strip()[:120]
            except (OSError, IndexError):
                anchor = ""
            (quiet if finding["severity"] == "info" else loud).add((finding["code"], path, anchor))
    back = [v for v in verdicts if v["verdict"] == "false" and "open" not in v
            and (v["rule"], v["path"], v["anchor"]) in loud]
    lost = [v for v in verdicts if v["verdict"] == "true" and "severity" not in v
            and (v["rule"], v["path"], v["anchor"]) not in loud]
    # right at info only: still reported, and not louder (a line reaching a stall too is reported for the stall)
    moved = [v for v in verdicts if v.get("severity") == "info"
             and ((v["rule"], v["path"], v["anchor"]) not in quiet or (v["rule"], v["path"], v["anchor"]) in loud)]
    assert not back, "findings judged false are back:\n" + "\n".join(f"{v['path']}: {v['anchor']} ({v['why']})" for v in back)
    assert not lost, "findings judged true are gone:\n" + "\n".join(f"{v['path']}: {v['anchor']} ({v['why']})" for v in lost)
    assert not moved, "findings judged true at info are gone or louder:\n" + "\n".join(
        f"{v['path']}: {v['anchor']} ({v['why']})" for v in moved)
