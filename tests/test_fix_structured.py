"""Fixes through structured editors: libcst for Python, ruamel.yaml round trip for compose, Kubernetes and
workflows. Each test applies the fix through the CLI and re-parses the result."""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import REPO, write_project
from prodcheck.cli import main
from prodcheck.docs import REPOSITORY, doc_url
from prodcheck.fix import apply, roundtrip
from prodcheck.fix.text import edit_within, minimal_edit

APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"


def cli(root: Path, *args: str):
    return CliRunner().invoke(main, ["check", str(root), "--no-cache", *args])


def findings(root: Path, *args: str) -> list[dict]:
    return json.loads(cli(root, "--format", "json", *args).stdout)["findings"]


def fixed(root: Path, code: str, *args: str) -> None:
    result = cli(root, "--select", code, "--fix", *args)
    assert "fixed" in result.stderr, result.output
    for path in root.rglob("*"):
        if path.is_file():
            relative = path.relative_to(root).as_posix()
            assert apply.parses(relative, path.read_text(encoding="utf-8")), relative


COMPOSE = """\
services:
  db:
    image: postgres:16.4  # the database
    restart: unless-stopped
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U app"]
  api:
    build: .
    restart: unless-stopped
    depends_on:
      - db  # first the database
      - "cache"
    ports: ["8000:8000"]
  worker:
    build: .
    restart: unless-stopped
    depends_on:
      db:
        restart: true
  beat:
    build: .
    restart: unless-stopped
    depends_on: {db: {condition: 'service_started'}}
  cache:
    image: redis:7.2
    restart: unless-stopped
"""


