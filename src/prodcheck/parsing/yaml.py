"""YAML with a position for every key and value.

Built from the event stream of PyYAML's C parser (libyaml, the fast path) into a small `YNode`
tree, without recursion. Tags are never constructed, so `!!python/object` and CloudFormation's
`!Ref` are inert strings; a node budget stops alias bombs ("billion laughs") before they expand
and a depth limit stops nesting bombs before anything recurses.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

from prodcheck.model.finding import Span
from prodcheck.parsing import ParseError
from prodcheck.parsing.ynode import YNode as YNode  # the tree's node, where every reader imports it from

if TYPE_CHECKING:
    import yaml

from prodcheck.limits import MAX_DEPTH
from prodcheck.limits import MAX_YAML_NODES as MAX_NODES


class _Mark(Protocol):
    """A position in the stream: PyYAML's pure-Python and libyaml marks both have these."""

    line: int
    column: int


_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Composer:
    """Builds YNodes straight from libyaml's event stream with an explicit stack.

    PyYAML's composers recurse once per nesting level (the C one overflows the C stack and kills
    the interpreter at ~100,000 levels), so nesting is bounded here, before any recursion, and
    every alias use is charged the size of what it repeats: a billion-laughs document fails after
    MAX_NODES nodes instead of expanding. Aliases are copied, as expanding them always did.
    """

    def __init__(self) -> None:
        self.budget = MAX_NODES
        self.anchors: dict[str, tuple[YNode, int, int]] = {}  # anchor -> (node, size, height)

    @staticmethod
    def _over_budget(mark: _Mark) -> ParseError:
        return ParseError(f"file too large to analyse: more than {MAX_NODES:,} YAML nodes in a document, counting "
                          "what its aliases expand to (an alias bomb?), not checked", mark.line + 1)

    def document(self, next_event: Callable[[], Any], first: yaml.Event) -> YNode:
        # stack entries: [children, children.append, anchor, budget before it, height, start mark, tag, is a map,
        # holds a merge key]. One dispatch on the event's exact class, scalar positions kept as plain tuples without
        # re-normalising (libyaml's end mark never precedes its start; ynode.py makes the Span when it is read) and
        # the implicit tags of repeated plain scalars looked up: this loop is most of the infra scan. A scalar without
        # an anchor inside a collection (nearly every event) is appended where it is built: a mapping's keys and
        # values alternate in its list until its end pairs them (merge keys applied then, in order); a collection's
        # size is the budget it used, so nothing counts per child; the budget is a local until the document ends.
        stack: list[list[Any]] = []
        event: Any = first  # narrowed by its exact class below
        plain_tags = _PLAIN_TAGS
        quoted_tag = _QUOTED_TAG
        str_tag = _DEFAULT_TAG
        budget = self.budget
        new_node = _new_node
        add: Callable[[Any], None] = _no_parent  # the open collection's children.append
        while True:
            cls = event.__class__
            if cls is _SCALAR:
                budget -= 1
                if budget < 0:
                    raise self._over_budget(event.start_mark)
                tag = event.tag
                value: str | None = event.value
                if tag is None or tag == "!":
                    implicit = event.implicit
                    if implicit[0]:
                        tag = plain_tags.get(value) or _scalar_tag(value, implicit)  # type: ignore[arg-type]  # a scalar event's value is a str
                    else:
                        tag = quoted_tag or _scalar_tag(value, implicit)  # type: ignore[arg-type]  # a scalar event's value is a str
                if tag is not str_tag:
                    if tag.endswith(":null"):
                        value = None
                    elif tag == _MERGE_TAG and stack:
                        stack[-1][8] = True
                start_mark = event.start_mark
                end_mark = event.end_mark
                node = new_node(YNode)  # each field set here: see `_new_node`
                node.kind = "scalar"
                node.position = (start_mark.line + 1, start_mark.column + 1, end_mark.line + 1, end_mark.column + 1)
                node.value = value
                node.tag = tag
                node.style = event.style
                node._index = None
                node.origin = None
                anchor = event.anchor
                if stack and not anchor:
                    add(node)
                    event = next_event()
                    continue
                size, height = 1, 0
            elif cls is _MAPPING_START or cls is _SEQUENCE_START:
                start_mark = event.start_mark
                budget -= 1
                if budget < 0:
                    raise self._over_budget(start_mark)
                if len(stack) >= MAX_DEPTH:
                    raise ParseError("YAML nesting too deep", start_mark.line + 1)
                is_map = cls is _MAPPING_START
                tag = event.tag
                if tag is None or tag == "!":
                    tag = _MAP_TAG if is_map else _SEQ_TAG
                children: list[Any] = []
                add = children.append
                stack.append([children, add, event.anchor, budget + 1, 0, start_mark, tag, is_map, False])
                event = next_event()
                continue
            elif cls is _MAPPING_END or cls is _SEQUENCE_END:
                children, _add, anchor, before, height, start, tag, is_map, merges = stack.pop()
                end_mark = event.end_mark  # the position as `Span` normalises it, without a frame per collection
                line, column, end_line, end_column = (start.line + 1, start.column + 1, end_mark.line + 1,
                                                      end_mark.column + 1)
                span = ((line, column, end_line, end_column)
                        if end_line > line or (end_line == line and end_column >= column)
                        else Span(line, column, end_line, end_column))
                node = new_node(YNode)  # each field set here: see `_new_node`
                if is_map:
                    keys_and_values = iter(children)
                    pairs = list(zip(keys_and_values, keys_and_values, strict=False))  # keys and values alternate
                    node.kind = "map"
                    node.value = _merged(pairs) if merges else pairs
                else:
                    node.kind = "seq"
                    node.value = children
                node.position = span
                node.tag = tag
                node.style = None
                node._index = None
                node.origin = None
                size = before - budget
                height += 1
                if stack:
                    add = stack[-1][1]
            elif cls is _ALIAS:
                start_mark = event.start_mark
                target = self.anchors.get(event.anchor or "")
                if target is None:
                    what = "recursive" if any(entry[2] == event.anchor for entry in stack) else "undefined"
                    raise ParseError(f"invalid YAML: found {what} alias *{event.anchor}", start_mark.line + 1,
                                     start_mark.column + 1)
                node, size, height = target
                budget -= size
                if budget < 0:
                    raise self._over_budget(start_mark)
                if len(stack) + height > MAX_DEPTH:
                    raise ParseError("YAML nesting too deep", start_mark.line + 1)
                node = _copy(node)
                if node.kind == "scalar" and node.tag == _MERGE_TAG and stack:
                    stack[-1][8] = True
                anchor = None  # an alias carries no anchor of its own
            elif event is None:  # the stream ended inside a document: the parser never does that
                raise ParseError("YAML nesting too deep")
            else:  # pragma: no cover - the parser only interleaves node events inside a document
                raise ParseError(f"invalid YAML: unexpected {type(event).__name__}")
            if anchor:
                self.anchors[anchor] = (node, size, height)
            if not stack:
                self.budget = budget
                return node
            add(node)
            parent = stack[-1]
            if height > parent[4]:
                parent[4] = height
            event = next_event()


