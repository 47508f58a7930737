"""The process model (project/processes.py): what each compose service, Kubernetes container, Procfile
entry, image and start script runs, with the image's ENTRYPOINT/CMD combined as Docker combines them
and start scripts inlined (`"$@"` becomes the command after it)."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_json, write_project
from prodcheck import engine
from prodcheck.model.facts import TOOL_DEFAULT
from prodcheck.project import Project
from prodcheck.project.infra import Process
from prodcheck.settings import Settings

APP = {"app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"}


def project_of(root: Path, files: dict[str, str]) -> Project:
    write_project(root, {**APP, **files})
    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(root, settings)
    return Project(root, discovered, engine.parse_python(root, discovered, settings), settings)


def summary(process: Process) -> tuple[object, ...]:
    return (process.kind, process.role, [" ".join(step.command.argv) for step in process.steps],
            process.replicas.note if process.replicas else None, process.dockerfile, process.command_written,
            process.origin.path, process.origin.span.line)


def processes_of(project: Project) -> dict[str, tuple[object, ...]]:
    return {process.name: summary(process) for process in project.processes}


def test_images_combine_entrypoint_and_cmd(tmp_path: Path) -> None:
    project = project_of(tmp_path, {
        "images/script/Dockerfile": 'FROM python:3.12\nWORKDIR /app\nENTRYPOINT ["/app/start.sh"]\n'
                                    'CMD ["uvicorn", "app.main:app"]\n',
        "images/script/start.sh": '#!/bin/sh\nalembic upgrade head\nexec "$@"\n',
        "images/wrapper/Dockerfile": 'FROM python:3.12\nENTRYPOINT ["sh", "-c"]\n'
                                     'CMD ["alembic upgrade head && gunicorn app.main:app"]\n',
        "images/shell/Dockerfile": "FROM python:3.12\nENTRYPOINT uvicorn app.main:app\nCMD [\"ignored\"]\n",
        "images/tini/Dockerfile": 'FROM python:3.12\nENTRYPOINT ["tini", "--"]\nCMD uvicorn app.main:app --port 80\n',
        "images/program/Dockerfile": 'FROM python:3.12\nENTRYPOINT ["gunicorn"]\nCMD ["app.main:app"]\n',
        "images/none/Dockerfile": "FROM python:3.12\nRUN pip install fastapi\n",
        "scripts/loose.sh": "#!/bin/sh\ncelery -A app.tasks worker\n",
    })
    assert processes_of(project) == {
        "images/none/Dockerfile": ("dockerfile", "web", [], "1 container", "images/none/Dockerfile", True,
                                   "images/none/Dockerfile", 1),
        "images/program/Dockerfile": ("dockerfile", "web", ["gunicorn app.main:app"], "1 container",
                                      "images/program/Dockerfile", True, "images/program/Dockerfile", 3),
        "images/script/Dockerfile": ("dockerfile", "web", ["alembic upgrade head", "uvicorn app.main:app"],
                                     "1 container", "images/script/Dockerfile", True, "images/script/Dockerfile", 4),
        "images/shell/Dockerfile": ("dockerfile", "web", ["uvicorn app.main:app"], "1 container",
                                    "images/shell/Dockerfile", True, "images/shell/Dockerfile", 3),
        "images/tini/Dockerfile": ("dockerfile", "web", ["uvicorn app.main:app --port 80"], "1 container",
                                   "images/tini/Dockerfile", True, "images/tini/Dockerfile", 3),
        "images/wrapper/Dockerfile": ("dockerfile", "web", ["alembic upgrade head", "gunicorn app.main:app"],
                                      "1 container", "images/wrapper/Dockerfile", True, "images/wrapper/Dockerfile", 3),
        "scripts/loose.sh": ("script", "script", ["celery -A app.tasks worker"], "1 process", None, True,
                             "scripts/loose.sh", 1),
    }
    script_steps = next(p for p in project.processes if p.name == "images/script/Dockerfile").steps
    assert [step.via for step in script_steps] == [("images/script/start.sh",), ()]


def test_compose_services(tmp_path: Path) -> None:
    project = project_of(tmp_path, {
        "Dockerfile": 'FROM python:3.12 AS base\nENV WORKERS=2\nCMD ["uvicorn", "app.main:app"]\n'
                      'FROM base AS prod\nCMD ["gunicorn", "app.main:app"]\n',
        "docker-compose.yml": """
            services:
              api:
                build:
                  context: .
                  target: base
                environment:
                  MODE: prod
                deploy:
                  replicas: 3
              worker:
                build: .
                command: celery -A app.tasks worker
                scale: 2
              entry:
                build: .
                entrypoint: ["python", "-m", "app.entry"]
              db:
                image: postgres:16
              shell:
                image: python:3.12
                command: ["python", "-m", "http.server"]
        """,
        "docker-compose.override.yml": """
            services:
              api:
                command: uvicorn app.main:app --reload
              db:
                environment:
                  POSTGRES_DB: app
        """,
    })
    found = {name: summary for name, summary in processes_of(project).items() if name.startswith("docker-compose")}
    assert found == {
        "docker-compose.yml:api": ("compose", "web", ["uvicorn app.main:app"], "3 replicas", "Dockerfile", False,
                                   "docker-compose.yml", 2),
        "docker-compose.yml:worker": ("compose", "web", ["celery -A app.tasks worker"], "2 replicas", "Dockerfile",
                                      True, "docker-compose.yml", 12),
        "docker-compose.yml:entry": ("compose", "web", ["python -m app.entry"], "1 replica (default)", "Dockerfile", True,
                                     "docker-compose.yml", 16),
        "docker-compose.yml:db": ("compose", "other", [], "1 replica (default)", None, True, "docker-compose.yml", 17),
        "docker-compose.yml:shell": ("compose", "web", ["python -m http.server"], "1 replica (default)", None, True,
                                     "docker-compose.yml", 21),
        "docker-compose.override.yml:api": ("compose", "web", ["uvicorn app.main:app --reload"], "1 replica (default)",
                                            "Dockerfile", True, "docker-compose.override.yml", 3),
        # an override of an image-only service runs that image (no build, no command: not a web process)
        "docker-compose.override.yml:db": ("compose", "other", [], "1 replica (default)", None, True,
                                           "docker-compose.override.yml", 4),
    }
    api = next(p for p in project.processes if p.name == "docker-compose.yml:api")
    assert api.target == "base"
    assert {key: value for key, (value, _) in api.env.items()} == {"MODE": "prod", "WORKERS": "2"}
    image = next(p for p in project.processes if p.name == "Dockerfile")
    assert image.role == "image"  # built by compose: checked through its services
    assert [" ".join(step.command.argv) for step in image.steps] == ["gunicorn app.main:app"]  # the last stage


def test_kubernetes_containers_and_procfile(tmp_path: Path) -> None:
    project = project_of(tmp_path, {
        "services/api/Dockerfile": 'FROM python:3.12\nENV PORT=8000\nCMD ["uvicorn", "app.main:app"]\n',
        "services/worker/Dockerfile": 'FROM python:3.12\nCMD ["celery", "-A", "app.tasks", "worker"]\n',
        "k8s/api.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: api
            spec:
              replicas: 4
              template:
                spec:
                  initContainers:
                    - name: migrate
                      image: registry.example/api:1
                      command: ["alembic", "upgrade", "head"]
                  containers:
                    - name: api
                      image: registry.example/api:1
                    - name: args
                      image: registry.example/worker:1
                      args: ["--loglevel", "info"]
                    - name: redis
                      image: redis:7
                      args: ["--maxmemory", "1gb"]
            ---
            apiVersion: batch/v1
            kind: CronJob
            metadata:
              name: nightly
            spec:
              jobTemplate:
                spec:
                  template:
                    spec:
                      containers:
                        - name: job
                          image: busybox
                          command: ["python", "-m", "app.nightly"]
        """,
        "Procfile": "web: uvicorn app.main:app\nrelease: alembic upgrade head\nclock: python -m app.clock\n",
    })
    found = {name: summary for name, summary in processes_of(project).items() if not name.startswith("services/")}
    assert found == {
        "Deployment/api:migrate": ("k8s", "init", ["alembic upgrade head"], "4 replicas", "services/api/Dockerfile",
                                   True, "k8s/api.yaml", 12),
        "Deployment/api:api": ("k8s", "web", ["uvicorn app.main:app"], "4 replicas", "services/api/Dockerfile", False,
                               "k8s/api.yaml", 14),
        # `args` replaces the image's CMD (there is no ENTRYPOINT to hand them to)
        "Deployment/api:args": ("k8s", "web", ["--loglevel info"], "4 replicas",
                                "services/worker/Dockerfile", True, "k8s/api.yaml", 18),
        "Deployment/api:redis": ("k8s", "web", ["--maxmemory 1gb"], "4 replicas", None, True, "k8s/api.yaml", 21),
        "CronJob/nightly:job": ("k8s", "job", ["python -m app.nightly"], "1 pod", None, True,
                                "k8s/api.yaml", 35),
        "Procfile:web": ("procfile", "web", ["uvicorn app.main:app"], "1 dyno (assumed)", None, True, "Procfile", 1),
        "Procfile:release": ("procfile", "release", ["alembic upgrade head"], "1 dyno (assumed)", None, True,
                             "Procfile", 2),
        "Procfile:clock": ("procfile", "worker", ["python -m app.clock"], "1 dyno (assumed)", None, True,
                           "Procfile", 3),
    }
    api = next(p for p in project.processes if p.name == "Deployment/api:api")
    assert api.env["PORT"][0] == "8000"
    assert {p.name: p.role for p in project.processes if p.name.startswith("services/")} == {
        "services/api/Dockerfile": "image", "services/worker/Dockerfile": "image"}


