from __future__ import annotations

import json
import os
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from prodcheck import engine
from prodcheck.cli import main
from prodcheck.project import Project
from prodcheck.settings import Settings

# tests/fixtures holds projects prodcheck scans: their conftest.py and test_*.py are data, never collected.
collect_ignore = ["fixtures"]

REPO = Path(__file__).resolve().parents[1]
# The read-only shared folder (SPEC, schemas, eval projects) beside the checkout; PRODCHECK_SHARED
# points elsewhere (a worktree one level deeper).
SHARED = Path(os.environ.get("PRODCHECK_SHARED") or REPO.parent / "shared")


def write_project(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


# An hour ago: a modification time older than any "settled" bound (discovery/stat_memo.py, code_digest.py).
OLD_NS = time.time_ns() - 3_600_000_000_000


def write_aged(root: Path, files: dict[str, str]) -> Path:
    """`write_project`, each file's access and modification times then set an hour back (its status-change time
    stays now: only the clock sets that)."""
    write_project(root, files)
    for relative in files:
        os.utime(root / relative, ns=(OLD_NS, OLD_NS))
    return root


def project_model(root: Path, files: dict[str, str]) -> Project:
    """The project model of `files` written under `root`, built as a run builds it (no cache)."""
    write_project(root, files)
    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(root, settings)
    return Project(root, discovered, engine.parse_python(root, discovered, settings), settings)


def run_json(root: Path, *args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["check", str(root), "--format", "json", "--no-cache", *args])
    assert result.exit_code in (0, 1), result.output
    # A rule that crashes loses its findings and says so only on stderr (the JSON report and the exit
    # code stay as they were): no CLI test passes on a crash that happens to drop nothing it asserts.
    assert "internal error" not in result.output, result.output[-3000:]
    return result.exit_code, json.loads(result.stdout)


def loud_findings(root: Path, *codes: str) -> list[tuple[str, str, int, str]]:
    """(code, path, line, severity) of each finding above info of a run selecting `codes`, sorted."""
    args = [a for code in codes for a in ("--select", code)]
    _, report = run_json(root, *args)
    return sorted((f["code"], f["path"], f["line"], f["severity"]) for f in report["findings"]
                  if f["severity"] != "info")


@pytest.fixture
def project(tmp_path: Path):
    def build(files: dict[str, str]) -> Path:
        return write_project(tmp_path, files)

    return build


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs that use the cache write it in a folder of the test session, never in the user's."""
    monkeypatch.setenv("PRODCHECK_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "user-cache"))
    # Charts are read statically unless a test asks for the helm binary (tests/test_helm_binary.py):
    # the same expectations hold on a machine with helm and one without.
    monkeypatch.setenv("PRODCHECK_HELM", "off")
