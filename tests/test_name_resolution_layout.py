"""`NameIndex._resolve` asks whether a name starts with a `src.`/`lib.` layout folder once per name, and whether a
module defines a `__getattr__` (PEP 562) before it looks for a lazy export: both against the walk that asked it of
every prefix and in every module, over the names of a project with both layouts and both kinds of package."""
from __future__ import annotations

import pytest

from conftest import project_model
from prodcheck.project.python_index import PythonIndex
from prodcheck.project.python_names import NameIndex, Resolved

FILES = {
    "src/config.py": "import fastapi\n\n\ndef get_settings():\n    return 1\n\n\nLIMIT = 3\n",
    "lib/tools.py": "import fastapi\n\n\nclass Tool:\n    def run(self):\n        return 1\n",
    "lazy/__init__.py": "import fastapi\n\n\ndef __getattr__(name):\n    from lazy import archive\n    return archive\n",
    "lazy/archive.py": "import fastapi\n\n\ndef archive_all():\n    return 1\n",
    "plain/__init__.py": "import fastapi\n",
    "plain/sub.py": "import fastapi\n\n\ndef helper():\n    return 1\n",
    "app/main.py": "import fastapi\nfrom plain.sub import helper\nfrom config import get_settings\n\n\n"
                   "def route():\n    return helper(), get_settings()\n",
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> PythonIndex:
    return project_model(tmp_path_factory.mktemp("layout"), FILES).python


def _reference(index: NameIndex, dotted: str, depth: int) -> Resolved | None:
    """One step of `_resolve` as it was (what it follows to is asked of `resolve`): every prefix asked whether it
    starts with a layout folder, every module whether it defines a `__getattr__` in `_lazy_export`'s own test."""
    if not dotted or depth > 6:
        return None
    if dotted in index.functions:
        return Resolved(dotted, function=index.functions[dotted])
    if dotted in index.assigns:
        return Resolved(dotted, assign=index.assigns[dotted])
    if dotted in index.classes:
        return Resolved(dotted, cls=True)
    full, tails = index._names.full, index._names.tails
    prefix = dotted
    while "." in prefix:
        prefix = prefix.rpartition(".")[0]
        module = full.get(prefix) or tails.get(prefix) or None
        if module is None:
            if not prefix.startswith(("src.", "lib.")):
                continue
            module = index.module_for(prefix)
            if module is None:
                continue
        rest = dotted[len(prefix) + 1:]
        first, dot, tail = rest.partition(".")
        local = f"{module}.{rest}"
        if local != dotted and (local in index.functions or local in index.assigns or local in index.classes):
            return index.resolve(local, depth + 1)
        imported = index.imports.get(module, {}).get(first)
        if imported:
            target = f"{imported}.{tail}" if dot else imported
            return index.resolve(target, depth + 1) if target != dotted else None
        for _, star in index.imports.stars(module):
            if star != module and index.module_for(star) is not None:
                found = index.resolve(f"{star}.{rest}", depth + 1)
                if found is not None:
                    return found
        if f"{module}.__getattr__" not in index.functions:
            return None
        lazy = index._lazy_export(module, first)
        return index.resolve(f"{lazy}.{tail}" if dot else lazy, depth + 1) if lazy is not None else None
    return None


def test_layout_folders_and_lazy_exports_resolve(index: PythonIndex) -> None:
    found = index.function("src.config.get_settings")  # `src/config.py` is the module `config`
    assert found is not None and found[0].qualname == "config.get_settings"
    assert index.resolve("lib.tools.Tool") == Resolved("tools.Tool", cls=True)
    assert index.resolve("srcx.config.get_settings") is None  # a name that only starts like the folder
    found = index.function("lazy.archive_all")  # the package's `__getattr__` imports it from a submodule
    assert found is not None and found[0].qualname == "lazy.archive.archive_all"
    assert index.resolve("plain.helper") is None  # no `__getattr__`: the submodule's name is not the package's


def test_each_name_resolves_as_the_walk_asking_every_prefix(index: PythonIndex) -> None:
    names = [*index.functions, *index.assigns, *index.classes, *index.modules]
    written = {f"{head}{name}{tail}" for name in names for head in ("", "src.", "lib.", "srcx.", "app.")
               for tail in ("", ".x", ".x.y")}
    written |= {"src", "lib", "src.", "lib.lib.tools.Tool", "lazy.archive_all", "lazy.missing", "plain.helper",
                "src.lazy.archive_all", "app.main.helper", "app.main.get_settings.x"}
    for name in sorted(written):
        for depth in (0, 3):
            assert index._resolve(name, depth) == _reference(index, name, depth), (name, depth)


def test_the_reference_is_the_walk_it_describes(index: PythonIndex) -> None:
    """(The reference above finds what the fixtures put there: it is not vacuously equal.)"""
    assert _reference(index, "src.config.get_settings", 0) is not None
    assert _reference(index, "lazy.archive_all", 0) is not None
    assert _reference(index, "plain.helper", 0) is None
