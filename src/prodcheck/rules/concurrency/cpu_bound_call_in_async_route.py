"""PC503 cpu-bound-call-in-async-route. Docs and tests: rules/PC503-cpu-bound-call-in-async-route.md"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.knowledge import load
from prodcheck.model.facts import AWAITED, OFFLOADED, ONCE, READ, Call, Function, PyFacts, Value
from prodcheck.model.packed_positions import LINE_SHIFT
from prodcheck.model.finding import Location, Severity
from prodcheck.project import Project
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.rules.concurrency.cpu_work import classify_work, grows_with_data
from prodcheck.rules.concurrency.holds import Holds
from prodcheck.rules.concurrency.request_path import Entry, caller_name, defined, request_path
from prodcheck.rules.concurrency.summaries import Blocking, BlockingAnalysis

# Functions that burn CPU for tens to hundreds of milliseconds by design (key stretching).
_KNOWN = load("cpu_bound")
CPU_FUNCTIONS: dict[str, str] = {entry["name"]: entry["what"] for entry in _KNOWN["functions"]}
# Of those, the ones whose cost is an argument (PBKDF2's iteration count), and from which value it stalls.
_WORK: dict[str, dict] = {entry["name"]: entry["work"] for entry in _KNOWN["functions"] if "work" in entry}
# Objects whose hash/verify methods do the same.
HASHERS: dict[str, str] = {entry["name"]: entry["library"] for entry in _KNOWN["hashers"]}
HASHER_METHODS = frozenset(_KNOWN["methods"]["hasher"])
# Method names too common to pin on the one project class that happens to define them.
_GENERIC_METHODS = frozenset({
    "get", "set", "save", "hash", "verify", "check", "run", "update", "create", "delete", "add", "remove", "load",
    "send", "process", "execute", "call", "validate", "encode", "decode", "close", "open", "read", "write", "find",
    "all", "first", "one", "list", "dict", "json", "copy", "refresh", "commit", "flush", "rollback", "scalar",
    "scalars", "fetch", "fetchone", "fetchall", "start", "stop", "handle", "dispatch", "render", "parse", "dump",
    "dumps", "loads", "model_dump", "to_dict", "from_orm", "items", "keys", "values", "pop", "append", "extend",
})
_PASSLIB_HANDLER_MODULES = tuple(_KNOWN["methods"]["passlib_handler_modules"])
_PASSLIB_HANDLER_METHODS = frozenset(_KNOWN["methods"]["passlib_handler"])
_PASSLIB_HANDLER_FACTORIES = frozenset(_KNOWN["methods"]["passlib_handler_factories"])


def _passlib_handler(index: PythonIndex, head: str) -> str | None:
    """The passlib handler an object expression names: `passlib.hash.argon2` itself, a module-level name bound to it
    (`pwd_context = argon2`), or to a handler it configures (`argon2.using(rounds=4)`)."""
    for _ in range(4):
        if head.startswith(_PASSLIB_HANDLER_MODULES):
            return head.rsplit(".", 1)[-1]
        value = index.assigned_value(head)
        if value is None or not value.text or value.text == head:
            return None
        if value.kind == "call":
            handler, _, factory = value.text.rpartition(".")
            if factory not in _PASSLIB_HANDLER_FACTORIES:
                return None
            head = handler
        elif value.kind == "name":
            head = value.text
        else:
            return None
    return None


def _hasher_of(index: PythonIndex, head: str, call: Call, function: Function, depth: int = 0) -> str | None:
    """The hashing library an object expression (`pwd_context`, `self.hasher`, `PasswordHasher()`) is, if any."""
    if depth > 4 or not head:
        return None
    value: Value | None = None
    if call.receiver and head == call.receiver:
        value = function.local(head)
    elif head.endswith("()"):
        constructor = head[:-2]
        if constructor in HASHERS:
            return HASHERS[constructor]
        target = index.function(constructor)
        if target is not None:
            for returned in target[0].returns:
                if returned.kind == "call" and returned.text in HASHERS:
                    return HASHERS[returned.text]
        return None
    elif head.startswith("self.") and function.class_name:
        attribute = head[5:]
        found = index.assigns.get(f"{function.class_name}.{attribute}")
        value = found[0].value if found else None
        if value is None:
            facts = index.functions.get(function.qualname, (None, None))[1]
            for assign in getattr(facts, "assigns", ()):
                if assign.target == head and assign.scope.startswith(function.class_name + "."):
                    value = assign.value
    else:
        value = index.assigned_value(head)
    if value is None:
        return None
    if value.kind == "call":
        if value.text in HASHERS:
            return HASHERS[value.text]
        target = index.function(value.text)
        if target is not None:
            for returned in target[0].returns:
                if returned.kind == "call" and returned.text in HASHERS:
                    return HASHERS[returned.text]
    return None


def classify_cpu(index: PythonIndex, call: Call, function: Function) -> str | None:
    """Why a call is CPU-bound for long enough to stall the event loop, or None."""
    if call.flags & READ:
        return None  # an attribute read that makes a request: I/O (PC501), no computation
    name = call.value.text
    if name in CPU_FUNCTIONS and not call.receiver:
        return None if _light_work(call, _WORK.get(name)) else CPU_FUNCTIONS[name]
    head, _, method = name.rpartition(".")
    if not head:
        return _model_inference(index, call, function) or classify_work(index, call, function)
    handler = _passlib_handler(index, head) if method in _PASSLIB_HANDLER_METHODS else None
    if handler:
        return f"passlib `{handler}` password {'check' if method == 'verify' else 'hashing'}"
    if method in HASHER_METHODS:
        library = _hasher_of(index, head, call, function)
        if library:
            return f"{library} password {'check' if method.startswith('verify') else 'hashing'}"
    return _model_inference(index, call, function) or classify_work(index, call, function)


def _model_inference(index: PythonIndex, call: Call, function: Function) -> str | None:
    """`model.encode(texts)` of a local model (knowledge/blocking.toml families marked `cpu`), or the model called
    itself (`pipe(texts)`): the client found with PC501's reach (attributes, returns, `Depends`...)."""
    holds = Holds.of(index)
    kb = holds.kb
    value = call.value
    name = value.text
    head, _, method = name.rpartition(".")
    if "()" in name and method not in kb.cpu_methods:
        return None  # `select(X).where(y)`: no model's method (whatever the head holds), nor a model called by name
    at = value.at  # `value.line`, inline (a property's read is a call of its getter)
    line = at >> LINE_SHIFT if type(at) is int else at.line  # type: ignore[union-attr]  # an int or a Span
    if head:
        holder = holds.expression(head, function, line=line)
        family = kb.families[holder.ref] if holder is not None and holder.kind == "client" else None
        if family is not None:
            # a method of the model's object (`nlp.make_doc(text)`, `doc.text.lower()` of the Doc it returned): the
            # model is not called itself
            return family.what if family.cpu_method(method) else None
    if "()" not in name:
        holder = holds.expression(name, function, line=line)
        family = kb.families[holder.ref] if holder is not None and holder.kind == "client" else None
        if family is not None and family.cpu_method("__call__"):
            return family.what
    return None


