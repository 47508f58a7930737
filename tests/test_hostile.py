"""A hostile repository, scanned in every output format, on a terminal and off it: no control
sequence from it reaches the output raw, no secret appears unmasked, nothing is written inside or
outside it, no traceback, exit 0 or 1."""
from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from prodcheck.report import FORMATS
from prodcheck.report.escape import visible

SECRET = "pw-s3cret-xyz"
OSC_TITLE = "\x1b]0;pwned\x07"
OSC_LINK = "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"
CLEAR = "\x1b[2J"
C1_CSI = "\x9b31m"
BIDI = "\u202e"
HOSTILE_TEXT = OSC_TITLE + OSC_LINK + CLEAR + C1_CSI + BIDI
# What a terminal would act on: ESC, BEL, C1 controls, bidi overrides.
_RAW = re.compile("[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# rich's colours on a terminal, and its hyperlinks (OSC 8) to a rule's documentation, built from
# the rule's code and name only (no scanned text can reach them).
_OWN_STYLE = re.compile(r"\x1b\[[0-9;]*m|\x1b\]8;id=\d+;https://github\.com/prodcheck/prodcheck/blob/main/rules/"
                        r"PC\d{3}-[a-z0-9-]+\.md\x1b\\|\x1b\]8;;\x1b\\")


def hostile_files() -> dict[str, bytes]:
    name_with_escapes = "app/" + OSC_TITLE + "x" + CLEAR + ".py"
    return {
        "app/main.py": (
            "from fastapi import FastAPI\nfrom sqlalchemy import create_engine\n\n"
            f'engine = create_engine("postgresql://u:{SECRET}@db/x", echo=True)  # {HOSTILE_TEXT}\n'
            f'other = create_engine("postgresql://u:{SECRET}@db/y", echo=True)  # prodcheck: ignore[PC301]\n'
            "app = FastAPI()\n"
        ).encode(),
        name_with_escapes: f'URL = "postgresql://app:{SECRET}2@db/app"  # {HOSTILE_TEXT}\n'.encode(),
        "Procfile": f"web: uvicorn app.main:app --reload  # {HOSTILE_TEXT}\n".encode(),
        "docker-compose.yml": (
            "services:\n"
            f"  \"api{OSC_TITLE}\":\n"
            "    image: shop/api:1.0\n"
            f"    command: uvicorn app.main:app --reload --workers 4  # {HOSTILE_TEXT}\n"
            "    environment:\n"
            f"      DATABASE_URL: postgresql://u:{SECRET}@db/x\n"
        ).encode(),
        "k8s/deploy.yaml": f"kind: Deployment\nmetadata: {{name: \"{OSC_TITLE}\"}}\nspec: [\n".encode(),
        "Dockerfile": f"FROM python:3.12\nCMD uvicorn app.main:app --reload {CLEAR}\n".encode(),
        "invalid.py": b"from fastapi import FastAPI\nx = '\xff\xfe\x00'\x00\n",
    }


def write(root: Path, files: dict[str, bytes]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): (b"" if p.is_dir() else p.read_bytes()) for p in sorted(root.rglob("*"))}


def run_off_terminal(root: Path, output_format: str, *args: str) -> tuple[int, str, str]:
    completed = subprocess.run([sys.executable, "-m", "prodcheck", "check", str(root), "--format", output_format,
                                *args], capture_output=True, timeout=120, env={**os.environ, "PRODCHECK_DEBUG": "1"})
    return completed.returncode, completed.stdout.decode("utf-8"), completed.stderr.decode("utf-8")


def run_on_terminal(root: Path, output_format: str, *args: str) -> tuple[int, str]:
    """stdout and stderr on a pseudo-terminal, as a user sees them."""
    import pty

    primary, secondary = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "200", "PRODCHECK_DEBUG": "1"}
    env.pop("NO_COLOR", None)
    env.pop("CI", None)
    process = subprocess.Popen([sys.executable, "-m", "prodcheck", "check", str(root), "--format", output_format,
                                *args], stdin=secondary, stdout=secondary, stderr=secondary, env=env, close_fds=True)
    os.close(secondary)
    chunks = []
    while True:
        ready, _, _ = select.select([primary], [], [], 120)
        if not ready:
            process.kill()
            raise AssertionError("no output for 120 s")
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the terminal closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    return process.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


def assert_clean(output: str, where: str) -> None:
    stripped = _OWN_STYLE.sub("", output)
    raw = _RAW.search(stripped)
    assert raw is None, f"{where}: raw control character {raw.group()!r} near {stripped[max(0, raw.start() - 80):raw.end() + 40]!r}"
    assert SECRET not in output, f"{where}: unmasked secret"
    assert "Traceback" not in output, f"{where}: {output[-3000:]}"


def test_the_escaping_function() -> None:
    assert visible("a\x1b]0;t\x07b") == "a\\x1b]0;t\\x07b"
    assert visible("\x9b2J\x7f\u202e\tok\n") == "\\x9b2J\\x7f\\u202e\tok\\x0a"
    assert visible("plain café ✓") == "plain café ✓"


