"""Platform files as documents with locations: plain values by key path, and where each is written.

YAML keeps its node spans; TOML is read with `tomllib`, its line numbers from a small index of
`key = value` lines.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from prodcheck.model.facts import LITERAL, Fact
from prodcheck.model.finding import Location, Span
from prodcheck.parsing.shell import SimpleCommand, split_argv, split_script
from prodcheck.parsing.yaml import YNode
from prodcheck.project.infra import scalar_location, yaml_command
from prodcheck.project.sources import SourceFile
from prodcheck.lazy_pattern import lazy

if TYPE_CHECKING:
    from prodcheck.project import Project


class Doc:
    """A parsed platform file: plain values by key path, and where each is written."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source

    def value(self, *path: str | int) -> Any:
        raise NotImplementedError

    def location(self, *path: str | int) -> Location:
        raise NotImplementedError

    def commands(self, *path: str | int) -> list[SimpleCommand]:
        value = self.value(*path)
        line = self.location(*path).span.line
        if isinstance(value, str):
            return split_script(value, line)
        if isinstance(value, list) and all(isinstance(item, str) for item in value) and value:
            if " " in value[0].strip():
                return [c for item in value for c in split_script(item, line)]  # a list of shell commands
            return split_argv(value, line)
        return []

    def int_fact(self, note: str, *path: str | int) -> Fact[int] | None:
        value = self.value(*path)
        try:
            number = int(str(value).strip()) if value is not None and not isinstance(value, (dict, list)) else None
        except ValueError:
            number = None
        if number is None:
            return None
        return Fact(number, self.location(*path), LITERAL, f"{number} {note}")


class YamlDoc(Doc):
    def __init__(self, source: SourceFile, root: YNode) -> None:
        super().__init__(source)
        self.root = root

    def node(self, *path: str | int) -> YNode | None:
        return self.root.path(*path)

    def value(self, *path: str | int) -> Any:
        node = self.node(*path)
        return plain(node) if node is not None else None

    def location(self, *path: str | int) -> Location:
        node = self.node(*path)
        if node is None:
            return Location(self.source.path, Span(1))
        return scalar_location(self.source.path, node)

    def commands(self, *path: str | int) -> list[SimpleCommand]:
        node = self.node(*path)
        if node is not None and node.is_seq and node.list() and " " in (node.list()[0].as_str() or "").strip():
            return [c for item in node.list() for c in yaml_command(item)]
        return yaml_command(node) if node is not None else []


def plain(node: YNode) -> Any:
    if node.is_map:
        return {key: plain(value) for key, value in node.entries()}
    if node.is_seq:
        return [plain(item) for item in node.list()]
    return node.as_str()


class TomlDoc(Doc):
    def __init__(self, source: SourceFile, data: dict[str, Any], index: dict[tuple[str | int, ...], tuple[int, int]]) -> None:
        super().__init__(source)
        self.data = data
        self.index = index

    def value(self, *path: str | int) -> Any:
        node: Any = self.data
        for key in path:
            if isinstance(key, int):
                node = node[key] if isinstance(node, list) and len(node) > key else None
            else:
                node = node.get(key) if isinstance(node, dict) else None
            if node is None:
                return None
        return node

    def location(self, *path: str | int) -> Location:
        found = self.index.get(tuple(path))
        if found is None:
            for cut in range(len(path) - 1, 0, -1):  # the table header, at least
                found = self.index.get(tuple(path[:cut]))
                if found is not None:
                    break
        if found is None:
            return Location(self.source.path, Span(1))
        line, column = found
        return Location(self.source.path, Span(line, column, line, len(self.source.line(line)) + 1))


_HEADER = lazy(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY_LINE = lazy(r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*=\s*")


def _key_parts(text: str) -> list[str]:
    return [part.strip().strip("\"'") for part in re.findall(r"\"[^\"]*\"|'[^']*'|[^.]+", text)]


def toml_index(text: str) -> dict[tuple[str | int, ...], tuple[int, int]]:
    """(table path + key path) -> (line, column of the value); arrays of tables carry their index."""
    index: dict[tuple[str | int, ...], tuple[int, int]] = {}
    arrays: dict[tuple[str, ...], int] = {}
    table: tuple[str | int, ...] = ()
    in_string: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        if in_string is not None:
            if in_string in raw:
                in_string = None
            continue
        header = _HEADER.match(raw)
        if header and not _KEY_LINE.match(raw):
            names = _key_parts(header.group(2))
            path: list[str | int] = []
            for position in range(len(names)):
                path.append(names[position])
                prefix = tuple(names[: position + 1])
                if position < len(names) - 1 and prefix in arrays:
                    path.append(arrays[prefix])
            if header.group(1) == "[[":
                key = tuple(names)
                arrays[key] = arrays.get(key, -1) + 1
                for other in [k for k in arrays if len(k) > len(key) and k[: len(key)] == key]:
                    del arrays[other]
                path.append(arrays[key])
            table = tuple(path)
            index.setdefault(table, (number, 1))
            continue
        match = _KEY_LINE.match(raw)
        if match:
            key_path = table + tuple(_key_parts(match.group(1)))
            index[key_path] = (number, match.end() + 1)
            rest = raw[match.end():]
            for quote in ('"""', "'''"):
                if rest.lstrip().startswith(quote) and rest.count(quote) == 1:
                    in_string = quote
    return index


def load_doc(project: Project, source: SourceFile) -> Doc | None:
    if source.path.endswith(".toml"):
        def build() -> TomlDoc:
            from prodcheck.parsing.toml import loads

            data = loads(source.text or "")  # ParseError: PC000, "too deep" included
            return TomlDoc(source, data, toml_index(source.text or ""))

        return project.views.view(source, "toml", build)
    documents = project.yaml(source)
    if not documents or not documents[0].is_map:
        return None
    return YamlDoc(source, documents[0])


