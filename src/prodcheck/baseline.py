"""Baselines: today's findings by fingerprint, so that adopting prodcheck does not mean fixing everything first.

A fingerprint is the rule, the file and the flagged source line (normalised), not a line number,
so findings stay matched when lines are inserted above them or other parts of the file change.
Identical findings (the same line of code twice in a file) are counted: a baseline that holds
one of them does not hide a second one added later.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection
from pathlib import Path

from prodcheck.model.finding import Finding
from prodcheck.settings import ConfigError

VERSION = 1


def write(path: Path, findings: list[Finding]) -> None:
    counts = Counter((f.fingerprint(), f.code, f.path) for f in findings)
    entries = []
    for (fingerprint, code, where), count in sorted(counts.items(), key=lambda item: (item[0][2], item[0][1], item[0][0])):
        entry: dict[str, object] = {"code": code, "path": where, "fingerprint": fingerprint}
        if count > 1:
            entry["count"] = count
        entries.append(entry)
    document = {"version": VERSION, "tool": "prodcheck", "findings": entries}
    try:
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot write baseline: {error.strerror or error}") from None


def load(path: Path) -> Counter[str]:
    """fingerprint -> how many findings with it the baseline accepts (a Counter, usable as a set)."""
    from prodcheck.limits import MAX_BASELINE_DEPTH
    from prodcheck.parsing import ParseError
    from prodcheck.parsing.nesting import check_depth
    from prodcheck.settings import read_config_text

    try:
        text = read_config_text(path)  # a regular file only: a FIFO would block
        check_depth(text, limit=MAX_BASELINE_DEPTH, what="baseline")
        document = json.loads(text)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read baseline: {error.strerror or error}") from None
    except ParseError as error:
        raise ConfigError(f"{path}: {error}") from None
    except (ValueError, RecursionError) as error:
        raise ConfigError(f"{path}: baseline is not valid JSON: {str(error)[:200]}") from None
    if not isinstance(document, dict) or not isinstance(document.get("findings"), list):
        raise ConfigError(f"{path}: not a prodcheck baseline (expected {{\"version\": 1, \"findings\": [...]}}); "
                          "write one with --write-baseline")
    counts: Counter[str] = Counter()
    for item in document["findings"]:
        if not isinstance(item, dict) or not isinstance(item.get("fingerprint"), str):
            raise ConfigError(f"{path}: baseline entry without a fingerprint: {repr(item)[:200]}")
        count = item.get("count", 1)
        counts[item["fingerprint"]] += count if isinstance(count, int) and count > 0 else 1
    return counts


def apply(findings: list[Finding], known: Collection[str]) -> tuple[list[Finding], int]:
    """(findings not in the baseline, how many it matched). Earlier findings use up counts first."""
    if isinstance(known, Counter):
        remaining = Counter(known)
    else:  # a plain set of fingerprints: each matches any number of findings
        remaining = Counter({fingerprint: len(findings) + 1 for fingerprint in known})
    kept: list[Finding] = []
    matched = 0
    for finding in sorted(findings, key=Finding.sort_key):
        fingerprint = finding.fingerprint()
        if remaining[fingerprint] > 0:
            remaining[fingerprint] -= 1
            matched += 1
        else:
            kept.append(finding)
    return kept, matched
