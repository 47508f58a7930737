"""The platform model (project/platforms.py): which process each platform file declares, with its role,
commands, replicas, image and environment, and the health checks it runs.

Every project here is small and written for the question it asks; each process is summarised as
a user would read it from the file (name, role, what it runs, how many, from which Dockerfile).
"""
from __future__ import annotations

from pathlib import Path

from conftest import write_project
from prodcheck import engine
from prodcheck.project import Project
from prodcheck.project.infra import Process
from prodcheck.project.platforms import platform_files, platform_health_checks, platform_model
from prodcheck.settings import Settings

APP = {"app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"}
DOCKERFILE = 'FROM python:3.12-slim\nENV PORT=8080\nCMD ["uvicorn", "app.main:app", "--port", "8080"]\n'


def project_of(root: Path, files: dict[str, str]) -> Project:
    write_project(root, {**APP, **files})
    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(root, settings)
    return Project(root, discovered, engine.parse_python(root, discovered, settings), settings)


def summary(process: Process) -> dict[str, object]:
    return {
        "role": process.role,
        "runs": [" ".join(step.command.argv) for step in process.steps],
        "replicas": (process.replicas.value, process.replicas.note) if process.replicas else None,
        "dockerfile": process.dockerfile,
        "line": process.origin.span.line,
    }


def platform_processes(project: Project) -> dict[str, dict[str, object]]:
    return {process.name: summary(process) for process in platform_model(project).processes}


def test_render_services(tmp_path: Path) -> None:
    project = project_of(tmp_path, {"Dockerfile": DOCKERFILE, "api/Dockerfile.prod": DOCKERFILE, "render.yaml": """
        services:
          - type: web
            name: api
            runtime: python
            startCommand: gunicorn app.main:app -k uvicorn.workers.UvicornWorker
            preDeployCommand: alembic upgrade head
            numInstances: 2
            healthCheckPath: /healthz
            envVars:
              - key: WEB_CONCURRENCY
                value: 3
              - key: DATABASE_URL
                fromDatabase:
                  name: db
          - type: worker
            name: jobs
            runtime: docker
            rootDir: api
            dockerfilePath: ./Dockerfile.prod
            scaling:
              minInstances: 1
              maxInstances: 4
          - type: pserv
            name: internal
            env: docker
            dockerCommand: uvicorn app.main:app --port 9000
            healthCheckPath: /ready
          - type: cron
            startCommand: python -m app.nightly
          - type: redis
            name: cache
            startCommand: redis-server
          - type: web
            name: static
            runtime: static
            healthCheckPath: healthz
          - type: background
            name: other
            runtime: python
            startCommand: python -m app.other
    """})
    assert platform_processes(project) == {
        "render.yaml:api": {"role": "web", "runs": ["gunicorn app.main:app -k uvicorn.workers.UvicornWorker"],
                            "replicas": (2, "2 instances (render numInstances)"), "dockerfile": None, "line": 5},
        "render.yaml:api:preDeploy": {"role": "release", "runs": ["alembic upgrade head"],
                                      "replicas": (1, "1 instance (default)"), "dockerfile": None, "line": 6},
        "render.yaml:jobs": {"role": "worker", "runs": ["uvicorn app.main:app --port 8080"],
                             "replicas": (4, "4 instances (render autoscaling maxInstances)"),
                             "dockerfile": "api/Dockerfile.prod", "line": 16},
        "render.yaml:internal": {"role": "web", "runs": ["uvicorn app.main:app --port 9000"],
                                 "replicas": (1, "1 instance (default)"), "dockerfile": "Dockerfile", "line": 26},
        "render.yaml:service-3": {"role": "job", "runs": ["python -m app.nightly"],
                                  "replicas": (1, "1 instance (default)"), "dockerfile": None, "line": 29},
        "render.yaml:other": {"role": "worker", "runs": ["python -m app.other"],
                              "replicas": (1, "1 instance (default)"), "dockerfile": None, "line": 40},
    }
    processes = {p.name: p for p in platform_model(project).processes}
    assert processes["render.yaml:api"].env["WEB_CONCURRENCY"][0] == "3"
    assert "DATABASE_URL" not in processes["render.yaml:api"].env  # set by Render from a database we cannot see
    assert processes["render.yaml:api"].unit == "render:render.yaml" and processes["render.yaml:api"].command_written
    assert {process.kind for process in processes.values()} == {"platform"}
    assert processes["render.yaml:jobs"].env["PORT"][0] == "8080"  # the image's ENV
    assert not processes["render.yaml:jobs"].command_written
    checks = [(c.platform, c.path, c.owner, c.process.name if c.process else None, c.location.span.line)
              for c in platform_health_checks(project)]
    assert checks == [("render", "/healthz", "Render service `api`", "render.yaml:api", 8),
                      ("render", "/ready", "Render service `internal`", "render.yaml:internal", 27)]
    assert platform_model(project).dockerfiles == {"Dockerfile", "api/Dockerfile.prod"}


