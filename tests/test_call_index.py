"""Project.calls: the calls of the names a predicate accepts, in the order of a loop over every call."""
from __future__ import annotations

from prodcheck.extract.python import extract
from prodcheck.project.calls import CallIndex


def test_named_keeps_file_and_call_order_and_asks_once_per_name() -> None:
    first = extract("app/a.py", b"import os\nos.getenv('A')\nprint(1)\nos.getenv('B')\n")
    second = extract("app/b.py", b"import os\nprint(2)\nos.environ.get('C')\nos.getenv('D')\n")
    index = CallIndex({first.path: first, second.path: second})
    asked: list[str] = []

    def wanted(name: str) -> bool:
        asked.append(name)
        return name in {"os.getenv", "os.environ.get"}

    found = [(facts.path, call.value.arg(0).literal) for facts, call in index.named(wanted)]  # type: ignore[union-attr]
    assert found == [("app/a.py", "A"), ("app/a.py", "B"), ("app/b.py", "C"), ("app/b.py", "D")]
    assert sorted(asked) == sorted(set(asked)) == sorted(index.names)


def test_the_calls_of_a_scope_are_those_a_table_of_every_scope_held() -> None:
    from collections import defaultdict

    from prodcheck.project.python_names import NameIndex

    files = {
        "app/b.py": b"import os\nos.getenv('M')\n\ndef f():\n    g()\n    def inner():\n        h()\n    k()\n\n"
                    b"class C:\n    setup()\n    def m(self):\n        self.n()\n",
        "app/a.py": b"def f():\n    a1()\n\nprint('top')\n",
        "other/app/b.py": b"def f():\n    again()\n",  # the module name `app.b`... of `other.app.b`: not a prefix
        "src/app/b.py": b"import json\n\ndef f():\n    twin()\n",  # `app.b` again (src/ is dropped): both files' calls
        "__init__.py": b"def boot():\n    run()\n",
    }
    facts = {path: extract(path, data) for path, data in files.items()}
    index = NameIndex(facts, {})
    expected: defaultdict[str, list[object]] = defaultdict(list)
    for _path, file_facts in sorted(facts.items()):
        for call in file_facts.calls:
            expected[call.scope].append(call)
    assert expected["app.b.f"] and expected[""] and expected["app.b.f.inner"] and expected["app.b.C.m"]
    for scope, calls in expected.items():
        assert list(index.calls_by_scope.get(scope, [])) == calls, scope
    assert index.calls_by_scope.get("app.b.missing", []) == () and index.calls_by_scope.get("nowhere") == ()
    assert [call.name for call in index.calls_by_scope.get("app.b.f")] == ["g", "k", "twin"]
    # two files of one module name: the imports of the last in path order, as the table of every module held
    assert index.imports.get("app.b", {}) == {"json": "json"} and index.imports.get("app.c", {"x": "y"}) == {"x": "y"}


def test_names_by_their_last_part_are_those_the_predicate_accepts() -> None:
    first = extract("app/a.py", b"import fastapi\nrouter = fastapi.APIRouter()\napp = fastapi.FastAPI()\n"
                                b"app.include_router(router)\ninclude_router(router)\nx.y.add_task(job)\n"
                                b"add_task(job)\napp.middleware('http')(mw)\nmiddleware()\n")
    second = extract("app/b.py", b"tasks.add_task(job)\nadd_tasks(job)\nx.include_routers(r)\n")
    index = CallIndex({first.path: first, second.path: second})
    for last in ({"include_router"}, {"add_task", "include_router"}, {"middleware()"}, {"missing"}, set()):
        for dotted in (False, True):
            def wanted(name: str, last: set[str] = last, dotted: bool = dotted) -> bool:
                return name.rpartition(".")[2] in last and (not dotted or "." in name)

            assert index.names_ending(last, dotted) == index.matching(wanted), (last, dotted)
            assert list(index.ending(last, dotted)) == list(index.named(wanted)), (last, dotted)
    assert index.names_ending({"add_task"}) == {"x.y.add_task", "add_task", "tasks.add_task"}
    assert index.names_ending({"add_task"}, dotted=True) == {"x.y.add_task", "tasks.add_task"}


def test_names_ending_with_are_those_endswith_accepts() -> None:
    first = extract("app/a.py", b"import tortoise\ntortoise.Tortoise.init(db_url=URL)\nregister_tortoise(app)\n"
                                b"x.my_register_tortoise()\nTortoise.initialize()\nnotTortoise.init()\n"
                                b"app.add_event_handler('startup', f)\nadd_event_handler()\n")
    second = extract("app/b.py", b"from sqlalchemy.ext.asyncio import async_sessionmaker\nasync_sessionmaker(e)\n"
                                 b"x.async_sessionmaker_factory()\nmake.other_async_sessionmaker()\n")
    index = CallIndex({first.path: first, second.path: second})
    for suffixes in (("register_tortoise", "Tortoise.init"), ("add_event_handler",), ("async_sessionmaker",),
                     (".init",), ("init",), ("missing", "a.missing"), ()):
        assert index.names_ending_with(suffixes) == index.matching(lambda name, s=suffixes: name.endswith(s)), suffixes
    assert index.names_ending_with(("Tortoise.init",)) == {"tortoise.Tortoise.init", "notTortoise.init"}


def test_a_table_selects_through_the_last_parts_what_it_matches() -> None:
    """`Names.select` with the names by their last part (`*.method` entries) accepts the names `in` accepts."""
    from prodcheck.knowledge.environment import env_getters
    from prodcheck.knowledge.names import Names

    facts = extract("app/a.py", b"import os\nos.getenv('A')\nx.getenv()\ngetenv()\nos.environ.get('B')\n"
                                b"environ.get()\nself.environ.setdefault('C', 1)\nget()\nmy_getenv()\nconfig('D')\n")
    index = CallIndex({facts.path: facts})
    for table in (env_getters(), Names(["*.getenv", "*.a.b", "exact.name", "config"]), Names(["pkg.*", "*.get"]),
                  Names(["x.getenv"]), Names([])):
        assert index.entries_of(table) == index.matching(lambda name, t=table: name in t), table.entries
