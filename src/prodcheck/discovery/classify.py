"""Path (and, for YAML, content) -> FileKind."""
from __future__ import annotations

import fnmatch
import os
import re
import stat

from prodcheck.knowledge import load
from prodcheck.model.files import FileKind
from prodcheck.parsing.kinds import declared_kind_of
from prodcheck.lazy_pattern import lazy

_DOCKERFILES = load("files")["dockerfiles"]
_BASE = "|".join(re.escape(name) for name in _DOCKERFILES["names"])
# `Dockerfile`, `dockerfile`, `Dockerfile.prod`, `Dockerfile-worker`, `Dockerfile_alerts`, `api.Dockerfile`
_DOCKERFILE = lazy(rf"^(?:{_BASE})(?:[.\-_].+)?$|^.+\.(?:{_BASE})$", re.IGNORECASE)
_NOT_DOCKERFILE = tuple(f".{extension}" for extension in _DOCKERFILES["other_extensions"])
_COMPOSE = lazy(r"^(?:docker-)?compose(?:[.-].*)?\.ya?ml$")
_ENV = lazy(r"^\.env(?:\..+)?$|^.+\.env$")
_REQUIREMENTS = lazy(r"^requirements.*\.(?:txt|in)$")
_LOCKFILES = frozenset(load("files")["lockfiles"]["names"])
_LOCK = lazy(r"^(?:requirements.*\.lock|pylock\..+\.toml|.+\.lock\.txt)$")
_PLATFORM = frozenset(load("files")["platforms"])


def classify(relpath: str) -> FileKind | str | None:
    """The kind a file is by its path alone; plain YAML is refined later from its documents."""
    name = relpath.rsplit("/", 1)[-1]
    lowered = name.lower()
    # (fnmatch asked only of a name that can match: it lowers the case where the platform does)
    if lowered.startswith("gunicorn") and (name == "gunicorn.conf.py" or fnmatch.fnmatch(name, "gunicorn*.conf.py")
                                           or name == "gunicorn_conf.py"):
        return FileKind.GUNICORN_CONF
    if lowered.endswith(".py"):
        return FileKind.PYTHON
    if lowered == ".dockerignore" or lowered.endswith(".dockerignore"):
        return FileKind.DOCKERIGNORE
    if _DOCKERFILE.match(name) and not lowered.endswith(_NOT_DOCKERFILE):
        return FileKind.DOCKERFILE
    if relpath.startswith(".github/workflows/") and lowered.endswith((".yml", ".yaml")):
        return FileKind.WORKFLOW
    if _COMPOSE.match(lowered):
        return FileKind.COMPOSE
    if lowered in _PLATFORM:
        return FileKind.PLATFORM
    if lowered.endswith((".yml", ".yaml")):
        return FileKind.YAML
    if name in {"Makefile", "makefile", "GNUmakefile", "justfile", "Justfile", ".justfile"} or lowered.endswith(".mk"):
        return FileKind.MAKEFILE
    if lowered.endswith(".service"):
        return FileKind.SYSTEMD
    if lowered in {"supervisord.conf", "supervisor.conf"} or (lowered.endswith(".conf") and "supervisor" in relpath.lower()):
        return FileKind.SUPERVISOR
    if name == "Procfile" or name.startswith("Procfile."):
        return FileKind.PROCFILE
    if lowered.endswith(".sh") or name in {"docker-entrypoint", "entrypoint", "start", "prestart"}:
        return FileKind.SHELL
    if name == "alembic.ini":
        return FileKind.ALEMBIC_INI
    if _ENV.match(name):
        return FileKind.ENV
    if lowered in _LOCKFILES or _LOCK.match(lowered):
        return FileKind.LOCKFILE
    if _REQUIREMENTS.match(lowered) or (lowered.endswith((".txt", ".in")) and "/requirements/" in f"/{relpath}"):
        return FileKind.REQUIREMENTS
    if name == "pyproject.toml":
        return FileKind.PYPROJECT
    if lowered == "postgresql.conf" or lowered.endswith("postgresql.conf"):
        return FileKind.POSTGRES_CONF
    declared = declared_kind_of(relpath)  # a kind its parser module declares (prodcheck.parsing.kinds)
    return declared.name if declared is not None else None


_SHEBANG_WORDS = frozenset(load("files")["shebang_scripts"]["words"])
# `#!/bin/sh`, `#!/usr/bin/env bash`, `#!/bin/dash`: the first line of a shell script that has no extension
_SHELL_SHEBANG = lazy(rb"#!\s*(?:/usr)?(?:/local)?/bin/(?:env\s+)?(?:ba|da|z|k|a)?sh\b")


def shebang_kind(root: str, relpath: str) -> FileKind | None:
    """A file without an extension, named like a start script (knowledge/files.toml [shebang_scripts]), whose first
    line runs a shell (`docker/init_scripts/init`, `scripts/start`, an s2i `run`): a shell script. Only its first 64 bytes are read, and never through a symbolic
    link or from anything but a regular file."""
    name = relpath.rsplit("/", 1)[-1]
    if "." in name or not any(word in _SHEBANG_WORDS for word in re.split(r"[-_]", name.lower())):
        return None
    try:
        descriptor = os.open(os.path.join(root, relpath), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        head = os.read(descriptor, 64)
    except OSError:
        return None
    finally:
        os.close(descriptor)
    return FileKind.SHELL if _SHELL_SHEBANG.match(head) else None
