"""What a member of a held thing holds: a client's sub-objects, a session's queries, a project class's
methods (what they return), attributes and `__getattr__` delegation, a library module held by a name."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from prodcheck.knowledge.blocking import Family
from prodcheck.model.facts import Function, Value
from prodcheck.rules.concurrency.branches import given_value
from prodcheck.rules.concurrency.wrapped import defined_in
from prodcheck.rules.concurrency.holding import MAX_DEPTH, MAX_NESTING, Holding, HoldsBase, double, not_none, union

_IMPORTERS = frozenset({"importlib.import_module", "__import__"})

_PROPERTY = ("property", "cached_property")
_T = TypeVar("_T")


class Members(HoldsBase):
    """Members of what a name holds, and what project functions return."""

    def _module(self, name: str, function: Function | None) -> Holding | None:
        """A library module bound to a name (`_stripe_module = stripe` after `import stripe` in a lazy loader,
        `return stripe`): its functions, called through the name, are the module's own. Only a module the
        function's file imports and the project does not define, and only as a value: a call written with the
        module's own name is judged by that name."""
        top = name.split(".", 1)[0]
        if function is None or top not in self._imported(function):
            return None
        project = self.index.module_for(top)
        if project is not None and project != top and function.qualname.startswith(project + "."):
            # `from cloudinary import api` in `app/services/cloudinary/service.py`: an absolute import names
            # the top-level package, never the importing file's own package by its last name (Python 3 has no
            # implicit relative imports, https://peps.python.org/pep-0328/)
            project = None
        return Holding("module", name) if project is None else None

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

    def returns(self, function: Function, depth: int = 0) -> Holding | None:
        """What a project function returns (or yields): its return annotation first, then its returns.

        It is the function's own answer, whatever chain asks: computed once, with a depth of its own, like an
        expression's (`Holds.expression`), so a path built three helpers down is a path however deep the
        caller's chain is. A function whose answer is under way answers None (recursion)."""
        return self._own((function.qualname, "()", -1), lambda: self._returns(function))

    def _own(self, key: tuple[str, str, int], compute: Callable[[], _T]) -> _T | None:
        """A memoised answer of its own (a function's returns, an attribute's values), bounded like expressions:
        a cycle among the answers under way, or too many of them, answers None.

        Such a cut answers for the chain under way, not for the key: an answer computed through one is kept only
        when every cut it met was on itself or on an answer it was computing (then its chain is its own key's),
        else it is computed again when next asked, so no kept answer depends on what was asked before it. `_low`:
        the outermost place on `_active` (in the order they were entered) a cut met since the answer began."""
        if key in self._memo:
            return self._memo[key]  # type: ignore[return-value]  # each key's kind stores one type
        active = self._active
        at = active.get(key)
        if at is not None or len(active) > MAX_NESTING:
            # a cycle cuts at the answer under way; too many answers under way, at every one of them
            self._low = min(self._low, at if at is not None else 0)
            return None
        place = active[key] = len(active)
        outer, self._low = self._low, place + 1
        try:
            result = compute()
        finally:
            del active[key]
            low, self._low = self._low, min(outer, self._low)
        if low >= place:
            self._memo[key] = result  # type: ignore[assignment]  # each key's kind stores one type
        return result

    def _returns(self, function: Function, depth: int = 0) -> Holding | None:
        annotation = function.annotation
        if annotation is not None and annotation.is_str:  # `-> "Api"`: qualified in the function's module
            annotation = self._forward(annotation, function)
        found = self.annotation(annotation, None, depth + 1)
        if found is None and annotation is not None and annotation.kind == "subscript" and annotation.items \
                and annotation.last in {"Type", "type"} and self._imports_by_name(function):
            found = self._imported_subclass(annotation.items[0])
        if found is not None and found.kind == "object" and self._interface(found.ref):
            # `-> AgentService`, a Protocol: the classes the function returns say which methods run
            made = [held for returned in function.returns
                    if (held := self.value(returned, function, depth + 1)) is not None and held.kind == "object"]
            real = [held for held in made if not double(held.ref)]  # `MockAgentService()` behind a flag: a test double
            if real and len(made) == len(function.returns):
                return union(real)
        if found is not None and (found.kind != "class" or "|" in found.ref):
            return found  # an object, a client ...; or the registered classes of `-> Type[Tool]`
        for returned in function.returns:
            holder = self.value(returned, function, depth + 1) or self._nested_function(returned, function)
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

    def _nested_function(self, returned: Value, function: Function) -> Holding | None:
        """`return client` with `def client(): ...` defined in the function: a factory of closures
        (`get_s3 = client_constructor("s3")`), whose result is called later for what the closure returns."""
        nested = defined_in(self.index, function, returned)
        return Holding("function", nested[0].qualname) if nested is not None else None

    def _imports_by_name(self, function: Function) -> bool:
        """The function returns an attribute of a module it imports at run time, the attribute's name computed
        (`module = importlib.import_module(path)` then `return getattr(module, name)`,
        https://docs.python.org/3/library/importlib.html#importlib.import_module)."""
        for returned in function.returns:
            if returned.kind != "call" or returned.text != "getattr" or not returned.items:
                continue
            module = returned.items[0]
            if module.kind == "name" and "." not in module.text:
                module = self.local(function, module.text) or module
            if module.kind == "call" and module.text in _IMPORTERS:
                return True
        return False

    def member(self, holder: Holding, name: str, is_call: bool, depth: int, value: Value | None = None) -> Holding | None:
        """What `holder.name` (or `holder.name(...)`) holds."""
        if depth > MAX_DEPTH:
            return None
        if holder.kind == "function":  # a closure a factory returned (`_nested_function`): called, its return
            target = self.index.functions.get(holder.ref)
            return self.returns(target[0]) if target is not None and is_call and name == "__call__" else None
        if holder.kind == "client":
            family = self.kb.families[holder.ref]
            if name in family.detached or (not is_call and name in family.safe):
                return None
            if is_call and family.streams(name, value):
                # `sess.get(url, stream=True)`, `client.stream("GET", url)`: the body is read later, as it is iterated
                return Holding("client", family.streamed)
            if is_call and family.data_results and name not in family.safe:
                # `resp = sess.get(url)`: the response was received by that call (or by the coroutine an `_async`
                # twin returned, once awaited); `resp.json()` is memory. What a safe method returns is the client's.
                return None
            if is_call and name in self.kb.read_results:
                return None  # `data = response.read()`: the bytes read, whatever the stream was
            return holder  # sub-objects and results of a client: bucket, cursor, collection, a Docker container
        if holder.kind == "arguments":  # `kwargs.get("db")` of a decorator wrapper's keyword arguments
            return self.arguments_member(holder, name, is_call, depth + 1, value)
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
            if found is None and is_call and value is not None:
                method = next((m for owner in self.mro(holder.ref)
                               if (m := self.index.functions.get(f"{owner}.{name}")) is not None), None)
                found = self.generic_instance(method[0], value) if method is not None else None
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

    def generic_instance(self, function: Function, value: Value) -> Holding | None:
        """`await services.get(AlgorithmsService)` with `async def get(self, service_class: type[S]) -> S`: a function
        whose return annotation is a type variable a parameter is annotated `type[...]` of returns an instance of the
        class the call gives that parameter (a service locator, a repository registry;
        https://docs.python.org/3/library/typing.html#the-type-of-class-objects). Only a project class given by name.
        One annotated `-> type[T]` returns the class itself, or one deriving from it (`get_impl(UserAuth, name)`, a
        plugin loader importing the configured subclass): a class, whose methods each subclass may implement."""
        annotation = function.annotation
        returned = _annotated(annotation)
        as_class = returned is None and annotation is not None and annotation.kind == "subscript" \
            and annotation.last in {"type", "Type"} and bool(annotation.items)
        if as_class:
            returned = _annotated(annotation.items[0])  # type: ignore[union-attr]  # checked just above
        built = set() if as_class else \
            {r.text for r in function.returns if r.kind == "call" and r.text and "." not in r.text}
        for position, param in enumerate(function.params):
            declared = param.annotation
            typed = declared is not None and declared.kind == "subscript" and declared.last in {"type", "Type"} \
                and bool(declared.items) and returned is not None and _annotated(declared.items[0]) == returned
            # `return repository_class(self)`: the class a parameter is handed, built (whatever the annotations say)
            if not typed and param.name not in built:
                continue
            given = given_value(value, function, param.name, position)
            resolved = self.index.resolve(given.text) if given is not None and given.kind == "name" else None
            if resolved is None or not resolved.cls:
                return None
            return Holding("class" if as_class else "object", resolved.qualname)
        return None

    def _class_member(self, cls: str, name: str, is_call: bool, depth: int) -> Holding | None:
        for owner in self.mro(cls):
            method = self.index.functions.get(f"{owner}.{name}")
            if method is not None:
                function = method[0]
                is_property = any(d.last in _PROPERTY or d.text.endswith(_PROPERTY) for d in function.decorators)
                if not (is_call or is_property):
                    # `DuplicateFinder(db_manager.get_session)`: the bound method handed on, called later for what
                    # it returns (`self._get_session()`)
                    return Holding("function", function.qualname)
                if _own_type(function):
                    return Holding("object", cls)  # `Visit.load(path)` with `-> Self`: a Visit, not its base
                found = self.returns(function, depth + 1)
                if found is None and self.abstract(function):
                    # `self.root()` abstract here: the object is an instance of a subclass, whose method runs
                    # (the one implementation, or each one the project builds: `implementations`)
                    held = [returned for method in self.implementations(owner, name) or
                            [m for m in (self.method(owner, name),) if m is not None and m[0] is not function]
                            if (returned := self.returns(method[0], depth + 1)) is not None]
                    found = union(held) if held else None
                if is_property and is_call and found is not None:
                    # `self.session_factory()` with `session_factory` a property: the call is of what the property
                    # returns (a `sessionmaker` called makes a Session), not of the getter
                    # (https://docs.python.org/3/library/functions.html#property)
                    return self.member(found, "__call__", True, depth + 1)
                return found
            held = [Holding("object", found.ref) if found.kind == "class" and is_call else found
                    for found in self._attribute(owner, name) or ()]
            if held and is_call and (all(found.kind == "factory" for found in held)
                                     or all(found.kind == "function" for found in held)):
                # `self.maker()` with `self.maker = sessionmaker(...)`: calling the sessionmaker makes a Session;
                # `self._get_session()` with a function or bound method kept: what it returns
                return self.member(union(held), "__call__", True, depth + 1)
            if held:
                return union(held)
            declared = self.index.annotations.get(f"{owner}.{name}")  # `session_maker: sessionmaker`, a field
            found = self.annotation(declared, None, depth + 1) if declared is not None else None
            if found is not None:  # `self.session_maker()` calls what the attribute holds
                return self.member(found, "__call__", True, depth + 1) if is_call else found
        if is_call and self.model_builds(cls, name):
            return Holding("object", cls)  # `Visit.model_validate(data)`, `visit.model_copy()`: a Visit
        delegate = self.delegate(cls, name)
        return self.member(delegate, name, is_call, depth + 1) if delegate is not None else None

    def _attribute(self, owner: str, name: str) -> list[Holding] | None:
        """What the values assigned to `owner.name` (`self.name = ...` in its methods, a class attribute) hold:
        the attribute's own answer, computed once with a depth of its own (`_own`)."""
        assigned = self.attributes.get((owner, name))
        if not assigned:
            return None
        return self._own((owner, "." + name, -2), lambda: [
            found for value, scope in assigned if (found := self.value(value, scope, 1)) is not None])

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

    def family(self, holder: Holding) -> Family | None:
        return self.kb.families.get(holder.ref) if holder.kind == "client" else None


