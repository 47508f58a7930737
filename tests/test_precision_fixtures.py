"""Regression fixtures for patterns that real repositories showed prodcheck getting wrong (issue 10)."""
from __future__ import annotations

from pathlib import Path

from conftest import loud_findings, run_json

FIXTURES = Path(__file__).parent / "fixtures" / "precision"


def _loud(name: str, *codes: str) -> list[tuple[str, str, int, str]]:
    return loud_findings(FIXTURES / name, *codes)


def test_pc302_names_messages_and_placeholders_are_not_secrets() -> None:
    assert _loud("PC302-not-secrets", "PC302") == []


def test_pc302_secrets_by_evidence() -> None:
    assert _loud("PC302-secrets", "PC302") == [
        ("PC302", "app/config.py", 5, "error"),  # a GitHub token format
        ("PC302", "app/config.py", 6, "warning"),  # random-looking, in code
        ("PC302", "app/config.py", 7, "warning"),  # getenv fallback
        ("PC302", "app/config.py", 15, "warning"),  # settings default, BaseSettings through BaseConfig
        ("PC302", "docker-compose.yml", 5, "warning"),  # ${VAR:-default} of a secret the app checks
        ("PC302", "docker-compose.yml", 9, "warning"),  # a datastore's default, not published
        ("PC302", "exposed/docker-compose.yml", 9, "warning"),  # a datastore's default, its port published
    ]


def test_pc302_plain_defaults_that_open_nothing_are_info() -> None:
    """A plain settings default of a credential for another company's service, a test account's secret, a
    short made-up cloud key: info, saying why; a pydantic private attribute: nothing. A datastore's
    `${VAR:-default}` password stays a warning and says whether the datastore is published."""
    _, report = run_json(FIXTURES / "PC302-secrets", "--select", "PC302")
    info = {(f["path"], f["line"]): f["message"] for f in report["findings"] if f["severity"] == "info"}
    assert set(info) == {("app/config.py", 16), ("app/config.py", 18), ("app/config.py", 19)}
    assert "another service" in info[("app/config.py", 16)] and "test account" in info[("app/config.py", 18)]
    assert "a deploy that forgets" not in info[("app/config.py", 19)]
    messages = {(f["path"], f["line"]): f["message"] for f in report["findings"]}
    assert "only from the stack's own containers" in messages[("docker-compose.yml", 9)]
    assert "publishes its port outside the host" in messages[("exposed/docker-compose.yml", 9)]


def test_pc405_revision_built_on_by_a_merge_without_op_import_is_history() -> None:
    """A later revision with no `from alembic import op` (a merge) still makes earlier ones history."""
    _, report = run_json(FIXTURES / "PC405-merge-revision", "--select", "PC405")
    assert [(f["path"], f["severity"]) for f in report["findings"]] == [
        ("migrations/versions/0001_drop.py", "info")]


def test_pc104_advice_fits_the_case() -> None:
    """`$PORT` in a shell-form CMD: `exec`, not the JSON array form (which would stop the expansion);
    an explicit `bash -c` is named `bash -c`."""
    _, report = run_json(FIXTURES / "PC104-advice", "--select", "PC104")
    messages = {f["path"]: f["message"] for f in report["findings"]}
    assert "CMD exec gunicorn" in messages["Dockerfile"] and "JSON array form would stop" in messages["Dockerfile"]
    assert messages["compose.yaml"].startswith("`bash -c`")
    # a shell-form CMD that is itself one `bash -c` string: the exec belongs inside that string
    assert "runs `bash -c` with 2 commands" in messages["worker/Dockerfile"]
    assert "write `exec /start.sh` inside the `bash -c` string" in messages["worker/Dockerfile"]


def test_pc000_says_utf16_and_keeps_templates_quiet() -> None:
    _, report = run_json(FIXTURES / "PC000-templates-utf16")
    found = {f["path"]: f for f in report["findings"] if f["code"] == "PC000"}
    assert "UTF-16" in found["compose.yaml"]["message"] and "binary" not in found["compose.yaml"]["message"]
    assert found["chart/templates_disabled/hpa.yaml"]["severity"] == "info"


def test_pc703_cached_builder_stage_and_cache_mount() -> None:
    _, report = run_json(FIXTURES / "PC703-cached-installs", "--select", "PC703")
    found = [(f["path"], f["severity"], f["message"]) for f in report["findings"]]
    assert [(p, s) for p, s, _ in found] == [("mount/Dockerfile", "info")]
    assert "downloads again" not in found[0][2] and "cache mount" in found[0][2]


def test_pc702_install_over_an_environment_copied_from_a_builder_keeps_no_cache_to_speak_of() -> None:
    """`COPY --from=builder /app/.venv .venv` then `uv sync`: the packages are there, the sync adds the project only.
    Also a pip run from the copied environment, or `--python` pointing into it from a stage built FROM the one that
    copied it; an install into another environment (a tool venv of its own) keeps its cache and is reported."""
    assert _loud("PC703-cached-installs", "PC702") == []
    assert _loud("PC702-copied-env", "PC702") == [("PC702", "Dockerfile", 13, "warning")]


def test_pc706_reusable_workflow_gets_its_permissions_from_callers() -> None:
    _, report = run_json(FIXTURES / "PC706-reusable", "--select", "PC706")
    assert report["findings"] == []


def test_pc205_says_the_dockerignore_does_not_exclude_the_file() -> None:
    _, report = run_json(FIXTURES / "PC205-dockerignore-misses", "--select", "PC205")
    messages = [f["message"] for f in report["findings"] if f["path"] == "Dockerfile"]
    assert messages and "does not exclude it" in messages[0] and "no `.dockerignore`" not in messages[0]


def test_pc401_create_all_guarded_by_a_development_check_is_not_reported() -> None:
    assert _loud("PC401-dev-guarded-create-all", "PC401") == []


