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
from prodcheck.knowledge.blocking import Family, Orm, blocking
from prodcheck.knowledge.databases import engine_factory, session_classes, sync_session_objects
from prodcheck.knowledge.frameworks import field_factories, is_dependency_marker
from prodcheck.model.facts import Assign, Function, PyFacts, Value, pack_position
from prodcheck.project.python_index import PythonIndex
from prodcheck.project.python_names import Resolved
from prodcheck.rules.concurrency.written import app_state_name, forward_name

MAX_DEPTH = 8  # steps within one expression's answer
MAX_NESTING = 32  # expressions whose answers wait on each other (a module global -> an attribute -> a parameter's default ...)


def _engine_mode(name: str) -> str | None:
    """`sync`/`async` for a SQLAlchemy engine factory (knowledge/databases.toml), else None."""
    factory = engine_factory(name)
    return factory.mode if factory is not None and factory.library == "sqlalchemy" else None


_PROPERTY = ("property", "cached_property")
_INSTANCE = frozenset({"self", "cls"})
_SYNC_ENGINE_TYPES = frozenset(load("databases")["engine_types"]["sync"])
_WRAPPERS = frozenset({"typing.Optional", "Optional", "typing.Union", "Union"})
# Generic containers whose entries are of the declared type (typing's and the builtins' spellings, lowered)
_MAPPINGS = frozenset({"dict", "mapping", "mutablemapping", "defaultdict", "ordereddict"})
_SEQUENCES = frozenset({"list", "sequence", "mutablesequence", "set", "frozenset"})


