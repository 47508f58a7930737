"""project/image_roles.py: an image stage that is no long-running service (an AWS Lambda function, a build
step whose whole command copies or bundles), and a line inside a settings class named for tests or development."""
from __future__ import annotations

import pytest

from prodcheck.extract.python import extract
from prodcheck.model.files import Context
from prodcheck.parsing.dockerfile import parse
from prodcheck.project.image_roles import image_purpose, settings_class_context


def _purpose(text: str) -> str | None:
    view = parse("Dockerfile", text)
    stage = view.stage()
    assert stage is not None
    return image_purpose(view, stage)


def test_a_lambda_base_image_is_a_function() -> None:
    why = _purpose("FROM public.ecr.aws/lambda/python:3.12\nCMD [\"app.handler\"]\n")
    assert why is not None and why.startswith("an AWS Lambda function image (`FROM public.ecr.aws/lambda/python:3.12`)")


@pytest.mark.parametrize("commands", ['CMD ["cp", "-r", "/build", "/out"]', 'ENTRYPOINT ["zip", "-r", "/out/layer.zip", "."]',
                                      'ENTRYPOINT ["mkdir", "-p", "/out"]\nCMD ["true"]'])
def test_a_command_that_only_copies_or_bundles_is_a_build_step(commands: str) -> None:
    why = _purpose(f"FROM alpine:3.20\n{commands}\n")
    assert why is not None and why.startswith("a build step: its command only copies or bundles files (`")


@pytest.mark.parametrize("commands", ['CMD ["uvicorn", "app:app"]', 'ENTRYPOINT ["cp", "-r", "/a", "/b"]\nCMD ["uvicorn", "app:app"]',
                                      'ENTRYPOINT ["gunicorn", "app:app"]', ""])
def test_a_service_or_no_command_has_no_purpose(commands: str) -> None:
    assert _purpose(f"FROM python:3.12-slim\n{commands}\n") is None


_SETTINGS = b'''\
class Base:
    DEBUG = False


class TestConfig(Base):
    DATABASE_URL = "postgresql://a"
    POOL = 1


class Holder:
    NAME = "x"

    class DevelopmentSettings:
        DATABASE_URL = "postgresql://b"


class ProductionConfig(Base):
    DATABASE_URL = "postgresql://c"


class TestingConfiguration:
    URL = 1


class TestsSettings:
    URL = 1


class LocalConfig:
    URL = 1


class DebugConfig:
    URL = 1


class DevConfiguration:
    URL = 1


class TestHelper:
    URL = 1
'''


def _context(path: str, line: int) -> Context | None:
    placement = settings_class_context(extract(path, _SETTINGS), line)
    return placement.context if placement is not None else None


def test_a_settings_class_named_for_tests_or_development_places_its_lines() -> None:
    found = settings_class_context(extract("app/config.py", _SETTINGS), 6)
    assert found is not None and found.context == Context.TEST
    assert found.reason == "inside `TestConfig`, the settings of the test environment"
    nested = settings_class_context(extract("app/config.py", _SETTINGS), 14)
    assert nested is not None and nested.context == Context.DEV
    assert nested.reason == "inside `DevelopmentSettings`, the settings of a development environment"


def test_the_class_spans_from_its_def_line_to_its_last_line() -> None:
    assert _context("app/config.py", 5) == _context("app/config.py", 7) == Context.TEST
    assert _context("app/config.py", 4) is None  # the blank line between the classes
    assert _context("app/config.py", 2) is None  # inside Base


@pytest.mark.parametrize(("line", "expected"), [(22, Context.TEST), (26, Context.TEST), (30, Context.DEV),
                                                (34, Context.DEV), (38, Context.DEV), (42, None), (11, None)])
def test_each_word_of_the_class_name(line: int, expected: Context | None) -> None:
    assert _context("app/config.py", line) == expected


def test_a_production_class_is_production_wherever_its_module_is() -> None:
    assert _context("app/local_dev/config.py", 18) is None
    assert _context("app/config.py", 18) is None
    assert settings_class_context(None, 6) is None
