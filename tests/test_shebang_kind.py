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


@pytest.mark.parametrize("name, kind", [
    ("start", FileKind.SHELL), ("worker_entrypoint", FileKind.SHELL), ("start-dockerd", FileKind.SHELL),
    ("hapi_run", FileKind.SHELL), ("boot", FileKind.SHELL),
    ("cluster", None), ("format", None), ("pre-commit", None), ("restart-me-not", None),
])
def test_only_names_of_start_scripts(tmp_path: Path, name: str, kind: FileKind | None) -> None:
    """A developer's extension-less tool (`scripts/cluster`, a git hook) is not read as a start script."""
    (tmp_path / name).write_text("#!/usr/bin/env bash\necho hi\n")
    assert shebang_kind(str(tmp_path), name) == kind


def test_names_with_an_extension_links_and_other_files_are_not_read(tmp_path: Path) -> None:
    (tmp_path / "run.txt").write_text("#!/bin/sh\n")
    (tmp_path / "start").write_text("#!/bin/sh\n")
    os.symlink(tmp_path / "start", tmp_path / "run")
    os.mkfifo(tmp_path / "boot")
    assert shebang_kind(str(tmp_path), "run.txt") is None
    assert shebang_kind(str(tmp_path), "run") is None  # a symbolic link
    assert shebang_kind(str(tmp_path), "boot") is None  # never opened for a blocking read
    assert shebang_kind(str(tmp_path), "init") is None  # missing


def test_discovery_finds_an_extensionless_start_script(tmp_path: Path) -> None:
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "init").write_text("#!/usr/bin/env bash\nexec gunicorn app.main:app\n")
    (tmp_path / "LICENSE").write_text("MIT License\n")
    kinds = {source.path: source.kind for source in discover(tmp_path, Settings(use_cache=False))}
    assert kinds == {"docker/init": FileKind.SHELL}
