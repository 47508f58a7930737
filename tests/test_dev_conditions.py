"""extract/dev_conditions.py: which `if` conditions confine their body to a development or test run: the environment
switch compared with development values, or a development flag (knowledge/dev_guards.toml [python_conditions]);
negations, inequalities and other names that happen to say `local` or `sqlite` (a storage provider, a supported
database) are production's branch."""
from __future__ import annotations

import ast

import pytest

from prodcheck.extract.dev_conditions import dev_condition


@pytest.mark.parametrize("condition, expected", [
    ('settings.ENV == "local"', True), ("settings.DEBUG", True), ('"local" == get_app_config().ENV', True),
    ('get_app_config().ENVIRONMENT in ("dev", "test")', True), ("TESTING", True), ("is_development()", True),
    ('settings.APP_ENV == "development" and request.url.path == "/"', True),
    ('settings.ENV != "local"', False), ("not settings.DEBUG", False), ('ENV not in ("local",)', False),
    ("settings.debug_mode is not None", False), ("use_proxy()", False), ('kind == "latest"', False),
    ('provider == "local"', False), ("DB_TYPE == SQLITE", False), ("settings.is_sqlite()", False),
    ('settings.ENV in ("local", "production")', False), ("request.headers.get('x-debug')", False),
])
def test_conditions(condition: str, expected: bool) -> None:
    assert dev_condition(ast.parse(condition, mode="eval").body) is expected


def test_a_comment_beside_the_condition_is_not_read() -> None:
    tree = ast.parse("if use_cache():  # local development only, DEBUG\n    pass\n")
    assert dev_condition(tree.body[0].test) is False  # type: ignore[attr-defined]
