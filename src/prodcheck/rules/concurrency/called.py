"""What calling a name returns, as `Holds` reads it: a library's client or streamed response (knowledge/blocking.toml),
a SQLAlchemy session, engine, inspector or session factory (knowledge/databases.toml), what a `Depends` marker, a
dataclass field factory or a traitlets declaration gives, or, for a project function or class, what it returns or
builds; and what calling a value gives (`_call`: a call offloaded to a thread, a member of what its receiver
holds, a class picked from a table of classes). Part of `Holds` (holds.py), which calls `_callee` for every call it
follows.
"""
from __future__ import annotations

from prodcheck.knowledge import listed
from prodcheck.knowledge.blocking import Blocking
from prodcheck.knowledge.databases import engine_factory, session_classes
from prodcheck.knowledge.frameworks import field_factories, is_dependency_marker, trait_kind
from prodcheck.model.facts import Function, Value
from prodcheck.model.packed_positions import LINE_SHIFT
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.concurrency.branches import given_value
from prodcheck.rules.concurrency.holding import INSTANCE, MAX_DEPTH, Holding, HoldsBase
from prodcheck.rules.concurrency.value_shapes import offloaded_call


_GO_ON = object()  # `Called._known`: no knowledge table says what calling the name returns


def _claimed(kb: Blocking, callee: str) -> bool:
    """Some knowledge table `Called._known` reads names `callee` (else `_known` would go on past every check to
    `_GO_ON`, whatever the call's arguments): a client, a blocking function (its streamed response) or a function
    that runs another in a thread, a maker, a session class, an engine factory, an inspection, a session factory, a
    `Depends` marker, a dataclass field factory or a traitlets declaration. A function of the name alone."""
    return (kb.client(callee) is not None or callee in listed("blocking", "offload", "functions")
            or kb.function(callee) is not None or kb.maker(callee) or callee in session_classes("sync")
            or callee in session_classes("async") or _engine_mode(callee) is not None
            or callee in kb.sqlalchemy.inspect or callee.endswith(("sessionmaker", "scoped_session"))
            or is_dependency_marker(callee) or callee in field_factories()[0] or trait_kind(callee) is not None)


def _engine_mode(name: str) -> str | None:
    """`sync`/`async` for a SQLAlchemy engine factory (knowledge/databases.toml), else None."""
    factory = engine_factory(name)
    return factory.mode if factory is not None and factory.library == "sqlalchemy" else None


