"""extract/dev_conditions.py: which `if` conditions confine their body to development or tests, read from the
condition's names, attributes and strings (knowledge/dev_guards.toml words); negations and inequalities are
production's branch."""
from __future__ import annotations

import ast

import pytest

from prodcheck.extract.dev_conditions import dev_condition


@pytest.mark.parametrize("condition, expected", [
    ('settings.ENV == "local"', True), ("settings.DEBUG", True), ("settings.is_sqlite()", True),
    ('get_app_config().ENVIRONMENT in ("dev", "test")', True), ("TESTING", True),
    ('settings.ENV != "local"', False), ("not settings.DEBUG", False), ('ENV not in ("local",)', False),
    ("settings.debug_mode is not None", False), ("use_proxy()", False), ('kind == "latest"', False),
    ("request.headers.get('x-deploy-id')", False),
])
def test_conditions(condition: str, expected: bool) -> None:
    assert dev_condition(ast.parse(condition, mode="eval").body) is expected


def test_a_comment_beside_the_condition_is_not_read() -> None:
    tree = ast.parse("if use_cache():  # local development only\n    pass\n")
    assert dev_condition(tree.body[0].test) is False  # type: ignore[attr-defined]
