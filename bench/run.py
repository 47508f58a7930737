#!/usr/bin/env python3
"""Benchmark: prodcheck (cold and warm) against `ast.parse` over the same Python files.

    python bench/run.py                         # generated tree, ~10,000 files
    python bench/run.py --source site-packages  # the .py files of the installed packages
    python bench/run.py --source /path/to/repo  # any tree (copied into bench/.work first)

Prints absolute seconds (best of --repeat), the ratios prodcheck-cold / ast.parse and
prodcheck-warm / ast.parse, and files/s. ruff and bandit are timed too when installed.
See bench/README.md. No assertion on any time is made here or in the tests.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate

DEFAULT_MODULES = 9_500  # plus ~800 infra files: about 10,000 files in all
CACHE_DIR = ".prodcheck_cache"  # where earlier prodcheck versions kept their cache: never copied into a tree


@dataclass
class Result:
    source: str
    root: str
    files_total: int = 0
    python_files: int = 0
    python_bytes: int = 0
    cpu_count: int = 0
    ast_parse_s: float = 0.0
    read_only_s: float = 0.0
    ast_failures: int = 0
    prodcheck_cold_s: float = 0.0
    prodcheck_prime_s: float = 0.0
    prodcheck_warm_s: float = 0.0
    prodcheck_startup_s: float = 0.0
    prodcheck_files: int = 0
    findings: int = 0
    findings_by_code: dict[str, int] = field(default_factory=dict)
    others: dict[str, float] = field(default_factory=dict)

    def ratios(self) -> dict[str, float]:
        base = self.ast_parse_s or float("nan")
        out = {"cold/ast": self.prodcheck_cold_s / base, "warm/ast": self.prodcheck_warm_s / base}
        for name, seconds in self.others.items():
            out[f"{name}/ast"] = seconds / base
        return out


# ---------------------------------------------------------------------------------------- trees

def _site_packages_tree(work: Path) -> Path:
    """The installed packages' .py files, copied (never symlinked: the cache is written inside)."""
    target = work / "site-packages-tree"
    roots = {Path(sysconfig.get_paths()[key]) for key in ("purelib", "platlib")}
    stamp = target / ".bench-tree.json"
    if stamp.is_file():
        return target
    if target.exists():
        shutil.rmtree(target)
    for root in sorted(roots):
        for directory, dirnames, filenames in os.walk(root):
            # The tree is scanned under a neutral name: prodcheck always skips "site-packages"
            # and the usual build folders; keep whatever else a package ships.
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in filenames:
                if not name.endswith(".py"):
                    continue
                source = Path(directory, name)
                relative = source.relative_to(root)
                destination = target / "pkgs" / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                try:
                    shutil.copyfile(source, destination)
                except OSError:
                    continue
    stamp.write_text(json.dumps({"source": "site-packages", "roots": [str(r) for r in sorted(roots)]}))
    return target


def _copied_tree(path: Path, work: Path) -> Path:
    target = work / f"path-{path.resolve().name}"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(path, target, symlinks=True, ignore=shutil.ignore_patterns(".git", CACHE_DIR))
    return target


def python_files(root: Path) -> list[Path]:
    """The .py files prodcheck itself would discover (same walker, same skips)."""
    from prodcheck.discovery.classify import classify
    from prodcheck.discovery.walk import walk
    from prodcheck.model.files import FileKind

    return [root / w.relpath for w in walk(root) if classify(w.relpath) in (FileKind.PYTHON, FileKind.GUNICORN_CONF)]


def count_known_files(root: Path) -> int:
    from prodcheck.discovery.classify import classify
    from prodcheck.discovery.walk import walk

    return sum(1 for w in walk(root) if classify(w.relpath) is not None)


# ---------------------------------------------------------------------------------------- timing

def best_of(repeat: int, action) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def time_ast(files: list[Path], repeat: int) -> tuple[float, float, int, int]:
    """(read+parse seconds, read-only seconds, syntax failures, bytes), single process."""
    failures = 0
    size = 0

    def read_all() -> None:
        nonlocal size
        size = 0
        for path in files:
            size += len(path.read_bytes())

    def parse_all() -> None:
        nonlocal failures
        failures = 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes in old packages
            for path in files:
                try:
                    ast.parse(path.read_bytes(), filename=str(path))
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    failures += 1

    read_s = best_of(repeat, read_all)
    parse_s = best_of(repeat, parse_all)
    return parse_s, read_s, failures, size


