"""Python syntax newer than the running interpreter, rewritten so `ast` can analyse it.

`ast` on Python 3.11 rejects PEP 695 type parameters and `type` aliases (3.12), f-strings that
nest their own quotes (PEP 701, 3.12) and `except A, B:` without parentheses (PEP 758, 3.14).
libcst parses them all. This rewrites those constructs into 3.11 equivalents that keep every line
where it was, so the facts extracted from the result point at the right lines. Only files `ast`
rejected come here; the fast path stays `ast` alone.
"""
from __future__ import annotations


# CPython's parser gives up past 200 nested brackets; libcst's native parser recurses on the C stack
# and can crash the process long before reporting an error, so deeper input never reaches it.
MAX_NESTING = 150


def bracket_depth(source: bytes) -> int:
    """Deepest bracket nesting, ignoring brackets inside string literals only roughly: an upper bound."""
    depth = deepest = 0
    for byte in source:
        if byte in (40, 91, 123):  # ( [ {
            depth += 1
            if depth > deepest:
                deepest = depth
        elif byte in (41, 93, 125) and depth:
            depth -= 1
    return deepest


def downgrade(source: bytes) -> bytes | None:
    """3.11-parsable source with the same line structure, or None if libcst cannot parse it either."""
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
            # Keep the text between the quotes only as far as its line breaks: rules read
            # f-strings as patterns at most, and nested quotes are what 3.11 cannot parse.
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
