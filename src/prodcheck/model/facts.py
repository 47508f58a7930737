"""Facts: what files say, reduced to plain picklable data with the place each fact came from."""
from __future__ import annotations

from typing import Generic, NamedTuple, TypeVar

from prodcheck.model.finding import Location, Span, _shaped, quick_pickle
from prodcheck.model.packed_positions import LINE_SHIFT, unpack_position
from prodcheck.model.record import hashed_record, record

T = TypeVar("T")

# How sure we are of a number: written literally > an env var's default > a tool's default > guessed.
LITERAL = "literal"
ENV_DEFAULT = "env-default"
TOOL_DEFAULT = "tool-default"
INFERRED = "inferred"


@quick_pickle
@record  # a frozen dataclass to mypy, built faster (model/record.py)
class Fact(Generic[T]):
    value: T
    origin: Location
    certainty: str = LITERAL
    note: str = ""

    def describe(self) -> str:
        where = f" ({self.origin})" if self.origin.path else ""
        return f"{self.note or self.value}{where}"


# ---------------------------------------------------------------- Python


# The Python facts are built by the hundred thousand (a quarter million calls on a large project) and
# never changed once built: nothing assigns to a fact, and equality and hash are by value as for a
# frozen dataclass (`unsafe_hash`). They are not `frozen=True` at run time because a frozen class's
# `__init__` sets each field through `object.__setattr__`, a lookup and a call per field: building the
# facts cost ~5x more that way than through the plain `__init__` (slot stores), and so did loading them
# from the cache, which calls the same `__init__`.


class Value(NamedTuple):
    """A Python expression reduced to what rules need.

    kind is one of: const, name, call, seq, dict (keywords: the entries with a str key; items: the values
    of every other key), subscript, binop, boolop, ifexp (items: test, body,
    orelse), compare (one operator, its class name in `text`; items: left, right), fstring, lambda, unpack
    (one item of an unpacked value, `a, b = f()`: literal, its position; items, the value), each (one item of
    an iterated value, `for x in xs`: items, the iterated value), other.
    For name/call/subscript, `text` is the dotted name resolved through the file's imports
    (`sqlalchemy.create_engine`, `app.database.get_db`, `db.get` for a local variable).
    A tuple because extraction creates hundreds of thousands and caches reload them. `at` is where
    the expression is, packed (`pack_position`) or a Span; read it as `span`.

    A Value is only as long as its last field that differs from the default (`VALUE_SHAPES`): most are
    names and constants, which need three or four of the seven fields.

    The keywords are stored flat, name then value (`flat_keywords`: `("echo", Value, "future", Value)`),
    not as pairs: a pair is a tuple of its own (56 bytes), and the bench corpus holds 216,000 of them.
    `keywords` reads them as pairs; `keyword_values` reads the values alone.
    """

    kind: str
    at: int | Span
    text: str = ""
    literal: object = None
    items: tuple[Value, ...] = ()
    flat_keywords: tuple[str | Value, ...] = ()  # name, value, name, value...: read as `keywords`
    has_star: bool = False

    def __reduce__(self):
        return (_shaped, (type(self), tuple(self)))  # see Span.__reduce__; a shape by its name (`_shape`)

    def __repr__(self) -> str:  # NamedTuple's own formats exactly seven fields
        return "Value(" + ", ".join(f"{name}={getattr(self, name)!r}" for name in Value._fields) + ")"

    @property
    def span(self) -> Span:
        return unpack_position(self.at)

    @property
    def line(self) -> int:
        """`span.line`, without building the Span (asked for every expression a rule follows)."""
        at = self.at
        return at >> LINE_SHIFT if type(at) is int else at.line  # type: ignore[union-attr]  # an int or a Span

    @property
    def keywords(self) -> tuple[tuple[str, Value], ...]:
        """The str-keyed arguments (entries of a dict) as (name, value) pairs, in source order."""
        flat = self.flat_keywords
        return tuple(zip(flat[::2], flat[1::2], strict=True)) if flat else ()  # type: ignore[arg-type]  # names, then Values

    @property
    def keyword_values(self) -> tuple[Value, ...]:
        return self.flat_keywords[1::2]  # type: ignore[return-value]  # every odd entry is a Value

    def kwarg(self, name: str) -> Value | None:
        flat = self.flat_keywords
        if name not in flat:  # names are the only str entries: a Value is never equal to one
            return None
        return flat[flat.index(name) + 1]  # type: ignore[return-value]  # the entry after a name is its Value

    def arg(self, index: int) -> Value | None:
        return self.items[index] if len(self.items) > index else None

    @property
    def is_str(self) -> bool:
        return self.kind == "const" and isinstance(self.literal, str)

    @property
    def is_true(self) -> bool:
        return self.kind == "const" and self.literal is True

    @property
    def int_value(self) -> int | None:
        if self.kind == "const" and isinstance(self.literal, int) and not isinstance(self.literal, bool):
            return self.literal
        return None

    @property
    def last(self) -> str:
        return self.text.rsplit(".", 1)[-1]


