"""Patterns real repositories outside the labelled set showed prodcheck getting wrong on what production runs and on
non-secrets (stop 57)."""
from __future__ import annotations

from pathlib import Path

from conftest import run_json

FIXTURES = Path(__file__).parent / "fixtures" / "precision"


def test_a_digit_inside_an_upper_case_word_does_not_split_it() -> None:
    """DB-GPT's `os.getenv("NEO4J_PASSWORD", "neo4j")`: `NEO4J` is one word (the datastore), not `NEO4` and `J`,
    so the fallback is a datastore's plain default (info), as `ELASTICSEARCH_PASSWORD`'s is; a camelCase digit
    boundary (`s3SecretKey`) still splits, and the application's own session secret keeps its warning."""
    _, report = run_json(FIXTURES / "PC302-digit-in-service-name", "--select", "PC302")
    assert sorted((f["path"], f["line"], f["severity"]) for f in report["findings"]) == [
        ("app/graph.py", 8, "info"),
        ("app/graph.py", 9, "info"),
        ("app/graph.py", 10, "warning"),
    ]


def test_installing_wheels_already_on_disk_caches_nothing() -> None:
    """Frigate's final stage runs `pip3 install -U /deps/wheels/*.whl` from a bind mount of the stage that built
    them: pip caches what it downloads and the wheels it builds, and this does neither; nor does
    `--no-index --find-links=/wheels`. A wheel file beside an index package, or a wheel fetched by URL, is still
    downloaded, and stays a finding."""
    _, report = run_json(FIXTURES / "PC702-local-wheels", "--select", "PC702")
    assert [(f["path"], f["line"]) for f in report["findings"]] == [("Dockerfile", 10), ("Dockerfile", 11)]


def test_secret_name_words() -> None:
    from prodcheck.rules.secrets.secret_values import credential_role, name_words

    assert name_words("NEO4J_PASSWORD") == ["NEO4J", "PASSWORD"]
    assert name_words("K8S_TOKEN") == ["K8S", "TOKEN"]
    assert name_words("s3SecretKey") == ["S3", "SECRET", "KEY"]
    assert name_words("jwtSecretKey") == ["JWT", "SECRET", "KEY"]
    assert credential_role("NEO4J_PASSWORD") == "datastore"


def test_from_a_stage_of_another_dockerfile_is_a_named_build_context() -> None:
    """Frigate's board-specific Dockerfiles start `FROM wheels` and `FROM deps`, stages of the main Dockerfile that
    `docker buildx bake` hands in as named contexts (`contexts = { deps = "target:deps" }`): no image called `deps`
    is pulled, so there is no tag to pin. A stage named after its own base image (`FROM node:20.11-slim AS node`)
    names no context: another Dockerfile's bare `FROM node` is still Docker Hub's `node:latest`."""
    _, report = run_json(FIXTURES / "PC203-named-build-context", "--select", "PC203")
    assert [(f["path"], f["line"], f["severity"]) for f in report["findings"]] == [
        ("web/Dockerfile.static", 1, "info")]


def test_a_getenv_placeholder_of_a_signing_key_is_what_production_signs_with() -> None:
    """`os.getenv("SESSION_SECRET", "your-session-secret")`: as a settings field's placeholder default, it is the key
    production signs sessions with whenever the variable is unset, and nothing refuses it (a warning). A placeholder
    the code refuses at import (`if JWT_SECRET == "change-me": raise`), and a placeholder API key of another company's
    service (rejected there, it opens nothing), stay quiet."""
    _, report = run_json(FIXTURES / "PC302-getenv-placeholder", "--select", "PC302")
    assert [(f["path"], f["line"], f["severity"]) for f in report["findings"]] == [
        ("app/security.py", 3, "warning")]


def test_a_compose_file_only_development_includes_is_development() -> None:
    """AgentOps' app/compose.yaml (a bind-mounted source tree: development) pulls in
    opentelemetry-collector/compose.yaml with a top-level `include:`; nothing else runs that file, so its collector,
    its ClickHouse and their `${CLICKHOUSE_PASSWORD:-password}` are the development stack's, not production's.
    A compose file a production stack includes as well stays production."""
    _, report = run_json(FIXTURES / "context-compose-included")
    placed = sorted((f["code"], f["path"], f["line"], f["severity"], f["context"]) for f in report["findings"])
    assert placed == [
        ("PC101", "compose.yaml", 7, "info", "dev"),
        ("PC201", "collector/Dockerfile", 1, "info", "dev"),
        ("PC302", "shared/compose.yaml", 6, "warning", "prod"),
        ("PC606", "deploy/compose.yaml", 4, "warning", "prod"),
        ("PC606", "shared/compose.yaml", 2, "warning", "prod"),
    ]
    reasons = {f["path"]: f["context_reason"] for f in report["findings"]}
    assert reasons["collector/Dockerfile"].startswith("built only by collector/compose.yaml, a development compose file")
