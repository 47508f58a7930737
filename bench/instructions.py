#!/usr/bin/env python3
"""The work of a cold scan counted in machine instructions: a figure the machine's load does not move.

    python bench/instructions.py --corpus C              # every 40th .py file of C/py (189 files)
    python bench/instructions.py --corpus C --every 20   # a larger sample (slower)

Times on a shared machine move by a third between two runs of the same code (bench/real.py pairs
its runs to cancel most of it). To tell whether a commit made a cold scan cheaper, this counts the
instructions that prodcheck (`check SAMPLE --no-cache --jobs 1`) and the `ast.parse` baseline of
bench/real.py execute on a sample of the corpus, under valgrind's callgrind (no cache simulation):
the same code on the same files gives the same count, loaded machine or not (PYTHONHASHSEED is
fixed; what is left moves by well under 1 %). Each is also counted on an empty folder, so the
report gives the ratio with and without interpreter start-up and imports, which weigh far more on
a sample of 189 files than on the 7,574 of the corpus.

An instruction count is no time: it ignores cache misses and memory stalls, so it ranks changes of
the Python work well and says little about allocation-heavy ones (compare peak memory with real.py).
It is slow (about 50x the plain run: a few minutes) and needs `valgrind` on PATH; nothing is asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real import AST_BASELINE  # the same baseline as the timed bench

_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def count(argv: list[str]) -> int:
    """Instructions executed by argv and its children (callgrind), with a fixed hash seed."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    completed = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                                "--trace-children=yes", *argv],
                               capture_output=True, text=True, env=env, check=False)
    totals = [int(found) for found in _COLLECTED.findall(completed.stderr)]
    if completed.returncode not in (0, 1) or not totals or "Traceback" in completed.stderr:
        raise SystemExit(f"{shlex.join(argv)} failed (exit {completed.returncode}):\n{completed.stderr[-3000:]}")
    return sum(totals)


def sample(corpus: Path, every: int, work: Path) -> tuple[Path, Path]:
    """Every `every`-th .py file of the corpus's file list, copied under work/sample (its folders kept)."""
    listed = corpus / "py.files"
    paths = (listed.read_text().splitlines() if listed.is_file()
             else [str(p) for p in sorted((corpus / "py").rglob("*.py")) if p.is_file()])
    folder = work / "sample"
    shutil.rmtree(folder, ignore_errors=True)
    chosen = []
    for path in paths[every - 1::every]:
        relative = Path(path).relative_to(corpus / "py")
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        chosen.append(str(target))
    files = work / "sample.files"
    files.write_text("\n".join(chosen) + "\n")
    return folder, files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path(os.environ.get("PRODCHECK_CORPUS", "/tmp/perfcorpus")))
    parser.add_argument("--every", type=int, default=40, help="take every Nth .py file of the corpus (default 40)")
    parser.add_argument("--prodcheck", default=None, help="command that runs prodcheck (default: this Python -m prodcheck)")
    parser.add_argument("--work", type=Path, default=Path(__file__).resolve().parent / ".work" / "instructions")
    parser.add_argument("--json", type=Path, default=None, help="also write the counts as JSON to FILE")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not on PATH")
    if not (args.corpus / "py").is_dir():
        parser.error(f"--corpus: no corpus at {args.corpus} (build it with build_corpus.sh)")
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    folder, files = sample(args.corpus.resolve(), max(1, args.every), work)
    empty = work / "empty"
    shutil.rmtree(empty, ignore_errors=True)
    empty.mkdir()
    (work / "empty.files").write_text("")
    command = shlex.split(args.prodcheck) if args.prodcheck else [sys.executable, "-m", "prodcheck"]

    def check(target: Path) -> list[str]:
        return [*command, "check", str(target), "--no-cache", "--jobs", "1", "--format", "json"]

    counts = {
        "prodcheck": count(check(folder)),
        "prodcheck_empty": count(check(empty)),
        "baseline": count([sys.executable, "-c", AST_BASELINE, str(files)]),
        "baseline_empty": count([sys.executable, "-c", AST_BASELINE, str(work / "empty.files")]),
    }
    whole = counts["prodcheck"] / counts["baseline"]
    past = (counts["prodcheck"] - counts["prodcheck_empty"]) / (counts["baseline"] - counts["baseline_empty"])
    lines = sum(1 for line in files.read_text().splitlines() if line)
    print(f"{lines} files (every {args.every}th of {args.corpus / 'py'}), instructions (callgrind), 10^9:")
    print(f"  prodcheck {counts['prodcheck'] / 1e9:.3f} (empty folder {counts['prodcheck_empty'] / 1e9:.3f}) | "
          f"ast.parse {counts['baseline'] / 1e9:.3f} (no file {counts['baseline_empty'] / 1e9:.3f})")
    print(f"  ratio {whole:.3f}x whole process, {past:.3f}x past start-up")
    if args.json:
        args.json.write_text(json.dumps({**counts, "files": lines, "ratio": whole, "ratio_past_startup": past},
                                        indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