def run_prodcheck(command: list[str], root: Path, *extra: str) -> dict:
    completed = subprocess.run([*command, "check", str(root), "--format", "json", *extra],
                               capture_output=True, text=True)
    if completed.returncode not in (0, 1) or "Traceback" in completed.stderr:
        raise SystemExit(f"prodcheck failed (exit {completed.returncode}):\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout)


def time_tool(argv: list[str], repeat: int) -> float | None:
    def action() -> None:
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    try:
        return best_of(repeat, action)
    except OSError:
        return None


def _which(name: str) -> str | None:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def benchmark(root: Path, source: str, command: list[str], repeat: int, jobs: int | None,
              others: bool) -> Result:
    result = Result(source=source, root=str(root), cpu_count=os.cpu_count() or 1)
    files = python_files(root)
    result.python_files = len(files)
    result.files_total = count_known_files(root)
    result.ast_parse_s, result.read_only_s, result.ast_failures, result.python_bytes = time_ast(files, repeat)

    extra = ["--jobs", str(jobs)] if jobs else []
    report: dict = {}

    def cold() -> None:
        nonlocal report
        report = run_prodcheck(command, root, "--no-cache", *extra)

    result.prodcheck_cold_s = best_of(repeat, cold)
    result.prodcheck_files = int(report.get("summary", {}).get("files", 0))
    result.findings = len(report.get("findings", []))
    by_code: dict[str, int] = {}
    for finding in report.get("findings", []):
        by_code[finding["code"]] = by_code.get(finding["code"], 0) + 1
    result.findings_by_code = dict(sorted(by_code.items()))

    # The cache lives beside the tree (prodcheck never writes inside a scanned tree).
    cache = root.parent / f"{root.name}.prodcheck-cache"
    cached = [*extra, "--cache-dir", str(cache)]

    def prime() -> None:
        shutil.rmtree(cache, ignore_errors=True)
        run_prodcheck(command, root, *cached)

    result.prodcheck_prime_s = best_of(1, prime)  # cold run that also writes the cache
    result.prodcheck_warm_s = best_of(repeat, lambda: run_prodcheck(command, root, *cached))
    result.prodcheck_startup_s = best_of(repeat, lambda: subprocess.run(
        [*command, "--version"], stdout=subprocess.DEVNULL, check=False))

    if others:
        ruff = _which("ruff")
        if ruff:
            seconds = time_tool([ruff, "check", "--no-cache", "--exit-zero", "--quiet", str(root)], repeat)
            if seconds is not None:
                result.others["ruff"] = seconds
        bandit = _which("bandit")
        if bandit:
            seconds = time_tool([bandit, "-r", "-q", "-f", "json", str(root)], 1)
            if seconds is not None:
                result.others["bandit"] = seconds
    return result


# ---------------------------------------------------------------------------------------- report

def render(result: Result) -> str:
    def rate(seconds: float) -> str:
        return f"{result.files_total / seconds:,.0f} files/s" if seconds > 0 else "-"

    ratios = result.ratios()
    rows = [
        ("ast.parse (read + parse, 1 process)", result.ast_parse_s, rate(result.ast_parse_s), "1.00x"),
        ("read only", result.read_only_s, "", ""),
        ("prodcheck --version (startup)", result.prodcheck_startup_s, "", ""),
        ("prodcheck cold (--no-cache)", result.prodcheck_cold_s, rate(result.prodcheck_cold_s),
         f"{ratios['cold/ast']:.2f}x"),
        ("prodcheck prime (cold + cache write)", result.prodcheck_prime_s, rate(result.prodcheck_prime_s), ""),
        ("prodcheck warm (cache, nothing changed)", result.prodcheck_warm_s, rate(result.prodcheck_warm_s),
         f"{ratios['warm/ast']:.2f}x"),
    ]
    for name, seconds in result.others.items():
        rows.append((name, seconds, rate(seconds), f"{ratios[f'{name}/ast']:.2f}x"))
    lines = [
        f"tree: {result.root} ({result.source})",
        f"files of known kinds: {result.files_total:,}; Python: {result.python_files:,} "
        f"({result.python_bytes / 1e6:.1f} MB, {result.ast_failures} not parseable by ast); "
        f"prodcheck counted {result.prodcheck_files:,}; CPUs: {result.cpu_count}",
        "",
        f"{'measurement':<42} {'seconds':>9}  {'throughput':>18}  {'vs ast':>7}",
    ]
    for name, seconds, throughput, ratio in rows:
        lines.append(f"{name:<42} {seconds:>9.3f}  {throughput:>18}  {ratio:>7}")
    lines.append("")
    lines.append(f"findings: {result.findings} {result.findings_by_code}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="generated",
                        help="'generated' (default), 'site-packages', or a path to any tree")
    parser.add_argument("-n", "--modules", type=int, default=DEFAULT_MODULES,
                        help=f"Python modules of the generated tree (default {DEFAULT_MODULES})")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", "-k", type=int, default=3, help="best of K runs (default 3)")
    parser.add_argument("--jobs", "-j", type=int, default=None, help="passed to prodcheck --jobs")
    parser.add_argument("--work", type=Path, default=HERE / ".work", help="where trees are written")
    parser.add_argument("--in-place", action="store_true", help="scan a --source PATH where it is (no copy)")
    parser.add_argument("--prodcheck", default=None,
                        help="command that runs prodcheck (default: this Python with -m prodcheck)")
    parser.add_argument("--no-others", action="store_true", help="do not time ruff / bandit even if installed")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON to FILE")
    args = parser.parse_args(argv)

    work: Path = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    if args.source == "generated":
        root = work / f"generated-{args.modules}-{args.seed}"
        generate(root, args.modules, args.seed)
    elif args.source == "site-packages":
        root = _site_packages_tree(work)
    else:
        path = Path(args.source)
        if not path.is_dir():
            parser.error(f"--source: no such folder: {path}")
        root = path.resolve() if args.in_place else _copied_tree(path, work)
    command = shlex.split(args.prodcheck) if args.prodcheck else [sys.executable, "-m", "prodcheck"]
    result = benchmark(root, args.source, command, max(1, args.repeat), args.jobs, not args.no_others)
    print(render(result))
    if args.json:
        args.json.write_text(json.dumps({**asdict(result), "ratios": result.ratios()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