def test_pc402_counts_what_the_served_app_imports_with_env_defaults_resolved() -> None:
    """Only the engine the served app imports (not a cron script's, not another service's); its
    pool size from an inherited settings default, its overflow from `int(os.environ.get(X) or 20)`;
    the app and the worker count from a start script's `${VAR:-default}` variables."""
    _, report = run_json(FIXTURES / "PC402-served-imports", "--select", "PC402")
    found = [(f["path"], f["line"], f["severity"]) for f in report["findings"]]
    assert found == [("api/config.py", 5, "error")]
    message = report["findings"][0]["message"]
    assert message.startswith("(30 + 20) x 3 workers") and "= 150 >" in message


def test_pc402_counts_only_pools_each_process_keeps() -> None:
    """The pool a helper builds at import counts; engines built on demand (a customer connector's
    client per request, a one-shot URL check, a cron script's session) do not add to the process's sum."""
    _, report = run_json(FIXTURES / "PC402-on-demand-engines", "--select", "PC402")
    assert [(f["path"], f["line"], f["severity"]) for f in report["findings"]] == [("svc/db.py", 9, "error")]
    assert report["findings"][0]["message"].startswith("(20 + 15) x 3 workers")


def test_pc301_prose_is_documentation_and_the_stack_db_is_a_warning() -> None:
    """A URL inside a console message or a docstring documents a connection string's shape: nothing;
    the URL a function returns stays an error; a compose URL for the stack's own unpublished database
    container (also from the stack's env file) is a warning that says so; a settings default is one whatever line its literal is on."""
    _, report = run_json(FIXTURES / "PC301-prose-and-stack", "--select", "PC301")
    assert [(f["path"], f["line"], f["severity"]) for f in report["findings"]] == [
        ("docker-compose.yml", 6, "warning"), ("exposed/docker-compose.yml", 5, "error"),
        ("exposed/docker-compose.yml", 6, "error"), ("exposed/docker-compose.yml", 6, "error"), ("stack.env", 1, "warning"),
        ("svc/config.py", 10, "warning"), ("tool/setup.py", 17, "error"), ("tool/setup.py", 21, "warning")]
    assert "the stack's own `db` container" in report["findings"][0]["message"]
    # the stack's own database publishing its port on every interface: an error that says so
    assert "`store` container, which publishes its port on every interface" in report["findings"][1]["message"]
    # two URLs in one scalar: the published store's, then an outside host's, each reported on its own
    assert "`store` container" in report["findings"][2]["message"]
    assert "postgresql://report:****@reports.example.com" in report["findings"][3]["message"]
    # a settings default written on the line after its field, in a class based on BaseSettings through another
    assert "as the fallback default" in report["findings"][5]["message"]
    # in code, a URL for the compose stack's own unpublished database (a setup tool writing the stack's .env)
    assert "for the compose stack's own `db` container" in report["findings"][7]["message"]


def test_pc605_a_flask_app_is_not_judged_by_another_apps_routes() -> None:
    """gunicorn serves a Flask app (routes not modelled): its probe is not 'not served' because the
    repository's FastAPI app lacks the path; the FastAPI service's own wrong probe still is."""
    _, report = run_json(FIXTURES / "PC605-flask-app", "--select", "PC605")
    assert [(f["path"], f["severity"]) for f in report["findings"]] == [("k8s/api.yaml", "error")]


def test_pc304_settings_default_wildcard_with_credentials() -> None:
    """`allow_origins=settings.CORS_ORIGINS` (settings from an accessor whose return annotation names
    the class) with credentials, the field defaulting to ["*"]: reported at the default, a warning."""
    _, report = run_json(FIXTURES / "PC304-settings-default", "--select", "PC304")
    assert [(f["path"], f["line"], f["severity"]) for f in report["findings"]] == [("app/settings.py", 5, "warning")]


def test_pc703_a_global_tool_install_after_copy_is_not_the_dependency_install() -> None:
    """`npm install -g corepack@latest` after `COPY . .` installs a named tool; the dependencies were
    installed (from the manifest alone) in the deps stage."""
    assert _loud("PC703-global-tool", "PC703") == []


def test_pc205_a_committed_credential_file_without_a_secret_is_not_one() -> None:
    """`.npmrc` committed with settings and a `${NPM_TOKEN}` reference: what the repository already
    shows. One with a literal token, and a `.pypirc` the repository does not hold, still are."""
    assert _loud("PC205-committed-config", "PC205") == [
        ("PC205", "private/Dockerfile", 3, "error"), ("PC205", "private/Dockerfile", 3, "error")]


def test_pc203_from_an_arg_naming_an_earlier_stage_is_no_image() -> None:
    """`ARG TARGET=api` + `FROM ${TARGET}` picks an earlier stage: there is no tag to pin."""
    assert _loud("PC203-arg-stage", "PC203") == []


def test_pc705_pc706_migrations_checked_in_ci_are_no_deploy() -> None:
    """`alembic upgrade head` in a workflow run for pull requests only, or in a step named as a test
    of the migrations, runs against a CI database: no deploy without tests, no deploy permissions."""
    assert _loud("PC705-migration-checks", "PC705", "PC706") == []


def test_pc301_alembic_ini_overridden_or_local() -> None:
    """An alembic.ini URL that env.py replaces (set_main_option) is never used: info, wherever
    `script_location` puts env.py (a folder, `%(here)s/db/migrations`, a package `shop:migrations`
    under src/). A localhost URL the env.py does use is a developer's database, which production
    cannot reach: info too, and its message says so rather than that anyone with the repository has
    the database. The package's own env.py decides (`billing:migrations`, whose env.py reads the URL), not another."""
    _, report = run_json(FIXTURES / "PC301-alembic-ini", "--select", "PC301")
    assert sorted((f["path"], f["severity"]) for f in report["findings"]) == [
        ("alembic.ini", "info"), ("here/alembic.ini", "info"), ("pkg/alembic.ini", "info"),
        ("pkg2/alembic.ini", "error"), ("service/alembic.ini", "info")]
    local = next(f for f in report["findings"] if f["path"] == "service/alembic.ini")
    assert "production cannot reach" in local["message"] and "anyone with the repository" not in local["message"]


