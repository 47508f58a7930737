#!/usr/bin/env python3
"""Speed work must not change a result: snapshot every finding, then diff two snapshots.

    python bench/same_findings.py save DIR [--cmd "python -m prodcheck"]   # real repos + eval projects
    python bench/same_findings.py save DIR --also C/py --also C/infra      # and the bench corpus
    python bench/same_findings.py diff DIR_BEFORE DIR_AFTER                 # exit 1 on any difference

`save` runs `CMD check --no-cache --format json` on every repository under --real
(default /tmp/prodcheck-real) and every project under --eval (default
../shared/eval/projects) and writes one JSON file of findings per project, keeping every field a
user sees. To compare a branch with its merge base, export the base's `src/` and run `save`
with `--cmd "python -m prodcheck"` and PYTHONPATH pointing at it.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _projects(real: Path, evals: Path, also: list[Path]) -> list[tuple[str, Path]]:
    found = []
    for parent, prefix in ((real, "real"), (evals, "eval")):
        if parent.is_dir():
            found += [(f"{prefix}-{p.name}", p) for p in sorted(parent.iterdir()) if p.is_dir()]
    found += [(f"also-{'+'.join(p.resolve().parts[-2:])}", p) for p in also if p.is_dir()]
    return found


def save(target: Path, command: list[str], real: Path, evals: Path, also: list[Path] | None = None) -> int:
    target.mkdir(parents=True, exist_ok=True)
    for name, project in _projects(real, evals, also or []):
        done = subprocess.run([*command, "check", "--no-cache", "--format", "json", str(project)],
                              capture_output=True, text=True)
        if done.returncode not in (0, 1):
            print(f"{name}: exit {done.returncode}\n{done.stderr[-2000:]}", file=sys.stderr)
            return 2
        report = json.loads(done.stdout)
        findings = sorted(report["findings"], key=lambda f: (f["path"], f["line"], f["column"], f["code"],
                                                              f["message"]))
        (target / f"{name}.json").write_text(json.dumps({"findings": findings, "stderr": done.stderr},
                                                        indent=1, sort_keys=True))
        print(f"{name}: {len(findings)} findings", file=sys.stderr)
    return 0


def diff(before: Path, after: Path) -> int:
    names = sorted({p.name for p in before.glob("*.json")} | {p.name for p in after.glob("*.json")})
    different = 0
    for name in names:
        old, new = before / name, after / name
        if not old.exists() or not new.exists():
            print(f"{name}: only in {'after' if new.exists() else 'before'}")
            different += 1
            continue
        a, b = json.loads(old.read_text()), json.loads(new.read_text())
        if a == b:
            continue
        different += 1
        key = lambda f: json.dumps(f, sort_keys=True)
        gone = {key(f) for f in a["findings"]} - {key(f) for f in b["findings"]}
        came = {key(f) for f in b["findings"]} - {key(f) for f in a["findings"]}
        print(f"{name}: {len(gone)} gone, {len(came)} new" + ("; stderr differs" if a["stderr"] != b["stderr"] else ""))
        for line in sorted(gone)[:10]:
            print(f"  - {line[:300]}")
        for line in sorted(came)[:10]:
            print(f"  + {line[:300]}")
    print(f"{len(names)} projects, {different} with different findings")
    return 1 if different else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="action", required=True)
    s = sub.add_parser("save")
    s.add_argument("dir", type=Path)
    s.add_argument("--cmd", default=f"{shlex.quote(sys.executable)} -m prodcheck")
    s.add_argument("--real", type=Path, default=Path(os.environ.get("PRODCHECK_REAL", "/tmp/prodcheck-real")))
    s.add_argument("--eval", type=Path, default=HERE.parent.parent.parent / "shared" / "eval" / "projects")
    s.add_argument("--also", type=Path, action="append", default=[],
                   help="another project folder to snapshot (repeatable), e.g. the bench corpus's C/py and C/infra")
    d = sub.add_parser("diff")
    d.add_argument("before", type=Path)
    d.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.action == "save":
        evals = args.eval if args.eval.is_dir() else Path("/work/shared/eval/projects")
        return save(args.dir, shlex.split(args.cmd), args.real, evals, args.also)
    return diff(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
