"""Mutation testing of the core rules and the project model (slow: not part of CI).

Applies one small semantic mutation at a time to a copy of `src/` (a comparison flipped or made
strict, `and`/`or` swapped, a `not` dropped, a boolean or number constant changed, a short string
constant emptied, `+`/`-` swapped, `break`/`continue` swapped), runs a narrow test selection
against the copy, and counts the mutant killed when the tests fail (or time out). Mutation points
are enumerated with the stdlib `ast` over every module of a target; `--sample N` draws N of them
(seeded) so a run finishes in minutes on a shared machine:

    nice -n 10 .venv/bin/python bench/mutate.py --sample 40 --seed 1 core model
    nice -n 10 .venv/bin/python bench/mutate.py --list core            # the mutation points, no runs
    nice -n 10 .venv/bin/python bench/mutate.py --only reload_in_production.py:12 core
    nice -n 10 .venv/bin/python bench/mutate.py --module helm_eval.py --sample 20 --seed 100 model  # one module
    nice -n 10 .venv/bin/python bench/mutate.py model --only 'db_urls.py:90 Eq -> NotEq' --tests tests  # whole suite

A mutant that survives its target's selection but dies under `--tests tests` shows a selection gap
(a test file that exercises the module and is missing from the target), not a test gap.

Why not mutmut: mutmut 3 (the maintained line) installs here but only mutates code inside
functions (so not the module-level tables the rules read) and starts with a full-suite run under
its trampoline; this script needs nothing but the standard library and pytest.
"""
from __future__ import annotations

import argparse
import ast
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
RULES = "src/prodcheck/rules"

# target -> (modules, tests that exercise them). Narrow on purpose: a mutant costs one pytest run.
_CORE_TESTS = ["tests/test_rule_docs.py", "tests/test_core_fixtures.py", "tests/test_near_misses.py",
               "tests/test_registry.py", "tests/test_knowledge_tables.py", "tests/test_knowledge.py",
               "tests/test_precision_fixtures.py", "tests/test_rule_edges.py"]
# The model's focused unit tests first (a killed mutant stops at its first failure), then the
# suite that reaches the model through the rules.
_MODEL_TESTS = ["tests/test_project_workflows.py", "tests/test_project_platforms.py", "tests/test_db_url_sources.py",
                "tests/test_project_engines.py", "tests/test_project_python_index.py", "tests/test_project_kustomize.py",
                "tests/test_project_infra.py", "tests/test_project_processes.py", "tests/test_project_databases.py",
                "tests/test_project_views.py",
                "tests/test_platforms.py", "tests/test_db_urls.py", "tests/test_properties.py",
                "tests/test_workflow_and_install_models.py", "tests/test_container_helpers.py",
                "tests/test_shell_exec.py", "tests/test_health_routes.py", *_CORE_TESTS]
