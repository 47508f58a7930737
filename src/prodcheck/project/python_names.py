"""The Python side of the project model, first layer: the tables built from `PyFacts` and names
resolved across modules (imports, aliases, re-exports, constructors). Nothing is imported."""
from __future__ import annotations

from collections import defaultdict
from functools import cached_property

from prodcheck.knowledge import load
from prodcheck.model.facts import Assign, Call, Function, PyFacts, Value
from prodcheck.model.files import Context
from prodcheck.model.module_names import ModuleNames, module_name_for
from prodcheck.project.calls import CallIndex, ModuleImports, ScopeCalls
from prodcheck.project.global_assigns import keeps_held
from prodcheck.project.written_names import WrittenNames
from prodcheck.model.record import record


# Wrappers whose result, called, runs the function they wrap with the same arguments (a context manager over a
# generator function: https://docs.python.org/3/library/contextlib.html#contextlib.contextmanager); memoising ones
# (`functools.cache`) are not: a call of them does not always run it.
SAME_CALL = frozenset({"contextlib.contextmanager", "contextlib.asynccontextmanager"})

_UNASKED = object()  # `NameIndex.resolve`: no answer kept for the name yet
_NO_IMPORTS: dict[str, str] = {}  # `NameIndex._resolve`: a module the project does not hold imports nothing (only read)


@record
class Resolved:
    """A module-qualified name resolved to what defines it."""

    qualname: str
    function: tuple[Function, PyFacts] | None = None
    assign: tuple[Assign, PyFacts] | None = None
    cls: bool = False


