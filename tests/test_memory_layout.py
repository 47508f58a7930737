"""What keeps a large scan's memory down without changing what it reads: a Value's position packed
in a small int, and a file's bytes compressed until something reads them again."""
from __future__ import annotations

import pickle
import sys

import pytest

from prodcheck.discovery import sources
from prodcheck.discovery.sources import SourceFile
from prodcheck.extract.python import extract
from prodcheck.model.facts import VALUE_SHAPES, Function, Value, value_shape
from prodcheck.model.packed_positions import pack_position, unpack_position
from prodcheck.model.files import Context, FileKind


@pytest.mark.parametrize("span", [(1, 1, 1, 1), (50_000, 65_535, 54_095, 65_535), (7, 3, 9, 1), (300, 40, 300, 41)])
def test_a_position_round_trips_in_an_int_of_two_digits(span: tuple[int, int, int, int]) -> None:
    packed = pack_position(*span)
    assert type(packed) is int and sys.getsizeof(packed) <= sys.getsizeof(1 << 59)
    assert tuple(unpack_position(packed)) == span


@pytest.mark.parametrize("span", [(1, 70_000, 1, 3), (1, 1, 5_000, 1), (70_000, 1, 70_000, 2), (5, 9, 4, 1)])
def test_a_position_too_large_to_pack_is_kept_as_a_span(span: tuple[int, int, int, int]) -> None:
    assert tuple(unpack_position(pack_position(*span))) == span


def test_packed_positions_order_like_spans() -> None:
    spans = [(2, 1, 2, 5), (2, 1, 3, 1), (2, 4, 2, 5), (10, 1, 10, 2), (10, 1, 11, 1), (1, 9, 40, 9)]
    assert sorted(spans, key=lambda s: pack_position(*s)) == sorted(spans)  # type: ignore[arg-type, return-value]


def test_extracted_values_keep_their_columns_and_lines() -> None:
    source = b"x = 1\nengine = create_engine(\n    'url',\n    pool_size=20,\n)\n"
    facts = extract("app/db.py", source)
    call = facts.calls[0]
    assert tuple(call.value.span) == (2, 10, 5, 2)
    assert tuple(call.value.kwarg("pool_size").span) == (4, 15, 4, 17)  # type: ignore[union-attr]


def test_packed_bytes_read_back_the_same_and_stay_read() -> None:
    data = b"import os\n" * 100
    source = SourceFile("app.py", FileKind.PYTHON, Context.PROD, data=data)
    source.pack()
    assert source.has_data and source._data is None  # compressed until read
    assert source.holds(b"import os") and not source.holds(b"prodcheck")
    assert source._data is None  # `holds` does not keep the bytes unpacked
    assert source.raw == data and source._data == data
    source.pack()
    assert source.data == data


def test_bytes_read_from_a_file_are_let_go_and_read_again_while_the_file_is_unchanged(tmp_path) -> None:
    data = b"import os\nos.getenv('X')\n" * 40
    (tmp_path / "app.py").write_bytes(data)
    source = sources.read_source(tmp_path, "app.py", FileKind.PYTHON, Context.PROD)
    digest = source.digest()
    source.pack()
    assert source.has_data and source._data is None and source._packed is None  # nothing held
    assert source.digest() == digest
    assert source.holds(b"getenv") and not source.holds(b"prodcheck") and source._data is None
    assert source.raw == data and source._data == data  # read again, then kept
    source.pack()
    (tmp_path / "app.py").write_bytes(data + b"x = 1\n")  # changed since it was analysed
    assert not source.holds(b"getenv")
    assert source.raw is None and not source.has_data  # its facts are of the bytes that were: none are made up


def test_bytes_that_hold_pragmas_stay_compressed_in_memory(tmp_path) -> None:
    data = b"import os  # prodcheck: ignore[PC302]\n" * 20
    (tmp_path / "app.py").write_bytes(data)
    source = sources.read_source(tmp_path, "app.py", FileKind.PYTHON, Context.PROD)
    source.pack()
    (tmp_path / "app.py").unlink()
    assert source._packed is not None and source.holds(b"prodcheck") and source.raw == data