def test_a_module_importing_a_test_client_is_test_support() -> None:
    """app/db/mock_session.py imports fastapi.testclient: a test helper wherever it lives, so its
    SQLite engine is no production database; the app's own SQLite engine still is."""
    assert _loud("PC406-test-support", "PC406") == [("PC406", "app/db/session.py", 3, "warning")]


def test_pc501_in_memory_archives_and_callers_of_the_same_name() -> None:
    """`zipfile.ZipFile(io.BytesIO())` and `tarfile.open(fileobj=io.BytesIO(...))` do no file I/O; a method
    awaited from a method of the same name names the caller's class (not "`reset_password` awaited from
    `reset_password`")."""
    _, report = run_json(FIXTURES / "PC501-in-memory-and-callers", "--select", "PC501")
    found = {(f["path"], f["line"]): f["message"] for f in report["findings"]}
    assert sorted(found) == [("app/main.py", 25), ("app/services.py", 6)]
    assert "(awaited from `UserService.reset_password`)" in found[("app/services.py", 6)]


def test_pc402_gunicorn_workers_set_to_an_unresolved_value_is_not_one() -> None:
    """`workers = web_concurrency` computed from the CPU count in the gunicorn config: the count is not
    known, not gunicorn's default of 1; it grows with the host, counted as 4 cores + 1; the message
    says so and the confidence drops."""
    _, report = run_json(FIXTURES / "PC402-gunicorn-workers-unknown", "--select", "PC402")
    [finding] = report["findings"]
    assert ("5 workers (the gunicorn config grows `workers` with the CPU count; counted as 4 cores + 1) "
            "(gunicorn_conf.py:8)") in finding["message"]
    assert finding["confidence"] == "medium"


def test_pc403_short_lived_engines_are_not_pools_that_go_stale() -> None:
    """An engine a function makes, uses once and drops (a wait-for-db loop, a revision check) and Alembic's
    env.py outside an alembic/ folder keep no idle connections; the web pool, a factory's returned engine
    and one bound to a module global still do, and so does one a function stores on an attribute through
    the session factory it builds (app.state). Each engine is read in its own function when a module
    defines one name twice (in branches, or a project template's superset). A local engine whose session
    factory the function binds to a name it declares `global` or `nonlocal` outlives the call too: the
    declarations come from the parsed function, not from the file's text (which is not kept for Python)."""
    assert _loud("PC403-short-lived", "PC403") == [
        ("PC403", "app/db.py", 4, "warning"), ("PC403", "app/db.py", 11, "warning"),
        ("PC403", "app/db.py", 17, "warning"), ("PC403", "app/lifecycle.py", 10, "warning"),
        ("PC403", "app/sessions.py", 12, "warning"), ("PC403", "app/sessions.py", 22, "warning")]


def test_pc402_managed_plan_declared_in_app_json_is_the_limit() -> None:
    """app.json declares `heroku-postgresql:essential-0` (20 connections): 15 x 4 workers is over it,
    though under PostgreSQL's default of 100."""
    _, report = run_json(FIXTURES / "PC402-managed-plan", "--select", "PC402")
    [finding] = report["findings"]
    assert "= 60 > 20 max_connections (heroku plan `essential-0`) (app.json:4)" in finding["message"]
    assert "choose a plan with more connections" in finding["message"]


def test_pc501_set_up_that_runs_once_is_not_a_per_request_stall() -> None:
    """A helper that returns early once the state it sets is there (a logger's handlers, a global client, an
    instance attribute, also when a method the guarded one calls sets it and the guard compares it to the
    constant set), or a constant-argument `lru_cache` function, blocks on the first call only; a cache keyed
    by the request's value, a guard on state the helper never sets (or never sets to the value tested), the
    `else:` of a lazy set-up and an `lru_cache` function given the request's value still block on later calls."""
    assert _loud("PC501-set-up-once", "PC501") == [
        ("PC501", "app/main.py", 22, "error"), ("PC501", "app/main.py", 23, "warning"),
        ("PC501", "app/main.py", 24, "warning"), ("PC501", "app/main.py", 25, "warning"),
        ("PC501", "app/main.py", 26, "error")]


def test_pc501_start_up_work_through_a_helper_says_it_delays_start_up() -> None:
    """Blocking reached through a helper from a lifespan or startup handler is a warning that says what it costs
    (start-up, not a request: a `time.sleep`), and local file I/O reached so, before the server serves, is info that
    says why (no request is there to wait); the same helper from a route is the warning file I/O is, and says
    nothing of start-up."""
    _, report = run_json(FIXTURES / "PC501-start-up-helpers", "--select", "PC501")
    found = {f["line"]: f for f in report["findings"]}
    assert sorted(found) == [10, 19, 24]
    assert [found[line]["severity"] for line in (10, 19, 24)] == ["info", "warning", "warning"]
    assert "before the process serves" in found[10]["message"] and "start-up is done" in found[19]["message"]
    assert "start-up" not in found[24]["message"]