class NameIndex(WrittenNames):
    """Every module, function, assignment, class and call of the project by qualified name."""

    def __init__(self, facts: dict[str, PyFacts], contexts: dict[str, Context], unread: tuple[str, ...] = ()) -> None:
        self.files = facts
        self.contexts = contexts
        # Python files of the project the parse prefilter left unread (they hold no word any rule looks
        # for): what their functions do is not known, only that they are the project's own.
        self._unread_paths = unread
        self.modules: dict[str, PyFacts] = {}
        self._names = ModuleNames()  # module names and their dotted tails (`api`, `app.api`) -> the module
        self.functions: dict[str, tuple[Function, PyFacts]] = {}
        self.assigns: dict[str, tuple[Assign, PyFacts]] = {}
        self.annotations: dict[str, Value] = {}  # declared types of module globals and class attributes (`x: Minio`)
        self.classes: dict[str, tuple[object, PyFacts]] = {}
        # Rules resolve the same names for every call of the project: each answer is computed once
        # (the tables above are complete once __init__ returns and never change afterwards).
        # Keyed by the name alone at depth 0 (nine answers in ten: no key tuple to keep), else (name, depth).
        self._resolved: dict[str | tuple[str, int], Resolved | None] = {}
        # The smallest depth at which a name was found to resolve to nothing: it resolves to nothing at
        # every greater depth too (less depth left explores a subset of the same branches, in the same
        # order). Without it, star imports that lead into one another were searched again at each depth
        # along every path through them.
        self._unresolved_from: dict[str, int] = {}
        self._lazy_names: dict[str, dict[str, list[str]]] = {}  # package -> its submodules' names (_lazy_export)
        self._constructors: dict[str, str | None] = {}
        self._ambiguous: dict[str, bool] = {}  # module part of a name -> whether two modules end with it
        self._anchored: dict[tuple[str, str], str | None] = {}  # (name, module) -> `anchored_in`'s answer
        # (id of the function, call name, receiver) -> (the function, `call_target`'s answer): PC501 asks the target
        # of most calls two or three times (the callees of a function, then the call's arguments when it is judged,
        # the helpers a parameter is handed to), and PC503 again. The function is kept with the answer, so its id
        # names no other function while the entry lives.
        self._call_targets: dict[tuple[int, str, str], tuple[Function | None, tuple[Function, PyFacts] | None]] = {}
        ordered = [file_facts for _path, file_facts in sorted(facts.items())]
        self.calls_by_scope = ScopeCalls(ordered)  # each function's calls, collected when first asked for
        self.reads_by_scope = ScopeCalls(ordered, "reads")  # each function's attribute reads that make a request
        self.imports = ModuleImports(ordered)  # each module's imports as a dict, made when first asked for
        functions, assigns, classes = self.functions, self.assigns, self.classes
        for file_facts in ordered:
            self.modules.setdefault(file_facts.module, file_facts)
            module = file_facts.module
            self._names.add(module, module)
            for function in file_facts.functions:
                functions.setdefault(function.qualname, (function, file_facts))
            for assign in file_facts.assigns:
                # every Assign is a module's, a class's or a `global` one (a function's own names are its
                # `locals`, extract/statements.py): each target is already qualified
                held = assigns.get(assign.target)
                if held is None or not keeps_held(held, assign, module):
                    assigns[assign.target] = (assign, file_facts)
            for cls in file_facts.classes:
                classes[cls.qualname] = (cls, file_facts)
            self.annotations.update(file_facts.annotations)
        self._rekey_foreign_assigns()

    def _rekey_foreign_assigns(self) -> None:
        """`app.core.redis.redis_client = fake` written in `backend/tests/conftest.py`, the module being
        `backend.app.core.redis` under the scanned root (the tests import it from `backend/` on their path): the
        assignment is of that module's global, filed under its name, where the module's own value stays (`global_assigns.keeps_held`)."""
        for target in [target for target, (assign, facts) in self.assigns.items()
                       if not target.startswith(facts.module + ".")]:
            owner, _, name = target.rpartition(".")
            module = self.module_for(owner) if owner not in self.modules else None
            if module is None or module == owner or not module.endswith("." + owner):
                continue
            assign, facts = self.assigns.pop(target)
            filed = f"{module}.{name}"
            if not keeps_held(self.assigns.get(filed), assign, facts.module):
                self.assigns[filed] = (assign, facts)

    @cached_property
    def calls(self) -> CallIndex:
        """The files that make each call name (the loops below over every call skip the other files)."""
        return CallIndex(self.files)

    @cached_property
    def env_getter_names(self) -> frozenset[str]:
        """The project's call names that read one environment variable (`is_env_getter`, which follows
        `env = environ.Env()` to its constructor): judged once per name for every rule that asks."""
        from prodcheck.knowledge.environment import env_getters, is_env_getter

        # `constructor_of` names a callable only when a module-level name is assigned its call
        # (`env = environ.Env()`): without one of the getters' constructors among those, no name is an
        # instance getter, and the instance entries need no name resolved (every call name of the
        # project, most of them never resolved otherwise).
        built = {assign.value.text for assign, _ in self.assigns.values() if assign.value.kind == "call"}
        if not env_getters().constructors() & built:
            # no constructor to follow: `is_env_getter(name)` is the table's plain match, one set intersection
            # when its entries are exact names (`Names.select`)
            return self.calls.entries_of(env_getters())
        return self.calls.matching(lambda name: is_env_getter(name, self.constructor_of))

    # ---------------------------------------------------------------- name resolution

    @property
    def unread_paths(self) -> tuple[str, ...]:
        """The project's Python files the parse prefilter left unread."""
        return self._unread_paths

    def context_of(self, facts: PyFacts) -> Context:
        return self.contexts.get(facts.path, Context.PROD)

    def module_for(self, dotted: str) -> str | None:
        return self._names.get(dotted)

    def resolve(self, dotted: str, depth: int = 0) -> Resolved | None:
        """Follow a dotted name to the function, assignment or class that defines it."""
        key = (dotted, depth) if depth else dotted
        found = self._resolved.get(key, _UNASKED)  # (a miss, a third of the questions, raises no KeyError)
        if found is not _UNASKED:
            return found  # type: ignore[return-value]  # a Resolved or None, never the marker
        if self._unresolved_from.get(dotted, 7) <= depth:
            return None
        resolved = self._resolved[key] = self._resolve(dotted, depth)
        if resolved is None and depth < self._unresolved_from.get(dotted, 7):
            self._unresolved_from[dotted] = depth
        return resolved

    def _resolve(self, dotted: str, depth: int) -> Resolved | None:
        if not dotted or depth > 6:
            return None
        if dotted in self.functions:
            return Resolved(dotted, function=self.functions[dotted])
        if dotted in self.assigns:
            return Resolved(dotted, assign=self.assigns[dotted])
        if dotted in self.classes:
            return Resolved(dotted, cls=True)
        # each dotted prefix, the longest first, that names a module (`module_for`, its lookups inline: most
        # names asked here are misses, each trying every prefix)
        full, tails = self._names.full, self._names.tails
        # a dotted prefix starts with `src.` or `lib.` only if the name does (its first dot is the name's), asked once
        layout = dotted.startswith(("src.", "lib."))
        prefix = dotted
        while "." in prefix:
            prefix = prefix.rpartition(".")[0]
            module = full.get(prefix) or tails.get(prefix) or None
            if module is None:
                if not layout or not prefix.startswith(("src.", "lib.")):
                    continue
                module = self.module_for(prefix)  # `src.config`: the module `config`
                if module is None:
                    continue
            rest = dotted[len(prefix) + 1:]
            first, dot, tail = rest.partition(".")
            local = f"{module}.{rest}"
            if local != dotted and (local in self.functions or local in self.assigns or local in self.classes):
                return self.resolve(local, depth + 1)
            imported = self.imports.get(module, _NO_IMPORTS).get(first)
            if imported:
                target = f"{imported}.{tail}" if dot else imported
                if target != dotted:
                    return self.resolve(target, depth + 1)
                return None
            for _, star in self.imports.stars(module):  # `from .base_controllers import *` ("*module" keys)
                # A star-imported module the project does not hold (a library, a file left out) gives no
                # names to follow: `star.rest` would only be cut back to this module again.
                if star != module and self.module_for(star) is not None:
                    found = self.resolve(f"{star}.{rest}", depth + 1)
                    if found is not None:
                        return found
            # (most modules define no `__getattr__`: asked here, not in a call of `_lazy_export`)
            lazy = self._lazy_export(module, first) if f"{module}.__getattr__" in self.functions else None
            if lazy is not None:
                return self.resolve(f"{lazy}.{tail}" if dot else lazy, depth + 1)
            return None
        return None

    def _lazy_export(self, module: str, name: str) -> str | None:
        """`from yuxi import knowledge_base` where `yuxi/__init__.py` defines a module `__getattr__` that imports it
        from a submodule on first use (PEP 562, https://peps.python.org/pep-0562/): the one module-level name of
        that package's submodules with this name, or None when several submodules bind the name (`_resolve` asks
        only of a package with a `__getattr__`)."""
        found = [qualname for qualname in self._submodule_names(module).get(name, ())]
        return found[0] if len(found) == 1 else None

    def _submodule_names(self, package: str) -> dict[str, list[str]]:
        """The module-level names of a package's submodules, by name (kept per package)."""
        kept = self._lazy_names.get(package)
        if kept is None:
            kept = self._lazy_names[package] = defaultdict(list)
            prefix = f"{package}."
            for qualname in (*self.functions, *self.assigns, *self.classes):
                owner, _, name = qualname.rpartition(".")
                if owner.startswith(prefix) and self.module_for(owner) == owner:
                    kept[name].append(qualname)
        return kept

    @cached_property
    def _unread_suffixes(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for path in self._unread_paths:
            parts = module_name_for(path).split(".")
            for index in range(len(parts)):
                counts[".".join(parts[index:])] += 1
        return counts

    def in_unread_module(self, dotted: str) -> bool:
        """`app.audit.recorder.record` where `app/audit.py` is a project file the prefilter left unread."""
        if not self._unread_paths:
            return False
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            prefix = ".".join(parts[:cut])
            if self.module_for(prefix) is not None:
                return False
            if prefix in self._unread_suffixes:
                return True
        return False

    def annotation(self, dotted: str) -> Value | None:
        """The declared type of a module global (`embeddings_model: Dict[str, Model] = None`), by its name as
        written or as the assignment it resolves to."""
        found = self.annotations.get(dotted)
        if found is None and self.annotations:
            resolved = self.resolve(dotted)
            if resolved is not None and resolved.assign is not None:
                found = self.annotations.get(resolved.assign[0].target)
        return found

    def function(self, dotted: str) -> tuple[Function, PyFacts] | None:
        """The function a name calls, following plain aliases (`handler = make_handler`). Aliases can
        point at each other: `_orig = mod.f` then `mod.f = _orig` (a library function patched while
        something imports, then put back) makes `mod.f` and `_orig` each other's value."""
        resolved = self.resolve(dotted)  # most names are a function's, or nothing: no alias to follow
        if resolved is None or resolved.function:
            return None if resolved is None else resolved.function
        seen: set[str] = set()
        while dotted not in seen and len(seen) < 16:
            seen.add(dotted)
            resolved = self.resolve(dotted)
            if resolved is None:
                return None
            if resolved.function:
                return resolved.function
            value = resolved.assign[0].value if resolved.assign else None
            if value is not None and value.kind == "call" and value.text in SAME_CALL and len(value.items) == 1 \
                    and value.items[0].kind == "name" and not value.keywords:
                value = value.items[0]  # `get_db_manager = contextmanager(get_db)`: a call of it runs `get_db`
            if value is None or value.kind != "name":
                return None
            dotted = value.text
        return None

    def assigned_value(self, dotted: str, depth: int = 0) -> Value | None:
        """The value a module-level name was assigned, following plain aliases."""
        resolved = self.resolve(dotted)
        if resolved is None or resolved.assign is None or depth > 5:
            return None
        value = resolved.assign[0].value
        if value.kind == "name" and value.text != dotted:
            return self.assigned_value(value.text, depth + 1) or value
        return value

    def constructor_of(self, dotted: str) -> str | None:
        """The callable that built the object a module-level name holds (`environ.Env` for
        `env = environ.Env()`), for knowledge entries on methods of instances."""
        known = self._constructors.get(dotted, _UNASKED)  # (a miss raises no KeyError: most names are asked once)
        if known is not _UNASKED:
            return known  # type: ignore[return-value]  # a str or None, never the marker
        value = self.assigned_value(dotted)
        built = value.text if value is not None and value.kind == "call" and value.text else None
        self._constructors[dotted] = built
        return built

    def _handed_off(self, scope: str, name: str) -> bool:
        """A sync nested function its enclosing (sync) function also hands to another thread (`Thread(target=work)`,
        `ctx.run(work)` in a lambda a thread runs, `executor.submit(work)`, `asyncio.to_thread(work)`:
        knowledge/blocking.toml [offload]): it is written to run there, and a direct call of it is the synchronous
        fallback of a flag the caller sets (`if blocking: return work()`). A function handed to any other call
        (`render(value, work)`) may run right there, on the caller's thread: no hand-off."""
        for other in self.calls_by_scope.get(scope, ()):
            value = other.value
            if any(a.kind == "name" and a.text == name for a in (*value.items, *(v for _, v in value.keywords))) \
                    and (other.offloaded or _to_thread(value)):
                return True
        return False

    def call_target(self, call: Call, function: Function | None = None) -> tuple[Function, PyFacts] | None:
        """The project function a call runs, by its name: a function nested in the caller or beside it in an
        enclosing one, a module's or an imported one, the method of `self`'s class. It reads only the call's name
        and receiver and the function, so its answer is kept by those (`_call_targets`)."""
        name = call.value.text
        key = (id(function), name, call.receiver)
        known = self._call_targets.get(key)
        if known is not None and known[0] is function:
            return known[1]
        found = self._call_target(name, call.receiver, function)
        self._call_targets[key] = (function, found)
        return found

    def _call_target(self, name: str, receiver: str, function: Function | None) -> tuple[Function, PyFacts] | None:
        if name.startswith("self.") and function is not None and function.class_name:
            name = f"{function.class_name}.{name[5:]}"
        if receiver and not name.startswith(function.class_name if function else "\0"):
            return None
        if function is not None and "." not in name and function.qualname:
            nested = self.enclosed_function(name, function)
            if nested is not None and nested.function:
                # An `async def` caller runs the direct call on the event loop, whatever else it does with the
                # function on another branch (`if inline: work()` beside `await asyncio.to_thread(work)`).
                handed = not nested.function[0].is_async and not function.is_async \
                    and self._handed_off(function.qualname, name)
                return None if handed else nested.function
        found = self.function(name)
        if found is None and function is not None and self.anchorable(name):  # (`anchored` is None otherwise)
            anchored = self.anchored(name, function)
            found = self.function(anchored) if anchored else None
        return found


def _to_thread(value: Value) -> bool:
    """The call runs what it is given in another thread (knowledge/blocking.toml [offload])."""
    offload = load("blocking")["offload"]
    return (value.text in offload["functions"] or value.text in offload["threads"]
            or value.last in offload["methods"] or ("." in value.text and value.last in offload["pool_methods"]))