def test_pc602_waits_for_a_healthy_database_in_every_form(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"docker-compose.yml": COMPOSE, "app/main.py": APP})
    before = findings(root, "--select", "PC602")
    assert len(before) == 3 and all(f["fix"]["applicability"] == "safe" for f in before)
    fixed(root, "PC602")
    text = (root / "docker-compose.yml").read_text()
    services = yaml.safe_load(text)["services"]
    assert services["api"]["depends_on"] == {"db": {"condition": "service_healthy"},
                                             "cache": {"condition": "service_started"}}
    assert services["worker"]["depends_on"] == {"db": {"restart": True, "condition": "service_healthy"}}
    assert services["beat"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    # Comments, quoting and every line the fix is not about stay as written.
    assert "      db:  # first the database\n" in text and '      "cache":\n' in text
    assert "depends_on: {db: {condition: 'service_healthy'}}" in text
    assert "    image: postgres:16.4  # the database\n" in text
    assert text.replace("service_healthy", "").count("\n") >= COMPOSE.count("\n")
    assert findings(root, "--select", "PC602") == []


def test_pc602_offers_no_fix_without_a_healthcheck(tmp_path: Path) -> None:
    compose = "services:\n  db:\n    image: postgres:16.4\n  api:\n    build: .\n    depends_on: [db]\n"
    root = write_project(tmp_path, {"docker-compose.yml": compose, "app/main.py": APP})
    assert [f["fixable"] for f in findings(root, "--select", "PC602")] == [False]


WORKFLOW = """\
name: ci
on: [push]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v2  # the code
      - uses: "actions/setup-python@v4"
      - uses: some-org/notify@main
"""


def test_pc704_moves_to_a_current_major_only_with_unsafe_fixes(tmp_path: Path) -> None:
    root = write_project(tmp_path, {".github/workflows/ci.yml": WORKFLOW})
    found = findings(root, "--select", "PC704")
    assert [(f["line"], f["fix"] and f["fix"]["applicability"]) for f in found] == [
        (9, "unsafe"), (10, "unsafe"), (11, None)]
    cli(root, "--select", "PC704", "--fix")
    assert (root / ".github/workflows/ci.yml").read_text() == WORKFLOW  # unsafe: not without the flag
    fixed(root, "PC704", "--unsafe-fixes")
    text = (root / ".github/workflows/ci.yml").read_text()
    assert text == WORKFLOW.replace("checkout@v2", "checkout@v4").replace("setup-python@v4", "setup-python@v5")
    assert [f["line"] for f in findings(root, "--select", "PC704")] == [11]


def test_pc203_pins_the_tag_the_project_names_elsewhere(tmp_path: Path) -> None:
    manifest = """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api}
        spec:
          template:
            spec:
              containers:
                - name: api
                  image: python:3.12-slim
                - name: pg
                  image: "postgres:latest"  # sidecar
        """
    workflow = ("on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    services:\n      pg:\n"
                "        image: postgres:16.4\n    steps:\n      - run: pytest\n")
    root = write_project(tmp_path, {"Dockerfile": "FROM python:latest\nUSER app\n", "k8s/api.yaml": manifest,
                                    ".github/workflows/ci.yml": workflow, "app/main.py": APP,
                                    "Dockerfile.worker": "FROM node\nUSER app\n"})
    found = {(f["path"], f["fix"] and f["fix"]["applicability"]) for f in findings(root, "--select", "PC203")}
    assert found == {("Dockerfile", "unsafe"), ("k8s/api.yaml", "unsafe"), ("Dockerfile.worker", None)}
    fixed(root, "PC203", "--unsafe-fixes")
    assert (root / "Dockerfile").read_text() == "FROM python:3.12-slim\nUSER app\n"
    assert '          image: "postgres:16.4"  # sidecar\n' in (root / "k8s/api.yaml").read_text()
    assert [f["path"] for f in findings(root, "--select", "PC203")] == ["Dockerfile.worker"]


def test_pc404_through_libcst_keeps_comments_and_layout(tmp_path: Path) -> None:
    source = ("import os\nfrom sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine\n\n"
              "engine = create_async_engine(os.environ['U'], pool_pre_ping=True)\n\n\ndef factory():\n"
              "    return async_sessionmaker(  # one per app\n        engine  # the engine\n    )\n")
    root = write_project(tmp_path, {"app/db.py": source})
    fixed(root, "PC404")
    assert (root / "app/db.py").read_text().endswith(
        "    return async_sessionmaker(  # one per app\n        engine,\n        expire_on_commit=False  # the engine\n"
        "    )\n")


def test_pc101_removes_reload_true_from_a_module_production_runs(tmp_path: Path) -> None:
    main_py = ('import uvicorn\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\nif __name__ == "__main__":\n'
               '    uvicorn.run(\n        "app.main:app",\n        port=8000,\n        reload=True,\n    )\n')
    root = write_project(tmp_path, {"app/main.py": main_py, "Procfile": "web: python -m app.main\n"})
    fixed(root, "PC101")
    assert (root / "app/main.py").read_text().endswith('    uvicorn.run(\n        "app.main:app",\n'
                                                      '        port=8000,\n    )\n')
    assert findings(root, "--select", "PC101") == []
    one_line = main_py.replace('uvicorn.run(\n        "app.main:app",\n        port=8000,\n        reload=True,\n    )',
                               'uvicorn.run("app.main:app", reload=True, port=8000)')
    (root / "app/main.py").write_text(one_line)
    fixed(root, "PC101")
    assert 'uvicorn.run("app.main:app", port=8000)\n' in (root / "app/main.py").read_text()


def test_pc101_in_compose_keeps_quoting_and_comment_spacing(tmp_path: Path) -> None:
    compose = ("services:\n  web:\n    build: .\n    command: 'uvicorn app.main:app --reload --port 80'   # the app\n"
               "    ports: ['8000:8000']\n")
    root = write_project(tmp_path, {"docker-compose.yml": compose, "app/main.py": APP})
    fixed(root, "PC101")
    assert (root / "docker-compose.yml").read_text() == compose.replace(" --reload", "")


def test_round_trip_edits_are_exact_and_refused_where_they_would_not_be(tmp_path: Path) -> None:
    text = "a:\n  b: [1, 2]  # keep\nc: 'x'\n"

    def change(slot: roundtrip.Slot) -> bool:
        slot.value.append(3)
        return True

    edit = roundtrip.edit("f.yml", text, 2, 6, change, 2, 2)
    assert edit is not None and edit.span.line == edit.span.end_line == 2
    assert apply.apply_fixes(text, [apply.Fix("t", (edit,))], "f.yml")[0] == "a:\n  b: [1, 2, 3]  # keep\nc: 'x'\n"
    assert roundtrip.edit("f.yml", text.replace("\n", "\r\n"), 2, 6, change, 2, 2) is None  # CRLF: no fix
    assert roundtrip.edit("f.yml", "a: [\n", 1, 4, change, 1, 1) is None  # does not load: no fix
    # A rewrite that spills over lines outside the range is refused rather than reformatting them.
    assert edit_within("f", "a\nb\nc\n", "x\ny\nz\n", 2, 2) is None
    assert minimal_edit("f", "abc\n", "abXc\n").text == "X"


def test_every_format_links_each_rule_to_its_documentation(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"Procfile": "web: uvicorn app.main:app --reload\n", "app/main.py": APP})
    url = doc_url("PC101", "reload-in-production")
    assert url == f"{REPOSITORY}/blob/main/rules/PC101-reload-in-production.md"
    assert (REPO / "rules" / "PC101-reload-in-production.md").is_file()  # the address names a real file
    assert [f["url"] for f in findings(root, "--select", "PC101")] == [url]
    sarif = json.loads(cli(root, "--format", "sarif").stdout)
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert all(rule["helpUri"] == doc_url(rule["id"], rule["name"]) for rule in rules)
    for output_format in ("github", "gitlab", "junit"):
        assert url in cli(root, "--format", output_format).stdout, output_format
    assert url in cli(root).stdout
    assert url in CliRunner().invoke(main, ["rule", "PC101"]).stdout
    listed = json.loads(CliRunner().invoke(main, ["rules", "--format", "json"]).stdout)
    assert {rule["code"]: rule["url"] for rule in listed}["PC101"] == url
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["urls"]["Repository"] == REPOSITORY


