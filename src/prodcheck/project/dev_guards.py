"""Is a line of Python confined to development by the `if` around it (`if settings.DEBUG:`)?

Read from the text (the facts keep no conditions): the nearest enclosing block of the line, found
by indentation, must be an `if`/`elif` whose condition names development or tests (the words of
knowledge/dev_guards.toml) and is neither negated nor a comparison against something else (`!=`).
"""
from __future__ import annotations


from prodcheck.knowledge import load
from prodcheck.discovery.sources import SourceFile
from prodcheck.lazy_pattern import lazy

_GUARD = load("dev_guards")["condition"]
_GUARD_WORDS = frozenset(_GUARD["words"])
_NEGATIONS = frozenset(_GUARD["negations"])
_SHELL_NEGATIONS = frozenset(_GUARD["shell_negations"])
_SPLIT = lazy(r"[^A-Za-z0-9!=]+|_")
_LOOK_BACK = 60  # lines above a statement searched for its enclosing block


def guarded(source: SourceFile, line: int) -> bool:
    """The statement at a file's `line` sits in an `if` block whose condition names development; the lines read are
    noted (`SourceFile.note_lines`)."""
    found, first = _guard(source.unnoted_lines(), line)
    source.note_lines(first, line)
    return found


def condition_of(source: SourceFile, line: int) -> str | None:
    """The head of the `if` / `elif` block the statement at a file's `line` sits in directly (`_condition`); the
    lines read are noted (`SourceFile.note_lines`)."""
    found, first = _condition(source.unnoted_lines(), line)
    source.note_lines(first, line)
    return found


def dev_guarded(lines: list[str], line: int) -> bool:
    """The statement at `line` sits in an `if` block whose condition names development."""
    return _guard(lines, line)[0]


def _guard(lines: list[str], line: int) -> tuple[bool, int]:
    """Whether the statement at `line` sits in an `if` block whose condition names development; and the first line
    read."""
    if not 0 < line <= len(lines):
        return False, line
    text = lines[line - 1]
    indent = len(text) - len(text.lstrip())
    for number in reversed(range(max(1, line - _LOOK_BACK + 1), line)):  # the nearest line first
        above = lines[number - 1]
        if not above.strip() or above.lstrip().startswith("#"):
            continue
        depth = len(above) - len(above.lstrip())
        if depth >= indent:
            continue
        head = above.strip()
        if not head.startswith(("if ", "elif ")):
            return False, number  # the nearest enclosing block is not a condition
        tokens = {t.lower() for t in _SPLIT.split(head[head.index(" "):]) if t}  # the `:` splits like a space
        if "!=" in head:
            tokens.add("!=")
        if tokens & _NEGATIONS:
            return False, number
        return bool(tokens & _GUARD_WORDS), number
    return False, max(1, line - _LOOK_BACK + 1)


def shell_dev_guarded(lines: list[str], line: int) -> bool:
    """The command at a shell script's `line` sits in the `then` branch of an `if` / `elif` whose condition names
    development (`if [[ ${DEV_MODE} == "True" ]]; then`, `elif [ "$APP_ENV" = "development" ]`), with the same words as a
    Python guard and neither negated nor compared with a false value ([condition] shell_negations). Read upwards:
    blocks closed before the line (`if ... fi`) are skipped; an `else`, a function's head or the top of the
    look-back ends the search unguarded."""
    if not 0 < line <= len(lines):
        return False
    depth = 0
    own = lines[line - 1].split(" #", 1)[0].strip()
    if own.startswith(("if ", "elif ")) and " then" in own:  # `if ...; then cmd; fi`
        return _shell_condition(own)
    for number in reversed(range(max(1, line - _LOOK_BACK + 1), line)):
        text = lines[number - 1].split(" #", 1)[0].strip()
        words = text.replace(";", " ; ").split()
        if not words or words[0].startswith("#"):
            continue
        closes = words.count("fi")
        opens = sum(1 for index, word in enumerate(words) if word == "if" and (index == 0 or words[index - 1] == ";"))
        if words[0] in {"if", "elif"} and depth == 0 and closes == 0:
            return _shell_condition(text)
        if depth == 0 and (words[0] == "else" or text.endswith(("{", "() {")) or words[0] == "function"):
            return False
        depth = max(0, depth + closes - opens)
    return False


def _shell_condition(head_line: str) -> bool:
    """An `if` / `elif` line's condition (up to `then`) names development and is neither negated nor compared with
    a false value."""
    keyword, _blank, rest = head_line.partition(" ")
    head = rest.split("then", 1)[0]
    if _SHELL_NEGATIONS & {word.strip("\"'[];").lower() for word in head.split()} or "!=" in head:
        return False
    tokens = {t.lower() for t in _SPLIT.split(head) if t}
    return keyword in {"if", "elif"} and not (tokens & _NEGATIONS) and bool(tokens & _GUARD_WORDS)


def _condition(lines: list[str], line: int) -> tuple[str | None, int]:
    """The head of the `if` / `elif` block the statement at `line` sits in directly (`if RUN_MIGRATIONS:`),
    stripped, None when its nearest enclosing block is anything else; and the first line read."""
    if not 0 < line <= len(lines):
        return None, line
    text = lines[line - 1]
    indent = len(text) - len(text.lstrip())
    for number in reversed(range(max(1, line - _LOOK_BACK + 1), line)):
        above = lines[number - 1]
        if not above.strip() or above.lstrip().startswith("#"):
            continue
        if len(above) - len(above.lstrip()) >= indent:
            continue
        head = above.strip()
        return (head if head.startswith(("if ", "elif ")) else None), number
    return None, max(1, line - _LOOK_BACK + 1)
