"""The project's classes: their bases and subclasses, which method a call on an instance runs (an abstract
one's implementations), synchronous ORM models, interfaces, and the classes a registry can hand out."""
from __future__ import annotations

from collections import defaultdict

from prodcheck.knowledge.blocking import Family, Orm
from prodcheck.knowledge.frameworks import models
from prodcheck.model.facts import IN_MAIN, Function, PyFacts, Value
from prodcheck.project.python_index import PythonIndex
from prodcheck.model.files import Context
from prodcheck.rules.concurrency.holding import Holding, HoldsBase, double


_NAME_BITS = 1 << 20  # `Hierarchy.defines`: bits for the hashes of the functions' last names


class Hierarchy(HoldsBase):
    """Class hierarchy questions, answered from the index alone."""

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

    def model_builds(self, cls: str, name: str) -> bool:
        """`Visit.model_validate(data)`, `visit.model_copy()`: a method a model base class of a library gives the
        project class (knowledge/frameworks.toml [models]) that returns an instance of the class it is called on."""
        kb = models()
        if name not in kb.constructors and name not in kb.copies:
            return False
        for owner in self.mro(cls):
            entry = self.index.classes.get(owner)
            if entry is not None and kb.bases.intersection(getattr(entry[0], "bases", ())):
                return True
        return False

    def client_base(self, cls: str) -> Family | None:
        """The blocking client (knowledge/blocking.toml) a project class derives from (`class MailServer(smtplib.SMTP)`):
        what it inherits talks to the same server."""
        for owner in self.mro(cls):
            entry = self.index.classes.get(owner)
            for base in getattr(entry[0], "bases", ()) if entry else ():
                family = self.kb.client(base)
                if family is not None:
                    return family
        return None

    def mro(self, cls: str, depth: int = 0) -> tuple[str, ...]:
        """The class and its project base classes, depth first; for a union (`A|B`), each member's in turn.
        A function of the project's classes alone: kept per class (asked ~30 times per class on polar)."""
        if not depth:
            known = self._mro.get(cls)
            if known is None:
                known = self._mro[cls] = self._walk_mro(cls, 0)
            return known
        return self._walk_mro(cls, depth)

    def _walk_mro(self, cls: str, depth: int) -> tuple[str, ...]:
        if "|" in cls:
            return tuple(dict.fromkeys(owner for member in cls.split("|") for owner in self.mro(member, depth)))
        order = [cls]
        if depth > 6:
            return tuple(order)
        entry = self.index.classes.get(cls)
        for base in getattr(entry[0], "bases", ()) if entry else ():
            resolved = self.index.resolve(base)
            if resolved is not None and resolved.cls and resolved.qualname not in order:
                order.extend(b for b in self.mro(resolved.qualname, depth + 1) if b not in order)
        return tuple(order)

    def inherited(self, cls: str, name: str) -> tuple[Function, PyFacts] | None:
        """The method `name` that `super()` reaches from a method of `cls`: the first of its project bases (in
        `mro` order, the class itself left out) to define it."""
        for owner in self.mro(cls)[1:]:
            found = self.index.functions.get(f"{owner}.{name}")
            if found is not None:
                return found
        return None

    def methods(self, cls: str, name: str) -> list[tuple[Function, PyFacts]]:
        """The methods a call on an instance of `cls` may run: one per member of a union (`A|B`)."""
        found = [m for member in cls.split("|") if (m := self.method(member, name)) is not None]
        return list({m[0].qualname: m for m in found}.values())

    def defines(self, name: str) -> bool:
        """False when no project function or method has the last name `name`: every method lookup (`method`,
        `methods`, `inherited`, `implementations`) reads `functions[f"{owner}.{name}"]`, so then no held object's
        `name` is the project's, and what its receiver holds need not be asked (callees.py). A bit per hash of the
        functions' last names (128 KiB; a set of the names was 5 MiB at the cold scan's peak): True may be a
        collision, which only asks as before."""
        bits = self._short_names
        if bits is None:
            bits = self._short_names = bytearray(_NAME_BITS >> 3)
            for qualname in self.index.functions:
                at = hash(qualname.rpartition(".")[2]) & (_NAME_BITS - 1)
                bits[at >> 3] |= 1 << (at & 7)
        at = hash(name) & (_NAME_BITS - 1)
        return bool(bits[at >> 3] & (1 << (at & 7)))

    def method(self, cls: str, name: str) -> tuple[Function, PyFacts] | None:
        """The method a call on an instance of `cls` runs. An abstract one (`@abstractmethod`, or a body that only
        declares it: the object is an instance of a subclass) that exactly one project subclass implements runs
        that implementation."""
        if "|" in cls:
            found = self.methods(cls, name)
            return found[0] if found else None
        for owner in self.mro(cls):
            found = self.index.functions.get(f"{owner}.{name}")
            if found is not None:
                if _declared(found):
                    implementations = self._implementations(owner, name)
                    if len(implementations) == 1:
                        return implementations[0]
                return found
        return None

    def implementations(self, cls: str, name: str) -> list[tuple[Function, PyFacts]]:
        """The methods a call on an instance of `cls` may run when the method is abstract and several project
        subclasses implement it (`SandboxService.search()` with a Docker, a process and a remote service;
        `store.registry.list_projects()` with a SQL, a file and a remote registry picked by configuration):
        which one a deployment configures is not known, so each may run. Each subclass the project builds
        runs the method its own bases give it (`SqlRegistry` inherits `CachingRegistry.list_projects`). When
        the project builds none of them by name, it builds them some way the model does not see (a class
        looked up in a module imported by a configured path, `getattr(importlib.import_module(...), name)`):
        then each subclass may be the one. A test double (knowledge/blocking.toml [doubles]) or a class of a
        test file is never deployed. Empty otherwise.

        Kept per (class, name): asked for each call on a held project object (callees.py), and the answer reads
        only the project's tables."""
        key = (cls, name)
        known = self._implemented.get(key)
        if known is None:
            known = self._implemented[key] = tuple(self._implementations_of(cls, name))
        return list(known)

    def _implementations_of(self, cls: str, name: str) -> list[tuple[Function, PyFacts]]:
        for owner in self.mro(cls):
            found = self.index.functions.get(f"{owner}.{name}")
            if found is not None:
                if not _declared(found) or len(self._implementations(owner, name)) < 2:
                    return []
                deployed = [sub for sub in self._descendants(owner) if not self._stand_in(sub)]
                built = [sub for sub in deployed if self._built(sub)]
                runs: dict[str, tuple[Function, PyFacts]] = {}
                for sub in built or deployed:
                    method = self._defined(sub, name)
                    if method is not None and not _abstract(method[0]):
                        runs.setdefault(method[0].qualname, method)
                return list(runs.values())
        return []

    def abstract(self, function: Function) -> bool:
        found = self.index.functions.get(function.qualname)
        return _declared(found) if found is not None else _abstract(function)

    def _defined(self, cls: str, name: str) -> tuple[Function, PyFacts] | None:
        """The method `name` an instance of `cls` runs: the first of its class and project bases to define it."""
        for owner in self.mro(cls):
            found = self.index.functions.get(f"{owner}.{name}")
            if found is not None:
                return found
        return None

    def _stand_in(self, cls: str) -> bool:
        """A class production never deploys: a test double by its name, or a class a test file defines."""
        entry = self.index.classes.get(cls)
        return double(cls) or (entry is not None and self.index.context_of(entry[1]) == Context.TEST)

    def _built(self, cls: str) -> bool:
        """The project constructs `cls` where production runs it (a call whose name resolves to it) or names it in
        a registry it picks classes from (`BACKENDS = {"sql": SqlStore, "file": FileStore}`): an implementation
        nothing builds is no object a request can hold. A test, or a module's `if __name__ == "__main__":` demo,
        that builds one subclass by name says nothing of how the server builds them (a factory importing the
        configured class): such a construction is not counted."""
        short = cls.rsplit(".", 1)[-1]
        index = self.index
        names = {called for called in self.called_as(short)
                 if (resolved := index.resolve(called)) is not None and resolved.cls and resolved.qualname == cls}
        return (bool(names) and any(not call.flags & IN_MAIN and index.context_of(facts) != Context.TEST
                                    for facts, call in index.calls.among(names))) or cls in self._registry_classes()

    def called_as(self, short: str) -> tuple[str, ...]:
        """The project's call names (without a `()` part) whose last part is `short`: `Repo`, `repos.Repo`."""
        constructed = self._constructed
        if constructed is None:
            constructed = self._constructed = {}
        found = constructed.get(short)
        if found is None:
            # from the call index's table of names by their last part (`CallIndex.by_last`), for the names asked
            found = constructed[short] = tuple(called for called in self.index.calls.by_last(short) if "()" not in called)
        return found

    def _registry_classes(self) -> frozenset[str]:
        if self._registry is None:
            self._registry = _registry_classes(self.index)
        return self._registry

    def _implementations(self, owner: str, name: str) -> list[tuple[Function, PyFacts]]:
        found = {f[0].qualname: f for sub in self._descendants(owner)
                 if (f := self.index.functions.get(f"{sub}.{name}")) is not None and not _abstract(f[0])}
        return list(found.values())

    def _descendants(self, cls: str) -> list[str]:
        """The project classes deriving from `cls`, directly or not; for a `typing.Protocol`, also the classes that
        implement it structurally (every method it declares, defined; https://peps.python.org/pep-0544/)."""
        if self._subclasses is None:
            self._subclasses = defaultdict(list)
            protocols: list[str] = []
            for qualname, (entry, _facts) in self.index.classes.items():
                for base in getattr(entry, "bases", ()):
                    if base in _PROTOCOL_BASES:
                        protocols.append(qualname)
                    resolved = self.index.resolve(base)
                    if resolved is not None and resolved.cls and resolved.qualname != qualname:
                        self._subclasses[resolved.qualname].append(qualname)
            if protocols:
                members = _members_by_class(self.index)
                for protocol in protocols:
                    self._subclasses[protocol].extend(self._structural(protocol, set(protocols), members))
        found: list[str] = []
        known: set[str] = set()  # `found` as a set: a base of hundreds of models made this test quadratic
        stack = list(self._subclasses.get(cls, ()))
        while stack and len(found) < 1000:
            sub = stack.pop()
            if sub not in known:
                known.add(sub)
                found.append(sub)
                stack.extend(self._subclasses.get(sub, ()))
        return found

    def _structural(self, protocol: str, protocols: set[str], members: _Members) -> list[str]:
        """The project classes (no Protocol, no nominal subclass already counted) that define every method the
        Protocol declares. `members`: each class's method names and each method name's classes (`_members_by_class`)."""
        by_class, by_name = members
        declared = {name for name in by_class.get(protocol, ()) if not name.startswith("__")}
        if not declared:
            return []
        methods: dict[str, set[str]] = defaultdict(set)
        for name in declared:
            for cls in by_name.get(name, ()):
                if cls not in protocols:
                    methods[cls].add(name)
        nominal = set(self._subclasses.get(protocol, ())) if self._subclasses is not None else set()
        found = sorted(cls for cls, names in methods.items() if names == declared and cls not in nominal)
        # A Protocol of common names (`run`, `execute`, `__call__`) matches classes that never meant to implement it:
        # only a method few classes define (`is_secret_configured`) pins one; two implementers at most
        defined_by = {name: sum(1 for names in methods.values() if name in names) for name in declared}
        return found if len(found) <= _MAX_STRUCTURAL and min(defined_by.values()) <= _MAX_STRUCTURAL else []

    def _registered(self, base: Value) -> Holding | None:
        """`-> Type[Tool]` (`type[Tool]`): a class picked at run time, one of the project's classes deriving from
        (or being) `Tool` that the project registers: names as an entry of a list, tuple, set or dict literal, or
        returns (`TOOLS = {"image": Image}`, `return [Image, Search]`). A subclass no registry names is never
        picked (a tool taken out of the list); with none named, the class is not known."""
        resolved = self.index.resolve(base.text) if base.kind == "name" else None
        if resolved is None or not resolved.cls:
            return None
        registry = self._registry_classes()
        picked = [cls for cls in (resolved.qualname, *self._descendants(resolved.qualname)) if cls in registry]
        return Holding("class", "|".join(sorted(picked))) if picked else None

    def _imported_subclass(self, base: Value) -> Holding | None:
        """`-> Type[BaseClient]` of a function that imports a module by name at run time and returns one of its
        attributes (`getattr(importlib.import_module(f"app.clients._{kind}client"), name)`): the module is the
        registry, so any project class deriving from (or being) `BaseClient` may be the one returned, except a
        test double (a class named so, or one a test file defines)."""
        resolved = self.index.resolve(base.text) if base.kind == "name" else None
        if resolved is None or not resolved.cls:
            return None
        picked = [cls for cls in (resolved.qualname, *self._descendants(resolved.qualname)) if not self._stand_in(cls)]
        return Holding("class", "|".join(sorted(picked))) if picked else None


