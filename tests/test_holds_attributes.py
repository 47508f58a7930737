"""PC501's table of class attributes (rules/concurrency/attributes.py), collected for a class when first asked
about: the same entries, in the same order, as a table of every class attribute made up front."""
from __future__ import annotations

from prodcheck.extract.python import extract
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.concurrency.attributes import Attributes, attribute_of

FILES = {
    "app/store.py": b"from minio import Minio\n\nclass Store:\n    bucket = 'media'\n    def __init__(self):\n"
                    b"        self.client = Minio('s3')\n        self.cache = {}\n    def reset(self):\n"
                    b"        self.client = None\n        self.items[0] = 1\n\n    class Inner:\n        depth = 2\n\n"
                    b"def helper(self):\n    self.loose = 1\n",
    "app/__init__.py": b"class store:\n    kind = 'package-level'\n",  # a class named like the module app.store
    "src/app/store.py": b"class Store:\n    def close(self):\n        self.client = 'closed'\n",  # app.store again
    "app/other.py": b"class Store:\n    bucket = 'elsewhere'\n",
}


def test_collected_attributes_are_those_of_a_table_made_up_front() -> None:
    facts = {path: extract(path, data) for path, data in FILES.items()}
    index = PythonIndex(facts, {})
    table: dict[tuple[str, str], list[object]] = {}
    for file_facts in index.files.values():
        for assign in file_facts.assigns:
            key = attribute_of(assign, index)
            if key is not None:
                method = index.functions.get(assign.scope) if assign.target.startswith("self.") else None
                table.setdefault(key, []).append((assign.value, method[0] if method else None))
    assert ("app.store.Store", "client") in table and ("app.store", "loose") in table
    attributes = Attributes(index)
    for key, entries in table.items():
        assert key in attributes and attributes.get(key) == entries, key
    clients = attributes.get(("app.store.Store", "client"), ())
    assert [value.kind for value, _ in clients] == ["call", "const", "const"]
    assert [method.qualname if method else None for _, method in clients] == [
        "app.store.Store.__init__", "app.store.Store.reset", "app.store.Store.close"]
    assert attributes.get(("app.store.Store", "items")) is None and ("app.store.Store", "items") not in attributes
    assert attributes.get(("app.store.Store.Inner", "depth")) is not None
    assert attributes.get(("app.nowhere.Cls", "x"), ()) == ()
