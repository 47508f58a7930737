"""The whole hostile corpus in one repository (issue #7): control sequences and secrets, every
pathological file at the size that proves its per-file budget triggers (the default budgets, not
lowered), FIFOs and sockets named like files prodcheck reads, links out of the root for every file
kind, names with newlines and ESC. Scanned in every output format, off a terminal and on one:
every run ends (subprocess timeouts are the hang guard), no traceback or internal error, no raw
control sequence, no secret, nothing read from outside the root, nothing written inside or outside it."""
from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from prodcheck import limits
from prodcheck.report import FORMATS
from test_hostile import SECRET, assert_clean, hostile_files, run_off_terminal, run_on_terminal, write

OUTSIDE_MARKER = "outside-marker-7f3a"
DEEP = 100_000
# path -> what its PC000 message must say (each file is just over one budget)
OVER_BUDGET: dict[str, tuple[str, bytes]] = {
    "budget/lines.py": ("too large", b"x = 1\n" * (limits.PYTHON_MAX_LINES + 1)),
    "budget/bytes.py": ("too large", b"import fastapi\nx = '" + b"a" * limits.PYTHON_MAX_BYTES + b"'\n"),
    "budget/calls.py": ("too large", b"import fastapi\n" + b"print(1)\n" * (limits.PYTHON_MAX_FACTS + 1)),
    "budget/urls.py": ("too large", b"URLS = [\n" + f'    "postgresql://u:{SECRET}@db/x",\n'.encode()
                       * (limits.PYTHON_MAX_FACTS + 1) + b"]\n"),
    "budget/lines/Dockerfile": ("too large", b"FROM python:3.12\n" + b"RUN true\n" * limits.DOCKERFILE_MAX_LINES),
    "budget/stages/Dockerfile": ("too large", b"".join(b"FROM python:3.12 AS s%d\n" % i
                                                       for i in range(limits.DOCKERFILE_MAX_STAGES + 1))),
    # 5,000 deep: the line stays under the line budget, so the depth budget is what triggers
    "budget/deep/Dockerfile": ("too deep", b"FROM python:3.12\nUSER app\nCMD " + b"[" * 5_000 + b"]" * 5_000 + b"\n"),
    "budget/start.sh": ("too large", b"uvicorn app.main:app --reload\n" * (limits.DEFAULT_MAX_LINES + 1)),
    "budget/long/Procfile": ("too large", b"web: uvicorn app:app --reload " + b"x" * limits.MAX_LINE_CHARS + b"\n"),
    "budget/pyproject.toml": ("too deep", b"a = " + b"[" * DEEP + b"]" * DEEP + b"\n"),
    "budget/fly.toml": ("too deep", b"app = 'x'\nx = " + b"{a=" * DEEP + b"}" * DEEP + b"\n"),
    "budget/compose/docker-compose.yml": ("too large", b"services:\n  api:\n    image: x:1\n    environment:\n"
                                          + b"      A: b\n" * limits.YAML_MAX_LINES),
}
# Within budget but pathological: analysed, and the run stays linear.
WITHIN_BUDGET: dict[str, bytes] = {
    "slow/engines.py": b"from sqlalchemy import create_engine\n"
                       + f'create_engine("postgresql://u:{SECRET}@db/x", echo=True)\n'.encode() * 300,
    "slow/one_line.py": b"import fastapi\nx = '" + b"a" * 1_000_000 + b"'\n",
    "slow/compose.yaml": (b"services:\n  api:\n    image: x:1\n    command: uvicorn app:app --reload "
                          + b"x" * 200_000 + b"\n"),
    "odd/binary/Dockerfile": b"FROM python\x00\x01\x02\n" * 10,
    "odd/latin/Procfile": b"web: uvicorn app:app --reload  # caf\xe9\n",
}
LINKED_KINDS = ("Procfile", "Dockerfile", ".env", "pyproject.toml", ".gitignore", ".dockerignore", "start.sh",
                "docker-compose.yml", "app.py", "requirements.txt", "fly.toml", "alembic.ini")


