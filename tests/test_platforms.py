"""Deployment platforms feed the project model: render.yaml, fly.toml, railway, Heroku, Helm, Kustomize, PgBouncer."""
from __future__ import annotations

from conftest import run_json
from prodcheck.project.platform_docs import toml_index

APP = {
    "app/main.py": """
        from fastapi import FastAPI

        app = FastAPI()


        @app.get("/healthz")
        async def healthz():
            return {"status": "ok"}
    """,
    "app/db.py": """
        import os

        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(os.environ["DATABASE_URL"], pool_size=20, max_overflow=10, pool_pre_ping=True)
    """,
}
DOCKERFILE = """
    FROM python:3.12-slim
    USER app
    CMD ["gunicorn", "app.main:app", "-k", "uvicorn.workers.UvicornWorker", "--bind", "0.0.0.0:8080"]
"""


def findings(project, files: dict[str, str], code: str) -> list[dict]:
    root = project({**APP, **files})
    _, report = run_json(root, "--select", code)
    return [f for f in report["findings"] if f["code"] == code]


def lines(found: list[dict], path: str | None = None) -> list[int]:
    return sorted(f["line"] for f in found if path is None or f["path"] == path)


# ---------------------------------------------------------------- render.yaml


def test_render_start_command_with_reload_is_pc101(project) -> None:
    found = findings(project, {"render.yaml": """
        services:
          - type: web
            name: api
            runtime: python
            startCommand: uvicorn app.main:app --host 0.0.0.0 --port $PORT --reload
    """}, "PC101")
    assert lines(found, "render.yaml") == [5]


def test_render_pre_deploy_migration_is_not_pc401_but_chained_start_is(project) -> None:
    found = findings(project, {"render.yaml": """
        services:
          - type: web
            name: api
            runtime: python
            preDeployCommand: alembic upgrade head
            startCommand: alembic upgrade head && gunicorn app.main:app -k uvicorn.workers.UvicornWorker
    """}, "PC401")
    assert lines(found, "render.yaml") == [6]


def test_render_instances_and_env_feed_the_pool_arithmetic(project) -> None:
    found = findings(project, {"render.yaml": """
        services:
          - type: web
            name: api
            runtime: python
            startCommand: gunicorn app.main:app -k uvicorn.workers.UvicornWorker
            numInstances: 2
            envVars:
              - key: WEB_CONCURRENCY
                value: 3
    """}, "PC402")
    assert len(found) == 1
    assert "(20 + 10) x 3 workers (WEB_CONCURRENCY)" in found[0]["message"]
    assert "x 2 instances" in found[0]["message"] and "= 180 > 100" in found[0]["message"]


def test_render_docker_runtime_runs_the_dockerfile(project) -> None:
    found = findings(project, {
        "Dockerfile": DOCKERFILE.replace('"--bind"', '"--reload", "--bind"'),
        "render.yaml": """
            services:
              - type: web
                name: api
                runtime: docker
                dockerfilePath: ./Dockerfile
        """,
    }, "PC101")
    assert [(f["path"], f["line"]) for f in found] == [("Dockerfile", 3)]


def test_render_health_check_path_not_served_is_pc605(project) -> None:
    found = findings(project, {"render.yaml": """
        services:
          - type: web
            name: api
            runtime: python
            startCommand: uvicorn app.main:app --host 0.0.0.0 --port $PORT
            healthCheckPath: /health
          - type: web
            name: ok
            runtime: python
            startCommand: uvicorn app.main:app --host 0.0.0.0 --port $PORT
            healthCheckPath: /healthz
    """}, "PC605")
    assert lines(found, "render.yaml") == [6]


# ---------------------------------------------------------------- fly.toml


def test_fly_release_command_is_not_pc401(project) -> None:
    found = findings(project, {"Dockerfile": DOCKERFILE, "fly.toml": """
        app = "shop"

        [deploy]
          release_command = "alembic upgrade head"

        [http_service]
          internal_port = 8080
    """}, "PC401")
    assert found == []


def test_fly_process_chaining_migrations_is_pc401(project) -> None:
    found = findings(project, {"Dockerfile": DOCKERFILE, "fly.toml": """
        app = "shop"

        [processes]
          app = "sh -c 'alembic upgrade head && gunicorn app.main:app -k uvicorn.workers.UvicornWorker'"
          worker = "celery -A app.worker worker"
    """}, "PC401")
    assert lines(found, "fly.toml") == [4]


