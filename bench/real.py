#!/usr/bin/env python3
"""prodcheck on real code, as ratios against parse baselines measured in the same run.

    ../shared/bench/build_corpus.sh        # builds the corpus (C=/path/to/corpus); see bench/README.md
    python bench/real.py --corpus C                         # every workload, median of 3
    python bench/real.py --corpus C --only cold,infra -k 1  # some workloads, one run each
    python bench/real.py --corpus C --json out.json         # also write every number as JSON

Every measurement is a whole process (interpreter start-up included) timed through `os.wait4`:
CPU = user + system time of the process and every worker it waited for, wall = elapsed time,
peak = the largest resident set of any one of those processes (ru_maxrss); the package's bytecode is
written first, as installing it does (`compile_package`), so no run compiles prodcheck. Baselines run in a process
of their own over the same files, on one core, interleaved with prodcheck's runs: baseline, prodcheck,
baseline, prodcheck... `--repeat` pairs. Each figure is the median of its runs, and each ratio the
median of the pairs' own ratios: on a shared machine the load moves between runs, and a ratio of two
runs made seconds apart moves much less than either time (the spread of the pairs' CPU ratios is shown).

| workload        | prodcheck run                                   | baseline                          |
|-----------------|-------------------------------------------------|-----------------------------------|
| cold            | `check C/py --no-cache` (7,574 .py files)       | `ast.parse` of every C/py file    |
| cold-sample     | `check C/pysample --no-cache` (every 4th file)  | `ast.parse` of those files        |
| cold-jobs1      | `check C/pysample --no-cache --jobs 1`          | `ast.parse` of those files        |
| polar-cold      | `check repos/polar --no-cache`                  | `ast.parse` of polar's .py files  |
| polar-warm      | re-run with the cache, nothing changed          | same                              |
| polar-one-file  | re-run after one route module gained a comment  | same (target: under 1 s absolute) |
| polar-one-fact  | re-run after that module gained a statement     | same (an edit that changes a fact) |
| polar-one-infra | re-run after server/Dockerfile gained a line     | same (a deployment edit)          |
| polar-pragma    | re-run after a flagged line gained a pragma     | same (`# prodcheck: ignore[PC501]`) |
| infra           | `check C/infra --no-cache` (7,000 files)        | CSafeLoader load_all + dockerfile-parse |

No assertion on any time is made here or in the tests: timings depend on the machine.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

WORKLOADS = ("cold", "cold-sample", "cold-jobs1", "polar-cold", "polar-warm", "polar-one-file", "polar-one-fact",
             "polar-one-infra", "polar-pragma",
             "infra")
POLAR = "repos/polarsource+polar"
# The file edited for the one-file-changed run: a route module (it passes every prefilter).
EDITED = "server/polar/checkout/endpoints.py"
# ... and for the deployment edit: the server's Dockerfile (no Python fact or context moves).
EDITED_INFRA = "server/Dockerfile"

AST_BASELINE = """
import ast, sys, warnings
warnings.simplefilter("ignore")
failures = 0
for path in open(sys.argv[1], encoding="utf-8").read().splitlines():
    try:
        with open(path, "rb") as handle:
            ast.parse(handle.read(), filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        failures += 1
print(failures)
"""

INFRA_BASELINE = """
import sys, yaml
from dockerfile_parse import DockerfileParser
failures = 0
for path in open(sys.argv[1], encoding="utf-8").read().splitlines():
    try:
        with open(path, "rb") as handle:
            for _ in yaml.load_all(handle.read(), Loader=yaml.CSafeLoader):
                pass
    except Exception:
        failures += 1
for path in open(sys.argv[2], encoding="utf-8").read().splitlines():
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            parser = DockerfileParser(fileobj=handle)
            parser.structure
    except Exception:
        failures += 1
print(failures)
"""


@dataclass
class Sample:
    cpu: float
    wall: float
    peak_mib: float


@dataclass
class Measure:
    cpu: float
    wall: float
    peak_mib: float
    runs: int

    @staticmethod
    def of(samples: list[Sample]) -> Measure:
        return Measure(statistics.median(s.cpu for s in samples), statistics.median(s.wall for s in samples),
                       statistics.median(s.peak_mib for s in samples), len(samples))


@dataclass
class Row:
    workload: str
    prodcheck: Measure
    baseline_name: str
    baseline: Measure
    files: int = 0
    notes: list[str] = field(default_factory=list)
    # (prodcheck CPU / baseline CPU, prodcheck wall / baseline wall) of each pair of runs made one after the other.
    pairs: list[tuple[float, float]] = field(default_factory=list)

    @property
    def cpu_ratio(self) -> float:
        if self.pairs:
            return statistics.median(cpu for cpu, _ in self.pairs)
        return self.prodcheck.cpu / self.baseline.cpu if self.baseline.cpu else float("nan")

    @property
    def wall_ratio(self) -> float:
        if self.pairs:
            return statistics.median(wall for _, wall in self.pairs)
        return self.prodcheck.wall / self.baseline.wall if self.baseline.wall else float("nan")

    @property
    def cpu_spread(self) -> tuple[float, float]:
        """The lowest and highest CPU ratio of the pairs (how much the machine's load moved them)."""
        ratios = [cpu for cpu, _ in self.pairs] or [self.cpu_ratio]
        return min(ratios), max(ratios)

    @property
    def peak_ratio(self) -> float:
        return self.prodcheck.peak_mib / self.baseline.peak_mib if self.baseline.peak_mib else float("nan")


def timed(argv: list[str], env: dict[str, str] | None = None, accept: tuple[int, ...] = (0, 1)) -> tuple[Sample, str]:
    """Run argv as a child; its CPU (with waited-for workers), wall time and peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    if process.returncode not in accept or "Traceback" in stderr:
        raise SystemExit(f"{shlex.join(argv)} failed (exit {process.returncode}):\n{stderr[-4000:]}")
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return Sample(usage.ru_utime + usage.ru_stime, wall, peak), stdout


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def paired(times: int, baseline: list[str], argv: list[str], env: dict[str, str] | None = None,
           before: object = None) -> tuple[Measure, Measure, list[tuple[float, float]]]:
    """`times` pairs of runs, the baseline then prodcheck (after `before()`): both medians and each pair's
    (CPU ratio, wall ratio)."""
    base_samples, samples, pairs = [], [], []
    for _ in range(times):
        base = timed(baseline)[0]
        if callable(before):
            before()
        sample = timed(argv, env)[0]
        base_samples.append(base)
        samples.append(sample)
        pairs.append((_ratio(sample.cpu, base.cpu), _ratio(sample.wall, base.wall)))
    return Measure.of(base_samples), Measure.of(samples), pairs


class Bench:
    def __init__(self, corpus: Path, command: list[str], times: int, work: Path) -> None:
        self.corpus = corpus
        self.command = command
        self.times = times
        self.work = work
        self.cache = work / "cache"
        self.env = {**os.environ, "PRODCHECK_CACHE_DIR": str(self.cache)}

    # -------------------------------------------------------------- baselines

    def file_list(self, name: str, folder: Path) -> Path:
        listed = self.corpus / f"{name}.files"
        if listed.is_file():
            return listed
        target = self.work / f"{name}.files"
        target.write_text("\n".join(str(p) for p in sorted(folder.rglob("*.py")) if p.is_file()) + "\n")
        return target

    def ast_baseline(self, name: str, folder: Path) -> tuple[list[str], int]:
        """The command that parses the folder's .py files with `ast`, and how many there are."""
        listed = self.file_list(name, folder)
        count = sum(1 for line in listed.read_text().splitlines() if line)
        return [sys.executable, "-c", AST_BASELINE, str(listed)], count

    def infra_baseline(self) -> list[str]:
        return [sys.executable, "-c", INFRA_BASELINE, str(self.corpus / "yaml.files"), str(self.corpus / "df.files")]

    # -------------------------------------------------------------- prodcheck

    def check(self, folder: Path, *extra: str) -> list[str]:
        return [*self.command, "check", str(folder), "--format", "json", *extra]

    def clear_cache(self, folder: Path) -> None:
        shutil.rmtree(self.cache, ignore_errors=True)
        shutil.rmtree(folder / ".prodcheck_cache", ignore_errors=True)  # where older versions kept it

    def run(self, workload: str) -> Row:
        py, sample, polar = self.corpus / "py", self.corpus / "pysample", self.corpus / POLAR
        if workload in ("cold", "cold-sample", "cold-jobs1"):
            folder, name = (py, "py") if workload == "cold" else (sample, "pysample")
            extra = ("--no-cache", "--jobs", "1") if workload == "cold-jobs1" else ("--no-cache",)
            baseline, count = self.ast_baseline(name, folder)
            base, measure, pairs = paired(self.times, baseline, self.check(folder, *extra), self.env)
            return Row(workload, measure, f"ast.parse ({name})", base, count, pairs=pairs)
        if workload.startswith("polar-"):
            baseline, count = self.ast_baseline("polar", polar)
            if workload == "polar-cold":
                base, measure, pairs = paired(self.times, baseline, self.check(polar, "--no-cache"), self.env)
                return Row(workload, measure, "ast.parse (polar)", base, count, pairs=pairs)
            self.clear_cache(polar)
            primed = timed(self.check(polar), self.env)[1]  # prime the cache
            if workload == "polar-warm":
                base, measure, pairs = paired(self.times, baseline, self.check(polar), self.env)
                return Row(workload, measure, "ast.parse (polar)", base, count, pairs=pairs)
            flagged = 0  # for polar-pragma: the line of a PC501 finding the edit suppresses
            if workload == "polar-pragma":
                edited, flagged = _flagged_line(polar, primed)
            else:
                edited = polar / (EDITED_INFRA if workload == "polar-one-infra" else EDITED)
            original = edited.read_bytes()
            base_samples, samples, pairs = [], [], []
            try:
                for index in range(self.times):
                    base_samples.append(timed(baseline)[0])
                    edit = (f"\n# edited by bench/real.py ({index})\n" if workload == "polar-one-file"
                            else f"\nENV BENCH_EDIT={index + 1}\n" if workload == "polar-one-infra"
                            else f"\n_BENCH_EDIT = {index + 1}  # edited by bench/real.py: a new fact\n")
                    if flagged:
                        lines = original.split(b"\n")
                        lines[flagged - 1] += f"  # prodcheck: ignore[PC501] -- bench/real.py ({index})".encode()
                        edited.write_bytes(b"\n".join(lines))
                    else:
                        edited.write_bytes(original + edit.encode())
                    samples.append(timed(self.check(polar), self.env)[0])
                    pairs.append((_ratio(samples[-1].cpu, base_samples[-1].cpu),
                                  _ratio(samples[-1].wall, base_samples[-1].wall)))
                    edited.write_bytes(original)
                    timed(self.check(polar), self.env)  # back to the primed state, untimed
            finally:
                edited.write_bytes(original)
            return Row(workload, Measure.of(samples), "ast.parse (polar)", Measure.of(base_samples), count,
                       [f"edited {edited.relative_to(polar)}"], pairs)
        if workload == "infra":
            infra = self.corpus / "infra"
            base, measure, pairs = paired(self.times, self.infra_baseline(), self.check(infra, "--no-cache"), self.env)
            count = sum(1 for p in infra.rglob("*") if p.is_file())
            return Row(workload, measure, "yaml CSafeLoader + dockerfile-parse", base, count, pairs=pairs)
        raise SystemExit(f"unknown workload {workload}")


def _flagged_line(polar: Path, report: str) -> tuple[Path, int]:
    """A Python file and line a PC501 finding of the primed run points at, not continued by a backslash: the pragma
    edit's place (the edit moves no fact: only the findings' finishing steps read it, finishing.py)."""
    for finding in json.loads(report)["findings"]:
        if finding["code"] == "PC501" and finding["path"].endswith(".py"):
            path = polar / finding["path"]
            if not path.read_bytes().split(b"\n")[finding["line"] - 1].rstrip().endswith(b"\\"):
                return path, finding["line"]
    raise SystemExit("polar-pragma: the primed run reported no PC501 finding to suppress")


COMPILE = """
import compileall, os, prodcheck
compileall.compile_dir(os.path.dirname(prodcheck.__file__), quiet=1)
"""


def compile_package(env: dict[str, str]) -> None:
    """Write the bytecode of the prodcheck that the runs import, as installing it does.

    Without it, a checkout run under PYTHONDONTWRITEBYTECODE=1 (or whose modules changed since their
    `.pyc` files were written) compiles every changed module on every run: 0.3 s of CPU per process for
    the whole package, a sixth of the infra baseline, while the baseline's yaml and dockerfile-parse come
    from the bytecode their install wrote. `py_compile` writes whatever that variable says."""
    subprocess.run([sys.executable, "-c", COMPILE], env=env, check=True)


def render(rows: list[Row], cpus: int) -> str:
    lines = [f"CPUs: {cpus}; each time the median of its runs, each ratio the median of the pairs' ratios "
             "(CPU x range: lowest-highest pair); CPU includes workers",
             "",
             f"{'workload':<15} {'files':>6} {'CPU s':>8} {'wall s':>8} {'peak MiB':>9} | "
             f"{'baseline':<36} {'CPU s':>7} {'wall s':>7} {'MiB':>5} | {'CPU x':>6} {'wall x':>6} {'mem x':>6} "
             f"{'CPU x range':>13}"]
    for row in rows:
        p, b = row.prodcheck, row.baseline
        lines.append(
            f"{row.workload:<15} {row.files:>6} {p.cpu:>8.2f} {p.wall:>8.2f} {p.peak_mib:>9.0f} | "
            f"{row.baseline_name:<36} {b.cpu:>7.2f} {b.wall:>7.2f} {b.peak_mib:>5.0f} | "
            f"{row.cpu_ratio:>5.2f}x {row.wall_ratio:>5.2f}x {row.peak_ratio:>5.2f}x "
            f"{row.cpu_spread[0]:>6.2f}-{row.cpu_spread[1]:.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path(os.environ.get("PRODCHECK_CORPUS", "/tmp/perfcorpus")),
                        help="folder built by build_corpus.sh (default $PRODCHECK_CORPUS or /tmp/perfcorpus)")
    parser.add_argument("--only", default=",".join(WORKLOADS), help=f"comma-separated subset of {', '.join(WORKLOADS)}")
    parser.add_argument("--repeat", "-k", type=int, default=3, help="runs per measurement; the median is kept")
    parser.add_argument("--prodcheck", default=None, help="command that runs prodcheck (default: this Python -m prodcheck)")
    parser.add_argument("--work", type=Path, default=Path(__file__).resolve().parent / ".work" / "real")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON to FILE")
    args = parser.parse_args(argv)
    chosen = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = set(chosen) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads: {', '.join(sorted(unknown))}")
    if not (args.corpus / "py").is_dir():
        parser.error(f"--corpus: no corpus at {args.corpus} (build it with build_corpus.sh)")
    args.work.mkdir(parents=True, exist_ok=True)
    command = shlex.split(args.prodcheck) if args.prodcheck else [sys.executable, "-m", "prodcheck"]
    bench = Bench(args.corpus.resolve(), command, max(1, args.repeat), args.work.resolve())
    if not args.prodcheck:
        compile_package(bench.env)
    rows = []
    for workload in chosen:
        rows.append(bench.run(workload))
        print(render(rows[-1:], os.cpu_count() or 1).splitlines()[-1], file=sys.stderr, flush=True)
    print(render(rows, os.cpu_count() or 1))
    if args.json:
        args.json.write_text(json.dumps([{**asdict(r), "ratios": {"cpu": r.cpu_ratio, "wall": r.wall_ratio,
                                                                  "peak": r.peak_ratio}} for r in rows], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
