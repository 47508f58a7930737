"""Where reported paths are anchored: the repository top-level, so CI services resolve them."""
from __future__ import annotations

import os
from pathlib import Path


def repository_base(root: Path) -> tuple[Path, str]:
    """(base folder, prefix to put before root-relative paths).

    Code scanning and workflow annotations resolve paths against the repository checkout, so when
    the scanned root is a sub-folder of a git work tree (or of $GITHUB_WORKSPACE / $CI_PROJECT_DIR), paths are made
    relative to that instead of to the scanned root. No git command runs: `.git` is looked up.
    """
    root = root.resolve()
    candidates: list[Path] = []
    for variable in ("GITHUB_WORKSPACE", "CI_PROJECT_DIR"):  # GitHub Actions, GitLab CI
        workspace = os.environ.get(variable)
        if workspace:
            candidates.append(Path(workspace).resolve())
    candidates.extend(d for d in (root, *root.parents) if (d / ".git").exists())
    for base in candidates:
        if base == root:
            return root, ""
        if base in root.parents:
            return base, root.relative_to(base).as_posix() + "/"
    return root, ""
