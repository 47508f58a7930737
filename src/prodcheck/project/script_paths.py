"""Which file of the repository a path written in a deployment file names: a start script as a container sees
it (`/app/scripts/start.sh`), a path under a variable (`${PROJECT_DIR}/backend/Dockerfile`), matched by the
trailing parts it shares with the repository's files."""
from __future__ import annotations

import posixpath
from collections.abc import Iterable
from functools import cached_property

from prodcheck.model.files import FileKind
from prodcheck.project.sources import SourceFile
from prodcheck.lazy_pattern import lazy


class FilesByPath(dict[str, SourceFile]):
    """A project's files by path (never changed once built), with its shell scripts indexed by file
    name once instead of scanning every file for every command that might name a script."""

    @cached_property
    def shells_by_name(self) -> dict[str, list[SourceFile]]:
        index: dict[str, list[SourceFile]] = {}
        for source in self.values():
            if source.kind == FileKind.SHELL:
                index.setdefault(source.path.rsplit("/", 1)[-1], []).append(source)
        return index


def shell_files_named(files_by_path: dict[str, SourceFile], name: str) -> list[SourceFile]:
    if isinstance(files_by_path, FilesByPath):
        return files_by_path.shells_by_name.get(name, [])
    return [f for f in files_by_path.values() if f.kind == FileKind.SHELL and f.path.rsplit("/", 1)[-1] == name]


def resolve_script(files_by_path: dict[str, SourceFile], token: str, workdir: str = "",
                   near: str = "") -> SourceFile | None:
    """A script path as a container sees it (`/app/scripts/start.sh`, `./start.sh`) -> the repo file.
    Between scripts that match equally well, the one nearest `near` (the file that runs it) wins."""
    token = token.strip("'\"")
    if not token or token.startswith("-") or "$" in token:
        return None
    if not (token.endswith(".sh") or "/" in token):
        return None
    normalized = posixpath.normpath(posixpath.join(workdir or "/", token)).lstrip("/")
    parts = normalized.split("/")
    # Only a script of the same file name can share a trailing path with the token.
    candidates = shell_files_named(files_by_path, parts[-1])
    best = None
    best_len = 0
    for candidate in candidates:
        shared = shared_tail(parts, candidate.path.split("/"))
        if shared > best_len or (shared == best_len and best is not None and near
                                 and _common_folders(candidate.path, near) > _common_folders(best.path, near)):
            best, best_len = candidate, shared
    return best


_LEADING_VARIABLE = lazy(r"^\$(?:\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)/")


def under_variable(path: str) -> str | None:
    """What a path writes after a leading `${PROJECT_DIR}/` or `$ROOT/`, or None when it has no such variable."""
    match = _LEADING_VARIABLE.match(path)
    return posixpath.normpath(path[match.end():]) if match else None


def by_written_tail(tail: str, paths: Iterable[str]) -> str | None:
    """The one path of `paths` that is `tail` or ends with it (`${PATHS_PROJECT_DIR}/backend` + `Dockerfile.api`:
    `backend/Dockerfile.api`, wherever the variable points), or None when none or several do."""
    found = [path for path in paths if path == tail or path.endswith(f"/{tail}")]
    return found[0] if len(found) == 1 else None


def shared_tail(parts: list[str], other: list[str]) -> int:
    """How many trailing path parts two paths share (`app/start.sh` and `docker/app/start.sh`: 2)."""
    shared = 0
    while shared < min(len(parts), len(other)) and parts[-1 - shared] == other[-1 - shared]:
        shared += 1
    return shared


def _common_folders(path: str, other: str) -> int:
    count = 0
    for a, b in zip(path.split("/")[:-1], other.split("/")[:-1], strict=False):
        if a != b:
            break
        count += 1
    return count