def test_pc501_a_branch_the_caller_s_constant_turns_off_is_not_reached() -> None:
    """What a helper does only under `if check:` / `if not enabled: return` / the `else:` of `if in_background:`
    / `if x is not None:` is not reached by a call that passes (or defaults) a constant turning it off,
    positionally or by keyword (a keyword-only parameter is not one of the `*args`); a value the request
    decides, a name, or the default that turns it on still reaches it. A cached read that refreshes through
    its own uncached read (`projects(allow_cache=True)` -> ... -> `projects(allow_cache=False)`) reaches it
    through the recursion. A part of a path's name is a string: its `replace` renames nothing. A branch switched
    off by hand (`if not self.store and False:`) never runs, whatever the call; `if not report or True:` always does.
    A parameter bound again only in a branch another parameter guards (`if frontend and not name: name = frontend`)
    still decides its own test for a call that turns that branch off too, and a parameter handed on unchanged to a
    helper that returns early without it (`lookup_user(user)`) carries the helper's test to the caller."""
    assert _loud("PC501-parameter-branches", "PC501") == [
        ("PC501", "app/main.py", 26, "warning"), ("PC501", "app/main.py", 27, "error"),
        ("PC501", "app/main.py", 28, "error"), ("PC501", "app/main.py", 29, "error"),
        ("PC501", "app/main.py", 30, "error"), ("PC501", "app/main.py", 31, "error"),
        ("PC501", "app/main.py", 32, "error"), ("PC501", "app/main.py", 33, "error"),
        ("PC501", "app/main.py", 34, "error")]


def test_pc501_a_helper_that_hands_the_session_back_queries_nothing() -> None:
    """`with reuse_or_open(db) as session:` with a helper that only tests the session and yields it back (or
    opens its own and queries nothing) is no query; a helper that hands the session on to one that queries is.
    A helper that only builds a project class around it (`return Repos(db)`) keeps it for later, like the class
    itself; one that also queries first does not."""
    assert _loud("PC501-session-handed-back", "PC501") == [("PC501", "app/main.py", 19, "error"),
                                                          ("PC501", "app/main.py", 25, "error")]


def test_pc301_database_on_the_ci_runner_is_not_a_production_credential() -> None:
    """A localhost URL in a workflow job that deploys nothing points at a database the runner started
    (a compose stack), gone with the run; a job that migrates production keeps its finding."""
    assert _loud("PC301-ci-runner", "PC301") == [("PC301", ".github/workflows/release.yml", 13, "error")]


def test_pc602_a_database_image_running_a_client_job_is_not_the_database() -> None:
    """`postgres` image with `command: sh -c "createdb ..."` is a one-shot client; options (`-c ...`) still
    start the server."""
    assert _loud("PC602-db-client-job", "PC602") == [("PC602", "docker-compose.yml", 19, "warning")]


def test_pc702_pip_upgrading_itself_is_not_the_dependency_cache() -> None:
    assert _loud("PC702-pip-self-upgrade", "PC702") == [("PC702", "Dockerfile", 6, "warning")]


def test_pc101_compose_with_merge_keys_elsewhere_is_reported() -> None:
    """A service merged from an anchor (`<<: *cache-node`) has keys with no position of their own; the
    fix locator must skip them, not stop the rule (it raised KeyError on a real repository)."""
    assert _loud("PC101-merge-keys", "PC101") == [("PC101", "docker-compose.yml", 9, "error")]


def test_pc403_sqlite_engine_named_by_an_f_string_has_nothing_to_pre_ping() -> None:
    """Nor has a BigQuery engine (an HTTP API per query) or a DuckDB one (in process): no server connection."""
    assert _loud("PC403-sqlite-fstring", "PC403") == [("PC403", "app/store.py", 17, "warning")]


def test_ci_stacks_rigs_and_heroku_images_are_placed_by_evidence() -> None:
    """Only what production runs is loud: a compose file under `.github/` and an `*integration*` compose file
    are the stacks CI brings up; a top-level `evals/` and a `packages/x-benchmark/` package are rigs, while an
    `evals/` sub-package of the application (`server/evals/`) stays production. The image pushed to Heroku's
    registry gets no PC601 (Heroku ignores HEALTHCHECK), and its `--target builder` cache build beside the
    whole build is not the stage that runs (no PC201 on the builder)."""
    assert _loud("context-ci-rigs-heroku") == [
        ("PC302", "server/evals/runner.py", 1, "warning"),
        ("PC701", "server/evals/requirements.txt", 1, "warning"),
    ]
    _, report = run_json(FIXTURES / "context-ci-rigs-heroku", "--select", "PC701")
    rigs = {f["path"] for f in report["findings"]} - {"server/evals/requirements.txt"}
    assert rigs == set()  # test context: not reported at all, whatever the severity


def test_the_ci_folder_is_test_but_workflows_keep_their_jobs_context() -> None:
    from prodcheck.discovery.context import explain_name
    from prodcheck.model.files import Context

    assert explain_name(".github/docker-compose.integration.yml")[0] == Context.TEST
    assert explain_name(".github/scripts/Dockerfile")[0] == Context.TEST
    assert explain_name(".circleci/config.yml")[0] == Context.TEST
    assert explain_name(".github/workflows/deploy.yml")[0] == Context.PROD
    assert explain_name("deploy/github/docker-compose.yml")[0] == Context.PROD


def test_pc501_async_session_given_to_a_session_helper_and_injected_callbacks() -> None:
    """An `AsyncSession` handed to helpers annotated `Session` waits on nothing; a callable injected with
    `Depends` and given the session is not known to query; a sync Session handed to the same helper is a
    stall. PBKDF2 with a literal 2048 iterations is a millisecond (PC503 quiet), with 600,000 a stall. A
    Popen waited in the same function is one stall, reported at the wait; one never waited (kept in a local
    or not), at the Popen."""
    assert _loud("PC501-async-session-and-callbacks", "PC501", "PC503") == [
        ("PC501", "app/backup.py", 11, "error"), ("PC501", "app/backup.py", 16, "error"),
        ("PC501", "app/backup.py", 21, "error"), ("PC501", "app/main.py", 31, "error"), ("PC503", "app/main.py", 49, "warning")]


