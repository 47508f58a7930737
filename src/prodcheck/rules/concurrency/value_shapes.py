"""What a Value or a resolved name says by its shape alone, before `Holds` (holds.py) follows it anywhere: the call
an offloading call makes, how many times a dotted part is called, a global set back to None, a module's own global,
an annotation that says nothing the model reads, the names a call is handed."""
from __future__ import annotations

from prodcheck.knowledge import listed
from prodcheck.model.facts import Value
from prodcheck.project.python_names import Resolved


def names_handed(value: Value) -> list[Value]:
    """A call's arguments that are names (`db`, `self.db`), not calls (`get_db()`) nor constants: the only ones the
    readers of what an argument holds ask about (arguments.py, queries.py, sessions.py)."""
    # (the odd entries of `flat_keywords` are its Values: read here without the property `keyword_values`, a call)
    return [argument for argument in (*value.items, *value.flat_keywords[1::2])  # type: ignore[misc]
            if argument.kind == "name" and "()" not in argument.text]  # type: ignore[union-attr]


def offloaded_call(value: Value) -> Value | None:
    """The call an offloading call makes in a worker thread and returns the result of (knowledge/blocking.toml
    [offload]): `asyncio.to_thread(Client, config)`, `run_in_threadpool(make, x)`, `loop.run_in_executor(None, Client,
    config)` (its function comes after the executor: https://docs.python.org/3/library/asyncio-eventloop.html
    #asyncio.loop.run_in_executor) return what `Client(config)` returns. The function given by name only."""
    text = value.text
    last = text.rpartition(".")[2]
    if text not in listed("blocking", "offload", "functions") and last not in listed("blocking", "offload", "methods"):
        return None
    position = 1 if last == "run_in_executor" else 0
    if len(value.items) <= position or value.items[position].kind != "name" or "()" in value.items[position].text:
        return None
    handed = value.items[position]
    return Value("call", value.at, handed.text, None, value.items[position + 1:], value.flat_keywords)


def called_times(part: str) -> tuple[str, int]:
    """`get()()` -> ("get", 2)."""
    calls = 0
    while part.endswith("()"):
        part, calls = part[:-2], calls + 1
    return part, calls


def forgotten(value: Value) -> bool:
    """`_pool = None` of a `global _pool` (a pool closed, then forgotten): no method is called on what it gives, so
    what the name holds where a method is called on it is what it was given elsewhere."""
    return value.kind == "const" and value.literal is None and not value.text


def module_global(resolved: Resolved | None) -> bool:
    """A name defined at a project module's top level (`app/state.py`'s `storage`), not a dotted target some
    function assigned (a test's `request.app.state.store = FakeStore()`): only the first hides application state."""
    if resolved is None:
        return False
    if resolved.assign is None:
        return True
    assign, facts = resolved.assign
    return not assign.scope or assign.scope == facts.module  # module level, as NameIndex records a global


def opaque(annotation: Value | None) -> bool:
    """No annotation, or one that says nothing the model reads: a forward reference written as a string, or a
    qualified name of another package (a type-stubs class such as `mypy_boto3_dynamodb.service_resource.Table`).
    Built-in and unqualified names (`str`, `int`) are no such annotation."""
    if annotation is None:
        return True
    return annotation.is_str or (annotation.kind == "name" and "." in annotation.text
                                 and not annotation.text.startswith(("typing.", "collections.", "builtins.")))
