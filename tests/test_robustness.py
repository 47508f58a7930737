"""Hostile inputs (SPEC §6 robustness): no crash, hang or traceback; a PC000 warning for the bad
file where one is due; and the findings of the good files next to it are still reported.

Every case is a small good project (findings known) plus hostile files, scanned by the real CLI in
a subprocess (`prodcheck check --format json --no-cache`), so a segfault, a hang (timeout) or a
traceback on stderr fails the test as it would fail a user.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from prodcheck.copies import COPY_LABEL

GOOD: dict[str, str] = {
    "Dockerfile": (
        "FROM python:3.12-slim\n"
        "WORKDIR /app\n"
        "COPY . .\n"
        'CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--reload"]\n'
    ),
    "app/main.py": (
        "from fastapi import FastAPI\n"
        "from sqlalchemy import create_engine\n"
        "\n"
        'engine = create_engine("postgresql://shop:hunter2@db:5432/shop")\n'
        "app = FastAPI()\n"
    ),
    "k8s/deploy.yaml": (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        "  name: api\n"
        "spec:\n"
        "  replicas: 1\n"
        "  template:\n"
        "    spec:\n"
        "      containers:\n"
        "        - name: api\n"
        "          image: shop/api:1.0\n"
        "          securityContext:\n"
        "            runAsUser: 0\n"
    ),
}
# (code, path, line) that the good files always produce
GOOD_FINDINGS = {("PC101", "Dockerfile", 4), ("PC301", "app/main.py", 4), ("PC201", "k8s/deploy.yaml", 13)}

BILLION_LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
) + "\n"

DEPTH = 100_000  # far past any recursion limit, C stacks included


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
    return root


def copies(report: dict) -> set[tuple[str, str, int]]:
    """The byte-identical copies a finding names instead of being reported on each."""
    return {(f["code"], r["path"], r["line"]) for f in report["findings"] for r in f["related"]
            if r["label"] == COPY_LABEL}


def scan(root: Path, *args: str, timeout: float = 120) -> tuple[int, dict, str]:
    env = {**os.environ, "PRODCHECK_DEBUG": "1", "NO_COLOR": "1"}
    completed = subprocess.run(
        [sys.executable, "-m", "prodcheck", "check", str(root), "--format", "json", "--no-cache", *args],
        capture_output=True, text=True, timeout=timeout, env=env,
    )
    assert completed.returncode in (0, 1), f"exit {completed.returncode}\n{completed.stderr[-3000:]}"
    assert "Traceback" not in completed.stderr, completed.stderr[-3000:]
    assert "internal error" not in completed.stderr, completed.stderr[-3000:]
    report = json.loads(completed.stdout)  # valid JSON or the test fails here
    return completed.returncode, report, completed.stderr


def keyed(report: dict) -> set[tuple[str, str, int]]:
    return {(f["code"], f["path"], f["line"]) for f in report["findings"]}


def parse_errors(report: dict) -> dict[str, dict]:
    return {f["path"]: f for f in report["findings"] if f["code"] == "PC000"}


def check_project(tmp_path: Path, hostile: dict[str, str | bytes], bad: set[str], *args: str) -> dict:
    """Good project + hostile files: the good findings survive, exactly `bad` get PC000 warnings."""
    root = write(tmp_path / "project", {**GOOD, **hostile})
    _, report, _ = scan(root, *args)
    assert keyed(report) >= GOOD_FINDINGS, sorted(keyed(report))
    errors = parse_errors(report)
    assert set(errors) == bad, errors
    for finding in errors.values():
        assert finding["severity"] == "warning"
        assert finding["line"] >= 1 and finding["column"] >= 1
    return report


# ---------------------------------------------------------------------------------- content

BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4

CASES: dict[str, tuple[dict[str, str | bytes], set[str]]] = {
    "binary files named like known kinds": (
        {"svc/Dockerfile": BINARY, "svc/app.py": BINARY, "compose.yaml": BINARY, ".env": BINARY,
         "svc/Procfile": BINARY, ".github/workflows/ci.yml": BINARY},
        {"svc/Dockerfile", "svc/app.py", "compose.yaml", ".env", "svc/Procfile", ".github/workflows/ci.yml"},
    ),
    "invalid UTF-8": (
        {"svc/Dockerfile": b"FROM python:3.12\nLABEL who=caf\xe9\n",
         "compose.yaml": b"services:\n  api:\n    image: caf\xe9:1\n",
         "app/latin.py": b"from fastapi import FastAPI\nname = 'caf\xe9'\n",
         "k8s/bad.yaml": b"apiVersion: v1\nkind: ConfigMap\ndata:\n  a: \xff\xfe\n"},
        {"svc/Dockerfile", "compose.yaml", "app/latin.py", "k8s/bad.yaml"},
    ),
    "Python syntax errors": (
        {"app/broken.py": "from fastapi import FastAPI\n\ndef broken(:\n    pass\n",
         "app/indent.py": "import sqlalchemy\nif True:\npass\n",
         "gunicorn.conf.py": "workers = (\n"},
        {"app/broken.py", "app/indent.py", "gunicorn.conf.py"},
    ),
    "YAML syntax errors": (
        {"compose.yaml": "services:\n  api: [unclosed\n",
         "k8s/broken.yaml": "apiVersion: v1\nkind: Pod\nspec: {a: [}\n",
         ".github/workflows/ci.yml": "on: push\njobs:\n  test:\n\truns-on: ubuntu-latest\n"},
        {"compose.yaml", "k8s/broken.yaml", ".github/workflows/ci.yml"},
    ),
    "YAML alias bombs": (
        {"compose.yaml": "services:\n  api:\n    image: x:1\n" + BILLION_LAUGHS,
         "k8s/bomb.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\n" + BILLION_LAUGHS,
         ".github/workflows/ci.yml": "on: push\n" + BILLION_LAUGHS},
        {"compose.yaml", "k8s/bomb.yaml", ".github/workflows/ci.yml"},
    ),
    "recursive YAML alias": (
        {"compose.yaml": "services: &s\n  api: *s\n",
         "k8s/loop.yaml": "apiVersion: v1\nkind: List\nitems: &a [*a]\n"},
        {"compose.yaml", "k8s/loop.yaml"},
    ),
    "deeply nested YAML": (
        {"compose.yaml": "services:\n  api:\n    x: " + "[" * DEPTH + "]" * DEPTH + "\n",
         "k8s/deep.yaml": "apiVersion: v1\nkind: ConfigMap\ndata: " + "{a: " * DEPTH + "1" + "}" * DEPTH + "\n",
         ".github/workflows/ci.yml": "on: push\njobs: " + "- " * DEPTH + "x\n"},
        {"compose.yaml", "k8s/deep.yaml", ".github/workflows/ci.yml"},
    ),
    "deeply nested Python the parser accepts": (
        {"app/chain.py": "import fastapi\nx = 1" + " + 1" * DEPTH + "\n",
         "app/unary.py": "import fastapi\nx = " + "not " * DEPTH + "y\n",
         "app/attrs.py": "import fastapi\nx = a" + ".b" * DEPTH + "\n"},
        {"app/chain.py", "app/unary.py", "app/attrs.py"},
    ),
    "a Dockerfile instruction continued over 800,000 lines": (
        {"svc/Dockerfile": "FROM python:3.12\nRUN " + "echo a \\\n" * 800_000 + "\n"},
        {"svc/Dockerfile"},
    ),
    "empty files": (
        {"svc/Dockerfile": "", "compose.yaml": "", "app/empty.py": "", ".env": "", "Procfile": "",
         "requirements.txt": "", "k8s/empty.yaml": "", ".github/workflows/empty.yml": "", "alembic.ini": "",
         "gunicorn.conf.py": "", "svc/start.sh": "", "pyproject.toml": ""},
        set(),
    ),
    "comment-only files": (
        {"svc/Dockerfile": "# syntax=docker/dockerfile:1\n# nothing here yet\n",
         "compose.yaml": "# services: later\n", "k8s/notes.yaml": "# apiVersion: v1\n# kind: Pod\n",
         "Procfile": "# web: uvicorn app.main:app --reload\n"},
        set(),
    ),
    "YAML documents that are not mappings": (
        {"compose.yaml": "- just\n- a list\n", "k8s/scalar.yaml": "apiVersion\n",
         "k8s/multi.yaml": "---\n---\napiVersion: v1\nkind: ConfigMap\n---\n42\n...\n",
         ".github/workflows/ci.yml": "just a string\n"},
        set(),
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_hostile_files_next_to_a_good_project(tmp_path: Path, case: str) -> None:
    hostile, bad = CASES[case]
    check_project(tmp_path, hostile, bad)


def test_parse_error_messages_say_what_went_wrong(tmp_path: Path) -> None:
    report = check_project(tmp_path, {
        "compose.yaml": "services:\n  api:\n    image: x:1\n" + BILLION_LAUGHS,
        "k8s/deep.yaml": "apiVersion: v1\nkind: ConfigMap\ndata: " + "[" * DEPTH + "]" * DEPTH + "\n",
        "svc/Dockerfile": BINARY,
        "app/latin.py": b"import fastapi\nname = 'caf\xe9'\n",
        "app/broken.py": "import fastapi\n\ndef broken(:\n    pass\n",
    }, {"compose.yaml", "k8s/deep.yaml", "svc/Dockerfile", "app/latin.py", "app/broken.py"})
    errors = parse_errors(report)
    assert "alias bomb" in errors["compose.yaml"]["message"]
    assert "too deep" in errors["k8s/deep.yaml"]["message"]
    assert "binary" in errors["svc/Dockerfile"]["message"]
    assert errors["app/broken.py"]["line"] == 3


def test_python_tags_in_yaml_are_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payloads = [
        f'!!python/object/apply:os.system ["touch {marker}"]',
        f'!!python/object/apply:subprocess.check_call [["touch", "{marker}"]]',
        f'!!python/object/new:subprocess.Popen [["touch", "{marker}"]]',
        '!!python/name:os.system',
        '!!python/module:os',
    ]
    hostile = {
        "compose.yaml": "services:\n  api:\n    image: x:1\n    environment:\n"
                        + "".join(f"      V{i}: {p}\n" for i, p in enumerate(payloads)),
        "k8s/tags.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n"
                         + "".join(f"  k{i}: {p}\n" for i, p in enumerate(payloads)),
        ".github/workflows/ci.yml": f"on: push\nname: {payloads[0]}\njobs: {{}}\n",
        "config.yaml": f"x: {payloads[0]}\n",
    }
    check_project(tmp_path, hostile, set())  # tags are inert strings: not even a parse error
    assert not marker.exists()


def test_a_100_mb_file_is_skipped_with_a_parse_error(tmp_path: Path) -> None:
    root = write(tmp_path / "project", GOOD)
    line = b'URL = "postgresql://u:secret@db/x"  # fastapi\n'
    with (root / "app" / "huge.py").open("wb") as handle:
        handle.write(line * (100 * 1024 * 1024 // len(line) + 1))
    _, report, _ = scan(root)
    assert keyed(report) >= GOOD_FINDINGS
    errors = parse_errors(report)
    assert set(errors) == {"app/huge.py"}
    assert "larger than" in errors["app/huge.py"]["message"] and errors["app/huge.py"]["severity"] == "warning"


def test_a_large_file_is_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from prodcheck.model.files import Context, FileKind
    from prodcheck.project import sources

    huge = tmp_path / "compose.yaml"
    with huge.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse: 100 MB by size, nothing on disk

    def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError("a file over the size limit was opened")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    monkeypatch.setattr(Path, "open", refuse)
    source = sources.read_source(tmp_path, "compose.yaml", FileKind.COMPOSE, Context.PROD)
    assert source.data is None and source.error is not None and "larger than" in str(source.error)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks on this platform")
def test_symlink_loops_and_links_out_of_the_root(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside", {
        "Dockerfile": GOOD["Dockerfile"],
        "app/main.py": GOOD["app/main.py"],
        "secrets.env": "DATABASE_URL=postgresql://u:topsecret@db/x\n",
    })
    root = write(tmp_path / "project", GOOD)
    os.symlink(outside, root / "vendor")  # a folder outside: never followed
    os.symlink(outside / "secrets.env", root / ".env")  # a file outside: never read
    os.symlink(outside / "Dockerfile", root / "Dockerfile.ext")
    os.symlink("..", root / "app" / "up")  # a folder loop
    os.symlink("loop.yaml", root / "loop.yaml")  # a file loop
    os.symlink("missing.py", root / "app" / "dangling.py")  # a dangling link
    os.symlink("main.py", root / "app" / "alias.py")  # inside the root: read like any file
    _, report, _ = scan(root)
    assert keyed(report) >= GOOD_FINDINGS
    paths = {f["path"] for f in report["findings"]}
    assert not any(p.startswith(("vendor/", "app/up/")) or p in {".env", "Dockerfile.ext"} for p in paths), paths
    # a byte-identical copy: its finding is reported on the file it links to, naming it (prodcheck/copies.py)
    assert ("PC301", "app/alias.py", 4) in copies(report)
    assert set(parse_errors(report)) == {"loop.yaml", "app/dangling.py"}
    assert "topsecret" not in json.dumps(report)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_named_like_a_known_kind_does_not_block(tmp_path: Path) -> None:
    root = write(tmp_path / "project", GOOD)
    os.mkfifo(root / "compose.yaml")
    os.mkfifo(root / ".gitignore")
    _, report, _ = scan(root, timeout=60)
    assert keyed(report) >= GOOD_FINDINGS
    assert set(parse_errors(report)) == {"compose.yaml"}


def test_file_names_that_are_not_utf8_or_hold_newlines(tmp_path: Path) -> None:
    root = write(tmp_path / "project", GOOD)
    if sys.platform == "darwin":
        pytest.skip("APFS refuses names that are not UTF-8")
    try:
        (root / "app" / os.fsdecode(b"caf\xe9.py")).write_text(GOOD["app/main.py"])
    except (OSError, UnicodeError):
        pytest.skip("the file system refuses names that are not UTF-8")
    (root / "app" / "two\nlines.py").write_text(GOOD["app/main.py"])
    _, report, _ = scan(root)
    assert keyed(report) >= GOOD_FINDINGS
    assert ("PC301", "app/two\nlines.py", 4) in keyed(report) | copies(report)
    for output_format in ("text", "sarif", "github"):
        completed = subprocess.run([sys.executable, "-m", "prodcheck", "check", str(root), "--no-cache",
                                    "--format", output_format], capture_output=True, text=True, timeout=120)
        assert completed.returncode == 1 and "Traceback" not in completed.stderr, completed.stderr[-3000:]


def test_an_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write(tmp_path / "project", {**GOOD, "app/locked.py": GOOD["app/main.py"], "compose.yaml": "services: {}\n"})
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        (root / "app" / "locked.py").chmod(0)
        (root / "compose.yaml").chmod(0)
        try:
            _, report, _ = scan(root)
        finally:
            (root / "app" / "locked.py").chmod(0o644)
            (root / "compose.yaml").chmod(0o644)
    else:
        # root reads anything: make the read itself fail, in-process through the CLI.
        from click.testing import CliRunner

        from prodcheck.cli import main

        real_open = os.open

        def deny(path, *args, **kwargs):  # type: ignore[no-untyped-def]
            if os.path.basename(os.fspath(path)) in {"locked.py", "compose.yaml"}:
                raise PermissionError(13, "Permission denied", os.fspath(path))
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(os, "open", deny)
        result = CliRunner().invoke(main, ["check", str(root), "--format", "json", "--no-cache", "--jobs", "1"])
        assert result.exit_code in (0, 1), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        report = json.loads(result.stdout)
    assert keyed(report) >= GOOD_FINDINGS
    errors = parse_errors(report)
    assert set(errors) == {"app/locked.py", "compose.yaml"}
    assert all("Permission denied" in e["message"] and e["severity"] == "warning" for e in errors.values())


@pytest.mark.parametrize("transform", ["crlf", "bom", "crlf+bom"])
def test_crlf_and_bom_give_the_same_findings(tmp_path: Path, transform: str) -> None:
    extra = {
        "compose.yaml": "services:\n  api:\n    build: .\n    command: uvicorn app.main:app --reload\n"
                        "  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: hunter2\n",
        "Procfile": "web: uvicorn app.main:app --reload\n",
        ".env": "DATABASE_URL=postgresql://shop:hunter2@db/shop\n",
    }
    files = {**GOOD, **extra}
    _, plain, _ = scan(write(tmp_path / "plain", files))

    def convert(text: str) -> bytes:
        if "crlf" in transform:
            text = text.replace("\n", "\r\n")
        data = text.encode("utf-8")
        return (b"\xef\xbb\xbf" + data) if "bom" in transform else data

    _, changed, _ = scan(write(tmp_path / transform, {k: convert(v) for k, v in files.items()}))

    def where(report: dict) -> set[tuple[str, str, int, int]]:
        return {(f["code"], f["path"], f["line"], f["column"]) for f in report["findings"]}

    assert not parse_errors(changed)
    assert keyed(changed) >= GOOD_FINDINGS
    assert where(changed) == where(plain)


def test_deeply_nested_brackets_in_python(tmp_path: Path) -> None:
    check_project(tmp_path, {
        "app/parens.py": "import fastapi\nx = " + "(" * DEPTH + "1" + ")" * DEPTH + "\n",
        "app/lists.py": "import fastapi\nx = " + "[" * 5000 + "]" * 5000 + "\n",
    }, {"app/parens.py", "app/lists.py"})


def test_many_hostile_files_in_a_pool_sized_project(tmp_path: Path) -> None:
    """Enough Python files for the process pool: bad files in workers do not break the run."""
    files: dict[str, str | bytes] = dict(GOOD)
    for index in range(200):
        files[f"pkg/mod_{index}.py"] = f"import fastapi\nVALUE_{index} = {index}\n"
    files["pkg/broken.py"] = "import fastapi\ndef f(:\n"
    files["pkg/binary.py"] = BINARY
    files["pkg/chain.py"] = "import fastapi\nx = 1" + " + 1" * DEPTH + "\n"
    # --jobs 2: the pool is used whatever the machine's CPU count (the default needs four).
    check_project(tmp_path, files, {"pkg/broken.py", "pkg/binary.py", "pkg/chain.py"}, "--jobs", "2")


# ---------------------------------------------------------------------------------- the YAML composer

SAMPLE_YAML = """\
x-base: &base
  image: python:3.12
  env: &env {A: 1, B: "two", C: ~, D: null}
