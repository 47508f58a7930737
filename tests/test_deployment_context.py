"""Which files production runs: context from the deployment model (SPEC section 4), through the CLI."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import run_json

from prodcheck.cli import main

APP = {"app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n"}
ROOT_IMAGE = """
    FROM python:3.12-slim
    WORKDIR /app
    COPY . .
    CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0"]
"""
DEPLOY_WORKFLOW = """
    on: {push: {branches: [main]}}
    jobs:
      deploy:
        runs-on: ubuntu-latest
        environment: production
        steps:
          - uses: actions/checkout@v4
          - run: docker build -f project/Dockerfile.prod -t registry.example/app project
          - run: docker push registry.example/app
"""


def _by(findings: list[dict], code: str, path: str) -> list[dict]:
    return [f for f in findings if f["code"] == code and f["path"] == path]


def test_workflow_build_places_the_prod_dockerfile_and_its_plain_sibling_is_dev(project) -> None:
    root = project({**{f"project/{k}": v for k, v in APP.items()},
                    "project/Dockerfile": ROOT_IMAGE, "project/Dockerfile.prod": ROOT_IMAGE,
                    ".github/workflows/main.yml": DEPLOY_WORKFLOW})
    _, report = run_json(root)
    prod = _by(report["findings"], "PC201", "project/Dockerfile.prod")
    dev = _by(report["findings"], "PC201", "project/Dockerfile")
    assert prod and prod[0]["context"] == "prod" and prod[0]["severity"] == "warning"
    assert "docker build" in prod[0]["context_reason"] and ".github/workflows/main.yml" in prod[0]["context_reason"]
    assert dev and dev[0]["context"] == "dev" and dev[0]["severity"] == "info"
    assert "Dockerfile.prod" in dev[0]["context_reason"]


def test_compose_with_source_bind_mount_and_dev_database_is_development(project) -> None:
    root = project({**APP, "Dockerfile": ROOT_IMAGE, "docker-compose.yml": """
        services:
          web:
            build: .
            command: uvicorn app.main:app --reload --host 0.0.0.0
            volumes:
              - .:/app
            environment:
              - DATABASE_URL=postgresql://postgres:postgres@db:5432/web_dev
          db:
            image: postgres:16
    """})
    _, report = run_json(root)
    reload = _by(report["findings"], "PC101", "docker-compose.yml")
    assert reload and all(f["context"] == "dev" and f["severity"] == "info" for f in reload)
    assert "bind-mounts the source" in reload[0]["context_reason"]
    # the project's only image runs on its own: production, whatever the compose file does with it
    root_user = _by(report["findings"], "PC201", "Dockerfile")
    assert root_user and root_user[0]["context"] == "prod" and "only image" in root_user[0]["context_reason"]


def test_image_without_a_command_built_only_by_a_development_compose_file_is_development(project) -> None:
    root = project({**APP, "Dockerfile": "FROM python:3.12\nWORKDIR /app\nCOPY . .\n", "docker-compose.yml": """
        services:
          web:
            build: .
            command: uvicorn app.main:app --reload --host 0.0.0.0
            volumes:
              - ./app:/app/app
    """})
    _, report = run_json(root)
    root_user = _by(report["findings"], "PC201", "Dockerfile")
    assert root_user and root_user[0]["context"] == "dev" and "built only by docker-compose.yml" in root_user[0]["context_reason"]


def test_a_link_to_the_production_dockerfile_is_production(project) -> None:
    root = project({**APP, "docker/Dockerfile": ROOT_IMAGE, "Dockerfile": ROOT_IMAGE, ".github/workflows/p.yml": """
        on: {push: {branches: [main]}}
        jobs:
          publish:
            runs-on: ubuntu-latest
            steps:
              - uses: docker/build-push-action@v6
                with: {context: ., push: true}
    """})
    _, report = run_json(root)
    # placed in production like the file it copies, so its finding is reported once, on the original
    assert not _by(report["findings"], "PC201", "docker/Dockerfile")
    original = _by(report["findings"], "PC201", "Dockerfile")
    assert original and original[0]["severity"] == "warning"
    assert [r["path"] for r in original[0]["related"]] == ["docker/Dockerfile"]


def test_reload_without_a_source_mount_stays_production(project) -> None:
    """--reload alone is the production bug PC101 exists for, not a mark of local use."""
    root = project({**APP, "Dockerfile": ROOT_IMAGE, "docker-compose.yml": """
        services:
          web:
            build: .
            command: uvicorn app.main:app --reload --host 0.0.0.0
    """})
    _, report = run_json(root)
    reload = _by(report["findings"], "PC101", "docker-compose.yml")
    assert reload and reload[0]["context"] == "prod" and reload[0]["severity"] == "error"


def test_compose_of_local_infrastructure_only_is_development(project) -> None:
    root = project({**APP, "Dockerfile": ROOT_IMAGE, "docker-compose.yml": """
        services:
          postgres:
            image: postgres:16
            environment:
              POSTGRES_PASSWORD: postgres
            ports:
              - "5432:5432"
          redis:
            image: redis
    """})
    _, report = run_json(root)
    published = [f for f in report["findings"] if f["path"] == "docker-compose.yml"]
    assert all(f["severity"] == "info" and f["context"] == "dev" for f in published)
    assert published and "only local infrastructure" in published[0]["context_reason"]


def test_deploy_job_compose_files_are_production_and_unplaced_compose_is_ambiguous(project) -> None:
    root = project({**APP, "Dockerfile": ROOT_IMAGE,
                    "compose.yml": "services:\n  web:\n    build: .\n",
                    "monitoring/compose.yml": "services:\n  agent:\n    image: example/agent:1.0\n    privileged: true\n",
                    ".github/workflows/deploy.yml": """
                        on: {push: {branches: [main]}}
                        jobs:
                          deploy:
                            runs-on: ubuntu-latest
                            environment: production
                            steps:
                              - run: docker compose -f compose.yml up -d
                    """})
    _, report = run_json(root)
    root_user = _by(report["findings"], "PC201", "Dockerfile")
    assert root_user and root_user[0]["context"] == "prod"
    assert "service `web` of compose.yml" in root_user[0]["context_reason"]
    privileged = _by(report["findings"], "PC202", "monitoring/compose.yml")
    assert privileged and privileged[0]["context"] == "ambiguous" and privileged[0]["severity"] != "error"


def test_folder_words_from_the_knowledge_layer(project) -> None:
    root = project({**APP, "Dockerfile": ROOT_IMAGE,
                    "docker/regtest/docker-compose.yml": "services:\n  node:\n    image: example/node:latest\n    user: root\n"})
    _, report = run_json(root)
    found = _by(report["findings"], "PC201", "docker/regtest/docker-compose.yml")
    assert found and found[0]["context"] == "test" and found[0]["severity"] == "info"
    assert "docker/regtest/" in found[0]["context_reason"]


def test_sample_repository_readme(project) -> None:
    root = project({**APP, "Dockerfile": ROOT_IMAGE,
                    "README.md": "# Samples\n\nThese samples must not be deployed in production environments.\n"})
    _, report = run_json(root)
    found = _by(report["findings"], "PC201", "Dockerfile")
    assert found and found[0]["context"] == "dev" and "README" in found[0]["context_reason"]


def test_configured_globs_override_the_model(project) -> None:
    root = project({**APP, "Dockerfile": ROOT_IMAGE, "prodcheck.toml": 'production = ["docker-compose.yml"]\n',
                    "docker-compose.yml": "services:\n  web:\n    build: .\n    command: uvicorn app.main:app --reload\n"
                                          "    volumes:\n      - .:/app\n"})
    _, report = run_json(root)
    reload = _by(report["findings"], "PC101", "docker-compose.yml")
    assert reload and reload[0]["context"] == "prod" and "configured" in reload[0]["context_reason"]


def test_settings_class_for_tests_is_test_context(project) -> None:
    root = project({**APP, "app/config.py": """
        from pydantic_settings import BaseSettings

        class Config(BaseSettings):
            DB_URL: str = "postgresql://app:s3cretpw@db.internal:5432/app"

        class TestConfig(Config):
            DB_URL: str = "postgresql://app:s3cretpw@localhost:5432/app_test"
    """})
    _, report = run_json(root)
    urls = {f["line"]: f for f in _by(report["findings"], "PC301", "app/config.py")}
    assert urls[4]["context"] == "prod"
    assert urls[7]["context"] == "test" and urls[7]["severity"] == "info" and "TestConfig" in urls[7]["context_reason"]


def test_lambda_and_build_only_images_are_not_services(project) -> None:
    root = project({**APP,
                    "lambda/Dockerfile": 'FROM public.ecr.aws/lambda/python:3.12\nCOPY app ./\nCMD ["app.handler"]\n',
                    "layer/Dockerfile": "FROM python:3.12\nRUN pip install -t /opt/python requests\n"
                                        "CMD cp -r /opt/python /out\n"})
    _, report = run_json(root)
    assert not [f for f in report["findings"] if f["path"] in {"lambda/Dockerfile", "layer/Dockerfile"}
                and f["code"] in {"PC201", "PC104", "PC601"}]


def test_deploy_target_stage_is_checked_not_only_the_last(project) -> None:
    root = project({**APP, "server/Dockerfile": """
        FROM python:3.12-slim AS production
        CMD ["uvicorn", "app.main:app"]

        FROM public.ecr.aws/lambda/python:3.12 AS lambda
        CMD ["app.handler"]
    """, ".github/workflows/deploy.yml": """
        on: {push: {branches: [main]}}
        jobs:
          deploy:
            runs-on: ubuntu-latest
            steps:
              - uses: docker/build-push-action@v6
                with:
                  context: ./server
                  target: production
                  push: true
    """})
    _, report = run_json(root)
    found = _by(report["findings"], "PC201", "server/Dockerfile")
    assert [f["line"] for f in found] == [1]


def test_systemd_and_supervisord_units_are_processes(project) -> None:
    root = project({**APP,
                    "deploy/api.service": "[Service]\nUser=app\nExecStart=/opt/venv/bin/uvicorn app.main:app --reload\n",
                    "deploy/supervisord.conf": "[program:web]\ncommand=uvicorn app.main:app --reload --port 80\n"})
    _, report = run_json(root)
    assert _by(report["findings"], "PC101", "deploy/api.service")
    assert _by(report["findings"], "PC101", "deploy/supervisord.conf")


def test_jinja_template_is_read_as_its_branches_or_skipped_with_an_info(project) -> None:
    root = project({**APP, "template/{{cookiecutter.slug}}/x.py": "x = 1\n",
                    "generator/template/client.py": "from fastapi import FastAPI\napp = FastAPI(title='x')\n"
                                                    "{% if auth %}\nimport jwt\n{% endif %}\n",
                    "generator/template/broken.py": "from fastapi import FastAPI\ntotal = {% if a %}1{% endif %} +\n"})
    _, report = run_json(root)
    assert not _by(report["findings"], "PC000", "generator/template/client.py")  # whole-line blocks: read
    parse = _by(report["findings"], "PC000", "generator/template/broken.py")
    assert parse and parse[0]["severity"] == "info"


def test_explain_context_in_text(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(ROOT_IMAGE.replace("\n    ", "\n").lstrip())
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--no-cache", "--explain-context"])
    assert "context prod: " in result.stdout


def test_template_project_is_read_as_the_project_it_generates(project) -> None:
    """A cookiecutter folder is its own project: the repository's own images do not make it ambiguous,
    and the stage named for production is checked even when its compose file builds the dev stage."""
    image = "FROM python:3.12-slim AS prod\nCMD [\"python\", \"-m\", \"app\"]\n\nFROM prod AS dev\nRUN pip install pytest\n"
    root = project({**APP, "Dockerfile": "FROM python:3.12\nUSER app\nCMD [\"python\", \"-m\", \"generator\"]\n",
                    ".github/workflows/release.yml": """
                        on: {push: {tags: ["v*"]}}
                        jobs:
                          release:
                            runs-on: ubuntu-latest
                            steps:
                              - run: docker build -t generator . && docker push generator
                    """,
                    "template/{{cookiecutter.name}}/Dockerfile": image,
                    "template/{{cookiecutter.name}}/docker-compose.yml":
                        "services:\n  api:\n    build:\n      context: .\n      target: dev\n"
                        "    volumes:\n      - .:/app\n"})
    _, report = run_json(root)
    found = _by(report["findings"], "PC201", "template/{{cookiecutter.name}}/Dockerfile")
    assert [f["line"] for f in found] == [1] and found[0]["context"] == "prod" and found[0]["severity"] == "warning"


def test_compose_file_beside_its_production_variant_stays_production(project) -> None:
    """A default configuration beside a hardened `.prod` one may run in production too (onyx)."""
    service = "services:\n  api:\n    image: registry.example.com/api:1.0\n    user: root\n"
    root = project({**APP, "docker-compose.yml": service, "docker-compose.prod.yml": "# hardened\n" + service})
    _, report = run_json(root)
    base = _by(report["findings"], "PC201", "docker-compose.yml")
    prod = _by(report["findings"], "PC201", "docker-compose.prod.yml")
    assert prod and prod[0]["context"] == "prod" and prod[0]["severity"] == "error"
    assert base and base[0]["context"] == "prod" and base[0]["severity"] == "error"


def test_a_dev_target_built_by_the_deploy_workflow_is_not_the_serving_stage(project) -> None:
    root = project({**APP, "Dockerfile": "FROM python:3.12 AS runtime\nUSER app\nCMD [\"uvicorn\", \"app.main:app\"]\n"
                                         "\nFROM runtime AS dev\nUSER root\nRUN pip install debugpy\n",
                    ".github/workflows/deploy.yml": """
                        on: {push: {branches: [main]}}
                        jobs:
                          publish:
                            runs-on: ubuntu-latest
                            steps:
                              - run: docker build --target runtime -t api . && docker push api
                              - run: docker build --target dev -t api:dev . && docker push api:dev
                    """})
    _, report = run_json(root)
    assert not _by(report["findings"], "PC201", "Dockerfile")


def test_summary_says_charts_were_read_without_rendering(project) -> None:
    root = project({**APP, "charts/api/Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.1.0\n",
                    "charts/api/values.yaml": "replicaCount: 1\n"})
    _, report = run_json(root)
    assert any("without rendering" in note for note in report["notes"])
    text = CliRunner().invoke(main, ["check", str(root), "--no-cache"]).stdout
    assert "read without rendering" in text


def test_sample_repository_overrides_what_its_own_compose_files_build(project) -> None:
    root = project({**APP, "fastapi/Dockerfile": ROOT_IMAGE,
                    "fastapi/compose.yaml": "services:\n  api:\n    build: .\n",
                    "README.md": "These samples must not be deployed in production environments.\n"})
    _, report = run_json(root)
    found = _by(report["findings"], "PC201", "fastapi/Dockerfile")
    assert found and found[0]["context"] == "dev" and found[0]["severity"] == "info"


SERVED = {
    "svc/__init__.py": "",
    "svc/routes/__init__.py": """
        from fastapi import APIRouter

        from svc.routes import admin_debug, users

        router = APIRouter(prefix="/api")
        router.include_router(users.router)
        router.include_router(admin_debug.router)
    """,
    "svc/routes/users.py": """
        from fastapi import APIRouter

        router = APIRouter()
    """,
    "svc/routes/admin_debug.py": """
        import time

        from fastapi import APIRouter

        router = APIRouter(prefix="/debug")


        @router.post("/sleep")
        async def nap():
            time.sleep(1)
    """,
    "svc/routes/oauth_test.py": """
        import time

        from fastapi import APIRouter

        router = APIRouter(prefix="/oauth-test")


        @router.get("/claims")
        async def claims():
            time.sleep(1)
    """,
    "svc/routes/debug_tools.py": """
        import time

        from fastapi import APIRouter

        router = APIRouter(prefix="/tools")


        @router.get("/nap")
        async def nap():
            time.sleep(1)
    """,
    "svc/main.py": """
        from fastapi import FastAPI

        from svc.config import settings
        from svc.routes import debug_tools, oauth_test, router


        def add_router(application: FastAPI, router, **kwargs) -> None:
            application.include_router(router, prefix="/v1", **kwargs)


        def get_application() -> FastAPI:
            application = FastAPI()
            application.include_router(router)
            add_router(application, oauth_test.router)
            if settings.DEBUG:
                application.include_router(debug_tools.router)
            return application


        app = get_application()
    """,
}


def test_route_modules_the_production_app_serves_are_production_whatever_their_names(project) -> None:
    root = project(SERVED)
    _, report = run_json(root, "--select", "PC501")
    found = {f["path"]: f for f in report["findings"]}
    debug = found["svc/routes/admin_debug.py"]  # `admin_debug.py` says development; the app includes it
    assert debug["context"] == "prod" and debug["severity"] in {"warning", "error"}
    assert "svc/routes/__init__.py:7 includes its router" in debug["context_reason"]
    oauth = found["svc/routes/oauth_test.py"]  # a `_test.py` name, included through a project helper
    assert oauth["context"] == "prod" and "svc/main.py:14 includes" in oauth["context_reason"]
    tools = found["svc/routes/debug_tools.py"]  # included only under `if settings.DEBUG:`
    assert tools["context"] == "dev" and tools["severity"] == "info"


def test_a_router_only_a_test_app_includes_keeps_its_name(project) -> None:
    root = project({
        "svc/__init__.py": "",
        "svc/routes/admin_debug.py": SERVED["svc/routes/admin_debug.py"],
        "tests/test_debug.py": """
            from fastapi import FastAPI

            from svc.routes import admin_debug

            app = FastAPI()
            app.include_router(admin_debug.router)
        """,
    })
    _, report = run_json(root, "--select", "PC501")
    debug = _by(report["findings"], "PC501", "svc/routes/admin_debug.py")
    assert debug and all(f["context"] == "dev" and f["severity"] == "info" for f in debug)


def test_sample_words_in_folder_and_file_names_place_samples_out_of_production() -> None:
    """`docker-compose-example.yml`, `sample_project/`, `sample-app/` are samples to copy from (read as
    words, not only as whole folder names); a Python module named `example.py` is still code."""
    from prodcheck.discovery.context import explain_name
    from prodcheck.model.files import Context

    assert explain_name("docker/docker-compose-example.yml")[0] == Context.DEV
    assert explain_name("docker/docker-compose-with-proxy-example.yml")[0] == Context.DEV
    assert explain_name("src/app/data/sample_project/docker-compose.yml")[0] == Context.DEV
    assert explain_name("clients/sample-app/Dockerfile")[0] == Context.DEV
    assert explain_name("app/routes/example.py")[0] == Context.PROD
    assert explain_name("docker/docker-compose.yml")[0] == Context.PROD
    assert explain_name("deploy/exampleapp/Dockerfile")[0] == Context.PROD  # a word, not a substring


def test_a_python_module_named_local_is_a_local_implementation_unless_it_is_settings() -> None:
    """`storage/backends/local.py`, `local_storage.py`: the local-disk backend production selects (papermerge,
    morphik, Skyvern); `settings/local.py`, `local_settings.py`: a developer machine's settings. Other files named
    `local` (a script, a compose file) and other development words in a module's name still say development."""
    from prodcheck.discovery.context import explain_name
    from prodcheck.model.files import Context

    assert explain_name("papermerge/storage/backends/local.py")[0] == Context.PROD
    assert explain_name("core/storage/local_storage.py")[0] == Context.PROD
    assert explain_name("app/cache/local.py")[0] == Context.PROD
    assert explain_name("mysite/settings/local.py")[0] == Context.DEV
    assert explain_name("app/local_settings.py")[0] == Context.DEV
    assert explain_name("app/config/local.py")[0] == Context.DEV
    assert explain_name("app/local_dev.py")[0] == Context.DEV
    assert explain_name("app/debug.py")[0] == Context.DEV
    assert explain_name("scripts/local.sh")[0] == Context.DEV
    assert explain_name("docker-compose.local.yml")[0] == Context.DEV
    assert explain_name("local/storage.py")[0] == Context.DEV  # a folder's name is read as before


