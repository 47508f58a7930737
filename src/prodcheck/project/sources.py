"""The discovered files (moved to `prodcheck.discovery.sources`, so a run that reuses cached
findings never imports the project model): the names stay importable from here."""
from __future__ import annotations

from prodcheck.discovery.sources import (
    Reads,
    SourceFile,
    read_source,
    recording,
    root_file_state,
    root_has_file,
    root_text,
)

__all__ = ["Reads", "SourceFile", "read_source", "recording", "root_file_state", "root_has_file", "root_text"]