services:
  api:
    <<: *base
    command: ["uvicorn", "app:app"]
    extra: [*env, *env]
    tagged: !!str null
    empty:
    custom: !Ref Thing
    script: |
      line one
      line two
    folded: >-
      a
      b
? complex key
: value
---
- plain
- 'single'
- "double"
---
"""


def test_composer_matches_pyyaml_compose() -> None:
    """The event-driven composer builds what PyYAML's composer + the old conversion built."""
    import yaml

    from prodcheck.parsing.yaml import YNode, load_documents

    def expected(node: yaml.Node) -> tuple:
        span = (node.start_mark.line + 1, node.start_mark.column + 1, node.end_mark.line + 1, node.end_mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            return ("scalar", span, None if node.tag.endswith(":null") else node.value, node.tag)
        if isinstance(node, yaml.SequenceNode):
            return ("seq", span, node.tag, tuple(expected(n) for n in node.value))
        pairs: list = []
        for key, value in node.value:
            if key.tag.endswith(":merge") and isinstance(value, yaml.MappingNode):
                pairs.extend(expected(value)[3])
            else:
                pairs.append((expected(key), expected(value)))
        return ("map", span, node.tag, tuple(pairs))

    def actual(node: YNode) -> tuple:
        span = tuple(node.span)
        if node.is_scalar:
            return ("scalar", span, node.value, node.tag)
        if node.is_seq:
            return ("seq", span, node.tag, tuple(actual(n) for n in node.list()))
        return ("map", span, node.tag, tuple((actual(k), actual(v)) for k, v in node.items()))

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    want = [expected(d) for d in yaml.compose_all(SAMPLE_YAML, Loader=loader) if d is not None]
    got = [actual(d) for d in load_documents(SAMPLE_YAML)]
    assert got == want
    services = load_documents(SAMPLE_YAML)[0].path("services", "api")
    assert services is not None and services.get("image").as_str() == "python:3.12"  # merged from the anchor
    extra = services.get("extra").list()
    assert extra[0] is not extra[1]  # aliases are copies, as the old expansion made them
    assert services.get("tagged").as_str() == "null" and services.get("custom").as_str() == "Thing"


def test_alias_bomb_stops_at_the_node_budget() -> None:
    from prodcheck.parsing import ParseError
    from prodcheck.parsing.yaml import MAX_NODES, load_documents

    with pytest.raises(ParseError, match="alias bomb"):
        load_documents(BILLION_LAUGHS)
    # just under the budget is fine: 4 levels of 9 = 7,380 nodes
    small = "\n".join(BILLION_LAUGHS.splitlines()[:4]) + "\n"
    assert load_documents(small) and MAX_NODES > 10_000


def test_the_walk_ignores_exactly_what_the_gitignore_patterns_say(tmp_path: Path) -> None:
    """The walk's one-regex shortcut over a .gitignore answers as asking each pattern did: a negation, a folder
    pattern (its files stay out, as with git), an anchored `**`, a pattern holding regex syntax, a nested file."""
    from prodcheck.discovery.walk import gitignore_spec, walk

    files = ["app/main.py", "app/gen/x.py", "app/gen/keep.py", "build.py", "logs/a.yml", "docs/a/b/c.yml",
             "docs/c.yml", "deep/(?P<ps_d>x)/k.py", "sub/local.py", "sub/other.py", "sub/inner/local.py"]
    for relative in files:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x = 1\n")
    (tmp_path / ".gitignore").write_text("# generated\napp/gen/\n!app/gen/keep.py\nlogs\n/docs/**/c.yml\n"
                                         "*(?P<ps_d>*\n\\\n")
    (tmp_path / "sub/.gitignore").write_text("local.py\n")
    walked = [w.relpath for w in walk(tmp_path, gitignore_spec(["build.py"]))]
    assert walked == [".gitignore", "app/main.py", "sub/.gitignore", "sub/other.py"]


def test_the_walks_grouped_regex_matches_where_one_of_the_patterns_does() -> None:
    """The one regex (`_with_any`), whose patterns sharing a head (`^(?:.+/)?`, a nested file's
    `^folder(?:/.+)?/`) are written after it once, matches exactly the paths some pattern's own regex
    matches at their start: patterns holding regex syntax (`|`, parentheses, sets, a lone `\\`), negations, nested folders."""
    import random
    import warnings

    from pathspec.util import normalize_file

    from prodcheck.discovery.walk import _ANY_FOLDER, _with_any, gitignore_spec

    chosen = random.Random(11)
    atoms = ["a", "ab", "x.y", "*", "**", "?", "[ab]", "[!a]", "[]a]", "\\*", "\\[", "(", ")", "|", "a|b", "+",
             "{1}", "$", "^", ".", "\\", "foo(bar)", "a)b", "(?:", " "]
    names = ["a", "ab", "x.y", "a|b", "foo(bar)", "a)b", "(x", "x", "{1}", "+", "$", "^", "-"]
    grouped = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a pattern like `[[a]` is a possible nested set to `re`
        for _ in range(400):
            lines = []
            folder = chosen.choice(["", "", "sub", "a/b", "x.y", "a|b", "(x"])
            for _ in range(chosen.randint(1, 8)):
                body = "/".join("".join(chosen.choice(atoms) for _ in range(chosen.randint(1, 3)))
                                for _ in range(chosen.randint(1, 3)))
                body = chosen.choice(["", "/", "**/"]) + body + chosen.choice(["", "/"])
                if folder:  # as _gitignore anchors a nested file's patterns
                    body = f"{folder}/{body.lstrip('/')}" if "/" in body.rstrip("/") else f"{folder}/**/{body}"
                lines.append(chosen.choice(["", "", "!"]) + body)
            spec = gitignore_spec(lines)
            regexes = [pattern.regex for pattern in spec.patterns
                       if pattern.include is not None and getattr(pattern, "regex", None) is not None]
            test = _with_any(spec)[1]
            assert test is not None
            grouped += any(_ANY_FOLDER.search(regex.pattern) for regex in regexes)
            for _ in range(40):
                path = "/".join(chosen.choice(names) for _ in range(chosen.randint(1, 5)))
                path = (f"{folder}/" if folder and chosen.random() < 0.5 else "") + path + chosen.choice(["", "/"])
                # (a pattern without `^`, `*/`, is searched for: the walk then asks the spec itself)
                expected = any((regex.match if all(r.pattern.startswith("^") for r in regexes) else regex.search)(
                    normalize_file(path)) for regex in regexes)
                assert (test(path) is not None) == expected, (lines, path)
    assert grouped > 100


def test_a_lazy_ignore_spec_answers_as_the_spec_built_at_once() -> None:
    """`lazy_spec` (the one-regex test from the patterns' regexes as written, each pattern compiled only when a path
    passes it) ignores exactly what `gitignore_spec` does, patterns holding regex syntax, negations, invalid lines
    (a lone `\\`) and nested folders included; and it compiles no pattern unless a negation matches the path."""
    import random
    import warnings

    from prodcheck.discovery.walk import _LazySpec, _matches, gitignore_spec, lazy_spec

    chosen = random.Random(48)
    atoms = ["a", "ab", "x.y", "*", "**", "?", "[ab]", "[!a]", "[]a]", "\\*", "\\[", "(", ")", "|", "a|b", "+",
             "{1}", "$", "^", ".", "\\", "foo(bar)", "a)b", "(?:", "(?i)", " ", "#"]
    names = ["a", "ab", "x.y", "a|b", "foo(bar)", "a)b", "(x", "x", "{1}", "+", "$", "^", "-", "#"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a pattern like `[[a]` is a possible nested set to `re`
        for _ in range(400):
            folder = chosen.choice(["", "", "sub", "a/b", "x.y", "a|b", "(x"])
            lines = []
            for _ in range(chosen.randint(1, 8)):
                body = "/".join("".join(chosen.choice(atoms) for _ in range(chosen.randint(1, 3)))
                                for _ in range(chosen.randint(1, 3)))
                body = chosen.choice(["", "/", "**/"]) + body + chosen.choice(["", "/"])
                if folder:
                    body = f"{folder}/{body.lstrip('/')}" if "/" in body.rstrip("/") else f"{folder}/**/{body}"
                lines.append(chosen.choice(["", "", "!"]) + body)
            eager = gitignore_spec(lines)
            lazy = lazy_spec(lines)
            for _ in range(40):
                path = "/".join(chosen.choice(names) for _ in range(chosen.randint(1, 5)))
                path = (f"{folder}/" if folder and chosen.random() < 0.5 else "") + path + chosen.choice(["", "/"])
                assert _matches(lazy, path) == eager.match_file(path), (lines, path)
    spec = lazy_spec(["*.log", "build/", "!keep.log"])
    assert isinstance(spec[0], _LazySpec) and not _matches(spec, "src/app.py")
    assert _matches(spec, "logs/x.log") and _matches(spec, "a/build/")
    assert spec[0]._spec is None  # nothing compiled for a path no negation matches
    assert not _matches(spec, "keep.log") and spec[0]._spec is not None


def test_an_ignored_script_comes_back_only_when_a_deployment_file_names_it(tmp_path: Path) -> None:
    """A `.gitignore` pattern (`*.sh`) over scripts the repository still holds: the one the Dockerfile copies and
    runs is read, the one nothing names stays out, and one `--exclude` leaves out stays out even when named."""
    from prodcheck import engine
    from prodcheck.settings import Settings

    files = {".gitignore": "*.sh\n", "Dockerfile": 'FROM python:3.12\nCOPY docker-entrypoint.sh /srv/\nCMD ["/srv/docker-entrypoint.sh"]\n',
             "docker-entrypoint.sh": "#!/bin/sh\nexec uvicorn app:app\n", "local-entrypoint.sh": "#!/bin/sh\nuvicorn app:app --reload\n",
             "ops/backup.sh": "#!/bin/sh\npg_dump app\n", "Procfile": "worker: ./ops/backup.sh\n"}
    for relative, text in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    found = [source.path for source in engine.discover(tmp_path, Settings().with_overrides(use_cache=False))]
    assert "docker-entrypoint.sh" in found and "ops/backup.sh" in found and "local-entrypoint.sh" not in found
    excluded = Settings().with_overrides(use_cache=False, exclude=("ops/",))
    assert "ops/backup.sh" not in [source.path for source in engine.discover(tmp_path, excluded)]
