"""YAML fixes through ruamel.yaml's round-trip loader and dumper: comments, key order, flow or
block style and quoting are kept; the fix carries only the lines of the edited node that changed.

A rule names the node to change by the position prodcheck's own YAML reader gave it (1-based line
and column of the value); `edit` finds the same node in ruamel's tree, lets the rule change it, and
dumps the documents again.

ruamel.yaml is imported by the functions that load or test its nodes, not with this module: the rules
that offer these fixes are imported on every run, and most runs fix no YAML (~4 MiB and 30 ms of a
Python-only scan).
"""
from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from prodcheck.fix.text import edit_within
from prodcheck.model.finding import Edit, Fix
from prodcheck.lazy_pattern import lazy

if TYPE_CHECKING:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    from prodcheck.parsing.yaml import YNode
    from prodcheck.project.sources import SourceFile

# Documents larger than this are not re-dumped for a fix (the loader's cost, not a correctness limit).
MAX_CHARS = 2_000_000
_DOCUMENT_MARKER = lazy(r"^---(?:\s|$)", re.MULTILINE)
_STR_TAG = "tag:yaml.org,2002:str"


class Slot:
    """Where a value sits: its parent container and its key (a map) or index (a sequence)."""

    __slots__ = ("container", "key")

    def __init__(self, container: CommentedMap | CommentedSeq, key: Any) -> None:
        self.container = container
        self.key = key

    @property
    def value(self) -> Any:
        return self.container[self.key]

    def set(self, value: Any) -> None:
        self.container[self.key] = value