def test_fly_checks_are_probed_against_the_routes(project) -> None:
    found = findings(project, {"Dockerfile": DOCKERFILE, "fly.toml": """
        app = "shop"

        [http_service]
          internal_port = 8080

          [[http_service.checks]]
            path = "/healthz"

          [[http_service.checks]]
            path = "/status"

        [[services]]
          internal_port = 9999

          [[services.http_checks]]
            path = "/other-port"
    """}, "PC605")
    assert lines(found, "fly.toml") == [10]


def test_fly_env_sets_workers(project) -> None:
    found = findings(project, {"Dockerfile": DOCKERFILE, "fly.toml": """
        app = "shop"

        [env]
          WEB_CONCURRENCY = "4"
    """}, "PC402")
    assert len(found) == 1 and "4 workers (WEB_CONCURRENCY) (fly.toml:4)" in found[0]["message"]


# ---------------------------------------------------------------- railway


def test_railway_json_start_command(project) -> None:
    files = {"railway.json": """
        {
          "build": {"builder": "NIXPACKS"},
          "deploy": {
            "startCommand": "alembic upgrade head && gunicorn app.main:app -w 3 -k uvicorn.workers.UvicornWorker",
            "preDeployCommand": ["alembic upgrade head"],
            "numReplicas": 2
          }
        }
    """}
    assert lines(findings(project, files, "PC401"), "railway.json") == [4]
    pool = findings(project, files, "PC402")
    assert len(pool) == 1 and "x 2 replicas (railway numReplicas)" in pool[0]["message"]


def test_railway_toml_health_check(project) -> None:
    found = findings(project, {"railway.toml": """
        [build]
        builder = "nixpacks"

        [deploy]
        startCommand = "uvicorn app.main:app --host 0.0.0.0 --port $PORT"
        healthcheckPath = "/health"
    """}, "PC605")
    assert lines(found, "railway.toml") == [6]


# ---------------------------------------------------------------- Heroku


def test_app_json_formation_scales_the_procfile_web_process(project) -> None:
    files = {
        "Procfile": """
            web: gunicorn app.main:app -k uvicorn.workers.UvicornWorker
            release: alembic upgrade head
        """,
        "app.json": """
            {
              "name": "shop",
              "scripts": {"postdeploy": "alembic upgrade head"},
              "formation": {"web": {"quantity": 3}},
              "env": {"WEB_CONCURRENCY": {"value": "2"}}
            }
        """,
    }
    pool = findings(project, files, "PC402")
    assert len(pool) == 1
    assert "x 2 workers (WEB_CONCURRENCY) (app.json:5) x 3 dynos" in pool[0]["message"]
    assert findings(project, files, "PC401") == []


def test_an_app_json_that_is_not_herokus_is_ignored(project) -> None:
    found = findings(project, {"app.json": '{"expo": {"name": "mobile"}}'}, "PC000")
    assert found == []


def test_heroku_yml_run_and_release(project) -> None:
    files = {"Dockerfile": DOCKERFILE, "heroku.yml": """
        build:
          docker:
            web: Dockerfile
        release:
          image: web
          command:
            - alembic upgrade head
        run:
          web: alembic upgrade head && uvicorn app.main:app --host 0.0.0.0 --port $PORT
    """}
    assert lines(findings(project, files, "PC401"), "heroku.yml") == [9]


# ---------------------------------------------------------------- Helm


