"""Python fixes: a keyword argument added to or removed from a call, the call's layout kept.

A keyword added to or removed from a call in one of its usual layouts is one insertion or deletion
found with `ast` (fix/ast_calls.py). Every other layout is libcst's (fix/cst_calls.py),
imported only when the answer is not remembered from an earlier run (fix/memo.py): importing
libcst and parsing the file were a third of a re-check of polar after a one-line edit, for a fix
whose file had not changed.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from prodcheck.fix.memo import remembered
from prodcheck.model.finding import Fix

if TYPE_CHECKING:
    from prodcheck.model.facts import Value
    from prodcheck.project import Project


def add_keyword(project: Project, path: str, call: Value, name: str, value: str, *, safe: bool = True) -> Fix | None:
    """A fix appending `name=value` to a call, or None when the call cannot be found exactly."""
    source = project.by_path.get(path)
    data = source.data if source is not None else None
    if source is None or data is None:
        return None

    def compute() -> Fix | None:
        from prodcheck.fix import ast_calls

        fixed = ast_calls.add_keyword(source, path, call, name, value, safe=safe)
        if not isinstance(fixed, str):  # a fix, or None: not ast_calls.UNSURE
            return fixed
        from prodcheck.fix.cst_calls import add_keyword

        return add_keyword(source, path, call, name, value, safe=safe)

    return remembered(("add_keyword", path, tuple(call.span), name, value, safe), data, compute)


def remove_keyword(project: Project, path: str, call: Value, name: str, *, safe: bool = True) -> Fix | None:
    """A fix removing the keyword argument `name=...` from a call (its comma follows the call's layout)."""
    source = project.by_path.get(path)
    data = source.data if source is not None else None
    if source is None or data is None:
        return None

    def compute() -> Fix | None:
        from prodcheck.fix import ast_calls

        fixed = ast_calls.remove_keyword(source, path, call, name, safe=safe)
        if not isinstance(fixed, str):  # a fix, or None: not ast_calls.UNSURE
            return fixed
        from prodcheck.fix.cst_calls import remove_keyword

        return remove_keyword(source, path, call, name, safe=safe)

    return remembered(("remove_keyword", path, tuple(call.span), name, safe), data, compute)
