"""Enumerate the files of a project: .gitignore honoured, venvs, caches and build output skipped."""
from __future__ import annotations

import os
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from prodcheck.limits import MAX_FILE_BYTES, MAX_GITIGNORE_CHARS
from prodcheck.model.record import record
from prodcheck.safe_read import read_bytes
from prodcheck.lazy_pattern import lazy

if TYPE_CHECKING:
    import pathspec  # imported where a pattern is read: a project without ignore files never loads it (~15 ms)

    from prodcheck.discovery.ignore_memo import IgnoreMemo

ALWAYS_SKIPPED = frozenset(
    {
        ".git", ".hg", ".svn", ".venv", "venv", ".env.d", "node_modules", "__pycache__", ".tox", ".nox",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".prodcheck_cache", "site-packages", ".eggs",
        "build", "dist", ".cache", ".idea", ".vscode", "htmlcov", ".terraform", "bower_components",
    }
)


@record  # a frozen dataclass to mypy, built faster (model/record.py)
class Walked:
    relpath: str  # POSIX, relative to the root
    kind: object = None  # what `wanted` answered for it (discovery: its FileKind)


def _is_virtualenv(directory: str) -> bool:
    return os.path.isfile(os.path.join(directory, "pyvenv.cfg"))


def _decodable(name: str) -> bool:
    """False for a name that is not valid UTF-8 (os.walk hands those over with surrogates): no
    report format can print it, so such files and folders are skipped."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _inside(path: str, real_root: str) -> bool:
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def _gitignore(directory: str, prefix: str, real_root: str, memo: IgnoreMemo | None = None) -> Spec | None:
    path = os.path.join(directory, ".gitignore")
    try:
        # A regular file inside the project: a FIFO or a link to /dev/zero would never end, a link
        # out of the project is not the project's.
        data = read_bytes(path, MAX_FILE_BYTES, follow=True, inside=real_root)
    except OSError:
        return None
    lines = data[:MAX_GITIGNORE_CHARS].decode("utf-8", "replace").splitlines()
    if prefix:
        # Patterns of a nested .gitignore are relative to its folder.
        anchored = []
        for line in lines:
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            negate = stripped.startswith("!")
            body = stripped[1:] if negate else stripped
            if "/" in body.rstrip("/"):
                body = f"{prefix}/{body.lstrip('/')}"
            else:
                body = f"{prefix}/**/{body}"
            anchored.append(("!" if negate else "") + body)
        lines = anchored
    return memo.spec(lines) if memo is not None else lazy_spec(lines)


def gitignore_spec(lines: list[str] | tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    """A spec of the valid patterns: git ignores a pattern it cannot read (a lone `\\`), so do we."""
    import pathspec

    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except (ValueError, TypeError, re.error):
        valid = []
        for line in lines:
            try:
                pathspec.GitIgnoreSpec.from_lines([line])
            except (ValueError, TypeError, re.error):
                continue
            valid.append(line)
        return pathspec.GitIgnoreSpec.from_lines(valid)


class _Matcher(Protocol):
    def match_file(self, file: str) -> bool: ...


Spec = tuple[_Matcher, "Callable[[str], object] | None"]


class _LazySpec:
    """The spec of an ignore file's lines, asked only of a path that one of its ignoring patterns matches (the test
    `lazy_spec` pairs it with). When no negation (`!pattern`) matches the path either, the path is ignored: whichever
    of the matching patterns decides, each ignores it. Else the spec is built (each pattern compiled to a regex of its
    own) and decides. `exact`: the test matches exactly where an ignoring pattern does (else the spec is asked)."""

    __slots__ = ("_exact", "_lines", "_negated", "_spec")

    def __init__(self, lines: list[str] | tuple[str, ...], negated: Callable[[str], object] | None,
                 exact: bool) -> None:
        self._lines = lines
        self._negated = negated
        self._exact = exact
        self._spec: pathspec.PathSpec | None = None

    def match_file(self, file: str) -> bool:
        negated = self._negated
        if self._exact and negated is not None and negated(file) is None:
            return True
        spec = self._spec
        if spec is None:
            spec = self._spec = gitignore_spec(self._lines)
        return spec.match_file(file)


def lazy_spec(lines: list[str] | tuple[str, ...]) -> Spec:
    """`_with_any(gitignore_spec(lines))` without compiling each pattern: one regex of the ignoring patterns and one
    of the negations, made of the patterns' regexes as written (`pattern_to_regex` of the class the spec builds its
    patterns with, whose compiled regexes they are), and the spec itself built only for a path both match
    (`_LazySpec`): polar's walk compiled 196 patterns of 13 ignore files for the few paths they ignore. A pattern
    git cannot read is left out, as `gitignore_spec` leaves it; when a regex's parentheses or sets are not closed
    within itself, or it sets a flag, the spec is built at once, as before."""
    factory = _pattern_class()
    ignoring: list[str] = []
    negations: list[str] = []
    for line in lines:
        if not line:
            continue  # as `PathSpec.from_lines` skips it
        try:
            regex, include = factory.pattern_to_regex(line)
        except (ValueError, TypeError):
            continue  # an invalid pattern (a lone `\\`): `gitignore_spec` leaves it out
        if include is None or regex is None:
            continue  # a no-op pattern (a comment, a blank line) never matches
        if not isinstance(regex, str) or not _closed(regex) or _FLAG.search(regex):
            return _with_any(gitignore_spec(lines))
        # one name may not repeat in a regex (`_with_any`)
        (ignoring if include else negations).append(regex.replace("(?P<ps_d>", "(?:"))
    flags = re.compile("").flags
    test = _any_of(ignoring, flags)
    if test is None:
        return _with_any(gitignore_spec(lines))
    # A pattern's own regex is asked with `match`: the test matches as they do when it does too (every one anchored).
    exact = all(part.startswith("^") for part in ignoring)
    return _LazySpec(lines, _any_of(negations, flags), exact), test


@lru_cache(maxsize=1)
def _pattern_class() -> Any:
    """The pattern class `GitIgnoreSpec.from_lines` builds with (which one depends on pathspec's version)."""
    import pathspec

    return type(pathspec.GitIgnoreSpec.from_lines(["x"]).patterns[0])


# A flag set inside a regex (`(?i)`, `(?-i:`): such a regex is not joined with others unseen (`lazy_spec`).
_FLAG = lazy(r"\(\?[-aiLmsux]")


def _with_any(spec: pathspec.PathSpec) -> Spec:
    """The spec and one test that matches wherever any of its patterns does, or None (then each
    pattern is asked). A path the test does not match is matched by no pattern, so not ignored:
    the spec's own search, a regex per pattern and per file, was half of polar's walk (75 patterns). The test
    takes the path as given and normalises it as the spec does (`normalize_file`)."""
    parts: list[str] = []
    flags: set[int] = set()
    for pattern in spec.patterns:
        regex = getattr(pattern, "regex", None)
        if pattern.include is None or regex is None:
            continue  # a no-op pattern (a comment, a blank line) never matches
        if not isinstance(regex.pattern, str):
            return spec, None
        parts.append(regex.pattern.replace("(?P<ps_d>", "(?:"))  # one name may not repeat in a regex
        flags.add(regex.flags)
    if len(flags) > 1:
        return spec, None
    return spec, _any_of(parts, flags.pop() if flags else 0)


def _any_of(parts: list[str], flags: int) -> Callable[[str], object] | None:
    """One test that matches a path wherever one of the regexes `parts` does (None when they cannot be joined)."""
    from pathspec.util import normalize_file

    if not parts:
        return lambda path: None
    anchored = all(part.startswith("^") for part in parts)
    try:
        combined = re.compile(_grouped(parts) if anchored else "|".join(f"(?:{part})" for part in parts), flags)
    except (re.error, RecursionError, OverflowError):
        return None
    # Every gitignore pattern is anchored at the start (`^`): then only the first position can match.
    test = combined.match if anchored else combined.search
    return lambda path: test(normalize_file(path))


# Where a pattern's name may sit in any folder below (`^(?:.+/)?name`: a pattern without a slash inside; a nested
# .gitignore's own, `^folder(?:/.+)?/name`), after the text that anchors it.
_ANY_FOLDER = lazy(r"\(\?:\.\+/\)\?|\(\?:/\.\+\)\?/")
# `^`, literal characters (escaped or not) of a folder
_LITERAL = lazy(r"\^(?:[A-Za-z0-9_/.-]|\\[^A-Za-z0-9])*\Z")


def _grouped(parts: list[str]) -> str:
    """The patterns (each anchored, `^...`) as one regex whose shared heads are written once: `^(?:.+/)?` then the
    alternatives, instead of each alternative scanning the path for its folders again (a regex per folder of the path
    and per pattern: most of polar's walk). A head of literal text up to any folders (`_ANY_FOLDER`), then a rest that
    is a sequence (no choice `|` outside its groups, no repeat sign first): the pattern is their concatenation, and a
    head followed by a choice of rests matches exactly the paths one of those patterns does. Any other pattern stays
    whole."""
    heads: dict[str, list[str]] = {}
    for part in parts:
        found = _ANY_FOLDER.search(part)
        head, rest = (part[:found.end()], part[found.end():]) if found is not None else ("^", part[1:])
        if found is None or not _LITERAL.match(part, 0, found.start()) or not _sequence(rest):
            head, rest = "^", part[1:]
        heads.setdefault(head, []).append(rest)
    return "^(?:" + "|".join(head[1:] + "(?:" + "|".join(f"(?:{rest})" for rest in rests) + ")"
                             for head, rests in heads.items()) + ")"


def _sequence(regex: str) -> bool:
    """A regex that is one sequence: every `|` inside a group, the groups closed, no repeat sign first."""
    return regex[:1] not in {"?", "*", "+", "{"} and _closed(regex, choice=False)


def _closed(regex: str, choice: bool = True) -> bool:
    """Every group and set of the regex closed within it (a `|` outside any group only when `choice`)."""
    depth, at = 0, 0
    while at < len(regex):
        char = regex[at]
        if char == "\\":
            at += 1
        elif char == "[":  # a set, to its `]` (one first, after any `^`, is one of its characters)
            at += 1
            at += regex.startswith("^", at)
            at += regex.startswith("]", at)
            while at < len(regex) and regex[at] != "]":
                at += 2 if regex[at] == "\\" else 1
            if at >= len(regex):
                return False
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return False
        elif char == "|" and depth == 0 and not choice:
            return False
        at += 1
    return depth == 0


def _ignored(relpath: str, is_dir: bool, exclude: Spec | None, specs: list[Spec]) -> bool:
    """Whether `--exclude` or a .gitignore in force for the folder leaves the path out."""
    candidate = relpath + "/" if is_dir else relpath
    if exclude is not None and (_matches(exclude, candidate) or _matches(exclude, relpath)):
        return True
    return any(_matches(spec, candidate) for spec in specs)


def _matches(spec: Spec, path: str) -> bool:
    full, any_pattern = spec
    if any_pattern is not None and any_pattern(path) is None:
        return False
    return full.match_file(path)


def walk(root: Path, exclude: pathspec.PathSpec | None = None,
         wanted: Callable[[str], object] | None = None, ignored: list[Walked] | None = None,
         memo: IgnoreMemo | None = None) -> list[Walked]:
    """Every candidate file under root, sorted. Symlinked folders are not followed; a symlinked
    file is kept only when it resolves inside the root (a checked-in `.env -> ~/.aws/credentials`
    must not be read, let alone quoted in a report); names that are not UTF-8 are skipped.
    `wanted(relpath)` drops a file before anything else is asked about it when it answers a false
    value (the ignore files' patterns are the costly part of a walk, and most files of a repository
    are of no kind); its answer is kept as the file's `kind`, so it is asked once per file. `ignored`, when given,
    collects the wanted files a .gitignore (not `--exclude`) leaves out. `memo`: the ignore files' answers of an
    earlier run (ignore_memo.py).

    The folders are visited as `os.walk(root, followlinks=False)` visits them top-down, each folder's
    files before its sub-folders, both sorted, from one `scandir` of each folder: whether an entry is
    a link, a folder, a `.gitignore` or a virtualenv's `pyvenv.cfg` is read off that listing rather than
    asked of the file system again for every entry."""
    results: list[Walked] = []
    excluded = _with_any(exclude) if exclude is not None else None
    root_str = str(root)
    real_root = os.path.realpath(root_str)
    # (folder, its path relative to the root, the ignore specs in force there: the root's, then each
    # parent's down to the folder); the sub-folders of a folder are pushed last first
    pending: list[tuple[str, str, list[Spec], bool]] = [(root_str, "", [], False)]
    while pending:
        directory, rel_dir, inherited, nested = pending.pop()
        listed = _listing(directory)
        if listed is None:
            continue  # unreadable: os.walk skips it, and so does the walk
        folders, files, names = listed
        if nested and "pyvenv.cfg" in names and _is_virtualenv(directory):
            continue  # a virtualenv: never the project's own files
        specs = inherited
        own = _gitignore(directory, rel_dir, real_root, memo) if ".gitignore" in names else None
        if own is not None:
            specs = [*inherited, own]

        kept = []
        for name, is_link in sorted(folders):
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if name in ALWAYS_SKIPPED or name.endswith(".egg-info") or is_link or not _decodable(name):
                continue
            if _ignored(rel, True, excluded, specs):
                continue
            kept.append((os.path.join(directory, name), rel, specs, True))
        pending.extend(reversed(kept))
        for name, is_link in sorted(files):
            if not _decodable(name):
                continue
            rel = f"{rel_dir}/{name}" if rel_dir else name
            kind = wanted(rel) if wanted is not None else None
            if wanted is not None and not kind:
                continue
            if is_link and not _inside(os.path.join(directory, name), real_root):
                continue
            if _ignored(rel, False, excluded, specs):
                if ignored is not None and not _ignored(rel, False, excluded, []):
                    ignored.append(Walked(rel, kind))
                continue
            results.append(Walked(rel, kind))
    return results


def _listing(directory: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]], set[str]] | None:
    """(sub-folders, other entries, every name) of a folder, each entry with whether it is a symbolic
    link; a folder as `os.walk` tells them apart (`is_dir()` follows links, and an entry it cannot
    stat is no folder). None when the folder cannot be listed (os.walk skips it then)."""
    folders: list[tuple[str, bool]] = []
    files: list[tuple[str, bool]] = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                try:
                    is_link = entry.is_symlink()
                except OSError:
                    is_link = False  # as os.path.islink answers
                (folders if is_dir else files).append((entry.name, is_link))
    except OSError:
        return None
    return folders, files, {name for name, _ in folders} | {name for name, _ in files}


def is_git_tracked_unknown(root: Path) -> bool:
    return not (root / ".git").exists()