def test_fly_processes_release_and_checks(tmp_path: Path) -> None:
    project = project_of(tmp_path, {"Dockerfile": DOCKERFILE, "fly.toml": """
        app = "shop"

        [build]
          dockerfile = "Dockerfile"

        [env]
          WEB_CONCURRENCY = "2"
          WORKERS = 3

        [deploy]
          release_command = "alembic upgrade head"

        [processes]
          web = "gunicorn app.main:app -k uvicorn.workers.UvicornWorker"
          worker = "celery -A app.tasks worker"

        [http_service]
          internal_port = 8080
          processes = ["web"]

          [[http_service.checks]]
            path = "/healthz"

        [checks.alive]
          type = "http"
          port = 8081
          path = "/alive"

        [checks.tcp]
          type = "tcp"
          port = 8080

        [[services]]
          internal_port = 9000
          processes = ["web"]

          [[services.http_checks]]
            path = "/ready"

        [[services]]
          processes = ["web"]

          [[services.http_checks]]
            path = "/up"
    """})
    assert platform_processes(project) == {
        "fly.toml:web": {"role": "web", "runs": ["gunicorn app.main:app -k uvicorn.workers.UvicornWorker"],
                         "replicas": (1, "1 machine (`fly scale count` is not in fly.toml)"),
                         "dockerfile": "Dockerfile", "line": 14},
        "fly.toml:worker": {"role": "worker", "runs": ["celery -A app.tasks worker"],
                            "replicas": (1, "1 machine (`fly scale count` is not in fly.toml)"),
                            "dockerfile": "Dockerfile", "line": 15},
        "fly.toml:release_command": {"role": "release", "runs": ["alembic upgrade head"],
                                     "replicas": (1, "1 machine (`fly scale count` is not in fly.toml)"),
                                     "dockerfile": None, "line": 11},
    }
    web = next(p for p in platform_model(project).processes if p.name == "fly.toml:web")
    assert {key: value for key, (value, _) in web.env.items()} == {"WEB_CONCURRENCY": "2", "WORKERS": "3",
                                                                    "PORT": "8080"}
    assert web.env["WORKERS"][1].span.line == 8
    checks = [(c.path, c.port, c.owner, c.process.name if c.process else None)
              for c in platform_health_checks(project)]
    assert checks == [("/healthz", "8080", "Fly app `shop`", "fly.toml:web"),
                      ("/ready", "9000", "Fly app `shop`", "fly.toml:web"),  # a [[services]] check: its port
                      ("/up", None, "Fly app `shop`", "fly.toml:web"),  # a service without internal_port: none
                      ("/alive", "8081", "Fly app `shop`", None)]  # two processes, none named app: unknown