HEROKU_IMAGE = """
    FROM python:3.12-slim
    RUN useradd app
    WORKDIR /app
    COPY . .
    USER app
    CMD ["gunicorn", "-k", "uvicorn.workers.UvicornWorker", "app.main:app"]
"""


def _deploy_tagged(tag: str) -> str:
    return """
        on: {push: {branches: [main]}}
        jobs:
          deploy:
            runs-on: ubuntu-latest
            environment: production
            env:
              APP: shop
              IMAGE: TAG
            steps:
              - run: docker build --tag ${{ env.IMAGE }}:latest .
              - run: docker push ${{ env.IMAGE }}:latest
    """.replace("TAG", tag)


def test_pc601_knows_heroku_ignores_healthcheck_and_other_registries_do_not(project) -> None:
    """An image tagged for Heroku's registry (through the job's `env:`) runs on Heroku, which ignores
    HEALTHCHECK; the same image pushed to another registry keeps PC601."""
    heroku = project({**APP, "Dockerfile": HEROKU_IMAGE,
                      ".github/workflows/deploy.yml": _deploy_tagged("registry.heroku.com/${APP}/web")})
    _, report = run_json(heroku, "--select", "PC601")
    assert report["findings"] == []


def test_pc601_still_reports_an_image_pushed_elsewhere(project) -> None:
    other = project({**APP, "Dockerfile": HEROKU_IMAGE,
                     ".github/workflows/deploy.yml": _deploy_tagged("ghcr.io/acme/${APP}")})
    _, report = run_json(other, "--select", "PC601")
    assert [(f["path"], f["context"]) for f in report["findings"]] == [("Dockerfile", "prod")]


