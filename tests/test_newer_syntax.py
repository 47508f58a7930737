"""Syntax newer than the interpreter (PEP 695, 701, 750, 758): rewritten by a text scan, libcst last.

The rewrite must keep every line where it was (facts point at real lines) and agree with the
libcst rewrite it replaces, so that a file's findings do not depend on which path read it.
"""
from __future__ import annotations

import ast
import textwrap

import pytest

from prodcheck.extract.newer_syntax import downgrade_cst, downgrade_text, parse_newer
from prodcheck.extract.python import extract
from conftest import run_json, write_project

NEWER = textwrap.dedent('''\
    import time
    from fastapi import APIRouter

    router = APIRouter()
    type Alias = int | str
    type Pair[T] = tuple[T, T]


    class Box[T: (int, str)](dict):
        pass


    def first[T, *Ts, **P](items: list[T]) -> T:
        return items[0]


    @router.get("/items")
    async def items[T](name: str) -> str:
        label = f"{name["x"]}-{'y'}"
        message = (
            f"a {name!r:>{10}} b"
        )
        try:
            time.sleep(1)
        except ValueError, TypeError:
            pass
        return f"""{label}
        {message}"""
    ''')


def test_text_rewrite_parses_keeps_lines_and_agrees_with_libcst() -> None:
    source = NEWER.encode()
    with pytest.raises(SyntaxError):
        ast.parse(source)
    rewritten = downgrade_text(source)
    assert rewritten is not None
    ast.parse(rewritten)
    assert rewritten.count(b"\n") == source.count(b"\n")
    text = rewritten.decode()
    assert "Alias = int | str" in text and "Pair = tuple[T, T]" in text
    assert "class Box(dict):" in text and "def first(items" in text and "async def items(name" in text
    assert "except (ValueError, TypeError):" in text
    assert 'f"' not in text
    assert rewritten == downgrade_cst(source)


def test_facts_of_newer_syntax_point_at_the_real_lines() -> None:
    facts = extract("app/routes.py", NEWER.encode())
    lines = NEWER.splitlines()
    by_name = {f.qualname.rsplit(".", 1)[-1]: f for f in facts.functions}
    assert set(by_name) >= {"first", "items"}
    assert lines[by_name["items"].span.line - 1].startswith("async def items")
    assert by_name["items"].is_async
    sleep = [c for c in facts.calls if c.value.text == "time.sleep"]
    assert sleep and lines[sleep[0].value.span.line - 1].strip() == "time.sleep(1)"


@pytest.mark.parametrize("source", [
    "x = 1\n",                      # nothing newer: nothing to rewrite
    "def f(:\n    pass\n",          # a plain syntax error
    "s = f'{\n",                   # an unterminated f-string
])
def test_text_rewrite_declines_what_it_cannot_help(source: str) -> None:
    assert downgrade_text(source.encode()) is None or parse_newer(source.encode()) is None


def test_t_strings_and_soft_keyword_type_are_read(tmp_path) -> None:
    source = b'import requests\ntype = 3\nname = type\nmessage = t"hi {name}"\nrequests.get(t"{name}")\n'
    parsed = parse_newer(source)
    assert parsed is not None
    _tree, rewritten = parsed
    assert b"type = 3" in rewritten and b'message = ""' in rewritten


def test_a_route_in_newer_syntax_is_checked_end_to_end(tmp_path) -> None:
    root = write_project(tmp_path, {"app/main.py": NEWER})
    _, report = run_json(root)
    assert not [f for f in report["findings"] if f["code"] == "PC000"]
    blocking = [f for f in report["findings"] if f["code"] == "PC501"]
    assert [f["line"] for f in blocking] == [NEWER.splitlines().index("        time.sleep(1)") + 1]


JINJA = b"""from __future__ import annotations

{% for enum in api.enums %}
class {{ enum.name }}(str):
    pass
{% endfor %}
"""
JINJA_IMPORT = b"from polar.{{ version }}.client import Polar\n\nclient = Polar()\n"


@pytest.mark.parametrize("source", [JINJA, JINJA_IMPORT])
def test_a_jinja_template_is_not_handed_to_libcst(source: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """`{%` or `.{` outside every string and comment: no Python reads that, libcst neither, and its import costs
    more than most files' whole analysis. The file's own syntax error stands."""
    from prodcheck.extract import newer_syntax

    def refuse(_source: bytes) -> bytes | None:
        raise AssertionError("libcst was asked")

    monkeypatch.setattr(newer_syntax, "downgrade_cst", refuse)
    assert parse_newer(source) is None


@pytest.mark.parametrize("source", [
    b"x = '{% not a tag %}'\ntype A = int\n",        # in a string
    b"# {% a comment %}\ntype A = int\n",           # in a comment
    b"d = {**a}\ntype A = int\n",                   # a dict display, not a tag
])
def test_markers_inside_strings_and_comments_are_no_template(source: bytes) -> None:
    assert parse_newer(source) is not None


def test_the_rendering_of_a_template_gets_the_text_rewrite_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cookiecutter file whose rendering `ast` refuses: the rendering is never handed to libcst (its branches
    only make sense apart); the template's own text may be."""
    from prodcheck.extract import newer_syntax

    asked: list[bytes] = []
    monkeypatch.setattr(newer_syntax, "downgrade_cst", lambda source: asked.append(source))
    source = b"{% if cookiecutter.a %}\ndef f():\n{% else %}\ndef g():\n{% endif %}\n    pass\n"
    with pytest.raises(SyntaxError):
        extract("{{cookiecutter.name}}/app.py", source)
    assert asked == []


def test_a_brace_that_opens_the_file_follows_no_dot() -> None:
    """`.{` is looked for before the brace, never around the end of the text."""
    from prodcheck.extract.newer_syntax import _rewrite

    assert _rewrite(b"{'a': 1}\ntype A = int\n# the end.")[1] is False
    assert _rewrite(b"from app.{{ name }} import x\n")[1] is True