def test_pc401_migration_under_an_advisory_lock_is_a_warning_that_says_so() -> None:
    """A lifespan migration run while holding a PostgreSQL advisory lock (taken by a helper context manager,
    or by `pg_advisory_xact_lock` in the function that migrates) does not race: a warning naming the lock,
    not the error that says every worker migrates concurrently; an unlocked `create_all` stays an error."""
    _, report = run_json(FIXTURES / "PC401-advisory-lock", "--select", "PC401")
    found = {(f["line"], f["severity"]): f["message"] for f in report["findings"]}
    assert sorted(found) == [(10, "warning"), (11, "warning"), (12, "error")]
    assert "advisory lock (`advisory_lock_ctx()`)" in found[(10, "warning")]
    assert "advisory lock (`pg_advisory_xact_lock`)" in found[(11, "warning")]
    assert "concurrently" not in found[(10, "warning")] and "concurrently" in found[(12, "error")]


def test_pc601_an_image_nothing_in_the_repository_runs_is_advice() -> None:
    """A Dockerfile no compose service, workload, platform file or Procfile runs (here a base image a workflow
    publishes for others to build on, its command inherited from its own base) gets PC601 as info: whether
    anything reads a HEALTHCHECK depends on an orchestrator the repository does not show."""
    _, report = run_json(FIXTURES / "PC601-base-image", "--select", "PC601")
    assert [(f["path"], f["line"], f["severity"]) for f in report["findings"]] == [
        ("docker-images/python3.12.dockerfile", 1, "info")]
    assert "nothing in the repository shows what runs it" in report["findings"][0]["message"]


def test_a_workload_whose_chart_name_is_unknown_is_named_by_its_template() -> None:
    """PC603/PC606/PC604 messages name a workload; when the chart computes its name from values we could not
    read, they name the template that defines it, not the renderer's placeholder or its virtual path."""
    from prodcheck.discovery.sources import SourceFile
    from prodcheck.model.facts import Fact
    from prodcheck.model.files import Context
    from prodcheck.model.finding import Location, Span
    from prodcheck.project.helm_values import PLACEHOLDER
    from prodcheck.project.infra import Workload

    def workload(path: str, name: str) -> Workload:
        return Workload(SourceFile(path, "k8s", Context.PROD), "Deployment", name, None, None, [], [],  # type: ignore[arg-type]
                        Fact(1, Location(path, Span(1, 1, 1, 1))))

    assert workload("chart/templates/deployment.yaml@rendered", PLACEHOLDER).label == \
        "the Deployment of `chart/templates/deployment.yaml`"
    assert workload("k8s/api.yaml", "api").label == "Deployment `api`"


def test_pc606_infrastructure_tools_beside_the_app_are_not_the_app() -> None:
    """Certbot's renewal loop and Grafana's Alloy collector in a production compose file are third-party
    images (knowledge/images.toml), sized by their own configuration like the databases: only the service
    built from the project's Dockerfile needs the project's memory limit. A Certbot service left to the image's
    own command (which obtains or renews certificates and exits) is run on demand: no restart policy either.
    Temporal's web UI image (`temporalio/ui`, known by namespace and name) is a third-party tool; another
    image whose own name is `ui` is not."""
    assert _loud("PC606-infra-tools", "PC606", "PC607") == [("PC606", "docker-compose.yml", 2, "warning"),
                                                            ("PC606", "docker-compose.yml", 21, "warning")]


def test_compose_files_that_say_what_they_are() -> None:
    """A compose project `name:` that says example, a service running an image tagged `:local` it does not build,
    an overlay whose usage comment layers it onto the development file: out of production. The overlay layered onto
    the production file, and a `:dev` tag on an image the file builds itself, stay. A service a mirror variant
    redefines is reported once, on the base file docker-compose.yml."""
    assert _loud("context-compose-self-described") == [
        ("PC202", "docker-compose.gpu.yml", 5, "error"),
        ("PC202", "docker/docker-compose.release.yml", 7, "error"),
        ("PC606", "docker-compose.yml", 3, "warning"),
        ("PC606", "docker/docker-compose.release.yml", 3, "warning"),
        ("PC607", "docker/docker-compose.release.yml", 3, "warning"),
    ]
    _, report = run_json(FIXTURES / "context-compose-self-described")
    reasons = {f["path"]: f["context_reason"] for f in report["findings"] if f["severity"] == "info"}
    assert "compose project name `shop-auth-example`" in reasons["docker/docker-compose-with-auth.yml"]
    assert "`example/shop:local`" in reasons["docker/docker-compose.startup-check.yml"]
    assert "overlay" in reasons["docker-compose.sandbox.yml"] and "docker-compose.dev.yml" in reasons["docker-compose.sandbox.yml"]


def test_requirements_no_image_installs_are_not_what_production_installs() -> None:
    """A dataset script's and a notebook's requirements, which no Dockerfile copies or installs while the images
    install others, are not reported; what the images install is: copied by name, through a build argument's default
    (`ARG APP_PATH="${COMPONENT}"`), inside a copied folder (`COPY ./services/bot /srv` then `pip install -r`), or
    included by an installed file (`-r requirements-common.txt`)."""
    assert _loud("context-installed-requirements", "PC701") == [
        ("PC701", "requirements-common.txt", 1, "warning"),
        ("PC701", "requirements.txt", 3, "warning"),
        ("PC701", "services/bot/requirements.txt", 1, "warning"),
        ("PC701", "worker/requirements.txt", 1, "warning"),
    ]
    # a Dockerfile copying `./${APP_PATH}/requirements.txt` with no default for APP_PATH: nothing is concluded
    assert [p for _, p, _, _ in _loud("context-installed-requirements-unresolved", "PC701")] == [
        "data/prep/requirements.txt", "svc/requirements.txt"]