@pytest.mark.parametrize("code", ["PC203", "PC704"])
def test_rules_list_says_which_fixes_are_unsafe(code: str) -> None:
    listed = json.loads(CliRunner().invoke(main, ["rules", "--format", "json"]).stdout)
    assert {rule["code"]: rule["fix_safety"] for rule in listed}[code] == "unsafe"


def test_round_trip_walks_aliases_once() -> None:
    from prodcheck.fix.edits import remove_yaml_argument

    # A billion-laughs document and a recursive alias: the walk is in the size of the text.
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(9))
    for text, line in ((bomb + "s:\n  cmd: uvicorn x --reload\n", 12),
                       ("a: &a [*a, 1]\ns:\n  cmd: uvicorn x --reload\n", 3)):
        fix = remove_yaml_argument("c.yml", text, line, "--reload", "remove")
        assert fix is not None
        after, applied = apply.apply_fixes(text, [fix], "c.yml")
        assert applied == 1 and after.endswith("  cmd: uvicorn x\n") and apply.parses("c.yml", after)


@pytest.mark.parametrize("line", ["    image: postgres:latest\n", "    image: 'postgres:latest'   # db\n",
                                  '  - image: "postgres:latest"\n', "    image: postgres:latest # a: b\n"])
def test_a_one_line_scalar_is_replaced_in_place_exactly_as_the_round_trip_would(line: str) -> None:
    from prodcheck.fix.text import replace_scalar
    from prodcheck.parsing.yaml import load_documents

    text = f"kind: Pod\nspec:\n  containers:\n  - name: db\n{line}  - name: x\n"
    node = next(n for doc in load_documents(text) for n in doc.walk() if n.is_scalar and n.text == "postgres:latest")
    fast = replace_scalar("p.yaml", text, node.span, node.style, "postgres:latest", "postgres:16.4")

    def change(slot: roundtrip.Slot) -> bool:
        slot.set(roundtrip.same_style(slot.value, "postgres:16.4"))
        return True

    slow = roundtrip.edit("p.yaml", text, node.span.line, node.span.column, change, node.span.line, node.span.line)
    assert fast is not None and fast == slow


def test_a_scalar_the_text_does_not_hold_as_read_goes_through_the_round_trip() -> None:
    from prodcheck.fix.text import replace_scalar
    from prodcheck.model.finding import Span

    text = 'image: "postgres:\\x6catest"\nother: a\n'
    assert replace_scalar("p", text, Span(1, 8, 1, 28), '"', "postgres:latest", "postgres:16") is None  # an escape
    assert replace_scalar("p", "image: >\n  postgres:latest\n", Span(1, 8, 2, 18), ">", "postgres:latest",
                          "postgres:16") is None  # a block scalar
    assert replace_scalar("p", "image: pg:1\n", Span(1, 8, 1, 12), "", "pg:1", "pg: 2") is None  # would need quotes
    assert replace_scalar("p", "image: pg:1\r\n", Span(1, 8, 1, 12), "", "pg:1", "pg:2") is None  # CR line ends


def test_a_file_the_round_trip_loader_refuses_gets_no_in_place_fix_either() -> None:
    from prodcheck.parsing.yaml import load_documents

    assert roundtrip.loads_alike(load_documents("a: 1\nb: {c: 2, d: [x, {e: 3}]}\n"))
    assert not roundtrip.loads_alike(load_documents("a: 1\nb: {c: 2, d: [x, {e: 3, e: 4}]}\n"))  # repeated key
    assert not roundtrip.loads_alike(load_documents("? [a, b]\n: 1\n"))  # a key that is not a scalar


def test_a_key_written_twice_is_refused_without_loading_the_file() -> None:
    """What the round-trip loader refuses for a repeated key is known from prodcheck's own tree, so a
    fix that would load the whole file to offer nothing is not attempted (PC203 on a Deployment whose
    spec has `selector:` twice)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import DuplicateKeyError

    from prodcheck.parsing.yaml import load_documents

    for text in ("a: 1\na: 2\n", "k:\n  - {x: 1, x: 2}\n", "---\na: 1\n---\nb: 1\nb: 2\n"):
        assert roundtrip.refused(text, load_documents(text))
        with pytest.raises(DuplicateKeyError):
            list(YAML(typ="rt").load_all(text))
    # the same key in two maps; merged keys (`<<`) that repeat; `.nan`, a key never equal to itself
    for text in ("a: 1\nb: {a: 2}\n", "x: &x {a: 1}\ny:\n  <<: *x\n  a: 2\n", ".nan: 1\n.nan: 2\n"):
        assert not roundtrip.refused(text, load_documents(text))
