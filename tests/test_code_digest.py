"""The digest of prodcheck's source kept by the files' status (code_digest.py): the digest of the bytes, and hashed
again when any file's status moves."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from prodcheck import cache, code_digest
from conftest import OLD_NS, write_aged
from prodcheck.code_digest import package_digest


def _hashed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A counter of the digests made from the bytes (not taken from the folder)."""
    made: list[int] = []
    original = code_digest.hashlib.blake2b

    def counting(*args: object, **kwargs: object) -> object:
        if not args:
            made.append(1)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(code_digest.hashlib, "blake2b", counting)
    return made


def test_the_kept_digest_is_the_digest_of_the_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = str(write_aged(tmp_path / "pkg", {"a.py": "x = 1\n", "sub/b.py": "y = 2\n", "data/k.toml": "a = 1\n",
                                                "notes.txt": "not source\n"}))
    folder = tmp_path / "cache"
    fresh = package_digest(package, None)
    assert package_digest(package, folder) == fresh  # written only when every file is settled: not yet
    monkeypatch.setattr(code_digest, "SETTLED_NS", -10 * 1_000_000_000)  # (the files' status-change time is now)
    assert package_digest(package, folder) == fresh and (folder / "code.stat").exists()
    made = _hashed(monkeypatch)
    assert package_digest(package, folder) == fresh and not made  # the kept digest


@pytest.mark.parametrize("change", ["edit", "same size and times", "add", "remove", "replace", "rename"])
def test_any_change_of_a_file_hashes_the_bytes_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     change: str) -> None:
    monkeypatch.setattr(code_digest, "SETTLED_NS", -10 * 1_000_000_000)
    root = tmp_path / "pkg"
    package = str(write_aged(root, {"a.py": "x = 1\n", "b.py": "y = 2\n"}))
    folder = tmp_path / "cache"
    package_digest(package, folder)
    if change == "edit":
        (root / "a.py").write_text("x = 10\n")
    elif change == "same size and times":
        (root / "a.py").write_text("x = 3\n")
        os.utime(root / "a.py", ns=(OLD_NS, OLD_NS))
    elif change == "add":
        write_aged(root, {"c.toml": "z = 1\n"})
    elif change == "remove":
        (root / "b.py").unlink()
    elif change == "replace":
        write_aged(tmp_path, {"other.py": "y = 2\n"})
        os.replace(tmp_path / "other.py", root / "b.py")
    else:
        (root / "b.py").rename(root / "c.py")
    made = _hashed(monkeypatch)
    assert package_digest(package, folder) == package_digest(package, None)
    assert made


def test_a_kept_digest_of_another_shape_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(code_digest, "SETTLED_NS", -10 * 1_000_000_000)
    package = str(write_aged(tmp_path / "pkg", {"a.py": "x = 1\n"}))
    folder = tmp_path / "cache"
    package_digest(package, folder)
    statuses = (folder / "code.stat").read_bytes().split()[0]
    for kept in (statuses + b" short", statuses + b" " + b"-" * 32, b"garbage"):
        (folder / "code.stat").write_bytes(kept)
        assert package_digest(package, folder) == package_digest(package, None)


def test_the_installed_code_hash_is_the_package_digest() -> None:
    package = os.path.dirname(os.path.realpath(cache.__file__))
    assert cache.code_hash() == package_digest(package, None)
