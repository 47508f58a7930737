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


def test_secret_name_words() -> None:
    from prodcheck.rules.secrets.secret_values import credential_role, name_words

    assert name_words("NEO4J_PASSWORD") == ["NEO4J", "PASSWORD"]
    assert name_words("K8S_TOKEN") == ["K8S", "TOKEN"]
    assert name_words("s3SecretKey") == ["S3", "SECRET", "KEY"]
    assert name_words("jwtSecretKey") == ["JWT", "SECRET", "KEY"]
    assert credential_role("NEO4J_PASSWORD") == "datastore"