def test_fly_without_processes_runs_the_image_or_experimental_cmd(tmp_path: Path) -> None:
    """A fly.toml whose `[build]` names a prebuilt image or a buildpack builder runs no Dockerfile, not
    even one beside it (other/Dockerfile, third/Dockerfile)."""
    project = project_of(tmp_path, {"Dockerfile": DOCKERFILE, "other/Dockerfile": DOCKERFILE,
                                    "third/Dockerfile": DOCKERFILE, "fly.toml": """
        app = "shop"

        [[services]]
          internal_port = 8080

          [[services.http_checks]]
            path = "/healthz"
    """, "other/fly.toml": """
        app = "other"

        [build]
          image = "registry.example/other:1"

        [experimental]
          cmd = ["uvicorn", "app.main:app"]
    """, "third/fly.toml": """
        app = "third"

        [build]
          builder = "paketobuildpacks/builder:base"
    """})
    assert platform_processes(project) == {
        "fly.toml:app": {"role": "web", "runs": ["uvicorn app.main:app --port 8080"],
                         "replicas": (1, "1 machine (`fly scale count` is not in fly.toml)"),
                         "dockerfile": "Dockerfile", "line": 1},
        "other/fly.toml:app": {"role": "web", "runs": ["uvicorn app.main:app"],
                               "replicas": (1, "1 machine (`fly scale count` is not in fly.toml)"),
                               "dockerfile": None, "line": 7},
    }
    checks = [(c.path, c.port, c.process.name if c.process else None) for c in platform_health_checks(project)]
    assert checks == [("/healthz", "8080", "fly.toml:app")]


def test_fly_services_name_the_processes_they_serve(tmp_path: Path) -> None:
    project = project_of(tmp_path, {"Dockerfile": DOCKERFILE, "fly.toml": """
        app = "shop"

        [processes]
          app = "uvicorn app.main:app --port 8080"
          admin = "uvicorn app.admin:app --port 9000"
          worker = "celery -A app.tasks worker"

        [[services]]
          internal_port = 9000
          processes = ["admin"]

          [[services.http_checks]]
            path = "/admin/health"

        [[services]]
          internal_port = 8080

          [[services.http_checks]]
            path = "/healthz"

        [checks.admin]
          path = "/admin/ready"
          processes = ["admin"]
    """})
    roles = {p.name: p.role for p in platform_model(project).processes}
    assert roles == {"fly.toml:app": "web", "fly.toml:admin": "web", "fly.toml:worker": "worker"}
    checks = [(c.path, c.port, c.process.name if c.process else None) for c in platform_health_checks(project)]
    assert checks == [("/admin/health", "9000", "fly.toml:admin"), ("/healthz", "8080", "fly.toml:app"),
                      ("/admin/ready", None, "fly.toml:admin")]


def test_fly_processes_without_services_web_by_name(tmp_path: Path) -> None:
    project = project_of(tmp_path, {"Dockerfile": DOCKERFILE, "fly.toml": """
        app = "shop"

        [processes]
          web = "uvicorn app.main:app"
          jobs = "celery -A app.tasks worker"
    """})
    assert {p.name: p.role for p in platform_model(project).processes} == {"fly.toml:web": "web",
                                                                           "fly.toml:jobs": "worker"}


def test_railway_files(tmp_path: Path) -> None:
    project = project_of(tmp_path, {"Dockerfile": DOCKERFILE, "railway.json": """
        {
          "build": {"builder": "NIXPACKS"},
          "deploy": {
            "startCommand": "uvicorn app.main:app --host 0.0.0.0 --port $PORT",
            "preDeployCommand": ["alembic upgrade head"],
            "numReplicas": 3,
            "healthcheckPath": "/healthz"
          }
        }
    """, "svc/railway.toml": """
        [build]
        builder = "DOCKERFILE"

        [deploy]
        healthcheckPath = "/up"

        [deploy.multiRegionConfig.us-west2]
        numReplicas = 2

        [deploy.multiRegionConfig.europe-west4]
        numReplicas = 3
    """, "svc/Dockerfile": DOCKERFILE, "nix/railway.toml": """
        [build]
        builder = "NIXPACKS"
    """})
    assert platform_processes(project) == {
        "railway.json:web": {"role": "web", "runs": ["uvicorn app.main:app --host 0.0.0.0 --port $PORT"],
                             "replicas": (3, "3 replicas (railway numReplicas)"), "dockerfile": None, "line": 4},
        "railway.json:preDeployCommand": {"role": "release", "runs": ["alembic upgrade head"],
                                          "replicas": (1, "1 instance (default)"), "dockerfile": None, "line": 5},
        "svc/railway.toml:web": {"role": "web", "runs": ["uvicorn app.main:app --port 8080"],
                                 "replicas": (5, "5 replicas (railway multiRegionConfig)"),
                                 "dockerfile": "svc/Dockerfile", "line": 4},
    }
    processes = {p.name: p for p in platform_model(project).processes}
    assert {name: p.unit for name, p in processes.items()} == {
        "railway.json:web": "railway:railway.json", "railway.json:preDeployCommand": "railway:railway.json",
        "svc/railway.toml:web": "railway:svc/railway.toml"}
    checks = [(c.platform, c.path, c.owner, c.process.name if c.process else None)
              for c in platform_health_checks(project)]
    assert checks == [("railway", "/healthz", "the Railway service", "railway.json:web"),
                      ("railway", "/up", "the Railway service", "svc/railway.toml:web")]


