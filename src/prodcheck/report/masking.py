"""Secrets never leave prodcheck in full: messages are built masked, and code frames mask the same values."""
from __future__ import annotations

from prodcheck.model.finding import Finding, mask_secret


def masked_line(finding: Finding, line: str) -> str:
    for secret in finding.secrets:
        line = mask_secret(line, secret)
    return line
