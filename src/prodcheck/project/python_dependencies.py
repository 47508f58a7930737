"""The Python side of the project model, between names and routes: the `Depends` chains FastAPI runs for a
function (its parameters' and its decorator's `Depends(...)`), and the function each dependency is, over the names
`NameIndex` resolves. `RouteIndex` (python_routes.py) builds on it."""
from __future__ import annotations

from prodcheck.knowledge.frameworks import is_dependency_marker
from prodcheck.model.facts import Function, PyFacts, Value
from prodcheck.project.python_names import NameIndex


class DependencyIndex(NameIndex):
    """The functions `Depends(...)` gives, and the chains they run."""

    def _depends_in(self, value: Value | None, depth: int = 0) -> list[str]:
        return [target.text for target in self._provided(value, depth)]

    def _provided(self, value: Value | None, depth: int = 0) -> list[Value]:
        """What each `Depends(...)` in a parameter's default or annotation, or a `dependencies=` list, is given."""
        if value is None or depth > 4:
            return []
        if value.kind == "call" and is_dependency_marker(value.text):
            target = value.arg(0) or value.kwarg("dependency")
            return [target] if target is not None and target.kind in {"name", "call"} else []
        if value.kind == "subscript" and value.last == "Annotated":
            return [d for item in value.items[1:] for d in self._provided(item, depth + 1)]
        if value.kind == "name":
            aliased = self.assigned_value(value.text)
            if aliased is not None and aliased.kind in {"subscript", "seq"}:
                return self._provided(aliased, depth + 1)
        if value.kind == "seq" or (value.kind == "binop" and value.text == "Add"):  # `[Depends(auth)] + extra`
            return [d for item in value.items for d in self._provided(item, depth + 1)]
        return []

    def parameter_dependencies(self, function: Function) -> list[tuple[str, str]]:
        """(parameter, dependency name) for `Depends(...)` defaults and `Annotated[..., Depends(...)]`."""
        return [(param, target.text) for param, target in self._parameter_provided(function)]

    def _parameter_provided(self, function: Function) -> list[tuple[str, Value]]:
        found: list[tuple[str, Value]] = []
        for param in function.params:
            for target in self._provided(param.default) or self._provided(param.annotation):
                found.append((param.name, target))
        return found

    def decorator_dependencies(self, function: Function) -> list[str]:
        return [target.text for target in self._decorator_provided(function)]

    def _decorator_provided(self, function: Function) -> list[Value]:
        return [d for decorator in function.decorators if decorator.kind == "call"
                for d in self._provided(decorator.kwarg("dependencies"))]

    def dependency_functions(self, function: Function, depth: int = 0) -> list[tuple[Function, PyFacts]]:
        """Every function the dependency chain of `function` runs, transitively."""
        return self._chain([target for _, target in self._parameter_provided(function)]
                           + self._decorator_provided(function), self._module_of(function), function.qualname)

    def _module_of(self, function: Function) -> str:
        defined = self.functions.get(function.qualname)
        return defined[1].module if defined else ""

    def _chain(self, given: list[Value], module: str, written_by: str = "") -> list[tuple[Function, PyFacts]]:
        """The dependency functions `given` (written in `module`, in the function `written_by`) run, transitively."""
        stack = [(value, module, written_by) for value in given]
        seen: dict[str, tuple[Function, PyFacts]] = {}
        while stack and len(seen) < 100:
            value, written_in, writer = stack.pop()
            target = self.enclosed(value, writer) or self.provider(value, written_in)
            if target is None or target[0].qualname in seen:
                continue
            seen[target[0].qualname] = target
            stack.extend((dep, target[1].module, target[0].qualname) for _, dep in self._parameter_provided(target[0]))
        return list(seen.values())

    def enclosed(self, given: Value, writer: str) -> tuple[Function, PyFacts] | None:
        """`Depends(get_active_env)` in a route defined in the body of a router factory (`def create_router(state):`)
        beside the dependency: the function of that name defined in an enclosing function of `writer` (a closure
        shadows a module-level name). None for a dotted name or one no enclosing function defines."""
        if given.kind != "name" or "." in given.text or not writer:
            return None
        scope = writer.rpartition(".")[0]
        while scope in self.functions:  # an enclosing function's names (a class body's are no closure)
            found = self.functions.get(f"{scope}.{given.text}")
            if found is not None:
                return found
            scope = scope.rpartition(".")[0]
        return None

    def provider(self, given: Value, module: str = "") -> tuple[Function, PyFacts] | None:
        """The function FastAPI calls on each request for `Depends(given)`
        (https://fastapi.tiangolo.com/advanced/advanced-dependencies/, /tutorial/dependencies/classes-as-dependencies/):
        a function; for a class, its `__init__` (the instance is what is injected); for an instance of a project
        class (`Depends(JWTAuth())`, or a module global holding one), its `__call__`; for a call of a project
        function, the function it defines and returns (`Depends(require_role("admin"))`), else that function."""
        name = given.text
        if module and self.resolve(name) is None:  # a name two copies of the application define: the writer's copy
            name = self.anchored_in(name, module) or name
        if given.kind == "call":
            resolved = self.resolve(name)
            if resolved is not None and resolved.cls:
                return self._class_method(resolved.qualname, "__call__")
            factory = self.function(name)
            if factory is None:
                return None
            for returned in factory[0].returns:
                made = self.functions.get(f"{factory[0].qualname}.{returned.text}") if returned.kind == "name" else None
                if made is not None:
                    return made
            return factory
        target = self.function(name)
        if target is not None:
            return target
        resolved = self.resolve(name)
        if resolved is not None and resolved.cls:
            return self._class_method(resolved.qualname, "__init__")
        if resolved is not None and resolved.assign is not None and resolved.assign[0].value.kind == "call":
            built = self.resolve(resolved.assign[0].value.text)  # `auth = JWTAuth()` ... `Depends(auth)`
            if built is not None and built.cls:
                return self._class_method(built.qualname, "__call__")
        owner, _, method = name.rpartition(".")
        if owner and resolved is None:
            # `Depends(multi_validator.validate_api_multi_auth)` with `multi_validator = MultiMethodValidator(...)` a
            # module global: the bound method of the instance
            held = self.resolve(owner)
            if held is not None and held.assign is not None and held.assign[0].value.kind == "call":
                built = self.resolve(held.assign[0].value.text)
                if built is not None and built.cls:
                    return self._class_method(built.qualname, method)
        return None

    def _class_method(self, cls: str, name: str, depth: int = 0) -> tuple[Function, PyFacts] | None:
        """`cls.name` as the class or its first project base that defines it has it."""
        found = self.functions.get(f"{cls}.{name}")
        if found is not None or depth > 5:
            return found
        entry = self.classes.get(cls)
        for base in getattr(entry[0], "bases", ()) if entry else ():
            resolved = self.resolve(base)
            if resolved is not None and resolved.cls and resolved.qualname != cls:
                inherited = self._class_method(resolved.qualname, name, depth + 1)
                if inherited is not None:
                    return inherited
        return None
