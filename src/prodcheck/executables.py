"""Finding the programs prodcheck runs (git, helm) without letting a scanned repository plant one.

`subprocess.run(["git", ...], cwd=repo)` searches PATH after changing into the repository, and
`shutil.which("helm")` searches it from the current folder: a PATH with an empty or relative
entry (`PATH=/usr/bin:` or `.`) then runs a `git` or `helm` the repository committed, and so does
an absolute entry that points into it (an activated virtualenv or `node_modules/.bin` inside the
scanned folder). Here a program is looked up among PATH's absolute entries only, and one whose
real path lies inside a scanned root or the current folder is refused: prodcheck then behaves as
if the program were not installed.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def find(name: str, untrusted: Iterable[Path] = ()) -> str | None:
    """Absolute path of the program `name` (a bare name looked up on PATH, or an explicit path),
    or None when it is missing or lives inside an untrusted folder."""
    folders = [Path(os.path.realpath(folder)) for folder in (Path.cwd(), *untrusted)]

    def trusted(path: str) -> bool:
        real = Path(os.path.realpath(path))
        return not any(_inside(real, folder) for folder in folders)

    if os.sep in name or (os.altsep and os.altsep in name):
        candidate: str | None = name if os.access(name, os.X_OK) and os.path.isfile(name) else None
    else:
        entries = os.environ.get("PATH", os.defpath).split(os.pathsep)
        search = os.pathsep.join(entry for entry in entries if entry and os.path.isabs(entry) and trusted(entry))
        candidate = shutil.which(name, path=search) if search else None
    if candidate is None or not trusted(candidate):  # a symlink out of a trusted folder into the repository
        return None
    return os.path.abspath(candidate)