# Modules that other tests reach and the shared selection omits: which files production runs
# (the deployment model reads workflows, processes and views), and what reading a file refuses
# (encodings, binary data, budgets: sources.py).
_MODEL_EXTRA = {
    "workflows.py": ["tests/test_deployment_context.py"],
    "processes.py": ["tests/test_deployment_context.py", "tests/test_deployment_commands.py"],
    "gunicorn.py": ["tests/test_deployment_context.py", "tests/test_deployment_commands.py"],
    "databases.py": ["tests/test_migrations_knowledge.py"],
    # the Python index as PC501 walks it: reach through calls, decorators, holders, by-hand registration
    **{name: ["tests/test_blocking_reach.py", "tests/test_reach_ways.py", "tests/test_call_index.py"]
       for name in ("python_index.py", "python_names.py", "written_names.py", "python_routes.py")},
    "views.py": ["tests/test_deployment_context.py"], "sources.py": ["tests/test_robustness.py"],
    **{name: ["tests/test_platform_docs.py"] for name in ("platform_docs.py", "platforms.py")},
    **{name: ["tests/test_deploy_evidence.py", "tests/test_deployment_model.py", "tests/test_deployment_context.py",
              "tests/test_deployment_commands.py"]
       for name in ("deployment.py", "deploy_evidence.py")}, "units.py": ["tests/test_project_units.py", "tests/test_deployment_context.py"],
    "memo.py": ["tests/test_deployment_context.py"], "__init__.py": ["tests/test_deployment_model.py"],
    "secret_names.py": ["tests/test_secret_values.py"],
    "chart_defaults.py": ["tests/test_chart_defaults.py", "tests/test_secret_values.py", "tests/test_helm_render.py"],
    "charts.py": ["tests/test_project_charts.py"],
    **{f"helm_{name}.py": ["tests/test_helm_eval.py", "tests/test_helm_funcs.py", "tests/test_helm_render.py",
                           "tests/test_helm_binary.py", "tests/test_helm_aligned.py"]
       for name in ("aligned", "binary", "eval", "funcs", "render", "values")},
    # what places a file where no deploy path does (compose and path marks, workflows, installed
    # requirements, routes the production app serves, settings classes, development guards) and two helpers
    **{f"{name}.py": [f"tests/test_model_{name}.py", "tests/test_deployment_context.py"]
       for name in ("compose_marks", "path_marks", "installs", "image_roles", "served_routes", "workflow_evidence")},
    "dev_guards.py": ["tests/test_model_dev_guards.py", "tests/test_dev_guard_window.py"],
    "template_defaults.py": ["tests/test_model_template_defaults.py", "tests/test_project_templates.py"],
    "calls.py": ["tests/test_model_calls.py", "tests/test_call_index.py"],
}
# Modules whose own focused tests run before the shared selection (a killed mutant stops there).
_EXTRA_FIRST = ("compose_marks.py", "path_marks.py", "served_routes.py", "workflow_evidence.py", "installs.py",
                "dev_guards.py", "image_roles.py", "template_defaults.py", "calls.py")
TARGETS: dict[str, list[tuple[str, list[str]]]] = {
    "core": [
        (f"{RULES}/runtime/reload_in_production.py", ["-k", "PC101 or reload_gate", *_CORE_TESTS,
                                                      "tests/test_reload_gate.py"]),
        (f"{RULES}/container/container_runs_as_root.py", ["-k", "PC201", *_CORE_TESTS]),
        (f"{RULES}/secrets/hardcoded_database_url.py", ["-k", "PC301 or getter or documenting or template_env",
                                                        *_CORE_TESTS]),
        (f"{RULES}/database/migrations_on_boot.py", ["-k", "PC401 or dev_guard", *_CORE_TESTS,
                                                    "tests/test_dev_guard_window.py"]),
        (f"{RULES}/database/pool_exceeds_connection_limit.py", ["-k", "PC402 or pool or replicas or kustomize or helm",
                                                               *_CORE_TESTS, "tests/test_platforms.py"]),
        (f"{RULES}/concurrency/blocking_call_in_async_route.py", ["-k", "PC501 or blocking or session", *_CORE_TESTS,
                                                                   "tests/test_blocking_reach.py"]),
        # the request-path walk and what it was split into (callees, summaries, one call's verdict, sessions)
        *((f"{RULES}/concurrency/{name}.py", ["-k", "PC501 or PC503 or PC502 or blocking or session", *_CORE_TESTS,
                                              "tests/test_blocking_reach.py"])
          for name in ("request_path", "callees", "summaries", "blocking_calls", "sessions")),
    ],
    "model": [
        (f"src/prodcheck/project/{name}", [*_MODEL_TESTS, *_MODEL_EXTRA.get(name, [])] if name not in _EXTRA_FIRST
         else [*_MODEL_EXTRA[name], *_MODEL_TESTS])
        for name in ("__init__.py", "views.py", "processes.py", "gunicorn.py", "databases.py", "engines.py",
                     "workloads.py", "infra.py", "db_urls.py", "charts.py", "kustomize.py", "platforms.py", "platform_docs.py", "python_index.py", "python_names.py", "written_names.py", "python_routes.py",
                     "workflows.py", "sources.py", "deployment.py", "deploy_evidence.py", "units.py", "memo.py", "secret_names.py",
                     "chart_defaults.py", "helm_aligned.py", "helm_binary.py", "helm_eval.py", "helm_funcs.py",
                     "helm_render.py", "helm_values.py", *_EXTRA_FIRST)
    ],
}

