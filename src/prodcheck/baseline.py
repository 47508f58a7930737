"""Baselines: today's findings by fingerprint, so that adopting prodcheck does not mean fixing everything first."""
from __future__ import annotations

import json
from pathlib import Path

from prodcheck.model.finding import Finding
from prodcheck.settings import ConfigError


def write(path: Path, findings: list[Finding]) -> None:
    entries = sorted({(f.fingerprint(), f.code, f.path) for f in findings})
    document = {"version": 1, "findings": [{"fingerprint": fp, "code": code, "path": p} for fp, code, p in entries]}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def load(path: Path) -> set[str]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read baseline: {error.strerror or error}") from None
    except ValueError as error:
        raise ConfigError(f"{path}: baseline is not valid JSON: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("findings"), list):
        raise ConfigError(f"{path}: not a prodcheck baseline (expected {{\"version\": 1, \"findings\": [...]}})")
    return {str(item.get("fingerprint")) for item in document["findings"] if isinstance(item, dict)}
