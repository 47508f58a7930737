"""Random edits, each re-checked with the cache and without it: the two reports are the same.

The edits are the ones a developer makes between two runs (a comment, a blank line, a line deleted or doubled, a
statement appended, a pragma on a flagged line, a file copied or removed), on a small service with findings of
every core rule across Python, a Dockerfile, compose, Kubernetes and a start script (tests/fixtures/incremental_mix).
Each edit goes through a different reuse of the cache: nothing moved for the rules (incremental.py), only what the
finishing steps read moved (finishing.py), a fact moved (the rules run on facts partly loaded from the cache), a
file came or went. The examples are derandomised: the same ones run every time."""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prodcheck.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "incremental_mix"
FILES = sorted(str(path.relative_to(FIXTURE)) for path in FIXTURE.rglob("*") if path.is_file())
KINDS = ("comment", "blank", "delete", "double", "append", "pragma", "copy", "remove")


def _scan(root: Path, *args: str) -> list[str]:
    result = CliRunner().invoke(main, ["check", str(root), "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    assert "internal error" not in result.output, result.output[-3000:]
    return sorted(json.dumps(finding, sort_keys=True) for finding in json.loads(result.stdout)["findings"])


def _comment(path: str) -> str:
    return "//" if path.endswith(".json") else "#"


def _apply(root: Path, findings: list[str], edit: tuple[str, int, str]) -> None:
    """One edit of `edit` (file, a number picking a line or a finding, kind) to the project under `root`."""
    relative, number, kind = edit
    if kind == "pragma" and findings:
        found = json.loads(findings[number % len(findings)])
        relative, line = found["path"], found["line"]
        path = root / relative
        if not path.is_file():
            return
        lines = path.read_text().split("\n")
        index = min(line - 1, len(lines) - 1)
        lines[index] += f"  # prodcheck: ignore[{found['code']}]"
        path.write_text("\n".join(lines))
        return
    path = root / relative
    if not path.is_file():
        return
    if kind == "remove":
        path.unlink()
        return
    text = path.read_text()
    if kind == "copy":
        path.with_name(f"copy_{number}_{path.name}").write_text(text)
        return
    lines = text.split("\n")
    index = number % len(lines)
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    if kind == "comment":
        lines.insert(index, f"{indent}{_comment(relative)} edited {number}")
    elif kind == "blank":
        lines.insert(index, "")
    elif kind == "delete":
        del lines[index]
    elif kind == "double":
        lines.insert(index, lines[index])
    elif kind == "append":
        lines.append(f"EDITED_{number} = {number}" if relative.endswith(".py") else f"# edited {number}")
    path.write_text("\n".join(lines))


@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(FILES), st.integers(0, 60), st.sampled_from(KINDS)), min_size=2,
                max_size=4))
def test_a_cached_run_after_random_edits_reports_what_a_run_without_the_cache_reports(
        edits: list[tuple[str, int, str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "project"
        shutil.copytree(FIXTURE, root)
        cache_dir = str(Path(folder) / "cache")
        findings = _scan(root, "--cache-dir", cache_dir)
        assert any('"PC501"' in finding for finding in findings)  # the fixture's findings are there to be moved
        for edit in edits:
            _apply(root, findings, edit)
            findings = _scan(root, "--cache-dir", cache_dir)
            assert findings == _scan(root, "--no-cache"), edit