def _indentation(document: str) -> tuple[int, int]:
    """(mapping indent, offset of a block sequence's dash under its key), the most common in the document."""
    mapping: dict[int, int] = {}
    offset: dict[int, int] = {}
    lines = [line for line in document.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    for current, following in itertools.pairwise(lines):
        body = current.split(" #", 1)[0].rstrip()
        if not body.endswith(":") or body.lstrip().startswith("- "):
            continue
        parent = len(current) - len(current.lstrip())
        child = len(following) - len(following.lstrip())
        if following.lstrip().startswith("- ") and child >= parent:
            offset[child - parent] = offset.get(child - parent, 0) + 1
        elif child > parent:
            mapping[child - parent] = mapping.get(child - parent, 0) + 1
    return (max(mapping, key=mapping.__getitem__) if mapping else 2,
            max(offset, key=offset.__getitem__) if offset else 0)


def _yaml(text: str, line: int) -> YAML:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 1 << 20  # never fold a long line the user wrote on one line
    # The indentation of the document that holds the line (ruamel does not keep it by itself).
    starts = [0] + [m.start() for m in _DOCUMENT_MARKER.finditer(text)]
    offsets = [text.count("\n", 0, start) + 1 for start in starts]
    index = max(i for i, first in enumerate(offsets) if first <= line)
    end = starts[index + 1] if index + 1 < len(starts) else len(text)
    mapping, offset = _indentation(text[starts[index]:end])
    yaml.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    return yaml


def _containers(node: Any) -> Iterator[CommentedMap | CommentedSeq]:
    """Every map and sequence once: an alias shares its anchor's object, so a YAML bomb or a
    recursive alias is walked in the size of the text, not of its expansion."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    stack = [node]
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, CommentedMap):
            yield current
            stack.extend(current.values())
        elif isinstance(current, CommentedSeq):
            yield current
            stack.extend(current)


def slots(documents: list[Any]) -> Iterator[tuple[Slot, tuple[int, int], tuple[int, int] | None]]:
    """Every value with its 1-based (line, column), and its key's position in a map."""
    from ruamel.yaml.comments import CommentedMap

    for document in documents:
        for container in _containers(document):
            if isinstance(container, CommentedMap):
                for key in container:
                    if key not in container.lc.data:
                        continue  # merged in by `<<: *anchor`: written (and edited) at the anchor
                    value, where = container.lc.value(key), container.lc.key(key)
                    yield Slot(container, key), (value[0] + 1, value[1] + 1), (where[0] + 1, where[1] + 1)
            else:
                for index in range(len(container)):
                    item = container.lc.item(index)
                    yield Slot(container, index), (item[0] + 1, item[1] + 1), None


def find(documents: list[Any], line: int, column: int) -> Slot | None:
    """The slot of the value that starts at (line, column), 1-based; a map key's own position counts too."""
    for slot, value, key in slots(documents):
        if value == (line, column) or key == (line, column):
            return slot
    return None


def same_style(old: Any, new: str) -> Any:
    """`new` in the scalar style (plain, single or double quoted, block) `old` was written in."""
    from ruamel.yaml.scalarstring import ScalarString

    return type(old)(new) if isinstance(old, ScalarString) else new


def _comments(container: Any) -> set[str]:
    from ruamel.yaml.comments import CommentedBase

    out: set[str] = set()
    if isinstance(container, CommentedBase):
        for entry in container.ca.items.values():
            for token in entry if isinstance(entry, list) else ():
                value = getattr(token, "value", None)
                if isinstance(value, str) and value.lstrip().startswith("#"):
                    out.add(value.strip())
    return out


def _keep_comment_gaps(before: str, after: str, comments: set[str]) -> str:
    """An end-of-line comment ruamel re-placed at its old column stays its old distance after the value."""
    if not comments:
        return after
    gaps: dict[str, str] = {}
    for line in before.splitlines():
        for comment in comments:
            if line.endswith(comment) and line[: -len(comment)].strip():
                head = line[: -len(comment)]
                gaps.setdefault(comment, head[len(head.rstrip()):])
    out = []
    for line in after.splitlines(keepends=True):
        body = line.rstrip("\n")
        for comment, gap in gaps.items():
            if gap and body.endswith(comment) and body[: -len(comment)].strip():
                head = body[: -len(comment)]
                body = head.rstrip() + gap + comment
                break
        out.append(body + line[len(line.rstrip("\n")):])
    return "".join(out)


def edit(path: str, text: str, line: int, column: int, change: Callable[[Slot], bool | tuple[int, int]],
         first: int, last: int, locate: Callable[[list[Any]], Slot | None] | None = None) -> Edit | None:
    """Load round-trip, change the value at (line, column), dump, and keep the changed lines in first..last.

    `locate` finds the slot another way than by its exact position. `change` returns False to
    decline (the node is not what the rule expected), or the lines (first, last) it changed when
    it knows them better than the caller. None when the file does not load, the node
    is not found, or nothing changed.
    """
    from ruamel.yaml.error import YAMLError

    if len(text) > MAX_CHARS or "\r" in text:
        return None  # CR line ends would come back as LF: the fix would rewrite every line
    yaml = _yaml(text, line)
    try:
        documents = list(yaml.load_all(text))
    except (YAMLError, ValueError, TypeError, RecursionError):
        return None
    slot = locate(documents) if locate is not None else find(documents, line, column)
    if slot is None:
        return None
    comments = {text for document in documents for container in _containers(document)
                for text in _comments(container)}
    changed = change(slot)
    if not changed:
        return None
    if isinstance(changed, tuple):
        first, last = changed
    out = io.StringIO()
    try:
        if len(documents) == 1 and not _DOCUMENT_MARKER.search(text):
            yaml.dump(documents[0], out)
        else:
            yaml.explicit_start = text.lstrip().startswith("---")
            yaml.dump_all(documents, out)
    except (YAMLError, ValueError, TypeError, RecursionError):
        return None
    return edit_within(path, text, _keep_comment_gaps(text, out.getvalue(), comments), first, last)


def loads_alike(documents: list[YNode]) -> bool:
    """Whether the round-trip loader takes what prodcheck's reader took, as far as the trees tell:
    False for a map with a repeated key (ruamel refuses it: the round-trip offers no fix there) or a
    key that is not a scalar. A fix made without the round-trip asks this first."""
    stack = list(documents)
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue  # an alias shares its anchor's node: each is looked at once
        seen.add(id(node))
        if node.is_map:
            keys = set()
            for key, value in node.items():
                if not key.is_scalar or key.text in keys:
                    return False
                keys.add(key.text)
                stack.append(value)
        elif node.is_seq:
            stack.extend(node.list())
    return True


def refused(text: str, documents: list[YNode]) -> bool:
    """Whether the round-trip loader refuses the file for a key written twice in one map (`selector:`
    twice in a Deployment's spec: ruamel raises DuplicateKeyError, so `edit` would load the whole file
    to offer nothing). Two string keys of the same text are the same key to it (a float key may be
    `.nan`, never equal to itself); a file with a merge key (`<<`) is left to the loader, whose merged
    keys may repeat without being written twice."""
    if "<<" in text:
        return False
    stack = list(documents)
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.is_map:
            keys: set[object] = set()
            for key, value in node.items():
                if key.is_scalar and key.tag == _STR_TAG:
                    if key.value in keys:
                        return True
                    keys.add(key.value)
                stack.append(value)
        elif node.is_seq:
            stack.extend(node.list())
    return False


def file_text(source: SourceFile) -> str | None:
    """The text a fix edits: the file's bytes as `--fix` reads them (a BOM kept, no newline translation)."""
    try:
        return source.data.decode("utf-8") if source.data is not None else None
    except UnicodeDecodeError:
        return None


def fix(title: str, path: str, text: str, line: int, column: int, change: Callable[[Slot], bool | tuple[int, int]],
        first: int, last: int, *, safe: bool = True,
        locate: Callable[[list[Any]], Slot | None] | None = None) -> Fix | None:
    found = edit(path, text, line, column, change, first, last, locate)
    return Fix(title, (found,), safe=safe) if found is not None else None


__all__ = ["Slot", "edit", "file_text", "find", "fix", "loads_alike", "refused", "same_style", "slots"]