def test_an_image_without_a_command_runs_its_base_images_prestart_and_server(tmp_path: Path) -> None:
    project = project_of(tmp_path, {
        "backend/Dockerfile": "FROM tiangolo/uvicorn-gunicorn-fastapi:python3.11 AS base\nCOPY ./app /app\n"
                              "FROM base\nCOPY prestart.sh /app/prestart.sh\n",
        "backend/prestart.sh": "#!/bin/bash\npython /app/app/backend_pre_start.py\nalembic upgrade head\n",
        "other/prestart.sh": "#!/bin/bash\necho elsewhere\n",
        "plain/Dockerfile": "FROM python:3.12\nCOPY . /app\n",
    })
    image = next(p for p in project.processes if p.name == "backend/Dockerfile")
    assert [(" ".join(s.command.argv), s.location.path, s.location.span.line, s.location.span.column, s.via)
            for s in image.steps] == [
        ("python /app/app/backend_pre_start.py", "backend/prestart.sh", 2, 1, ("backend/prestart.sh",)),
        ("alembic upgrade head", "backend/prestart.sh", 3, 1, ("backend/prestart.sh",)),
        ("gunicorn -k uvicorn.workers.UvicornWorker -c /gunicorn_conf.py", "backend/Dockerfile", 1, 1, ()),
    ]
    assert image.steps[-1].location.span.end_column == len("FROM tiangolo/uvicorn-gunicorn-fastapi:python3.11 AS base") + 1
    assert next(p for p in project.processes if p.name == "plain/Dockerfile").steps == []


