"""The second round of the parse (python_links.py): the project modules that parsed async code imports and the
prefilter skipped, followed through the links of the parsed files, or, when the round's inputs are the last
run's (`python_links.rounds_key`), the files that run parsed, without reading a file's links; when only a parsed
file's facts moved and not its links (a statement edited: `links_key`), the same files, from the links alone."""
from __future__ import annotations

from prodcheck.discovery.sources import SourceFile
from prodcheck.model.facts import PyFacts
from prodcheck.python_links import Links, Modules, links_of, named, rounds_key
from prodcheck.python_pass import SECOND, PythonPlan, _extract, _second
from prodcheck.settings import Settings


def second_round(plan: PythonPlan, settings: Settings) -> None:
    """Parse the project modules that async code imports and the prefilter skipped, and the ones those import
    in turn, through the parsed modules they reach (packages' `__init__.py` re-exports; python_links.py)."""
    skipped = {source.path: source for source in plan.unparsed if source.error is None}
    if not skipped:
        return
    # The files it parsed the last time its inputs were these (a comment edited: no fact moved), without
    # reading any file's links.
    key = rounds_key(plan.digests, plan.keys, plan.checked) if plan.folder is not None else None
    known = plan.rounds.get(key) if key is not None else None
    by_links = None
    if not _valid(known, skipped) and key is not None:
        # A fact moved (a statement edited): when no parsed file's links did, the round is the last run's all the
        # same. Made before the round adds its files to the plan: of the first round's files only.
        by_links = links_key(plan)
        known = plan.rounds.get(by_links) if by_links is not None else None
        if _valid(known, skipped) and by_links is not None:
            _remember(plan, {key: known, by_links: known})  # type: ignore[dict-item]  # a tuple of paths (`_valid`)
    if _valid(known, skipped):
        assert isinstance(known, tuple)
        _parse_second(plan, skipped, list(known), settings)
    else:
        _follow_links(plan, skipped, settings)
        if key is not None and not plan.links_missed:
            parsed = tuple(path for path in plan.keys if path in plan.second)
            _remember(plan, {key: parsed} if by_links is None else {key: parsed, by_links: parsed})
    if plan.second:
        plan.unparsed = [source for source in plan.unparsed if source.path not in plan.second]


def _valid(known: object, skipped: dict[str, SourceFile]) -> bool:
    return isinstance(known, tuple) and all(isinstance(path, str) and path in skipped for path in known)


def _remember(plan: PythonPlan, entries: dict[str, tuple[str, ...]]) -> None:
    """The round's files under the keys of its inputs (by facts digests, by links): those of this run only."""
    if plan.rounds.entries != entries:
        plan.rounds.entries.clear()
        for key, parsed in entries.items():
            plan.rounds.put(key, parsed)


def links_key(plan: PythonPlan) -> str | None:
    """`rounds_key` with each parsed file's links (`_links`) in place of its facts digest: the round reads a
    parsed file's facts only through them. None when a file's links are not known (`links_missed`)."""
    missed = plan.links_missed
    parsed = {path: _links(plan, path) for path in plan.keys}
    if plan.links_missed:
        plan.links_missed = missed  # the round says whether the files it reaches miss theirs
        return None
    return rounds_key(parsed, plan.keys, plan.checked, "l")


def _follow_links(plan: PythonPlan, skipped: dict[str, SourceFile], settings: Settings) -> None:
    """From every parsed file with async code, the modules it imports, round after round (python_links.py)."""
    modules = Modules([*plan.keys, *(source.path for source in plan.unparsed)])
    # Each file's links once: a file of the first round is asked here, and again when the round follows it.
    links = {path: _links(plan, path) for path in list(plan.keys)}
    frontier = [path for path, (is_async, _) in links.items() if is_async]
    seen = set(frontier)
    while frontier:
        selected: list[str] = []
        following: list[str] = []
        for path in frontier:
            known = links.get(path)
            for found in named((known or _links(plan, path))[1], modules, path):
                if found in seen:
                    continue
                seen.add(found)
                if found in skipped:
                    selected.append(found)
                elif found in plan.keys:
                    # a package that re-exports the helper (`from app.crud import X`); a module the prefilter
                    # read, whose classes derive from a base in one it skipped (links_of)
                    following.append(found)
        _parse_second(plan, skipped, selected, settings)
        frontier = [path for path in selected if path in plan.keys] + following  # not one changed since it was read


def _parse_second(plan: PythonPlan, skipped: dict[str, SourceFile], selected: list[str], settings: Settings) -> None:
    """The selected files, skipped by the prefilter, are parsed: their digests from the index, or extracted now."""
    pending: list[tuple[str, bytes, bool]] = []
    for path in selected:
        source = skipped[path]
        key = plan.checked[path]
        known = plan.index.get(key)
        cached = _second(known)
        data = None if cached else source.raw
        if not cached and data is None:
            continue  # packed, then changed or gone (SourceFile.pack; the first round packs no skipped file)
        del plan.checked[path]
        plan.second.add(path)
        plan.sources[path] = source
        plan.keys[path] = key
        if data is None:
            assert isinstance(known, str)
            plan.digests[path] = known[len(SECOND):]
        else:
            pending.append((path, data, path in plan.reduced))
    extracted = [path for path, _, _ in pending]
    _extract(plan, pending, settings, None)  # (which empties `pending`)
    _revert_failed(plan, extracted)


def _revert_failed(plan: PythonPlan, extracted: list[str]) -> None:
    """A file the round selected before its syntax check (python_pass.py `_check_unchecked`) that does not parse
    is a skipped file again, with its error in the index, as the check would have left it."""
    for path in extracted:
        source = plan.sources[path]
        if source.error is None:
            continue
        error = plan.digests.pop(path)
        key = plan.keys.pop(path)
        del plan.sources[path]
        plan.second.discard(path)
        plan.checked[path] = key
        plan.index.put(key, error)


def _links(plan: PythonPlan, path: str) -> Links:
    """What the second round follows from a parsed file: from its facts, or from the links table when its
    facts are in the cache and not loaded (then loaded only when the table misses it)."""
    key = plan.keys[path]
    facts = plan.facts.get(path)
    if facts is None:
        known = plan.links.get(key)
        if isinstance(known, tuple):
            return known
        cached = plan.table.get(key) if plan.sources[path].error is None else None
        if not isinstance(cached, PyFacts):
            plan.links_missed = plan.links_missed or plan.sources[path].error is None
            return False, ()
        facts = plan.facts[path] = cached
    found = links_of(path, facts, path in plan.second)
    if plan.links.get(key) != found:
        plan.links.put(key, found)
    return found
