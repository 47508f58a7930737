"""Typed access to `blocking.toml`: which calls and which clients' methods block the calling thread."""
from __future__ import annotations

from fnmatch import fnmatchcase
from functools import cache
from typing import Any

from prodcheck.knowledge import load
from prodcheck.model.facts import Value
from prodcheck.model.record import record


@record
class Family:
    key: str
    what: str
    instead: str
    functions: frozenset[str]
    clients: frozenset[str]
    methods: frozenset[str] | None  # None: every method except `safe`
    safe: frozenset[str]
    detached: frozenset[str]
    task_methods: frozenset[str]
    task_decorators: frozenset[str]
    warning: bool
    pipe: bool
    buffers: frozenset[str] = frozenset()
    starts: frozenset[str] = frozenset()  # constructors whose stall is a method of what they return
    items: bool = False  # `client["db"]` is a client of the same library (a MongoDB database by name)
    requires: frozenset[str] = frozenset()  # calls that must be made nearby for `functions` to block
    through: frozenset[str] = frozenset()  # attributes a blocking method must be reached through (`upload.file`)
    joins: bool = False  # `root / name` with a client on either side is a client of the family (a path)
    data_results: bool = False  # what a blocking method returns is a response already received, not a client
    file_bound: bool = False  # a client works on the file it is built over: built over a buffer, it is no client
    streamed: str = ""  # the family of a response whose body is read later (`requests.get(url, stream=True)`)
    stream_keyword: str = ""  # the keyword that, given True, makes a request return such a response
    stream_methods: frozenset[str] = frozenset()  # functions and methods that always return one (`client.stream`)
    private: frozenset[str] = frozenset()  # underscore methods that still make a request (Minio's multipart calls)
    resources: frozenset[str] = frozenset()  # module attributes whose class methods make requests (`stripe.[A-Z]*`)
    # functions (qualified) and methods (bare) whose only I/O is one filesystem metadata operation: info, not a stall
    metadata: frozenset[str] = frozenset()
    # methods that close a client without a wait (knowledge/blocking.toml [closing], less the family's `waits`)
    closing: frozenset[str] = frozenset()
    attributes: frozenset[str] = frozenset()  # attributes whose read makes a request (Celery's `result.status`)
    read_what: str = ""  # what such a read does, and what to do instead
    read_instead: str = ""
    cpu: bool = False  # its methods compute rather than wait (local model inference): PC503's, never PC501's
    # functions (qualified) and methods (bare) that open a handle whose reads and writes are the I/O
    opens: frozenset[str] = frozenset()
    # methods whose result, iterated, gives clients of the family (`path.glob("*.md")`: paths)
    yields: frozenset[str] = frozenset()
    # names whose presence among a function's arguments makes it return at once (`fcntl.LOCK_NB`)
    unless: frozenset[str] = frozenset()
    # a first argument, a number of seconds below this, waits too briefly for a request to notice (`time.sleep(0.0001)`
    # spinning to the next millisecond): reported at info, saying `brief_why`
    brief: float = 0.0
    brief_why: str = ""
    # methods that, given no file (no positional argument, none of `targets`), return what they write: no I/O
    untargeted: frozenset[str] = frozenset()
    targets: frozenset[str] = frozenset()
    file_position: int = 0  # where the file argument of a function is (`torch.save(obj, f)`: 1), and its keyword
    file_keyword: str = ""

    def brief_call(self, value: Value) -> bool:
        """Whether the call `value` of one of the family's functions waits less than `brief` seconds: its first
        argument (or `secs=`) a number below it."""
        if not self.brief:
            return False
        given = value.items[0] if value.items else value.kwarg("secs")
        if given is None or given.kind != "const":
            return False
        seconds = given.literal
        return type(seconds) in (int, float) and 0 <= seconds < self.brief  # type: ignore[operator]  # int or float

    def cpu_method(self, method: str) -> bool:
        """Whether calling `method` on a client of this CPU family runs the computation (`model.encode(texts)`)."""
        return self.cpu and self.methods is not None and method in self.methods

    def returns_output(self, method: str, value: Value) -> bool:
        """Whether calling `method` with `value`'s arguments writes to no file and returns what it would write
        (`df.to_json(orient="records")`: a string): knowledge/blocking.toml `untargeted`."""
        return method in self.untargeted and not value.items and not value.has_star and not any(
            value.kwarg(target) is not None for target in self.targets)

    def light(self, name: str) -> bool:
        """Whether calling `name` (a qualified function or a bare method of a client) only does one filesystem
        metadata operation (`os.makedirs`, `path.unlink`): knowledge/blocking.toml `metadata`."""
        return name in self.metadata

    def streams(self, name: str, value: Value | None) -> bool:
        """Whether calling `name` (a function's or method's last part) with `value`'s arguments returns a response
        whose body is read later, by a method of the `streamed` family."""
        if not self.streamed:
            return False
        if name in self.stream_methods:
            return True
        given = value.kwarg(self.stream_keyword) if value is not None and self.stream_keyword else None
        return given is not None and given.kind == "const" and given.literal is True

    def method_blocks(self, method: str) -> bool:
        """Whether calling `method` on a client of this family blocks (closing one is not reported, unless the
        close waits for the client's work: knowledge/blocking.toml [closing] and `waits`)."""
        if self.cpu:
            return False  # computation, judged by PC503 (`cpu_method`)
        if method in self.safe or method in self.closing or (
                method.startswith("_") and method not in {"__call__", "__enter__"} and method not in self.private):
            return False
        if method.endswith("_async"):
            # SDKs generated from an API description name a method's coroutine twin `<name>_async` (Stripe's
            # `create_async`, Mistral's `complete_async`): calling it builds a coroutine, it does no I/O itself
            return False
        return method in self.methods if self.methods is not None else True


