"""bench/run.py works end to end on a tiny generated tree. No timing is asserted."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import REPO


def test_bench_runs_on_a_small_generated_tree(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    completed = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--source", "generated", "-n", "20", "--repeat", "1",
         "--work", str(tmp_path / "work"), "--no-others", "--json", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Traceback" not in completed.stderr
    assert "prodcheck cold" in completed.stdout and "vs ast" in completed.stdout
    result = json.loads(out.read_text())
    assert result["python_files"] == 20
    # 20 modules + Dockerfile, compose, k8s, requirements + one workflow
    assert result["files_total"] == result["prodcheck_files"] == 25
    assert result["ast_failures"] == 0
    assert result["prodcheck_cold_s"] > 0 and result["prodcheck_warm_s"] > 0 and result["ast_parse_s"] > 0
    assert set(result["ratios"]) >= {"cold/ast", "warm/ast"}
    assert result["findings"] > 0  # the generator plants blocking calls and a root container now and then


def test_generator_is_deterministic(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "bench"))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(REPO / "bench"))
    first, second = tmp_path / "a", tmp_path / "b"
    assert generate(first, 60, seed=3) == generate(second, 60, seed=3)
    names = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(second).as_posix() for p in second.rglob("*") if p.is_file())
    assert all((first / n).read_bytes() == (second / n).read_bytes() for n in names)