def test_images_tagged_for_tests_are_not_production_builds() -> None:
    """A CI job that builds the dev container as `...:integration-test-devcontainer-<run>` and a runner image as
    `shop-runner:ci` builds what the tests run in, not what production pulls: neither build places its Dockerfile
    in production (the dev container keeps its folder's context, the runner is ambiguous beside the released
    image). The image pushed under a release tag stays production."""
    assert _loud("context-test-tagged-images", "PC201") == [("PC201", "Dockerfile", 1, "warning")]


def test_pc302_names_the_datastore_the_password_opens() -> None:
    """A compose file with an unpublished PostgreSQL and a published Redis: the database password is a
    warning saying the database is reachable only from the stack, the Redis password an error naming the
    Redis service (not the last published datastore of the file for every password)."""
    _, report = run_json(FIXTURES / "PC302-publishing-store", "--select", "PC302")
    found = {f["line"]: (f["severity"], f["message"]) for f in report["findings"]}
    assert sorted(found) == [6, 7, 11]
    assert found[6][0] == "warning" and "only from the stack's own containers" in found[6][1]
    assert found[7][0] == "error" and "`cache` publishes its port" in found[7][1]
    assert found[11][0] == "warning" and "`cache`" not in found[11][1]


def test_aliases_that_point_at_each_other_end() -> None:
    """`_orig = sdk.connect` then `sdk.connect = _orig` (a library function patched while the routes
    import, then put back) makes two names each other's value: following them must end, not recurse
    until Python gives up (it did when two repositories were audited at once, their common parent
    modelled as one project)."""
    from prodcheck import engine
    from prodcheck.project import Project
    from prodcheck.settings import Settings

    root = FIXTURES / "model-patched-and-restored"
    settings = Settings().with_overrides(use_cache=False)
    files = engine.discover(root, settings)
    project = Project(root, files, engine.parse_python(root, files, settings), settings)
    assert project.python.function("billing_sdk.session.connect") is None
    assert project.python.app_object("billing_sdk.session.connect") is None
    assert project.python.function("app.compat.open_billing") is not None
    assert engine.run(root, settings).internal_errors == []


def test_pc302_placeholder_signing_key_default_nothing_refuses() -> None:
    """A placeholder default (`change-me-...`) of a key the application signs with, in a model nested in
    the settings (read from `AUTH__JWT_SECRET_KEY`), is what production signs with when the variable is
    unset: a warning. Not a placeholder the code refuses (compared by name, through a named constant, or in
    the field's own validator), an API key for another service, a datastore's password, or a `ClassVar`
    constant (no field)."""
    _, report = run_json(FIXTURES / "PC302-placeholder-defaults", "--select", "PC302")
    assert [(f["path"], f["line"], f["severity"]) for f in report["findings"]] == [("app/config.py", 10, "warning")]
    assert "placeholder" in report["findings"][0]["message"] and "refuse" in report["findings"][0]["message"]


def test_pc303_plain_default_passwords_are_a_warning(tmp_path: Path) -> None:
    """A committed env file whose only secrets are plain words (`POSTGRES_PASSWORD=postgres`, a compose
    stack's defaults) leaks no generated key: a warning that says a deployment using the file runs with
    known passwords. A generated signing key committed is an error. Copied outside the git checkout,
    where every env file counts (PC303 asks git what it tracks)."""
    import shutil

    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "PC303-plain-passwords", root)
    _, report = run_json(root, "--select", "PC303")
    found = {f["path"]: (f["severity"], f["message"]) for f in report["findings"]}
    assert sorted(found) == ["exposed/queue.env", "service/.env", "stack/postgres.env"]
    assert found["service/.env"][0] == "error"
    # The datastore the passwords open decides what the message says: the stack's own, unpublished
    # database, or a service that publishes its port on every interface of the host.
    assert found["stack/postgres.env"][0] == "warning" and "plain-word password" in found["stack/postgres.env"][1]
    assert "`db`, which publishes no port outside the host" in found["stack/postgres.env"][1]
    assert found["exposed/queue.env"][0] == "warning"
    assert "`queue`, which publishes its port on every interface" in found["exposed/queue.env"][1]


def test_pc606_pc603_chart_defaults_say_the_default_is_the_fix() -> None:
    """A chart whose values.yaml leaves `resources: {}` empty and its probes off (`readinessProbe: false`): a warning
    on that default, saying every install with the defaults goes without and to set the default there. The same
    chart deployed by this repository with a production values file that sets neither: the plain warning."""
    _, report = run_json(FIXTURES / "PC606-chart-defaults", "--select", "PC606", "--select", "PC603")
    found = {(f["code"], f["path"], f["line"]): f for f in report["findings"]}
    assert {key: f["severity"] for key, f in found.items()} == {
        ("PC603", "charts/ledger/values.yaml", 6): "warning",
        ("PC606", "charts/ledger/values.yaml", 11): "warning",
        ("PC603", "charts/billing/values.yaml", 6): "warning",
        ("PC606", "charts/billing/values.yaml", 11): "warning",
    }
    assert "default `limits.memory` here" in found[("PC606", "charts/ledger/values.yaml", 11)]["message"]
    assert "by default" not in found[("PC606", "charts/billing/values.yaml", 11)]["message"]
    assert "turn them on by default here" in found[("PC603", "charts/ledger/values.yaml", 6)]["message"]