def test_heroku_yml_and_app_json(tmp_path: Path) -> None:
    project = project_of(tmp_path, {"Dockerfile": DOCKERFILE, "Dockerfile.worker": DOCKERFILE, "heroku.yml": """
        build:
          docker:
            web: Dockerfile
            worker:
              dockerfile: Dockerfile.worker
            missing: Dockerfile.missing
        release:
          command:
            - alembic upgrade head
        run:
          web: gunicorn app.main:app -k uvicorn.workers.UvicornWorker
          clock:
            command:
              - python -m app.clock
            image: worker
          beat: python -m app.beat
    """, "app.json": """
        {
          "name": "shop",
          "formation": {"web": {"quantity": 2}, "worker": {"quantity": "x"}},
          "env": {"WEB_CONCURRENCY": {"value": "4"}, "SECRET_KEY": {"generator": "secret"}, "PLAIN": "1"},
          "scripts": {"postdeploy": "python -m app.seed"}
        }
    """})
    dyno = "1 dyno (no formation in app.json)"
    assert platform_processes(project) == {
        "app.json:postdeploy": {"role": "release", "runs": ["python -m app.seed"], "replicas": (1, dyno),
                                "dockerfile": None, "line": 5},
        "heroku.yml:clock": {"role": "worker", "runs": ["python -m app.clock"], "replicas": (1, dyno),
                             "dockerfile": "Dockerfile.worker", "line": 14},
        # a process with neither a build of its own nor an `image:` runs the web image
        "heroku.yml:beat": {"role": "worker", "runs": ["python -m app.beat"], "replicas": (1, dyno),
                            "dockerfile": "Dockerfile", "line": 16},
        "heroku.yml:web": {"role": "web", "runs": ["gunicorn app.main:app -k uvicorn.workers.UvicornWorker"],
                           "replicas": (2, "2 dynos (app.json formation.web.quantity)"),
                           "dockerfile": "Dockerfile", "line": 11},
        "heroku.yml:worker": {"role": "worker", "runs": ["uvicorn app.main:app --port 8080"],
                              "replicas": (1, dyno), "dockerfile": "Dockerfile.worker", "line": 5},
        "heroku.yml:release": {"role": "release", "runs": ["alembic upgrade head"], "replicas": (1, dyno),
                               "dockerfile": None, "line": 9},
    }
    model = platform_model(project)
    assert {name: value for name, (value, _) in model.heroku_env.items()} == {"WEB_CONCURRENCY": "4", "PLAIN": "1"}
    assert {name: location.span.line for name, (_, location) in model.heroku_env.items()} == {
        "WEB_CONCURRENCY": 4, "PLAIN": 4}
    assert list(model.formation) == ["web"]
    assert [source.path for source in platform_files(project)] == ["app.json", "heroku.yml"]


