"""PC501 on patterns of real services no label covered: what a construction of a subclass says about how the
server builds its objects (rules/concurrency/hierarchy.py `_built`), and how long a sleep must be to stall."""
from __future__ import annotations

from pathlib import Path

from conftest import run_json

FIXTURES = Path(__file__).parent / "fixtures" / "precision"


def _pc501(name: str) -> list[tuple[str, int, str]]:
    _, report = run_json(FIXTURES / name, "--select", "PC501")
    return sorted((f["path"], f["line"], f["severity"]) for f in report["findings"])


def test_a_subclass_built_only_in_a_demo_or_a_test_does_not_hide_the_factory_s_others() -> None:
    """A factory imports the configured step class by name (`getattr(importlib.import_module(...), name)`) and a
    route awaits it; one step is also built by name in its module's `__main__` demo and in a test. Neither is
    how the server builds steps, so every step's implementation may run: the webhook step's `requests.post` is
    reported. A base whose production code builds one subclass by name still runs only that one: the mail
    notifier a test builds is not reported."""
    assert _pc501("PC501-subclass-built-in-a-demo") == [("app/steps/webhook.py", 8, "error")]


def test_a_sleep_under_a_millisecond_is_info_and_a_polling_sleep_stays_an_error() -> None:
    """An id generator that spins with `time.sleep(0.0001)` to the next millisecond when its sequence runs out is
    back before a request notices: info, saying so. A helper polling with `time.sleep(0.01)` stays an error."""
    _, report = run_json(FIXTURES / "PC501-brief-sleep", "--select", "PC501")
    found = {f["line"]: f for f in report["findings"]}
    assert sorted((line, f["severity"]) for line, f in found.items()) == [(10, "info"), (11, "error")]
    assert "less than a millisecond" in found[10]["message"]
    assert "less than a millisecond" not in found[11]["message"]


def test_a_classmethod_of_the_configured_implementation_runs_each_subclass_s() -> None:
    """`get_impl(UserAuth, name) -> type[T]` (its first parameter `cls: type[T]`, a module function's, given by the
    call) imports the configured subclass; `await impl.get_instance(request)` on that class runs the classmethod
    of whichever subclass it is: the API-key implementation's sync query is reported, the anonymous one is not."""
    assert _pc501("PC501-configured-implementation") == [("app/auth/api_keys.py", 22, "error")]


def test_an_async_exception_handler_is_on_the_request_path() -> None:
    """Starlette awaits an `async def` exception handler (`@app.exception_handler(Exc)`) on the event loop for the
    request that failed: its alert sent with `requests` is reported. One registered with `add_exception_handler`
    as a plain `def` runs in the threadpool, and a test app's handler is never deployed: neither is reported."""
    assert _pc501("PC501-exception-handlers") == [("app/main.py", 18, "error")]


def test_a_decorator_factory_s_session_factory_is_followed_into_its_wrapper() -> None:
    """`async_transaction(session_factory: Callable[..., Session] = ...)` -> `decorator(func)` -> `async def
    wrapper`: the wrapper's `session_factory` is the factory's parameter, two functions up (the nearest enclosing
    function that binds it), so the commit after the awaited body is a sync session's, on the event loop."""
    assert _pc501("PC501-decorator-factory-session") == [("app/transactions.py", 17, "error")]


def test_a_class_picked_from_a_table_by_the_request_runs_any_entry_s_method() -> None:
    """`COMMANDS[name](target).run()` and `job_class = JOBS.get(name)` ... `await job_class(target).run()`, with
    the tables dict literals of project classes: the request's key picks one, so each entry's `run` may be the
    one awaited (as each entry of a table of functions, dispatch.py): the notifier's `requests.post` and the
    archiver's `make_archive` are reported. A table read with a constant key runs the class it names only: the
    purge's sleep, behind the other key, is not reported."""
    assert _pc501("PC501-class-tables") == [("app/commands/archive.py", 8, "warning"),
                                            ("app/commands/notify.py", 8, "error")]


def test_an_async_strawberry_resolver_of_a_served_schema_is_on_the_request_path() -> None:
    """A schema served by `GraphQLRouter` runs each operation on the server's loop and awaits an `async def`
    resolver there: the `@strawberry.field` method's `requests.get`, the `@strawberry.mutation`'s `time.sleep` and
    the function given as `strawberry.field(resolver=...)` are reported. A plain `def` resolver is called inline on
    that loop too, not in a thread (strawberry#3187): the sleep its helper makes is reported. A resolver that
    blocks nothing is not."""
    found = _pc501("PC501-graphql-resolvers")
    assert found == [("app/rates.py", 7, "error"), ("app/schema.py", 15, "error"), ("app/schema.py", 19, "error"),
                     ("app/schema.py", 30, "error")]
    _, report = run_json(FIXTURES / "PC501-graphql-resolvers", "--select", "PC501")
    assert all("GraphQL resolver `" in f["message"] for f in report["findings"])
    assert "`def price` (GraphQL resolver `price`, called on the event loop)" in report["findings"][2]["message"]


