"""Python files left on disk when their status is the one an earlier run noted (discovery/stat_memo.py): the same
digests, findings and facts as reading every file, and every part of the status read again when it moves."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import OLD_NS, write_aged
from prodcheck import engine
from prodcheck.discovery import sources, stat_memo
from prodcheck.discovery.stat_memo import StatMemo
from prodcheck.model.files import Context, FileKind
from prodcheck.settings import Settings


def _settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by the test count as settled (their status-change time is now, which no test can move)."""
    monkeypatch.setattr(stat_memo, "SETTLED_NS", -10 * 1_000_000_000)


def _read(root: Path, folder: Path, path: str) -> sources.SourceFile:
    memo = StatMemo.load(folder)
    assert memo is not None
    source = memo.read(root, path, FileKind.PYTHON, Context.PROD)
    memo.save()
    return source


def _digests(root: Path, settings: Settings) -> dict[str, bytes | None]:
    return {source.path: source.digest() for source in engine.discover(root, settings)}


def test_an_unchanged_file_is_left_on_disk_with_the_digest_of_its_bytes(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _settled(monkeypatch)
    root, cached = tmp_path / "repo", Settings(cache_dir=str(tmp_path / "cache"))
    write_aged(root, {"app/main.py": "x = 1\n", "tests/test_a.py": "URL = 'http://x'\n", "tests/test_b.py": "y = 2\n",
                 "app/pragma.py": "x = 1  # prodcheck: ignore[PC101]\n"})
    fresh = _digests(root, Settings(use_cache=False))
    assert _digests(root, cached) == fresh  # first run: every file read, and noted
    found = {source.path: source for source in engine.discover(root, cached)}
    assert {path: source.digest() for path, source in found.items()} == fresh
    assert {path for path, source in found.items() if source.is_resting} == {
        "app/main.py", "tests/test_a.py", "tests/test_b.py"}  # a file holding a pragma is always read
    assert not found["tests/test_b.py"].holds(b"://") and found["tests/test_b.py"].is_resting  # noted: no URL
    assert found["tests/test_a.py"].holds(b"://")  # noted: it holds one (read again to say where)
    assert found["app/main.py"].raw == b"x = 1\n" and not found["app/main.py"].is_resting


@pytest.mark.parametrize("field", range(6))
def test_every_part_of_the_status_is_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field: int) -> None:
    """An entry that differs from the file's status in any one part (kind, device, inode, size, both times) is
    not used: the file is read."""
    _settled(monkeypatch)
    root, folder = tmp_path / "repo", tmp_path / "cache"
    write_aged(root, {"a.py": "x = 1\n"})
    assert not _read(root, folder, "a.py").is_resting
    assert _read(root, folder, "a.py").is_resting
    table = stat_memo.cache.Table(folder, "stats")
    entry = table.entries["a.py"]
    assert isinstance(entry, tuple)
    moved = list(entry)
    moved[field] = "gunicorn.conf.py" if field == 0 else entry[field] + 1
    table.put("a.py", tuple(moved))
    table.save()
    source = _read(root, folder, "a.py")
    assert not source.is_resting and source.raw == b"x = 1\n"
    assert _read(root, folder, "a.py").is_resting  # noted again as it is


def test_new_bytes_under_the_old_modification_time_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A repository can put a file's modification time back, never its status-change time."""
    _settled(monkeypatch)
    root, cached = tmp_path / "repo", Settings(cache_dir=str(tmp_path / "cache"))
    write_aged(root, {"app/main.py": "x = 1\n"})
    _digests(root, cached)
    (root / "app/main.py").write_text("x = 2\n")  # the same size
    os.utime(root / "app/main.py", ns=(OLD_NS, OLD_NS))
    assert _digests(root, cached) == _digests(root, Settings(use_cache=False))
    replaced = tmp_path / "other.py"  # another inode with the same bytes and times
    replaced.write_text("x = 3\n")
    os.utime(replaced, ns=(OLD_NS, OLD_NS))
    os.replace(replaced, root / "app/main.py")
    assert _digests(root, cached) == _digests(root, Settings(use_cache=False))


def test_a_file_written_just_now_or_a_link_is_not_noted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, folder = tmp_path / "repo", tmp_path / "cache"
    write_aged(root, {"a.py": "x = 1\n"})  # its modification time an hour ago, its status-change time now: not settled
    os.symlink(root / "a.py", root / "link.py")
    _read(root, folder, "a.py")
    assert not _read(root, folder, "a.py").is_resting
    _settled(monkeypatch)
    for _run in range(2):
        memo = StatMemo.load(folder)
        assert memo is not None
        found = [memo.read(root, path, FileKind.PYTHON, Context.PROD) for path in ("a.py", "link.py")]
        memo.save()
    assert found[0].is_resting and not found[1].is_resting and found[1].raw == b"x = 1\n"


def test_the_findings_of_a_rerun_are_those_of_a_run_that_reads_every_file(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _settled(monkeypatch)
    root, cached = tmp_path / "repo", Settings(cache_dir=str(tmp_path / "cache"))
    write_aged(root, {"app/main.py": "import time\nfrom fastapi import FastAPI\napp = FastAPI()\n\n\n@app.get('/')\n"
                                "async def index():\n    time.sleep(1)\n    return {}\n",
                 "tests/test_main.py": "def test_x():\n    assert True\n"})

    def findings(settings: Settings) -> list[tuple[str, str, int]]:
        return [(f.code, f.path, f.span.line) for f in engine.run(root, settings).findings]

    expected = findings(Settings(use_cache=False))
    assert expected and findings(cached) == expected
    (root / "app/main.py").write_text((root / "app/main.py").read_text() + "X = 1\n")  # one fact more: a re-run
    assert findings(cached) == findings(Settings(use_cache=False))


@pytest.mark.parametrize("entry", [("x", 1), ("py", 1, 2, 3, 4, 5, "digest", False), None, "text"])
def test_an_entry_of_another_shape_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: object) -> None:
    _settled(monkeypatch)
    root, folder = tmp_path / "repo", tmp_path / "cache"
    write_aged(root, {"a.py": "x = 1\n"})
    _read(root, folder, "a.py")
    table = stat_memo.cache.Table(folder, "stats")
    kept = table.entries["a.py"]
    assert isinstance(kept, tuple)
    table.put("a.py", entry if entry != ("py", 1, 2, 3, 4, 5, "digest", False) else (*kept[:6], "digest", False))
    table.save()
    source = _read(root, folder, "a.py")
    assert not source.is_resting and source.digest() == sources._file_digest(b"x = 1\n")