def test_kubernetes_workloads_and_their_replicas(tmp_path: Path) -> None:
    project = project_of(tmp_path, {"k8s/all.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
        spec:
          replicas: 2
          template:
            spec:
              containers:
                - image: registry.example/api:1
        ---
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata:
          name: api
        spec:
          scaleTargetRef: {kind: Deployment, name: api}
          maxReplicas: 12
        ---
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata:
          name: broken
        spec:
          scaleTargetRef: {kind: Deployment, name: worker}
          maxReplicas: lots
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: worker
        spec:
          replicas: 3
          template:
            spec:
              containers:
                - name: worker
                  image: registry.example/worker:1
        ---
        apiVersion: v1
        kind: Pod
        spec:
          containers:
            - name: one
              image: busybox
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: api
    """})
    workloads = [(w.kind, w.name, [c.name for c in w.containers], w.replicas.value, w.replicas.note,
                  w.replicas.origin.span.line, w.location.span.line) for w in project.workloads]
    assert workloads == [
        ("Deployment", "api", ["container"], 12, "12 replicas (HPA maxReplicas)", 18, 2),
        ("Deployment", "worker", ["worker"], 3, "3 replicas", 33, 29),
        ("Pod", "Pod", ["one"], 1, "1 pod", 41, 41),
    ]


def test_kubernetes_args_run_by_the_images_shell_wrapper(tmp_path: Path) -> None:
    project = project_of(tmp_path, {
        "Dockerfile": 'FROM python:3.12\nENTRYPOINT ["sh", "-c"]\nCMD ["uvicorn app.main:app"]\n',
        "k8s/api.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: api
            spec:
              template:
                spec:
                  containers:
                    - name: api
                      image: registry.example/api:1
                      args:
                        - alembic upgrade head && uvicorn app.main:app
        """,
    })
    api = next(p for p in project.processes if p.name == "Deployment/api:api")
    assert [(" ".join(s.command.argv), s.location.path, s.location.span.line) for s in api.steps] == [
        ("alembic upgrade head", "k8s/api.yaml", 12), ("uvicorn app.main:app", "k8s/api.yaml", 12)]  # the script's line