# A node without `YNode(...)`: a call of a class with an `__init__` goes through its type's call, a tuple of the
# arguments and a bound `__init__` (several times the cost of setting the seven slots in the loop; 260,000 nodes on
# the infra corpus). The composer sets every field of `YNode` on each node it makes this way: a field added to YNode
# is set there too (a slot never set fails on its first read).
_new_node = object.__new__


def _no_parent(node: YNode) -> None:  # pragma: no cover - a node is added only while a collection is open
    raise AssertionError("a YAML node added outside a collection")


def _merged(pairs: list[tuple[YNode, YNode]]) -> list[tuple[YNode, YNode]]:
    """A mapping's pairs with each merge key (`<<`) whose value is a mapping or a list replaced by what it merges,
    in order, as if each were merged when its value ended."""
    children: list[Any] = []
    for key, value in pairs:
        if key.kind == "scalar" and key.tag == _MERGE_TAG and value.kind in {"map", "seq"}:
            _merge(children, value)
        else:
            children.append((key, value))
    return children


def _merge(children: list[Any], merged: YNode) -> None:
    """`<<: *base` or `<<: [*logging, *base]` (https://yaml.org/type/merge.html): the keys of the merged
    mappings the mapping does not set itself, an earlier mapping of the list before a later one. Keys the
    mapping writes after the merge still win (a map's lookup keeps the last of a key)."""
    items = cast("list[YNode]", merged.value) if merged.kind == "seq" else [merged]  # a seq node's value is its list
    sources = [item for item in items if item.kind == "map"]
    present = {str(key.value) for key, _value in children if key.is_scalar}
    for source in sources:
        for key, value in source.items():
            name = str(key.value) if key.is_scalar else None
            if name is not None and name in present:
                continue
            if name is not None:
                present.add(name)
            children.append((key, value))


