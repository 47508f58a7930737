"""Replay a repository's real history through the cache, and check each cached re-run against a run without it.

The incremental path (a re-run that re-extracts only changed files and reuses the rest: cache.py, incremental.py,
rule_inputs.py) must give exactly what a `--no-cache` run gives. tests/test_incremental_random.py checks that on
random edits of a small fixture; this checks it on edits people made: a working copy is set to the repository's
commit N commits back, run once to fill the cache, then moved forward commit by commit (every STRIDE-th commit of
the first-parent line), each time rewriting only the files whose bytes changed, removing the deleted ones, and
running prodcheck twice: with the cache (the re-run) and with `--no-cache`. The findings must be equal.

The repository is read from a bare clone (the `fetch` mirrors); nothing of it runs: its blobs are read with
`git cat-file` and written as bytes (a blob a partial clone lacks is left out of every commit alike). Slow, not part
of CI:

    .venv/bin/python bench/history_replay.py /work/.mirror/polarsource+polar/repo --commits 8 --stride 40
    .venv/bin/python bench/history_replay.py MIRROR --commits 12 --stride 3 --prodcheck /tmp/snap/bin/prodcheck
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SYMLINK = b"120000"


def _git(mirror: str, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["git", "--git-dir", mirror, "-c", "core.hooksPath=/dev/null", *args], input=data,
                          capture_output=True, check=True).stdout


def commits(mirror: str, count: int, stride: int) -> list[str]:
    """Every `stride`-th commit of the first-parent line, the last `count` of them, oldest first."""
    line = _git(mirror, "rev-list", "--first-parent", f"-{count * stride}", "HEAD").decode().split()
    return line[::stride][::-1]


def tree(mirror: str, commit: str) -> dict[str, tuple[bytes, bytes]]:
    """Path -> (mode, bytes) of a commit's blobs (gitlinks and blobs the clone lacks left out)."""
    entries: list[tuple[str, bytes, bytes]] = []
    for item in _git(mirror, "ls-tree", "-r", "-z", commit).split(b"\0"):
        if not item:
            continue
        meta, path = item.split(b"\t", 1)
        mode, kind, sha = meta.split()
        if kind == b"blob":
            entries.append((path.decode("utf-8", "surrogateescape"), mode, sha))
    batch = _git(mirror, "cat-file", "--batch", data=b"".join(sha + b"\n" for _, _, sha in entries))
    files: dict[str, tuple[bytes, bytes]] = {}
    position = 0
    for path, mode, _sha in entries:
        end = batch.index(b"\n", position)
        header = batch[position:end].split()
        if header[-1] == b"missing":
            position = end + 1
            continue
        size = int(header[2])
        files[path] = (mode, batch[end + 1:end + 1 + size])
        position = end + 1 + size + 1
    return files


def apply(root: Path, files: dict[str, tuple[bytes, bytes]]) -> int:
    """Make `root` hold `files`, rewriting only what differs; the number of paths changed."""
    present = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() or p.is_symlink()}
    changed = 0
    for gone in present - set(files):
        (root / gone).unlink()
        changed += 1
    for relative, (mode, data) in files.items():
        target = root / relative
        if mode == SYMLINK:
            link = data.decode("utf-8", "surrogateescape")
            if target.is_symlink() and os.readlink(target) == link:
                continue
            if target.is_symlink() or target.exists():
                target.unlink()
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(link)
        else:
            if target.is_file() and not target.is_symlink() and target.read_bytes() == data:
                continue
            if target.is_symlink():
                target.unlink()
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        changed += 1
    return changed


def findings(prodcheck: list[str], root: Path, cache: Path, *extra: str) -> list[str]:
    out = cache.parent / "out.json"
    subprocess.run([*prodcheck, "check", str(root), "--format", "json", "-o", str(out), *extra],
                   env=dict(os.environ, PRODCHECK_CACHE_DIR=str(cache)),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return sorted(json.dumps(f, sort_keys=True) for f in json.loads(out.read_text())["findings"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mirror", help="a bare clone (git dir)")
    parser.add_argument("--commits", type=int, default=10, help="commits replayed after the first")
    parser.add_argument("--stride", type=int, default=1, help="first-parent commits between two replayed ones")
    parser.add_argument("--prodcheck", default=f"{sys.executable} -m prodcheck", help="the command to check with")
    arguments = parser.parse_args()
    prodcheck = arguments.prodcheck.split()
    line = commits(arguments.mirror, arguments.commits + 1, arguments.stride)
    work = Path(tempfile.mkdtemp(prefix="history-replay-"))
    root, cache = work / "tree", work / "cache"
    root.mkdir()
    mismatches = 0
    try:
        apply(root, tree(arguments.mirror, line[0]))
        findings(prodcheck, root, cache)
        for number, commit in enumerate(line[1:], 1):
            changed = apply(root, tree(arguments.mirror, commit))
            cached, cold = findings(prodcheck, root, cache), findings(prodcheck, root, cache, "--no-cache")
            same = cached == cold
            mismatches += not same
            print(f"{'ok' if same else 'MISMATCH'} {number} {commit[:10]}: {changed} paths changed, "
                  f"{len(cold)} findings", flush=True)
            for only in sorted(set(cached) - set(cold))[:5]:
                print(f"  with the cache only: {only[:300]}")
            for only in sorted(set(cold) - set(cached))[:5]:
                print(f"  without it only:    {only[:300]}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{mismatches} mismatches in {len(line) - 1} re-runs")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
