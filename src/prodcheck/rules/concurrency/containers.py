"""What an entry of a container holds: an item of a dict or list literal bound to a name, an entry of a
module global declared a mapping or a sequence of one type."""
from __future__ import annotations

from prodcheck.model.facts import Function, Value
from prodcheck.rules.concurrency.holding import INSTANCE, MAX_DEPTH, Holding, HoldsBase, union

# Generic containers whose entries are of the declared type (typing's and the builtins' spellings, lowered)
_MAPPINGS = frozenset({"dict", "mapping", "mutablemapping", "defaultdict", "ordereddict"})
_SEQUENCES = frozenset({"list", "sequence", "mutablesequence", "set", "frozenset"})


class Containers(HoldsBase):
    """Entries of dict and list literals, and of module globals declared as typed containers."""

    def _element(self, subscript: Value, function: Function | None, depth: int) -> Holding | None:
        """`BUCKETS[kind]` of `BUCKETS = {Kind.avatar: Bucket("a"), Kind.upload: Bucket("u")}` (a dict or list
        literal, any keys): the entry a constant str key names, else what every entry holds when they agree."""
        found = self._literal(subscript.text, function, depth)
        if found is None:
            return self._filled(subscript.text, function, depth)
        container, scope = found
        key = subscript.arg(0)
        if container.kind == "dict" and key is not None and key.is_str:
            entry = container.kwarg(str(key.literal))
            return self.value(entry, scope, depth + 1) if entry is not None else None
        held: Holding | None = None
        for entry in (*container.items, *(item for _, item in container.keywords)):
            holding = self.value(entry, scope, depth + 1)
            if holding is None:
                continue
            if held is not None and holding != held:
                return None  # entries of different kinds: which one a request gets is not known
            held = holding
        return held if held is not None else self._filled(subscript.text, function, depth)

    def _filled(self, dotted: str, function: Function | None, depth: int) -> Holding | None:
        """An entry of a module global's container that functions fill (`worker_map = {}`, then
        `worker_map[name] = worker` at start-up): what the stored values hold, as one holding (`union`)."""
        if function is not None and "." not in dotted and self.binds(function, dotted):
            return None  # a local or a parameter of that name, not the global
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
        tuple or list literal, or of the tuple literal a project function returns (the first return that says
        what it holds)."""
        if source.kind == "seq":
            item = source.arg(position)
            return self.value(item, function, depth + 1) if item is not None else None
        if source.kind != "call" or "()" in source.text:
            return None
        resolved = self.index.resolve(source.text)
        if resolved is None or resolved.function is None:
            return None
        called = resolved.function[0]
        for returned in called.returns:
            if returned.kind == "seq" and len(returned.items) > position:
                found = self.value(returned.items[position], called, depth + 1)
                if found is not None:
                    return found
        return None
