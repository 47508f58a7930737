"""The secret-name and secret-value heuristics behind PC205, PC302, PC303 and PC305."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_json, write_project
from prodcheck.rules.secrets.secret_values import is_env_file_name, is_secret_name, is_secret_value


@pytest.mark.parametrize("name", ["SECRET_KEY", "jwtSecret", "POSTGRES_PASSWORD", "DB_PWD", "SMTP_PASS", "API_KEY",
                                  "stripe_api_key", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "client_secret",
                                  "PRIVATE_KEY", "FERNET_KEY", "SECURITY_PASSWORD_SALT"])
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["PWD", "KEY", "DATABASE_URL", "AWS_ACCESS_KEY_ID", "PASSWORD_FILE", "JWT_ALGORITHM",
                                  "ACCESS_TOKEN_EXPIRE_MINUTES", "tokenUrl", "TOKENIZER_PATH", "SECRET_NAME",
                                  "TOKEN_TYPE", "SENTRY_DSN", "PASSWORD_MIN_LENGTH"])
def test_not_secret_names(name: str) -> None:
    assert not is_secret_name(name)


@pytest.mark.parametrize("value", ["s3cretpw", "postgres", "password", "9f3b2c71d4e8", "dev-only-not-for-production"])
def test_secret_values(value: str) -> None:
    assert is_secret_value(value)


@pytest.mark.parametrize("value", ["", "  ", "changeme", "changethis", "CHANGE_ME", "<password>", "your-secret-key",
                                   "${SECRET}", "${{ secrets.X }}", "$(DB_PASS)", "$SECRET", "/run/secrets/x",
                                   "true", "xxx", "***", "smtp_password", "put-your-key-here", "0000", "aaaaaa"])
def test_not_secret_values(value: str) -> None:
    assert not is_secret_value(value)


def test_key_constants_only_in_code() -> None:
    assert not is_secret_value("password", "PASSWORD")
    assert is_secret_value("password")


def test_env_file_names() -> None:
    assert is_env_file_name(".env") and is_env_file_name(".env.production") and is_env_file_name("prod.env")
    assert not is_env_file_name(".env.example") and not is_env_file_name(".env.sample.local")
    assert not is_env_file_name(".envrc")


def test_lowercase_secret_module_is_parsed(tmp_path: Path) -> None:
    """A module with nothing but a lowercase secret still reaches PC302 (the parse prefilter knows the words)."""
    root = write_project(tmp_path, {"app/keys.py": 'stripe_api_key = "sk_live_51H8xYz9Qw2Lk7Rt4Vb6Np3M"\n'})
    _, report = run_json(root, "--select", "PC302")
    assert [(f["path"], f["line"]) for f in report["findings"]] == [("app/keys.py", 1)]
    assert "sk_live" not in report["findings"][0]["message"]


def test_the_key_of_a_credential_in_a_kubernetes_secret_is_not_a_secret_name() -> None:
    from prodcheck.rules.secrets.secret_values import is_secret_name

    assert not is_secret_name("WORKER_API_KEY_SECRET_KEY")  # `value: key`: which key of the Secret
    assert not is_secret_name("PASSWORD_SECRET_KEY")
    assert is_secret_name("DJANGO_SECRET_KEY") and is_secret_name("API_SECRET_KEY")
    # The key that signs tokens, not the key of a token in a Secret (fastapi_best_architecture's .env).
    assert is_secret_name("TOKEN_SECRET_KEY") and is_secret_name("ACCESS_TOKEN_SECRET_KEY")


def test_secret_object_names_are_the_names_of_secrets_and_of_references_to_them(tmp_path: Path) -> None:
    """A Secret's own name and the names secretKeyRef/secretRef point at; the name of any other object (a
    ConfigMap, a Deployment) is no secret's name."""
    from conftest import project_model
    from prodcheck.project.secret_names import secret_object_names

    manifests = """\
apiVersion: v1
kind: Secret
metadata:
  name: db-creds
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: api:1.0
          envFrom:
            - secretRef:
                name: api-env
"""
    project = project_model(tmp_path, {"app.py": "from fastapi import FastAPI\napp = FastAPI()\n", "k8s/app.yaml": manifests})
    assert secret_object_names(project) == {"db-creds", "api-env"}


def test_a_command_s_secret_option_written_with_a_json_escape(tmp_path: Path) -> None:
    """PC302 reads `--option=value` in Dockerfile commands only where the text can hold an `=`: an exec form's
    `\\u003d` is one the text does not show."""
    root = write_project(tmp_path, {
        "Dockerfile": 'FROM python:3.12\nRUN apt-get update\nCMD ["app", "--api-key\\u003dQm9vYmFyYmF6cXV4MTIz"]\n',
    })
    _code, report = run_json(root, "--no-cache", "--select", "PC302")
    assert [(f["code"], f["line"]) for f in report["findings"]] == [("PC302", 3)]
