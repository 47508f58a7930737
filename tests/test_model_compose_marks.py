"""project/compose_marks.py: what a compose file says about itself (its project name, images tagged for local
use, an overlay's usage comment) and the marks of local use the deployment model reads (bind-mounted source,
`develop: watch`, development databases, nothing but local infrastructure), each with its service and line."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import project_model
from prodcheck.discovery.sources import SourceFile
from prodcheck.model.files import Context, FileKind
from prodcheck.parsing.yaml import load_documents
from prodcheck.project.compose_marks import (
    development_base,
    is_overlay,
    local_image,
    project_name_context,
    usage_bases,
)
from prodcheck.project.infra import ComposeService


def _document(text: str):  # type: ignore[no-untyped-def]
    return load_documents(textwrap.dedent(text).lstrip("\n"))[0]


def _services(text: str, path: str = "compose.yml") -> list[ComposeService]:
    text = textwrap.dedent(text).lstrip("\n")
    source = SourceFile(path, FileKind.COMPOSE, Context.PROD, text=text)
    services = load_documents(text)[0].get("services")
    return [ComposeService(source, str(key.value), value, key) for key, value in services.items()]


@pytest.mark.parametrize(("name", "expected"), [
    ("opal-callbacks-example", Context.DEV), ("mem0-dev", Context.DEV), ("dev-tests", Context.DEV),
    ("app-e2e", Context.TEST), ("app-integration", Context.TEST), ("shop", None), ("${PROJECT:-dev}", None),
    ('""', None), ("[dev]", None),
    # one stack per developer who brings it up (`name: "${USER}-cm-service"`): a developer's machine
    ("${USER}-shop", Context.DEV), ("$LOGNAME-shop", Context.DEV), ("${USER_STACK}-shop", None)])
def test_the_compose_project_name(name: str, expected: Context | None) -> None:
    found = project_name_context(_document(f"name: {name}\nservices: {{}}\n"))
    assert (found[0] if found else None) == expected
    if found:
        assert found[1] == name


def test_no_name_or_no_mapping_gives_no_context() -> None:
    assert project_name_context(_document("services: {}\n")) is None
    assert project_name_context(_document("- dev\n")) is None


def test_an_image_tagged_for_local_use_that_the_service_does_not_build() -> None:
    services = _services("""
        services:
          a: {image: "app:local"}
          b: {image: "ethyca/fides:${TAG:-x}-dev"}
          c: {image: "app:local@sha256:abc"}
          d: {image: "app:local", build: .}
          e: {image: "org/app:1.2"}
          f: {image: app}
          g: {image: "localhost:5000/dev-app"}
          h: {image: ":dev"}
          i: {image: "app@sha256:dev"}
          j: {build: .}
    """)
    assert [local_image(s) for s in services] == ["app:local", "ethyca/fides:${TAG:-x}-dev", "app:local@sha256:abc",
                                                  None, None, None, None, None, None, None]


def test_an_overlay_has_services_without_image_build_or_extends() -> None:
    assert is_overlay(_services("services:\n  web: {environment: {A: b}}\n  worker: {ports: ['80:80']}\n"))
    assert not is_overlay([])
    for key in ("image: x", "build: .", "extends: {service: web}"):
        assert not is_overlay(_services(f"services:\n  web: {{environment: {{A: b}}}}\n  other: {{{key}}}\n")), key


OVERLAY = """\
version: "3"
# docker compose -f other.yml up
# Usage: docker compose -f docker-compose.dev.yml -f docker-compose.override.yml up
#   docker compose --file=../compose.yml -f ./docker-compose.override.yml up -d
#-f ../tests/compose.yml -f docker-compose.override.yml
services:
  web:  # -f a.yml -f docker-compose.override.yml
    environment: {A: b}