def test_app_json_formation_and_env_apply_to_the_procfile(tmp_path: Path) -> None:
    project = project_of(tmp_path, {"Procfile": "web: uvicorn app.main:app\nworker: celery -A app.tasks worker\n",
                                    "app.json": '{"formation": {"web": {"quantity": 3}}, "env": {"X": "1"}}\n',
                                    "other/app.json": '{"name": "pwa", "icons": []}\n'})
    procfile = {p.name: p for p in project.processes if p.kind == "procfile"}
    assert procfile["Procfile:web"].replicas is not None and procfile["Procfile:web"].replicas.value == 3
    assert procfile["Procfile:worker"].replicas is None or procfile["Procfile:worker"].replicas.value == 1
    assert procfile["Procfile:web"].env["X"][0] == "1" and procfile["Procfile:worker"].env["X"][0] == "1"
    assert platform_model(project).processes == []  # no scripts: app.json declares no process of its own
    assert [source.path for source in platform_files(project)] == ["app.json"]  # not the PWA manifest


def test_platform_files_of_unexpected_shapes_add_nothing(tmp_path: Path) -> None:
    project = project_of(tmp_path, {"render.yaml": "services:\n  - 1\n  - [web]\n", "api/render.yaml": "services: {api: 1}\n",
                                    "railway.json": '{"build": [], "deploy": {"numReplicas": "many"}}\n',
                                    "fly.toml": 'app = "x"\nprocesses = 3\n',
                                    "heroku.yml": "run: [web]\n"})
    assert platform_model(project).processes == []