_SELF = frozenset({"Self", "typing.Self", "typing_extensions.Self"})


def _own_type(function: Function) -> bool:
    """A method that returns an instance of the class it is called on, not of the class defining it: annotated
    `-> Self` (`Optional[Self]`, `Self | None`), or `-> T` with `cls: Type[T]` / `self: T` (a type variable
    bound by its first parameter), or, unannotated, returning only `cls(...)` or `self`
    (https://typing.python.org/en/latest/spec/generics.html#self, #annotating-self-and-cls)."""
    if not function.class_name or any(d.last == "staticmethod" for d in function.decorators):
        return False
    annotation = not_none(function.annotation)
    if annotation is not None:
        if annotation.kind != "name":
            return False
        if annotation.text in _SELF:
            return True
        first = function.params[0].annotation if function.params else None
        if first is not None and first.kind == "subscript" and first.last in {"Type", "type"} and first.items:
            first = first.items[0]
        return first is not None and first.kind == "name" and first.text == annotation.text
    if function.annotation is not None or not function.returns or not function.params:
        return False
    first = function.params[0].name
    return all((returned.kind == "call" and returned.text == first) or (returned.kind == "name" and returned.text == first)
               for returned in function.returns)


def _annotated(value: Value | None) -> str | None:
    """The name an annotation gives, also written as a string (a forward reference: `"repository_base.T"`)."""
    if value is None:
        return None
    if value.kind == "name":
        return value.text
    return str(value.literal) if value.is_str and value.literal else None