@pytest.fixture(scope="module")
def hostile_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        return write(tmp_path_factory.mktemp("hostile") / "repo", hostile_files())
    except OSError:
        pytest.skip("the file system refuses control characters in names")


@pytest.mark.parametrize("output_format", FORMATS)
def test_every_format_off_a_terminal(hostile_root: Path, output_format: str, tmp_path: Path) -> None:
    before = snapshot(hostile_root)
    code, stdout, stderr = run_off_terminal(hostile_root, output_format, "--cache-dir", str(tmp_path / "cache"))
    assert code in (0, 1), stderr
    assert_clean(stdout, f"{output_format} stdout")
    assert_clean(stderr, f"{output_format} stderr")
    assert snapshot(hostile_root) == before
    if output_format in ("json", "sarif", "gitlab"):
        json.loads(stdout)  # the JSON formats still carry the exact path, escaped by JSON itself
        assert "\\u001b" in stdout or "%1B" in stdout
    if output_format == "json":
        paths = {f["path"] for f in json.loads(stdout)["findings"]}
        assert any(OSC_TITLE in p for p in paths)
    if output_format in ("text", "concise", "github", "junit"):
        assert "\\x1b]0;pwned\\x07" in stdout  # shown, not acted on


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pseudo-terminals")
@pytest.mark.parametrize("output_format", FORMATS)
def test_every_format_on_a_terminal(hostile_root: Path, output_format: str, tmp_path: Path) -> None:
    before = snapshot(hostile_root)
    code, output = run_on_terminal(hostile_root, output_format, "--cache-dir", str(tmp_path / "cache"))
    assert code in (0, 1), output[-3000:]
    assert_clean(output, f"{output_format} on a terminal")
    assert snapshot(hostile_root) == before
    if output_format == "text":
        assert " | " in output  # code frames were shown ...
        assert "u:****@db/x" in output or ":****@" in output  # ... with every secret on the line masked


def test_frames_mask_every_secret_on_the_line_whoever_owns_the_frame(tmp_path: Path) -> None:
    import io

    from prodcheck import engine
    from prodcheck.report import text_format
    from prodcheck.settings import Settings

    root = write(tmp_path / "repo", {"app/main.py": (
        "from sqlalchemy import create_engine\n"
        f'engine = create_engine("postgresql://u:{SECRET}@db/x", echo=True)\n').encode()})
    result = engine.run(root, Settings(use_cache=False))
    codes = {f.code for f in result.findings if f.span.line == 2}
    assert "PC301" in codes and len(codes) >= 2  # another finding shares the secret's line
    for selected in (result.findings, [f for f in result.findings if f.code != "PC301"]):
        result.findings = selected
        out = io.StringIO()
        text_format.render(result, out, color=False, frames=True)
        assert "create_engine(" in out.getvalue() and SECRET not in out.getvalue()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_code_frame_never_reopens_the_file(tmp_path: Path) -> None:
    """The file became a FIFO after it was read: the frame uses the bytes already read."""
    import io

    from prodcheck import engine
    from prodcheck.report import text_format
    from prodcheck.settings import Settings

    root = write(tmp_path / "repo", {"Procfile": b"web: uvicorn app.main:app --reload\n"})
    result = engine.run(root, Settings(use_cache=False))
    (root / "Procfile").unlink()
    os.mkfifo(root / "Procfile")
    out = io.StringIO()
    text_format.render(result, out, color=False, frames=True)  # would block on open() of the FIFO
    assert "--reload" in out.getvalue()


# Pathological files: each case is the good project plus one hostile file; the run ends in a
# complete report (the good findings still there), a PC000 where the file cannot be analysed.
DEEP = 100_000
HUGE = "9" * 5_000
PATHOLOGICAL: dict[str, dict[str, str]] = {
    "pyproject-deep": {"pyproject.toml": "a = " + "[" * DEEP + "]" * DEEP + "\n"},
    "pyproject-deep-tables": {"pyproject.toml": "a = " + "{b=" * DEEP + "}" * DEEP + "\n"},
    "gitignore-backslash": {".gitignore": "\\\n*.log\n"},
    "cmd-exec-form-deep": {"svc/Dockerfile": "FROM python:3.12\nUSER app\nCMD " + "[" * DEEP + "]" * DEEP + "\n"},
    "copy-exec-form-deep": {"svc/Dockerfile": "FROM python:3.12\nCOPY " + "[" * DEEP + "]" * DEEP + "\n"},
    "railway-json-deep": {"railway.json": '{"build": ' + "[" * DEEP + "]" * DEEP + "}"},
    "fly-deep": {"fly.toml": "app = 'x'\nx = " + "{a=" * DEEP + "}" * DEEP + "\n"},
    "postgres-conf-huge": {"postgresql.conf": f"max_connections = {HUGE}\n"},
    "compose-huge": {"docker-compose.yml": (f"services:\n  db:\n    image: postgres:16\n    command: postgres -c "
                                            f"max_connections={HUGE}\n  api:\n    image: x\n"
                                            f"    command: gunicorn app.main:app -w {HUGE}\n")},
    "procfile-huge-workers": {"Procfile": f"web: gunicorn app.main:app -w {HUGE}\n"},
    "replicas-huge": {"k8s/d.yaml": f"kind: Deployment\nspec:\n  replicas: {HUGE}\n"},
    "python-huge-int": {"app/pool.py": f"from sqlalchemy import create_engine\ne = create_engine('x', pool_size={HUGE})\n"},
    "yaml-python-tags": {"docker-compose.yml": "services: !!python/object/apply:os.system ['touch pwned']\n"},
    "superscript-digits": {"postgresql.conf": "max_connections = ²³\n", "Procfile": "web: gunicorn app:app -w ²\n"},
}


