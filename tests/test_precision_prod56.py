"""Patterns real repositories outside the labelled set showed prodcheck getting wrong on what production runs and on
placeholder values (stop 56)."""
from __future__ import annotations

from pathlib import Path

from conftest import run_json

FIXTURES = Path(__file__).parent / "fixtures" / "precision"


def test_database_urls_spelled_in_another_language_are_placeholders() -> None:
    """Langchain-Chatchat documents its text-to-SQL connection as `mysql+pymysql://用户名:密码@主机地址/数据库名称`
    ("user name:password@host address/database name"): a host written in Chinese or Cyrillic letters is no host a
    driver connects to, so the URL is a placeholder, as `USER:PASSWORD@HOST` is. A real URL beside it stays."""
    _, report = run_json(FIXTURES / "PC301-native-language-placeholders", "--select", "PC301")
    assert [(f["code"], f["path"], f["line"]) for f in report["findings"]] == [("PC301", "app/settings.py", 12)]


def test_service_credentials_take_the_role_of_what_they_open() -> None:
    """h2ogpt's `os.environ.get("HUGGINGFACEHUB_API_TOKEN", 'foo')`: LangChain's name of the Hugging Face token is a
    credential for another company's service, whose made-up default opens nothing (info), as `HF_TOKEN` is; the
    application's own signing key keeps its warning. QAnything's `minio` service sets `MINIO_SECRET_KEY: minioadmin`
    and publishes no port: the store the secret opens is that service, reachable only inside the stack (a warning,
    as an unpublished PostgreSQL's password is), while the MySQL service that publishes its port stays an error."""
    _, report = run_json(FIXTURES / "PC302-service-credentials", "--select", "PC302")
    assert sorted((f["path"], f["line"], f["severity"]) for f in report["findings"]) == [
        ("app/embeddings.py", 8, "info"),
        ("app/embeddings.py", 9, "info"),
        ("app/embeddings.py", 11, "warning"),
        ("docker-compose.yml", 11, "warning"),
        ("docker-compose.yml", 12, "warning"),
        ("docker-compose.yml", 19, "error"),
    ]


def test_a_reloader_behind_a_command_line_flag_production_does_not_give() -> None:
    """MinerU's `mineru-api` command: `@click.option("--reload", is_flag=True)` and `if reload: uvicorn.run(...,
    reload=True)`; production runs the command without `--reload`, so the reloader is development's (info). An
    argparse `store_true` flag the compose stack does give stays an error."""
    _, report = run_json(FIXTURES / "PC101-cli-flag-gate", "--select", "PC101")
    found = {f["path"]: (f["line"], f["severity"], f["context"]) for f in report["findings"]}
    assert found == {"app/cli.py": (12, "info", "dev"), "app/worker_api.py": (12, "error", "prod")}


def test_a_command_substitution_does_not_split_the_server_command() -> None:
    """autogen studio's `CMD gunicorn -w $((2 * $(getconf _NPROCESSORS_ONLN) + 1)) ...`: the substitution is part of the
    `-w` word, so the shell form runs one command, gunicorn (not "3 commands" ending in `+`); a compose `sh -c` that
    runs `alembic upgrade head && gunicorn -w $(nproc) ...` ends in gunicorn without `exec` (it read as ending in `-k`,
    no server, and was missed); one that `exec`s it is fine."""
    _, report = run_json(FIXTURES / "PC104-command-substitution", "--select", "PC104")
    found = {(f["path"], f["line"]): f["message"] for f in report["findings"]}
    assert sorted(found) == [("Dockerfile", 7), ("docker-compose.yml", 6)]
    assert found[("Dockerfile", 7)].startswith("`CMD` in shell form: `gunicorn` runs under `/bin/sh -c`")
    assert "before `gunicorn`" in found[("docker-compose.yml", 6)]
