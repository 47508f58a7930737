"""A keyword added to a call without libcst (fix/ast_calls.py) is the fix libcst makes, or it declines."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prodcheck.discovery.sources import SourceFile
from prodcheck.extract.python import extract
from prodcheck.fix import ast_calls, cst_calls
from prodcheck.model.files import Context, FileKind


def _both(text: str, callee: str = "create_engine"):
    """(ast_calls' answer, libcst's answer) for adding `pool_pre_ping=True` to the call of `callee`."""
    data = text.encode("utf-8")
    facts = extract("app/db.py", data)
    calls = [c.value for c in facts.calls if c.value.text.endswith(callee)]
    assert len(calls) == 1, calls
    fast = ast_calls.add_keyword(SourceFile("app/db.py", FileKind.PYTHON, Context.PROD, data=data), "app/db.py",
                                 calls[0], "pool_pre_ping", "True")
    slow = cst_calls.add_keyword(SourceFile("app/db.py", FileKind.PYTHON, Context.PROD, data=data), "app/db.py",
                                 calls[0], "pool_pre_ping", "True")
    return fast, slow


# Layouts the insertion handles: it must answer, and answer what libcst answers.
HANDLED = [
    "engine = create_engine(url)\n",
    "engine = create_engine()\n",
    "engine = create_engine(url, echo=True)\n",
    "engine = create_engine(url,echo=True)\n",
    "engine = create_engine(url,   echo=True  )\n",
    "engine = create_engine(  url)\n",
    "engine = create_engine(f(a, b), c[1], echo=x.y)\n",
    "engine = create_engine(\n    url,\n    echo=True,\n)\n",
    "engine = create_engine(\n    url,\n    echo=True\n)\n",
    "engine = create_engine(\n    url\n)\n",
    "engine = create_engine(\n        url,\n    )\n",
    "def make():\n    return create_engine(\n        url,\n        pool_size=5,\n    )\n",
    "class A:\n    def make(self):\n        return create_engine(\n            url,\n            echo=True,\n        )\n",
    "engine = create_engine('postgresql://é@h/d', echo=True)\n",
    "x = {'é': 1}; engine = create_engine(url)\n",
    "engine = create_engine(url, pool_pre_ping=False)\n",
    "engine = create_engine(url, **options)\n",
    "engine = create_engine(*args)\n",
    # syntax newer than the interpreter elsewhere in the file: `ast` reads the rewrite, whose other lines are the file's
    "type Options = dict[str, int]\n\nengine = create_engine(\n    url,\n    echo=True,\n)\n",
]

# Layouts left to libcst: the insertion declines, whatever libcst then makes of them.
UNSURE = [
    "engine = create_engine(url, # the DSN\n    echo=True)\n",
    "engine = create_engine((url), (echo))\n",
    "engine = create_engine(url, )\n",
    "engine = create_engine(x for x in y)\n",
    "engine = create_engine(\r\n    url,\r\n)\r\n",
    "engine = create_engine(url, echo=True,\n)\n",
    "engine = create_engine(\n    url,\n\n    echo=True,\n)\n",
    "engine = (create_engine)(url)\n",
    "engine = create_engine(f\"{url[\"dsn\"]}\", echo=True)\n",  # the rewrite moved the call's own line
    "engine = create_engine(\n    url,  # the DSN\n    echo=True,\n)\n",
]


def test_the_fix_reaches_the_report_without_importing_libcst(tmp_path) -> None:
    import json
    import subprocess
    import sys

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "db.py").write_text("from sqlalchemy import create_engine\n\n"
                                            "engine = create_engine(\n    DATABASE_URL,\n    pool_size=5,\n)\n")
    code = ("import json, sys\nfrom prodcheck.cli import main\n"
            "try:\n    main.main(['check', sys.argv[1], '--no-cache', '--format', 'json', '--output', sys.argv[2]])\n"
            "except SystemExit:\n    pass\n"
            "print(json.dumps('libcst' in sys.modules))\n")
    report = tmp_path / "report.json"
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path), str(report)], capture_output=True, text=True,
                         check=True)
    fixes = [f["fix"] for f in json.loads(report.read_text())["findings"] if f["code"] == "PC403"]
    assert [edit["content"] for fix in fixes for edit in fix["edits"]] == ["    pool_pre_ping=True,\n"]
    assert json.loads(out.stdout) is False


_ARGUMENT = st.sampled_from(["url", "f(a)", "x.y", "[1, 2]", "'s'", "echo=True", "pool_size=n + 1", "d['k']"])
_GAP = st.sampled_from([",", ", ", ",  ", ",\n    ", ",\n        ", ", # c\n    ", ",\n\n    "])


@settings(max_examples=150, deadline=None)
@given(arguments=st.lists(_ARGUMENT, max_size=4), gaps=st.lists(_GAP, min_size=4, max_size=4),
       opening=st.sampled_from(["", " ", "\n    ", "\n        "]),
       closing=st.sampled_from(["", " ", ",", ",\n", ",\n    ", "\n", "\n    ", ", "]))
def test_any_layout_gets_libcsts_fix_or_is_left_to_it(arguments: list[str], gaps: list[str], opening: str,
                                                      closing: str) -> None:
    text = _layout("def make():\n    return create_engine({})\n", arguments, gaps, opening, closing)
    if text is not None:
        fast, slow = _both(text)
        assert fast == ast_calls.UNSURE or fast == slow


def _layout(module: str, arguments: list[str], gaps: list[str], opening: str, closing: str,
            keyword: tuple[int, str] | None = None) -> str | None:
    """`module` with the arguments laid out in its call (positional first, each keyword once, `keyword` inserted
    at its index among them), or None when that is no valid Python."""
    positional = [a for a in arguments if "=" not in a]
    keywords = list(dict.fromkeys(a for a in arguments if "=" in a))
    if keyword is not None:
        keywords.insert(min(keyword[0], len(keywords)), keyword[1])
    ordered = positional + keywords
    inner = opening + "".join(a + (gaps[i] if i < len(ordered) - 1 else "") for i, a in enumerate(ordered))
    text = module.format(inner + closing if ordered else inner)
    try:
        compile(text, "app/main.py", "exec")
    except SyntaxError:
        return None
    return text


def _both_removed(text: str):
    """(ast_calls' answer, libcst's answer) for removing `reload=...` from the call of `uvicorn.run`."""
    data = text.encode("utf-8")
    facts = extract("app/main.py", data)
    calls = [c.value for c in facts.calls if c.value.text == "uvicorn.run"]
    assert len(calls) == 1, calls
    fast = ast_calls.remove_keyword(SourceFile("app/main.py", FileKind.PYTHON, Context.PROD, data=data),
                                    "app/main.py", calls[0], "reload")
    slow = cst_calls.remove_keyword(SourceFile("app/main.py", FileKind.PYTHON, Context.PROD, data=data),
                                    "app/main.py", calls[0], "reload")
    return fast, slow


REMOVED = [
    "import uvicorn\nuvicorn.run('app:app', reload=True)\n",
    "import uvicorn\nuvicorn.run('app:app', reload=True, port=8000)\n",
    "import uvicorn\nuvicorn.run(reload=True, app='app:app')\n",
    "import uvicorn\nuvicorn.run(reload=True)\n",
    "import uvicorn\nuvicorn.run( reload = True )\n",
    "import uvicorn\nuvicorn.run('app:app',reload=settings.DEBUG)\n",
    "import uvicorn\nuvicorn.run(\n    'app:app',\n    reload=True,\n)\n",
    "import uvicorn\nuvicorn.run(\n    'app:app',\n    reload=True\n)\n",
    "import uvicorn\nuvicorn.run(\n    'app:app',\n    reload=True,\n    port=8000,\n)\n",
    "import uvicorn\nuvicorn.run(\n    reload=True,\n)\n",
    "import uvicorn\nuvicorn.run('app:app', reload=os.getenv(\n    'RELOAD') == '1')\n",
    "import uvicorn\nuvicorn.run('app:app', port=8000)\n",  # nothing to remove
]
REMOVED_UNSURE = [
    "import uvicorn\nuvicorn.run('app:app', reload=(True))\n",
    "import uvicorn\nuvicorn.run('app:app',  # the app\n    reload=True)\n",
    "import uvicorn\nuvicorn.run('app:app', reload=True, **options)\n",
]


@pytest.mark.parametrize(("answers", "text"), [*((_both, text) for text in HANDLED),
                                              *((_both_removed, text) for text in REMOVED)])
def test_the_edit_is_libcsts_fix(answers, text: str) -> None:  # type: ignore[no-untyped-def]
    fast, slow = answers(text)
    assert fast != ast_calls.UNSURE
    assert fast == slow


@pytest.mark.parametrize(("answers", "text"), [*((_both, text) for text in UNSURE),
                                              *((_both_removed, text) for text in REMOVED_UNSURE)])
def test_other_layouts_are_left_to_libcst(answers, text: str) -> None:  # type: ignore[no-untyped-def]
    assert answers(text)[0] == ast_calls.UNSURE


@settings(max_examples=150, deadline=None)
@given(arguments=st.lists(_ARGUMENT, max_size=3), at=st.integers(min_value=0, max_value=3),
       gaps=st.lists(_GAP, min_size=4, max_size=4), opening=st.sampled_from(["", " ", "\n    "]),
       closing=st.sampled_from(["", " ", ",", ",\n", ",\n    ", "\n"]),
       value=st.sampled_from(["True", "(True)", "settings.DEBUG", "env('R') == '1'"]))
def test_any_removal_is_libcsts_or_left_to_it(arguments: list[str], at: int, gaps: list[str], opening: str,
                                              closing: str, value: str) -> None:
    text = _layout("import uvicorn\n\n\ndef main():\n    uvicorn.run({})\n", arguments, gaps, opening, closing,
                   (at, f"reload={value}"))
    if text is not None:
        fast, slow = _both_removed(text)
        assert fast == ast_calls.UNSURE or fast == slow