def _light_work(call: Call, work: dict | None) -> bool:
    """`pbkdf2_hmac(..., 2048)`: the work factor is a literal below the one that stalls (knowledge/cpu_bound.toml)."""
    if work is None:
        return False
    argument = call.value.kwarg(work["keyword"]) or call.value.arg(work["position"])
    count = argument.int_value if argument is not None else None
    return count is not None and count < work["stalls_from"]


class CpuBoundCallInAsyncRoute(Rule):
    meta = RuleMeta(
        code="PC503", name="cpu-bound-call-in-async-route",
        summary="Password hashing and other CPU-heavy calls directly in `async def` code on the request path",
        severity=Severity.WARNING, kinds=("py",),
    )
    analyses = ("concurrency",)

    def check(self, project: Project) -> Iterator[Draft]:
        index = project.python
        analysis = BlockingAnalysis(project, classify_cpu)
        methods: dict[str, list[tuple[Function, PyFacts]]] = {}
        for qualname, (function, facts) in index.functions.items():
            if function.class_name:
                methods.setdefault(qualname.rsplit(".", 1)[-1], []).append((function, facts))
        for qualname, entry in sorted(self._reach(index, methods).items()):
            short = qualname.rsplit(".", 1)[-1]
            reported: set[tuple[int, int]] = set()
            for found in analysis.direct(entry.function, entry.facts):
                reported.add((found.call.line, found.call.span.column))
                yield self.draft(
                    f"`{_short(found.call)}()` ({found.what}) runs on the event loop in `{defined(entry)} {short}` "
                    f"({entry.why}): {_cost(found.what)} during which this worker "
                    "serves no other request; call it with `await run_in_threadpool(...)` or "
                    "`await asyncio.to_thread(...)`",
                    Location(entry.facts.path, found.call.span),
                )
            helpers = list(analysis.through_helpers(entry.function))
            helpers.extend(self._method_helpers(index, analysis, entry.function, methods))
            for call, blocking in helpers:
                key = (call.line, call.span.column)
                if key in reported:
                    continue
                reported.add(key)
                chain = " -> ".join(f"`{c}()`" for c in (call.name.rsplit(".", 1)[-1], *blocking.chain))
                where = f"{blocking.facts.path}:{blocking.call.line}"
                yield self.draft(
                    f"{chain} does {blocking.what} (`{_short(blocking.call)}()` at {where}) on the event loop in "
                    f"`{defined(entry)} {short}` ({entry.why}): this worker serves no other request meanwhile; call it "
                    "with `await run_in_threadpool(...)` or `await asyncio.to_thread(...)`",
                    Location(entry.facts.path, call.span),
                    related=(Location(blocking.facts.path, blocking.call.span).labelled(blocking.what),),
                )

    @staticmethod
    def _reach(index: PythonIndex, methods: dict[str, list[tuple[Function, PyFacts]]]) -> dict[str, Entry]:
        """The request path, plus async methods awaited on objects of unknown type (`await repo.create(...)`)
        when only one project class defines a method of that name."""
        # a copy: the walk's answer is kept on the index for PC501, which must not see this rule's additions
        found = dict(request_path(index, include_startup=False))
        stack = list(found.values())
        while stack:
            entry = stack.pop()
            for call in index.calls_by_scope.get(entry.function.qualname, []):
                if not call.receiver or not call.flags & AWAITED or index.call_target(call, entry.function) is not None:
                    continue
                head, _, method = call.name.rpartition(".")
                candidates = methods.get(method, []) if head == call.receiver and method not in _GENERIC_METHODS else []
                if len(candidates) != 1 or not candidates[0][0].is_async:
                    continue
                target, target_facts = candidates[0]
                if target.qualname in found:
                    continue
                found[target.qualname] = Entry(target, target_facts,
                                               f"awaited from `{caller_name(entry.function, target)}`")
                stack.append(found[target.qualname])
        return found

    @staticmethod
    def _method_helpers(index: PythonIndex, analysis: BlockingAnalysis, function: Function,
                        methods: dict[str, list[tuple[Function, PyFacts]]]) -> Iterator[tuple[Call, Blocking]]:
        """`user.check_password(pw)` on an object of unknown type: a method name only one project class
        defines is that class's method."""
        for call in index.calls_by_scope.get(function.qualname, []):
            if not call.receiver or call.flags & (OFFLOADED | ONCE | AWAITED) or index.call_target(call, function) is not None:
                continue
            head, _, method = call.name.rpartition(".")
            if head != call.receiver or method.startswith("__") or method in _GENERIC_METHODS:
                continue
            candidates = methods.get(method, [])
            if len(candidates) != 1:
                continue
            target, target_facts = candidates[0]
            if target.is_async:
                continue
            inner = analysis.sync_summary(target, target_facts, frozenset({function.qualname}))
            if inner:
                first = inner[0]
                yield call, Blocking(first.call, first.facts, first.what, first.chain)


def _cost(what: str) -> str:
    if grows_with_data(what):
        return "CPU time that grows with the size of the data, with no limit the code sets,"
    return "tens to hundreds of milliseconds of CPU per call"


def _short(call: Call) -> str:
    parts = call.name.split(".")
    return ".".join(parts[-2:]) if len(parts) > 1 else call.name