class Holding(NamedTuple):
    kind: str  # client | session | engine | factory | inspector | object | class | maker | query | module
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
        self.app_state: dict[str, list[tuple[Value, Function | None]]] = defaultdict(list)
        for facts in index.files.values():
            for assign in facts.assigns:
                self._note_assign(assign, facts)
        self._memo: dict[tuple[str, str, int], Holding | None] = {}
        self._locals: dict[str, dict[str, list[Value]]] = {}
        self._active: set[tuple[str, str, int]] = set()
        self._subclasses: dict[str, list[str]] | None = None
        self._registry: frozenset[str] | None = None
        self._orms: dict[str, Orm | None] = {}
        self._constructed: dict[str, list[str]] | None = None  # call names by their last part (`_built`)
        self._imports: dict[str, frozenset[str]] = {}  # module -> the library modules it imports whole

    @classmethod
    def of(cls, index: PythonIndex) -> Holds:
        cached = index.__dict__.get("_holds")
        if cached is None:
            cached = index.__dict__["_holds"] = cls(index)
        return cached

    def _note_assign(self, assign: Assign, facts: PyFacts) -> None:
        target, scope = assign.target, assign.scope
        name = app_state_name(target)
        if name:  # `app.state.store = Store(...)` (module level, a lifespan, an `__init__`): read by every request
            function = self.index.functions.get(scope)
            self.app_state[name].append((assign.value, function[0] if function else None))
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

    def expression(self, dotted: str, function: Function | None, depth: int = 0, line: int = 0) -> Holding | None:
        """What a dotted expression as it appears in a call name (`self.repo`, `db`, `get_s3()`) holds.

        The answer is memoised per (function, expression), so it is computed with a depth of its own:
        the same expression reached through a longer chain must get the same answer. Nesting is bounded
        by the expressions under way, and a cycle among them answers None. `line` is where the expression
        is used: a local assigned more than once holds what its last assignment before that line gave it."""
        if not dotted:
            return None
        if line and (function is None or not self._reassigned(function, dotted.partition(".")[0])):
            line = 0  # the answer does not depend on the line: one memo entry for every use
        key = (function.qualname if function else "", dotted, line)
        if key in self._memo:
            return self._memo[key]
        if key in self._active or len(self._active) > MAX_NESTING:
            return None
        self._active.add(key)
        try:
            result = self._expression(dotted.split("."), function, 0, line)
        finally:
            self._active.discard(key)
        self._memo[key] = result
        return result

    def value(self, value: Value | None, function: Function | None, depth: int = 0) -> Holding | None:
        if value is None or depth > MAX_DEPTH:
            return None
        if value.kind == "name":
            found = self.expression(value.text, function, depth + 1, value.span.line)
            return found if found is not None else self._module(value.text, function)
        if value.kind == "call":
            return self._call(value, function, depth + 1)
        if value.kind == "subscript":
            if value.last == "Annotated":
                return self.annotation(value, function, depth + 1)
            inner = self.expression(value.text, function, depth + 1, value.span.line) if value.text else None
            if inner is not None and inner.kind == "client":
                return inner  # mongo["db"]["users"]
            if not value.text or inner is not None:
                return None
            return self._element(value, function, depth + 1) or self._declared_element(value.text, function, depth + 1)
        if value.kind == "ifexp" and len(value.items) == 3:
            return self._either(value.items[1:], function, depth + 1)
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

    def _module(self, name: str, function: Function | None) -> Holding | None:
        """A library module bound to a name (`_stripe_module = stripe` after `import stripe` in a lazy loader,
        `return stripe`): its functions, called through the name, are the module's own. Only a module the
        function's file imports and the project does not define, and only as a value: a call written with the
        module's own name is judged by that name."""
        if function is None or name.split(".", 1)[0] not in self._imported(function):
            return None
        return Holding("module", name) if self.index.module_for(name.split(".", 1)[0]) is None else None

    def _imported(self, function: Function) -> frozenset[str]:
        """The top-level packages the file that defines `function` imports from (`stripe` of `import stripe as
        _stripe`: the extractor writes a name bound to an imported module as its target)."""
        entry = self.index.functions.get(function.qualname)
        if entry is None:
            return frozenset()
        module = entry[1].module
        found = self._imports.get(module)
        if found is None:
            found = self._imports[module] = frozenset(
                target.split(".", 1)[0] for target in self.index.imports.get(module, {}).values())
        return found

    def _either(self, branches: tuple[Value, ...], function: Function | None, depth: int) -> Holding | None:
        """`x = a if c else b`, or both branches of an if/else assigning `x`: which branch runs is not known, so
        a branch that holds something blocking wins (a sync client, session or engine); the other is taken only
        when neither does (both async: nothing blocks)."""
        held = [found for branch in branches if (found := self.value(branch, function, depth)) is not None]
        for found in held:
            if found.kind == "client" or found.ref == "sync":
                return found
        return held[0] if held else None

    def _element(self, subscript: Value, function: Function | None, depth: int) -> Holding | None:
        """`BUCKETS[kind]` of `BUCKETS = {Kind.avatar: Bucket("a"), Kind.upload: Bucket("u")}` (a dict or list
        literal, any keys): the entry a constant str key names, else what every entry holds when they agree."""
        found = self._literal(subscript.text, function, depth)
        if found is None:
            return None
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
        return held

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
                if dotted.partition(".")[0] in _INSTANCE:
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
            if value.last in {"Type", "type"} and value.items:
                return self._registered(value.items[0])
            return None
        if value.kind == "binop" and value.text == "BitOr":
            return self._first(value.items, function, depth)
        if value.is_str:
            forward = self._forward(value, function)
            return self.annotation(forward, function, depth + 1) if forward is not None else None
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
        if family is not None and (family.methods is None or family.items):
            return Holding("client", family.key)
        if self.kb.maker(text):
            return Holding("maker", text)
        resolved = self.index.resolve(text)
        if resolved is None:
            return None
        if resolved.cls:
            return Holding("object", resolved.qualname)
        if resolved.assign is not None and resolved.assign[0].value.kind in {"subscript", "name"}:
            return self.annotation(resolved.assign[0].value, None, depth + 1)  # SessionDep = Annotated[...]
        return None

    def _registered(self, base: Value) -> Holding | None:
        """`-> Type[Tool]` (`type[Tool]`): a class picked at run time, one of the project's classes deriving from
        (or being) `Tool` that the project registers: names as an entry of a list, tuple, set or dict literal, or
        returns (`TOOLS = {"image": Image}`, `return [Image, Search]`). A subclass no registry names is never
        picked (a tool taken out of the list); with none named, the class is not known."""
        resolved = self.index.resolve(base.text) if base.kind == "name" else None
        if resolved is None or not resolved.cls:
            return None
        if self._registry is None:
            self._registry = _registry_classes(self.index)
        picked = [cls for cls in (resolved.qualname, *self._descendants(resolved.qualname)) if cls in self._registry]
        return Holding("class", "|".join(sorted(picked))) if picked else None

    def _forward(self, value: Value, function: Function | None) -> Value | None:
        """A forward reference (`api: "RESTfulAPI"`), as the name it spells in the function's module."""
        found = self.index.functions.get(function.qualname) if function is not None else None
        name = forward_name(str(value.literal), found[1]) if found is not None else None
        return Value("name", value.at, name) if name else None

    def _first(self, items: tuple[Value, ...], function: Function | None, depth: int) -> Holding | None:
        """`A | B`, `Union[A, B]`, `Optional[A]`: what the members say, as one holding (`union`)."""
        held = [found for item in items if (found := self.annotation(item, function, depth + 1)) is not None]
        return union(held) if held else None

    # ---------------------------------------------------------------- expressions

    def _expression(self, parts: list[str], function: Function | None, depth: int, line: int = 0) -> Holding | None:
        current: Holding | None = None
        start = 0
        element = next((i for i, part in enumerate(parts) if part.endswith("[]")), None)
        if element is not None:
            # `CLIENTS[].upload`: what an entry of a dict or list literal holds, then its members. Only a literal:
            # the item of what a client returned (`profile["name"].split()`, a JSON body) is data, not the client.
            base = ".".join([*parts[:element], parts[element][:-2]])
            at = pack_position(line, 0, line, 0) if line else pack_position(1, 0, 1, 0)
            current = self._element(Value("subscript", at, base), function, depth + 1)
            if current is None:
                # `db["users"].find_one()` with `db = MongoClient()["app"]`: an item of a client whose library
                # names databases and collections by key ([family] items)
                held = self.expression(base, function, depth + 1, line)
                family = self.family(held) if held is not None else None
                current = held if family is not None and family.items else None
            if current is None:
                current = self._declared_element(base, function, depth + 1)
            start = element + 1
            parts = [part if "[]" not in part else "" for part in parts]
            return self._members(current, parts[start:], depth)
        plain = next((i for i, part in enumerate(parts) if part.endswith("()")), len(parts))
        for end in range(plain, 0, -1):
            current = self._name(".".join(parts[:end]), function, depth, line)
            if current is not None:
                start = end
                break
        if current is None:
            if plain == len(parts):
                return None
            name, calls = _calls(parts[plain])
            callee = ".".join([*parts[:plain], name])
            called = self._name(callee, function, depth, line) if function is not None and "." not in callee else None
            if called is not None:  # `tool_class(...)` with `tool_class = get_tool(name)`: a local called
                current = self.member(called, "__call__", True, depth + 1)
            else:
                current = self._callee(callee, None, function, depth, line)
            for _ in range(calls - 1):
                current = self.member(current, "__call__", True, depth + 1) if current is not None else None
            start = plain + 1
        return self._members(current, parts[start:], depth)

    def _members(self, current: Holding | None, parts: list[str], depth: int) -> Holding | None:
        for part in parts:
            if current is None or not part:
                return None
            name, calls = _calls(part)
            current = self.member(current, name, calls > 0, depth + 1)
            for _ in range(calls - 1):
                current = self.member(current, "__call__", True, depth + 1) if current is not None else None
        return current

    def _name(self, dotted: str, function: Function | None, depth: int, line: int = 0) -> Holding | None:
        if function is not None:
            local = self.local(function, dotted, line)
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
            outer = self._enclosing(function, dotted)
            if outer is not None:  # a closure's free name is its enclosing function's (`def make_router(store: Store)`)
                return self._name(dotted, outer, depth + 1)
            written = self.unshadow(dotted, function)
            if written != dotted:
                return self._expression(written.split("."), function, depth + 1, line)
        if dotted.partition(".")[0] in _INSTANCE:
            return None  # `self.client` is a member of this class (`member`), never another class's `self.client = ...`
        resolved = self.index.resolve(dotted)
        state = "" if _module_global(resolved) else app_state_name(dotted)  # not a project module's global (`app.state.x`)
        if state and state in self.app_state:
            for value, scope in self.app_state[state]:
                found = self.value(value, scope, depth + 1)
                if found is not None:
                    return found
            return None
        if resolved is None:
            # fastapi-sqlalchemy's `db.session` (knowledge/databases.toml [sessions] sync_objects): a sync
            # session by name; a maker of clients (`boto3.Session` as an annotation or a module global)
            if dotted in sync_session_objects():
                return Holding("session", "sync")
            return self._declared(dotted, depth)  # `client: Minio` declared with no value
        if resolved.cls:
            return Holding("class", resolved.qualname)
        if resolved.assign is not None:
            assign, _ = resolved.assign
            scope = self.index.functions.get(assign.scope)
            found = self.value(assign.value, scope[0] if scope else None, depth + 1)
            return found if found is not None else self._declared(dotted, depth)
        return None

    def _declared(self, dotted: str, depth: int) -> Holding | None:
        """A module global's declared type, when what it is assigned says nothing (`client: OpenAI = None` in a
        state module that start-up fills in): the annotation is what requests find there."""
        declared = self.index.annotation(dotted)
        return self.annotation(declared, None, depth + 1) if declared is not None else None

    def _declared_element(self, dotted: str, function: Function | None, depth: int) -> Holding | None:
        """An entry of a module global declared a mapping or a sequence of one type (`models: Dict[str,
        EmbeddingsModel] = None`, `clients: list[Minio] = []`), named directly or through a local alias."""
        for _ in range(MAX_DEPTH - depth):
            local = self.local(function, dotted) if function is not None and "." not in dotted else None
            if local is None or local.kind != "name":
                break
            dotted = local.text
        declared = self.index.annotation(dotted)
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

    def _enclosing(self, function: Function, name: str) -> Function | None:
        """The function a nested function is defined in, when that one binds `name` (a local or a parameter): a
        free name of a closure is the enclosing function's binding (Python's scoping rule), not a module global's.
        `self`/`cls` of a method is bound the same way."""
        if "." in name or name in function.declared:
            return None
        found = self.index.functions.get(function.qualname.rpartition(".")[0])
        if found is None:
            return None
        outer = found[0]
        bound = name in self._local_values(outer) or any(param.name == name for param in outer.params)
        return outer if bound else None

    def unshadow(self, dotted: str, function: Function) -> str:
        """`dotted` as the function wrote it when the extractor qualified it as a module global (`log.record` is
        read as `app.audit.log.record` when the module binds `log`) but the function, or the factory it is nested
        in, binds that name itself (a parameter, a local): Python's scoping makes it theirs."""
        found = self.index.functions.get(function.qualname)
        module = found[1].module if found else ""
        if not module or not dotted.startswith(module + "."):
            return dotted
        written = dotted[len(module) + 1:]
        return written if self.binds(function, written.partition(".")[0]) else dotted

    def binds(self, function: Function, name: str) -> bool:
        """Whether `name` is the function's own (a local or a parameter) or, in a closure, an enclosing
        function's: then it is not the module global of the same name."""
        if name in function.declared:
            return False
        if name in self._local_values(function) or any(param.name == name for param in function.params):
            return True
        return self._enclosing(function, name) is not None

    def local(self, function: Function, name: str, line: int = 0) -> Value | None:
        """What a local name holds where it is used at `line`: its last assignment (or `with ... as`) that
        starts before the line, else (a use before every assignment: a loop, a closure; or no line) its last
        one. A cookiecutter template read as the superset of its branches assigns `engine` once per branch,
        and a use sees the one of its own branch."""
        values = self._local_values(function).get(name)
        if not values:
            return None
        if line and len(values) > 1:
            for value in reversed(values):
                if value.span.line < line:
                    return value
        return values[-1]

    def _local_values(self, function: Function) -> dict[str, list[Value]]:
        """A function's locals by name, in assignment order (some functions bind thousands of locals)."""
        table = self._locals.get(function.qualname)
        if table is None:
            table = self._locals[function.qualname] = defaultdict(list)
            for local, value, _ in function.locals:
                table[local].append(value)
        return table

    def _reassigned(self, function: Function, name: str) -> bool:
        values = self._local_values(function).get(name)
        return values is not None and len(values) > 1

    def _parameter(self, annotation: Value | None, default: Value | None, function: Function,
                   depth: int) -> Holding | None:
        if default is not None and default.kind == "call" and is_dependency_marker(default.text):
            found = self._depends(default, annotation, function, depth)
            if found is not None:
                return found
        found = self.annotation(annotation, function, depth)
        if found is None and default is not None and default.kind in {"name", "call"}:
            # `client: "S3Client" = default_client`: what the parameter holds when the caller leaves it out
            found = self.value(default, None, depth + 1)
        return found

    def _depends(self, depends: Value, annotation: Value | None, function: Function | None,
                 depth: int) -> Holding | None:
        provider = depends.arg(0) or depends.kwarg("dependency")
        if provider is None:
            return self.annotation(annotation, function, depth + 1)  # Depends() uses the annotation
        if provider.kind == "name":
            return self._callee(provider.text, None, None, depth + 1)
        if provider.kind == "call":
            return self._made_dependency(provider, depth) or self._call(provider, function, depth + 1)
        return None

    def _made_dependency(self, provider: Value, depth: int) -> Holding | None:
        """`Depends(get_service(validator))` whose factory returns a function it defines: FastAPI calls that
        function for each request and injects what it returns."""
        factory = self.index.function(provider.text)
        if factory is None:
            return None
        for returned in factory[0].returns:
            made = self.index.functions.get(f"{factory[0].qualname}.{returned.text}") if returned.kind == "name" else None
            if made is not None:
                return self.returns(made[0], depth + 1)
        return None

    def _call(self, value: Value, function: Function | None, depth: int) -> Holding | None:
        text, line = value.text, value.span.line
        if "()" in text:
            return self._expression((text + "()").split("."), function, depth, line)
        called = self._name(text, function, depth, line)  # a local factory, SessionLocal, a class
        if called is not None:
            return self.member(called, "__call__", True, depth + 1)
        head, _, method = text.rpartition(".")
        if head:
            if head.partition(".")[0] in _INSTANCE and function is not None:
                base = self.expression(head, function, depth + 1, line)  # `self.db.query(X)`: a member of this class
            else:
                base = self._name(head, function, depth, line) if function is not None or "." in head else None
            if base is not None:
                return self.member(base, method, True, depth + 1, value)
        return self._callee(text, value, function, depth, line)

    def _callee(self, callee: str, value: Value | None, function: Function | None, depth: int,
                line: int = 0) -> Holding | None:
        """What calling a name returns."""
        if depth > MAX_DEPTH:
            return None
        family = self.kb.client(callee)
        if family is not None:
            return Holding("client", family.key)
        if self.kb.maker(callee):
            return Holding("maker", callee)  # `boto3.Session()`: its `.client("s3")` is the client
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
        if value is not None and callee in field_factories()[0]:
            # `client: Docker = field(default_factory=docker.from_env)`: each instance holds what the factory returns
            factory = next((found for key in field_factories()[1] if (found := value.kwarg(key)) is not None), None)
            if factory is None or factory.kind != "name":
                return None
            return self._callee(factory.text, None, function, depth + 1, line)
        if "." in callee:
            head, _, method = callee.rpartition(".")
            base = self._name(head, function, depth + 1, line)
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
        annotation = function.annotation
        if annotation is not None and annotation.is_str:  # `-> "Api"`: qualified in the function's module
            annotation = self._forward(annotation, function)
        found = self.annotation(annotation, None, depth + 1)
        if found is not None and found.kind == "object" and self._interface(found.ref):
            # `-> AgentService`, a Protocol: the classes the function returns say which methods run
            made = [held for returned in function.returns
                    if (held := self.value(returned, function, depth + 1)) is not None and held.kind == "object"]
            real = [held for held in made if not _double(held.ref)]  # `MockAgentService()` behind a flag: a test double
            if real and len(made) == len(function.returns):
                return union(real)
        if found is not None and (found.kind != "class" or "|" in found.ref):
            return found  # an object, a client ...; or the registered classes of `-> Type[Tool]`
        for returned in function.returns:
            holder = self.value(returned, function, depth + 1)
            if holder is not None:
                return holder
        for returned in function.returns:
            # `_client = None` ... `try: _client = build()` ... `except: _client = None` ... `return _client`: the
            # branch that ran is not known, so what any assignment of the returned local gives may be returned
            if returned.kind == "name" and self._reassigned(function, returned.text):
                for value in reversed(self._local_values(function)[returned.text]):
                    holder = self.value(value, function, depth + 1)
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
        if holder.kind == "module":  # `stripe.Customer` of a module held by a name; what its factories return
            return self._callee(f"{holder.ref}.{name}", value, None, depth + 1) if is_call else Holding(
                "module", f"{holder.ref}.{name}")
        if holder.kind == "maker":
            family = self.kb.client(f"{holder.ref}.{name}") if is_call else None
            return Holding("client", family.key) if family is not None else None
        if holder.kind == "session" and holder.ref == "sync" and is_call:
            sql = self.kb.sqlalchemy
            return Holding("query", "sync") if name in sql.query_builders else None
        if holder.kind == "query":
            sql = self.kb.sqlalchemy
            return holder if is_call and name not in sql.query_io else None
        if holder.kind == "factory":
            return Holding("session", holder.ref) if is_call and name in {"__call__", "begin"} else None
        if holder.kind == "engine":
            return Holding("session", holder.ref) if is_call and name in {"connect", "begin"} else None
        if holder.kind == "class" and name == "__call__":
            return Holding("object", holder.ref)
        if holder.kind in {"object", "class"}:
            found = self._class_member(holder.ref, name, is_call, depth + 1)
            orm = self.orm(holder.ref) if found is None and is_call and holder.kind == "class" else None
            if orm is not None and name in orm.builders:
                return Holding("query", f"orm:{orm.key}")  # `User.select()`: a query the ORM runs later
            if orm is not None and name in orm.class_io:
                return Holding("object", holder.ref)  # `User.get_or_none(...)`: an instance of the model
            return found
        if holder.kind == "query" and holder.ref.startswith("orm:"):
            orm = self.kb.orms[holder.ref[4:]]
            return holder if is_call and name not in orm.query_io else None
        return None

    def _interface(self, cls: str) -> bool:
        """A project class declared as an interface (a `typing.Protocol`, an `abc.ABC`): what implements it runs."""
        entry = self.index.classes.get(cls)
        return any(base.rsplit(".", 1)[-1] in {"Protocol", "ABC"} for base in getattr(entry[0], "bases", ())) if entry else False

    def orm(self, cls: str) -> Orm | None:
        """The synchronous ORM (knowledge/blocking.toml [orm]) whose model base a project class derives from."""
        if cls in self._orms:
            return self._orms[cls]
        found = None
        for owner in self.mro(cls):
            entry = self.index.classes.get(owner)
            for base in getattr(entry[0], "bases", ()) if entry else ():
                found = found or self.kb.orm_of_base(base)
        self._orms[cls] = found
        return found

    def _class_member(self, cls: str, name: str, is_call: bool, depth: int) -> Holding | None:
        for owner in self.mro(cls):
            method = self.index.functions.get(f"{owner}.{name}")
            if method is not None:
                function = method[0]
                is_property = any(d.last in _PROPERTY or d.text.endswith(_PROPERTY) for d in function.decorators)
                if is_call or is_property:
                    return self.returns(function, depth + 1)
                return None
            held: list[Holding] = []
            for value, scope in self.attributes.get((owner, name), ()):
                found = self.value(value, scope, depth + 1)
                if found is not None:
                    held.append(Holding("object", found.ref) if found.kind == "class" and is_call else found)
            if held:
                return union(held)
        delegate = self.delegate(cls, name)
        return self.member(delegate, name, is_call, depth + 1) if delegate is not None else None

    def delegate(self, cls: str, name: str) -> Holding | None:
        """What `obj.name` reaches when the class has no such method or attribute and its `__getattr__`
        forwards to a held object (`return getattr(self._client, name)`): a wrapper of a Redis client runs
        the client's own methods (https://docs.python.org/3/reference/datamodel.html#object.__getattr__)."""
        order = self.mro(cls)
        if any(f"{owner}.{name}" in self.index.functions or (owner, name) in self.attributes for owner in order):
            return None
        for owner in order:
            found = self.index.functions.get(f"{owner}.__getattr__")
            if found is None:
                continue
            function = found[0]
            for returned in function.returns:
                target = returned.arg(0) if returned.kind == "call" and returned.text == "getattr" else None
                if target is not None and target.kind == "name" and target.text.startswith("self."):
                    return self.expression(target.text, function)
            return None
        return None

    def mro(self, cls: str, depth: int = 0) -> list[str]:
        """The class and its project base classes, depth first; for a union (`A|B`), each member's in turn."""
        if "|" in cls:
            return list(dict.fromkeys(owner for member in cls.split("|") for owner in self.mro(member, depth)))
        order = [cls]
        if depth > 6:
            return order
        entry = self.index.classes.get(cls)
        for base in getattr(entry[0], "bases", ()) if entry else ():
            resolved = self.index.resolve(base)
            if resolved is not None and resolved.cls and resolved.qualname not in order:
                order.extend(b for b in self.mro(resolved.qualname, depth + 1) if b not in order)
        return order

    def methods(self, cls: str, name: str) -> list[tuple[Function, PyFacts]]:
        """The methods a call on an instance of `cls` may run: one per member of a union (`A|B`)."""
        found = [m for member in cls.split("|") if (m := self.method(member, name)) is not None]
        return list({m[0].qualname: m for m in found}.values())

    def method(self, cls: str, name: str) -> tuple[Function, PyFacts] | None:
        """The method a call on an instance of `cls` runs. An abstract one (`@abstractmethod`: the object is
        an instance of a subclass) that exactly one project subclass implements runs that implementation."""
        if "|" in cls:
            found = self.methods(cls, name)
            return found[0] if found else None
        for owner in self.mro(cls):
            found = self.index.functions.get(f"{owner}.{name}")
            if found is not None:
                if _abstract(found[0]):
                    implementations = self._implementations(owner, name)
                    if len(implementations) == 1:
                        return implementations[0]
                return found
        return None

    def implementations(self, cls: str, name: str) -> list[tuple[Function, PyFacts]]:
        """The methods a call on an instance of `cls` may run when the method is abstract and several project
        subclasses implement it (`SandboxService.search()` with a Docker, a process and a remote service):
        which one a deployment configures is not known, so each may run. Empty otherwise."""
        for owner in self.mro(cls):
            found = self.index.functions.get(f"{owner}.{name}")
            if found is not None:
                implementations = self._implementations(owner, name) if _abstract(found[0]) else []
                if len(implementations) < 2:
                    return []
                return [f for f in implementations if self._built(f[0].qualname.rpartition(".")[0])]
        return []

    def _built(self, cls: str) -> bool:
        """The project constructs `cls` somewhere (a call whose name resolves to it): an implementation nothing
        builds is no object a request can hold."""
        if self._constructed is None:
            self._constructed = defaultdict(list)
            for called in self.index.calls.names:
                if "()" not in called:
                    self._constructed[called.rsplit(".", 1)[-1]].append(called)
        short = cls.rsplit(".", 1)[-1]
        return any((resolved := self.index.resolve(called)) is not None and resolved.cls and resolved.qualname == cls
                   for called in self._constructed.get(short, ()))

    def _implementations(self, owner: str, name: str) -> list[tuple[Function, PyFacts]]:
        found = {f[0].qualname: f for sub in self._descendants(owner)
                 if (f := self.index.functions.get(f"{sub}.{name}")) is not None and not _abstract(f[0])}
        return list(found.values())

    def _descendants(self, cls: str) -> list[str]:
        """The project classes deriving from `cls`, directly or not."""
        if self._subclasses is None:
            self._subclasses = defaultdict(list)
            for qualname, (entry, _facts) in self.index.classes.items():
                for base in getattr(entry, "bases", ()):
                    resolved = self.index.resolve(base)
                    if resolved is not None and resolved.cls and resolved.qualname != qualname:
                        self._subclasses[resolved.qualname].append(qualname)
        found: list[str] = []
        stack = list(self._subclasses.get(cls, ()))
        while stack and len(found) < 1000:
            sub = stack.pop()
            if sub not in found:
                found.append(sub)
                stack.extend(self._subclasses.get(sub, ()))
        return found

    def family(self, holder: Holding) -> Family | None:
        return self.kb.families.get(holder.ref) if holder.kind == "client" else None