# The shapes of a Value: a Value of seven fields is one tuple of 96 bytes (with its garbage-collector
# header); a name's Value holds three (kind, at, text: 64 bytes), a constant's four (80). The trailing
# fields a Value leaves out are its class's attributes, holding the defaults: `value.items` reads the
# same on every shape. A Value has one shape, the shortest that holds it (`Value(...)` picks it, and
# so must the extractor, which builds the tuples itself): two Values are equal exactly when their
# fields are. 937,000 Values of the bench corpus: 20 MiB less than all of seven fields.
def _shape(length: int) -> type[Value]:
    if length == len(Value._fields):
        return Value
    left_out = {name: Value._field_defaults[name] for name in Value._fields[length:]}
    # Pickled by this name (`Value.__reduce__`), a name of this module (below): each shape is its own class.
    return type("Value", (Value,), {"__slots__": (), "__module__": __name__, "__qualname__": f"_Value{length}",
                                    "__doc__": Value.__doc__, **left_out})


VALUE_SHAPES: tuple[type[Value], ...] = (Value, Value, *(_shape(length) for length in range(2, 8)))
_Value2, _Value3, _Value4, _Value5, _Value6 = VALUE_SHAPES[2:7]  # (`_shape`: the names the shapes pickle as)
_tuple_new = tuple.__new__


def _value(cls: type, kind: str, at: int | Span, text: str = "", literal: object = None,
           items: tuple[Value, ...] = (), flat_keywords: tuple[str | Value, ...] = (),
           has_star: bool = False, *, keywords: tuple[tuple[str, Value], ...] = ()) -> Value:
    """`Value(...)`: the shortest shape that holds the fields (`keywords=` pairs are stored flat)."""
    if keywords:
        flat_keywords = tuple(part for pair in keywords for part in pair)
    if has_star:
        return _tuple_new(Value, (kind, at, text, literal, items, flat_keywords, has_star))
    if flat_keywords:
        return _tuple_new(VALUE_SHAPES[6], (kind, at, text, literal, items, flat_keywords))
    if items:
        return _tuple_new(VALUE_SHAPES[5], (kind, at, text, literal, items))
    if literal is not None:
        return _tuple_new(VALUE_SHAPES[4], (kind, at, text, literal))
    if text:
        return _tuple_new(VALUE_SHAPES[3], (kind, at, text))
    return _tuple_new(VALUE_SHAPES[2], (kind, at))


Value.__new__ = _value  # type: ignore[method-assign,assignment]  # NamedTuple forbids defining it in the class


def value_shape(fields: tuple[object, ...]) -> bool:
    """Whether a Value's tuple is of its own shape (the extractor builds them directly; tests check it)."""
    return len(fields) >= 2 and tuple(_value(Value, *fields)) == fields  # type: ignore[arg-type]  # _value is typed for Value's own fields; any tuple is tried here