# Mutants no test can kill by design, with why: (module file name, the mutated line's text as
# written, what the mutation does). A drawn mutant found here is not run and not counted (the seed
# still draws the same sample); `--list` marks it. Keep each entry's reason honest: a gap in the
# tests is no reason.
EQUIVALENT: dict[tuple[str, str, str], str] = {
    **{("helm_binary.py", line, what): "a resource budget of the helm binary nudged by one unit (a second, a few "
       "KiB): a test may not time anything (house rules), and pinning the exact byte limit would mean writing "
       "32 MiB of manifests through a helm binary; no finding on a project of test size depends on it"
       for line in ("TIMEOUT = 30", "VERSION_TIMEOUT = 10", "MAX_OUTPUT = 32 * 1024 * 1024",
                    "MAX_COPY = 16 * 1024 * 1024")
       for what in ("30 -> 31", "10 -> 11", "32 -> 33", "16 -> 17", "1024 -> 1025")},
    ("request_path.py", 'memo = index.__dict__.setdefault("_request_path", {})', "'_request_path' -> 'XX'"):
        "the name of a per-index memo: any name no other code uses keeps the same behaviour",
    **{("workflows.py", line.strip(), "'deploy' -> 'XX'"): "the kind a plain deploy command is returned with: "
       "JobModel.deploys() tells only \"migrate\" and \"cluster\" apart and returns the phrase for any other kind, "
       "so another word there is the same deploy"
       for line in (SRC / "prodcheck/project/workflows.py").read_text(encoding="utf-8").splitlines()
       if line.strip().startswith('return "deploy", ')},
    ("processes.py", "cmd_line = cmd.line if cmd else 1", "1 -> 0"): "the line of an image's CMD when it has "
        "none: cmd_argv is then empty, and cmd_line is read only with a CMD to split (the shell-wrapper case)",
    **{("processes.py", 'return [*argv[:at], "/" + copies[path], *argv[at + 1:]]', what): "what follows a renamed "
       "script in the argv: expand() replaces a command that runs a project script by the script's own steps, so "
       "the script's arguments are never read (its \"$@\" is the image's CMD, or nothing)"
       for what in ("Add -> Sub", "1 -> 0")},
    **{("engines.py", 'or e.facts.module.startswith(module.rsplit(".", 1)[0])))', what): "for_app's fallback "
       "by module prefix: for a dotted app module every engine module that starts with its package (`a.b.`) also "
       "has its top package (`a`), which the clause before accepts; for an undotted one both the package and the "
       "module are the module itself, so splitting elsewhere changes nothing"
       for what in ("'.' -> 'XX'", "1 -> 0")},
    ("helm_funcs.py", 'if index >= len(args) or verb not in "sdvq" or match.group(1):', "GtE -> Gt"):
        "printf with fewer arguments than verbs: the bounds check returns UNKNOWN, and without it args[index] "
        "raises IndexError, which Evaluator.command turns into the same UNKNOWN",
    ("helm_funcs.py", "container = items[position] if isinstance(position, int) and 0 <= position < len(items) "
     "else UNKNOWN", "Lt -> LtE"):
        "`index` one past the end: the bounds check returns UNKNOWN, and without it items[position] raises "
        "IndexError, which Evaluator.command turns into the same UNKNOWN",
    **{("request_path.py", line, "And -> Or"): "the push filter of the request-path walk only saves work: "
       "what it lets through (a sync function, one already found, another root) is dropped by the check each "
       "entry passes when it is popped, so the same entries are expanded in the same order"
       for line in ("if target.is_async and target.qualname not in found and target.qualname not in roots:",
                    "if target.qualname not in found and target.qualname not in roots:")},
}

EQUIVALENT[("helm_render.py", "anywhere = [o for _, o, _ in pieces if o is not None]", "IsNot -> Is")] = (
    "the origin of a rendered line that holds only blanks (`anywhere` is read only when no piece of the line "
    "writes text): every segment the evaluator emits has an origin, and no finding, related location or "
    "message mention points at a line that holds no YAML node")