def _special_files(root: Path, outside: Path) -> None:
    """FIFOs, a socket, and links out of the root for every file kind."""
    if hasattr(os, "mkfifo"):
        for name in ("Procfile", "Dockerfile", ".gitignore", ".dockerignore", "pyproject.toml", "app.py", ".env"):
            (root / "fifo").mkdir(exist_ok=True)
            os.mkfifo(root / "fifo" / name)
    try:
        (root / "sock").mkdir(exist_ok=True)
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(root / "sock" / "docker-compose.yml"))
        server.close()  # the socket file stays
    except (OSError, AttributeError):
        pass  # path too long for AF_UNIX, or no Unix sockets: the FIFOs still run
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "secret.txt").write_text(f"web: uvicorn app:app --reload  # {OUTSIDE_MARKER}\n"
                                        f"DATABASE_URL=postgresql://u:{OUTSIDE_MARKER}@db/x\n*\n")
    links = root / "links"
    links.mkdir()
    for name in LINKED_KINDS:
        (links / name).symlink_to(outside / "secret.txt")
    (links / "folder").symlink_to(outside, target_is_directory=True)
    (links / "loop.py").symlink_to(links / "loop.py")


def _tree(path: Path) -> dict[str, object]:
    """Every entry under path, without following links or opening anything but regular files."""
    out: dict[str, object] = {}
    for directory, dirnames, filenames in os.walk(path, followlinks=False):
        for name in dirnames + filenames:
            full = os.path.join(directory, name)
            info = os.lstat(full)
            if stat.S_ISREG(info.st_mode):
                out[full] = Path(full).read_bytes()
            elif stat.S_ISLNK(info.st_mode):
                out[full] = ("link", os.readlink(full))
            else:
                out[full] = ("other", stat.S_IFMT(info.st_mode))
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    base = tmp_path_factory.mktemp("corpus")
    root = base / "repo"
    try:
        write(root, hostile_files())
        write(root, {"app/new\nline\x1b[2J.py": f'URL = "postgresql://a:{SECRET}@db/x"\n'.encode()})
    except OSError:
        pytest.skip("the file system refuses control characters in names")
    write(root, {path: content for path, (_, content) in OVER_BUDGET.items()})
    write(root, WITHIN_BUDGET)
    _special_files(root, base / "outside")
    return base, root, base / "cache"


def _assert_untouched(base: Path, before: dict[str, object]) -> None:
    after = {k: v for k, v in _tree(base).items() if not k.startswith(str(base / "cache"))}
    assert after == before, sorted(set(after) ^ set(before))[:10]


def _before(base: Path) -> dict[str, object]:
    return {k: v for k, v in _tree(base).items() if not k.startswith(str(base / "cache"))}


def test_the_json_report_names_every_budget(corpus: tuple[Path, Path, Path]) -> None:
    """One cold run (no cache): every over-budget file is PC000 saying why, the rest is analysed."""
    base, root, _ = corpus
    before = _before(base)
    code, stdout, stderr = run_off_terminal(root, "json", "--no-cache")
    assert code in (0, 1) and "internal error" not in stderr, stderr[-3000:]
    assert_clean(stderr, "json stderr")
    report = json.loads(stdout)
    errors = {f["path"]: f["message"] for f in report["findings"] if f["code"] == "PC000"}
    for path, (words, _) in OVER_BUDGET.items():
        assert words in errors.get(path, ""), (path, errors.get(path))
    for name in ("Procfile", "Dockerfile", "pyproject.toml", "app.py", ".env"):
        if (root / "fifo" / name).exists():
            assert "not a regular file" in errors[f"fifo/{name}"]
    assert "binary" in errors["odd/binary/Dockerfile"]
    assert "UTF-8" in errors["odd/latin/Procfile"]
    paths = {f["path"] for f in report["findings"]}
    assert {"slow/engines.py", "slow/compose.yaml", "Procfile"} <= paths  # the rest was checked
    assert not any(p.startswith("links/") and p != "links/loop.py" for p in paths), sorted(paths)
    assert OUTSIDE_MARKER not in stdout and SECRET not in stdout
    _assert_untouched(base, before)


@pytest.mark.parametrize("output_format", FORMATS)
def test_every_format_off_a_terminal(corpus: tuple[Path, Path, Path], output_format: str) -> None:
    base, root, cache = corpus
    before = _before(base)
    code, stdout, stderr = run_off_terminal(root, output_format, "--cache-dir", str(cache))
    assert code in (0, 1), stderr[-3000:]
    assert "internal error" not in stderr, stderr[-3000:]
    for where, text in (("stdout", stdout), ("stderr", stderr)):
        assert_clean(text, f"{output_format} {where}")
        assert OUTSIDE_MARKER not in text, f"{output_format} {where}: a file outside the root was read"
    _assert_untouched(base, before)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pseudo-terminals")
