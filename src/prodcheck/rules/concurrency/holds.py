"""What a name holds: a blocking client, a sync or async SQLAlchemy session or engine, an instance of a
project class, ... followed through locals, module globals, `self.x = ...` attributes, return values
and return annotations of project functions, `Depends` providers and parameter annotations.

Built from `PyFacts` only. Every walk has a depth limit and a guard against cycles; results are
memoised per (function, expression).

This module follows expressions and values; the parts it is put together from answer the rest:
called.py (what calling a name returns), annotations.py (what an annotation or a `Depends` provider says),
containers.py (entries of literals and of declared containers), members.py (members of a held thing, what functions return), scopes.py (locals, closures),
hierarchy.py (the project's classes), assigned.py (assignments read across functions), entered.py (what `with ... as name` binds), value_shapes.py (what a value says by
its shape alone); holding.py has `Holding` and what the parts share.
"""
from __future__ import annotations


from prodcheck.knowledge.blocking import Blocking, Orm, blocking
from prodcheck.knowledge.databases import sync_session_objects
from prodcheck.model.facts import Call, Function, PyFacts, Value
from prodcheck.model.packed_positions import LINE_SHIFT, pack_position
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.concurrency.annotations import Annotations
from prodcheck.rules.concurrency.assigned import ModuleAssigns, among
from prodcheck.rules.concurrency.attributes import Attributes
from prodcheck.rules.concurrency.built import Built
from prodcheck.rules.concurrency.called import Called
from prodcheck.rules.concurrency.containers import Containers
from prodcheck.rules.concurrency.entered import Entered
from prodcheck.rules.concurrency.hierarchy import Hierarchy
from prodcheck.rules.concurrency.holding import INSTANCE, MAX_DEPTH, MAX_NESTING, Holding, union
from prodcheck.rules.concurrency.members import Members
from prodcheck.rules.concurrency.scopes import Scopes
from prodcheck.rules.concurrency.value_shapes import called_times, forgotten, module_global, opaque
from prodcheck.rules.concurrency.wrapped import Wrapped
from prodcheck.rules.concurrency.written import app_state_name

__all__ = ["Holding", "Holds"]

_UNKNOWN = object()  # no memoised answer (None is one)


class _Knowledge:
    """`Holds.kb`: knowledge/blocking.toml, parsed when a walk first asks (a scan with no code to walk never does).
    The first read puts the parsed topic on the class itself, in place of this descriptor: it is the process's one
    copy (`blocking` keeps it), so every later read is a plain class attribute's, not a call (PC501 and PC503 read
    it for most calls they judge; a property's read is a call of its getter, ~1,000 instructions, the attribute's
    ~300). Not `__getattr__`: on CPython 3.11 a class with `__getattr__` has every attribute read and method call
    of its instances go unspecialised; not a `cached_property`, whose write to the instance's `__dict__` has the
    same effect on every read."""

    def __get__(self, holds: object, owner: type) -> Blocking:
        found = blocking()
        owner.kb = found  # type: ignore[attr-defined]  # the class of `Holds` (or a subclass), once
        return found