def test_the_second_round_parses_the_bytes_as_read(tmp_path) -> None:
    """The prefilter skips `app/entries.py` (no word of its own says it matters); the second round parses it
    because an async route imports it. A skipped file's bytes wait, unpacked, for the round (its syntax check
    comes after it: python_pass.py `_check_unchecked`), so the round parses the bytes the run read, not the file
    as it is later: changed on disk in between, the finding those bytes lead to stands."""
    from prodcheck import engine
    from prodcheck.settings import Settings

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "db.py").write_text("import requests\n\n\ndef push(row):\n"
                                            "    return requests.post('https://ledger.example.com', json=row, timeout=5)\n")
    entries = tmp_path / "app" / "entries.py"
    entries.write_text("from app import db\n\n\ndef record(row):\n    return db.push(row)\n" + "# notes\n" * 40)
    (tmp_path / "app" / "main.py").write_text("from fastapi import FastAPI\n\nfrom app import entries\n\n"
                                              "app = FastAPI()\n\n\n@app.post('/rows')\nasync def add(row: dict):\n"
                                              "    return entries.record(row)\n")
    settings = Settings(use_cache=False)
    before = [f.message for f in engine.run(tmp_path, settings).findings if f.code == "PC501"]
    assert before
    discover = engine.discover

    def discover_then_edit(root, chosen):  # type: ignore[no-untyped-def]
        found = discover(root, chosen)
        entries.write_text("def record(row):\n    return row\n")
        return found

    engine.discover = discover_then_edit  # type: ignore[assignment]
    try:
        result = engine.run(tmp_path, settings)
    finally:
        engine.discover = discover  # type: ignore[assignment]
    assert [f.message for f in result.findings if f.code == "PC501"] == before


def test_reading_packed_bytes_is_noted_for_the_incremental_run() -> None:
    source = SourceFile("app.py", FileKind.PYTHON, Context.PROD, data=b"print('x')\n" * 50)
    source.pack()
    with sources.recording() as reads:
        assert source.raw is not None
        assert reads.paths == set()  # `raw` is for cache keys: not a use
        source.holds(b"x")
    assert reads.paths == {"app.py"}


def test_equal_strings_of_two_files_are_one_object() -> None:
    """Literals, imported names and assignment targets repeat across a project's files: one object each."""
    first = extract("a.py", b"from sqlalchemy.orm import Session\nx = call('utf-8')\nself.db = 1\n")
    second = extract("b.py", b"from sqlalchemy.orm import Session\ny = call('utf-8')\nself.db = 2\n")
    assert first.calls[0].value.items[0].literal is second.calls[0].value.items[0].literal
    assert dict(first.imports)["Session"] is dict(second.imports)["Session"]
    assert first.assigns[-1].target is second.assigns[-1].target == "self.db"


def test_an_assignment_keeps_its_statement_position_packed() -> None:
    facts = extract("app/db.py", b"import os\n\nPOOL = int(\n    os.environ['POOL'],\n)\n")
    assign = facts.assigns[0]
    assert type(assign.at) is int
    assert tuple(assign.span) == (3, 1, 5, 2)


def test_a_packed_position_is_allocated_two_digits() -> None:
    """Not only its value: an int built by a sum is allocated a digit longer than it needs."""
    import ast
    import tracemalloc

    from prodcheck.extract.positions import Positions

    source = b"\n" * 299 + b"value = call(argument)\n"
    node = ast.parse(source).body[0].value  # type: ignore[attr-defined]
    positions = Positions(source)
    kept: list[object] = [None] * 1000
    tracemalloc.start()
    try:
        for index in range(1000):
            kept[index] = positions.at(node)
        used, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert used / len(kept) <= sys.getsizeof(1 << 59) + 1


def _all_values(facts: object) -> list[Value]:
    found: list[Value] = []
    stack = [facts]
    while stack:
        item = stack.pop()
        if isinstance(item, Value):
            found.append(item)
            stack.extend(item.items)
            stack.extend(value for _, value in item.keywords)
        elif isinstance(item, (tuple, list)):
            stack.extend(item)
        elif hasattr(type(item), "__slots__") and not isinstance(item, (str, int)):
            stack.extend(getattr(item, name) for name in type(item).__slots__)
    return found


_EVERY_KIND = b"""\
import os
from sqlalchemy import create_engine as ce
x = None
y = -3
z = b"raw"
e = ce(os.environ["URL"], *args, pool_size=5, **extra)
f = ce()
g = ce("url")
h = {"a": ce(), 1: 2}
i = {1: 2}
j = {}
k = [1, "a"]
l = []
m = a + b
n = a or b
o = a if b else c
p = a == b
q = f"{a}-b"
r = lambda: 0
s = Mapping[str, int]
t = obj[0]
u = (yield)
v = not a
"""


