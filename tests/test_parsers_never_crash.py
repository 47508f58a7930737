"""Crash-freedom of every parser entry point (hypothesis): arbitrary input gives a result or a
ParseError (or the documented error of that entry point), never another exception.

Inputs mix arbitrary text with the characters and fragments each format is built from, so the
parsers' interesting paths are reached, not only their first error. Example counts stay modest
(profile below) so the suite stays fast; `HYPOTHESIS_PROFILE=thorough` runs more.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prodcheck.extract.python import extract
from prodcheck.parsing import ParseError
from prodcheck.parsing.dockerfile import exec_form, parse_assignments
from prodcheck.parsing.dockerfile import parse as parse_dockerfile
from prodcheck.parsing.shell import split_argv, split_script
from prodcheck.parsing.textfiles import parse_env, parse_ini, parse_postgres_conf, parse_procfile, parse_requirements
from prodcheck.parsing.toml import loads as toml_loads
from prodcheck.parsing.yaml import load_documents
import contextlib

settings.register_profile("crash-free", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("thorough", max_examples=2_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "crash-free"))


def _text_from(fragments: list[str]) -> st.SearchStrategy[str]:
    """Text assembled from format fragments and arbitrary characters (controls, NUL, surrogates
    excluded by UTF-8 files anyway, so none)."""
    piece = st.one_of(st.sampled_from(fragments), st.text(max_size=12))
    return st.lists(piece, max_size=40).map("".join)


YAML = _text_from(["\n", "  ", "- ", ": ", "&a ", "*a", "!!python/object:os.system ", "!!binary ", "{", "}", "[",
                   "]", ",", "'", '"', "|", ">", "---\n", "...\n", "? ", "<<: *a\n", "%YAML 1.2\n", "#", "\t", "\x00"])
DOCKERFILE = _text_from(["FROM python:3.12 AS b\n", "RUN ", "CMD ", "ENTRYPOINT ", "USER ", "ENV A=1 B=", "ARG X\n",
                         "COPY . .\n", "\\\n", "[", "]", '"', ",", "${A:-1}", "$X", "#", "\n", "HEALTHCHECK CMD ",
                         "# escape=`\n", "`\n", "ONBUILD ", "<<EOF\n", "EOF\n"])
SHELL = _text_from(["uvicorn app:app --reload", " && ", " || ", ";", "|", "&", "\\\n", "'", '"', "$(", ")", "`",
                    "sh -c ", "bash -lc '", "exec ", "A=1 ", "${A:-4}", "#", "\n", "<<EOF\n", "(", "{", "}", "\\"])
KEYVALUE = _text_from(["A=1\n", "export ", "=", ":", "\n", "'", '"', "#", "[section]\n", "web: ", "\\\n",
                       "max_connections = ", "include '", "-r ", "==", "\t", "\x00", " "])
TOML = _text_from(["a = ", "[t]\n", "[[t]]\n", "{", "}", "[", "]", ",", '"', "'", '"""', "'''", "\n", "1", "1e9",
                   "true", "#", "=", ".", "0x", "9" * 30, "\\u00"])
PYTHON = _text_from(["import os\n", "from fastapi import FastAPI\n", "async def f():\n", "    ", "await ", "def g(",
                     ")", "(", ":", "\n", "create_engine(", "'postgresql://u:p@h/d'", ", echo=True", "os.getenv(",
                     "lambda: ", "match x:\n", "case _:\n", "type X = int\n", "@app.get('/')\n", "9" * 50, "f'{",
                     "}'", "\\", "#", "\t", "class A:\n", "with open('x') as f:\n", "[", "]", "*", "**"])


@PROFILE
@given(YAML)
def test_yaml(text: str) -> None:
    with contextlib.suppress(ParseError):
        load_documents(text)


@PROFILE
@given(DOCKERFILE)
def test_dockerfile(text: str) -> None:
    try:
        view = parse_dockerfile("Dockerfile", text)
    except ParseError:
        return
    assert view is not None


@PROFILE
@given(SHELL)
def test_shell_splitter(text: str) -> None:
    split_script(text)
    split_argv(text.split())
    exec_form(text)
    parse_assignments(text)


@PROFILE
@given(KEYVALUE)
def test_env_ini_procfile_postgres_requirements(text: str) -> None:
    for parser in (parse_env, parse_ini, parse_procfile, parse_postgres_conf, parse_requirements):
        with contextlib.suppress(ParseError):
            parser(text)


@PROFILE
@given(TOML)
def test_toml(text: str) -> None:
    with contextlib.suppress(ParseError):
        toml_loads(text)


@PROFILE
@given(TOML)
def test_toml_configuration(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    from prodcheck.settings import ConfigError, load

    folder = tmp_path_factory.mktemp("config")
    for name, content in ((".prodcheck.toml", text), ("pyproject.toml", "[tool.prodcheck]\n" + text)):
        path = Path(folder) / name
        path.write_text(content, encoding="utf-8")
        with contextlib.suppress(ConfigError):
            load(path)


@PROFILE
@given(PYTHON)
def test_python_extraction(text: str) -> None:
    """The errors the engine turns into PC000 (python_pass._python_work), and nothing else."""
    with contextlib.suppress(SyntaxError, ValueError, RecursionError, MemoryError):
        extract("app/main.py", text.encode("utf-8", "surrogatepass"))


@PROFILE
@given(st.binary(max_size=300))
def test_python_extraction_of_arbitrary_bytes(data: bytes) -> None:
    with contextlib.suppress(SyntaxError, ValueError, RecursionError, MemoryError):
        extract("app/main.py", data)