# The yes/no facts of a Call, as bits of one small int (Python shares those up to 256): a Call is
# four slots instead of seven, 64 bytes instead of 88 (a quarter million calls on the bench corpus).
# KEYWORD_LITERAL: a keyword holds a str literal (extract/file_facts.literal_keywords), what PC302 reads.
# ITERATED: what the call returns is iterated where it is made (Call.iterated).
AWAITED, IN_MAIN, OFFLOADED, ONCE, READ, KEYWORD_LITERAL, ITERATED = 1, 2, 4, 8, 16, 32, 64


@quick_pickle
@hashed_record  # `dataclass(slots=True, unsafe_hash=True)`, built faster (model/record.py)
class Call:
    value: Value  # kind "call"
    scope: str  # qualified name of the enclosing function, "" at module level
    receiver: str = ""  # local variable or parameter a method is called on (`db` in db.get())
    flags: int = 0  # AWAITED | IN_MAIN | OFFLOADED | ONCE | READ | KEYWORD_LITERAL | ITERATED, read as the properties below
    # Each property below is a Python call (~800-1,800 instructions): the paths that judge every call (PC501/PC503,
    # `NameIndex.call_target`) read `value.text`, `value.line` and `flags & ...` directly, as `Value.last` is read
    # there as `text.rpartition(".")[2]`.

    @property
    def awaited(self) -> bool:
        return bool(self.flags & AWAITED)

    @property
    def in_main(self) -> bool:
        """Under `if __name__ == "__main__":`."""
        return bool(self.flags & IN_MAIN)

    @property
    def offloaded(self) -> bool:
        """Passed to asyncio.to_thread / run_in_threadpool / run_in_executor (or a deferred lambda)."""
        return bool(self.flags & OFFLOADED)

    @property
    def once(self) -> bool:
        """Runs only until state the function keeps is set (extract/once.py): set-up."""
        return bool(self.flags & ONCE)

    @property
    def read(self) -> bool:
        """Not a call: the read of an attribute that makes a request (`PyFacts.reads`, `result.status`)."""
        return bool(self.flags & READ)

    @property
    def iterated(self) -> bool:
        """What it returns is iterated to the end where it is made (`for row in rows()`, `[r for r in rows()]`,
        `list(rows())`): a generator function called so runs its body here."""
        return bool(self.flags & ITERATED)

    @property
    def name(self) -> str:
        return self.value.text

    @property
    def span(self) -> Span:
        return self.value.span

    @property
    def line(self) -> int:
        return self.value.line


@quick_pickle
@hashed_record  # `dataclass(slots=True, unsafe_hash=True)`, built faster (model/record.py)
class Param:
    name: str
    annotation: Value | None
    default: Value | None


WITH, ASYNC_WITH = "with", "async with"  # how a `Function.locals` entry was bound


@quick_pickle
@hashed_record  # `dataclass(slots=True, unsafe_hash=True)`, built faster (model/record.py)
class Function:
    qualname: str  # module-qualified: app.routers.orders.get_order, app.db.Repo.get
    is_async: bool
    span: Span  # the `def` line
    decorators: tuple[Value, ...] = ()
    params: tuple[Param, ...] = ()
    is_generator: bool = False
    returns: tuple[Value, ...] = ()  # returned or yielded expressions
    # name = value in the body, flat: name, value, how, name, value, ...: read as `locals`. How is "" for an
    # assignment, WITH / ASYNC_WITH for `with value as name` (the name is then bound to what the context
    # manager's `__enter__` / `__aenter__` returns)
    flat_locals: tuple[str | Value, ...] = ()
    class_name: str = ""
    in_main: bool = False
    annotation: Value | None = None  # the return annotation (`-> Session`)
    declared: tuple[str, ...] = ()  # names the body declares `global` or `nonlocal`: bound outside the call
    # lines that run only for some values of a parameter (extract/guards.py): (first, last, param, need, position)
    guards: tuple[tuple[int, int, str, str, int], ...] = ()
    # `chosen: Visit | Note = pick(kind)` in the body: what a local is declared to hold, by name
    local_types: tuple[tuple[str, Value], ...] = ()

    def needs(self, line: int) -> tuple[tuple[str, str, int], ...]:
        """What the parameters must be for the line to run: (param, need, position), () for every call."""
        return tuple((param, need, position) for first, last, param, need, position in self.guards
                     if first <= line <= last)

    @property
    def locals(self) -> tuple[tuple[str, Value, str], ...]:
        """(name, value, how: "", WITH or ASYNC_WITH) of each binding in the body, in source order.

        Stored flat (`flat_locals`): a triple is a tuple of its own (64 bytes), and the bench corpus holds
        144,000 of them, most never read (only the functions a rule follows are asked)."""
        flat = self.flat_locals
        return tuple(zip(flat[::3], flat[1::3], flat[2::3], strict=True)) if flat else ()  # type: ignore[arg-type]  # name, Value, how

    def local(self, name: str) -> Value | None:
        """What a local name is bound to at its latest assignment or `with ... as` in the body."""
        flat = self.flat_locals
        for index in range(len(flat) - 3, -1, -3):
            if flat[index] == name:
                return flat[index + 1]  # type: ignore[return-value]  # the entry after a name is its Value
        return None


