"""A file without an extension whose first line runs a shell is a shell script (discovery/classify.py
`shebang_kind`): an image's `/init`, a `scripts/start`, an s2i `run`. Only regular files are read, never through a
symbolic link, and a file with an extension keeps the kind its name gives."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from prodcheck.discovery.classify import shebang_kind
from prodcheck.engine import discover
from prodcheck.model.files import FileKind
from prodcheck.settings import Settings


@pytest.mark.parametrize("first_line, kind", [
    ("#!/bin/sh", FileKind.SHELL), ("#!/usr/bin/env bash", FileKind.SHELL), ("#!/bin/bash -e", FileKind.SHELL),
    ("#! /bin/dash", FileKind.SHELL), ("#!/usr/local/bin/zsh", FileKind.SHELL),
    ("#!/usr/bin/env python3", None), ("#!/usr/bin/env node", None), ("#!/bin/shellcheck-wrapper", None),
    ("echo hello", None), ("", None),
])
def test_the_first_line_says_a_shell(tmp_path: Path, first_line: str, kind: FileKind | None) -> None:
    (tmp_path / "init").write_text(f"{first_line}\nalembic upgrade head\n")
    assert shebang_kind(str(tmp_path), "init") == kind


def test_names_with_an_extension_links_and_other_files_are_not_read(tmp_path: Path) -> None:
    (tmp_path / "run.txt").write_text("#!/bin/sh\n")
    (tmp_path / "real").write_text("#!/bin/sh\n")
    os.symlink(tmp_path / "real", tmp_path / "linked")
    os.mkfifo(tmp_path / "pipe")
    assert shebang_kind(str(tmp_path), "run.txt") is None
    assert shebang_kind(str(tmp_path), "linked") is None
    assert shebang_kind(str(tmp_path), "pipe") is None  # never opened for a blocking read
    assert shebang_kind(str(tmp_path), "missing") is None


def test_discovery_finds_an_extensionless_start_script(tmp_path: Path) -> None:
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "init").write_text("#!/usr/bin/env bash\nexec gunicorn app.main:app\n")
    (tmp_path / "LICENSE").write_text("MIT License\n")
    kinds = {source.path: source.kind for source in discover(tmp_path, Settings(use_cache=False))}
    assert kinds == {"docker/init": FileKind.SHELL}