EQUIVALENT[("views.py", "if cached is None or cached[0] != len(self.parse_errors):", "0 -> 1")] = (
    "`cached[1]` (a list) never equals a count, so the kind's files are listed again on every call: the "
    "same list, only the cache is lost")
# deploy_evidence.py: what a command line shorter than its check allows can reach, and guards a caught
# AttributeError already keeps.
_DEPLOY_EVIDENCE = (SRC / "prodcheck/project/deploy_evidence.py").read_text(encoding="utf-8").splitlines()
EQUIVALENT.update({
    **{("deploy_evidence.py", line.strip(), what): "`helm upgrade X` / `kubectl apply X` (three words) or the "
       "verb alone: the reader gets at most one argument, and one argument can be neither a chart (the second "
       "positional) nor a `-f` with its value, so the reader adds nothing either way"
       for line in _DEPLOY_EVIDENCE if line.strip().startswith(('elif program == "helm" and len(argv) > 2',
                                                                 'elif program in {"kubectl", "oc"} and len(argv) > 2'))
       for what in ("Gt -> GtE", "2 -> 3")},
    **{("deploy_evidence.py", line.strip(), "And -> Or"): "with `or`, a missing node raises AttributeError, which "
       "the platform-file reader catches for that file before it has collected anything, and a node of another "
       "shape yields no items (YNode.list()/items() of a non-sequence/non-map are empty): the same nothing"
       for line in _DEPLOY_EVIDENCE
       if line.strip().startswith(("for service in services.list() if services is not None and services.is_seq",
                                   "for _key, value in docker.items() if docker is not None and docker.is_map"))},
    ("deploy_evidence.py", "break", "break -> continue"): "the loop that expands a tag's env references breaks "
       "once a round changes nothing; another round of the same substitution on the unchanged tag changes "
       "nothing again (the module's only `break`; a second one would need its own entry)",
})

# dev_guards.py: the range check of the line asked about, at its lower end.
EQUIVALENT.update({
    ("dev_guards.py", "if not 0 < line <= len(lines):", what): "line 1 (or 0) let through: the walk over the lines "
    "above starts at line - 1 and stops before line 0, so it is empty and the answer is False either way"
    for what in ("0 -> 1", "Lt -> LtE")})
EQUIVALENT.update({
    ("path_marks.py", 'if lowered in folders["dev"]["scratch"] and not any(self._in_package(parts[:end]) for end in '
     'range(1, index + 2)):', "1 -> 0"): "the ancestors of a scratch folder looked at for an `__init__.py` start at "
    "the empty prefix too: `_in_package([])` is False, so `any` answers the same",
    ("served_routes.py", 'local = scope[0].local(name) if scope is not None and "." not in name else None',
     "'.' -> 'XX'"): "a function's locals are plain names: `local()` of a dotted name finds nothing, so not "
    "asking gives the same None",
    ("served_routes.py", 'kind = built.kind if built is not None else "fastapi"', "'fastapi' -> 'XX'"): "the kind "
    "given to the app a project factory returns is only compared with \"router\": any other word is the same app",
    ("installs.py", 'return "" if path == "." else path', "'.' -> 'XX'"): "the root folder returned as `.` "
    "instead of the empty path: it is only ever looked up among requirements and discovered files, where "
    "neither is",
})


_COMPARE_SWAPS: dict[type, type] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}


@dataclass(frozen=True)
class Point:
    path: str  # relative to the repository
    index: int  # the n-th mutation point of the module, in walk order
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.what}"


def _skipped(tree: ast.Module) -> set[int]:
    """Nodes never mutated: docstrings, annotations, f-string pieces, `__all__`, TYPE_CHECKING blocks."""
    skip: set[int] = set()

    def mark(node: ast.AST | None) -> None:
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                mark(first)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            mark(node.returns)
            for arg in [*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs]:
                mark(arg.annotation)
        if isinstance(node, ast.AnnAssign):
            mark(node.annotation)
        if isinstance(node, ast.JoinedStr):
            mark(node)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            mark(node)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            mark(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"ParseError", "ValueError"}:
            mark(node)
    return skip


