"""What an annotation says a name holds: a parameter's or a return's type (`Session`, `Minio`, a project
class, a forward reference), `Annotated[X, Depends(f)]` and `Depends` providers, a module global's declared type."""
from __future__ import annotations

from prodcheck.knowledge import load
from prodcheck.knowledge.databases import is_async_session_factory, session_classes, sync_session_factories
from prodcheck.knowledge.frameworks import container_names, is_dependency_marker
from prodcheck.model.facts import Function, Value
from prodcheck.rules.concurrency.holding import MAX_DEPTH, Holding, HoldsBase, union
from prodcheck.rules.concurrency.written import forward_name

_SYNC_ENGINE_TYPES = frozenset(load("databases")["engine_types"]["sync"])
_WRAPPERS = frozenset({"typing.Optional", "Optional", "typing.Union", "Union"})
_TEXT = frozenset({"str", "bytes"})
_UNKNOWN = object()  # no kept answer (None is one)
_CLASS_OBJECT = ("Type[", "type[", "typing.Type[")  # https://docs.python.org/3/library/typing.html#the-type-of-class-objects


class Annotations(HoldsBase):
    """What parameter, return and module-global annotations, and `Depends` providers, say."""

    def annotation(self, value: Value | None, function: Function | None, depth: int = 0) -> Holding | None:
        """What a parameter or return annotation (`Session`, `Minio`, `Annotated[X, Depends(f)]`) says."""
        if value is None or depth > MAX_DEPTH:
            return None
        kind = value.kind
        if kind == "subscript":
            last = value.text.rpartition(".")[2]  # `value.last`, read once (a property's read is a call of its getter)
            if last == "Annotated" and value.items:
                found = self.annotation(value.items[0], function, depth + 1)
                if found is not None:
                    return found
                for item in value.items[1:]:
                    if item.kind == "call" and is_dependency_marker(item.text):
                        return self._depends(item, None, function, depth + 1)
                return None
            if value.text in _WRAPPERS or last in {"Optional", "Union"}:
                return self._first(value.items, function, depth)
            if last in {"Type", "type"} and value.items:
                return self._registered(value.items[0])
            if last == "Callable" and len(value.items) == 2:
                # `session_factory: Callable[[], Session]`: calling it gives a Session, as a sessionmaker does
                # (https://docs.python.org/3/library/typing.html#annotating-callable-objects)
                returned = self.annotation(value.items[1], function, depth + 1)
                return Holding("factory", returned.ref) if returned is not None and returned.kind == "session" else None
            return None
        if kind == "binop" and value.text == "BitOr":
            return self._first(value.items, function, depth)
        if kind == "const" and isinstance(value.literal, str):  # `value.is_str`
            forward = self._forward(value, function)
            return self.annotation(forward, function, depth + 1) if forward is not None else None
        if kind != "name":
            return None
        text = value.text
        known = self._named_types.get(text, _UNKNOWN)
        if known is not _UNKNOWN:
            return known  # type: ignore[return-value]  # a Holding or None, never the marker
        found, kept = self._named_type(text, function, depth)
        if kept:
            self._named_types[text] = found
        return found

    def _named_type(self, text: str, function: Function | None, depth: int) -> tuple[Holding | None, bool]:
        """What an annotation that is a name says, and whether that is the name's answer wherever and however deep it
        is asked (kept by `annotation`: polar annotates thousands of parameters with a few hundred names): every
        answer but one found through the writer's copy of an ambiguous module (`resolve_written`), or through the
        alias it names (`SessionDep = Annotated[...]`, followed one level deeper)."""
        found = self._library_type(text)
        if found is not None:
            return found, True
        index = self.index
        resolved = index.resolve(text)
        # a name of an ambiguous module is the writer's copy (`resolve_written`): an answer of that function alone
        kept = resolved is not None or not index.anchorable(text)
        if not kept:
            resolved = index.resolve_written(text, function)
        if resolved is None:
            return None, kept
        if resolved.cls:
            return Holding("object", resolved.qualname), kept
        if resolved.assign is not None and resolved.assign[0].value.kind in {"subscript", "name"}:
            return self.annotation(resolved.assign[0].value, None, depth + 1), False  # SessionDep = Annotated[...]
        return None, kept

    def _library_type(self, text: str) -> Holding | None:
        """What a library's type named in an annotation says: a session, query, engine, session factory, client."""
        if text in session_classes("sync"):
            return Holding("session", "sync")
        if text in session_classes("async"):
            return Holding("session", "async")
        if text in self.kb.sqlalchemy.query_classes:  # `-> Query`: a sync Session's query, run by `.all()`
            return Holding("query", "sync")
        if text in _SYNC_ENGINE_TYPES:
            return Holding("engine", "sync")
        if text in sync_session_factories() or is_async_session_factory(text):  # `session_maker: sessionmaker`
            return Holding("factory", "async" if is_async_session_factory(text) else "sync")
        family = self.kb.client(text)
        if family is not None and (family.methods is None or family.items or family.joins):
            # a client of a library whose every method blocks, or a path (`-> Path`, `root: Path`): what a
            # name declared so holds, whichever value (a project helper's, a property's) it was given
            return Holding("client", family.key)
        if self.kb.maker(text):
            return Holding("maker", text)
        return None

    def _forward(self, value: Value, function: Function | None) -> Value | None:
        """A forward reference (`api: "RESTfulAPI"`), as the name it spells in the function's module; a class
        object's (`-> "Type[BaseClient]"`), as that subscript of the name."""
        found = self.index.functions.get(function.qualname) if function is not None else None
        if found is None:
            return None
        text = str(value.literal).strip()
        for wrapper in _CLASS_OBJECT:
            if text.startswith(wrapper) and text.endswith("]"):
                inner = forward_name(text[len(wrapper):-1], found[1])
                return Value("subscript", value.at, "Type", None, (Value("name", value.at, inner),)) if inner else None
        name = forward_name(text, found[1])
        return Value("name", value.at, name) if name else None

    def _first(self, items: tuple[Value, ...], function: Function | None, depth: int) -> Holding | None:
        """`A | B`, `Union[A, B]`, `Optional[A]`: what the members say, as one holding (`union`)."""
        held = [found for item in items if (found := self.annotation(item, function, depth + 1)) is not None]
        if any(item.kind == "name" and item.text in _TEXT for item in items):
            # `str | Path`: the value may be a string, whose `replace()`, `read()`... are not a path's I/O
            held = [found for found in held if (family := self.family(found)) is None or not family.joins]
        return union(held) if held else None

    def _declared(self, dotted: str, depth: int) -> Holding | None:
        """A module global's declared type, when what it is assigned says nothing (`client: OpenAI = None` in a
        state module that start-up fills in): the annotation is what requests find there."""
        declared = self.index.annotation(dotted)
        return self.annotation(declared, None, depth + 1) if declared is not None else None

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
        if provider.kind == "subscript" and provider.items and provider.text in container_names()[0]:
            return self._provided(provider.items[0], depth)
        if provider.kind == "call":
            found = self._made_dependency(provider, depth) or self._call(provider, function, depth + 1)
            if found is not None and found.kind == "function":
                # `Depends(get_service(PaymentService))` whose factory returns a closure: FastAPI calls it and injects
                # what it returns, never the closure itself (unknown here: the parameter's annotation says)
                found = self.member(found, "__call__", True, depth + 1)
            return found
        return None

    def _provided(self, entry: Value, depth: int) -> Holding | None:
        """`Depends(Provide[Container.cache])`: what the container's provider (`cache = providers.Singleton(
        redis.Redis, host=...)`) builds, its first argument called."""
        if entry.kind != "name":
            return None  # `Provide["cache"]`, a provider named by a string: not followed
        resolved = self.index.resolve(entry.text)
        built = resolved.assign[0].value if resolved is not None and resolved.assign is not None else None
        if built is None or built.kind != "call" or built.text not in container_names()[1] or not built.items:
            return None
        made = built.items[0]
        return self._callee(made.text, None, None, depth + 1) if made.kind == "name" else None

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
