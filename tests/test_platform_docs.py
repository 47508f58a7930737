"""Platform files as documents with locations (project/platform_docs.py): plain values by key path, where
each is written (TOML lines from the small `key = value` index, YAML node spans), commands in each of the
forms a platform takes (a shell string, an argv list, a list of shell commands), and integer facts."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import project_model

from prodcheck.model.files import Context, FileKind
from prodcheck.parsing.toml import loads
from prodcheck.project import Project
from prodcheck.project.platform_docs import Doc, TomlDoc, YamlDoc, load_doc, toml_index
from prodcheck.project.sources import SourceFile

FLY = """app = "shop"  # the app
primary_region = 'ams'

[build]
  dockerfile = "Dockerfile"

[env]
  "QUOTED.KEY" = "1"
  site.name = "x"
  NOTES = \"\"\"
  [not_a_table]
  fake = 1
  \"\"\"
  AFTER = "2"

[[services]]  # first
  internal_port = 8080
  [[services.http_checks]]
    path = "/a"
  [[services.http_checks]]
    path = "/b"

[[services]]
  internal_port = 9000
  [[services.http_checks]]
    path = "/c"

[processes]
  web = "gunicorn app.main:app"
  worker = ["celery", "-A", "app.tasks", "worker"]
  setup = ["alembic upgrade head", "python -m app.seed"]
  padded = [" uvicorn", "app.main:app"]
  empty = []
  mixed = ["python", 3]
  count = " 4 "
  word = "four"
"""


def _toml(text: str = FLY, path: str = "fly.toml") -> TomlDoc:
    return TomlDoc(SourceFile(path, FileKind.PLATFORM, Context.PROD, text=text), loads(text), toml_index(text))


def test_the_toml_index_knows_every_key_and_table() -> None:
    index = toml_index(FLY)
    assert index[("app",)] == (1, 7) and index[("primary_region",)] == (2, 18)
    assert index[("build",)] == (4, 1) and index[("build", "dockerfile")] == (5, 16)
    assert index[("env", "QUOTED.KEY")] == (8, 18) and index[("env", "site", "name")] == (9, 15)
    assert ("not_a_table",) not in index and ("env", "fake") not in index  # inside a multi-line string
    assert index[("env", "AFTER")] == (14, 11)
    assert index[("services", 0)] == (16, 1) and index[("services", 1)] == (23, 1)
    assert index[("services", 0, "http_checks", 0, "path")] == (19, 12)
    assert index[("services", 0, "http_checks", 1, "path")] == (21, 12)
    assert index[("services", 1, "http_checks", 0)] == (25, 1)  # a new services table restarts its checks
    assert index[("services", 1, "http_checks", 0, "path")] == (26, 12)


def test_toml_index_of_a_single_quoted_multi_line_string_and_a_table_with_a_key_line() -> None:
    text = "a = '''\n[x]\nb = 1\n'''\nc = \"\"\"one line\"\"\"\nd = 2\n"
    assert toml_index(text) == {("a",): (1, 5), ("c",): (5, 5), ("d",): (6, 5)}


def test_toml_values_by_path() -> None:
    doc = _toml()
    assert doc.value("build", "dockerfile") == "Dockerfile"
    assert doc.value("services", 1, "internal_port") == 9000
    assert doc.value("services", 2, "internal_port") is None
    assert doc.value("services", 0, "http_checks", 1, "path") == "/b"
    assert doc.value("build", 0) is None and doc.value("app", "x") is None and doc.value("nothing") is None
    assert doc.value() == doc.data


def test_toml_locations_fall_back_to_the_table_then_the_first_line() -> None:
    doc = _toml()
    where = doc.location("build", "dockerfile")
    assert (where.path, where.span.line, where.span.column, where.span.end_line, where.span.end_column) == \
        ("fly.toml", 5, 16, 5, len('  dockerfile = "Dockerfile"') + 1)
    assert doc.location("build", "image").span.line == 4
    assert doc.location("services", 1, "http_checks", 0, "method").span.line == 25
    assert doc.location("deploy", "release_command").span.line == 1
    assert doc.location("deploy").span.line == 1


def test_commands_in_every_form() -> None:
    doc = _toml()

    def argv(*path: str) -> list[list[str]]:
        return [list(command.argv) for command in doc.commands(*path)]

    assert argv("processes", "web") == [["gunicorn", "app.main:app"]]
    assert argv("processes", "worker") == [["celery", "-A", "app.tasks", "worker"]]
    assert argv("processes", "setup") == [["alembic", "upgrade", "head"], ["python", "-m", "app.seed"]]
    assert argv("processes", "padded") == [[" uvicorn", "app.main:app"]]  # an argv list, not shell
    assert argv("processes", "empty") == [] and argv("processes", "mixed") == [] and argv("processes", "none") == []
    assert argv("services") == []
    assert {command.line for command in doc.commands("processes", "setup")} == {31}


def test_integer_facts() -> None:
    doc = _toml()
    fact = doc.int_fact("replicas (test)", "services", 0, "internal_port")
    assert fact is not None and (fact.value, fact.note, fact.origin.span.line) == (8080, "8080 replicas (test)", 17)
    count = doc.int_fact("machines", "processes", "count")
    assert count is not None and count.value == 4
    assert doc.int_fact("x", "processes", "word") is None
    assert doc.int_fact("x", "processes", "missing") is None
    assert doc.int_fact("x", "processes") is None and doc.int_fact("x", "processes", "worker") is None


def test_a_doc_of_no_format_reads_nothing() -> None:
    doc = Doc(SourceFile("x.toml", FileKind.PLATFORM, Context.PROD, text=""))
    with pytest.raises(NotImplementedError):
        doc.value("a")
    with pytest.raises(NotImplementedError):
        doc.location("a")


RENDER = """services:
  - name: api
    startCommand: gunicorn app.main:app
    preDeployCommand:
      - alembic upgrade head
      - python -m app.seed
    dockerCommand: ["uvicorn", "app.main:app"]
    numInstances: "3"
    envVars:
      - key: A
        value: 1
"""


def _project(root: Path, files: dict[str, str]) -> Project:
    return project_model(root, files)


def test_yaml_documents(tmp_path: Path) -> None:
    project = _project(tmp_path, {"render.yaml": RENDER, "sub/render.yaml": "- a\n- b\n", "empty/render.yaml": "",
                                  "fly.toml": 'app = "x"\n'})
    sources = {source.path: source for source in project.views.files}
    doc = load_doc(project, sources["render.yaml"])
    assert isinstance(doc, YamlDoc)
    assert doc.value("services", 0, "envVars") == [{"key": "A", "value": "1"}]
    assert doc.value("services", 0, "numInstances") == "3" and doc.value("services", 1) is None
    assert doc.location("services", 0, "startCommand").span.line == 3
    assert doc.location("services", 0, "missing").span.line == 1
    assert [list(c.argv) for c in doc.commands("services", 0, "preDeployCommand")] == [
        ["alembic", "upgrade", "head"], ["python", "-m", "app.seed"]]
    assert [list(c.argv) for c in doc.commands("services", 0, "dockerCommand")] == [["uvicorn", "app.main:app"]]
    assert [list(c.argv) for c in doc.commands("services", 0, "startCommand")] == [["gunicorn", "app.main:app"]]
    assert doc.commands("services", 0, "nothing") == []
    assert load_doc(project, sources["sub/render.yaml"]) is None
    assert load_doc(project, sources["empty/render.yaml"]) is None
    toml = load_doc(project, sources["fly.toml"])
    assert isinstance(toml, TomlDoc) and toml.value("app") == "x" and toml.location("app").span.line == 1
