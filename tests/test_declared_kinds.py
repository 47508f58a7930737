"""A file kind declared by its parser alone: classified, parsed before any rule, PC000 when broken."""
from __future__ import annotations

from pathlib import Path

from prodcheck import engine
from prodcheck.discovery.classify import classify
from prodcheck.parsing import ParseError
from prodcheck.parsing.kinds import DeclaredKind, register, unregister
from prodcheck.project import Project
from prodcheck.settings import Settings


def _parse_pairs(path: str, text: str) -> dict[str, str]:
    pairs = {}
    for number, line in enumerate(text.splitlines(), 1):
        key, sep, value = line.partition("=")
        if not sep:
            raise ParseError(f"line {number} is not key=value", number)
        pairs[key.strip()] = value.strip()
    return pairs


def test_declared_kind_is_classified_parsed_up_front_and_reported(tmp_path: Path) -> None:
    register(DeclaredKind("pairs", lambda relpath: relpath.endswith(".pairs"), _parse_pairs))
    try:
        (tmp_path / "good.pairs").write_text("workers = 4\n", encoding="utf-8")
        (tmp_path / "bad.pairs").write_text("workers = 4\nnot a pair\n", encoding="utf-8")
        assert classify("conf/good.pairs") == "pairs"
        result = engine.run(tmp_path, Settings(select=("PC000",), use_cache=False))
        assert [(f.path, f.span.line) for f in result.findings] == [("bad.pairs", 2)]
        files = engine.discover(tmp_path, Settings(use_cache=False))
        project = Project(tmp_path, files, {}, Settings(use_cache=False))
        project.parse_all()
        (good,) = project.of_kind("pairs")
        assert project.parsed(good) == {"workers": "4"}
    finally:
        unregister("pairs")
    assert classify("conf/good.pairs") is None