BROKEN_TEMPLATE = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: {{ include "shop.fullname" . }}
    {{- if .Values.extra }}
      labels: {{ toYaml .Values.extra | nindent 4 }}
    {{- end }}
"""


def test_chart_files_helm_never_renders_are_development(project) -> None:
    """A folder beside `templates/` in a chart (`templates_disabled/`) is never rendered; a file a template
    reads with `.Files.Get` still belongs to the chart's production output."""
    root = project({
        "chart/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
        "chart/values.yaml": "extra: {}\n",
        "chart/templates/configmap.yaml": """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: shop-files
            data:
              extra.yaml: {{ .Files.Get "files/extra.yaml" | quote }}
        """,
        "chart/templates_disabled/deployment.yaml": BROKEN_TEMPLATE,
        "chart/files/extra.yaml": BROKEN_TEMPLATE,
    })
    _, report = run_json(root, "--select", "PC000")
    contexts = {f["path"]: (f["context"], f["context_reason"]) for f in report["findings"]}
    assert contexts["chart/templates_disabled/deployment.yaml"][0] == "dev"
    assert "Helm never renders" in contexts["chart/templates_disabled/deployment.yaml"][1]
    assert contexts["chart/files/extra.yaml"][0] == "prod"


@pytest.mark.parametrize(("key", "value", "context"), [
    ("POSTGRES_DB", "web_dev", "dev"),  # a database-name variable (`_DB`), without `DATABASE` in it
    ("DATABASE", "web_dev", "dev"),  # `DATABASE` in the name, none of the suffixes
    ("DB_NAME", "dev_web", "dev"),
    ("APP_DSN", "postgresql://u@db:5432/app_dev?sslmode=disable", "dev"),  # a URL's path, without its query
    ("POSTGRES_DB", "dummy_pg_db", "dev"),  # a stand-in no deployment keeps data in
    ("DATABASE_URL", "postgresql+asyncpg://u:p@postgres/fake-db", "dev"),
    ("POSTGRES_DB", "dummyapp", "prod"),  # a word inside a name is not the stand-in word
    ("POSTGRES_USER", "web_dev", "prod"),  # not a database name
    ("POSTGRES_DB", "web", "prod"),
    ("APP_DSN", "postgresql://u@dev_host:5432/app?opt=web_dev", "prod"),  # only the database part counts
])
def test_a_compose_service_on_a_development_database_makes_its_file_development(project, key: str, value: str,
                                                                                context: str) -> None:
    root = project({**APP, "Dockerfile": 'FROM python:3.12\nUSER app\nCMD ["uvicorn", "app.main:app"]\n',
                    "docker-compose.yml": f"""
        services:
          web:
            build: .
            command: uvicorn app.main:app --reload --host 0.0.0.0
            environment:
              {key}: "{value}"
          other:
            build: ./other
    """})
    _, report = run_json(root, "--select", "PC101")
    reload = _by(report["findings"], "PC101", "docker-compose.yml")
    assert reload and reload[0]["context"] == context, reload
    if context == "dev":
        assert f"development database `{value.rsplit('/', 1)[-1].split('?', 1)[0]}`" in reload[0]["context_reason"]


