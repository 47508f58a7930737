"""model/module_names.py: which dotted names are ambiguous (a tail of several modules: two copies of an application)."""
from __future__ import annotations

from prodcheck.model.module_names import ModuleNames, module_name_for

PATHS = ["api/chalicelib/core/signup.py", "ee/api/chalicelib/core/signup.py", "api/routers/core.py",
         "app/main.py", "app/crud.py"]


def _names() -> ModuleNames:
    names = ModuleNames()
    for path in PATHS:
        names.add(module_name_for(path), path)
    return names


def _by_definition(names: ModuleNames, dotted: str) -> bool:
    """The definition: `dotted` or a leading part of it is the tail of several modules."""
    parts = dotted.split(".")
    return any(names.tails.get(".".join(parts[:cut])) == "" for cut in range(1, len(parts) + 1))


def test_a_name_is_ambiguous_when_a_leading_part_of_it_ends_several_modules() -> None:
    names = _names()
    asked = ["chalicelib.core.signup", "chalicelib.core.signup.send", "core.signup", "signup", "signup.send",
             "app.main", "main", "crud.list_items", "core", "routers.core", "", ".", "a..b", "chalicelib."]
    assert [names.ambiguous(dotted) for dotted in asked] == [_by_definition(names, dotted) for dotted in asked]
    assert names.ambiguous("chalicelib.core.signup.send") and names.ambiguous("signup")
    assert not names.ambiguous("app.main") and not names.ambiguous("crud.list_items")
