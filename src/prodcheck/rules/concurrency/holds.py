"""What a name holds: a blocking client, a sync or async SQLAlchemy session or engine, an instance of a
project class, ... followed through locals, module globals, `self.x = ...` attributes, return values
and return annotations of project functions, `Depends` providers and parameter annotations.

Built from `PyFacts` only. Every walk has a depth limit and a guard against cycles; results are
memoised per (function, expression).
"""
from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from prodcheck.knowledge import load
from prodcheck.knowledge.blocking import Family, blocking
from prodcheck.knowledge.databases import engine_factory, session_classes
from prodcheck.knowledge.frameworks import is_dependency_marker
from prodcheck.model.facts import Assign, Function, PyFacts, Value
from prodcheck.project.python_index import PythonIndex

MAX_DEPTH = 8


def _engine_mode(name: str) -> str | None:
    """`sync`/`async` for a SQLAlchemy engine factory (knowledge/databases.toml), else None."""
    factory = engine_factory(name)
    return factory.mode if factory is not None and factory.library == "sqlalchemy" else None


_PROPERTY = ("property", "cached_property")
_SYNC_ENGINE_TYPES = frozenset(load("databases")["engine_types"]["sync"])
_WRAPPERS = frozenset({"typing.Optional", "Optional", "typing.Union", "Union"})


class Holding(NamedTuple):
    kind: str  # client | session | engine | factory | inspector | object | class
    ref: str  # family key, "sync"/"async", or a class qualname

    @property
    def blocking_session(self) -> bool:
        return self.kind in {"session", "engine", "inspector"} and self.ref == "sync"