def test_units_and_gunicorns_default_config_file(tmp_path: Path) -> None:
    """A systemd unit's process spans its whole ExecStart line; gunicorn without `-c` reads the
    `gunicorn.conf.py` of its working folder, wherever in the repository that file is kept."""
    project = project_of(tmp_path, {
        "deploy/api.service": "[Service]\nUser=app\nExecStart=/opt/venv/bin/gunicorn app.main:app\n",
        "deploy/gunicorn.conf.py": "workers = 8\n",
    })
    unit = next(p for p in project.processes if p.kind == "systemd")
    line = "ExecStart=/opt/venv/bin/gunicorn app.main:app"
    assert (unit.origin.span.line, unit.origin.span.column, unit.origin.span.end_column) == (3, 1, len(line) + 1)
    workers = project.workers(unit)
    assert workers is not None and workers.value == 8 and workers.origin.path == "deploy/gunicorn.conf.py"


@pytest.mark.parametrize("shell", ["sh", "bash", "dash", "ash", "zsh"])
def test_a_script_a_shell_runs_is_followed_into(tmp_path: Path, shell: str) -> None:
    """`CMD ["ash", "scripts/start.sh"]`: the script is what the image runs, for each shell of
    knowledge/commands.toml [shells]."""
    write_project(tmp_path, {
        "app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "scripts/start.sh": "#!/bin/sh\nexec uvicorn app.main:app --reload --host 0.0.0.0\n",
        "Dockerfile": f'FROM python:3.12-slim\nCOPY . /app\nWORKDIR /app\nUSER app\nCMD ["{shell}", "scripts/start.sh"]\n',
    })
    _, report = run_json(tmp_path, "--select", "PC101")
    assert [(f["path"], f["line"]) for f in report["findings"]] == [("scripts/start.sh", 2)]