CHART = {
    "charts/api/Chart.yaml": """
        apiVersion: v2
        name: api
        version: 0.1.0
        appVersion: "1.4.2"
    """,
    "charts/api/templates/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ include "api.fullname" . }}
        spec:
          {{- if not .Values.autoscaling.enabled }}
          replicas: {{ .Values.replicaCount }}
          {{- end }}
          template:
            spec:
              containers:
                - name: {{ .Chart.Name }}
                  image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
                  args:
                    {{- toYaml .Values.args | nindent 12 }}
                  {{- with .Values.livenessProbe }}
                  livenessProbe:
                    {{- toYaml . | nindent 12 }}
                  {{- end }}
    """,
}
VALUES = """
    replicaCount: 3
    image:
      repository: registry.example.com/api
      tag: ""
    autoscaling:
      enabled: false
      maxReplicas: 8
    args: ["gunicorn", "app.main:app", "-w", "2", "-k", "uvicorn.workers.UvicornWorker", "--bind", "0.0.0.0:8000"]
    livenessProbe:
      httpGet:
        path: /
        port: 8000
"""


def test_helm_values_feed_replicas_and_workers(project) -> None:
    found = findings(project, {**CHART, "charts/api/values.yaml": VALUES}, "PC402")
    assert len(found) == 1
    message = found[0]["message"]
    assert "x 2 workers (charts/api/values.yaml:8) x 3 replicas (charts/api/values.yaml:1)" in message


def test_helm_autoscaling_uses_max_replicas(project) -> None:
    values = VALUES.replace("enabled: false", "enabled: true")
    found = findings(project, {**CHART, "charts/api/values.yaml": values}, "PC402")
    assert "8 replicas (Helm autoscaling.maxReplicas)" in found[0]["message"]


def test_helm_scaffold_liveness_path_not_served(project) -> None:
    found = findings(project, {**CHART, "charts/api/values.yaml": VALUES}, "PC605")
    assert [(f["path"], f["line"]) for f in found] == [("charts/api/values.yaml", 11)]


def test_helm_values_that_need_rendering_are_not_guessed(project) -> None:
    chart = dict(CHART)
    chart["charts/api/templates/deployment.yaml"] = chart["charts/api/templates/deployment.yaml"].replace(
        "{{- toYaml .Values.args | nindent 12 }}", '{{- include "api.args" . | nindent 12 }}')
    assert findings(project, {**chart, "charts/api/values.yaml": VALUES}, "PC402") == []


# ---------------------------------------------------------------- Kustomize


BASE = {
    "k8s/base/kustomization.yaml": """
        resources:
          - deployment.yaml
    """,
    "k8s/base/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
        spec:
          replicas: 1
          template:
            spec:
              containers:
                - name: api
                  image: registry.example.com/api:1.0.0
                  args: ["gunicorn", "app.main:app", "-w", "2", "-k", "uvicorn.workers.UvicornWorker"]
                  ports:
                    - containerPort: 8000
    """,
}


def test_kustomize_prod_overlay_replicas_count_dev_overlay_does_not(project) -> None:
    found = findings(project, {**BASE,
        "k8s/overlays/prod/kustomization.yaml": """
            resources:
              - ../../base
            replicas:
              - name: api
                count: 4
        """,
        "k8s/overlays/dev/kustomization.yaml": """
            resources:
              - ../../base
            replicas:
              - name: api
                count: 40
        """,
    }, "PC402")
    assert len(found) == 1
    assert "x 4 replicas (kustomize replicas) (k8s/overlays/prod/kustomization.yaml:5) = 240" in found[0]["message"]


def test_kustomize_json6902_replicas_patch(project) -> None:
    found = findings(project, {**BASE,
        "k8s/overlays/production/kustomization.yaml": """
            resources:
              - ../../base
            patches:
              - target:
                  kind: Deployment
                  name: api
                patch: |-
                  - op: replace
                    path: /spec/replicas
                    value: 5
        """,
    }, "PC402")
    assert "x 5 replicas (kustomize patch)" in found[0]["message"]


def test_kustomize_json6902_patch_file_locates_the_patch_file(project) -> None:
    # The loop over the operations once rebound the patch file's path to the last operation's
    # `path` node: the replica count then pointed at a YAML node instead of the patch file.
    found = findings(project, {**BASE,
        "k8s/overlays/production/kustomization.yaml": """
            resources:
              - ../../base
            patches:
              - path: replicas.yaml
                target:
                  kind: Deployment
                  name: api
        """,
        "k8s/overlays/production/replicas.yaml": """
            - op: replace
              path: /spec/replicas
              value: 5
        """,
    }, "PC402")
    assert "x 5 replicas (kustomize patch) (k8s/overlays/production/replicas.yaml:3) = " in found[0]["message"]


