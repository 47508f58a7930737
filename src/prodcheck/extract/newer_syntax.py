"""Python syntax newer than the running interpreter, rewritten so `ast` can analyse it.

`ast` on Python 3.11 rejects PEP 695 type parameters and `type` aliases (3.12), f-strings that
nest their own quotes (PEP 701, 3.12), `except A, B:` without parentheses (PEP 758, 3.14) and
t-strings (PEP 750, 3.14). Only files `ast` rejected come here; the fast path stays `ast` alone.

The rewrite is textual and keeps every line where it was, so the facts extracted from the result
point at the right lines:

- `def f[T](...)`, `class C[T]:` lose their type parameters; `type X[T] = v` becomes `X = v`;
- `except A, B:` becomes `except (A, B):`;
- every f-string and t-string becomes `""` (or `\"\"\"` with its line breaks kept): rules read
  them as patterns at most, and nested quotes are what 3.11 cannot parse.

`downgrade` finds those constructs with one linear scan of the text (strings, comments and
brackets only: extract/text_scan.py) and parses the result with `ast`. libcst is the last resort, for what the scan
does not understand (`downgrade_cst`, the same rewrite on a concrete syntax tree); it costs about
a hundred times more.
"""
from __future__ import annotations

import ast
import re

from prodcheck.extract.text_scan import Scanner, Unsupported

# CPython's parser gives up past 200 nested brackets; libcst's native parser recurses on the C stack
# and can crash the process long before reporting an error, so deeper input never reaches it.
MAX_NESTING = 150

# Every byte but the six brackets, deleted before `bracket_depth` counts: a file is ~5 % brackets.
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"()[]{}")


def bracket_depth(source: bytes) -> int:
    """Deepest bracket nesting, ignoring brackets inside string literals only roughly: an upper bound."""
    depth = deepest = 0
    for byte in source.translate(None, _NOT_BRACKETS):
        if byte in (40, 91, 123):  # ( [ {
            depth += 1
            if depth > deepest:
                deepest = depth
        elif byte in (41, 93, 125) and depth:
            depth -= 1
    return deepest


def parse_newer(source: bytes, path: str = "<unknown>", last_resort: bool = True) -> tuple[ast.Module, bytes] | None:
    """The tree and the rewritten source of a file `ast` rejected; None when nothing makes it
    parsable. Raises SyntaxError when libcst reads the file but `ast` still rejects its rewrite.
    `last_resort=False`: the text rewrite only, never libcst (for a template's rendering, see
    extract/python.py)."""
    if bracket_depth(source) > MAX_NESTING:
        return None
    rewritten, template = _rewrite(source)
    if rewritten is not None:
        try:
            return ast.parse(rewritten, filename=path), rewritten
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass  # a shape the scan misread: libcst decides
    if template or not last_resort:
        # A template (Jinja) the scan read whole: libcst would refuse it too, after an import that costs more
        # than the whole analysis of most files (13 MiB, 0.25 s). The file's own syntax error stands.
        return None
    rewritten = downgrade_cst(source)
    if rewritten is None:
        return None
    try:
        return ast.parse(rewritten, filename=path), rewritten
    except SyntaxError:
        raise SyntaxError("syntax this interpreter cannot analyse") from None


def downgrade(source: bytes) -> bytes | None:
    """3.11-parsable source with the same line structure, or None."""
    try:
        parsed = parse_newer(source)
    except SyntaxError:
        return None
    return parsed[1] if parsed else None


def downgrade_text(source: bytes) -> bytes | None:
    """The textual rewrite, or None when the scan does not understand the file or finds nothing
    to rewrite."""
    return _rewrite(source)[0]


def _rewrite(source: bytes) -> tuple[bytes | None, bool]:
    """`downgrade_text`, and whether the scan read the whole file and found a template's marker
    outside its strings and comments (`Scanner.template_marker`)."""
    try:
        text = source.decode("utf-8")
    except UnicodeDecodeError:
        return None, False
    if text.startswith("\ufeff"):
        return None, False
    head = text.split("\n", 2)[:2]
    for line in head:
        declared = re.match(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", line)
        if declared and declared.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
            return None, False  # another declared encoding: libcst honours it
    scanner = Scanner(text)
    try:
        edits = scanner.scan()
    except (Unsupported, IndexError, RecursionError):
        return None, False
    if not edits:
        return None, scanner.template_marker
    parts: list[str] = []
    cursor = 0
    for start, end, replacement in sorted(edits, key=lambda edit: (edit[0], edit[1])):
        if start < cursor:
            return None, False  # overlapping edits: not a shape the scan expects
        parts.append(text[cursor:start])
        parts.append(replacement)
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts).encode("utf-8"), scanner.template_marker


def downgrade_cst(source: bytes) -> bytes | None:
    """The same rewrite through libcst's concrete syntax tree: the last resort."""
    if bracket_depth(source) > MAX_NESTING:
        return None
    try:
        import libcst as cst
    except ImportError:  # pragma: no cover - libcst is a dependency
        return None
    try:
        module = cst.parse_module(source)
    except Exception:  # libcst raises ParserSyntaxError and, on odd input, others
        return None

    class _Downgrade(cst.CSTTransformer):
        def leave_ExceptHandler(self, original: cst.ExceptHandler, updated: cst.ExceptHandler) -> cst.ExceptHandler:
            kind = updated.type
            if isinstance(kind, cst.Tuple) and not kind.lpar:
                return updated.with_changes(type=kind.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()]))
            return updated

        def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
            if getattr(updated, "type_parameters", None) is not None:
                return updated.with_changes(type_parameters=None)
            return updated

        def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
            if getattr(updated, "type_parameters", None) is not None:
                return updated.with_changes(type_parameters=None)
            return updated

        def leave_TypeAlias(self, original, updated):
            return cst.Assign(targets=[cst.AssignTarget(target=updated.name)], value=updated.value)

        def leave_FormattedString(self, original, updated):
            text = cst.Module([]).code_for_node(updated)
            breaks = text.count("\n")
            if breaks:
                return cst.SimpleString('"""' + "\n" * breaks + '"""')
            return cst.SimpleString('""')

    try:
        rewritten = module.visit(_Downgrade())
        return rewritten.code.encode(module.encoding or "utf-8")
    except Exception:
        return None