def test_a_unit_file_as_written_runs_its_web_server(tmp_path: Path) -> None:
    """A systemd unit and a supervisord program as people write them (sections apart, blank lines,
    comments): each command is read wherever it sits in the file, as a web process; gunicorn's
    `workers` set to a value the config computes counts as at least 1 worker, saying so."""
    project = project_of(tmp_path, {
        "deploy/api.service": ("[Unit]\nDescription=Shop API\nAfter=network.target\n\n[Service]\nUser=app\n\n"
                               "ExecStart=/opt/venv/bin/gunicorn -c deploy/gunicorn.conf.py app.main:app\n\n"
                               "[Install]\nWantedBy=multi-user.target\n"),
        "deploy/gunicorn.conf.py": "from app.settings import settings\n\nworkers = settings.web_workers\n",
        "deploy/supervisord.conf": ("; the worker\n[supervisord]\nnodaemon=true\n\n[program:api]\n\n"
                                    "command=uvicorn app.main:app --port 8001\n"),
    })
    found = {p.name: (p.kind, p.role, [" ".join(s.command.argv) for s in p.steps], p.origin.span.line)
             for p in project.processes if p.kind in {"systemd", "supervisor"}}
    assert found == {
        "deploy/api.service:service": ("systemd", "web", ["/opt/venv/bin/gunicorn -c deploy/gunicorn.conf.py app.main:app"], 8),
        "deploy/supervisord.conf:api": ("supervisor", "web", ["uvicorn app.main:app --port 8001"], 7),
    }
    # one process per unit, as a default the tool states (PC402's arithmetic prints the note)
    assert {p.name: (p.replicas.value, p.replicas.certainty, p.replicas.note, p.replicas.origin.span.line)
            for p in project.processes if p.kind in {"systemd", "supervisor"} and p.replicas is not None} == {
        "deploy/api.service:service": (1, TOOL_DEFAULT, "1 process", 8),
        "deploy/supervisord.conf:api": (1, TOOL_DEFAULT, "1 process", 7)}
    unit = next(p for p in project.processes if p.kind == "systemd")
    workers = project.workers(unit)
    assert workers is not None and (workers.value, workers.origin.path, workers.origin.span.line) == (
        1, "deploy/gunicorn.conf.py", 3)
    assert workers.note == "at least 1 worker (gunicorn config `workers` unresolved)"



COMPOSE_FILES = {
    "docker-compose.yml": """services:
  scalar:
    build: ./api
  full:
    build:
      context: ./api
      dockerfile: Dockerfile.prod
      target: runtime
    command: gunicorn app.main:app -w 2
    deploy:
      replicas: 3
  entry:
    build: ./api
    entrypoint: ["uvicorn", "app.main:app", "--port", "9000"]
  hub:
    image: redis:7
  hubcmd:
    image: shop/worker:1
    command: celery -A app.tasks worker
    scale: 2
  envs:
    build:
      context: ./api
    environment:
      APP_ENV: production
""",
    "docker-compose.override.yml": """services:
  scalar:
    command: uvicorn app.main:app --reload
  extra:
    command: python -m app.jobs
""",
    "api/Dockerfile": 'FROM python:3.12\nENV APP_ENV=dev PORT=8000\nCMD ["uvicorn", "app.main:app"]\n',
    "api/Dockerfile.prod": 'FROM python:3.12 AS runtime\nCMD ["uvicorn", "app.main:app"]\n\nFROM runtime AS debug\nCMD ["sleep", "infinity"]\n',
}


