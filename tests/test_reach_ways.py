"""Every way PC501 follows a request to a blocking call (issue 8, item 2) is pinned both ways.

The core fixtures `tests/fixtures/core/PC501-py-*-pos` and `-neg` mark lines with `# reach: <way>`. Each
way of WAYS must mark, in a `-pos` fixture, a line that also expects PC501 (`# expect: PC501`), and, in a
`-neg` fixture, a line that expects nothing; test_core_fixtures checks that those expectations hold (the
`-neg` fixtures report nothing at all). A way the model learns gets a row here and a line in both, so a
step that stops following it, or starts following it where nothing blocks, fails a fixture.
"""
from __future__ import annotations

import re
from pathlib import Path

CORE = Path(__file__).parent / "fixtures" / "core"
MARK = re.compile(r"#\s*reach:\s*(?P<way>[a-z-]+)")

WAYS = {
    "depends-provider": "a `Depends` provider that yields a sync session",
    "annotated-dependency": "`Annotated[Session, Depends(get_db)]`",
    "parameter-annotation": "a parameter annotated with a client class",
    "service-layers": "route -> service -> repository, objects injected with `Depends()`",
    "awaited-helper": "an async method or function the route awaits",
    "instance-attribute": "`self.client = Client()` in `__init__`, used in a method",
    "constructor": "a project class whose `__init__` blocks",
    "module-global": "a module-level client used by a helper in another module",
    "declared-global": "a module global declared with a type (`storage: Minio = None`, `Dict[str, Model]`) filled in later",
    "return-value": "what a project function returns",
    "return-annotation": "a project function's return annotation",
    "dotted-local": "`request.state.db = SessionLocal()`",
    "reassigned-local": "a local assigned twice: each use holds the assignment above it",
    "partial": "`functools.partial` of a blocking helper, called",
    "lambda": "a lambda called by a helper on the caller's thread",
    "container-item": "an entry of a dict literal of project objects",
    "instance-container": "an entry of a dict attribute the class's methods fill (`self._engines[name] = "
                          "create_engine(url)`, then `return self._engines[name]`)",
    "patched-global": "a module global another module assigns (a test fixture's `presence.redis_client = fake`): the "
                      "defining module's own value is what production holds",
    "abstract-method": "an abstract method with one implementation",
    "unparsed-helper-module": "a helper module holding no word of the parse prefilter, imported by async code "
                              "(directly or through its package's re-export): parsed in a second round",
    "method-return-attribute": "`self.inbox = self._inbox()` in `__init__`: the attribute holds what the method returns, "
                               "however deep the chain that asks",
    "property-value": "a `@property` whose value is a path joined from an attribute",
    "trait-declared": "a traitlets `Type(klass=...)` / `Instance(...)` class attribute, and a `-> Query` annotation (a "
                      "sync Session's query)",
    "guarded-session": "a sync session handed to a helper that queries with it only where a parameter guards "
                       "(`if check_denylist:`): reported where the call passes a value that runs the guarded lines, "
                       "not where the default rules them out",
    "property-called": "`self.session_factory()` with `session_factory` a `@property` holding a sessionmaker: the call "
                       "is of the sessionmaker, a Session",
    "abstract-return": "what an abstract method returns: its one implementation's value",
    "path-annotation": "a declared `-> Path` (a parameter's, an attribute's): a path, whatever value it was given; "
                       "`str | Path` may be text",
    "conditional-value": "`a if c else b` of two paths",
    "getattr-delegate": "a wrapper whose `__getattr__` forwards to a client",
    "registered-route": "`app.get(path)(handler)`",
    "registered-middleware": "`app.middleware(\"http\")(session_middleware)`: the middleware decorator applied by hand",
    "registered-method": "`router.get(path)(handler.method)`: a bound method of a project object",
    "closure-parameter": "a route nested in a factory, using a parameter the factory binds (`log: AuditLog`)",
    "forward-reference": "an annotation written as a string (`audit: \"AuditLog\"`, `-> \"AuditLog\"`)",
    "app-state": "`request.app.state.audit_log`, set by `app.state.audit_log = AuditLog(...)` at start-up",
    "handler-local": "`router.add_api_route(path, handler)` with `handler` a local bound to a nested route function",
    "computed-route-path": "a route whose path is built at run time (`prefix + \"/events\"`, an f-string)",
    "async-background-task": "an `async def` given to `BackgroundTasks`",
    "client-maker": "`boto3.Session().client(...)`",
    "comprehension-item": "`[feed.pull() for feed in FEEDS.values()]`: a comprehension's name holds one item of what "
                          "it iterates, as a `for` loop's does",
    "admin-hook": "a starlette-admin field's, view's or auth provider's override its admin routes await (`parse_obj`, "
                  "`render`, `login`)",
    "ocpp-handler": "an OCPP charge point's `@on(Action.X)` handler, which the `ocpp` library awaits for each message a "
                    "station sends",
    "ocpp-sync-handler": "a plain `def` OCPP handler for an action a station sends: the library calls it on the loop too "
                         "(one for an action only the central system sends never runs)",
    "ocpp-message-hook": "a charge point's `route_message` override, which the `ocpp` library's message loop awaits "
                         "for each message a station sends",
    "bound-method-handed": "a bound method handed to a service (`DuplicateFinder(db_manager.get_session)`), kept on "
                           "`self` and called there: what the method returns",
    "callable-annotation": "a parameter declared `Callable[[], Session]`, kept on `self` and called: a Session",
    "coroutine-returned": "`await manager.run_scraper(url)` with a plain `def run_scraper` returning `self._run_x(url)`: "
                          "the `async def` whose coroutine it hands back",
    "factory-closure-dependency": "`service: PaymentService = Depends(get_service(PaymentService))` whose factory returns "
                                  "a closure: FastAPI injects what the closure returns (here, as annotated)",
    "agent-tool": "an OpenAI Agents SDK `@function_tool`, awaited by the agent loop while a route awaits `Runner.run`",
    "library-hook": "a method of a library base class's subclass that the library's own routes await (FastAPI Users' "
                    "`on_after_forgot_password`)",
    "mcp-handler": "an `async def` an MCP server's decorator registers (`@mcp.tool()`, `@server.call_tool()`)",
    "builtin-caller": "a function named to `map()` (or `filter`, `sorted(key=...)`): called right there, per item",
    "generic-locator": "`await services.get(Mailer)` with `get(self, cls: type[S]) -> S`: an instance of the class "
                       "asked for",
    "coroutine-handed": "`await cached(_fetch, key)` with `async def _fetch()` nested and `await fetch()` in the helper",
    "own-loop": "a coroutine scheduled on the server's loop (`asyncio.create_task`), not one run on a loop of its own in "
                "a worker thread (`run_in_executor(pool, lambda: asyncio.run(job()))`)",
    "attribute-read": "an attribute of a client whose read asks a server (a Celery result's `status`), read in the "
                      "route or in a sync helper it calls",
    "closure-factory": "`get_sfn = client_constructor(\"stepfunctions\")`, a module global holding the closure a project "
                       "factory returns: calling it gives what the closure returns (a boto3 client); `BaseClient` "
                       "annotations",
    "protocol-implementation": "an attribute typed with a `typing.Protocol`: the project class that implements its "
                               "methods structurally, naming no base",
    "orm-model-query": "`session.query(User).first()` on a session from a factory the model cannot follow: a Query of an "
                       "ORM model class (one with `__tablename__`) is a sync Session's",
    "stub-typed-parameter": "`def __init__(self, table: \"Table\")` with Table from a stubs package imported for type "
                            "checking only: what the project builds the class with",
    "client-item": "`mongo[\"app\"][\"users\"].find_one()`",
    "union": "an attribute that holds one of several project classes",
    "session-object": "fastapi-sqlalchemy's `db.session`",
    "query-run": "a SQLAlchemy Query run by `.count()` / `.all()` after it is built",
    "query-handed": "a sync session's Query, built here or returned unrun by a helper, handed to a project helper that "
                    "runs it (`pagination.paginate(query)`): reported at the handing call",
    "nested-function": "a function defined in the route's body, called there",
    "registry": "`-> Type[Tool]`: one of the subclasses a registry of the project lists, picked at run time",
    "dependency-factory": "`Depends(make())` injecting what the made function returns; an interface's test double skipped",
    "orm-model": "a model class of a synchronous ORM (`Visit.create(...)`, peewee)",
    "field-factory": "a class attribute built per instance by `field(default_factory=...)`",
    "decorator-wrapper": "a call into a function under a project decorator runs the decorator's wrapper",
    "handed-back-coroutine": "an async helper a route awaits runs; one it returns without `await` never does (the "
                             "coroutine object is the route's result)",
    "entry-wrapper": "a route under a project decorator: FastAPI awaits the decorator's `async def` wrapper; a plain "
                     "`def` route gets the sync one `iscoroutinefunction` picks",
    "wrapped-sync-call": "a decorator's `async def` wrapper that calls the plain `def` it wraps without `await` "
                         "(`return func(*args, **kwargs)` beside `if iscoroutinefunction(func)`): FastAPI awaits the "
                         "wrapper, so the route's body runs on the loop; reported at the wrapper's call",
    "started-task": "a task start-up code starts a few calls down (`await committer.start()` in the lifespan, whose "
                    "`start` does `asyncio.create_task(self._loop())`): it runs beside the requests, not before them",
    "iterated-attribute": "`for session in list(self._pending)` with `self._pending: set[Session]` declared in "
                          "`__init__`: each item is of the declared type",
    "factory-closure-task": "`task = logged_task(rebuild_index)` then `background_tasks.add_task(task)`: the `async def` "
                            "closure the factory returns runs on the loop and calls the sync job it was given",
    "scheduler-package-job": "the `scheduler` package's asyncio Scheduler (`schedule.daily(time, job)`: the job second), "
                             "given to a helper whose parameter is declared a `Scheduler`",
    "lifespan-scheduler": "`start_scheduler()` in the lifespan, a plain function adding an `async def` job to an asyncio "
                          "scheduler: the job runs on the loop while the server serves (and `get_db_manager = "
                          "contextmanager(get_db)` binds what `get_db` yields)",
    "lifespan-task": "`asyncio.create_task(watch_orders())` in the lifespan: the task runs beside the requests, a stall "
                     "in it is a request's stall (error), not start-up's",
    "property-read": "`enabled = db.config.auth_enabled` with `auth_enabled` a `@property` of a project class: the "
                     "getter runs",
    "element-member-local": "`docs = client.collections[\"books\"].documents`, then `docs.search(...)`: a member of a "
                            "client's element held in a local is what the inline chain is",
    "iterated-generator": "a sync generator function iterated where it is called (`list(self._select(sql))`, `for row in "
                          "rows():`, a list comprehension over it, `\", \".join(...)` of a generator expression over it): its "
                          "body runs there; handed to `StreamingResponse`, it runs in the threadpool",
    "lazy-export": "`from lazypkg import archive` where the package's module `__getattr__` imports it from a submodule on "
                   "first use (PEP 562): the one submodule that binds the name",
    "picked-class": "`sender_type = sender_class(kind)` then `sender_type(url)`: a project class a helper returns, built "
                    "here, runs its `__init__`",
    "isinstance-narrowed": "`db = getattr(request.state, \"db\", None)` then `if not isinstance(db, Session): return`: below "
                           "the test the name holds that class (an `AsyncSession` narrowed the same way stays quiet)",
    "asgi-middleware-class": "`app.add_middleware(AuditMiddleware)` of a pure ASGI class: its `async def __call__` runs "
                             "per request; a class nothing adds never runs",
    "background-object-method": "`tasks.add_task(recorder.record, event)` with `recorder = Recorder(...)` a project "
                                "object, the tasks built in the route (`BackgroundTasks()`, handed to the response): the "
                                "method runs on the loop when it is `async def`, in the threadpool when it is plain",
    "offloaded-result": "`s3 = await asyncio.to_thread(boto3.client, \"s3\")` (or `loop.run_in_executor(None, Client, "
                        "config)`): what the offloaded call returns is what the function given returns",
    "helper-spawned-task": "`asyncio.create_task(_do_update())` in a plain method the route calls: the coroutine it "
                           "makes a task of runs on the loop",
    "overridden-annotation": "`async def handle(self, context)` overriding a base's `handle(self, context: "
                             "RequestContext)`: the unannotated parameter has the base's declared type",
    "bound-method-dependency": "`Depends(validator.authenticate)` with `validator = KeyValidator(...)` a module global: "
                               "the instance's method is the dependency (a plain `def` one runs in the threadpool)",
    "path-items": "`for rule in sorted(RULES.iterdir()): rule.read_text()`: the items of a path's `glob`, `rglob` or "
                  "`iterdir` are paths",
    "table-update": "a module-level table filled after it is bound (`LISTERS = defaultdict(...)`, then "
                    "`LISTERS.update(**{\"s3\": list_s3})`): each entry a key may pick",
    "enclosed-dependency": "`Depends(get_active_env)` in a route a router factory defines, naming a dependency defined "
                           "beside it in the factory's body",
    "page-decorator": "a NiceGUI page (`@ui.page(\"/help\")` on an `async def`): a GET route of NiceGUI's FastAPI app",
    "hook-override": "a base class's hook with a default body (`return HookResult()`), called on instances typed as the "
                     "base (a list of hooks): the subclass's override runs",
    "implementations": "an abstract method several subclasses implement: each one the project builds may run",
    "declared-attribute": "a class attribute declared with a type and no value (a dataclass field `session_maker: "
                          "sessionmaker`)",
    "filled-container": "an entry of a module global's container that a start-up function fills "
                        "(`worker_map[name] = worker`); a function's own container of the same name is not it",
    "unpacked-global": "a module global the `__main__` block sets by unpacking what a factory returns "
                       "(`args, relay = build()`); a starred target names no exact position",
    "inherited-implementation": "a subclass a registry picks runs the implementation its project base gives it; "
                                "test doubles and classes of test files are never deployed",
    "module-holding": "an SDK module a lazy loader imports and returns, called through a local",
    "bound-method-route": "`self.router.add_api_route(path, self.handler)` in a class-based router",
    "template-method": "`self._write()` in a base class's method, `_write` abstract there: the subclass's implementation",
    "global-assigned": "a module global a start-up function assigns (`global index` then `index = await open_index()`)",
    "or-default": "`self.storage = storage or DiskStorage()`: either operand may be what the attribute holds",
    "unbuilt-implementations": "an abstract method whose implementations the project builds by no name it writes "
                               "(a plugin loader): each one may run; a test double never does",
    "nested-background-task": "an `async def` the route defines in its body, given to `BackgroundTask`",
    "socket-handler": "a python-socketio `AsyncServer` event handler (`@sio.event`, `sio.on(name, handler=...)`); "
                      "the threaded `socketio.Server`'s are not on the loop",
    "websocket-endpoint": "a Starlette `WebSocketEndpoint` subclass a route decorator registers: `on_connect`, "
                          "`on_receive`, `on_disconnect`, `dispatch` are awaited; one no route registers never runs",
    "http-endpoint": "a Starlette `HTTPEndpoint` subclass `Route(path, Cls)` registers: its async `get`/`post`... "
                     "are awaited, a plain `def` one runs in the threadpool",
    "route-table": "records of a project class handing a route's handler as `endpoint=` (`RouteConfig(path=..., "
                   "endpoint=view)`), added by a loop calling `add_api_route(endpoint=config.as_view())`: a function, "
                   "or a view class's `__call__`; a plain `def` runs in the threadpool, and a record no adder reads "
                   "(`Subscription(endpoint=notify)`) is no route",
    "import-named-global": "`supabase = Supabase(url, key)` in a function binding the global `supabase`, with "
                           "`from supabase.client import Client as Supabase`: the imported class is called, not a "
                           "member of the global; the asyncio client built the same way stays quiet",
    "imported-subclass": "`BaseParser.import_module(kind)(url=url)`, the factory `-> \"Type[BaseParser]\"` returning "
                         "`getattr(importlib.import_module(...), name)`: any project subclass may be built, its "
                         "`__init__` runs; one whose `__init__` sends nothing stays quiet",
    "parameter-before-rebinding": "`file.file.read()` of an `UploadFile` parameter above the assignments that rebind "
                                  "`file` further down the body; a read after it is rebound to a buffer stays quiet",
    "module-global-call": "`s3 = get_s3()` (a helper of the module, named `app.bucket_routes.get_s3`) in a route with a "
                          "parameter `app`: the helper's return, not a member of the parameter; a method of a "
                          "parameter named `app` stays the parameter's",
    "route-class": "`Route(path, handler)` / `WebSocketRoute(path, Cls)`: a function, or the methods an endpoint "
                   "class inherits from a project base; a class a project registry decorates is no endpoint",
    "dispatch-table": "`await self._handlers[kind](data)`, `handler = self._handlers.get(kind)`: each function a "
                      "dict literal of the project maps a key to (an attribute, maybe built by a method, or a global)",
    "scheduler-job": "`self.scheduler.add_job(self.job)` on an APScheduler `AsyncIOScheduler`: an async job is "
                     "awaited on the loop; the threaded `BackgroundScheduler`'s are not",
    "declared-container-attribute": "an entry of a container attribute declared in `__init__` "
                                    "(`self.drafts: dict[str, Drafts] = {}`, then `self.drafts[user].flush()`)",
    "made-closure": "`forward = self._wrap(name)` then `await forward(text)`: the function the factory defines and "
                    "returns (not another one it defines)",
    "provider-next": "`with next(get_db()) as session`: the session a dependency provider yields, taken by hand",
    "inherited-across-modules": "a method two levels up a project hierarchy, in a module the prefilter skips, "
                                "under a models module it reads (the second parse round follows parsed modules); "
                                "the same chain through an async base stays quiet",
    "self-type-return": "a classmethod returning the class it is called on (`-> Self`, `cls: type[T] -> T`, "
                        "`return cls(...)`): the subclass's own method runs, not the base's",
    "model-copy": "pydantic's `model_validate()` / `model_copy()` (knowledge/frameworks.toml [models]) give the "
                  "model's own class; a plain class's `copy()` says nothing",
    "tuple-annotation": "`a, b = get_pair()` with `-> tuple[A, B]`: each name holds its position's class",
    "loop-item": "`for x in items()` with `-> list[X]` / `Iterable[X]`, a parameter `list[X]`, `enumerate`, "
                 "`sorted`; iterating a mapping gives its keys",
    "orm-union": "`A | B` of synchronous ORM models: the call blocks when any member's ORM runs it",
    "declared-local": "a local declared with a type (`chosen: Visit | Note = pick(kind)`, `reports: list[Report] = "
                      "...`): the declaration and the value, as one holding",
    "conditional-union": "`Draft() if c else Report()`: either class's method may run",
    "super-call": "`super().save()` in an override: the next project base's method",
    "handed-on-callable": "a function handed by reference to an async helper that hands it on to the one calling it "
                          "(`await once_for_workers(job)` -> `run_job(job)` -> `job()`); handed on to a thread, quiet",
    "conditional-global": "a module global assigned in branches at module level (`if REDIS_HOST: cache = Redis()` / "
                          "`else: cache = LocalCache()`): the blocking branch wins, as either may be deployed",
    "wrapper-keywords": "a decorator's wrapper hands its `**kwargs` to a helper defined beside it that reads "
                        "`kwargs.get(\"db\")`: the wrapped route's parameter (a sync `Depends` session); an async "
                        "session awaited stays quiet",
    "constructor-argument": "`Counter(cache)` with `def __init__(self, r): self.r = r`: what the project builds the "
                            "class with is what the attribute holds in every method",
    "app-copy": "two copies of an application in one repository (`api/` and `ee/api/`, both with `chalicelib/`): "
                "`from chalicelib.core import signup` is the copy beside the importer, never the other one",
    "awaited-client-argument": "`await read_count(cache, key)` into `async def read_count(r, key)`: the helper's "
                               "unannotated parameter holds the sync client every caller gives it; a helper one caller "
                               "awaits with an asyncio client is not known to block",
    "constructed-local": "`kept = Recorder()` then `kept.record(db, event)`: a sync session handed to the method of "
                         "a local the route builds from a project class; a method that only keeps it stays quiet",
    "session-attribute": "`self.db` kept by `__init__(self, db: Session)`, handed to a helper; an `AsyncSession` "
                         "stays quiet",
    "session-global": "a module global `session = SessionLocal()` (a sessionmaker over a sync engine) handed to a "
                      "helper; one over an async engine stays quiet",
    "client-argument": "a sync client handed to a helper whose parameter says nothing (`read_count(cache, key)`, "
                       "`def read_count(r, key): return r.get(key)`), or handed on to another; a helper that only "
                       "reads an attribute or calls a safe method, or a call offloaded or awaited, stays quiet",
}


def _marked(kind: str) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(CORE.glob(f"PC501-py-*-{kind}/**/*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = MARK.search(line)
            if match:
                found.setdefault(match["way"], []).append((f"{path.relative_to(CORE)}:{number}", line))
    return found


def test_every_way_of_reaching_a_call_has_a_positive_line_that_expects_pc501() -> None:
    marked = _marked("pos")
    assert set(marked) == set(WAYS), {"unmarked": set(WAYS) - set(marked), "unknown": set(marked) - set(WAYS)}
    silent = [where for lines in marked.values() for where, line in lines if "# expect: PC501" not in line]
    assert not silent, f"a positive reach line must expect PC501: {silent}"


def test_every_way_of_reaching_a_call_has_a_negative_line_that_expects_nothing() -> None:
    marked = _marked("neg")
    assert set(marked) == set(WAYS), {"unmarked": set(WAYS) - set(marked), "unknown": set(marked) - set(WAYS)}
    loud = [where for lines in marked.values() for where, line in lines if "# expect:" in line]
    assert not loud, f"a negative reach line expects nothing: {loud}"