class _Mutator(ast.NodeTransformer):
    """Walks the tree; numbers every mutation point; applies the one whose number is `target`."""

    def __init__(self, skip: set[int], target: int = -1) -> None:
        self.skip = skip
        self.target = target
        self.count = 0
        self.points: list[tuple[int, str]] = []

    def _point(self, node: ast.AST, what: str) -> bool:
        index = self.count
        self.count += 1
        self.points.append((getattr(node, "lineno", 0), what))
        return index == self.target

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if id(node) in self.skip:
            return node
        for i, op in enumerate(node.ops):
            swap = _COMPARE_SWAPS.get(type(op))
            if swap and self._point(node, f"{type(op).__name__} -> {swap.__name__}"):
                node.ops[i] = swap()
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        if id(node) not in self.skip:
            other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            if self._point(node, f"{type(node.op).__name__} -> {type(other).__name__}"):
                node.op = other
        return node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        if id(node) not in self.skip and isinstance(node.op, ast.Not) and self._point(node, "drop `not`"):
            return node.operand
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if id(node) in self.skip:
            return node
        swaps: dict[type, type] = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv}
        swap = swaps.get(type(node.op))
        textual = isinstance(node.left, ast.JoinedStr) or (isinstance(node.left, ast.Constant)
                                                         and isinstance(node.left.value, str))
        if swap and not textual:
            if self._point(node, f"{type(node.op).__name__} -> {swap.__name__}"):
                node.op = swap()
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if id(node) in self.skip:
            return node
        value = node.value
        if isinstance(value, bool):
            if self._point(node, f"{value} -> {not value}"):
                return ast.copy_location(ast.Constant(not value), node)
        elif isinstance(value, int):
            new = value + 1 if value not in (1,) else 0
            if self._point(node, f"{value} -> {new}"):
                return ast.copy_location(ast.Constant(new), node)
        elif isinstance(value, str) and 0 < len(value) <= 40 and "\n" not in value:
            if self._point(node, f"{value!r} -> 'XX'"):
                return ast.copy_location(ast.Constant("XX"), node)
        return node

    def visit_Break(self, node: ast.Break) -> ast.AST:
        if id(node) not in self.skip and self._point(node, "break -> continue"):
            return ast.copy_location(ast.Continue(), node)
        return node

    def visit_Continue(self, node: ast.Continue) -> ast.AST:
        if id(node) not in self.skip and self._point(node, "continue -> break"):
            return ast.copy_location(ast.Break(), node)
        return node


def points(path: str) -> list[Point]:
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    mutator = _Mutator(_skipped(tree))
    mutator.visit(tree)
    return [Point(path, i, line, what) for i, (line, what) in enumerate(mutator.points)]


# `@dataclass(frozen=True, slots=True)` -> False: `frozen` only forbids assignments the code never makes
# (one would raise at once) and `slots` only saves memory; a class that is hashed (in a set, as a key)
# loses `__hash__` without `frozen` and crashes, which the run would count killed anyway.
_TYPEVAR = re.compile(r"^\w+ = TypeVar\(")
_DATACLASS_FLAGS = re.compile(r"^@(?:dataclasses\.)?dataclass\((?:\s*(?:frozen|slots)=True\s*,?)+\)$")


def equivalent(point: Point) -> str | None:
    """Why the mutant cannot be killed (EQUIVALENT), or None."""
    lines = (REPO / point.path).read_text(encoding="utf-8").splitlines()
    text = lines[point.line - 1].split("#", 1)[0].strip() if 0 < point.line <= len(lines) else ""
    if point.what == "True -> False" and _DATACLASS_FLAGS.match(text):
        return "a dataclass's `frozen`/`slots` flag: no behaviour of the program depends on either"
    if point.what.endswith("-> 'XX'") and _TYPEVAR.match(text):
        return "the name a TypeVar is given: only type checkers read it"
    return EQUIVALENT.get((Path(point.path).name, text, point.what))


def mutant_source(point: Point) -> str:
    tree = ast.parse((REPO / point.path).read_text(encoding="utf-8"))
    mutator = _Mutator(_skipped(tree), point.index)
    tree = ast.fix_missing_locations(mutator.visit(tree))
    return ast.unparse(tree)


