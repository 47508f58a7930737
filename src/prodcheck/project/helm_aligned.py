"""Helm's own rendering of a chart, joined to the project as `helm_render` joins its static one.

`helm template` output says which template wrote each document (`# Source:`), not which line of
values.yaml a value came from. The static rendering of the same template knows that: the two are
aligned line by line (`difflib`), and a line Helm rendered as the static reading did takes its
origin. Another line (what only Helm could render: `tpl`, a library chart's helper) is placed by
what it says: the template line that reads the same, the values.yaml entry with the same key and
value when only one has them, the template line with the same key when only one has it, or else
the origin of the line above it.
"""
from __future__ import annotations

from bisect import bisect_right
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

from prodcheck.model.finding import Location, Span
from prodcheck.parsing.yaml import YNode
from prodcheck.project.helm_binary import render
from prodcheck.project.helm_render import SUFFIX, Rendered, Rendering, _documents
from prodcheck.project.sources import SourceFile
from prodcheck.lazy_pattern import lazy

if TYPE_CHECKING:
    from prodcheck.project.views import FileViews

_KEY_VALUE = lazy(r"^\s*(?:-\s+)?([\w.-]+):(?:\s+(.*?))?\s*$")
MAX_ALIGNED = 20_000  # rendered lines; past that, lines are placed by what they say only


def render_with_helm(views: FileViews, binary: str, directory: str, static: dict[str, Rendered],
                     rendering: Rendering, values_files: list[SourceFile]) -> None:
    prefix = f"{directory}/" if directory else ""
    files = [s for s in views.files if s.path.startswith(prefix) and s.data is not None]
    result = render(binary, directory, files, values_files)
    if result.error is not None:
        rendering.static.append((directory, f"helm template failed: {result.error}"))
        return
    rendering.by_helm.append(directory)
    if result.left_out:
        rendering.partly.extend((directory, path) for path in result.left_out)
    values_path = f"{prefix}values.yaml"
    values_source = views.by_path.get(values_path)
    values_documents = views.yaml(values_source) if values_source is not None and values_source.error is None else []
    leaves = _leaves(values_documents[0]) if values_documents and values_documents[0].is_map else {}
    templates_prefix = f"{prefix}templates/"
    own = [s for s in views.files if s.path.startswith(templates_prefix) and "/charts/" not in s.path[len(prefix):]
           and s.path not in result.left_out]  # a template Helm could not render keeps its static reading
    # Helm's output is now the reading of every template of the chart: drop the static documents.
    paths = {s.path for s in own}
    for path in [p for p, r in rendering.files.items() if r.template.path in paths]:
        del rendering.files[path]
    rendering.documents = [(s, d) for s, d in rendering.documents if s.path[:-len(SUFFIX)] not in paths]
    rendering.templates |= paths
    for template in own:
        text = result.manifests.get(template.path)
        if not text:
            continue
        rendered = _aligned(template, values_path, text, static.get(template.path), leaves)
        documents = _documents(text)
        if documents:
            rendering.files[rendered.source.path] = rendered
            rendering.documents.extend((rendered.source, document) for document in documents)


def _aligned(template: SourceFile, values_path: str, text: str, static: Rendered | None,
             leaves: dict[tuple[str, str], list[YNode]]) -> Rendered:
    lines = text.split("\n")
    origins: list[Location | None] = [None] * len(lines)
    mapping: dict[int, int] = {}  # static line index -> Helm line index
    if static is not None and len(lines) <= MAX_ALIGNED:
        before = (static.source.text or "").split("\n")
        matcher = SequenceMatcher(None, [line.rstrip() for line in before], [line.rstrip() for line in lines],
                                  autojunk=False)
        for a, b, size in matcher.get_matching_blocks():
            for k in range(size):
                if before[a + k].strip():
                    mapping[a + k] = b + k
                    origins[b + k] = static.origins[a + k] if a + k < len(static.origins) else None
    by_text: dict[str, list[int]] = {}
    by_key: dict[str, list[int]] = {}
    for number, line in enumerate(template.lines, 1):
        by_text.setdefault(line.strip(), []).append(number)
        match = _KEY_VALUE.match(line)
        if match:
            by_key.setdefault(match.group(1), []).append(number)
    for index, line in enumerate(lines):
        if origins[index] is None:
            origins[index] = _placed(template, values_path, line, by_text, by_key, leaves) or \
                (origins[index - 1] if index else None) or Location(template.path, Span(1))
    source = SourceFile(template.path + SUFFIX, template.kind, template.context, text=text,
                        context_reason=template.context_reason)
    rendered = Rendered(source, template, values_path, [o or Location(template.path, Span(1)) for o in origins])
    if static is not None and mapping:
        # A slot (where a block the defaults leave out would go) moves with the lines around it,
        # never past the next line both renderings share, nor past Helm's last line.
        known = sorted(mapping)
        last = max((i for i, line in enumerate(lines) if line.strip()), default=0)
        for line, key, origin in static.slots:
            at = bisect_right(known, line - 1) - 1
            if at < 0:
                continue
            after = mapping[known[at + 1]] - 1 if at + 1 < len(known) else last
            moved = min(mapping[known[at]] + (line - 1 - known[at]), max(after, mapping[known[at]]))
            rendered.slots.append((moved + 1, key, origin))
    return rendered


def _placed(template: SourceFile, values_path: str, line: str, by_text: dict[str, list[int]],
            by_key: dict[str, list[int]], leaves: dict[tuple[str, str], list[YNode]]) -> Location | None:
    stripped = line.strip()
    if not stripped or stripped == "---":
        return None
    same = by_text.get(stripped, [])
    if len(same) == 1:
        return Location(template.path, Span(same[0]))
    match = _KEY_VALUE.match(line)
    if match is None:
        return None
    key, value = match.group(1), (match.group(2) or "").strip("\"'")
    nodes = leaves.get((key, value), []) if value else []
    if len(nodes) == 1:
        return Location(values_path, nodes[0].span)
    keyed = by_key.get(key, [])
    if len(keyed) == 1:
        return Location(template.path, Span(keyed[0]))
    return None


def _leaves(root: YNode) -> dict[tuple[str, str], list[YNode]]:
    """values.yaml's scalar entries by (key, value as text)."""
    out: dict[tuple[str, str], list[YNode]] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_map:
            for key, value in node.items():
                if value.is_scalar and key.is_scalar:
                    text = value.as_str()
                    if text is not None:
                        out.setdefault((str(key.value), text), []).append(value)
                else:
                    stack.append(value)
        elif node.is_seq:
            stack.extend(node.list())
    return out
