"""A script's shell functions run where they are called, not where they are defined.

`start_server() { uvicorn ...; }` then `main() { alembic upgrade head; start_server; }` then `main`: the
script migrates before it serves, though the server's line comes first in the text. `split_script` lists
commands in the order they are written; `in_execution_order` moves the body of each function the script
calls to the place of its first call (a later call runs the same commands: they are listed once), so that every reader of a script (processes, deploy evidence,
PC104) sees the commands in the order they run. A function the script never calls by name (a
dispatcher's `"$1"`, a library of helpers) keeps its body where it is written, as before.
"""
from __future__ import annotations


from prodcheck.parsing.shell import SimpleCommand
from prodcheck.lazy_pattern import lazy

# `name() {`, `name () {`, `function name {`, `function name() {` on a line of their own: a multi-line body.
# https://www.gnu.org/software/bash/manual/html_node/Shell-Functions.html
_DEFINITION = lazy(
    r"^(\s*)(?:function\s+([A-Za-z_][A-Za-z0-9_.:-]*)\s*(?:\(\s*\))?|([A-Za-z_][A-Za-z0-9_.:-]*)\s*\(\s*\))\s*\{\s*(?:#.*)?$")
_MAX_DEPTH = 8  # functions calling functions


def shell_functions(text: str) -> dict[str, tuple[int, int]]:
    """Each multi-line function of a script: name -> (line of its definition, line of its closing `}`).
    The body ends at the first later line that starts with `}` no deeper than the definition."""
    lines = text.splitlines()
    found: dict[str, tuple[int, int]] = {}
    number = 0
    while number < len(lines):
        match = _DEFINITION.match(lines[number])
        number += 1
        if match is None:
            continue
        indent = len(match.group(1))
        name = match.group(2) or match.group(3)
        for end in range(number, len(lines)):
            closing = lines[end]
            if closing.lstrip().startswith("}") and len(closing) - len(closing.lstrip()) <= indent:
                if name not in found:
                    found[name] = (number, end + 1)
                number = end + 1
                break
    return found


def in_execution_order(commands: list[SimpleCommand], text: str) -> list[SimpleCommand]:
    """The script's commands with each called function's body moved to its first call (see the module)."""
    functions = shell_functions(text)
    if not functions:
        return commands

    def owner(line: int) -> str | None:
        """The innermost function whose body holds the line."""
        best: tuple[int, str] | None = None
        for name, (first, last) in functions.items():
            if first < line < last and (best is None or first > best[0]):
                best = (first, name)
        return best[1] if best else None

    bodies: dict[str, list[SimpleCommand]] = {name: [] for name in functions}
    top: list[SimpleCommand] = []
    called: set[str] = set()
    for command in commands:
        name = owner(command.line)
        head = command.argv[0] if command.argv else ""
        if head in functions and functions[head][0] != command.line and name != head:
            called.add(head)  # (a call from its own body alone is recursion, no entry)
        (bodies[name] if name is not None else top).append(command)
    if not called:
        return commands
    inlined: set[str] = set()

    defined_at = {first: name for name, (first, _last) in functions.items()}

    def expand(sequence: list[SimpleCommand], depth: int) -> list[SimpleCommand]:
        out: list[SimpleCommand] = []
        for command in sequence:
            head = command.argv[0] if command.argv else ""
            defined = defined_at.get(command.line)
            if defined is not None and head in {defined, "function"}:  # `name() {` / `function name {`
                if defined not in called:  # nothing calls it by name: its body stays where it is written
                    out.append(command)
                    out.extend(expand(bodies[defined], depth + 1))
                continue
            if head in called and head not in inlined and depth < _MAX_DEPTH:
                inlined.add(head)
                out.extend(expand(bodies[head], depth + 1))
                continue
            if head in inlined:
                continue  # a later call runs the same commands again: they are listed once, at the first
            out.append(command)
        return out

    return expand(top, 0)