"""


def test_the_usage_comment_names_the_files_an_overlay_is_layered_onto() -> None:
    assert usage_bases("docker/docker-compose.override.yml", OVERLAY) == [
        ("docker/docker-compose.dev.yml", 3), ("compose.yml", 4), ("tests/compose.yml", 5)]


def test_an_overlay_layered_onto_development_files_only() -> None:
    path = "docker/docker-compose.override.yml"
    source = SourceFile(path, FileKind.COMPOSE, Context.PROD, text=OVERLAY)
    services = _services(OVERLAY, path)
    files = {p: SourceFile(p, FileKind.COMPOSE, Context.PROD, text="services: {}\n")
             for p in ("docker/docker-compose.dev.yml", "tests/compose.yml")}
    dev = {"docker/docker-compose.dev.yml": Context.DEV, "tests/compose.yml": Context.TEST, "compose.yml": Context.PROD}
    assert development_base(source, services, files, dev.__getitem__) == ("docker/docker-compose.dev.yml", 3)
    assert development_base(source, services, {**files, "compose.yml": files["tests/compose.yml"]},
                            dev.__getitem__) is None  # a production base
    assert development_base(source, services, {}, dev.__getitem__) is None  # no base the project has
    plain = SourceFile(path, FileKind.COMPOSE, Context.PROD, text="services:\n  web: {environment: {A: b}}\n")
    assert development_base(plain, services, files, dev.__getitem__) is None  # no usage comment
    built = _services("services:\n  web: {build: .}\n", path)
    assert development_base(source, built, files, dev.__getitem__) is None  # not an overlay


APP = {"app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"}
LOCAL = """\
services:
  web:
    build: .
    develop:
      watch: [{action: sync, path: ./app, target: /code/app}]
    volumes:
      - data:/data
      - /var/run/docker.sock:/var/run/docker.sock
      - ./config.yml:/etc/config.yml
      - ./app:/code/app
      - ./:/code
    command: uvicorn app.main:app --reload
    environment:
      LOG_LEVEL: debug
      DATABASE_URL: postgresql://u:p@db:5432/web_dev?sslmode=disable
      TEST_DATABASE_URL: postgresql://u:p@db:5432/web_local
  worker:
    build: {context: ./worker}
    volumes:
      - {type: tmpfs, target: /tmp}
      - {type: bind, source: ./worker, target: /w}
    command: ["celery", "-A", "tasks", "worker"]
  front:
    build: {context: services/front}
    volumes: ["./services:/srv"]
    entrypoint: sh -c "npm ci && npm run dev"
  nginx:
    image: nginx:1.27
    volumes: ["./nginx/conf.d:/etc/nginx/conf.d"]
  local:
    image: app:local
  pg: {image: postgres:16, environment: {POSTGRES_DB: app_dev}}
  my: {image: mysql:8, environment: [MYSQL_DATABASE=shop_development]}
  names: {image: org/api, environment: {DB_NAME: dev_shop}}
  reads: {image: org/api, environment: {READ_URL: "postgresql://h/orders-dev"}}
  dsn: {image: org/api, environment: {PG_DSN: local_dev}}
  plain: {image: org/api, environment: {DATABASE: app-develop}}
  prod: {image: org/api, environment: {DATABASE_URL: "postgresql://h/", REDIS_URL: "redis://cache/0"}}
