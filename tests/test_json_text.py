"""report/json_text.py writes the text of `json.dumps(value, indent=2)`, whatever the value."""
from __future__ import annotations

import enum
import json
from collections import OrderedDict

import pytest

from prodcheck.report.json_text import dumps_indented

VALUES: list[object] = [
    {},
    [],
    "x",
    None,
    {"version": 1, "findings": [], "summary": {"files": 3, "findings": 0}},
    [{"code": "PC101", "fix": None, "related": [], "fixable": False, "message": "é \n \"quoted\" \u2028 \\ \t"}],
    [{"fix": {"edits": [{"line": 1, "content": "a\nb"}], "safe": True}, "related": [{"path": "a", "line": 2}]}],
    {"nested": {"deeper": {"deepest": [[], {}, [1, [2, [3, {}]]]]}}, "tuple": ("a", 1, (True, None))},
    {"float": 1.5, "nan": float("nan"), "big": 1e300},  # floats: the C encoder's own text
    [1.5, {"a": [2.5]}],  # floats inside a container joined here: handed to json.dumps whole
    {1: "int key", None: "null key", False: "bool key", 2.5: "float key"},
    {"a": {1: [1]}},
    [True, False, None, 0, -1, 10**30],
    # subclasses: a mapping or a list the C encoder would write on one line, a str or an int enum
    {"ordered": OrderedDict(a=1, b=[1]), "plain": "x"},
    {"items": type("Items", (list,), {})([1, 2]), "n": 1},
    {"severity": enum.Enum("Level", {"ERROR": "error"}, type=str).ERROR, "rank": enum.IntEnum("Rank", "ONE").ONE},
]


@pytest.mark.parametrize("value", VALUES)
def test_same_text_as_json_dumps(value: object) -> None:
    assert dumps_indented(value) == json.dumps(value, indent=2)


def test_unencodable_value_fails_as_json_dumps_does() -> None:
    with pytest.raises(TypeError):
        json.dumps({"a": {1, 2}}, indent=2)
    with pytest.raises(TypeError):
        dumps_indented({"a": {1, 2}})