@pytest.mark.parametrize("output_format", FORMATS)
def test_every_format_on_a_terminal(corpus: tuple[Path, Path, Path], output_format: str) -> None:
    base, root, cache = corpus
    before = _before(base)
    code, output = run_on_terminal(root, output_format, "--cache-dir", str(cache))
    assert code in (0, 1), output[-3000:]
    assert "internal error" not in output, output[-3000:]
    assert_clean(output, f"{output_format} on a terminal")
    assert OUTSIDE_MARKER not in output
    _assert_untouched(base, before)


@pytest.mark.parametrize("setting", ["output", "cache-dir", "baseline", "write-baseline"])
def test_a_configuration_cannot_choose_where_prodcheck_writes(tmp_path: Path, setting: str) -> None:
    """The configuration has no key that names a file to write or read: such a key is a usage
    error (exit 2) and nothing is written where it points."""
    target = tmp_path / "elsewhere" / "written"
    root = write(tmp_path / "repo", {
        "Procfile": b"web: uvicorn app:app --reload\n",
        ".prodcheck.toml": f'{setting} = "{target}"\n'.encode(),
    })
    completed = subprocess.run([sys.executable, "-m", "prodcheck", "check", str(root), "--no-cache"],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2, completed.stderr
    assert "unknown key" in completed.stderr and "Traceback" not in completed.stderr
    assert not target.parent.exists()


def test_a_configuration_linked_out_of_the_project_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside.toml"
    outside.write_text(f'select = ["{OUTSIDE_MARKER}"]\n')
    root = write(tmp_path / "repo", {"Procfile": b"web: uvicorn app:app --reload\n"})
    (root / ".prodcheck.toml").symlink_to(outside)
    completed = subprocess.run([sys.executable, "-m", "prodcheck", "check", str(root), "--no-cache"],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2, completed.stderr
    assert "outside" in completed.stderr and OUTSIDE_MARKER not in completed.stderr
    assert "Traceback" not in completed.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_configuration_that_is_a_fifo_does_not_block(tmp_path: Path) -> None:
    root = write(tmp_path / "repo", {"Procfile": b"web: uvicorn app:app --reload\n"})
    os.mkfifo(root / ".prodcheck.toml")
    completed = subprocess.run([sys.executable, "-m", "prodcheck", "check", str(root), "--no-cache"],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2 and "not a regular file" in completed.stderr, completed.stderr


@pytest.mark.parametrize("ref", ["--output=/tmp/prodcheck-pwned", "-c core.pager=touch pwned", "HEAD\x1b]0;pwned\x07",
                                 "$(touch pwned)", "HEAD\n--upload-pack=touch pwned"])
def test_a_malicious_diff_base_is_a_usage_error(tmp_path: Path, ref: str) -> None:
    root = write(tmp_path / "repo", {"Procfile": b"web: uvicorn app:app --reload\n"})
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"]
    try:
        subprocess.run([*git, "init", "-q", str(root)], check=True, capture_output=True, timeout=60)
        subprocess.run([*git, "-C", str(root), "add", "-A"], check=True, capture_output=True, timeout=60)
        subprocess.run([*git, "-C", str(root), "commit", "-qm", "x"], check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("git is not available")
    before = _tree(tmp_path)
    completed = subprocess.run([sys.executable, "-m", "prodcheck", "check", str(root), "--no-cache", "--diff-base", ref],
                               capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert completed.returncode == 2, completed.stderr
    assert_clean(completed.stderr, "diff-base error")
    assert _tree(tmp_path) == before
    assert not Path("/tmp/prodcheck-pwned").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_the_safe_reader_refuses_what_would_block_or_leave_the_root(tmp_path: Path) -> None:
    from prodcheck.safe_read import UnsafeFile, read_bytes

    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside.txt").write_bytes(b"outside")
    (root / "inside.txt").write_bytes(b"inside")
    os.mkfifo(root / "fifo")
    (root / "out").symlink_to(tmp_path / "outside.txt")
    (root / "in").symlink_to(root / "inside.txt")
    assert read_bytes(root / "inside.txt") == b"inside"
    assert read_bytes(root / "in", follow=True, inside=root) == b"inside"
    for path, kwargs, reason in [
        (root / "fifo", {}, "not a regular file"),  # would block on open() or read()
        (root / "fifo", {"follow": True}, "not a regular file"),
        (root / "in", {}, "symbolic link"),  # no links unless asked
        (root / "out", {"follow": True, "inside": root}, "outside the project"),
        (root / "inside.txt", {"limit": 3}, "larger than"),
    ]:
        with pytest.raises(UnsafeFile, match=reason):
            read_bytes(path, **kwargs)  # type: ignore[arg-type]
    assert read_bytes(root / "inside.txt", 3, head=True) == b"ins"