def test_every_extracted_value_has_its_shortest_shape() -> None:
    """A Value leaves out its trailing default fields (model/facts.py): the extractor builds the tuples
    itself, so it must pick the shape `Value(...)` would, or equal Values would compare unequal."""
    values = _all_values(extract("app/every.py", _EVERY_KIND))
    assert {value.kind for value in values} >= {"const", "name", "call", "dict", "seq", "binop", "boolop", "ifexp",
                                                "compare", "fstring", "lambda", "subscript", "other"}
    assert {len(value) for value in values} == {2, 3, 4, 5, 6, 7}
    for value in values:
        assert value_shape(tuple(value)), value


def test_a_short_value_reads_and_compares_like_a_full_one() -> None:
    name = Value("name", 7, "db")
    assert len(name) == 3 and (name.literal, name.items, name.keywords, name.has_star) == (None, (), (), False)
    assert name == tuple.__new__(VALUE_SHAPES[3], ("name", 7, "db")) and isinstance(name, Value)
    call = Value("call", 7, "f", None, (name,), ("a", name), True)
    assert len(call) == 7 and call.kwarg("a") is name and call.kwarg("db") is None
    assert call.keywords == (("a", name),) and call.keyword_values == (name,)
    for value in (name, call, Value("const", 1), Value("const", 1, "", 0), Value("seq", 1, "", None, (name,))):
        assert pickle.loads(pickle.dumps(value)) == value and type(pickle.loads(pickle.dumps(value))) is type(value)
        assert repr(value).startswith("Value(kind=")


def test_keywords_are_stored_flat_and_read_as_pairs() -> None:
    """A call's keywords are one flat tuple (name, value, name, value), not a tuple per keyword; given
    as pairs they are stored the same way, and `kwarg` finds the first of a repeated name."""
    echo, future, again = Value("const", 1, "", True), Value("const", 2, "", False), Value("const", 3, "", 1)
    pairs = Value("call", 1, "create_engine", keywords=(("echo", echo), ("future", future), ("echo", again)))
    assert pairs == Value("call", 1, "create_engine", None, (), ("echo", echo, "future", future, "echo", again))
    assert pairs.flat_keywords == ("echo", echo, "future", future, "echo", again)
    assert pairs.keywords == (("echo", echo), ("future", future), ("echo", again))
    assert pairs.kwarg("echo") is echo and pairs.kwarg("future") is future and pairs.kwarg("pool") is None
    [call] = [c for c in extract("app/db.py", b"import x\nx.f(1, echo=True, **rest)\n").calls]
    assert call.value.flat_keywords[0] == "echo" and len(call.value.flat_keywords) == 2 and call.value.has_star


def test_a_name_costs_less_than_a_call_with_arguments() -> None:
    name = Value("name", 1 << 40, "db")
    call = Value("call", 1 << 40, "f", None, (name,), ("a", name), True)
    assert sys.getsizeof(name) < sys.getsizeof(call)


def test_a_bare_parameter_is_one_object_per_name_and_file() -> None:
    facts = extract("app/svc.py", b"class S:\n    def a(self, x): ...\n    def b(self, x: int, y=1): ...\n")
    a, b = (f for f in facts.functions if f.qualname.endswith((".a", ".b")))
    assert a.params[0] is b.params[0] and a.params[0].name == "self"
    assert a.params[1] is not b.params[1] and b.params[1].annotation is not None and b.params[2].default is not None


def test_equal_def_positions_and_parameter_lists_are_one_object() -> None:
    """A `def` line's Span and a list of shared Params are one object for the run when equal (extract/types.py);
    a list with a Param of its own (a default, here) is kept as built, as is a different position."""
    one = extract("app/a.py", b"class A:\n    def get(self, db: Session):\n        pass\n    def put(self, x=1): ...\n")
    two = extract("app/b.py", b"class B:\n    def get(self, db: Session):\n        return 1\n    def put(self, x=1): ...\n")
    (get_a, put_a), (get_b, put_b) = one.functions, two.functions
    assert get_a.span is get_b.span and tuple(get_a.span) == (2, 5, 2, 5)
    assert get_a.params is get_b.params and [p.name for p in get_a.params] == ["self", "db"]
    assert put_a.params is not put_b.params and put_a.params == put_b.params and put_a.span is not get_a.span