class Holds(ModuleAssigns, Annotations, Containers, Members, Scopes, Hierarchy, Built, Entered, Called,
            Wrapped):
    def __init__(self, index: PythonIndex) -> None:
        self.index = index
        self.attributes = Attributes(index)  # collected for a class when first asked about
        self._note_assigns(index)  # the tables of assignments read across functions (assigned.py)
        self._memo: dict[tuple[str, str, int], Holding | None] = {}
        # names no module global, class or function of the project has, nor a declared type or application state
        # (`_name`): most of the dotted prefixes `_expression` tries before the one a local or parameter holds
        self._unnamed: set[str] = set()
        self._locals: dict[str, dict[str, list[Value]]] = {}
        self._module_dots: dict[str, str] = {}  # function -> its module and a dot (`unshadow`)
        self._bound: dict[int, tuple[Function, tuple[str, ...], tuple[str, ...]]] = {}
        self._active: dict[tuple[str, str, int], int] = {}  # the answers under way, each with its place (`_own`)
        self._low = 1 << 30  # the outermost place a cut met in the answer under way (`_own`)
        self._subclasses: dict[str, list[str]] | None = None
        self._registry: frozenset[str] | None = None
        self._orms: dict[str, Orm | None] = {}
        self._constructed: dict[str, tuple[str, ...]] | None = None  # call names by their last part (`_built`)
        self._imports: dict[str, frozenset[str]] = {}  # module -> the library modules it imports whole
        self._import_firsts: dict[str, dict[str, list[tuple[str, str]]]] = {}  # file -> its imports by first part
        self._mro: dict[str, tuple[str, ...]] = {}  # class -> its project bases in order (`Hierarchy.mro`)
        self._short_names: bytearray | None = None  # the hashes of the functions' last names (`Hierarchy.defines`)
        self._implemented: dict[tuple[str, str], tuple[tuple[Function, PyFacts], ...]] = {}  # (`implementations`)
        self._named_types: dict[str, Holding | None] = {}  # annotations that are a name (`Annotations.annotation`)
        self._claims: dict[str, bool] = {}  # callee -> a knowledge table names it (`Called._callee`)
        self._builds: dict[str, list[Call]] = {}  # calls with arguments by the last part of their name (`Built`)
        self._builds_first: dict[str, list[Call]] = {}  # ... only the first few of them (`Built._first_sites`)
        self._entered: dict[str, dict[int, str]] = {}  # function -> id of a `with`-bound local's value -> how (`Entered`)
        self._wrapped: dict[str, list[Function]] | None = None  # wrapper -> the functions it is put around (`Wrapped`)
        self._tables: frozenset[str] | None = None  # last parts of names bound to a dict of names (`_table_named`)

    kb = _Knowledge()  # knowledge/blocking.toml, parsed when a walk first asks (`_Knowledge`)

    @classmethod
    def of(cls, index: PythonIndex) -> Holds:
        cached = index.__dict__.get("_holds")
        if cached is None:
            cached = index.__dict__["_holds"] = cls(index)
        return cached

    # ---------------------------------------------------------------- entry points

    def expression(self, dotted: str, function: Function | None, depth: int = 0, line: int = 0) -> Holding | None:
        """What a dotted expression as it appears in a call name (`self.repo`, `db`, `get_s3()`) holds.

        The answer is memoised per (function, expression), so it is computed with a depth of its own:
        the same expression reached through a longer chain must get the same answer. Nesting is bounded
        by the expressions under way, and a cycle among them answers None. `line` is where the expression
        is used: a local assigned more than once holds what its last assignment before that line gave it."""
        if not dotted:
            return None
        if function is None:
            key = ("", dotted, 0)  # no local: the answer does not depend on the line
        else:
            if line:  # `_line_matters`, inline: asked for every use of every expression, most of them answered here
                bound = self._bound.get(id(function))
                moving = bound[2] if bound is not None and bound[0] is function else self._bound_names(function)[1]
                if not moving or dotted.partition(".")[0] not in moving:
                    line = 0  # the answer does not depend on the line: one memo entry for every use
            key = (function.qualname, dotted, line)
        found = self._memo.get(key, _UNKNOWN)
        if found is not _UNKNOWN:
            return found  # type: ignore[return-value]  # an expression's key stores a Holding or None
        return self._computed(key, dotted, function, line)

    def _computed(self, key: tuple[str, str, int], dotted: str, function: Function | None, line: int) -> Holding | None:
        """`expression`'s answer when not memoised, bounded and kept as `Members._own` keeps an answer of its own
        (the same steps, written out: `expression` has just found no memoised answer, and no closure is made for
        `_own` to call, on the path every expression a rule asks about is first answered by)."""
        active = self._active
        at = active.get(key)
        if at is not None or len(active) > MAX_NESTING:
            self._low = min(self._low, at if at is not None else 0)
            return None
        place = active[key] = len(active)
        outer, self._low = self._low, place + 1
        try:
            if "(" not in dotted and "[" not in dotted:
                # a name without calls or entries: the name itself (a plain name is `_expression`'s one part); else,
                # dotted (`self.repo.get`, `tagflow.tag.div`), the last part as a member of what the head holds. The
                # head is answered as an expression of its own (memoised: its answer is the same whichever name asks),
                # so the head's prefixes are not followed again for each of its members a function names (PC501 asks
                # what every call's name holds)
                result = self._name(dotted, function, 0, line)
                if result is None and "." in dotted:
                    head, _, last = dotted.rpartition(".")
                    held = self.expression(head, function, line=line)
                    result = self.member(held, last, False, 1) if held is not None and last else None
            else:
                result = self._expression(dotted.split("."), function, 0, line)
        finally:
            del active[key]
            low, self._low = self._low, min(outer, self._low)
        if low >= place:
            self._memo[key] = result
        return result

    def value(self, value: Value | None, function: Function | None, depth: int = 0) -> Holding | None:
        if value is None or depth > MAX_DEPTH:
            return None
        if value.kind == "name":
            at = value.at  # `value.line`, inline: a property's read is a call of its getter
            found = self.expression(value.text, function, depth + 1,
                                    at >> LINE_SHIFT if type(at) is int else at.line)  # type: ignore[union-attr]
            return found if found is not None else self._module(value.text, function)
        if value.kind == "call":
            return self._call(value, function, depth + 1)
        if value.kind == "subscript":
            if value.last == "Annotated":
                return self.annotation(value, function, depth + 1)
            inner = self.expression(value.text, function, depth + 1, value.line) if value.text else None
            if inner is not None and inner.kind == "client":
                return inner  # mongo["db"]["users"]
            if not value.text or inner is not None:
                return None
            return self._element(value, function, depth + 1) or self._declared_element(value.text, function, depth + 1)
        if value.kind == "unpack" and value.items and isinstance(value.literal, int):
            return self._unpacked(value.items[0], value.literal, function, depth + 1)
        if value.kind == "each" and value.items:  # `for visit in visits:`
            return self._iterated(value.items[0], function, depth + 1)
        if value.kind == "ifexp" and len(value.items) == 3:
            return self._either(value.items[1:], function, depth + 1)
        if value.kind == "boolop":  # `storage or FilesystemStorage()`: the value is either operand
            held = [found for item in value.items if (found := self.value(item, function, depth + 1)) is not None]
            return union(held) if held else None
        if value.kind == "binop" and value.text == "BitOr":
            for item in value.items:  # langchain `prompt | llm`
                found = self.value(item, function, depth + 1)
                if found is not None and found.kind == "client" and self.kb.families[found.ref].pipe:
                    return found
        if value.kind == "binop" and value.text == "Div":
            for item in value.items:  # `settings.media_root / key`, `Path(root) / name`: a path joined is a path
                found = self.value(item, function, depth + 1)
                if found is not None and found.kind == "client" and self.kb.families[found.ref].joins:
                    return found
        return None

    def _either(self, branches: tuple[Value, ...], function: Function | None, depth: int) -> Holding | None:
        """`x = a if c else b`, or both branches of an if/else assigning `x`: which branch runs is not known, so
        a branch that holds something blocking wins (a sync client, session or engine); two project objects are
        one object of either class (`Visit() if first else Note()`: `union`); else the first."""
        held = [found for branch in branches if (found := self.value(branch, function, depth)) is not None]
        return union(held) if held else None

    # ---------------------------------------------------------------- expressions

    def _expression(self, parts: list[str], function: Function | None, depth: int, line: int = 0) -> Holding | None:
        current: Holding | None = None
        start = 0
        joined = ".".join(parts)  # most expressions have no `[]` and no `()`: no part to look for
        element = next((i for i, part in enumerate(parts) if part.endswith(("[]", "[]()"))), None) \
            if "[]" in joined else None
        if element is not None:
            # `CLIENTS[].upload`: what an entry of a dict or list literal holds, then its members. Only a literal:
            # the item of what a client returned (`profile["name"].split()`, a JSON body) is data, not the client.
            built = parts[element].endswith("()")  # `TOOLS[]().run`: the entry (a class) built, then its member
            base = ".".join([*parts[:element], parts[element][:-4 if built else -2]])
            at = pack_position(line, 0, line, 0) if line else pack_position(1, 0, 1, 0)
            current = self._element(Value("subscript", at, base), function, depth + 1, built)
            if current is None:
                # `db["users"].find_one()` with `db = MongoClient()["app"]`: an item of a client whose library
                # names databases and collections by key ([family] items)
                held = self.expression(base, function, depth + 1, line)
                family = self.family(held) if held is not None else None
                current = held if family is not None and family.items else None
            if current is None:
                current = self._declared_element(base, function, depth + 1)
            if built:
                current = Holding("object", current.ref) if current is not None and current.kind == "class" else None
            start = element + 1
            parts = [part if "[]" not in part else "" for part in parts]
            return self._members(current, parts[start:], depth)
        plain = next((i for i, part in enumerate(parts) if part.endswith("()")), len(parts)) if "()" in joined \
            else len(parts)
        for end in range(plain, 0, -1):
            current = self._name(".".join(parts[:end]), function, depth, line)
            if current is not None:
                start = end
                break
        if current is None:
            if plain == len(parts):
                return None
            name, calls = called_times(parts[plain])
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
            name, calls = called_times(part)
            current = self.member(current, name, calls > 0, depth + 1)
            for _ in range(calls - 1):
                current = self.member(current, "__call__", True, depth + 1) if current is not None else None
        return current

    def _name(self, dotted: str, function: Function | None, depth: int, line: int = 0) -> Holding | None:
        if function is not None and "." in dotted:
            # a dotted name is no local, parameter, declared local or closure's free name (those are plain names):
            # of the function's own bindings only its dotted assignments and the module globals it shadows apply
            for assign in reversed(self.dotted_locals.get(function.qualname, ())):
                if assign.target == dotted and not forgotten(assign.value):
                    return self.value(assign.value, function, depth + 1)
            written = self.unshadow(dotted, function)
            if written != dotted:
                return self._expression(written.split("."), function, depth + 1, line)
        elif function is not None:
            local = self.local(function, dotted, line) if not self._parameter_here(function, dotted, line) else None
            declared = self.local_type(function, dotted) if function.local_types else None
            if declared is not None:  # `chosen: Visit | Note = pick(kind)`: either may be what it holds
                held = [found for found in (self.value(local, function, depth + 1) if local is not None else None,
                                            self.annotation(declared, function, depth + 1)) if found is not None]
                return union(held) if held else None
            if local is not None:
                held = self._assigned(function, dotted, local, depth)
                how = self.bound_by(function, local) if held is not None else ""
                return self.entered(held, local, how, function, depth + 1) if held is not None and how else held
            if dotted in {"self", "cls"} and function.class_name:
                return Holding("object" if dotted == "self" else "class", function.class_name)
            for param in function.params:
                if param.name == dotted:
                    annotation = param.annotation
                    if annotation is None and function.class_name:
                        annotation = self._overridden_annotation(function, dotted)
                    found = self._parameter(annotation, param.default, function, depth + 1)
                    if found is None and opaque(param.annotation) and function.qualname.endswith(".__init__"):
                        # `def __init__(self, db): self.db = db`: what the project builds the class with; also
                        # when the annotation names a type the model does not know (`table: "Table"` from a stubs
                        # package imported under TYPE_CHECKING)
                        found = self.constructed_with(function, dotted, depth + 1)
                    elif found is None and param.annotation is None and param.default is None and function.is_async:
                        # `async def read_count(r, key)`, awaited with a sync client: what every caller gives it
                        found = self.awaited_with(function, dotted, depth + 1)
                    if found is None and param.annotation is None and param.default is None:
                        # `def _check_access(kwargs)`, handed a decorator wrapper's keyword arguments
                        found = self.handed_arguments(function, dotted, depth + 1)
                    return found
            # (a function's dotted assignments are of dotted names, and only a dotted name is a module global the
            # extractor qualified: `unshadow`, above)
            outer = self._enclosing(function, dotted)
            if outer is not None:  # a closure's free name is its enclosing function's (`def make_router(store: Store)`)
                return self._name(dotted, outer, depth + 1)
            arguments = self.free_arguments(function, dotted)
            if arguments is not None and self.index.resolve(dotted) is None:
                return arguments  # a wrapper's `**kwargs`: the keyword arguments of the function it wraps
        if dotted.partition(".")[0] in INSTANCE:
            return None  # `self.client` is a member of this class (`member`), never another class's `self.client = ...`
        if dotted in self._unnamed:
            return None
        resolved = self.index.resolve_written(dotted, function)  # `pg_client.X` in one of two copies: its own copy's
        state = "" if module_global(resolved) else app_state_name(dotted)  # not a project module's global (`app.state.x`)
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
            if not state and not self.index.anchorable(dotted) and self.index.annotation(dotted) is None:
                # nothing of the project's by this name, wherever it is written (no anchoring, no declared type,
                # no application state): the same None every time it is asked, whatever the function or depth
                self._unnamed.add(dotted)
                return None
            return self._declared(dotted, depth)  # `client: Minio` declared with no value
        if resolved.cls:
            return Holding("class", resolved.qualname)
        if resolved.assign is not None:
            assign, _ = resolved.assign
            branches = self.branches.get(assign.target, ())
            if len(branches) > 1 and among(assign, branches):
                # assigned in several branches at module level: as for a local (`_either`), any may be the one the
                # deployment runs, and a blocking one wins (a production Redis client over a development SQLite cache)
                either: list[Holding] = []  # (a loop: a comprehension would make cells of `_name` on every call)
                for branch in branches:
                    found = self.value(branch.value, None, depth + 1)
                    if found is not None:
                        either.append(found)
                if either:
                    return union(either)
            scope = self.index.functions.get(assign.scope)
            found = self.value(assign.value, scope[0] if scope else None, depth + 1)
            return found if found is not None else self._declared(dotted, depth)
        return None

    def _assigned(self, function: Function, name: str, local: Value, depth: int) -> Holding | None:
        """What the assignment `local` of a local gives it. A local assigned again from itself (`query =
        query.filter(...)` under each `if`) answers each assignment once, with a depth of its own, as an
        expression's: otherwise each earlier assignment spends the depth of the chain that reads it."""
        if not self._line_matters(function, name):
            return self.value(local, function, depth + 1)
        return self._own((function.qualname, name + "=", local.line), lambda: self.value(local, function, 0))

    def _overridden_annotation(self, function: Function, name: str) -> Value | None:
        """`async def handle(self, context)` overriding the base's `async def handle(self, context: ApiRequestContext)`:
        the parameter the override leaves unannotated has the type the method it overrides declares (as a type
        checker infers it: https://microsoft.github.io/pyright/#/type-inference?id=parameter-type-inference). The
        nearest project base that defines the method decides."""
        short = function.qualname.rpartition(".")[2]
        for owner in self.mro(function.class_name)[1:]:
            base = self.index.functions.get(f"{owner}.{short}")
            if base is not None:
                return next((p.annotation for p in base[0].params if p.name == name), None)
        return None


