"""The commands of a deploy path as the shell runs them, for the readers of deploy evidence (deploy_evidence.py):
`cd DIR` moves the folder the next commands run in (cd(1p)); `cp -R SRC DST` then `cd DST` works in a copy of
SRC, so the files found there are SRC's (a build script that assembles its build context: `cp -R ../api
../_alerts && cd ../_alerts && docker build -f ./Dockerfile_alerts .`); and a script of the repository the path
runs (`bash ./build.sh`, `./scripts/release.sh`, `. ./lib.sh`) runs its own commands in the caller's folder.
Folders are the repository's (`""` its root); after a `cd` to a folder named through a variable or an absolute
path, the rest of the text runs where nothing says, and is not read. Also the recipes of a Makefile or justfile
(`make_recipes`), each of whose lines runs in a shell of its own."""
from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple

from prodcheck.knowledge import load
from prodcheck.knowledge.commands import shells
from prodcheck.model.files import FileKind
from prodcheck.parsing.shell import SimpleCommand, with_script_variables
from prodcheck.project.sources import SourceFile
from prodcheck.lazy_pattern import lazy

_ROOT_VARIABLES = "|".join(re.escape(name) for name in load("workflows")["checkout_root"]["variables"])
_CHECKOUT_ROOT = lazy(rf"^\$\{{?(?:{_ROOT_VARIABLES})\}}?(/.*)?$")
_MAKE_TARGET = lazy(r"^([A-Za-z0-9_.\-/]+)(?:\s+[^:=]*)?:(?!=)")
_MAX_DEPTH = 3  # scripts followed from a deploy path: workflow -> build.sh -> lib.sh -> docker.sh


class Run(NamedTuple):
    """A command, the repository folder it runs in, and the script it is written in (None: the caller's text)."""

    command: SimpleCommand
    base: str
    script: SourceFile | None


def _join(base: str, path: str) -> str:
    normal = posixpath.normpath(posixpath.join(base, path.strip().strip("'\""))) if base else \
        posixpath.normpath(path.strip().strip("'\""))
    return "" if normal == "." else normal


def follow(commands: Sequence[SimpleCommand], base: str, by_path: dict[str, SourceFile],
           script_steps: Callable[[SourceFile], list[SimpleCommand]], script: SourceFile | None = None,
           seen: tuple[str, ...] = ()) -> Iterator[Run]:
    """Each command with the folder it runs in, the scripts it runs followed in place."""
    copies: dict[str, str] = {}  # a copy's folder -> the repository folder it copies
    for command in commands:
        argv = command.argv
        if command.program in {"cd", "pushd"} and len(argv) == 2 and not argv[1].startswith("-"):
            rooted = _CHECKOUT_ROOT.match(argv[1])
            if rooted is not None:  # `cd $GITHUB_WORKSPACE/api`
                base = _join("", (rooted.group(1) or "").lstrip("/"))
                continue
            if "$" in argv[1] or argv[1].startswith(("/", "~")):
                return  # a folder known only at run time, or outside the checkout: where the rest runs is unknown
            folder = _join(base, argv[1])
            base = copies.get(folder, folder)
            continue
        if command.program == "cp" and len(argv) == 4 and argv[1] in {"-R", "-r", "-a", "-rf", "-Rf", "-fR", "-fr"}:
            source, target = _join(base, argv[2]), _join(base, argv[3])
            if "$" not in argv[2] and "$" not in argv[3] and not argv[2].endswith("*"):
                copies[target] = copies.get(source, source)
            continue
        called = _script_run(command, base, by_path)
        if called is not None and called.path not in seen and len(seen) < _MAX_DEPTH:
            steps = with_script_variables(script_steps(called), called.text or "", literal_only=True)
            yield from follow(steps, base, by_path, script_steps, called, (*seen, called.path))
            continue
        yield Run(command, base, script)


def _script_run(command: SimpleCommand, base: str, by_path: dict[str, SourceFile]) -> SourceFile | None:
    """The repository shell script a command runs: `bash -x ./build.sh`, `sh scripts/x.sh`, `./build.sh`,
    `source ./lib.sh`; resolved against the folder the command runs in."""
    argv = command.argv
    if not argv:
        return None
    if command.program in shells() or argv[0] in {"source", "."}:
        token = next((a for a in argv[1:] if not a.startswith(("-", "+"))), None)
    else:
        token = argv[0]
    if token is None or "$" in token or token.startswith("/") or not (token.endswith(".sh") or "/" in token):
        return None
    found = by_path.get(_join(base, token))
    return found if found is not None and found.kind == FileKind.SHELL else None


def make_recipes(text: str) -> Iterable[tuple[str, int, str]]:
    """(target, first line, recipe text) of a Makefile or justfile."""
    target: str | None = None
    lines: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if raw.startswith(("\t", "    ")) and target is not None:
            if not lines:
                start = number
            lines.append(raw.strip().lstrip("@-").strip())
            continue
        if target is not None and lines:
            yield target, start, "\n".join(lines)
        target, lines = None, []
        match = _MAKE_TARGET.match(raw)
        if match and not raw.startswith((".PHONY", "#")):
            target = match.group(1)
    if target is not None and lines:
        yield target, start, "\n".join(lines)