class Called(HoldsBase):
    """What a call returns, by the name called."""

    def _callee(self, callee: str, value: Value | None, function: Function | None, depth: int,
                line: int = 0) -> Holding | None:
        """What calling a name returns."""
        if depth > MAX_DEPTH:
            return None
        # What the knowledge says of the name comes first (`_known`): asked only of a name some table claims, which
        # is judged once per name (`_claimed`; polar's 5,000 callees followed make 620 names, most claimed by none)
        claimed = self._claims.get(callee)
        if claimed is None:
            claimed = self._claims[callee] = _claimed(self.kb, callee)
        if claimed:
            known = self._known(callee, value, function, depth, line)
            if known is not _GO_ON:
                return known  # type: ignore[return-value]  # a Holding or None, never the marker
        return self._project_callee(callee, value, function, depth, line)

    def _known(self, callee: str, value: Value | None, function: Function | None, depth: int,
               line: int) -> Holding | object | None:
        """What the knowledge tables say calling `callee` returns (a client, a session, an engine, what a `Depends`
        marker gives ...), or `_GO_ON` when none says anything: then the project's own names decide."""
        kb = self.kb
        family = kb.client(callee)
        if family is not None:
            if family.file_bound and value is not None and self._over_buffer(value, function, family.buffers):
                return None  # `zipfile.ZipFile(io.BytesIO(), "w")`: an archive in memory
            return Holding("client", family.key)
        streamed = self._streamed(callee, value)
        if streamed is not None:
            return streamed
        if kb.maker(callee):
            return Holding("maker", callee)  # `boto3.Session()`: its `.client("s3")` is the client
        if callee in session_classes("sync"):
            return Holding("session", "sync")
        if callee in session_classes("async"):
            return Holding("session", "async")
        if _engine_mode(callee) == "sync":
            return Holding("engine", "sync")
        if _engine_mode(callee) == "async":
            return Holding("engine", "async")
        if callee in kb.sqlalchemy.inspect and value is not None:
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
        trait = trait_kind(callee) if value is not None else None
        if value is not None and trait is not None:
            return self._trait(trait, value, function, depth, line)
        return _GO_ON

    def _project_callee(self, callee: str, value: Value | None, function: Function | None, depth: int,
                        line: int) -> Holding | None:
        """What calling a name returns when no knowledge table claims it: what the project function returns, the
        project class builds, or the member of what the name's head holds."""
        if "." in callee:
            head, _, method = callee.rpartition(".")
            base = self._name(head, function, depth + 1, line)
            if base is not None:
                return self.member(base, method, True, depth + 1, value)
        resolved = self.index.resolve_written(callee, function)
        if resolved is None and function is not None and "." not in callee and (
                function.qualname.rpartition(".")[0] in self.index.functions
                or f"{function.qualname}.{callee}" in self.index.functions) and callee in _nested_names(self.index):
            # `path = _safe_path(name)` in a route an app factory defines beside its helper `_safe_path`: the caller
            # is nested, or the helper is defined in its own body
            resolved = self.index.enclosed_function(callee, function)
        if resolved is None:
            if callee == "next" and value is not None and value.items and value.items[0].kind in {"call", "name"}:
                # `next(get_db())`: the first item the generator yields, a dependency provider's session taken
                # by hand (https://docs.python.org/3/library/functions.html#next)
                return self.value(value.items[0], function, depth + 1)
            return None
        if resolved.cls:
            return Holding("object", resolved.qualname)
        if resolved.function is not None:
            returned = self.returns(resolved.function[0], depth + 1)
            if returned is None and value is not None:
                returned = self.generic_instance(resolved.function[0], value)  # `get_service(Mailer)` -> a Mailer
            if returned is None and function is not None:
                # `base_query(db).filter(...)`: the chain's text has no arguments; the call recorded there has
                given = value if value is not None else next(
                    (c.value for c in self.index.calls_by_scope.get(function.qualname, ())
                     if c.line == line and c.name == callee), None) if line else None
                if given is not None:
                    return self._query_built_on(resolved.function[0], given, function, depth + 1)
            return returned
        if resolved.assign is not None:
            assign, _ = resolved.assign
            wrapped = self.index.function(callee) if assign.value.kind == "call" else None
            if wrapped is not None:  # `get_db_manager = contextmanager(get_db)`: what `get_db` gives
                return self.returns(wrapped[0], depth + 1)
            holder = self.value(assign.value, None, depth + 1)
            if holder is not None and holder.kind == "factory":
                return Holding("session", holder.ref)  # SessionLocal()
            if holder is not None and holder.kind == "class":
                return Holding("object", holder.ref)
            if holder is not None and holder.kind == "function":
                # `get_s3 = client_constructor("s3")`, a closure a project factory returned: what it returns
                return self.member(holder, "__call__", True, depth + 1)
        return None

    def _query_built_on(self, target: Function, value: Value, function: Function | None,
                        depth: int) -> Holding | None:
        """`people_query(db)` with `def people_query(db): return db.query(Person).order_by(...)`: the helper builds a
        Query on the session the call gives it and returns it unrun, so the call's value is a sync Query when that
        argument is a sync Session (only a sync Session has `query()`: knowledge/blocking.toml [sqlalchemy])."""
        sql = self.kb.sqlalchemy
        for returned in target.returns:
            chains = [returned] if returned.kind == "call" else self._local_values(target).get(returned.text, []) \
                if returned.kind == "name" else []
            for chain in chains:
                parts = chain.text.split(".")
                if chain.kind != "call" or len(parts) < 2 or parts[1] != "query()" or any(
                        part.removesuffix("()") in sql.query_io or part.removesuffix("()") in sql.query_renders
                        for part in parts[2:]):
                    continue
                position = next((i for i, param in enumerate(target.params) if param.name == parts[0]), None)
                if position is None:
                    continue
                given = given_value(value, target, parts[0], position)
                held = self.value(given, function, depth + 1) if given is not None else None
                if held is not None and held.kind == "session" and held.ref == "sync":
                    return Holding("query", "sync")
        return None

    def _trait(self, trait: str, value: Value, function: Function | None, depth: int, line: int) -> Holding | None:
        """A traitlets declaration (knowledge/frameworks.toml [traits]): `Type(default_value=A, klass=B)` holds the
        class B (what every configured value is a subclass of; A when no klass is said), `Instance(klass)` what
        building klass makes (`Instance(sessionmaker)`: a sessionmaker)."""
        if trait == "type":
            declared = value.kwarg("klass") or value.arg(1) or value.kwarg("default_value") or value.arg(0)
        else:
            declared = value.kwarg("klass") or value.arg(0)
        if declared is None or declared.kind != "name":
            return None  # a class named by a string, or computed
        held = self._callee(declared.text, None, function, depth + 1, line)
        if trait == "instance":
            return held
        return Holding("class", held.ref) if held is not None and held.kind == "object" else None

    def _streamed(self, callee: str, value: Value | None) -> Holding | None:
        """`requests.get(url, stream=True)`, `httpx.stream(...)`, or either handed to a thread
        (`await asyncio.to_thread(requests.get, url, stream=True)`): a response whose body is read later."""
        offloaders = listed("blocking", "offload", "functions")  # run what they are given in a thread
        if value is not None and callee in offloaders and value.items and value.items[0].kind == "name":
            callee = value.items[0].text  # the thread runs the function with the same keywords
        family = self.kb.function(callee)
        if family is None or not family.streams(callee.rsplit(".", 1)[-1], value):
            return None
        return Holding("client", family.streamed)

    def _over_buffer(self, value: Value, function: Function | None, buffers: frozenset[str]) -> bool:
        """The file argument of a constructor (the first, or `file=`/`fileobj=`) is one of `buffers`, directly or
        through a local variable (`buffer = io.BytesIO()` ... `ZipFile(buffer, "w")`)."""
        argument = value.kwarg("fileobj") or value.kwarg("file") or value.arg(0)
        if argument is not None and argument.kind == "name" and "." not in argument.text and function is not None:
            argument = self.local(function, argument.text)
        if argument is None or argument.kind != "call":
            return False
        if argument.text in buffers:
            return True
        from prodcheck.rules.concurrency.buffers import project_buffer  # (it reads Holds, of which this is a part)
        return project_buffer(self.index, argument.text)

    def _call(self, value: Value, function: Function | None, depth: int) -> Holding | None:
        text, at = value.text, value.at  # `value.line`, inline (a property's read is a call of its getter)
        line = at >> LINE_SHIFT if type(at) is int else at.line  # type: ignore[union-attr]  # an int or a Span
        ran = offloaded_call(value)
        if ran is not None:  # `await loop.run_in_executor(None, Client, config)`: what `Client(config)` gives
            return self._call(ran, function, depth + 1) if depth <= MAX_DEPTH else None
        if "()" in text:
            return self._expression((text + "()").split("."), function, depth, line)
        if function is not None and "." in text and self.named_after_import(function, text):
            return self._callee(text, value, None, depth, line)  # an imported class, not a member of a local
        if function is not None and "." in text and self._global_call(function, text):
            return self._callee(text, value, function, depth, line)
        if text.endswith("[]") and "[]" not in text[:-2] and self._table_named(text[:-2]):
            # `TOOLS[name](url)`: a class picked from a table of project classes, built (one of them: `_element`;
            # as an entry of a table of functions called, dispatch.py, the key is not kept: a table is indexed by
            # what a request says, a constant key would name the class itself)
            picked = self._element(Value("subscript", at, text[:-2]), function, depth + 1, True)
            if picked is not None and picked.kind == "class":
                return Holding("object", picked.ref)
        if text.endswith(".get") and value.items and self._table_named(text[:-4]):
            # `TOOLS.get(kind)` of a dict literal of project classes: an entry, as `TOOLS[kind]`
            picked = self._element(Value("subscript", value.at, text[:-4], items=value.items[:1]), function, depth + 1)
            if picked is not None and picked.kind == "class":
                return picked
        called = self._name(text, function, depth, line)  # a local factory, SessionLocal, a class
        if called is not None:
            return self.member(called, "__call__", True, depth + 1)
        head, _, method = text.rpartition(".")
        if head:
            if head.partition(".")[0] in INSTANCE and function is not None:
                base = self.expression(head, function, depth + 1, line)  # `self.db.query(X)`: a member of this class
            else:
                base = self._name(head, function, depth, line) if function is not None or "." in head else None
                if base is None and "." in head:
                    # `client.containers.get(id)` with `client` a module global: a member of what a prefix holds
                    base = self.expression(head, function, depth + 1, line)
            if base is not None:
                return self.member(base, method, True, depth + 1, value)
        return self._callee(text, value, function, depth, line)


def _nested_names(index: PythonIndex) -> frozenset[str]:
    """The bare names of the functions defined in another function's body (`enclosed_function` can find one only
    for these), collected once per index."""
    known: frozenset[str] | None = index.__dict__.get("_nested_function_names")
    if known is None:
        functions = index.functions
        known = index.__dict__["_nested_function_names"] = frozenset(
            qualname.rpartition(".")[2] for qualname in functions if qualname.rpartition(".")[0] in functions)
    return known