# The implicit tag of a plain scalar depends only on its text (keys and values repeat across files): short ones are
# looked up, bounded. Without path resolvers (PyYAML's own Resolver registers none) a scalar's tag is the resolver's
# walk of its text when it is plain (`implicit[0]`), the default tag when it is not: the text alone is the key.
_TAGS_MAX = 50_000
_TAGGED_LENGTH = 40  # longer scalars are resolved each time, never kept
_PLAIN_TAGS: dict[str, str] = {}  # plain text -> tag, when there are no path resolvers (else never filled)

# What the composer and `load_documents` read of PyYAML, set by `_import_yaml` (globals: read so in the loop).
_imported = False
_Loader: type  # libyaml's parser alone, the loader's events only (no constructor, no resolver state per file)
_RESOLVER: Any
_MAP_TAG: str  # the implicit tag of a mapping or a sequence: the resolver's default, whatever the node holds
_SEQ_TAG: str
_SCALAR: type
_ALIAS: type
_STREAM_END: type
_MAPPING_START: type
_MAPPING_END: type
_SEQUENCE_START: type
_SEQUENCE_END: type
_DOCUMENT_START: type[yaml.DocumentStartEvent]
_SCALAR_NODE: type[yaml.ScalarNode]
_MARKED_ERROR: type[yaml.MarkedYAMLError]
_YAML_ERROR: type[yaml.YAMLError]
# What the resolver answers without its walk: the default tag of a quoted scalar, or of a plain one whose first
# character no implicit resolver is registered for (when none is registered for every character and no path
# resolver is set, as in PyYAML's own Resolver).
_NO_PATH_RESOLVERS: bool
_DEFAULT_TAG: str
_QUOTED_TAG: str | None  # a quoted scalar's tag, when it is always that
_RESOLVED_FIRST: frozenset[str | None]
_DEFAULT_WITHOUT_WALK: bool


def _import_yaml() -> None:
    """Import PyYAML when the first YAML text is parsed, and set what this module reads of it: a scan of Python
    files alone parses none, and the import was 0.09 G instructions of it (0.4 % of a cold scan of the bench
    sample, its regexes compiled and its C extension loaded)."""
    global _imported, _Loader, _RESOLVER, _MAP_TAG, _SEQ_TAG, _SCALAR, _ALIAS, _STREAM_END, _MAPPING_START, \
        _MAPPING_END, _SEQUENCE_START, _SEQUENCE_END, _DOCUMENT_START, _SCALAR_NODE, _MARKED_ERROR, _YAML_ERROR, \
        _NO_PATH_RESOLVERS, _DEFAULT_TAG, _QUOTED_TAG, _RESOLVED_FIRST, _DEFAULT_WITHOUT_WALK
    import yaml

    try:
        # libyaml's parser alone (what CSafeLoader parses with): only its events are read, so no loader's
        # constructor and resolver state is set up per file
        from yaml._yaml import CParser

        _Loader = CParser
    except ImportError:  # pragma: no cover - PyYAML built without libyaml
        _Loader = yaml.SafeLoader
    _RESOLVER = yaml.resolver.Resolver()
    _MAP_TAG = str(_RESOLVER.resolve(yaml.MappingNode, None, True))
    _SEQ_TAG = str(_RESOLVER.resolve(yaml.SequenceNode, None, True))
    _SCALAR, _ALIAS, _STREAM_END = yaml.ScalarEvent, yaml.AliasEvent, yaml.StreamEndEvent
    _MAPPING_START, _MAPPING_END = yaml.MappingStartEvent, yaml.MappingEndEvent
    _SEQUENCE_START, _SEQUENCE_END = yaml.SequenceStartEvent, yaml.SequenceEndEvent
    _DOCUMENT_START, _SCALAR_NODE = yaml.DocumentStartEvent, yaml.ScalarNode
    _MARKED_ERROR, _YAML_ERROR = yaml.MarkedYAMLError, yaml.YAMLError
    _NO_PATH_RESOLVERS = not _RESOLVER.yaml_path_resolvers
    _DEFAULT_TAG = str(_RESOLVER.DEFAULT_SCALAR_TAG)
    _QUOTED_TAG = _DEFAULT_TAG if _NO_PATH_RESOLVERS else None
    _RESOLVED_FIRST = frozenset(_RESOLVER.yaml_implicit_resolvers)
    _DEFAULT_WITHOUT_WALK = None not in _RESOLVED_FIRST and _NO_PATH_RESOLVERS
    _imported = True