def test_compose_services_builds_overrides_and_environments(tmp_path: Path) -> None:
    """_compose: `build:` as a folder or a mapping (context, dockerfile, target), a service an override file
    completes (it inherits the base file's build), an entrypoint written in compose (the image's CMD is not
    run), an image without a command (role other), deploy.replicas and scale, and the environment the
    service sets before the one its Dockerfile's stage declares."""
    project = project_of(tmp_path, COMPOSE_FILES)
    found = {p.name: (p.role, [" ".join(s.command.argv) for s in p.steps], p.replicas.note if p.replicas else None,
                      p.dockerfile, p.target, p.command_written, p.origin.span.line,
                      {k: (v, where.path, where.span.line) for k, (v, where) in sorted(p.env.items())})
             for p in project.processes if p.kind == "compose"}
    assert found == {"docker-compose.override.yml:scalar": ("web",
                                            ["uvicorn app.main:app --reload"],
                                            "1 replica (default)",
                                            "api/Dockerfile",
                                            None,
                                            True,
                                            3,
                                            {"APP_ENV": ("dev", "api/Dockerfile", 2),
                                             "PORT": ("8000", "api/Dockerfile", 2)}),
     "docker-compose.override.yml:extra": ("web",
                                           ["python -m app.jobs"],
                                           "1 replica (default)",
                                           None,
                                           None,
                                           True,
                                           5,
                                           {}),
     "docker-compose.yml:scalar": ("web",
                                   ["uvicorn app.main:app"],
                                   "1 replica (default)",
                                   "api/Dockerfile",
                                   None,
                                   False,
                                   2,
                                   {"APP_ENV": ("dev", "api/Dockerfile", 2),
                                    "PORT": ("8000", "api/Dockerfile", 2)}),
     "docker-compose.yml:full": ("web",
                                 ["gunicorn app.main:app -w 2"],
                                 "3 replicas",
                                 "api/Dockerfile.prod",
                                 "runtime",
                                 True,
                                 9,
                                 {}),
     "docker-compose.yml:entry": ("web",
                                  ["uvicorn app.main:app --port 9000"],
                                  "1 replica (default)",
                                  "api/Dockerfile",
                                  None,
                                  True,
                                  14,
                                  {"APP_ENV": ("dev", "api/Dockerfile", 2), "PORT": ("8000", "api/Dockerfile", 2)}),
     "docker-compose.yml:hub": ("other", [], "1 replica (default)", None, None, True, 15, {}),
     "docker-compose.yml:hubcmd": ("web", ["celery -A app.tasks worker"], "2 replicas", None, None, True, 19, {}),
     "docker-compose.yml:envs": ("web",
                                 ["uvicorn app.main:app"],
                                 "1 replica (default)",
                                 "api/Dockerfile",
                                 None,
                                 False,
                                 21,
                                 {"APP_ENV": ("production", "docker-compose.yml", 25),
                                  "PORT": ("8000", "api/Dockerfile", 2)})}


def test_the_dockerfile_an_image_names_and_the_index_kept_per_candidate_list(tmp_path: Path) -> None:
    """An image names the Dockerfile of the folder its repository's name contains, else the root
    Dockerfile (else a lone candidate). The folder index of a candidate list is worked out once and
    kept while the list is unchanged (the Kubernetes and chart readers ask it once per container);
    a list that grew since is indexed again."""
    image = 'FROM python:3.12-slim\nCMD ["uvicorn", "app.main:app"]\n'
    project = project_of(tmp_path, {"Dockerfile": "# root\n" + image, "api/Dockerfile": "# api\n" + image,
                                    "worker/Dockerfile": "# worker\n" + image})
    model = project.process_model
    by_path = {source.path: (source, view) for source, view in project.dockerfiles}
    candidates = [by_path["api/Dockerfile"], by_path["Dockerfile"]]

    def named(image: str | None) -> str | None:
        found = model.dockerfile_for_image(image, candidates)
        return found[0].path if found is not None else None

    assert named("registry.example/org/api:1.2") == "api/Dockerfile"
    assert named("registry.example/org/worker:1.2") == "Dockerfile"  # no worker folder among the candidates
    first = model._image_index(candidates)[0]
    assert model._image_index(candidates)[0] is first  # kept, not worked out again
    candidates.append(by_path["worker/Dockerfile"])
    assert named("registry.example/org/worker:1.2") == "worker/Dockerfile"  # the grown list, indexed again
    assert model.dockerfile_for_image("org/api", [by_path["worker/Dockerfile"]])[0].path == "worker/Dockerfile"
    assert model.dockerfile_for_image("org/api", []) is None