def test_pc705_names_the_test_workflow_of_what_the_job_ships() -> None:
    """Tests in other workflows: the message names the one that tests the folder the deploy job works in
    (`working-directory: client/python` -> the workflow that runs in `client/`), else one that runs on every
    push (no `paths:` filter), never a workflow filtered to an unrelated folder."""
    _, report = run_json(FIXTURES / "PC705-related-tests", "--select", "PC705")
    named = {f["path"]: f["message"] for f in report["findings"]}
    assert set(named) == {".github/workflows/release-client.yml", ".github/workflows/release-api.yml"}
    assert "`.github/workflows/client-tests.yml`" in named[".github/workflows/release-client.yml"]
    assert "`.github/workflows/b-api-tests.yml`" in named[".github/workflows/release-api.yml"]


def test_pc401_compose_start_command_harm_fits_the_replicas() -> None:
    """A compose service with one replica has no replica to race until it is scaled; one with `replicas: 3` does."""
    _, report = run_json(FIXTURES / "PC401-compose-replicas", "--select", "PC401")
    messages = {f["path"]: f["message"] for f in report["findings"] if f["severity"] == "error"}
    assert "once the service is scaled" in messages["single/docker-compose.yml"]
    assert "every replica and restart migrates, racing" in messages["scaled/docker-compose.yml"]


def test_pc405_not_null_on_a_column_the_same_upgrade_adds() -> None:
    """NOT NULL on a column added (and backfilled) in the same `upgrade()`: the harm is the running release's inserts,
    not NULL rows the migration would trip on; an existing column keeps the backfill-first advice."""
    _, report = run_json(FIXTURES / "PC405-added-then-constrained", "--select", "PC405")
    messages = {f["line"]: f["message"] for f in report["findings"]}
    assert set(messages) == {16, 18}
    assert "on the column this `upgrade()` adds" in messages[16] and "fails if any row" not in messages[16]
    assert "fails if any row is NULL" in messages[18]


def test_pc701_package_the_image_installs_from_the_index() -> None:
    """A pyproject whose package the image installs by name from the index (`pip install "ledger-server[postgres]==
    ${VERSION}"`, the name normalised as the index does): the ranges are re-resolved at each image build; the advice is
    a lock for the image, not a lock file the install never reads."""
    _, report = run_json(FIXTURES / "PC701-installed-from-index", "--select", "PC701")
    [finding] = report["findings"]
    assert finding["severity"] == "warning" and "`docker/Dockerfile` installs" in finding["message"]
    assert "from the package index" in finding["message"] and "has no lock file" not in finding["message"]


def test_pc403_engine_in_a_development_branch() -> None:
    """`if settings.ENVIRONMENT == "development": return create_async_engine(...)`: a developer's engine; the
    production branch beside it is reported."""
    assert _loud("PC403-dev-branch", "PC403") == [("PC403", "app/db.py", 11, "warning")]


def test_pc704_own_action_on_a_branch_is_info() -> None:
    """`owner/repo/.github/actions/setup@main` where this repository holds `.github/actions/setup/action.yml`: its own
    action, told to use the local path; another repository's action on a branch stays a warning."""
    _, report = run_json(FIXTURES / "PC704-own-action", "--select", "PC704")
    found = {f["line"]: (f["severity"], f["message"]) for f in report["findings"]}
    assert set(found) == {13, 15}
    assert found[13][0] == "info" and "`./.github/actions/setup`" in found[13][1]
    assert found[15][0] == "warning"


def test_a_byte_identical_copy_reports_its_findings_once() -> None:
    """An installer's embedded copy of the deploy compose file (onyx): each finding once, on the shallower
    copy, naming the other; a near copy (one line differs) is a file of its own."""
    _, report = run_json(FIXTURES / "context-byte-identical-copies", "--select", "PC203")
    found = sorted((f["path"], f["line"], tuple(r["path"] for r in f["related"])) for f in report["findings"])
    assert found == [
        ("deployment/compose/docker-compose.yml", 12, ("installer/embedded/compose/docker-compose.yml",)),
        ("installer/docker-compose.yml", 12, ()),
    ]


def test_an_image_whose_header_says_it_is_never_deployed_is_development() -> None:
    """LAION's docker/Dockerfile.model-training opens with "will not be deployed on production machines": the
    header is the maintainers' word, like a README's. A header that only mentions production is not."""
    _, report = run_json(FIXTURES / "context-self-described-images", "--select", "PC201", "--select", "PC702")
    placed = {(f["code"], f["path"]): (f["severity"], f["context"]) for f in report["findings"]}
    assert placed[("PC201", "docker/Dockerfile.training")] == ("info", "dev")
    assert not [f for f in report["findings"] if f["path"] == "docker/Dockerfile.training" and f["severity"] != "info"]
    for path in ("docker/Dockerfile.api", "docker/Dockerfile.notes"):
        assert placed[("PC201", path)] == ("warning", "prod")
        assert placed[("PC702", path)] == ("warning", "prod")


def test_a_sandbox_inside_the_application_packages_is_production() -> None:
    """`sandbox`/`playground` name a developer's scratch folder only outside the application's packages: a
    code-execution sandbox of an agent platform (a namespace package under `app/`, a package of its own
    beside it) is what production runs (tracecat, onyx, letta)."""
    _, report = run_json(FIXTURES / "context-scratch-folders", "--select", "PC301", "--select", "PC201")
    placed = {f["path"]: (f["severity"], f["context"]) for f in report["findings"]}
    assert placed == {
        "app/features/craft/sandbox/runner.py": ("error", "prod"),
        "worker/sandbox/executor.py": ("error", "prod"),
        "sandbox/try_queries.py": ("info", "dev"),
        "playground/Dockerfile": ("info", "dev"),
    }


def test_a_top_level_folder_whose_readme_calls_it_an_example_is_development() -> None:
    """gpt-researcher's deep_agents/README.md opens with "This example uses ...": its unpinned requirements are
    the example's. A README that only mentions an example, or a folder a deploy path builds, stays production."""
    assert _loud("context-example-folders", "PC701", "PC203") == [
        ("PC203", "shop/Dockerfile", 1, "warning"),
        ("PC701", "worker/requirements.txt", 1, "warning"),
    ]


