"""The last steps of a run, after the rules: each finding's anchor (its line's text), dedupe, per-file ignores,
copies merged, pragmas applied and the unused ones reported (PC001).

They read the files' bytes only here (`sources.finishing` notes those uses apart), and a Python file's pragmas
are read from its bytes rather than kept with its facts. So an edit that moves no fact and nothing a rule read
directly (a comment, or a `# prodcheck: ignore[...]` added at the end of a flagged line) changes only what these
steps read: the engine finishes the drafts the last run kept (`Staged`) again (`refinish`) instead of running
the model and every rule.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from prodcheck.discovery.sources import PRAGMA_MARK, PYTHON_KINDS, SourceFile, finishing
from prodcheck.model.files import Context
from prodcheck.model.finding import Finding, Location, Span
from prodcheck.settings import Settings

if TYPE_CHECKING:
    from prodcheck.model.facts import PyFacts
    from prodcheck.policy import Placing
    from prodcheck.rules.base import RuleMeta
    from prodcheck.suppress import Pragmas


# What the rules made, kept to be finished again: the findings before anchors, dedupe, copies and pragmas; and the
# context (and its reason) the model gave each file whose context is not the one discovery gave it.
Staged = tuple[list[Finding], dict[str, tuple[Context, str]]]


def finish(findings: list[Finding], files: list[SourceFile], place: Placing, settings: Settings, root: Path,
           metas: Callable[[], Mapping[str, RuleMeta]], parsed: Collection[str]) -> tuple[list[Finding], int]:
    """(kept, suppressed): the rules' findings finished. `metas`: every rule's, asked only when a pragma is found;
    `parsed`: the Python files the rules had facts of (their pragmas are comments, the others' any line)."""
    from prodcheck.copies import merge_copies
    from prodcheck.policy import _apply_per_file_ignores, _dedupe, anchored

    with finishing():
        findings = anchored(findings, place.by_path)
        findings = _dedupe(findings)
        findings = _apply_per_file_ignores(findings, settings)
        findings = merge_copies(findings, place.by_path, root)
        pragmas = read_pragmas(files, parsed)
        kept: list[Finding] = []
        suppressed = 0
        for finding in findings:
            if pragmas.suppresses(finding):
                suppressed += 1
            else:
                kept.append(finding)
        if pragmas.by_path:
            kept.extend(_unused(pragmas, place, settings, metas()))
        kept.sort(key=Finding.sort_key)
    return kept, suppressed


def read_pragmas(files: list[SourceFile], parsed: Collection[str]) -> Pragmas:
    """Every file's pragmas: a parsed Python file's comments, any other file's lines."""
    from prodcheck.extract.file_facts import pragma_comments
    from prodcheck.suppress import Pragmas

    pragmas = Pragmas()
    for source in files:
        if source.kind in PYTHON_KINDS:
            if not source.holds(PRAGMA_MARK, note=False):
                continue  # (whether it holds the mark is kept with the findings: `marked`)
            data = source.data or b""
            if source.path in parsed:
                comments = pragma_comments(data, source.path)
                if comments:
                    pragmas.add_comments(source.path, comments, data.decode("utf-8", "replace").splitlines())
            else:
                # No tokens for a file that does not parse (ignore-file[PC000]) or that the prefilter left
                # unparsed (its pragmas still count for PC001): read its pragmas as text.
                pragmas.add_from_text(source.path, data.decode("utf-8", "replace"))
        elif source.text and "prodcheck" in source.text:
            pragmas.add_from_text(source.path, source.text)
    return pragmas


def marked(files: list[SourceFile]) -> tuple[str, ...]:
    """The Python files that may hold a pragma: a file that gains or loses one is finished again."""
    return tuple(source.path for source in files
                 if source.kind in PYTHON_KINDS and source.holds(PRAGMA_MARK, note=False))


def _unused(pragmas: Pragmas, place: Placing, settings: Settings, metas: Mapping[str, RuleMeta]) -> list[Finding]:
    """PC001: the pragmas that suppress nothing among the enabled rules."""
    from prodcheck.policy import _finalise, _per_file_ignored, _selected, anchored
    from prodcheck.rules.base import Draft

    if not _selected(metas["PC001"], settings):
        return []

    def enabled(code: str, path: str) -> bool:
        meta = metas.get(code)
        return meta is not None and _selected(meta, settings) and not _per_file_ignored(code, meta.name, path, settings)

    def resolve(selector: str) -> str | None:
        meta = _rule_for(selector)
        return meta.code if meta else None

    found: list[Finding] = []
    for unused in pragmas.unused_reports(resolve, enabled):
        pragma = unused.pragma
        draft = Draft(unused.message, Location(pragma.path, Span(pragma.line, pragma.column, pragma.line,
                                                                 pragma.column + len(pragma.text))))
        finding = _finalise(place, metas["PC001"], draft, settings)
        if finding is not None:
            found.extend(anchored([finding], place.by_path))
    return found


def _rule_for(selector: str) -> RuleMeta | None:
    from prodcheck.rules import by_code_or_name

    rule = by_code_or_name(selector)
    return rule.meta if rule else None


class StoredPlaces:
    """The project as finalising reads it (`policy.Placing`), from a stored run: each file in the context the model
    gave it then, and a Python file's facts loaded from the cache when asked (`facts_of`)."""

    def __init__(self, files: list[SourceFile], contexts: Mapping[str, tuple[Context, str]],
                 facts_of: Callable[[str], PyFacts | None]) -> None:
        self.by_path = {source.path: source for source in files}
        for path, (context, reason) in contexts.items():
            source = self.by_path[path]
            source.context, source.context_reason = context, reason
        self.python_facts = _Loaded(facts_of)

    def context_of(self, path: str) -> Context:
        source = self.by_path.get(path)
        return source.context if source else Context.PROD


class _Loaded(Mapping[str, "PyFacts"]):
    """A Python file's facts, loaded when asked for (`get`, the one question finalising asks)."""

    def __init__(self, facts_of: Callable[[str], PyFacts | None]) -> None:
        self._facts_of = facts_of
        self._known: dict[str, PyFacts | None] = {}

    def __getitem__(self, path: str) -> PyFacts:
        if path not in self._known:
            self._known[path] = self._facts_of(path)
        found = self._known[path]
        if found is None:
            raise KeyError(path)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(path for path, facts in self._known.items() if facts is not None)

    def __len__(self) -> int:
        return sum(facts is not None for facts in self._known.values())