# (the last parts of the functions qualified under each name: a class's methods; the classes defining each method)
_Members = tuple[dict[str, set[str]], dict[str, set[str]]]


def _members_by_class(index: PythonIndex) -> _Members:
    """What `Hierarchy._structural` asks of every Protocol, made in one pass over the project's functions: the names
    of the functions qualified under each owner (a Protocol's members are its methods), and for each method name the
    classes (`Function.class_name`) defining it. Asked once per Protocol, two passes each were 0.07 s of polar's
    24 Protocols."""
    by_owner: dict[str, set[str]] = defaultdict(set)
    by_name: dict[str, set[str]] = defaultdict(set)
    for qualname, (function, _facts) in index.functions.items():
        owner, _, name = qualname.rpartition(".")
        if owner:
            by_owner[owner].add(name)
        if function.class_name:
            by_name[name].add(function.class_name)
    return by_owner, by_name


def _registry_classes(index: PythonIndex) -> frozenset[str]:
    """The project classes named as an entry of a list, tuple, set or dict literal (a module global, a local, a
    return value) or returned by a function: the classes a registry can hand out. Read from each file's
    `registry_names` (extract/file_facts.py), not from every function's returns and locals."""
    found: set[str] = set()
    resolve = index.resolve
    for facts in index.files.values():
        for name in facts.registry_names:
            resolved = resolve(name)
            if resolved is not None and resolved.cls:
                found.add(resolved.qualname)
    return frozenset(found)


def _abstract(function: Function) -> bool:
    return any(d.last == "abstractmethod" for d in function.decorators)


def _declared(found: tuple[Function, PyFacts]) -> bool:
    """A method that only declares what subclasses implement: `@abstractmethod`, or a body of `...`, `pass` or
    `raise NotImplementedError` (a `typing.Protocol`'s members, a base class's placeholders): a call of it on an
    instance runs a subclass's implementation. A subclass's own empty body is an implementation (an in-memory
    backend that does nothing): only `@abstractmethod` leaves one out of `_implementations`."""
    return _abstract(found[0]) or found[0].qualname in found[1].stubs


# The base that makes a class a structural type: https://docs.python.org/3/library/typing.html#typing.Protocol
_PROTOCOL_BASES = frozenset({"typing.Protocol", "typing_extensions.Protocol", "Protocol"})
# At most this many project classes may implement a Protocol structurally for the match to count (see `_structural`)
_MAX_STRUCTURAL = 2
