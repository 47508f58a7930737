"""The cache lives in the user's cache folder: a scanned repository can neither feed it nor be
written by it, and a stale, corrupt or planted entry is never trusted."""
from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from prodcheck import cache
from prodcheck.cli import main
from prodcheck import incremental
from prodcheck.engine import python_index, python_table

PROJECT = {
    "app/main.py": (
        "from fastapi import FastAPI\nfrom sqlalchemy import create_engine\n\n"
        "engine = create_engine('postgresql://app:hunter2@db/app')\napp = FastAPI()\n"
    ),
    "Dockerfile": "FROM python:3.12-slim\nCOPY . .\nCMD uvicorn app.main:app --reload --host 0.0.0.0\n",
}


class _Planted:
    """Unpickling this creates the marker file: what an attacker would plant."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def _write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): (b"" if p.is_dir() else p.read_bytes())
            for p in sorted(root.rglob("*")) if not p.is_symlink()}


def _scan(root: Path, *args: str) -> dict:
    result = CliRunner().invoke(main, ["check", str(root), "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def _keys(report: dict) -> list[tuple[str, str, int]]:
    return sorted((f["code"], f["path"], f["line"]) for f in report["findings"])


def _folder(cache_dir: Path, root: Path) -> Path:
    return cache_dir / hashlib.blake2b(str(root.resolve()).encode(), digest_size=16).hexdigest()


def _tables(folder: Path) -> tuple[cache.Table | cache.LazyTable, ...]:
    """Every table a run writes: findings by bytes, facts, the facts index, findings by facts, fixes, the drafts
    of the rules that read only the Python side."""
    from prodcheck.fix.memo import memo_table
    from prodcheck.rule_inputs import drafts_table

    return (cache.Table(folder, "run"), python_table(folder), python_index(folder), incremental.model_table(folder),
            memo_table(folder), drafts_table(folder))


def test_the_cache_is_written_outside_the_scanned_tree(tmp_path: Path) -> None:
    root = _write(tmp_path / "project", PROJECT)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    before = _tree(root)
    cache_dir = tmp_path / "cache"
    first = _scan(root, "--cache-dir", str(cache_dir))
    second = _scan(root, "--cache-dir", str(cache_dir))
    assert _keys(first) == _keys(second) and _keys(first)
    assert _tree(root) == before
    status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--ignored"],
                            capture_output=True, text=True, check=True)
    assert status.stdout.strip() == "A  Dockerfile\nA  app/main.py"
    folder = _folder(cache_dir, root)
    names = {p.name for p in folder.iterdir()}
    # (besides the tables: the digest of prodcheck's code, kept by its files' status, code_digest.py, and the
    # knowledge topics parsed by this process, which a process that parsed them before writes no more: knowledge
    # `keep_parsed`, so whether it is there depends on the tests run before)
    assert "run.pickle" in names and names - {"run.pickle"} and names - {"code.stat", "knowledge.pickle"} <= {
        n for t in _tables(folder) for n in t.filenames}
    if hasattr(os, "getuid"):
        assert folder.stat().st_mode & 0o777 == 0o700
        assert all(p.stat().st_mode & 0o077 == 0 for p in folder.iterdir())
    assert all(table.entries for table in _tables(folder))


def test_where_the_cache_lives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cache.ENVIRONMENT, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    root = tmp_path / "project"
    if sys.platform.startswith("linux"):
        assert cache.base_folder() == tmp_path / "xdg" / "prodcheck"
        monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
        assert cache.base_folder() == Path.home() / ".cache" / "prodcheck"
    monkeypatch.setenv(cache.ENVIRONMENT, str(tmp_path / "env"))
    assert cache.base_folder() == tmp_path / "env"
    assert cache.base_folder(tmp_path / "option") == tmp_path / "option"
    assert cache.folder_for(root, tmp_path / "option") == _folder(tmp_path / "option", root)
    # Inside the scanned tree: never used.
    assert cache.folder_for(root, root / "cache") is None
    assert cache.folder_for(root, root) is None


def test_a_read_only_checkout_is_scanned_and_cached(tmp_path: Path) -> None:
    root = _write(tmp_path / "project", PROJECT)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    for path in (root / "app", root):
        path.chmod(0o555)
    try:
        first = _scan(root, "--cache-dir", str(tmp_path / "cache"))
        second = _scan(root, "--cache-dir", str(tmp_path / "cache"))
    finally:
        for path in (root, root / "app"):
            path.chmod(0o755)
    assert _keys(first) == _keys(second) and _keys(first)
    assert (_folder(tmp_path / "cache", root) / "run.pickle").is_file()


def test_a_planted_prodcheck_cache_folder_has_no_effect(tmp_path: Path) -> None:
    root = _write(tmp_path / "project", PROJECT)
    marker = tmp_path / "pwned"
    planted = root / ".prodcheck_cache"
    planted.mkdir()
    for name in ("python-0.1.0-2.pickle", "run-0.1.0-2.pickle", "python.pickle", "run.pickle"):
        (planted / name).write_bytes(pickle.dumps({"x": _Planted(marker)}))
    clean = _scan(_write(tmp_path / "clean", PROJECT), "--cache-dir", str(tmp_path / "cache"))
    before = _tree(root)
    for _ in range(2):
        report = _scan(root, "--cache-dir", str(tmp_path / "cache"))
        assert not marker.exists()
        assert _keys(report) == _keys(clean)
    assert _tree(root) == before


def test_a_cache_folder_inside_the_scanned_tree_is_not_used(tmp_path: Path) -> None:
    root = _write(tmp_path / "project", PROJECT)
    before = _tree(root)
    _scan(root, "--cache-dir", str(root / "cache"))
    _scan(root, "--cache-dir", str(root))
    assert _tree(root) == before


def test_a_planted_entry_in_the_users_cache_cannot_run_code(tmp_path: Path) -> None:
    """Even a file in the user's own cache folder only builds prodcheck's model classes."""
    root = _write(tmp_path / "project", PROJECT)
    cache_dir = tmp_path / "cache"
    expected = _keys(_scan(root, "--cache-dir", str(cache_dir)))
    folder = _folder(cache_dir, root)
    marker = tmp_path / "pwned"
    header = cache._header()
    for table in _tables(folder):
        for name in table.filenames:
            keys = [k for k in table.entries if table.filename_of(table.shard_of(k)) == name]
            (folder / name).write_bytes(header + pickle.dumps({k: _Planted(marker) for k in keys}))
    assert _keys(_scan(root, "--cache-dir", str(cache_dir))) == expected
    assert not marker.exists()
    for payload in (
        pickle.dumps(_Planted(marker)),
        b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR.",
        b"cbuiltins\ngetattr\n(cprodcheck.model.finding\nFinding\nS'__init__'\ntR.",
        # The tuples' builder (`tuple.__new__` to the unpickler) builds only a tuple class the pickle can name.
        b"cprodcheck.model.finding\n_shaped\n(cos\nsystem\n(S'touch " + str(marker).encode() + b"'\nttR.",
    ):
        with pytest.raises(pickle.UnpicklingError):
            cache._ModelUnpickler(io.BytesIO(payload)).load()
    with pytest.raises(TypeError):  # (a model class that is no tuple: an error, read as no entry)
        cache._ModelUnpickler(io.BytesIO(b"cprodcheck.model.finding\n_shaped\n(cprodcheck.model.finding\nFinding\n)tR.")).load()
    assert not marker.exists()


def test_the_models_tuples_come_back_from_the_cache_as_their_own_classes() -> None:
    """A Span and each shape of a Value pickle as `_shaped(class, fields)`, which the cache's unpickler builds with
    `tuple.__new__`: equal, and of the very class they were."""
    from prodcheck.model.facts import VALUE_SHAPES, Value
    from prodcheck.model.finding import Span

    name = Value("name", 7, "db")
    values = [Value("other", 1), name, Value("const", 1, "", 0), Value("seq", 1, "", None, (name,)),
              Value("dict", 1, "", None, (), ("a", name)), Value("call", 1, "f", None, (), (), True)]
    assert [type(value) for value in values] == list(VALUE_SHAPES[2:8])
    for value in (*values, Span(3, 4, 5, 6), (Span.exact(1, 1, 1, 1), values)):
        loaded = cache._ModelUnpickler(io.BytesIO(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))).load()
        assert loaded == value and type(loaded) is type(value)
        assert [type(part) for part in loaded] == [type(part) for part in value]  # type: ignore[attr-defined]  # tuples


@pytest.mark.parametrize("entry", [
    b"not a pickle",
    pickle.dumps(["a", "list"]),
    pickle.dumps({"key": ("wrong", "shape")}),
    pickle.dumps({1: 2}),
])
def test_a_corrupt_or_foreign_entry_is_ignored(tmp_path: Path, entry: bytes) -> None:
    root = _write(tmp_path / "project", PROJECT)
    cache_dir = tmp_path / "cache"
    expected = _keys(_scan(root, "--cache-dir", str(cache_dir)))
    folder = _folder(cache_dir, root)
    for name in [n for t in _tables(folder) for n in t.filenames]:
        (folder / name).write_bytes(cache._header() + entry)
    assert _keys(_scan(root, "--cache-dir", str(cache_dir))) == expected
    # Entries of the right format but an unexpected shape, under the keys the run will look up.
    for table in _tables(folder):
        assert table.entries
        for name in table.filenames:
            keys = [k for k in table.entries if table.filename_of(table.shard_of(k)) == name]
            (folder / name).write_bytes(cache._header() + pickle.dumps({k: ("x", 1) for k in keys}))
    assert _keys(_scan(root, "--cache-dir", str(cache_dir))) == expected


def test_an_entry_written_by_other_prodcheck_code_is_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "cache" / "x"
    table = cache.Table(folder, "run")
    table.put("key", ("value", 1))
    table.save()
    assert cache.Table(folder, "run").get("key") == ("value", 1)
    monkeypatch.setattr(cache, "code_hash", lambda: "0" * 32)
    assert cache.Table(folder, "run").get("key") is None


def test_the_code_hash_covers_prodcheck_source() -> None:
    assert len(cache.code_hash()) == 32
    assert cache.code_hash() == cache.code_hash()


@pytest.mark.skipif(not hasattr(os, "symlink") or sys.platform == "win32", reason="POSIX links")
def test_links_in_the_cache_folder_are_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim"
    victim.write_bytes(b"precious")
    root = _write(tmp_path / "project", PROJECT)
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    folder = _folder(cache_dir, root)
    # The project's folder is a link to somewhere else: not used at all.
    folder.symlink_to(outside, target_is_directory=True)
    report = _scan(root, "--cache-dir", str(cache_dir))
    assert sorted(p.name for p in outside.iterdir()) == ["victim"]
    folder.unlink()
    # Table files (and any temporary name) that are links: replaced or ignored, never written through.
    folder.mkdir(mode=0o700)
    for name in (*[n for t in _tables(folder) for n in t.filenames], ".run.pickle.tmp", "run.tmp"):
        (folder / name).symlink_to(victim)
    assert _keys(_scan(root, "--cache-dir", str(cache_dir))) == _keys(report)
    assert victim.read_bytes() == b"precious"
    assert not (folder / "run.pickle").is_symlink()
    # A link loop in place of the cache folder: the run goes on without a cache.
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    assert _keys(_scan(root, "--cache-dir", str(loop / "inner"))) == _keys(report)


def test_a_lazy_table_reads_many_entries_shard_by_shard_and_keeps_none(tmp_path: Path) -> None:
    """`get_many` lets go of each shard it read once its entries are unpickled; a later `put` and `save` read the
    shard again and keep every other entry of it."""
    folder = tmp_path / "cache" / "x"
    table = cache.LazyTable(folder, "facts", shards=8)
    keys = [f"key{index}" for index in range(40)]
    for key in keys:
        table.put(key, (key, 1))
    table.save(set(keys), set())
    table = cache.LazyTable(folder, "facts", shards=8)
    assert table.get_many([*keys[::-1], "missing"]) == {key: (key, 1) for key in keys} | {"missing": None}
    assert table.loaded == {}
    table.put("new", ("new", 2))
    table.save({*keys, "new"}, set())
    assert cache.LazyTable(folder, "facts", shards=8).entries == {key: (key, 1) for key in keys} | {"new": ("new", 2)}
    assert cache.LazyTable(None, "facts", shards=8).get_many(keys) == {}


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX modes")
def test_a_sharded_table_rewrites_only_the_shards_that_changed(tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "x"
    table = cache.Table(folder, "facts", shards=8)
    keys = [f"key{index}" for index in range(40)]
    for key in keys:
        table.put(key, (key, 1))
    table.save(set(keys))
    assert cache.Table(folder, "facts", shards=8).entries == {key: (key, 1) for key in keys}
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.iterdir()}
    assert len(before) == 8
    table = cache.Table(folder, "facts", shards=8)
    table.put("new", ("new", 2))
    live = set(keys[1:]) | {"new"}  # key0 is gone, "new" is new
    table.save(live)
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.iterdir()}
    rewritten = {name for name in after if after[name] != before.get(name)}
    assert rewritten == {table.filename_of(table.shard_of("new")), table.filename_of(table.shard_of("key0"))}
    assert cache.Table(folder, "facts", shards=8).entries == {key: (key, 1) for key in keys[1:]} | {"new": ("new", 2)}


def test_a_folder_others_can_write_is_not_trusted(tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "x"
    table = cache.Table(folder, "run")
    table.put("key", ("value", 1))
    table.save()
    folder.chmod(0o777)
    try:
        assert cache.Table(folder, "run").get("key") is None
    finally:
        folder.chmod(0o700)
    assert cache.Table(folder, "run").get("key") == ("value", 1)


def test_no_cache_writes_nothing(tmp_path: Path) -> None:
    root = _write(tmp_path / "project", PROJECT)
    _scan(root, "--no-cache", "--cache-dir", str(tmp_path / "cache"))
    assert not (tmp_path / "cache").exists()
