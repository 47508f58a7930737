"""Builders of the text edits rules attach: a keyword added to a Python call, an argument removed
from a command line."""
from __future__ import annotations

from typing import TYPE_CHECKING

from prodcheck.model.finding import Edit, Fix, Span

if TYPE_CHECKING:
    from prodcheck.model.facts import Value
    from prodcheck.project import Project
    from prodcheck.project.sources import SourceFile

_QUOTES = "\"'"


def _yaml_item(line: str) -> str | None:
    stripped = line.strip()
    return stripped[2:].strip().strip(_QUOTES) if stripped.startswith("- ") else None


def remove_argument(path: str, lines: list[str], span: Span, token: str, title: str) -> Fix | None:
    """Remove `token` (at `span`) from a command: a shell word, an exec-form element or a YAML list item.

    None when the layout is not one of those or the text there is not the token: a fix is only
    offered where the edit is exact.
    """
    if span.line != span.end_line or not (0 < span.line <= len(lines)):
        return None
    line = lines[span.line - 1]
    start, stop = span.column - 1, span.end_column - 1
    if line[start:stop] != token and _yaml_item(line) is not None:
        # A YAML block sequence located at its first item: the token is a later item of the same list.
        indent = len(line) - len(line.lstrip())
        for number in range(span.line, min(len(lines), span.line + 200)):
            following = lines[number]
            if len(following) - len(following.lstrip()) != indent or _yaml_item(following) is None:
                break
            if _yaml_item(following) == token:
                return Fix(title, (Edit(path, Span(number + 1, 1, number + 2, 1), ""),))
        return None
    if not (0 <= start < stop <= len(line)) or line[start:stop] != token:
        return None
    stripped = line.strip()
    # A YAML block-sequence item of its own: `- --reload` / `- "--reload"`: the whole line goes.
    item = stripped[1:].strip() if stripped.startswith("- ") else None
    if item is not None and item.strip(_QUOTES) == line[start:stop]:
        return Fix(title, (Edit(path, Span(span.line, 1, span.line + 1, 1), ""),))
    if start > 0 and stop < len(line) and line[start - 1] in _QUOTES and line[stop] == line[start - 1]:
        # An element of an exec-form / flow list: `["uvicorn", "app:app", "--reload"]`.
        first, last = start - 1, stop + 1
        left = line[:first].rstrip()
        if left.endswith(","):
            begin = len(left) - 1
            return Fix(title, (Edit(path, Span(span.line, begin + 1, span.line, last + 1), ""),))
        rest = line[last:]
        after = rest.lstrip()
        if after.startswith(","):
            end = last + (len(rest) - len(after)) + 1
            end += len(line[end:]) - len(line[end:].lstrip(" "))
            return Fix(title, (Edit(path, Span(span.line, first + 1, span.line, end + 1), ""),))
        return None
    # A shell word: the token and the blank before it.
    if start == 0 or not line[start - 1].isspace() or (stop < len(line) and not (line[stop].isspace()
                                                                               or line[stop] in _QUOTES + ";&|")):
        return None
    begin = start
    while begin > 0 and line[begin - 1] in " \t":
        begin -= 1
    return Fix(title, (Edit(path, Span(span.line, begin + 1, span.line, stop + 1), ""),))


def _lines(source: SourceFile) -> list[str]:
    """The file's lines, decoded once per run (not once per call: 200,000 engines in a file)."""
    cached = source.views.get("_fix_lines")
    if cached is None:
        cached = (source.data or b"").decode("utf-8", "replace").splitlines()
        source.views["_fix_lines"] = cached
    return cached  # type: ignore[return-value]  # the "_fix_lines" view is always a list[str]


def add_keyword_fix(project: Project, path: str, call: Value, keyword: str) -> Fix | None:
    """Append `keyword` to a call's arguments, matching its layout; None when the layout is unusual."""
    source = project.by_path.get(path)
    if source is None or source.data is None or b"\r" in source.data:
        return None
    lines = _lines(source)
    span = call.span
    if not (0 < span.end_line <= len(lines)):
        return None
    closing = lines[span.end_line - 1]
    index = span.end_column - 2  # 0-based position of ")"
    if index < 0 or index >= len(closing) or closing[index] != ")" or not closing.isascii():
        return None
    before = closing[:index]
    if before.strip() == "" and span.end_line > span.line:
        previous = lines[span.end_line - 2]
        if not previous.rstrip().endswith(","):
            return None
        indent = previous[: len(previous) - len(previous.lstrip())]
        edit = Edit(path, Span(span.end_line, 1, span.end_line, 1), f"{indent}{keyword},\n")
    else:
        stripped = before.rstrip()
        if stripped.endswith("("):
            text = keyword
        elif stripped.endswith(","):
            text = f" {keyword}"
        else:
            text = f", {keyword}"
        column = len(stripped) + 1
        edit = Edit(path, Span(span.end_line, column, span.end_line, index + 1), text)
    return Fix(f"add `{keyword}`", (edit,))


def _without_word(command: str, token: str) -> str | None:
    """`command` without the shell word `token` (and one blank beside it), or None when it is not a word there."""
    words = command.split(" ")
    if words.count(token) != 1:
        return None
    index = words.index(token)
    del words[index]
    return " ".join(words)


def remove_yaml_argument(path: str, text: str, line: int, token: str, title: str) -> Fix | None:
    """Remove `token` from a YAML command on `line` through ruamel.yaml's round trip.

    The command is a list (`command: [uvicorn, app:app, --reload]`, or one item per line) whose item
    is the token, or a string (`command: uvicorn app:app --reload`) in which it is one word; the
    item or the word goes, the rest of the file (comments, quoting, flow or block style) stays.
    """
    from prodcheck.fix import roundtrip

    def locate(documents: list[object]) -> roundtrip.Slot | None:
        for slot, (value_line, _column), _key in roundtrip.slots(documents):
            value = slot.value
            if isinstance(value, str) and value_line == line and _without_word(value, token) is not None:
                return slot
            if isinstance(value, list) and value and sum(1 for item in value if item == token) == 1:
                # Reported at the token's line (a flow list) or at the list's first item (one item per line).
                first = value.lc.item(0)[0] + 1  # type: ignore[attr-defined]  # ruamel's position info is untyped
                at = value.lc.item([str(item) for item in value].index(token))[0] + 1  # type: ignore[attr-defined]  # as above
                if first <= line <= at:
                    return slot
        return None

    def change(slot: roundtrip.Slot) -> bool | tuple[int, int]:
        value = slot.value
        if isinstance(value, str):
            shorter = _without_word(value, token)
            if shorter is None:
                return False
            slot.set(roundtrip.same_style(value, shorter))
            return True
        index = [str(item) for item in value].index(token)
        at = value.lc.item(index)[0] + 1
        del value[index]
        return (at, at)

    return roundtrip.fix(title, path, text, line, 1, change, line, line, locate=locate)