def test_the_dockerfile_fly_toml_builds_is_production_and_the_one_beside_it_is_not(project) -> None:
    """fly.toml's `[build] dockerfile` names the image Fly deploys: that Dockerfile is production, and a
    different Dockerfile no deploy path builds is not reported as production."""
    root = project({**APP, "docker/Dockerfile.fly": ROOT_IMAGE,
                    "Dockerfile": 'FROM python:3.12\nWORKDIR /app\nCOPY . .\nCMD ["uvicorn", "app.main:app", "--reload"]\n',
                    "fly.toml": 'app = "shop"\n\n[build]\n  dockerfile = "docker/Dockerfile.fly"\n'})
    _, report = run_json(root, "--select", "PC201")
    found = {f["path"]: (f["context"], f["context_reason"]) for f in report["findings"]}
    assert found["docker/Dockerfile.fly"] == ("prod", "built by the platform file fly.toml")
    assert found["Dockerfile"][0] != "prod"



def test_an_image_tag_with_a_variable_the_workflow_does_not_set_names_no_registry() -> None:
    """A variable the job's `env:` does not set may hold anything outside the workflow (a repository
    variable, a secret): a tag whose registry host reads one (`registry.heroku.com${SUFFIX}`) names no
    known registry, and nothing is assumed of the reference; the build's other tags still count."""
    from prodcheck.project.ci_words import platform_of_tags

    assert platform_of_tags(["registry.heroku.com${SUFFIX}/shop/web"], {}) is None
    assert platform_of_tags(["registry.heroku.com${{ env.SUFFIX }}/shop/web"], {}) is None
    assert platform_of_tags(["$MIRROR/shop:latest", "registry.heroku.com/${APP}/web"], {"APP": "shop"}) == "heroku"
    assert platform_of_tags(["${{ env.HOST }}/shop/web"], {"HOST": "registry.heroku.com"}) == "heroku"
