"""A Jinja-templated Python file (a cookiecutter or copier template) read as the project it generates.

A template's `.py` files are not Python until rendered: `{%- if cookiecutter.orm == "sqlalchemy" %}`
lines choose what the generated project holds, and `{{ cookiecutter.project_name }}` names its
package. Which options a user picks is unknown (cookiecutter.json often lists only their types), so
the file is read as the superset of its branches: every line of every branch is kept, the lines
that are only tags are blanked, and each placeholder becomes the name of its variable
(`{{cookiecutter.project_name}}` -> `project_name`). A condition inside a line (`-> {% if a %}str{%
else %}URL{% endif %}:`) cannot keep both branches, so it keeps its first. That is valid Python for
the common shape of these templates, and every line keeps its number, so findings point at the
template's lines. What still does not parse (branches that only make sense apart) stays a parse
error; the engine skips such a file with an `info`.

Nothing is rendered or executed: the tags are removed as text, never evaluated.
"""
from __future__ import annotations

from collections.abc import Iterator
from prodcheck.lazy_pattern import lazy

# The objects the template engines keep their variables in: `cookiecutter.project_name`
# (https://cookiecutter.readthedocs.io/en/stable/advanced/template_extensions.html), copier's bare
# `project_name` (https://copier.readthedocs.io/en/stable/creating/#the-copieryml-file).
_NAME = lazy(r"[A-Za-z_][A-Za-z0-9_]*")
_NAMESPACES = frozenset({"cookiecutter", "copier"})
MARKERS = (b"{%", b"{{", b"{#")


def is_templated(source: bytes) -> bool:
    return any(marker in source for marker in MARKERS)


def placeholder_name(expression: str) -> str:
    """`cookiecutter.project_name | upper` -> `project_name`; `cookiecutter.db_info.name` -> `db_info`."""
    names = [name for name in _NAME.findall(expression.split("|", 1)[0])]
    while names and names[0] in _NAMESPACES:
        names = names[1:]
    return names[0] if names else "placeholder"


def render_placeholders(text: str) -> str:
    """Every `{{ expression }}` replaced by its variable's name (a path part, a module name)."""
    out: list[str] = []
    position = 0
    while (start := text.find("{{", position)) >= 0 and (end := text.find("}}", start + 2)) >= 0:
        out.append(text[position:start])
        out.append(placeholder_name(text[start + 2:end].strip("-")))
        position = end + 2
    out.append(text[position:])
    return "".join(out)


def _tags(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of every `{% ... %}` statement and `{# ... #}` comment, in one pass (they may
    span lines); an unclosed one ends the scan."""
    position = 0
    next_statement, next_comment = text.find("{%"), text.find("{#")
    while next_statement >= 0 or next_comment >= 0:
        if next_comment < 0 or 0 <= next_statement < next_comment:
            start, close = next_statement, "%}"
        else:
            start, close = next_comment, "#}"
        end = text.find(close, start + 2)
        if end < 0:
            return
        position = end + 2
        yield start, position
        if 0 <= next_statement < position:  # -1 stays -1: no text is searched twice
            next_statement = text.find("{%", position)
        if 0 <= next_comment < position:
            next_comment = text.find("{#", position)


def superset(source: bytes) -> bytes:
    """The template as the union of its branches, line for line (see the module docstring)."""
    text = source.decode("utf-8", "replace")
    pieces: list[str] = []
    # One entry per open `if`: whether it sits inside a line, and whether its current branch is
    # skipped (only an inline condition's later branches are).
    stack: list[tuple[bool, bool]] = []
    position = pending = skipping = 0  # skipping: how many open conditions skip their current branch
    code_on_line = False  # text other than tags before the current tag, on its line
    for start, end in _tags(text):
        chunk = text[position:start]
        if "\n" in chunk:
            code_on_line = bool(chunk.rsplit("\n", 1)[1].strip())
        elif chunk.strip():
            code_on_line = True
        if skipping:
            chunk = "\n" * chunk.count("\n")
        if pending and "\n" in chunk:
            # the line breaks inside a tag move to the end of its line: what follows the tag stays on it
            chunk = chunk.replace("\n", "\n" * (pending + 1), 1)
            pending = 0
        pieces.append(chunk)
        tag = text[start:end]
        words = tag[2:-2].strip("-+ \t\r\n").split(None, 1)
        keyword = words[0] if words and tag.startswith("{%") else ""
        if keyword == "if":
            stack.append((code_on_line, False))
        elif keyword in {"elif", "else"} and stack and stack[-1][0] and not stack[-1][1]:
            stack[-1] = (True, True)
            skipping += 1
        elif keyword == "endif" and stack:
            skipping -= stack.pop()[1]
        pieces.append("\0")
        pending += tag.count("\n")
        position = end
    rest = text[position:]
    pieces.append(rest.replace("\n", "\n" * (pending + 1), 1) if pending and "\n" in rest else
                  rest + "\n" * pending)
    lines: list[str] = []
    for line in "".join(pieces).split("\n"):
        if "\0" in line:
            rest = line.replace("\0", "")
            line = rest if rest.strip() else ""  # a line of tags only is blank, whatever its indent
        lines.append(render_placeholders(line))
    return "\n".join(lines).encode("utf-8")
