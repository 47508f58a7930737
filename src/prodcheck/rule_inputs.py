"""Cross-file rules re-run only when their own inputs moved.

Some rules read nothing of the project but its Python side (`Project.python`, a `PythonIndex`: the
facts of every parsed Python file, each file's context, the Python files left unparsed). They are
listed here (`PYTHON_ONLY`) and handed a view holding only that (`PythonOnly`), so a rule that starts
reading anything else fails loudly (an internal error) instead of serving a stale answer. Their drafts
are a function of those inputs and of prodcheck's own code (every cache file's header), so a run
whose Python inputs are the previous run's — after an edit to a Dockerfile, a compose file, a
manifest, a workflow, a README — reuses the drafts the rule made then (the `drafts` table); the engine
finalises them as it does fresh ones (context, configured severity, anchors, pragmas, dedupe).

PC501 and PC503 follow the whole project's call graph (most of a run's rule time on a large project):
they no longer re-run when only deployment files change. The inputs' key is made of each parsed
file's facts digest (the same digests the model key uses, `incremental.model_key`), its context as
the model set it, and the unparsed paths; a file without a digest (the cache is off, or its facts
could not be pickled) means no reuse.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, cast

from prodcheck import cache
from prodcheck.model.files import Context
from prodcheck.model.finding import Confidence, Fix, Location, Severity

if TYPE_CHECKING:
    from prodcheck.project import Project
    from prodcheck.project.python_index import PythonIndex
    from prodcheck.rules.base import Draft, Rule

# The rules whose `check` reads `project.python` and nothing else of the project.
PYTHON_ONLY = frozenset({"PC501", "PC503"})

# A draft as stored: its fields in `Draft`'s order (only the model's own classes are unpickled).
Stored = tuple[str, Location, Severity | None, tuple[Location, ...], Confidence, Context | None, Fix | None,
               tuple[str, ...], str]


class PythonOnly:
    """What a `PYTHON_ONLY` rule is given instead of the project: its Python index, nothing else."""

    __slots__ = ("python",)

    def __init__(self, python: PythonIndex) -> None:
        self.python = python


def python_key(index: PythonIndex, digests: Mapping[str, object]) -> str | None:
    """A digest of everything a `PythonIndex` is built from, or None when a file's facts have no digest."""
    digest = hashlib.blake2b(digest_size=20)
    for path in sorted(index.files):
        known = digests.get(path)
        if not isinstance(known, str):
            return None
        digest.update(f"\0{path}\0{known}\0{index.contexts.get(path)}".encode("utf-8", "surrogateescape"))
    for path in index.unread_paths:
        digest.update(f"\0u{path}".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def drafts_table(folder: Path | None) -> cache.Table:
    """Per `PYTHON_ONLY` rule code: the key of its inputs and the drafts it made from them."""
    return cache.Table(folder, "drafts")


class RuleInputs:
    """The drafts of the `PYTHON_ONLY` rules, kept between runs with the key of the inputs they came from."""

    def __init__(self, folder: Path | None, digests: Mapping[str, object]) -> None:
        self.table = drafts_table(folder) if folder is not None else None
        self.digests = digests
        self._key: tuple[PythonIndex, str | None] | None = None  # the inputs' key, made once for every rule

    def drafts(self, code: str, rule: Rule, project: Project) -> Iterator[Draft]:
        """The rule's drafts: those of the last run when its inputs are the same, else `rule.check`'s."""
        if code not in PYTHON_ONLY:
            yield from rule.check(project)
            return
        view = cast("Project", PythonOnly(project.python))
        key = self._key_of(project.python) if self.table is not None else None
        if key is not None and self.table is not None:
            stored = _valid(self.table.get(code), key)
            if stored is not None:
                yield from stored
                return
        made: list[Stored] = []
        for draft in rule.check(view):
            made.append(_stored(draft))  # as made: the engine may replace parts of it afterwards
            yield draft
        if key is not None and self.table is not None:
            self.table.put(code, (key, made))

    def _key_of(self, python: PythonIndex) -> str | None:
        if self._key is None or self._key[0] is not python:
            self._key = (python, python_key(python, self.digests))
        return self._key[1]

    def save(self) -> None:
        if self.table is not None and self.table.dirty:
            self.table.save()


def _stored(draft: Draft) -> Stored:
    return (draft.message, draft.location, draft.severity, draft.related, draft.confidence, draft.context,
            draft.fix, draft.secrets, draft.context_reason)


def _valid(entry: object, key: str) -> list[Draft] | None:
    """The stored drafts when the entry is for these inputs and of the expected shape, else None."""
    from prodcheck.rules.base import Draft

    if not (isinstance(entry, tuple) and len(entry) == 2 and entry[0] == key and isinstance(entry[1], list)):
        return None
    drafts = []
    for item in entry[1]:
        if not (isinstance(item, tuple) and len(item) == 9):
            return None
        message, location, severity, related, confidence, context, fix, secrets, reason = item
        if not (isinstance(message, str) and isinstance(location, Location)
                and (severity is None or isinstance(severity, Severity))
                and isinstance(related, tuple) and all(isinstance(r, Location) for r in related)
                and isinstance(confidence, Confidence) and (context is None or isinstance(context, Context))
                and (fix is None or isinstance(fix, Fix))
                and isinstance(secrets, tuple) and all(isinstance(s, str) for s in secrets)
                and isinstance(reason, str)):
            return None
        drafts.append(Draft(message, location, severity, related, confidence, context, fix, secrets, reason))
    return drafts