@pytest.mark.parametrize("source", ["docker/entry.sh", "./docker/entry.sh", "/docker/entry.sh", "entry.sh"])
def test_a_script_copied_under_another_name_is_the_one_the_image_runs(tmp_path: Path, source: str) -> None:
    """`COPY docker/entry.sh /app/run.sh` then `CMD ["/app/run.sh"]`: the image runs docker/entry.sh, found
    from the build context however the source is written (`./x`, `/x`: Docker reads both in the context)
    and from the Dockerfile's own folder."""
    dockerfile = "docker/Dockerfile" if source == "entry.sh" else "Dockerfile"
    project = project_of(tmp_path, {
        "docker/entry.sh": "#!/bin/sh\nexec gunicorn app.main:app -k uvicorn.workers.UvicornWorker\n",
        dockerfile: f'FROM python:3.12-slim\nCOPY {source} /app/run.sh\nUSER app\nCMD ["/app/run.sh"]\n'})
    [image] = [p for p in project.processes if p.kind == "dockerfile"]
    assert [" ".join(step.command.argv) for step in image.steps] == [
        "gunicorn app.main:app -k uvicorn.workers.UvicornWorker"]
    assert [step.via for step in image.steps] == [("docker/entry.sh",)]


def test_a_start_scripts_variables_are_put_into_the_commands_after_them() -> None:
    """A script's own assignments are substituted into the commands below them, a command made only of
    variables too; a variable used before its assignment, or never assigned, stays as written."""
    from prodcheck.parsing.shell import split_script
    from prodcheck.project.processes import with_script_variables

    text = 'echo $APP\nAPP=app.main:app\nSERVER=gunicorn\n$SERVER $APP\ngunicorn "$APP" -w $W\nexec uvicorn app.main:app\n'
    assert [(c.line, c.argv) for c in with_script_variables(split_script(text), text)] == [
        (1, ("echo", "$APP")), (4, ("gunicorn", "app.main:app")), (5, ("gunicorn", "app.main:app", "-w", "$W")),
        (6, ("uvicorn", "app.main:app"))]


def test_the_gunicorn_config_file_a_command_names(tmp_path: Path) -> None:
    """`-c` as a path with its folder, a bare file name found in a folder, `python:` and a dotted module name
    name the repository's file; a file the repository does not have is known to be missing; without `-c`,
    none is named (gunicorn then reads ./gunicorn.conf.py, which this repository does not have)."""
    project = project_of(tmp_path, {
        "deploy/gunicorn_conf.py": "workers = 4\n",
        "Procfile": ("web: gunicorn -c deploy/gunicorn_conf.py app.main:app\n"
                     "bare: gunicorn -c gunicorn_conf.py app.main:app\n"
                     "module: gunicorn -c python:deploy.gunicorn_conf app.main:app\n"
                     "missing: gunicorn -c deploy/nothing.py app.main:app\n"
                     "default: gunicorn app.main:app\n")})
    paths = {p.name: project.gunicorn_config_path(p.server[1]) for p in project.processes if p.server is not None}
    assert paths == {"Procfile:web": ("deploy/gunicorn_conf.py", True), "Procfile:bare": ("deploy/gunicorn_conf.py", True),
                     "Procfile:module": ("deploy/gunicorn_conf.py", True), "Procfile:missing": (None, False),
                     "Procfile:default": (None, True)}
    web = next(p for p in project.processes if p.name == "Procfile:web")
    workers = project.workers(web)
    assert workers is not None and (workers.value, workers.origin.path) == (4, "deploy/gunicorn_conf.py")


def test_a_config_file_named_with_c_counts_whatever_its_name(tmp_path: Path) -> None:
    """gunicorn reads the file `-c` names whatever it is called: its `workers` is the process's worker
    count (a file named like a config file is not needed), and a file it does not name is not read."""
    project = project_of(tmp_path, {
        "deploy/prod_settings.py": "bind = '0.0.0.0:8000'\nworkers = 6\n",
        "deploy/other_settings.py": "workers = 9\n",
        "Procfile": ("web: gunicorn -c deploy/prod_settings.py app.main:app\n"
                     "module: gunicorn -c python:deploy.prod_settings app.main:app\n"
                     "plain: gunicorn app.main:app\n")})
    counts = {}
    for process in project.processes:
        workers = project.workers(process)
        counts[process.name] = None if workers is None else (workers.value, workers.origin.path)
    assert counts["Procfile:web"] == (6, "deploy/prod_settings.py")
    assert counts["Procfile:module"] == (6, "deploy/prod_settings.py")
    assert counts["Procfile:plain"] != (9, "deploy/other_settings.py")


