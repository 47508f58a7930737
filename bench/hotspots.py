#!/usr/bin/env python3
"""Where a cold prodcheck run spends its time: phases, each rule, and a cProfile top list.

    python bench/hotspots.py bench/.work/generated-9500-1            # phases + per-rule seconds
    python bench/hotspots.py TREE --cprofile 30                       # plus the 30 costliest functions

Runs in-process with the cache off. Rules share the project model's lazily built views, so the
first rule that touches a view (e.g. `project.python`, `project.processes`) is charged for it;
the `project views` line builds the common ones up front to keep the per-rule numbers fair.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from pathlib import Path


def phases(root: Path, jobs: int | None) -> list[tuple[str, float]]:
    from prodcheck import engine
    from prodcheck.project import Project
    from prodcheck.rules import all_rules
    from prodcheck.settings import Settings

    settings = Settings(use_cache=False, jobs=jobs)
    out: list[tuple[str, float]] = []
    root = root.resolve()

    start = time.perf_counter()
    files = engine.discover(root, settings)
    out.append((f"discover + read ({len(files)} files)", time.perf_counter() - start))

    start = time.perf_counter()
    python = engine.parse_python(root, files, settings)
    out.append((f"parse Python ({len(python)} parsed)", time.perf_counter() - start))

    start = time.perf_counter()
    project = Project(root, files, python, settings)
    for view in ("python", "dockerfiles", "compose_services", "k8s_documents", "workloads", "workflows",
                 "processes", "databases", "engines"):
        try:
            getattr(project, view)
        except AttributeError:
            continue
    out.append(("project views", time.perf_counter() - start))

    for code, rule_class in sorted(all_rules().items()):
        start = time.perf_counter()
        count = 0
        try:
            for _ in rule_class().check(project):
                count += 1
        except Exception as error:  # report, keep measuring the others
            out.append((f"rule {code} FAILED: {type(error).__name__}", time.perf_counter() - start))
            continue
        out.append((f"rule {code} ({count} drafts)", time.perf_counter() - start))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path)
    parser.add_argument("--jobs", "-j", type=int, default=None)
    parser.add_argument("--cprofile", type=int, default=0, metavar="N",
                        help="also profile a whole engine.run (jobs=1) and print the N costliest functions")
    args = parser.parse_args()

    results = phases(args.root, args.jobs)
    total = sum(seconds for _, seconds in results)
    for name, seconds in sorted(results, key=lambda item: -item[1]):
        if seconds >= 0.01 or not name.startswith("rule "):
            print(f"{seconds:9.3f} s  {100 * seconds / total:5.1f} %  {name}")
    print(f"{total:9.3f} s  total")

    if args.cprofile:
        from prodcheck import engine
        from prodcheck.settings import Settings

        profiler = cProfile.Profile()
        profiler.enable()
        engine.run(args.root.resolve(), Settings(use_cache=False, jobs=1))
        profiler.disable()
        for order in ("tottime", "cumulative"):
            buffer = io.StringIO()
            pstats.Stats(profiler, stream=buffer).sort_stats(order).print_stats(args.cprofile)
            print(buffer.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
