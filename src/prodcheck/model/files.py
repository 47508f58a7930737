from __future__ import annotations

from enum import StrEnum


class FileKind(StrEnum):
    PYTHON = "py"
    DOCKERFILE = "dockerfile"
    COMPOSE = "compose"
    K8S = "k8s"
    WORKFLOW = "workflow"
    PROCFILE = "procfile"
    SHELL = "shell"
    ENV = "env"
    REQUIREMENTS = "requirements"
    PYPROJECT = "pyproject"
    ALEMBIC_INI = "alembic.ini"
    GUNICORN_CONF = "gunicorn.conf.py"
    POSTGRES_CONF = "postgresql.conf"
    YAML = "yaml"  # YAML that is none of the above until its documents say otherwise
    PLATFORM = "platform"  # render.yaml, fly.toml, railway.json, app.json
    DOCKERIGNORE = "dockerignore"  # .dockerignore, <Dockerfile>.dockerignore: what a build context leaves out
    SYSTEMD = "systemd"  # *.service units: ExecStart= is a process
    SUPERVISOR = "supervisor"  # supervisord.conf and supervisor/*.conf: [program:x] command= is a process
    MAKEFILE = "makefile"  # Makefile, *.mk, justfile: read for the targets that build and deploy
    LOCKFILE = "lockfile"  # poetry.lock, uv.lock, Pipfile.lock, pdm.lock, requirements*.lock: existence only, never read


class Context(StrEnum):
    PROD = "prod"
    DEV = "dev"
    TEST = "test"
    AMBIGUOUS = "ambiguous"  # nothing places it while other files are production: one severity lower