def test_kustomize_patch_adds_probes_and_limits_and_is_no_workload(project) -> None:
    files = {**BASE,
        "k8s/overlays/prod/kustomization.yaml": """
            resources:
              - ../../base
            patches:
              - path: health.yaml
        """,
        "k8s/overlays/prod/health.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: api
            spec:
              replicas: 2
              template:
                spec:
                  containers:
                    - name: api
                      readinessProbe:
                        httpGet: {path: /healthz, port: 8000}
                      livenessProbe:
                        httpGet: {path: /healthz, port: 8000}
                      resources:
                        limits:
                          memory: 512Mi
        """,
    }
    assert findings(project, files, "PC603") == []
    assert findings(project, files, "PC606") == []
    pool = findings(project, files, "PC402")
    assert len(pool) == 1 and "x 2 replicas (kustomize patch) (k8s/overlays/prod/health.yaml:6)" in pool[0]["message"]


# ---------------------------------------------------------------- PgBouncer


PGBOUNCER = """
    services:
      db:
        image: postgres:16.4
        command: ["postgres", "-c", "max_connections=100"]
      pgbouncer:
        image: edoburu/pgbouncer:1.22.1
        environment:
          DEFAULT_POOL_SIZE: "{pool}"
          MAX_CLIENT_CONN: "{clients}"
      api:
        build: .
        command: gunicorn app.main:app -w 4 -k uvicorn.workers.UvicornWorker
"""


def test_app_pools_are_checked_against_pgbouncer_max_client_conn(project) -> None:
    found = findings(project, {"Dockerfile": DOCKERFILE,
                               "docker-compose.yml": PGBOUNCER.format(pool=20, clients=100)}, "PC402")
    assert len(found) == 1 and "= 120 > 100 max_client_conn (PgBouncer `pgbouncer`) (docker-compose.yml:9)" in found[0]["message"]


def test_pgbouncer_pool_is_checked_against_max_connections(project) -> None:
    found = findings(project, {"Dockerfile": DOCKERFILE,
                               "docker-compose.yml": PGBOUNCER.format(pool=150, clients=500)}, "PC402")
    assert [(f["path"], f["line"]) for f in found] == [("docker-compose.yml", 8)]
    assert "150 server connections > 100 max_connections" in found[0]["message"]


def test_pgbouncer_within_limits_is_clean(project) -> None:
    found = findings(project, {"Dockerfile": DOCKERFILE,
                               "docker-compose.yml": PGBOUNCER.format(pool=25, clients=500)}, "PC402")
    assert found == []


# ---------------------------------------------------------------- TOML line index


def test_toml_index_locates_keys_in_tables_and_arrays_of_tables() -> None:
    index = toml_index(
        'app = "x"\n'
        "[deploy]\n"
        '  release_command = "alembic upgrade head"\n'
        "[[services]]\n"
        "  internal_port = 8080\n"
        "  [[services.http_checks]]\n"
        '    path = "/a"\n'
        "[[services]]\n"
        "  [[services.http_checks]]\n"
        '    path = "/b"\n'
        '  "quoted.key" = 1\n'
    )
    assert index[("app",)][0] == 1
    assert index[("deploy", "release_command")][0] == 3
    assert index[("services", 0, "http_checks", 0, "path")][0] == 7
    assert index[("services", 1, "http_checks", 0, "path")][0] == 10
    assert index[("services", 1, "http_checks", 0, "quoted.key")][0] == 11


# ---------------------------------------------------------------- robustness


def test_malformed_platform_files_never_break_a_run(project) -> None:
    from pathlib import Path

    from prodcheck import engine
    from prodcheck.settings import Settings

    root = project({
        "fly.toml": 'processes = "x"\n[http_service]\nprocesses = 5\nchecks = "no"\n[[services]]\nhttp_checks = 3\n'
                    '[checks]\nx = 1\n[deploy]\nrelease_command = ["alembic", "upgrade", "head"]\n[env]\nA = {b = 1}\n',
        "render.yaml": "services:\n  - type: web\n    startCommand: [1, 2]\n    numInstances: [3]\n    envVars: 5\n"
                       "    scaling: 7\n  - 12\n  - null\n",
        "heroku.yml": "build: [1]\nrun: {web: {command: 5}}\nrelease: {command: {x: 1}}\n",
        "app.json": '{"formation": 5, "env": [1], "scripts": {"postdeploy": [1, 2]}}',
        "railway.json": '{"deploy": {"startCommand": 5, "preDeployCommand": [1, {"a": 2}], "numReplicas": "many"}}',
        "charts/x/Chart.yaml": "name: x\n",
        "charts/x/values.yaml": "replicaCount: [1]\nimage: 5\nautoscaling: {enabled: yes, maxReplicas: lots}\n",
        "charts/x/templates/deployment.yaml": "kind: Deployment\nspec:\n  replicas: {{ .Values.replicaCount }}\n"
                                              "  template:\n    spec:\n      containers:\n"
                                              "        - image: {{ .Values.image.repository }}\n          command:\n",
        "k8s/kustomization.yaml": 'resources: 5\npatches: [5, {path: 3}, {patch: "{{{"}]\nreplicas: [{name: 1, count: b}, 5]\n',
        "k8s/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n"
                           "      containers:\n        - name: api\n          image: me/api:1\n"
                           "          livenessProbe: {httpGet: {path: 5, port: [1]}, exec: {command: 5}}\n"
                           "          ports: 7\n        - 5\n",
    })
    result = engine.run(Path(root), Settings().with_overrides(use_cache=False))
    assert result.internal_errors == []