def test_a_scripts_own_arguments_are_what_its_exec_runs(tmp_path: Path) -> None:
    """`exec "$@"` in a start script runs the arguments the script was given: the words after it in an
    exec-form ENTRYPOINT (CMD's words follow them), or in a Procfile or compose command."""
    project = project_of(tmp_path, {
        "Dockerfile": 'FROM python:3.12\nWORKDIR /app\nENTRYPOINT ["/app/start.sh", "uvicorn"]\n'
                      'CMD ["app.main:app", "--reload"]\n',
        "start.sh": '#!/bin/sh\nalembic upgrade head\nexec "$@"\n',
        "Procfile": "web: ./start.sh gunicorn app.main:app\nworker: sh ./start.sh celery -A app.tasks worker\n",
    })
    commands = {p.name: [" ".join(s.command.argv) for s in p.steps] for p in project.processes}
    assert commands["Dockerfile"] == ["alembic upgrade head", "uvicorn app.main:app --reload"]
    assert commands["Procfile:web"] == ["alembic upgrade head", "gunicorn app.main:app"]
    assert commands["Procfile:worker"] == ["alembic upgrade head", "celery -A app.tasks worker"]


@pytest.mark.parametrize("cmd", ['["sh", "/app/run.sh"]', '["/bin/bash", "run.sh"]', '["/app/run.sh", "--workers", "2"]'])
def test_a_copied_script_a_shell_runs_or_given_arguments_is_the_one_the_image_runs(tmp_path: Path, cmd: str) -> None:
    """The renamed copy is found as the script a shell runs (`sh /app/run.sh`, `bash run.sh` in the WORKDIR) and as
    the program itself when arguments follow it."""
    project = project_of(tmp_path, {
        "docker/entry.sh": "#!/bin/sh\nexec gunicorn app.main:app -k uvicorn.workers.UvicornWorker\n",
        "Dockerfile": f'FROM python:3.12-slim\nWORKDIR /app\nCOPY docker/entry.sh /app/run.sh\nUSER app\nCMD {cmd}\n'})
    [image] = [p for p in project.processes if p.kind == "dockerfile"]
    assert [" ".join(step.command.argv) for step in image.steps] == [
        "gunicorn app.main:app -k uvicorn.workers.UvicornWorker"]


def test_a_service_that_extends_another_runs_the_command_it_inherits(tmp_path: Path) -> None:
    """`extends: {file: docker-compose.yaml, service: server}` in a production compose file: the service builds
    what the base service builds and runs its entrypoint, unless it sets its own (Docker Compose's `extends`)."""
    project = project_of(tmp_path, {
        "Containerfile": 'FROM python:3.12-slim\nCMD ["python", "-m", "app"]\n',
        "docker-compose.yaml": ('services:\n  server:\n    build:\n      context: .\n      dockerfile: ./Containerfile\n'
                                '    entrypoint: ["/run_server.sh"]\n  worker:\n    build: .\n'
                                '    command: ["celery", "-A", "app.tasks", "worker"]\n'),
        "deploy/docker-compose-prod.yaml": ("services:\n  server:\n    extends:\n      file: ../docker-compose.yaml\n"
                                            "      service: server\n  jobs:\n    extends: tasks\n"
                                            "    command: [\"python\", \"-m\", \"app.jobs\"]\n  tasks:\n"
                                            "    extends:\n      file: ../docker-compose.yaml\n      service: worker\n"),
        "run_server.sh": "#!/bin/sh\nexec gunicorn app.main:app\n",
    })
    found = {p.name: ([" ".join(s.command.argv) for s in p.steps], p.dockerfile)
             for p in project.processes if p.kind == "compose"}
    assert found["deploy/docker-compose-prod.yaml:server"] == (["gunicorn app.main:app"], "Containerfile")
    assert found["deploy/docker-compose-prod.yaml:tasks"][0] == ["celery -A app.tasks worker"]
    assert found["deploy/docker-compose-prod.yaml:jobs"][0] == ["python -m app.jobs"]  # its own command
