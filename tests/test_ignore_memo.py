"""The ignore files' answers remembered across runs (discovery/ignore_memo.py): the same files as asking the
patterns every run, and never an answer of patterns that changed."""
from __future__ import annotations

from pathlib import Path

import pytest

from prodcheck import engine
from prodcheck.discovery import ignore_memo, walk
from prodcheck.settings import Settings


def _tree(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)


def _paths(root: Path, settings: Settings) -> list[str]:
    return [source.path for source in engine.discover(root, settings)]


def _asked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A counter of the ignore files whose patterns are asked (`lazy_spec` built)."""
    calls: list[int] = []
    original = walk.lazy_spec

    def counting(lines: list[str] | tuple[str, ...]) -> walk.Spec:
        calls.append(len(lines))
        return original(lines)

    monkeypatch.setattr(walk, "lazy_spec", counting)
    return calls


def test_a_rerun_answers_from_memory_and_an_edited_ignore_file_is_asked_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    _tree(root, {".gitignore": "*.log.py\ngen/\n!keep.log.py\n", "app/main.py": "x = 1\n",
                 "app/debug.log.py": "x = 1\n", "keep.log.py": "x = 1\n", "gen/code.py": "x = 1\n",
                 "sub/.gitignore": "local.py\n", "sub/local.py": "x = 1\n", "sub/other.py": "x = 1\n"})
    cached = Settings(cache_dir=str(tmp_path / "cache"))
    expected = _paths(root, Settings(use_cache=False))
    assert expected == ["keep.log.py", "app/main.py", "sub/other.py"]
    asked = _asked(monkeypatch)
    assert _paths(root, cached) == expected and len(asked) == 2  # first run: both ignore files asked
    assert _paths(root, cached) == expected and len(asked) == 2  # re-run: every answer remembered

    (root / ".gitignore").write_text("*.log.py\n")  # the negation and `gen/` gone: an edited file is asked again
    assert _paths(root, cached) == ["app/main.py", "gen/code.py", "sub/other.py"]
    assert asked == [3, 1, 1]  # the edited root file asked again; the other one answered from memory
    assert _paths(root, Settings(use_cache=False)) == ["app/main.py", "gen/code.py", "sub/other.py"]
    (root / "app/new.log.py").write_text("x = 1\n")  # a new file under remembered patterns is asked of them
    (root / "sub/local2.py").write_text("x = 1\n")
    assert _paths(root, cached) == _paths(root, Settings(use_cache=False)) == [
        "app/main.py", "gen/code.py", "sub/local2.py", "sub/other.py"]


def test_a_remembered_answer_that_is_not_one_is_asked_again(tmp_path: Path) -> None:
    """Whatever the cache holds, only a bool is an answer (anything else is asked of the patterns), and only the
    answers of this run's ignore files are kept."""
    memo = ignore_memo.IgnoreMemo()
    spec = memo.spec(["*.py"])
    remembered = spec[0]
    assert isinstance(remembered, ignore_memo.Remembered)
    remembered.before = {"a.py": "yes", "b.txt": True, "c.txt": 1}
    assert walk._matches(spec, "a.py") is True and walk._matches(spec, "c.txt") is False
    assert walk._matches(spec, "b.txt") is True  # as remembered: the cache said so under the same patterns
    assert remembered.computed and remembered.now == {"a.py": True, "c.txt": False, "b.txt": True}
