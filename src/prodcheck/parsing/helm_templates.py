"""Helm helper files (`templates/_helpers.tpl`) as a kind of their own: their `define`s are what charts `include`.

Declared apart from their parser (gotemplate.py): discovery asks every run which files are of a declared kind
(parsing/kinds.py imports each module that declares one), and a project without a chart never loads the parser."""
from __future__ import annotations

from typing import TYPE_CHECKING

from prodcheck.parsing.kinds import DeclaredKind

if TYPE_CHECKING:
    from prodcheck.parsing.gotemplate import Template


def _helper_file(relpath: str) -> bool:
    return relpath.endswith(".tpl") and "/templates/" in f"/{relpath}"


def _lenient(path: str, text: str) -> Template | None:
    from prodcheck.parsing.gotemplate import TemplateSyntaxError, parse

    try:
        return parse(text)
    except (TemplateSyntaxError, RecursionError):
        return None  # a helper we cannot read is left out of the rendering, never a PC000


KIND = DeclaredKind("helm-template", _helper_file, _lenient)
