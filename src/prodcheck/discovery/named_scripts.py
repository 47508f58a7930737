"""Shell scripts a .gitignore leaves out that the deployment still runs.

A `.gitignore` says which files git should not pick up, not which files the repository holds: a script committed
before the pattern was added (`*.sh` in the root .gitignore, `api/entrypoint.sh` committed anyway) stays in the
repository, and the Procfile or Dockerfile that runs it (`web: ./entrypoint.sh`, `COPY docker-entrypoint.sh ...`)
deploys it. Such a script is read when a deployment file discovered beside it names it; an ignored script nothing
names stays out, as a developer's local helper does.
"""
from __future__ import annotations

import re

from prodcheck.discovery.sources import SourceFile
from prodcheck.discovery.walk import Walked
from prodcheck.model.files import FileKind

# The discovered files whose text can name a script a deployment runs.
NAMING_KINDS = frozenset({FileKind.DOCKERFILE, FileKind.COMPOSE, FileKind.PROCFILE, FileKind.K8S, FileKind.SHELL})


def named_scripts(sources: list[SourceFile], ignored: list[Walked]) -> list[Walked]:
    """The ignored shell scripts whose file name a discovered deployment file's text (as discovery read it) names
    as a word."""
    scripts = [entry for entry in ignored if entry.kind == FileKind.SHELL]
    if not scripts:
        return []
    names = {entry.relpath.rsplit("/", 1)[-1] for entry in scripts}
    pattern = re.compile(r"(?<![\w.-])(" + "|".join(re.escape(name) for name in sorted(names)) + r")(?![\w.-])")
    named: set[str] = set()
    for source in sources:
        data = source.raw if source.kind in NAMING_KINDS else None
        if data is not None:
            named.update(pattern.findall(data.decode("utf-8", "replace")))
    return [entry for entry in scripts if entry.relpath.rsplit("/", 1)[-1] in named]