def test_pc201_an_entrypoint_copied_under_another_name_is_read() -> None:
    """`COPY ./deploy/boot.sh $SERVICE_HOME/start.sh` + `ENTRYPOINT ["/srv/start.sh"]`: the script the
    image runs is deploy/boot.sh, whose `gosu` switch the finding names (no bare "runs as root")."""
    _, report = run_json(FIXTURES / "PC201-renamed-entrypoint", "--select", "PC201")
    assert [(f["path"], f["line"], f["severity"]) for f in report["findings"]] == [("Dockerfile", 1, "warning")]
    assert "switches user (`gosu`)" in report["findings"][0]["message"]


def test_pc302_a_charts_plain_default_in_a_rendered_secret_is_a_warning() -> None:
    """A chart's Secret rendered from default values: a plain-word password (`postgres`) is a default every
    install that keeps it shares, a warning pointing at the chart; a generated key stays an error."""
    _, report = run_json(FIXTURES / "PC302-chart-secret", "--select", "PC302")
    found = {(f["path"], f["line"]): f for f in report["findings"]}
    assert {key: f["severity"] for key, f in found.items()} == {
        ("chart/values.yaml", 4): "warning", ("chart/values.yaml", 7): "error"}
    assert "every install that keeps the defaults" in found[("chart/values.yaml", 4)]["message"]


def test_pc501_routes_of_a_router_no_app_includes_answer_no_request() -> None:
    """`from app.api import orders, sms` with only `orders.router` included: `sms`'s routes are never served.
    Routers included through a loop may each be served, so both are reported there."""
    assert _loud("PC501-unmounted-router", "PC501") == [("PC501", "app/api/orders.py", 9, "error")]
    assert _loud("PC501-routers-in-a-list", "PC501") == [
        ("PC501", "app/api/orders.py", 9, "error"), ("PC501", "app/api/sms.py", 9, "error")]


def test_pc501_a_router_served_under_another_name_or_copied_into_another_is_served() -> None:
    """`orders_router = r = APIRouter()` included as `orders_router`; `api.routes.extend(sms_router.routes)` in a
    router the app includes: both routers' routes answer requests."""
    assert _loud("PC501-routers-handed-on", "PC501") == [
        ("PC501", "app/api/orders.py", 10, "error"), ("PC501", "app/api/sms.py", 9, "error")]


def test_pc501_a_package_named_like_the_library_it_wraps_does_not_hide_the_library() -> None:
    """`from cloudinary import api, uploader` inside `app/services/cloudinary/service.py` imports the SDK (absolute
    imports name top-level packages): the modules kept on `self` are the SDK's, and their calls block."""
    assert _loud("PC501-package-named-like-library", "PC501") == [
        ("PC501", "app/main.py", 11, "error"), ("PC501", "app/main.py", 16, "error")]


def test_pc501_a_helper_that_only_stages_rows_on_the_session_sends_nothing() -> None:
    """`stage_draft(db, draft)` only calls `db.add`: nothing reaches the database until a commit; `save_draft`
    commits, and is reported."""
    assert _loud("PC501-session-add-only", "PC501") == [("PC501", "app/main.py", 39, "error")]


def test_pc302_a_pusher_protocol_app_key_is_public_its_secret_is_not() -> None:
    """Pusher, Soketi and Laravel Reverb identify the app to browsers by its app key (public by design) and sign
    with the app secret (keep's compose files and UI image set `PUSHER_APP_KEY`/`SOKETI_DEFAULT_APP_KEY` beside
    `..._APP_SECRET`): only the secrets are findings, in compose (PC302) and in an image's `ENV` (PC205)."""
    assert _loud("PC302-pusher-app-keys", "PC302", "PC205") == [
        ("PC205", "ui/Dockerfile", 3, "error"),
        ("PC302", "docker-compose.yml", 13, "error"),
        ("PC302", "docker-compose.yml", 19, "error"),
    ]


def test_pc205_a_build_argument_in_the_environment_of_a_stage_whose_files_alone_ship() -> None:
    """prefect's Dockerfile copies `VITE_AMPLITUDE_API_KEY` into the environment of its `ui-v2-builder` stage, whose
    built files a later stage copies: the image never has that environment. A stage the image is built `FROM`, or
    one a deploy path builds with `--target`, is shipped: its copy stays a finding."""
    assert _loud("PC205-build-stage-env", "PC205") == [
        ("PC205", "Dockerfile", 9, "error"),
        ("PC205", "worker/Dockerfile", 3, "error"),
    ]


def test_a_compose_file_in_a_python_package_that_builds_nothing_is_development() -> None:
    """keep keeps a docker-compose.yml beside several provider modules (`keep/providers/grafana_provider/`: a
    Grafana, a Prometheus, node exporters to try the provider against): a package's folder is no deployment, and
    the file builds nothing of the project. A compose file there that builds the package's image, or one at the
    root, stays production."""
    _, report = run_json(FIXTURES / "context-compose-in-package", "--select", "PC302", "--select", "PC203")
    placed = {(f["code"], f["path"]): (f["severity"], f["context"]) for f in report["findings"]}
    assert placed == {
        ("PC203", "app/integrations/metrics/docker-compose.yml"): ("info", "dev"),
        ("PC302", "app/worker/docker-compose.yml"): ("error", "prod"),
        ("PC302", "docker-compose.yml"): ("error", "prod"),
    }
    reason = next(f["context_reason"] for f in report["findings"] if f["path"].startswith("app/integrations/"))
    assert "sits in the Python package `app/integrations/metrics/` and builds nothing" in reason