@record
class SqlAlchemy:
    what: str
    instead: str
    session_io: frozenset[str]
    session_safe: frozenset[str]
    engine_io: frozenset[str]
    inspect: frozenset[str]
    metadata_io: frozenset[str]
    query_builders: frozenset[str] = frozenset()  # session methods that build a lazy Query (`query`)
    query_io: frozenset[str] = frozenset()  # Query methods that run it (`all`, `first`, `count`)
    query_renders: frozenset[str] = frozenset()  # Query attributes and methods that give SQL, not rows
    render_functions: frozenset[str] = frozenset()  # calls that compile their argument to SQL text (`str`)
    query_classes: frozenset[str] = frozenset()  # an annotation naming one says the value is such a Query


@record
class Orm:
    """A synchronous ORM whose model classes (project subclasses of `models`) query in their methods."""

    key: str
    what: str
    instead: str
    models: frozenset[str]
    class_io: frozenset[str]
    instance_io: frozenset[str]
    builders: frozenset[str]
    query_io: frozenset[str]


@record
class NotIo:
    """Calls that only look at or format their arguments (`len(db)`, `logger.info(db)`)."""

    functions: frozenset[str]
    logger_factories: frozenset[str]
    logger_modules: tuple[str, ...]
    logger_names: frozenset[str]