def union(held: list[Holding]) -> Holding:
    """One holding for what a name may hold (`A | B`, an attribute assigned in two places): a blocking one
    (a sync client, session or engine) wins, as either branch may run; project classes become one object of
    every class (`A|B`: a call on it may run either class's method); else the first."""
    for found in held:
        if found.kind == "client" or found.ref == "sync":
            return found
    classes = list(dict.fromkeys(part for found in held if found.kind == "object" for part in found.ref.split("|")))
    if len(classes) > 1:
        return Holding("object", "|".join(classes))
    return held[0]


_DOUBLES = tuple(load("blocking")["doubles"]["prefixes"])


def _double(cls: str) -> bool:
    """A test double by its name (`MockAgentService`, `FakeStorage`): knowledge/blocking.toml [doubles]."""
    return cls.rsplit(".", 1)[-1].startswith(_DOUBLES)


def _registry_classes(index: PythonIndex) -> frozenset[str]:
    """The project classes named as an entry of a list, tuple, set or dict literal (a module global, a local, a
    return value) or returned by a function: the classes a registry can hand out."""
    found: set[str] = set()

    def entries(value: Value, depth: int) -> None:
        if depth > 3:
            return
        if value.kind == "name":
            resolved = index.resolve(value.text)
            if resolved is not None and resolved.cls:
                found.add(resolved.qualname)
        elif value.kind in {"seq", "dict"}:
            for item in (*value.items, *(item for _, item in value.keywords)):
                entries(item, depth + 1)

    for facts in index.files.values():
        for assign in facts.assigns:
            if assign.value.kind in {"seq", "dict"}:
                entries(assign.value, 0)
        for function in facts.functions:
            for returned in function.returns:
                entries(returned, 0)
    return frozenset(found)


def _abstract(function: Function) -> bool:
    return any(d.last == "abstractmethod" for d in function.decorators)


def _calls(part: str) -> tuple[str, int]:
    """`get()()` -> ("get", 2)."""
    calls = 0
    while part.endswith("()"):
        part, calls = part[:-2], calls + 1
    return part, calls


def _module_global(resolved: Resolved | None) -> bool:
    """A name defined at a project module's top level (`app/state.py`'s `storage`), not a dotted target some
    function assigned (a test's `request.app.state.store = FakeStore()`): only the first hides application state."""
    if resolved is None:
        return False
    if resolved.assign is None:
        return True
    assign, facts = resolved.assign
    return not assign.scope or assign.scope == facts.module  # module level, as NameIndex records a global
