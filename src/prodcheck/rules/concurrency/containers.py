"""What an entry of a container holds: an item of a dict or list literal bound to a name, an entry of a
module global declared a mapping or a sequence of one type."""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.model.facts import Function, Value
from prodcheck.rules.concurrency.holding import INSTANCE, MAX_DEPTH, Holding, HoldsBase, not_none, union

# Generic containers whose entries are of the declared type (typing's and the builtins' spellings, lowered)
_MAPPINGS = frozenset({"dict", "mapping", "mutablemapping", "defaultdict", "ordereddict"})
_SEQUENCES = frozenset({"list", "sequence", "mutablesequence", "set", "frozenset"})
# What a `for` loop over a value declared so gets, item by item (collections.abc's and typing's generic
# iterables: https://docs.python.org/3/library/collections.abc.html; their first parameter is the item)
_ITERABLES = _SEQUENCES | frozenset({"iterable", "iterator", "collection", "generator", "asynciterable",
                                      "asynciterator", "asyncgenerator", "abstractset", "mutableset", "deque"})
# Builtins whose result iterates over the items of their first argument
_SAME_ITEMS = frozenset({"sorted", "reversed", "list", "tuple", "set", "frozenset", "iter"})


class Containers(HoldsBase):
    """Entries of dict and list literals, and of module globals declared as typed containers."""

    def _element(self, subscript: Value, function: Function | None, depth: int, built: bool = False) -> Holding | None:
        """`BUCKETS[kind]` of `BUCKETS = {Kind.avatar: Bucket("a"), Kind.upload: Bucket("u")}` (a dict or list
        literal, any keys): the entry a constant str key names, else what every entry holds when they agree; entries
        that are project classes picked by a key known only at run time (a name, an attribute:
        `TOOLS[kind]`; `built`, an entry built by `TOOLS[kind](...)`, whose extracted name keeps no constant key),
        one of them each."""
        found = self._literal(subscript.text, function, depth)
        if found is None:
            return self._filled(subscript.text, function, depth)
        container, scope = found
        key = subscript.arg(0)
        if container.kind == "dict" and key is not None and key.is_str:
            entry = container.kwarg(str(key.literal))
            return self.value(entry, scope, depth + 1) if entry is not None else None
        held: list[Holding] = []
        for entry in _entries_of(container):
            holding = self.value(entry, scope, depth + 1)
            if holding is not None and holding not in held:
                held.append(holding)
        if len(held) > 1:
            if not built and (key is None or key.kind not in {"name", "call"}):
                return None  # a constant key, or none the extraction kept: which entry it names is not known here
            # a table of project classes (`{"review": Reviewer, "describe": Describer}`), a registry of what a request
            # may ask for: the class a request picks is one of them, so a call on it may run any one's method (as each
            # entry of a table of functions may, dispatch.py). Instances of different classes (`{Kind.avatar:
            # Bucket(...), Kind.upload: MemoryStore()}`) or entries of different kinds: which one a request gets is
            # not known (tests/fixtures/core/PC501-py-reach-neg)
            if any(found.kind != "class" for found in held):
                return None
            return Holding("class", "|".join(dict.fromkeys(part for found in held for part in found.ref.split("|"))))
        return held[0] if held else self._filled(subscript.text, function, depth)

    def _table_named(self, dotted: str) -> bool:
        """`dotted` may name a dict literal of two or more names (a table of classes `_call` picks from): its last
        part is the last part of a target bound to one. Asked of every `x.get(...)` and `x[k](...)` a value is: the
        set of such targets is made once, from the assignments, most of which bind no dict of names."""
        tables = self._tables
        if tables is None:
            tables = self._tables = frozenset(
                assign.target.rpartition(".")[2] for facts in self.index.files.values() for assign in facts.assigns
                if assign.value.kind == "dict" and sum(item.kind == "name" for item in _entries_of(assign.value)) > 1)
        return dotted.rpartition(".")[2] in tables


    def _filled(self, dotted: str, function: Function | None, depth: int) -> Holding | None:
        """An entry of a module global's container that functions fill (`worker_map = {}`, then
        `worker_map[name] = worker` at start-up): what the stored values hold, as one holding (`union`)."""
        if function is not None and "." not in dotted and self.binds(function, dotted):
            return None  # a local or a parameter of that name, not the global
        if dotted.startswith("self.") and dotted.count(".") == 1:
            # `return self._engines[name]`, the class's methods storing `self._engines[name] = create_engine(...)`
            if function is None or not function.class_name:
                return None
            stored = next((found for owner in self.mro(function.class_name)
                           if (found := self.entries.get(f"{owner}.{dotted[5:]}"))), None)
            held = [found for value, scope in stored or ()
                    if (found := self.value(value, scope, depth + 1)) is not None]
            return union(held) if held else None
        resolved = self.index.resolve(dotted)
        if resolved is None or resolved.assign is None or resolved.assign[0].target not in self.entries:
            return None
        held = [found for value, scope in self.entries[resolved.assign[0].target]
                if (found := self.value(value, scope, depth + 1)) is not None]
        return union(held) if held else None

    def _literal(self, dotted: str, function: Function | None, depth: int) -> tuple[Value, Function | None] | None:
        """The dict or list literal a name is bound to (a local alias, a `self.x` attribute, a module global),
        with the function its entries are evaluated in."""
        for _ in range(MAX_DEPTH - depth):
            value: Value | None = None
            scope = function
            if function is not None and "." not in dotted:
                value = self.local(function, dotted)
                if value is None and any(param.name == dotted for param in function.params):
                    return None
            elif function is not None and dotted.startswith("self.") and dotted.count(".") == 1 and function.class_name:
                for owner in self.mro(function.class_name):
                    entries = self.attributes.get((owner, dotted[5:]))
                    if entries:
                        value, scope = entries[0]
                        break
            if value is None:
                if dotted.partition(".")[0] in INSTANCE:
                    return None
                resolved = self.index.resolve(dotted)
                if resolved is None or resolved.assign is None:
                    return None
                assign = resolved.assign[0]
                value = assign.value
                owner_function = self.index.functions.get(assign.scope)
                scope = owner_function[0] if owner_function else None
            if value.kind in {"dict", "seq"}:
                return value, scope
            if value.kind != "name":
                return None
            dotted, function = value.text, scope
        return None

    def _declared_element(self, dotted: str, function: Function | None, depth: int) -> Holding | None:
        """An entry of a module global declared a mapping or a sequence of one type (`models: Dict[str,
        EmbeddingsModel] = None`, `clients: list[Minio] = []`), named directly or through a local alias."""
        for _ in range(MAX_DEPTH - depth):
            local = self.local(function, dotted) if function is not None and "." not in dotted else None
            if local is None or local.kind != "name":
                break
            dotted = local.text
        declared = self.index.annotation(dotted)
        if declared is None and dotted.startswith("self.") and dotted.count(".") == 1 and function is not None \
                and function.class_name:  # `self.contexts: Dict[str, Context] = {}`, declared in the class or `__init__`
            declared = next((found for owner in self.mro(function.class_name)
                             if (found := self.index.annotations.get(f"{owner}.{dotted[5:]}")) is not None), None)
        while declared is not None and declared.kind == "subscript" and declared.last in {"Optional", "Annotated"}:
            declared = declared.arg(0)  # `Optional[Dict[str, Model]]`
        if declared is None or declared.kind != "subscript" or not declared.items:
            return None
        kind = declared.last.lower()
        if kind in _MAPPINGS and len(declared.items) == 2:
            return self.annotation(declared.items[1], None, depth + 1)
        if kind in _SEQUENCES:
            return self.annotation(declared.items[0], None, depth + 1)
        return None

    def _unpacked(self, source: Value, position: int, function: Function | None, depth: int) -> Holding | None:
        """Item `position` of what `source` unpacks to (`args, controller = create_controller()`): the item of a
        tuple or list literal, of a project function's return annotation (`-> tuple[Visit, Note]`) or of the
        tuple literal it returns (the first return that says what it holds); `for i, visit in enumerate(visits)`:
        an item of `visits`."""
        if depth > MAX_DEPTH:
            return None
        if source.kind == "seq":
            item = source.arg(position)
            return self.value(item, function, depth + 1) if item is not None else None
        if source.kind == "each" and source.items:
            iterated = source.items[0]
            if position == 1 and iterated.kind == "call" and iterated.text == "enumerate" and iterated.items:
                return self._iterated(iterated.items[0], function, depth + 1)
            return None
        if source.kind != "call" or "()" in source.text:
            return None
        called = self._called(source, function, depth + 1)
        if called is None:
            return None
        declared = self._declared_type(called)
        if declared is not None and declared.kind == "subscript" and declared.last.lower() == "tuple" \
                and len(declared.items) > position and not _ellipsis(declared.items[-1]):
            return self._typed(declared.items[position], called, depth + 1)
        for returned in called.returns:
            if returned.kind == "seq" and len(returned.items) > position:
                found = self.value(returned.items[position], called, depth + 1)
                if found is not None:
                    return found
        return None

    def _iterated(self, source: Value, function: Function | None, depth: int) -> Holding | None:
        """What one item of an iterated value holds (`for visit in visits:`): an entry of a list or tuple literal
        (one holding for all: `union`), of a container a parameter, an attribute or a module global is declared
        as (`visits: list[Visit]`), of what a project function is declared to return (`-> Iterable[Visit]`) or
        yields, of a mapping's `values()`; `sorted(visits)` and the like iterate over the same items. A mapping
        iterated gives its keys: nothing followed."""
        if depth > MAX_DEPTH:
            return None
        if source.kind == "seq":
            held = [found for item in source.items if (found := self.value(item, function, depth + 1)) is not None]
            return union(held) if held else None
        # a name and `sorted(...)`/`list(...)` are the same items: no step of a chain (a name's local assignment
        # is, in `_iterated_name`), so `for s in list(self._pending)` reaches the attribute's declared type
        if source.kind == "name":
            return self._iterated_name(source.text, function, depth)
        if source.kind != "call" or "()" in source.text:
            return None
        if source.text in _SAME_ITEMS and source.items:
            return self._iterated(source.items[0], function, depth)
        head, _, method = source.text.rpartition(".")
        if method == "values" and head and not source.items:
            declared = self._declared_container(head, function)
            if declared is not None and declared.last.lower() in _MAPPINGS and len(declared.items) == 2:
                return self._typed(declared.items[1], function, depth + 1)
            return None
        if head:
            # `for f in root.glob("*.md")`: a library method whose items are clients of its family ([family] yields)
            holder = self.expression(head, function, depth + 1)
            family = self.family(holder) if holder is not None and holder.kind == "client" else None
            if family is not None and method in family.yields:
                return holder
        called = self._called(source, function, depth + 1)
        if called is None:
            return None
        declared = self._declared_type(called)
        if declared is not None:
            return self._item_of(declared, called, depth + 1)
        if called.is_generator:
            return self.returns(called, depth + 1)  # what it yields
        return None

    def _iterated_name(self, dotted: str, function: Function | None, depth: int) -> Holding | None:
        if function is not None and "." not in dotted:
            declared = self.local_type(function, dotted) if function.local_types else None
            if declared is not None:  # `drafts: list[Draft] = []`
                return self._item_of(declared, function, depth + 1)
            local = self.local(function, dotted)
            if local is not None:
                return self._iterated(local, function, depth + 1) if local.kind in {"seq", "name", "call"} else None
            for param in function.params:
                if param.name == dotted:
                    return self._item_of(param.annotation, function, depth + 1) if param.annotation else None
            if self.binds(function, dotted):
                return None
        declared = self._declared_container(dotted, function)
        return self._item_of(declared, function, depth + 1) if declared is not None else None

    def _declared_container(self, dotted: str, function: Function | None) -> Value | None:
        """The declared type of a module global or of an attribute of the function's class (`self.visits:
        list[Visit] = []`, a class-body declaration), as a subscript, else None."""
        if function is not None and "." not in dotted and self.binds(function, dotted):
            return None
        declared = self.index.annotation(dotted)
        if declared is None and dotted.startswith("self.") and dotted.count(".") == 1 and function is not None \
                and function.class_name:
            declared = next((found for owner in self.mro(function.class_name)
                             if (found := self.index.annotations.get(f"{owner}.{dotted[5:]}")) is not None), None)
        declared = not_none(declared)
        return declared if declared is not None and declared.kind == "subscript" and declared.items else None

    def _item_of(self, declared: Value | None, function: Function | None, depth: int) -> Holding | None:
        """What an item of a value declared `declared` holds (`list[Visit]`, `Iterable["Visit"]`,
        `tuple[Visit, ...]`): the item type's holding; a mapping or anything else: None."""
        if declared is not None and declared.is_str and function is not None:
            declared = self._forward(declared, function)
        declared = not_none(declared)
        if declared is None or declared.kind != "subscript" or not declared.items:
            return None
        kind = declared.last.lower()
        if kind in _ITERABLES or (kind == "tuple" and len(declared.items) == 2 and _ellipsis(declared.items[1])):
            return self._typed(declared.items[0], function, depth + 1)
        return None

    def _typed(self, item: Value, function: Function | None, depth: int) -> Holding | None:
        """What a value declared `item` holds (a forward reference read in `function`'s module)."""
        return self.annotation(item, function, depth + 1)

    def _declared_type(self, function: Function) -> Value | None:
        """A function's return annotation, a forward reference read as the name it spells, `Optional` dropped."""
        declared = function.annotation
        if declared is not None and declared.is_str:
            declared = self._forward(declared, function)
        return not_none(declared)

    def _called(self, call: Value, function: Function | None, depth: int) -> Function | None:
        """The project function a call runs: by name (`get_pair(key)`), or a method of what its receiver holds
        (`self.repo.pairs()`, `Visit.all_of(path)`)."""
        resolved = self.index.resolve(call.text)
        if resolved is not None and resolved.function is not None:
            return resolved.function[0]
        head, _, method = call.text.rpartition(".")
        if not head:
            return None
        holder = self.expression(head, function, depth + 1, call.line)
        if holder is None or holder.kind not in {"object", "class"} or "|" in holder.ref:
            return None
        found = self.method(holder.ref, method)
        return found[0] if found is not None else None


def _ellipsis(value: Value) -> bool:
    return value.kind == "const" and value.literal is Ellipsis


def _entries_of(table: Value) -> Iterator[Value]:
    """The entries of a dict or list literal: its items, then its keyword values."""
    yield from table.items
    for _key, item in table.keywords:
        yield item