# A chart template the static renderer cannot parse (here an `if` never closed) is read line by line
# (project/charts.py): literal values and plain `.Values` references only.
CHART = {
    "deploy/chart/Chart.yaml": "apiVersion: v2\nname: api\nappVersion: \"1.4.0\"\n",
    "deploy/chart/values.yaml": """
        replicaCount: 3
        image:
          repository: registry.example/api
          tag: ""
        command: ["gunicorn", "app.main:app", "-k", "uvicorn.workers.UvicornWorker"]
        livenessProbe:
          httpGet:
            path: /healthz
            port: http
        autoscaling:
          enabled: false
          maxReplicas: 10
    """,
    "deploy/chart/templates/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ include "api.fullname" . }}
        spec:
          replicas: {{ .Values.replicaCount }}
          template:
            spec:
              containers:
                - name: api
                  image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
                  command: {{ toYaml .Values.command | nindent 12 }}
                  livenessProbe:
                    {{- toYaml .Values.livenessProbe | nindent 12 }}
                  readinessProbe:
                    httpGet:
                      path: /ready
                      port: 8080
                  startupProbe:
                    httpGet:
                      path: {{ .Values.startupPath }}
        {{- if .Values.extra }}
    """,
}


def test_a_chart_template_read_line_by_line(tmp_path: Path) -> None:
    project = project_of(tmp_path, {"Dockerfile": DOCKERFILE, **CHART})
    assert platform_processes(project) == {
        "deploy/chart/values.yaml:helm:api": {
            "role": "web", "runs": ["gunicorn app.main:app -k uvicorn.workers.UvicornWorker"],
            "replicas": (3, "3 replicas (Helm values)"), "dockerfile": "Dockerfile", "line": 9},
    }
    checks = [(c.kind, c.path, c.port, c.location.path, c.location.span.line, c.owner)
              for c in platform_health_checks(project)]
    assert checks == [
        ("liveness", "/healthz", "http", "deploy/chart/values.yaml", 8, "Helm chart `api`"),
        ("readiness", "/ready", "8080", "deploy/chart/templates/deployment.yaml", 17, "Helm chart `api`")]


def test_chart_autoscaling_and_literal_values(tmp_path: Path) -> None:
    chart = dict(CHART)
    chart["deploy/chart/values.yaml"] = CHART["deploy/chart/values.yaml"].replace("enabled: false", "enabled: true")
    project = project_of(tmp_path / "autoscaled", {"Dockerfile": DOCKERFILE, **chart})
    [process] = platform_model(project).processes
    assert process.replicas is not None
    assert (process.replicas.value, process.replicas.note, process.replicas.origin.span.line) == (
        10, "10 replicas (Helm autoscaling.maxReplicas)", 12)

    chart["deploy/chart/templates/deployment.yaml"] = """
        kind: Deployment
        spec:
          replicas: 2
          template:
            spec:
              containers:
                - name: api
                  image: postgres:16
                  args:
                    - uvicorn
                    - "app.main:app"
                  readinessProbe:
                    httpGet:
                      path: {{ .Values.readyPath | default "/ready" }}
                      port: {{ .Values.missing }}
        {{- if .Values.extra }}
    """
    project = project_of(tmp_path / "literal", {"Dockerfile": DOCKERFILE, **chart})
    assert platform_processes(project) == {"deploy/chart/templates/deployment.yaml:helm:api": {
        "role": "web", "runs": ["uvicorn app.main:app"], "replicas": (10, "10 replicas (Helm autoscaling.maxReplicas)"),
        "dockerfile": None, "line": 6}}
    [check] = platform_health_checks(project)
    assert (check.kind, check.path, check.port, check.location.span.line) == ("readiness", "/ready", None, 14)

    chart["deploy/chart/values.yaml"] = "replicas: {}\n"
    project = project_of(tmp_path / "no-autoscaling", {"Dockerfile": DOCKERFILE, **chart})
    [process] = platform_model(project).processes
    assert (process.replicas.value, process.replicas.note, process.replicas.origin.path) == (  # type: ignore[union-attr]
        2, "2 replicas", "deploy/chart/templates/deployment.yaml")

    chart["deploy/chart/values.yaml"] = "replicaCount: 4\n"
    literal = chart["deploy/chart/templates/deployment.yaml"]
    chart["deploy/chart/templates/deployment.yaml"] = literal.replace("replicas: 2", "replicas: {{ .Values.replicaCount }}")
    project = project_of(tmp_path / "from-values", {"Dockerfile": DOCKERFILE, **chart})
    [process] = platform_model(project).processes
    assert (process.replicas.value, process.replicas.note, process.replicas.origin.path) == (  # type: ignore[union-attr]
        4, "4 replicas (Helm values)", "deploy/chart/values.yaml")

    chart["deploy/chart/templates/deployment.yaml"] = literal.replace("- uvicorn", "- {{ .Values.server }}")
    project = project_of(tmp_path / "needs-rendering", {"Dockerfile": DOCKERFILE, **chart})
    assert platform_model(project).processes == []  # an argument that needs rendering: no command, no image of ours


def test_platform_files_are_heroku_app_json_and_production_platform_files(tmp_path: Path) -> None:
    """A web-app manifest named app.json, or a platform file outside production, read before the others,
    is left out and stops nothing."""
    project = project_of(tmp_path, {"a/app.json": '{"name": "pwa", "icons": []}\n', "b/render.yaml": "services: []\n",
                                    "examples/fly.toml": 'app = "demo"\n', "svc/fly.toml": 'app = "svc"\n',
                                    "svc/app.json": '{"formation": {}}\n'})
    assert [source.path for source in platform_files(project)] == ["b/render.yaml", "svc/app.json", "svc/fly.toml"]


def test_a_dockerfile_that_does_not_parse_is_no_image_of_the_process(tmp_path: Path) -> None:
    project = project_of(tmp_path, {"Dockerfile": 'CMD ["uvicorn", "app.main:app"]\n', "fly.toml": """
        app = "shop"

        [processes]
          web = "uvicorn app.main:app"
    """})
    assert platform_processes(project) == {
        "fly.toml:web": {"role": "web", "runs": ["uvicorn app.main:app"],
                         "replicas": (1, "1 machine (`fly scale count` is not in fly.toml)"), "dockerfile": None,
                         "line": 4}}


def test_managed_database_plans_give_the_connection_limit(tmp_path: Path) -> None:
    """One Postgres plan in render.yaml or app.json: its max_connections, where the plan is written (an
    addon string or its `plan:`); two databases, an unknown plan or a plan without a tier give nothing."""
    project = project_of(tmp_path, {
        "render.yaml": "databases:\n  - name: db\n    plan: ' Pro-8GB '\nservices: []\n",
        "two/render.yaml": "databases:\n  - plan: free\n  - plan: free\n",
        "odd/render.yaml": "databases:\n  - plan: [free]\n",
        "unknown/render.yaml": "databases:\n  - plan: enterprise\n",
        "app.json": '{"addons": ["heroku-redis:mini", "heroku-postgresql:essential-2"], "formation": {}}\n',
        "dict/app.json": '{"addons": [{"plan": "heroku-postgresql:standard-0"}], "formation": {}}\n',
        "bare/app.json": '{"addons": ["heroku-postgresql"], "formation": {}}\n',
        "twice/app.json": '{"addons": ["heroku-postgresql:mini", "heroku-postgresql:basic"], "formation": {}}\n',
    })
    limits = {key: (fact.value, fact.note, fact.origin.path, fact.origin.span.line)
              for key, fact in platform_model(project).managed_limits.items()}
    assert limits == {
        "render:render.yaml": (200, "200 max_connections (render plan ` Pro-8GB `)", "render.yaml", 3),
        "heroku:": (40, "40 max_connections (heroku plan `essential-2`)", "app.json", 1),
        "heroku:dict": (120, "120 max_connections (heroku plan `standard-0`)", "dict/app.json", 1),
    }
    # the limit a deployment unit's pools run into: its own platform file's plan (a Procfile's is the app.json
    # beside it); a unit of another kind has no managed plan
    assert {unit: project.database_limit(unit).note for unit in (
        "render:render.yaml", "procfile:Procfile", "heroku:dict/app.json", "procfile:unknown/Procfile",
        "compose:render.yaml")} == {
        "render:render.yaml": "200 max_connections (render plan ` Pro-8GB `)",
        "procfile:Procfile": "40 max_connections (heroku plan `essential-2`)",
        "heroku:dict/app.json": "120 max_connections (heroku plan `standard-0`)",
        "procfile:unknown/Procfile": "100 max_connections (PostgreSQL default)",
        "compose:render.yaml": "100 max_connections (PostgreSQL default)"}


def test_render_services_that_run_nothing_or_check_nothing(tmp_path: Path) -> None:
    """A key-value store is no process; a web service with neither a command nor an image still has its
    health check (of no process); a worker's health check path is not one Render runs."""
    project = project_of(tmp_path, {"render.yaml": """
        services:
          - type: keyvalue
            name: kv
            startCommand: valkey-server
          - type: web
            name: site
            runtime: static
            healthCheckPath: /up
          - type: worker
            name: jobs
            startCommand: python -m app.jobs
            healthCheckPath: /worker-health
    """})
    assert list(platform_processes(project)) == ["render.yaml:jobs"]
    checks = [(c.path, c.owner, c.process) for c in platform_health_checks(project)]
    assert checks == [("/up", "Render service `site`", None)]


def test_fly_roles_and_the_process_each_check_reaches(tmp_path: Path) -> None:
    """`[http_service]` naming its processes makes those web, and `app` a worker; a check's `processes`
    picks its first process; without them the `app` process, else the only process, else none."""
    project = project_of(tmp_path, {"Dockerfile": DOCKERFILE, "fly.toml": """
        app = "shop"

        [processes]
          app = "python -m app.jobs"
          api = "uvicorn app.main:app"

        [http_service]
          internal_port = 8080
          processes = ["api"]

          [[http_service.checks]]
            path = "/api-health"

        [[services]]
          [[services.http_checks]]
            path = "/default"

        [checks.plain]
          path = "/plain"
    """, "solo/Dockerfile": DOCKERFILE, "solo/fly.toml": """
        app = "solo"

        [processes]
          only = "uvicorn app.main:app"

        [http_service]
          [[http_service.checks]]
            path = "/solo"
    """})
    roles = {p.name: p.role for p in platform_model(project).processes}
    assert roles == {"fly.toml:app": "web", "fly.toml:api": "web", "solo/fly.toml:only": "worker"}
    checks = [(c.path, c.port, c.owner, c.process.name if c.process else None) for c in platform_health_checks(project)]
    assert checks == [("/api-health", "8080", "Fly app `shop`", "fly.toml:api"),
                      ("/default", None, "Fly app `shop`", "fly.toml:app"),
                      ("/plain", None, "Fly app `shop`", "fly.toml:app"),
                      ("/solo", None, "Fly app `solo`", "solo/fly.toml:only")]


def test_fly_http_service_without_processes_serves_app(tmp_path: Path) -> None:
    project = project_of(tmp_path, {"Dockerfile": DOCKERFILE, "fly.toml": """
        app = "shop"

        [processes]
          app = "uvicorn app.main:app"
          web = "python -m app.other"

        [http_service]
          internal_port = 8080
    """})
    assert {p.name: p.role for p in platform_model(project).processes} == {"fly.toml:app": "web",
                                                                           "fly.toml:web": "worker"}


def test_railway_replicas_and_builders(tmp_path: Path) -> None:
    """`numReplicas` wins over regions; regions without a number of replicas give the default; a Dockerfile
    path builds that Dockerfile whatever the builder says; no builder at all builds the Dockerfile beside."""
    project = project_of(tmp_path, {
        "a/railway.toml": ('[build]\nbuilder = "nixpacks"\ndockerfilePath = "Dockerfile.api"\n'
                           '[deploy]\nnumReplicas = 2\n[deploy.multiRegionConfig.us]\nnumReplicas = 5\n'),
        "a/Dockerfile.api": DOCKERFILE,
        "b/railway.toml": '[deploy]\nstartCommand = "uvicorn app.main:app"\n[deploy.multiRegionConfig.us]\nx = 1\n'
                          '[deploy.multiRegionConfig.eu]\nnumReplicas = "many"\n',
        "b/Dockerfile": DOCKERFILE,
        "c/railway.json": '{"build": {"builder": "DOCKERFILE"}, "deploy": {"multiRegionConfig": {"us": 3}}}\n',
    })
    assert platform_processes(project) == {
        "a/railway.toml:web": {"role": "web", "runs": ["uvicorn app.main:app --port 8080"],
                               "replicas": (2, "2 replicas (railway numReplicas)"), "dockerfile": "a/Dockerfile.api",
                               "line": 4},
        "b/railway.toml:web": {"role": "web", "runs": ["uvicorn app.main:app"],
                               "replicas": (1, "1 instance (default)"), "dockerfile": "b/Dockerfile", "line": 2},
    }


def test_a_platform_file_of_the_wrong_shape_adds_nothing_and_keeps_the_others(tmp_path: Path) -> None:
    """A fly.toml whose http_service names a table for a process adds nothing; a render.yaml that is no
    mapping, read first, stops nothing: the other files are read."""
    project = project_of(tmp_path, {
        "a/render.yaml": "- not a blueprint\n",
        "b/fly.toml": 'app = "b"\n[processes]\nweb = "uvicorn app.main:app"\n[http_service]\nprocesses = [{a = 1}]\n',
        "c/render.yaml": "services:\n  - name: kept\n    startCommand: uvicorn app.main:app\n    healthCheckPath: /kept\n",
    })
    assert list(platform_processes(project)) == ["c/render.yaml:kept"]
    assert [c.path for c in platform_health_checks(project)] == ["/kept"]


def test_fly_services_that_are_not_tables_are_skipped_and_the_rest_read(tmp_path: Path) -> None:
    """Hostile input: a `services` array that mixes a number with tables (TOML 1.0 allows it) reads the
    tables after the odd entry."""
    project = project_of(tmp_path, {"Dockerfile": DOCKERFILE, "fly.toml": """
        app = "shop"
        services = [1, {internal_port = 9000, http_checks = [{path = "/z"}]}]
    """})
    assert [(c.path, c.port) for c in platform_health_checks(project)] == [("/z", "9000")]
