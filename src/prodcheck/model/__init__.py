"""Plain, frozen, picklable data shared by every layer. Imports nothing else from prodcheck."""
from __future__ import annotations

from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Confidence, Finding, Location, Severity, Span

__all__ = ["Confidence", "Context", "FileKind", "Finding", "Location", "Severity", "Span"]