class Holds:
    def __init__(self, index: PythonIndex) -> None:
        self.index = index
        self.kb = blocking()
        self.attributes: dict[tuple[str, str], list[tuple[Value, Function | None]]] = defaultdict(list)
        self.dotted_locals: dict[str, list[Assign]] = defaultdict(list)
        for facts in index.files.values():
            for assign in facts.assigns:
                self._note_assign(assign, facts)
        self._memo: dict[tuple[str, str], Holding | None] = {}
        self._locals: dict[str, dict[str, Value]] = {}
        self._active: set[tuple[str, str]] = set()

    @classmethod
    def of(cls, index: PythonIndex) -> Holds:
        cached = index.__dict__.get("_holds")
        if cached is None:
            cached = index.__dict__["_holds"] = cls(index)
        return cached

    def _note_assign(self, assign: Assign, facts: PyFacts) -> None:
        target, scope = assign.target, assign.scope
        if target.startswith("self.") and target.count(".") == 1:
            owner = scope.rpartition(".")[0]
            if owner in self.index.classes:
                function = self.index.functions.get(scope)
                self.attributes[(owner, target[5:])].append((assign.value, function[0] if function else None))
        elif scope in self.index.classes and target.startswith(scope + ".") and target.count(".") == scope.count(".") + 1:
            self.attributes[(scope, target.rsplit(".", 1)[1])].append((assign.value, None))
        elif "." in target and scope and scope != facts.module and scope in self.index.functions:
            self.dotted_locals[scope].append(assign)  # request.state.db = session()

    # ---------------------------------------------------------------- entry points

    def expression(self, dotted: str, function: Function | None, depth: int = 0) -> Holding | None:
        """What a dotted expression as it appears in a call name (`self.repo`, `db`, `get_s3()`) holds."""
        if not dotted or depth > MAX_DEPTH:
            return None
        key = (function.qualname if function else "", dotted)
        if key in self._memo:
            return self._memo[key]
        if key in self._active:
            return None
        self._active.add(key)
        try:
            result = self._expression(dotted.split("."), function, depth)
        finally:
            self._active.discard(key)
        self._memo[key] = result
        return result

    def value(self, value: Value | None, function: Function | None, depth: int = 0) -> Holding | None:
        if value is None or depth > MAX_DEPTH:
            return None
        if value.kind == "name":
            return self.expression(value.text, function, depth + 1)
        if value.kind == "call":
            return self._call(value, function, depth + 1)
        if value.kind == "subscript":
            if value.last == "Annotated":
                return self.annotation(value, function, depth + 1)
            inner = self.expression(value.text, function, depth + 1) if value.text else None
            return inner if inner is not None and inner.kind == "client" else None  # mongo["db"]["users"]
        if value.kind == "boolop":
            for item in value.items:
                found = self.value(item, function, depth + 1)
                if found is not None:
                    return found
        if value.kind == "binop" and value.text == "BitOr":
            for item in value.items:  # langchain `prompt | llm`
                found = self.value(item, function, depth + 1)
                if found is not None and found.kind == "client" and self.kb.families[found.ref].pipe:
                    return found
        return None

    def annotation(self, value: Value | None, function: Function | None, depth: int = 0) -> Holding | None:
        """What a parameter or return annotation (`Session`, `Minio`, `Annotated[X, Depends(f)]`) says."""
        if value is None or depth > MAX_DEPTH:
            return None
        if value.kind == "subscript":
            if value.last == "Annotated" and value.items:
                found = self.annotation(value.items[0], function, depth + 1)
                if found is not None:
                    return found
                for item in value.items[1:]:
                    if item.kind == "call" and is_dependency_marker(item.text):
                        return self._depends(item, None, function, depth + 1)
                return None
            if value.text in _WRAPPERS or value.last in {"Optional", "Union"}:
                return self._first(value.items, function, depth)
            return None
        if value.kind == "binop" and value.text == "BitOr":
            return self._first(value.items, function, depth)
        if value.kind != "name":
            return None
        text = value.text
        if text in session_classes("sync"):
            return Holding("session", "sync")
        if text in session_classes("async"):
            return Holding("session", "async")
        if text in _SYNC_ENGINE_TYPES:
            return Holding("engine", "sync")
        family = self.kb.client(text)
        if family is not None and family.methods is None:
            return Holding("client", family.key)
        resolved = self.index.resolve(text)
        if resolved is None:
            return None
        if resolved.cls:
            return Holding("object", resolved.qualname)
        if resolved.assign is not None and resolved.assign[0].value.kind in {"subscript", "name"}:
            return self.annotation(resolved.assign[0].value, None, depth + 1)  # SessionDep = Annotated[...]
        return None

    def _first(self, items: tuple[Value, ...], function: Function | None, depth: int) -> Holding | None:
        for item in items:
            found = self.annotation(item, function, depth + 1)
            if found is not None:
                return found
        return None

    # ---------------------------------------------------------------- expressions

    def _expression(self, parts: list[str], function: Function | None, depth: int) -> Holding | None:
        current: Holding | None = None
        start = 0
        plain = next((i for i, part in enumerate(parts) if part.endswith("()")), len(parts))
        for end in range(plain, 0, -1):
            current = self._name(".".join(parts[:end]), function, depth)
            if current is not None:
                start = end
                break
        if current is None:
            if plain == len(parts):
                return None
            name, calls = _calls(parts[plain])
            current = self._callee(".".join([*parts[:plain], name]), None, function, depth)
            for _ in range(calls - 1):
                current = self.member(current, "__call__", True, depth + 1) if current is not None else None
            start = plain + 1
        for part in parts[start:]:
            if current is None:
                return None
            name, calls = _calls(part)
            current = self.member(current, name, calls > 0, depth + 1)
            for _ in range(calls - 1):
                current = self.member(current, "__call__", True, depth + 1) if current is not None else None
        return current

    def _name(self, dotted: str, function: Function | None, depth: int) -> Holding | None:
        if function is not None:
            local = self.local(function, dotted)
            if local is not None:
                return self.value(local, function, depth + 1)
            for assign in reversed(self.dotted_locals.get(function.qualname, ())):
                if assign.target == dotted:
                    return self.value(assign.value, function, depth + 1)
            if dotted in {"self", "cls"} and function.class_name:
                return Holding("object" if dotted == "self" else "class", function.class_name)
            for param in function.params:
                if param.name == dotted:
                    return self._parameter(param.annotation, param.default, function, depth + 1)
            if "." not in dotted and any(param.name == dotted for param in function.params):
                return None
        resolved = self.index.resolve(dotted)
        if resolved is None:
            return None
        if resolved.cls:
            return Holding("class", resolved.qualname)
        if resolved.assign is not None:
            assign, _ = resolved.assign
            scope = self.index.functions.get(assign.scope)
            return self.value(assign.value, scope[0] if scope else None, depth + 1)
        return None

    def local(self, function: Function, name: str) -> Value | None:
        """`Function.local` through a per-function dict (some functions bind thousands of locals)."""
        table = self._locals.get(function.qualname)
        if table is None:
            table = self._locals[function.qualname] = {local: value for local, value, _ in function.locals}
        return table.get(name)

    def _parameter(self, annotation: Value | None, default: Value | None, function: Function,
                   depth: int) -> Holding | None:
        if default is not None and default.kind == "call" and is_dependency_marker(default.text):
            found = self._depends(default, annotation, function, depth)
            if found is not None:
                return found
        return self.annotation(annotation, function, depth)

    def _depends(self, depends: Value, annotation: Value | None, function: Function | None,
                 depth: int) -> Holding | None:
        provider = depends.arg(0) or depends.kwarg("dependency")
        if provider is None:
            return self.annotation(annotation, function, depth + 1)  # Depends() uses the annotation
        if provider.kind == "name":
            return self._callee(provider.text, None, None, depth + 1)
        if provider.kind == "call":
            return self._call(provider, function, depth + 1)
        return None

    def _call(self, value: Value, function: Function | None, depth: int) -> Holding | None:
        text = value.text
        if "()" in text:
            return self._expression((text + "()").split("."), function, depth)
        called = self._name(text, function, depth)  # a local factory, SessionLocal, a class
        if called is not None:
            return self.member(called, "__call__", True, depth + 1)
        head, _, method = text.rpartition(".")
        if head:
            base = self._name(head, function, depth) if function is not None or "." in head else None
            if base is not None:
                return self.member(base, method, True, depth + 1, value)
        return self._callee(text, value, function, depth)

    def _callee(self, callee: str, value: Value | None, function: Function | None, depth: int) -> Holding | None:
        """What calling a name returns."""
        if depth > MAX_DEPTH:
            return None
        family = self.kb.client(callee)
        if family is not None:
            return Holding("client", family.key)
        if callee in session_classes("sync"):
            return Holding("session", "sync")
        if callee in session_classes("async"):
            return Holding("session", "async")
        if _engine_mode(callee) == "sync":
            return Holding("engine", "sync")
        if _engine_mode(callee) == "async":
            return Holding("engine", "async")
        if callee in self.kb.sqlalchemy.inspect and value is not None:
            inner = self.value(value.arg(0), function, depth + 1)
            return Holding("inspector", "sync") if inner is not None and inner.blocking_session else None
        if callee.endswith(("sessionmaker", "scoped_session")):
            if value is None:  # sessionmaker(...)() as text: the arguments are not known
                return Holding("factory", "async" if callee.endswith("async_sessionmaker") else "sync")
            kind = self.index.factory_session_kind(value)
            return Holding("factory", kind) if kind else None
        if value is not None and is_dependency_marker(callee):
            return self._depends(value, None, function, depth + 1)
        if "." in callee:
            head, _, method = callee.rpartition(".")
            base = self._name(head, function, depth + 1)
            if base is not None:
                return self.member(base, method, True, depth + 1, value)
        resolved = self.index.resolve(callee)
        if resolved is None:
            return None
        if resolved.cls:
            return Holding("object", resolved.qualname)
        if resolved.function is not None:
            return self.returns(resolved.function[0], depth + 1)
        if resolved.assign is not None:
            assign, _ = resolved.assign
            holder = self.value(assign.value, None, depth + 1)
            if holder is not None and holder.kind == "factory":
                return Holding("session", holder.ref)  # SessionLocal()
            if holder is not None and holder.kind == "class":
                return Holding("object", holder.ref)
        return None

    def returns(self, function: Function, depth: int = 0) -> Holding | None:
        """What a project function returns (or yields): its return annotation first, then its returns."""
        found = self.annotation(function.annotation, None, depth + 1)
        if found is not None and found.kind != "class":
            return found
        for returned in function.returns:
            holder = self.value(returned, function, depth + 1)
            if holder is not None:
                return holder
        return None

    def member(self, holder: Holding, name: str, is_call: bool, depth: int, value: Value | None = None) -> Holding | None:
        """What `holder.name` (or `holder.name(...)`) holds."""
        if depth > MAX_DEPTH:
            return None
        if holder.kind == "client":
            family = self.kb.families[holder.ref]
            if name in family.detached or (not is_call and name in family.safe):
                return None
            return holder  # sub-objects and results of a client: bucket, cursor, collection
        if holder.kind == "factory":
            return Holding("session", holder.ref) if is_call and name in {"__call__", "begin"} else None
        if holder.kind == "engine":
            return Holding("session", holder.ref) if is_call and name in {"connect", "begin"} else None
        if holder.kind == "class" and name == "__call__":
            return Holding("object", holder.ref)
        if holder.kind in {"object", "class"}:
            return self._class_member(holder.ref, name, is_call, depth + 1)
        return None

    def _class_member(self, cls: str, name: str, is_call: bool, depth: int) -> Holding | None:
        for owner in self.mro(cls):
            method = self.index.functions.get(f"{owner}.{name}")
            if method is not None:
                function = method[0]
                is_property = any(d.last in _PROPERTY or d.text.endswith(_PROPERTY) for d in function.decorators)
                if is_call or is_property:
                    return self.returns(function, depth + 1)
                return None
            for value, scope in self.attributes.get((owner, name), ()):
                found = self.value(value, scope, depth + 1)
                if found is not None:
                    return Holding("object", found.ref) if found.kind == "class" and is_call else found
        return None

    def mro(self, cls: str, depth: int = 0) -> list[str]:
        """The class and its project base classes, depth first."""
        order = [cls]
        if depth > 6:
            return order
        entry = self.index.classes.get(cls)
        for base in getattr(entry[0], "bases", ()) if entry else ():
            resolved = self.index.resolve(base)
            if resolved is not None and resolved.cls and resolved.qualname not in order:
                order.extend(b for b in self.mro(resolved.qualname, depth + 1) if b not in order)
        return order

    def method(self, cls: str, name: str) -> tuple[Function, PyFacts] | None:
        for owner in self.mro(cls):
            found = self.index.functions.get(f"{owner}.{name}")
            if found is not None:
                return found
        return None

    def family(self, holder: Holding) -> Family | None:
        return self.kb.families.get(holder.ref) if holder.kind == "client" else None


def _calls(part: str) -> tuple[str, int]:
    """`get()()` -> ("get", 2)."""
    calls = 0
    while part.endswith("()"):
        part, calls = part[:-2], calls + 1
    return part, calls