def test_a_functions_own_names_are_its_locals_not_assigns() -> None:
    """`x = ...` in a function is one of the function's `locals` only; an attribute it assigns and a
    module-level name are Assigns, as before."""
    facts = extract("app/svc.py", b"X = 1\n\nclass S:\n    def f(self):\n        db = make()\n        self.db = db\n")
    [function] = [f for f in facts.functions if f.qualname.endswith(".f")]
    assert [name for name, _, _ in function.locals] == ["db"]
    assert [a.target for a in facts.assigns] == ["app.svc.X", "self.db"]


def test_a_functions_locals_are_stored_flat_and_read_as_triples() -> None:
    """`Function.locals` is read as (name, value, how it was bound: "", "with", "async with") triples, in source order, but kept as one
    flat tuple (`flat_locals`): no tuple of its own per binding. `local` finds the latest binding."""
    source = (b"async def f(maker):\n    db = first()\n    async with maker() as db:\n        pass\n"
              b"    n = 1\n    db = last()\n")
    [function] = extract("app/svc.py", source).functions
    assert [(name, value.kind, value.text, how) for name, value, how in function.locals] == [
        ("db", "call", "first", ""), ("db", "call", "maker", "async with"), ("n", "const", "", ""),
        ("db", "call", "last", "")]
    assert function.flat_locals == tuple(part for triple in function.locals for part in triple)
    assert function.local("db").text == "last" and function.local("n").literal == 1  # type: ignore[union-attr]
    assert function.local("maker") is None and Function("f", False, function.span).locals == ()
    assert pickle.loads(pickle.dumps(function)) == function


def test_a_functions_own_names_still_count_towards_the_facts_budget() -> None:
    from prodcheck.limits import PYTHON_MAX_FACTS, OverBudget

    source = b"def f():\n" + b"    a = 1\n" * (PYTHON_MAX_FACTS + 1)
    with pytest.raises(OverBudget, match="calls, literals and definitions"):
        extract("app/big.py", source)


def test_extraction_leaves_no_cyclic_garbage() -> None:
    """Facts are built with the cyclic collector off and what is left is then frozen
    (python_pass._collector_paused): a reference cycle made while extracting is never freed. A
    closure that calls itself is one (the parameter-guard walk kept 17 MiB of the bench corpus)."""
    import gc

    source = (b"import requests\n\nclass Service:\n    def run(self, url, validate=False, *, retry=None):\n"
              b"        if validate:\n            try:\n                requests.get(url)\n"
              b"            except ValueError:\n                if retry is not None:\n                    retry()\n"
              b"        else:\n            return None\n        if not url:\n            return 1\n"
              b"        return [x for x in url]\n\n\nasync def handler(flag, other=1):\n"
              b"    if flag and other:\n        await run(lambda: flag)\n")
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        facts = extract("app/service.py", source)
        assert any(function.guards for function in facts.functions)  # the guard walk ran
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()


def test_equal_annotations_are_one_object_without_a_position() -> None:
    first = extract("app/a.py", b"def f(db: Session, name: str) -> None:\n    pass\n")
    second = extract("app/b.py", b"x: str = ''\n\ndef g(\n    name: str,\n    db: Session,\n) -> None:\n    pass\n")
    f, g = first.functions[0], second.functions[0]
    assert f.params[1].annotation is g.params[0].annotation is second.annotations[0][1]
    assert f.params[1].annotation == Value("name", 0, "str") and f.annotation == Value("const", 0)
    assert f.params[0] is g.params[1]  # `db: Session` without a default: one Param
    assert first.functions[0].params[0].annotation.text == "Session"  # type: ignore[union-attr]


def test_an_annotation_holding_a_call_keeps_its_positions() -> None:
    source = b"async def route(db: Annotated[Session, Depends(get_db)], n: int = 3):\n    pass\n"
    params = extract("app/r.py", source).functions[0].params
    depends = params[0].annotation.items[1]  # type: ignore[union-attr]
    assert depends.kind == "call" and tuple(depends.span) == (1, 40, 1, 55)
    assert tuple(params[0].annotation.span) == (1, 21, 1, 56)  # type: ignore[union-attr]
    assert params[1].annotation == Value("name", 0, "int") and tuple(params[1].default.span) == (1, 67, 1, 68)  # type: ignore[union-attr]


def test_annotations_with_equal_but_different_literals_stay_apart() -> None:
    facts = extract("app/l.py", b"def f(a: Literal[True], b: Literal[1], c: Literal[1.0], d: Literal['1']):\n    pass\n")
    literals = [param.annotation.items[0].literal for param in facts.functions[0].params]  # type: ignore[union-attr]
    assert [type(literal) for literal in literals] == [bool, int, float, str]


