"""Python's scoping as `Holds` needs it: a function's locals in assignment order, closures' free names,
and names the extractor qualified as module globals that a function binds itself."""
from __future__ import annotations

from collections import defaultdict

from prodcheck.model.facts import Function, PyFacts, Value
from prodcheck.rules.concurrency.holding import HoldsBase

# How many enclosing functions a closure's free name is looked for in (a decorator factory's wrapper is two down)
_MAX_NESTING = 4


class Scopes(HoldsBase):
    """Locals, closures and shadowing."""

    def _enclosing(self, function: Function, name: str) -> Function | None:
        """The function a nested function is defined in, when that one binds `name` (a local or a parameter): a
        free name of a closure is the enclosing function's binding (Python's scoping rule), not a module global's.
        `self`/`cls` of a method is bound the same way."""
        if "." in name or name in function.declared:
            return None
        # the nearest enclosing function that binds it: a decorator factory's parameter is free in the wrapper two
        # levels down (`def managed(session_factory=...)` -> `def decorator(f)` -> `async def wrapper(...)`)
        qualname = function.qualname
        for _ in range(_MAX_NESTING):
            found = self.index.functions.get(qualname.rpartition(".")[0])
            if found is None:
                return None
            outer = found[0]
            if name in self._local_values(outer) or _has_param(outer, name):
                return outer
            if name in outer.declared:
                return None
            qualname = outer.qualname
        return None

    def unshadow(self, dotted: str, function: Function) -> str:
        """`dotted` as the function wrote it when the extractor qualified it as a module global (`log.record` is
        read as `app.audit.log.record` when the module binds `log`) but the function, or the factory it is nested
        in, binds that name itself (a parameter, a local): Python's scoping makes it theirs."""
        prefix = self._module_dots.get(function.qualname)
        if prefix is None:  # the function's module and a dot, made once per function ("": not a project function)
            found = self.index.functions.get(function.qualname)
            module = found[1].module if found else ""
            prefix = self._module_dots[function.qualname] = module + "." if module else ""
        if not prefix or not dotted.startswith(prefix):
            return dotted
        written = dotted[len(prefix):]
        return written if self.binds(function, written.partition(".")[0]) else dotted

    def binds(self, function: Function, name: str) -> bool:
        """Whether `name` is the function's own (a local or a parameter) or, in a closure, an enclosing
        function's: then it is not the module global of the same name."""
        if name in function.declared:
            return False
        if name in self._local_values(function) or _has_param(function, name):
            return True
        return self._enclosing(function, name) is not None

    def named_after_import(self, function: Function, name: str) -> bool:
        """`github = Github(token)` with `from github import Github`: the call is named `github.Github` after its
        import, and its head is a local or parameter of the function only by chance (`github`): it is the imported
        class, not a method of the local. So too `supabase = Supabase(url, key)` with `from supabase.client import
        Client as Supabase` in a function binding the global `supabase`: the call is `supabase.client.Client`."""
        root = name.partition(".")[0]
        if root not in self._bound_names(function)[0]:
            return False
        found = self.index.functions.get(function.qualname)
        if found is None:
            return False
        # only an import whose first part is the name's (up to a `.` or a call's `(`) can be a prefix of it
        return any(local != root and (name == qualified or name.startswith((qualified + ".", qualified + "()")))
                   for local, qualified in self._imports_by_first(found[1]).get(root.partition("(")[0], ()))

    def _imports_by_first(self, facts: PyFacts) -> dict[str, list[tuple[str, str]]]:
        """A file's imports (local name, qualified name) by the first part of the qualified name, made once per file."""
        table = self._import_firsts.get(facts.path)
        if table is None:
            table = self._import_firsts[facts.path] = {}
            for local, qualified in facts.imports:
                table.setdefault(qualified.partition(".")[0], []).append((local, qualified))
        return table

    def _global_call(self, function: Function, text: str) -> bool:
        """`tails.routers.tails.get_s3_client` called in a function with a parameter `tails`: the extractor
        qualified a project function or class of the module (written `get_s3_client()`), whose package only shares
        its first name with the parameter; not a member of the parameter."""
        if not self.binds(function, text.partition(".")[0]) or self.unshadow(text, function) != text:
            return False
        resolved = self.index.resolve(text)
        return resolved is not None and (resolved.function is not None or resolved.cls)

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
                if value.line < line:
                    return value
        return values[-1]

    def _parameter_here(self, function: Function, name: str, line: int) -> bool:
        """`file.file.read()` at a line above every assignment of `file` in the body (`file = UploadFile(...)`
        further down, `for file, meta in files:`): the parameter is what the name holds there."""
        if not line or not _has_param(function, name):
            return False
        values = self._local_values(function).get(name) or []
        return bool(values) and all(value.line > line for value in values)

    def _local_values(self, function: Function) -> dict[str, list[Value]]:
        """A function's locals by name, in assignment order (some functions bind thousands of locals)."""
        table = self._locals.get(function.qualname)
        if table is None:
            table = self._locals[function.qualname] = defaultdict(list)
            for local, value, _ in function.locals:
                table[local].append(value)
        return table

    @staticmethod
    def local_type(function: Function, name: str) -> Value | None:
        """What the function declares a local to hold (`chosen: Visit | Note = ...`), the last declaration."""
        for local, declared in reversed(function.local_types):
            if local == name:
                return declared
        return None

    def _line_matters(self, function: Function, name: str) -> bool:
        """What `name` holds depends on where it is used: a local assigned more than once, or a parameter the
        body rebinds (the parameter above the assignment, the assigned value below it)."""
        return name in self._bound_names(function)[1]

    def _bound_names(self, function: Function) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(the names the function binds: its locals and parameters; those whose value depends on the line, as
        `_line_matters` says), made once per function: asked for every expression `Holds` follows. Kept as
        tuples (a function binds a few names; a frozenset costs 216 bytes or more each, for every function PC501
        reads, to the end of the run)."""
        found = self._bound.get(id(function))
        if found is None or found[0] is not function:
            table = self._local_values(function)
            params = tuple(param.name for param in function.params)
            bound = tuple(dict.fromkeys([*(str(name) for name in function.flat_locals[::3]), *params]))  # every third is a name
            moving = tuple(name for name, values in table.items() if len(values) > 1 or name in params)
            found = self._bound[id(function)] = (function, bound, moving)
        return found[1], found[2]

    def _reassigned(self, function: Function, name: str) -> bool:
        values = self._local_values(function).get(name)
        return values is not None and len(values) > 1


def _has_param(function: Function, name: str) -> bool:
    """The function has a parameter `name` (a loop: `any` over a generator costs a frame per call, and `Holds` asks
    this for most names it follows)."""
    for param in function.params:
        if param.name == name:
            break
    else:
        return False
    return True
