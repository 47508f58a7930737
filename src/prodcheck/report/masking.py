"""Secrets never leave prodcheck in full: messages are built masked, and code frames mask the same values."""
from __future__ import annotations

from collections.abc import Iterable

from prodcheck.model.finding import Finding, mask_secret


def masked_line(finding: Finding, line: str, others: Iterable[str] = ()) -> str:
    """A source line with the finding's secrets masked, and every other secret known on that line
    (another finding's, even a suppressed one's): a frame shows the line whichever finding owns it."""
    # Longest first: a secret that contains another is masked whole.
    for secret in sorted({*finding.secrets, *others}, key=len, reverse=True):
        line = mask_secret(line, secret)
    return line