"""


def test_the_marks_of_local_use_of_each_service(tmp_path: Path) -> None:
    project = project_model(tmp_path, {**APP, "Dockerfile": "FROM python:3.12\n", "docker-compose.yml": LOCAL,
                                       "config.yml": "a: 1\n", "worker/Dockerfile": "FROM python:3.12\n",
                                       "services/front/Dockerfile": "FROM node:20\n", "nginx/conf.d/site.conf": "x\n"})
    assert project.deployment._local_marks("docker-compose.yml") == [
        "service `web` has `develop: watch` (docker-compose.yml:2)",
        "service `web` bind-mounts the source `./app` (docker-compose.yml:10) and runs `--reload`",
        "service `web` uses the development database `web_dev` (docker-compose.yml:15)",
        "service `worker` bind-mounts the source `./worker` (docker-compose.yml:21)",
        "service `front` bind-mounts the source `./services` (docker-compose.yml:25) and runs `npm run dev`",
        "service `local` runs `app:local`, an image tagged for local use that it does not build (docker-compose.yml:30)",
        "service `pg` uses the development database `app_dev` (docker-compose.yml:32)",
        "service `my` uses the development database `shop_development` (docker-compose.yml:33)",
        "service `names` uses the development database `dev_shop` (docker-compose.yml:34)",
        "service `reads` uses the development database `orders-dev` (docker-compose.yml:35)",
        "service `dsn` uses the development database `local_dev` (docker-compose.yml:36)",
        "service `plain` uses the development database `app-develop` (docker-compose.yml:37)",
    ]


def test_the_whole_project_mounted_without_python_is_its_source(tmp_path: Path) -> None:
    project = project_model(tmp_path, {"Dockerfile": "FROM node:20\n", "compose.yml": """
        services:
          web:
            build: .
            volumes: [".:/app"]
    """})
    assert project.deployment._local_marks("compose.yml") == ["service `web` bind-mounts the source `.` (compose.yml:4)"]


def test_the_project_service_told_it_runs_in_development(tmp_path: Path) -> None:
    """`ENVIRONMENT=local` (or `APP_ENV: development`) on a service of the project's own image marks the stack; a
    production value, and the same variable on a backing service, do not."""
    project = project_model(tmp_path, {"Dockerfile": "FROM python:3.12\n", "local/compose.yml": """
        services:
          app:
            build: ..
            environment: [ENVIRONMENT=local]
          db:
            image: postgres:16
    """, "prod/compose.yml": """
        services:
          app:
            image: ghcr.io/org/app:1.2.0
            environment: {APP_ENV: production}
          cache:
            image: redis:7
            environment: {ENVIRONMENT: development}
    """})
    assert project.deployment._local_marks("local/compose.yml") == [
        "service `app` sets `ENVIRONMENT=local` (local/compose.yml:4)"]
    assert project.deployment._local_marks("prod/compose.yml") == []

def test_a_service_extending_a_development_service(tmp_path: Path) -> None:
    """`extends:` a service of a development compose file carries its marks over; extending a production file's
    service, or a file that extends itself, does not."""
    project = project_model(tmp_path, {**APP, "Dockerfile": "FROM python:3.12\n", "compose.yml": """
        services:
          app:
            build: .
            volumes: ["./app:/srv/app"]
    """, "compose.proxy.yml": """
        services:
          app-proxy:
            extends: {file: compose.yml, service: app}
          nginx:
            image: nginx:1.27
    """, "deploy/compose.yml": """
        services:
          api:
            image: ghcr.io/org/api:1.0.0
    """, "deploy/compose.extra.yml": """
        services:
          api-extra:
            extends: {file: compose.yml, service: api}
          loop:
            extends: {file: compose.extra.yml, service: api-extra}
    """})
    assert project.deployment._local_marks("compose.proxy.yml") == [
        "service `app-proxy` extends a service of compose.yml, a development compose file (compose.proxy.yml:2)"]
    assert project.deployment._local_marks("deploy/compose.extra.yml") == []

def test_a_file_of_local_infrastructure_only(tmp_path: Path) -> None:
    project = project_model(tmp_path, {**APP, "infra/compose.yml": """
        services:
          cache: {image: "redis:7"}
          db: {image: "postgres:16"}
          bouncer: {image: "edoburu/pgbouncer"}
          aws: {image: "localstack/localstack"}
          mail: {image: "mailhog/mailhog"}
    """, "ops/compose.yml": """
        services:
          cache: {image: "redis:7"}
          tool: {command: make}
    """, "stack/compose.yml": """
        services:
          cache: {image: "redis:7"}
          api: {image: "org/api:1.0"}
    """, "built/compose.yml": """
        services:
          cache: {image: "redis:7"}
          api: {build: ., image: "redis:7"}
    """, "built/Dockerfile": "FROM python:3.12\n"})
    marks = project.deployment._local_marks
    assert marks("infra/compose.yml") == [
        "service `aws` runs `localstack/localstack`, a stand-in for a cloud service that only development runs "
        "(infra/compose.yml:5)",
        "service `mail` runs `mailhog/mailhog`, a stand-in for a cloud service that only development runs "
        "(infra/compose.yml:6)",
        "infra/compose.yml runs only local infrastructure (cache, db, bouncer, aws), none of the project's own images"]
    assert marks("ops/compose.yml") == []
    assert marks("stack/compose.yml") == []
    assert marks("built/compose.yml") == []
    assert marks("missing.yml") == []


def test_a_cloud_emulator_beside_the_project_service(tmp_path: Path) -> None:
    """LocalStack (or Azurite, a mail catcher) beside the project's own service: the stack talks to a stand-in that
    no production runs. MinIO, a storage server production does run, and a real SMTP relay do not mark it."""
    project = project_model(tmp_path, {**APP, "Dockerfile": "FROM python:3.12\n", "local/compose.yml": """
        services:
          api:
            build: ..
            environment: {AWS_ENDPOINT_URL: "http://localstack:4566"}
          localstack: {image: "localstack/localstack:3.1"}
    """, "prod/compose.yml": """
        services:
          api:
            build: ..
          storage: {image: "minio/minio:RELEASE.2025-01-01T00-00-00Z"}
          relay: {image: "boky/postfix"}
    """})
    assert project.deployment._local_marks("local/compose.yml") == [
        "service `localstack` runs `localstack/localstack:3.1`, a stand-in for a cloud service that only development "
        "runs (local/compose.yml:5)"]
    assert project.deployment._local_marks("prod/compose.yml") == []


def test_a_build_context_under_a_variable_the_repository_does_not_set(tmp_path: Path) -> None:
    """`context: ${PATHS_PROJECT_DIR}/backend` (the variable set in a .env file left out of the repository): the one
    Dockerfile at the written tail is what the service builds, so a root image it runs is production's; two
    candidates, or none, build nothing known."""
    from conftest import run_json

    files = {**APP, "backend/Dockerfile.api": "FROM python:3.12\nCMD [\"python\", \"-m\", \"app\"]\n",
             "tools/Dockerfile.api": "FROM python:3.12\nUSER app\n",
             "deploy/compose.yml": """
        services:
          api:
            build: {context: "${PATHS_PROJECT_DIR}/backend", dockerfile: ./Dockerfile.api}
            image: ghcr.io/org/api:1.0.0
          other:
            build: {context: "${ROOT}", dockerfile: Dockerfile.api}
    """}
    project = project_model(tmp_path, files)
    assert project.deployment._built_dockerfile(project.views.compose_services[0]) == "backend/Dockerfile.api"
    assert project.deployment._built_dockerfile(project.views.compose_services[1]) is None  # two Dockerfile.api
    _, report = run_json(tmp_path)
    root = [f for f in report["findings"] if f["code"] == "PC201" and f["path"] == "backend/Dockerfile.api"]
    assert [(f["severity"], f["context"]) for f in root] == [("warning", "prod")]


def test_the_dockerfile_and_the_context_a_service_builds(tmp_path: Path) -> None:
    dockerfiles = ["api/Dockerfile", "worker/Dockerfile.prod", "docker/Dockerfile.c", "svc/Dockerfile",
                   "deploy/Dockerfile", "deploy/Dockerfile.h"]
    project = project_model(tmp_path, {**{p: f"FROM python:3.12\n# {p}\n" for p in dockerfiles}, "deploy/compose.yml": """
        services:
          a: {build: ../api}
          b: {build: {context: ../worker, dockerfile: Dockerfile.prod}}
          c: {build: {dockerfile: ../docker/Dockerfile.c}}
          d: {build: {context: ../svc}}
          e: {build: .}
          f: {image: org/f}
          g: {build: ""}
          h: {build: {context: "", dockerfile: Dockerfile.h}}
          i: {build: {context: ../svc, dockerfile: ""}}
          j: {build: ../missing}
    """})
    services = {s.name: s for s in project.views.compose_services}
    built = {name: project.deployment._built_dockerfile(s) for name, s in services.items()}
    assert built == {"a": "api/Dockerfile", "b": "worker/Dockerfile.prod", "c": "docker/Dockerfile.c",
                     "d": "svc/Dockerfile", "e": "deploy/Dockerfile", "f": None, "g": "deploy/Dockerfile",
                     "h": "deploy/Dockerfile.h", "i": "svc/Dockerfile", "j": None}
    contexts = {name: project.deployment._build_context(s) for name, s in services.items()}
    assert contexts == {"a": "api", "b": "worker", "c": "deploy", "d": "svc", "e": "deploy", "f": None, "g": "deploy",
                        "h": "deploy", "i": "svc", "j": "missing"}