def test_equal_import_pairs_are_one_object() -> None:
    first = extract("app/a.py", b"import os\nfrom fastapi import Depends\n")
    second = extract("app/b.py", b"from fastapi import Depends\nimport os as o\n")
    assert first.imports == (("os", "os"), ("Depends", "fastapi.Depends"))
    assert second.imports == (("Depends", "fastapi.Depends"), ("o", "os"))
    assert first.imports[1] is second.imports[0]


def test_a_sweep_over_every_call_name_answers_the_same_and_memoises_nothing() -> None:
    from prodcheck.knowledge.names import Names, sweeping
    from prodcheck.project.calls import CallIndex

    table = Names(["requests.get", "*.execute", "boto3.*"])
    facts = {"app.py": extract("app.py", b"import requests, boto3\nrequests.get(u)\ndb.execute(q)\nboto3.client('s3')\n"
                                         b"print(1)\n")}
    index = CallIndex(facts)
    assert index.matching(table.match) == {"requests.get", "db.execute", "boto3.client"}
    assert [call.name for _, call in index.named(table.__contains__)] == ["requests.get", "db.execute", "boto3.client"]
    assert table._plain == {}  # nothing kept from the sweeps
    with sweeping():
        assert table.match("print") is None
    assert table.match("db.execute") == "*.execute"  # asked outside a sweep: memoised as before
    assert table._plain == {"db.execute": "*.execute"}


def _drops(monkeypatch: pytest.MonkeyPatch, select: tuple[str, ...]) -> list[tuple[str, bool]]:
    """(analysis, whether PC503 had run yet) for every shared analysis the engine let go of."""
    from pathlib import Path

    from prodcheck import engine
    from prodcheck.project.python_index import PythonIndex
    from prodcheck.rules.concurrency.cpu_bound_call_in_async_route import CpuBoundCallInAsyncRoute
    from prodcheck.settings import Settings

    ran: list[str] = []
    dropped: list[tuple[str, bool]] = []
    check = CpuBoundCallInAsyncRoute.check

    def checked(self: CpuBoundCallInAsyncRoute, project: object) -> object:
        ran.append("PC503")
        return check(self, project)  # type: ignore[arg-type]

    def drop(self: PythonIndex, analysis: str) -> None:
        assert "_holds" in self.__dict__  # what the rules built is still there, until now
        dropped.append((analysis, bool(ran)))
        self.__dict__.pop("_holds")

    monkeypatch.setattr(CpuBoundCallInAsyncRoute, "check", checked)
    monkeypatch.setattr(PythonIndex, "drop", drop)
    root = Path(__file__).parent / "fixtures" / "core" / "PC501-py-pos"
    engine.run(root, Settings(select=select, use_cache=False))
    return dropped


def test_the_concurrency_analysis_is_let_go_of_after_the_last_rule_reading_it(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _drops(monkeypatch, ("PC501", "PC503")) == [("concurrency", True)]  # after PC503, not PC501
    assert _drops(monkeypatch, ("PC501",)) == [("concurrency", False)]


def test_a_dropped_analysis_is_built_again_when_asked_for() -> None:
    from prodcheck.project.python_index import PythonIndex
    from prodcheck.rules.concurrency.holds import Holds

    index = PythonIndex({"app/main.py": extract("app/main.py", b"async def f():\n    pass\n")}, {})
    first = Holds.of(index)
    assert Holds.of(index) is first
    index.drop("concurrency")
    assert "_holds" not in index.__dict__ and Holds.of(index) is not first


@pytest.mark.parametrize("data", [b"services:\n  web:\n    image: nginx\n", b"\xef\xbb\xbfFROM python:3.12\n",
                                  "name: caf\u00e9 \u2013 \U0001f680\n".encode()])
def test_a_text_file_keeps_its_text_only_and_gives_back_the_same_bytes(tmp_path, data: bytes) -> None:
    from prodcheck.discovery.sources import read_source

    (tmp_path / "compose.yaml").write_bytes(data)
    source = read_source(tmp_path, "compose.yaml", FileKind.COMPOSE, Context.PROD)
    assert source.text == data.decode("utf-8-sig")
    assert source._data is None and source.has_data  # the text alone is held
    assert source.data == data and source.raw == data  # BOM and every byte as read
    assert source.holds(data[-6:]) and not source.holds(b"absent")
    source.text = "edited"  # the bytes stay those read once the text is set apart from them
    assert source.data == data