@pytest.mark.parametrize("case", sorted(PATHOLOGICAL))
def test_pathological_files_end_in_a_report(tmp_path: Path, case: str) -> None:
    from test_robustness import GOOD, GOOD_FINDINGS, keyed, scan
    from test_robustness import write as write_text

    root = write_text(tmp_path / "project", {**GOOD, **PATHOLOGICAL[case]})
    before = snapshot(root)
    _, report, _ = scan(root, "--jobs", "1")  # no traceback, no internal error, valid JSON
    assert keyed(report) >= GOOD_FINDINGS
    assert snapshot(root) == before
    assert not (tmp_path / "project" / "pwned").exists() and not Path("pwned").exists()


@pytest.mark.parametrize("case", ["deep-object", "deep-array", "fifo", "device"])
def test_a_hostile_baseline_is_a_usage_error(tmp_path: Path, case: str) -> None:
    from test_robustness import GOOD
    from test_robustness import write as write_text

    root = write_text(tmp_path / "project", GOOD)
    baseline = tmp_path / "baseline.json"
    if case == "deep-object":
        baseline.write_text('{"findings": ' + "[" * DEEP + "]" * DEEP + "}")
    elif case == "deep-array":
        baseline.write_text("[" * DEEP + "]" * DEEP)
    elif case == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("POSIX FIFOs")
        os.mkfifo(baseline)
    else:
        if not os.path.exists("/dev/zero"):
            pytest.skip("no /dev/zero")
        baseline = Path("/dev/zero")
    completed = subprocess.run([sys.executable, "-m", "prodcheck", "check", str(root), "--no-cache", "--baseline",
                                str(baseline)], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 2, completed.stderr[-2000:]
    assert "Traceback" not in completed.stderr and str(baseline) in completed.stderr


@pytest.mark.parametrize("name", [".prodcheck.toml", "prodcheck.toml"])
def test_a_configuration_nested_too_deep_is_a_usage_error(tmp_path: Path, name: str) -> None:
    from test_robustness import GOOD
    from test_robustness import write as write_text

    root = write_text(tmp_path / "project", {**GOOD, name: "a = " + "[" * DEEP + "]" * DEEP + "\n"})
    completed = subprocess.run([sys.executable, "-m", "prodcheck", "check", str(root), "--no-cache"],
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 2, completed.stderr[-2000:]
    assert "Traceback" not in completed.stderr and "too deep" in completed.stderr


def test_notes_are_escaped_in_the_text_report(tmp_path: Path) -> None:
    """A run's notes quote chart folders and helm's own errors, both from the repository: the text
    report shows their control characters as escapes, as it does for findings."""
    import io

    from prodcheck import engine
    from prodcheck.report import text_format
    from prodcheck.settings import Settings

    root = write(tmp_path / "repo", {"Procfile": b"web: uvicorn app.main:app\n"})
    result = engine.run(root, Settings(use_cache=False))
    result.notes = ["Helm charts read with their production values over the defaults: ch\x1b]8;;x\x07art"]
    out = io.StringIO()
    text_format.render(result, out, color=False, frames=True)
    assert "\x1b" not in out.getvalue() and "\x07" not in out.getvalue()
    assert "ch\\x1b]8;;x\\x07art" in out.getvalue()


def test_the_parsers_warnings_about_scanned_code_never_reach_stderr(tmp_path) -> None:
    """`ast.parse` warns about an invalid escape (a SyntaxWarning by default from Python 3.12, a DeprecationWarning
    before, shown here by PYTHONWARNINGS=default), quoting the file's characters unescaped: a backslash before an
    escape character wrote a terminal control sequence to stderr."""
    import os
    import subprocess
    import sys

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_bytes(
        b'import os\nimport re\nfrom fastapi import FastAPI\n\napp = FastAPI()\nPATTERN = re.compile("\\d+\\\x1b[31m")\nOCTAL = "\\777"\n'
        b'DATABASE_URL = "postgresql://shop:s3cret@db/shop"\n\n\n@app.get("/")\nasync def index():\n'
        b'    return {"engine": create_engine(DATABASE_URL, pool_size=5)}\n')
    done = subprocess.run([sys.executable, "-m", "prodcheck", "check", str(tmp_path), "--no-cache", "--format", "json"],
                          capture_output=True, env={**os.environ, "PYTHONWARNINGS": "default"})
    assert done.returncode in (0, 1), done.stderr
    assert b"\x1b" not in done.stderr and b"escape sequence" not in done.stderr, done.stderr
    assert b"PC301" in done.stdout  # the file was analysed: its hardcoded DATABASE_URL is reported