@quick_pickle
@hashed_record  # `dataclass(slots=True, unsafe_hash=True)`, built faster (model/record.py)
class Assign:
    target: str  # module-qualified for module/class scope, plain for function scope
    value: Value
    at: int | Span  # the statement's position, packed as a Value's (`pack_position`): read it as `span`
    scope: str = ""
    in_main: bool = False

    @property
    def span(self) -> Span:
        return unpack_position(self.at)


@quick_pickle
@hashed_record  # `dataclass(slots=True, unsafe_hash=True)`, built faster (model/record.py)
class ClassDef:
    qualname: str
    bases: tuple[str, ...]
    span: Span
    decorators: tuple[Value, ...] = ()  # `@router.websocket("/ws")` on a class-based endpoint


@quick_pickle
@hashed_record  # `dataclass(slots=True, unsafe_hash=True)`, built faster (model/record.py)
class StringLiteral:
    value: str
    span: Span
    scope: str
    role: str = ""  # "kwarg:description", "default", "assign:NAME", ""
    in_main: bool = False


@quick_pickle
@hashed_record  # `dataclass(slots=True, unsafe_hash=True)`, built faster (model/record.py)
class PyFacts:
    module: str
    path: str
    imports: tuple[tuple[str, str], ...] = ()  # local name -> qualified name; "*module" -> module for `import *`
    imported_modules: tuple[str, ...] = ()
    calls: tuple[Call, ...] = ()
    functions: tuple[Function, ...] = ()
    assigns: tuple[Assign, ...] = ()
    classes: tuple[ClassDef, ...] = ()
    strings: tuple[StringLiteral, ...] = ()
    main_block: Span | None = None
    annotations: tuple[tuple[str, Value], ...] = ()  # module global or class attribute (qualified) -> its annotation
    stubs: tuple[str, ...] = ()  # methods whose body only declares them (`...`, `raise NotImplementedError`)
    # (first, last) lines of the bodies of a function's `if` blocks whose condition names development or tests
    # (`if settings.ENV == "local":`, knowledge/dev_guards.toml): code production does not run
    dev_blocks: tuple[tuple[int, int], ...] = ()
    # reads, in functions, of attributes that make a request when read (knowledge/blocking.toml `attributes`:
    # a Celery `result.status`), as Calls flagged READ whose value is the attribute (`result.status`)
    reads: tuple[Call, ...] = ()
    # names that are entries of a list/dict literal assigned or returned, or returned (extract/file_facts.py)
    registry_names: tuple[str, ...] = ()
    # names of the keywords (and str keys of dicts given as one) of calls that hold a str literal, each once
    # (extract/file_facts.literal_keywords): PC302 reads the calls of a file where one is secret-like
    literal_keywords: tuple[str, ...] = ()
    # the names of the calls (`call.value.text`), each once, in the order of `calls`: what the project's index of
    # calls by name reads of a file (project/calls.CallIndex), made once with the facts rather than by every run
    call_names: tuple[str, ...] = ()