def test_a_strawberry_schema_no_asgi_app_serves_has_no_request_path() -> None:
    """The same resolver in a project that only executes its schema from a build script (no `GraphQLRouter` or
    `strawberry.asgi.GraphQL`): no request awaits it, nothing is reported."""
    assert _pc501("PC501-graphql-unserved") == []


def test_a_zip_archive_over_the_project_s_own_memory_sink_is_not_file_io() -> None:
    """A streamed export writes its archive into `ChunkSink(io.RawIOBase)`, whose `write` appends to a list the
    generator drains: memory, as over an `io.BytesIO`, so neither `ZipFile(sink)` nor `writestr` is reported. The
    same archive over `SpoolSink`, whose `write` opens a file, blocks: both lines of that route are reported."""
    assert _pc501("PC501-own-memory-buffer") == [("app/main.py", 27, "warning"), ("app/main.py", 28, "warning")]


def test_what_a_read_of_a_client_s_stream_returns_is_data() -> None:
    """`data = response.read()` of a Minio object (in a helper a thread runs) gives bytes: the route's
    `raw.decode()` and the helper it hands the text to read memory, not the client, and are not reported. The
    object's `get_object` and `readline()` made on the loop are; the `decode()` of the line read is not."""
    assert _pc501("PC501-read-results") == [("app/main.py", 21, "error"), ("app/main.py", 22, "error")]


def test_a_writer_given_no_file_returns_its_text_and_does_no_io() -> None:
    """`df.to_json(orient="records")`, `df.to_csv(index=False)`, polars' `write_csv()` / `write_json()`: given no
    target, pandas and polars return what they would write as a string, in memory (knowledge/blocking.toml
    `untargeted`). The same writers given a path, positionally or by its keyword, write the file: reported."""
    assert _pc501("PC501-writers-without-target") == [
        ("app/main.py", 35, "error"), ("app/main.py", 36, "error"), ("app/main.py", 37, "error")]


def test_what_a_helper_beside_the_route_in_an_app_factory_returns_is_followed() -> None:
    """`create_app(data_dir)` defines its routes and their helpers in its body: `item_path = _safe_path(...)` is
    the `Path` the helper beside the route returns (a free name of a nested function is its enclosing function's
    binding), so `item_path.read_text()` reads a file on the loop; `_mirror().get(...)` is a `requests` session's
    request. The helper returning an `httpx.AsyncClient` the route awaits is not reported, nor is the `bytes` a
    Cloud Storage blob's `download_as_bytes()` gives through a helper nested in the async function that hands it
    to a thread (`data.decode()` reads memory: knowledge/blocking.toml [read_results])."""
    assert _pc501("PC501-factory-nested-helpers") == [("app/main.py", 30, "warning"), ("app/main.py", 34, "error")]


def test_tensor_files_named_by_path_and_local_speech_synthesis_block_the_loop() -> None:
    """`torch.load(path)` reads and unpickles a file and `torch.save(tensor, path)` writes one (their file the first
    and the second argument): file I/O on the loop, a warning; over an `io.BytesIO` they touch memory, as the file
    APIs do. A Kokoro `KPipeline` called in the route runs the speech model over the text (PC503); handed to
    `asyncio.to_thread`, it does not."""
    _, report = run_json(FIXTURES / "PC501-tensor-files-and-speech", "--select", "PC501,PC503")
    assert sorted((f["code"], f["path"], f["line"], f["severity"]) for f in report["findings"]) == [
        ("PC501", "app/voices.py", 10, "warning"), ("PC501", "app/voices.py", 22, "warning"),
        ("PC503", "app/main.py", 16, "warning")]


def test_a_project_context_manager_s_enter_and_exit_run_where_it_is_entered() -> None:
    """`async with FileLease(path) as lease:` awaits the class's `__aenter__`, which reads the file with `open()`
    on the loop; `with Ledger(path) as conn:` runs `__enter__`, which connects with `sqlite3`, at the constructor's
    line. An `__aexit__` that hands its write to `asyncio.to_thread`, and a timer's `__enter__` that only sets an
    attribute, are not reported."""
    assert _pc501("PC501-context-manager-methods") == [
        ("app/leases.py", 12, "warning"), ("app/main.py", 18, "error"), ("app/main.py", 19, "error")]


def test_a_dependency_injector_provider_gives_what_its_first_argument_builds() -> None:
    """`Depends(Provide[Container.counter])` with `counter = providers.Singleton(redis.Redis, ...)` injects a sync
    Redis client, unannotated: its `incr` blocks; `providers.Factory(RatesService, ...)` injects the project's
    service, whose `requests.get` blocks. The container's `redis.asyncio.Redis`, awaited, does not."""
    assert _pc501("PC501-container-provided") == [("app/main.py", 14, "error"), ("app/main.py", 26, "error")]