def run_tests(copy: Path, tests: list[str], timeout: float) -> str:
    env = {**os.environ, "PYTHONPATH": str(copy / "src")}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", "not e2e", *tests]
    try:
        completed = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    if completed.returncode == 0:
        return "survived"
    if completed.returncode == 1:
        return "killed"
    return f"error {completed.returncode}"  # collection error, crash: the mutant broke the program


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="+", choices=sorted(TARGETS))
    parser.add_argument("--sample", type=int, default=0, help="mutants drawn per target (0: all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--list", action="store_true", help="list the mutation points and stop")
    parser.add_argument("--only", action="append", default=[],
                        help="`file.py:line` (every point there) or `file.py:line what` as --list prints it")
    parser.add_argument("--module", action="append", default=[], metavar="FILE.py",
                        help="draw only from these modules (file name, e.g. helm_eval.py); --sample then samples them")
    parser.add_argument("--tests", nargs="+", default=None, metavar="PATH",
                        help="run these tests instead of the target's selection (`tests`: the whole suite)")
    args = parser.parse_args(argv)

    plan: list[tuple[str, Point, list[str]]] = []
    for target in args.targets:
        candidates = [(target, p, args.tests or tests) for path, tests in TARGETS[target] for p in points(path)
                      if not args.module or Path(path).name in args.module]
        if args.only:
            candidates = [c for c in candidates if any(
                f"{Path(c[1].path).name}:{c[1].line}" == o or f"{Path(c[1].path).name}:{c[1].line} {c[1].what}" == o
                for o in args.only)]
        elif args.sample:
            candidates = random.Random(args.seed).sample(candidates, min(args.sample, len(candidates)))
        plan.extend(candidates)
    if args.list:
        for target, point, _ in plan:
            print(f"{target} {point}" + (" (equivalent)" if equivalent(point) else ""))
        return 0

    results: dict[str, list[tuple[Point, str]]] = {}
    with tempfile.TemporaryDirectory(prefix="prodcheck-mutants-") as tmp:
        copy = Path(tmp)
        shutil.copytree(SRC, copy / "src")
        # The package reads the rule docs beside `src/` in a checkout (docs.docs_folder): without them
        # `prodcheck rule` tests fail for every mutant and `--tests tests` counts every mutant killed.
        (copy / "rules").symlink_to(REPO / "rules", target_is_directory=True)
        # An interpreter without the project's dependencies fails every selection at import, which
        # would count every mutant killed: refuse to run instead (use the project's venv python).
        check = subprocess.run([sys.executable, "-c", "import pytest, prodcheck.cli, prodcheck.engine"],
                               env={**os.environ, "PYTHONPATH": str(copy / "src")}, capture_output=True, text=True)
        if check.returncode != 0:
            print(f"{sys.executable} cannot import prodcheck and its dependencies; run this script with the "
                  f"project's virtualenv python\n{check.stderr.strip()}", file=sys.stderr)
            return 2
        for number, (target, point, tests) in enumerate(plan, 1):
            reason = equivalent(point)
            if reason is not None:
                results.setdefault(target, []).append((point, "equivalent"))
                print(f"[{number}/{len(plan)}] equivalent {point}: {reason}", flush=True)
                continue
            destination = copy / point.path
            original = destination.read_text(encoding="utf-8")
            destination.write_text(mutant_source(point), encoding="utf-8")
            started = time.monotonic()
            try:
                outcome = run_tests(copy, tests, args.timeout)
            finally:
                destination.write_text(original, encoding="utf-8")
            results.setdefault(target, []).append((point, outcome))
            print(f"[{number}/{len(plan)}] {outcome:9} {point} ({time.monotonic() - started:.0f} s)", flush=True)

    print()
    for target, outcomes in results.items():
        counted = [(point, outcome) for point, outcome in outcomes if outcome != "equivalent"]
        killed = sum(1 for _, outcome in counted if outcome != "survived")
        skipped = len(outcomes) - len(counted)
        print(f"{target}: {killed}/{len(counted)} killed ({100 * killed / max(1, len(counted)):.0f} %)"
              + (f", {skipped} equivalent (not counted)" if skipped else ""))
        for point, outcome in outcomes:
            if outcome == "survived":
                print(f"  survived: {point}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
