"""How extraction reads a call's arguments and the locals a later call is handed (extract/values.py, statements.py)."""
from __future__ import annotations

from prodcheck.extract.python import extract


def _call(source: str, name: str):
    facts = extract("app/x.py", source.encode())
    return next(call for call in facts.calls if call.name == name)


def test_a_dict_literal_of_str_keys_unpacked_into_a_call_is_its_keywords() -> None:
    call = _call("import sqlalchemy\nsqlalchemy.create_engine(url, **{'pool_size': 50, 'echo': True})\n",
                 "sqlalchemy.create_engine")
    assert [name for name, _ in call.value.keywords] == ["pool_size", "echo"]
    assert call.value.kwarg("pool_size").literal == 50 and not call.value.has_star


def test_other_unpackings_stay_unknown() -> None:
    assert _call("f(**options)\n", "f").value.has_star
    assert _call("f(**{key: 1})\n", "f").value.has_star  # a key known only at run time
    assert _call("f(**{'a': 1}, **rest)\n", "f").value.has_star


def test_a_local_list_of_strings_is_kept_for_the_call_it_is_handed_to() -> None:
    facts = extract("app/x.py", b"def main():\n    argv = ['upgrade', 'head']\n    run(argv)\n    other = [x, 1]\n")
    function = facts.functions[0]
    held = function.local("argv")
    assert held is not None and held.kind == "seq" and [i.literal for i in held.items] == ["upgrade", "head"]
    assert function.local("other") is None or function.local("other").kind == "other"
