"""The public evaluation sample must pass: every core finding, dev files quiet, no trap, clean stays clean."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REPO, SHARED

SCORE = SHARED / "eval" / "score.py"


def test_eval_sample_passes() -> None:
    if not SCORE.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{SCORE} is missing")
        pytest.skip("shared/eval not beside this checkout")
    command = f"{sys.executable} -m prodcheck --no-cache"
    done = subprocess.run([sys.executable, str(SCORE), "--check"], capture_output=True, text=True,
                          env={**os.environ, "PRODCHECK_CMD": command}, cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