def _scalar_tag(value: str, implicit: tuple[bool, bool]) -> str:
    if not _imported:
        _import_yaml()
    if len(value) > _TAGGED_LENGTH:
        if _DEFAULT_WITHOUT_WALK and (not implicit[0] or value[0] not in _RESOLVED_FIRST):
            return _DEFAULT_TAG  # what `resolve` returns for it
        return str(_RESOLVER.resolve(_SCALAR_NODE, value, implicit))
    if not (implicit[0] and _NO_PATH_RESOLVERS):
        return str(_RESOLVER.resolve(_SCALAR_NODE, value, implicit))
    tag = _PLAIN_TAGS.get(value)
    if tag is None:
        if len(_PLAIN_TAGS) >= _TAGS_MAX:
            _PLAIN_TAGS.clear()
        tag = _PLAIN_TAGS[value] = str(_RESOLVER.resolve(_SCALAR_NODE, value, implicit))
    return tag


def _copy(node: YNode) -> YNode:
    if node.kind == "seq":
        return YNode("seq", node.position, [_copy(n) for n in node.list()], node.tag, node.style)
    if node.kind == "map":
        return YNode("map", node.position, [(_copy(k), _copy(v)) for k, v in node.items()], node.tag, node.style)
    return YNode("scalar", node.position, node.value, node.tag, node.style)


def text_cannot_hold(text: str, needle: str) -> bool:
    """No key or value of a document parsed from `text` can hold `needle`: the text holds neither it nor a
    backslash. Aliases and merge keys repeat the text's own scalars, folding joins lines with a space or a
    line break, and only a double-quoted scalar's escapes write characters the text does not show."""
    return needle not in text and "\\" not in text


def load_documents(text: str) -> list[YNode]:
    """Every document of a (multi-document) YAML stream; empty documents are dropped."""
    if not _imported:
        _import_yaml()
    composer = _Composer()
    documents: list[YNode] = []
    try:
        # The loader's own event calls, not `yaml.parse`'s generator over them: a Python frame less per event.
        loader = _Loader(text)
        next_event = loader.get_event
        while (event := next_event()) is not None and event.__class__ is not _STREAM_END:
            if isinstance(event, _DOCUMENT_START):
                composer.anchors = {}
                documents.append(composer.document(next_event, next_event()))
    except _MARKED_ERROR as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 1
        problem = str(error.problem or error)
        if "depth" in problem or "nesting" in problem:
            # Newer libyaml builds stop deep nesting themselves, each with its own wording.
            raise ParseError("YAML nesting too deep", line, column) from None
        raise ParseError(f"invalid YAML: {problem}", line, column) from None
    except _YAML_ERROR as error:
        raise ParseError(f"invalid YAML: {error}") from None
    except (RecursionError, StopIteration):
        raise ParseError("YAML nesting too deep") from None
    return documents