class Blocking:
    """Lookups over every family; names are fully qualified (`minio.Minio`, `pandas.read_csv`)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.families: dict[str, Family] = {}
        self._functions: dict[str, Family] = {}
        # `function`'s answers by name: PC501 asks it of every call without a receiver, the same names again and
        # again, and a miss (most names) tries every pattern and resource glob
        self._function_answers: dict[str, Family | None] = {}
        self._clients: dict[str, Family] = {}
        self._patterns: list[tuple[str, Family, bool]] = []  # (glob, family, is_client)
        self._resources: list[tuple[tuple[str, ...], Family]] = []  # (a resource class's glob, by part; family)
        file_buffers = data["family"]["file"].get("buffers", ())
        closing = frozenset(data["closing"]["methods"])
        # methods of a client whose result is what they read (knowledge/blocking.toml [read_results])
        self.read_results: frozenset[str] = frozenset(data["read_results"]["methods"])
        for key, entry in data["family"].items():
            family = Family(
                key, entry["what"], entry["instead"], frozenset(entry.get("functions", ())),
                frozenset(entry.get("clients", ())),
                frozenset(entry["methods"]) if "methods" in entry else None,
                frozenset(entry.get("safe", ())), frozenset(entry.get("detached", ())),
                frozenset(entry.get("task_methods", ())), frozenset(entry.get("task_decorators", ())),
                bool(entry.get("warning", False)), bool(entry.get("pipe", False)),
                frozenset(entry.get("buffers", file_buffers if entry.get("in_memory") else ())),
                frozenset(entry.get("starts", ())), bool(entry.get("items", False)),
                frozenset(entry.get("requires", ())), frozenset(entry.get("through", ())),
                bool(entry.get("joins", False)), bool(entry.get("data_results", False)),
                bool(entry.get("file_bound", False)), str(entry.get("streamed", "")),
                str(entry.get("stream_keyword", "")), frozenset(entry.get("stream_methods", ())),
                frozenset(entry.get("private", ())), frozenset(entry.get("resources", ())),
                frozenset(entry.get("metadata", ())), closing - frozenset(entry.get("waits", ())),
                frozenset(entry.get("attributes", ())), str(entry.get("read_what", entry["what"])),
                str(entry.get("read_instead", entry["instead"])), bool(entry.get("cpu", False)),
                frozenset(entry.get("opens", ())), frozenset(entry.get("yields", ())),
                frozenset(entry.get("unless", ())), float(entry.get("brief", 0.0)), str(entry.get("brief_why", "")),
                frozenset(entry.get("untargeted", ())), frozenset(entry.get("targets", ())),
                int(entry.get("file_argument", {}).get("position", 0)),
                str(entry.get("file_argument", {}).get("keyword", "")),
            )
            self.families[key] = family
            for name in family.functions:
                if "*" in name:
                    self._patterns.append((name, family, False))
                else:
                    self._functions[name] = family
            self._resources.extend((_parts(resource), family) for resource in family.resources)
            for name in family.clients:
                if "*" in name:
                    self._patterns.append((name, family, True))
                else:
                    self._clients[name] = family
        self._roots = frozenset(pattern.split(".", 1)[0] for pattern, _, _ in self._patterns)
        self._resource_roots = frozenset(parts[0] for parts, _ in self._resources)
        # Makers: classes one of whose methods is a client factory (`boto3.Session` of `boto3.Session.client`),
        # not a client themselves. A module (`boto3` of `boto3.client`) is never called, so it can be in the set.
        self._makers = frozenset(name.rpartition(".")[0] for name in self._clients if "." in name) - set(self._clients)
        sql = data["sqlalchemy"]
        self.sqlalchemy = SqlAlchemy(sql["what"], sql["instead"], frozenset(sql["session_io"]),
                                     frozenset(sql["session_safe"]), frozenset(sql["engine_io"]),
                                     frozenset(sql["inspect"]), frozenset(sql["metadata_io"]),
                                     frozenset(sql.get("query_builders", ())), frozenset(sql.get("query_io", ())),
                                     frozenset(sql.get("query_renders", ())), frozenset(sql.get("render_functions", ())),
                                     frozenset(sql.get("query_classes", ())))
        not_io = data["not_io"]
        self.not_io = NotIo(frozenset(not_io["functions"]), frozenset(not_io["logger_factories"]),
                            tuple(not_io["logger_modules"]), frozenset(not_io["logger_names"]))
        self.celery = next((f for f in self.families.values() if f.task_methods), None)
        # Families whose client blocks when called itself (`llm(prompt)` of a `llama_cpp.Llama`): `__call__` listed
        self.called = frozenset(f.key for f in self.families.values()
                                if f.methods is not None and "__call__" in f.methods and not f.cpu)
        # methods that run a local model's computation on a client of some CPU family (`Family.cpu_method`)
        self.cpu_methods = frozenset(method for f in self.families.values() if f.cpu and f.methods for method in f.methods)
        self.orms = {key: Orm(key, entry["what"], entry["instead"], frozenset(entry["models"]),
                              frozenset(entry["class_io"]), frozenset(entry["instance_io"]),
                              frozenset(entry["builders"]), frozenset(entry["query_io"]))
                     for key, entry in data.get("orm", {}).items()}
        self._orm_bases = {base: orm for orm in self.orms.values() for base in orm.models}

    def orm_of_base(self, base: str) -> Orm | None:
        """The ORM whose model base class `base` is (`peewee.Model`)."""
        return self._orm_bases.get(base)

    def _pattern(self, name: str, client: bool) -> Family | None:
        if name.split(".", 1)[0] not in self._roots:
            return None
        parts = name.split(".")
        for pattern, family, is_client in self._patterns:
            pattern_parts = pattern.split(".")  # `*` stays inside one dotted part
            if is_client == client and len(parts) == len(pattern_parts) and all(
                    fnmatchcase(part, glob) for part, glob in zip(parts, pattern_parts, strict=False)):
                return family
        return None

    def module_family(self, module: str) -> Family | None:
        """The one family whose functions are all the module's functions this knowledge lists, at least three of
        them (`requests`: get, post, put, ... all [family.requests]): any function picked from the module by a name
        known only at run time (`getattr(requests, method.lower())`) is one of them, and blocks. None when the
        module's listed functions belong to several families, or are too few to say."""
        prefix = f"{module}."
        found = {family.key for name, family in self._functions.items()
                 if name.startswith(prefix) and "." not in name[len(prefix):]}
        listed = sum(1 for name in self._functions if name.startswith(prefix) and "." not in name[len(prefix):])
        return self.families[found.pop()] if len(found) == 1 and listed >= 3 else None

    def function(self, name: str) -> Family | None:
        """The family of a function that blocks when called, by its qualified name."""
        answers = self._function_answers
        if name in answers:
            return answers[name]
        found = answers[name] = self._functions.get(name) or self._pattern(name, False) or self._resource_method(name)
        return found

    def _resource_method(self, name: str) -> Family | None:
        """`stripe.PaymentMethod.attach`: a method called on a module's resource class that makes a request (any
        public one but the family's `safe` ones and `_async` twins: `Family.method_blocks`)."""
        if name.split(".", 1)[0] not in self._resource_roots or "(" in name or "[" in name:
            return None
        head, _, method = name.rpartition(".")
        parts = head.split(".")
        for pattern, family in self._resources:
            if len(parts) == len(pattern) and all(fnmatchcase(part, glob) for part, glob in zip(parts, pattern, strict=True)):
                return family if family.method_blocks(method) else None
        return None

    def client(self, name: str) -> Family | None:
        """The family of a constructor or factory whose result blocks in its methods."""
        return self._clients.get(name) or self._pattern(name, True)

    def maker(self, name: str) -> bool:
        """Whether calling `name` builds an object whose methods make clients (`boto3.Session()`)."""
        return name in self._makers and "." in name

    @property
    def qualified_names(self) -> frozenset[str]:
        """Every qualified name this topic knows (for the parse prefilter)."""
        names = {*self._functions, *self._clients, *(p for p, _, _ in self._patterns), *self._orm_bases}
        return frozenset(names | self.sqlalchemy.inspect)


def _parts(glob: str) -> tuple[str, ...]:
    return tuple(glob.split("."))


@cache
def blocking() -> Blocking:
    return Blocking(load("blocking"))


@cache
def buffer_bases() -> frozenset[str]:
    """([family.file] buffer_bases) the I/O classes a project's in-memory file object is built on."""
    return frozenset(load("blocking")["family"]["file"].get("buffer_bases", ()))
