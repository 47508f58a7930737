"""Python fixes through libcst: the call is found in the concrete syntax tree and rewritten there,
so comments, trailing commas and the call's own layout (one line, one argument per line) are kept.
Rules ask through fix/python.py, which remembers each answer between runs."""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from prodcheck.fix.text import minimal_edit
from prodcheck.model.finding import Fix

if TYPE_CHECKING:
    from prodcheck.model.facts import Value
    from prodcheck.project.sources import SourceFile

_VIEW = "_fix_libcst"


class _Calls(libcst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self) -> None:
        self.calls: list[tuple[CodeRange, libcst.Call]] = []

    def visit_Call(self, node: libcst.Call) -> None:
        self.calls.append((self.get_metadata(PositionProvider, node), node))


def _parsed(source: SourceFile) -> tuple[str, libcst.Module, list[tuple[CodeRange, libcst.Call]]] | None:
    """The file's text, module and calls with their positions; parsed once per run, None if it does not parse."""
    if _VIEW in source.views:
        return source.views[_VIEW]  # type: ignore[return-value]  # stored below, always this tuple or None
    result = None
    try:
        text = (source.data or b"").decode("utf-8")
        wrapper = MetadataWrapper(libcst.parse_module(text), unsafe_skip_copy=True)
        visitor = _Calls()
        wrapper.visit(visitor)
        result = (text, wrapper.module, visitor.calls)
    except (UnicodeDecodeError, libcst.ParserSyntaxError, RecursionError, ValueError):
        result = None
    source.views[_VIEW] = result
    return result


def _call_at(calls: list[tuple[CodeRange, libcst.Call]], value: Value) -> libcst.Call | None:
    """The call whose position is the extracted value's (lines must agree; columns break ties)."""
    span = value.span
    same_lines = [(where, node) for where, node in calls
                  if where.start.line == span.line and where.end.line == span.end_line]
    if len(same_lines) > 1:
        same_lines = [(where, node) for where, node in same_lines if where.end.column == span.end_column - 1]
    if len(same_lines) > 1:
        same_lines = [(where, node) for where, node in same_lines if where.start.column == span.column - 1]
    return same_lines[0][1] if len(same_lines) == 1 else None


def _with_keyword(call: libcst.Call, name: str, value: str) -> libcst.Call:
    """The call with `name=value` appended after its last argument, in the call's own layout."""
    new = libcst.Arg(value=libcst.parse_expression(value), keyword=libcst.Name(name),
                     equal=libcst.AssignEqual(whitespace_before=libcst.SimpleWhitespace(""),
                                              whitespace_after=libcst.SimpleWhitespace("")))
    args = list(call.args)
    if not args:
        return call.with_changes(args=[new])
    last = args[-1]
    # The whitespace that separates arguments: the one after an earlier comma, or the one after `(`
    # when the call puts its arguments on lines of their own.
    separator: libcst.BaseParenthesizableWhitespace = libcst.SimpleWhitespace(" ")
    if len(args) >= 2 and isinstance(args[-2].comma, libcst.Comma):
        separator = args[-2].comma.whitespace_after
    elif isinstance(call.whitespace_before_args, libcst.ParenthesizedWhitespace):
        separator = call.whitespace_before_args
    if isinstance(separator, libcst.ParenthesizedWhitespace):  # its line break, not the comment on that line
        separator = separator.with_changes(first_line=libcst.TrailingWhitespace(), empty_lines=[])
    if isinstance(last.comma, libcst.Comma):
        # `f(\n    a,\n)`: the new argument takes over the trailing comma and the line break before `)`.
        args[-1] = last.with_changes(comma=libcst.Comma(whitespace_after=separator))
        if isinstance(last.comma.whitespace_after, libcst.ParenthesizedWhitespace):
            args.append(new.with_changes(comma=last.comma))
        else:  # `f(a, )` on one line: the stray comma is not a layout worth keeping
            args.append(new)
    else:
        args[-1] = last.with_changes(comma=libcst.Comma(whitespace_after=separator),
                                     whitespace_after_arg=libcst.SimpleWhitespace(""))
        args.append(new.with_changes(whitespace_after_arg=last.whitespace_after_arg))
    return call.with_changes(args=args)


def add_keyword(source: SourceFile, path: str, call: Value, name: str, value: str, *, safe: bool = True) -> Fix | None:
    """A fix appending `name=value` to a call, or None when the call cannot be found exactly."""
    parsed = _parsed(source)
    if parsed is None:
        return None
    text, module, calls = parsed
    node = _call_at(calls, call)
    if node is None or any(arg.keyword is not None and arg.keyword.value == name for arg in node.args):
        return None
    if any(arg.star for arg in node.args):
        return None  # `**options` may already carry it
    rewritten = module.deep_replace(node, _with_keyword(node, name, value))
    assert isinstance(rewritten, libcst.Module)
    edit = minimal_edit(path, text, rewritten.code)
    return Fix(f"add `{name}={value}`", (edit,), safe=safe) if edit is not None else None


def remove_keyword(source: SourceFile, path: str, call: Value, name: str, *, safe: bool = True) -> Fix | None:
    """A fix removing the keyword argument `name=...` from a call (its comma follows the call's layout)."""
    parsed = _parsed(source)
    if parsed is None:
        return None
    text, module, calls = parsed
    node = _call_at(calls, call)
    if node is None:
        return None
    args = list(node.args)
    found = [i for i, arg in enumerate(args) if arg.keyword is not None and arg.keyword.value == name]
    if len(found) != 1:
        return None
    index = found[0]
    removed = args.pop(index)
    if index == len(args) and index > 0:
        # The last argument goes: the one before it takes over its comma (or its absence) and what follows.
        args[index - 1] = args[index - 1].with_changes(comma=removed.comma,
                                                       whitespace_after_arg=removed.whitespace_after_arg)
    rewritten = module.deep_replace(node, node.with_changes(args=args))
    assert isinstance(rewritten, libcst.Module)
    edit = minimal_edit(path, text, rewritten.code)
    written = " ".join(module.code_for_node(removed.value).split())
    return Fix(f"remove `{name}={written}`", (edit,), safe=safe) if edit is not None else None
