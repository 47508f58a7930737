"""Policy over the rules' drafts: selection, context and configured severity, dedupe,
per-file ignores, and the lines whose secrets the reports mask."""
from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from prodcheck.discovery.walk import gitignore_spec
from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Finding, Location, Severity, mask_secret
from prodcheck.rules.base import Draft, build_finding
from prodcheck.settings import Settings

if TYPE_CHECKING:
    import pathspec

    from prodcheck.discovery.sources import SourceFile
    from prodcheck.model.facts import PyFacts
    from prodcheck.rules.base import RuleMeta


def _selected(meta: RuleMeta, settings: Settings) -> bool:
    from prodcheck.rules import matches

    if settings.select and not any(matches(meta, s) for s in settings.select):
        return False
    return not any(matches(meta, s) for s in settings.ignore)



SECRET_LINES = 50  # a secret is masked on at most this many lines of its finding's span


def _note_secrets(secrets: dict[tuple[str, int], set[str]], location: Location, values: Sequence[str]) -> None:
    span = location.span
    for line in range(span.line, min(max(span.line, span.end_line), span.line + SECRET_LINES) + 1):
        secrets.setdefault((location.path, line), set()).update(v for v in values if v)



class Placing(Protocol):
    """What finalising a draft reads of the project (`Project`, or finishing.StoredPlaces when a run finishes
    stored drafts again): each file as the model placed it, and a Python file's facts."""

    @property
    def by_path(self) -> Mapping[str, SourceFile]: ...

    @property
    def python_facts(self) -> Mapping[str, PyFacts]: ...

    def context_of(self, path: str) -> Context: ...


def _finalise(project: Placing, meta: RuleMeta, draft: object, settings: Settings) -> Finding | None:
    """Context and configured severity applied; None when the rule is silent in this context. The finding's
    anchor (its line's text) is set later, by `anchored`, when the findings are finished (finishing.py)."""
    assert isinstance(draft, Draft)
    context = draft.context or project.context_of(draft.location.path)
    if context in (Context.DEV, Context.TEST) and meta.dev == "skip":
        return None
    source = project.by_path.get(draft.location.path)
    if draft.context is not None and (source is None or draft.context != source.context):
        reason = draft.context_reason or f"the finding is about a {context.value} use (the rule's own evidence)"
    else:
        reason = source.context_reason if source is not None else ""
    if draft.context is None and context == Context.PROD and source is not None and source.kind == FileKind.PYTHON:
        from prodcheck.project.image_roles import settings_class_context

        scoped = settings_class_context(project.python_facts.get(source.path), draft.location.span.line)
        if scoped is not None:
            context, reason = scoped.context, scoped.reason
            if meta.dev == "skip":
                return None
    finding = build_finding(meta, draft, context, "", reason)
    severity = settings.severity.get(meta.code, finding.severity)
    if context in (Context.DEV, Context.TEST):
        severity = Severity.INFO if meta.dev == "downgrade" else severity
    elif context == Context.AMBIGUOUS:
        severity = Severity(max(Severity.INFO, severity - 1))  # one lower than production, never an error
    if severity != finding.severity:
        finding = replace(finding, severity=severity)
    if finding.fix is not None and context != Context.PROD:
        # `--reload` in docker-compose.override.yml is the point of that file: fixes (and `fixable`)
        # are for what production runs.
        finding = replace(finding, fix=None)
    return finding


def anchored(findings: list[Finding], by_path: Mapping[str, SourceFile]) -> list[Finding]:
    """Each finding with its anchor: its line's text, stripped, its secrets masked (the fingerprint's basis)."""
    done = []
    for finding in findings:
        source = by_path.get(finding.path)
        if source is not None:
            if source.text is None and source.data is not None:
                source.text = source.data.decode("utf-8", "replace")
            anchor = source.line(finding.span.line).strip()
            for secret in finding.secrets:
                anchor = mask_secret(anchor, secret)
            if anchor:
                finding = replace(finding, anchor=anchor)
        done.append(finding)
    return done


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: dict[tuple[str, str, int, int], Finding] = {}
    for finding in findings:
        key = (finding.code, finding.path, finding.span.line, finding.span.column)
        current = seen.get(key)
        if current is None or finding.severity > current.severity:
            seen[key] = finding
    return list(seen.values())


@lru_cache(maxsize=256)
def _glob(pattern: str) -> pathspec.GitIgnoreSpec:
    return gitignore_spec([pattern])


def _per_file_ignored(code: str, name: str, path: str, settings: Settings) -> bool:
    for glob, selectors in settings.per_file_ignores.items():
        if fnmatch.fnmatch(path, glob) or _glob(glob).match_file(path):
            if any(s.upper() == code or s.lower() == name or code.startswith(s.upper()) for s in selectors):
                return True
    return False


def _apply_per_file_ignores(findings: list[Finding], settings: Settings) -> list[Finding]:
    if not settings.per_file_ignores:
        return findings
    return [f for f in findings if not _per_file_ignored(f.code, f.name, f.path, settings)]
