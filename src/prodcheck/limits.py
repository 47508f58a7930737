"""Per-file budgets: what prodcheck reads and analyses of one file, in one place.

A scanned repository is hostile input: time and memory must grow linearly with its size, and a
single file must not be able to hold a run for minutes. A file over a budget is not analysed: it
becomes PC000 ("too large" or "too deep", with the budget it exceeded) and the run goes on with
every other file. README ("Limits") documents these numbers for users.

Each budget is far above what real code needs. Measured (December 2026) on 7,574 Python files of
real services (/work/corpus/py) and the 25 labelled real repositories (eval/real):
- largest Python file: 705 kB, 15,130 lines (a pydantic model module); most facts (calls, string
  literals, assignments, functions and classes the extractor keeps): 5,339 (a squashed migration);
- largest Dockerfile: 241 lines, 136 instructions, 7 stages;
- largest shell script 1,296 lines, requirements file 3,554 lines, other line-based files < 400
  lines; YAML 27,690 lines (a lock file), workflows 2,250 lines.
"""
from __future__ import annotations

MIB = 1024 * 1024

# Bytes read from any one file (source, configuration, baseline): a larger one is never read.
MAX_FILE_BYTES = 10 * MIB
MAX_GITIGNORE_CHARS = 1 * MIB  # a .gitignore / .dockerignore is read up to this many characters

# Nesting of brackets and braces (TOML, JSON, exec forms) and YAML collections: far beyond any real
# configuration, far below any recursion limit.
MAX_DEPTH = 200
MAX_EXEC_FORM_DEPTH = 20  # a Dockerfile exec form (`CMD ["a", "b"]`) is one flat JSON array
MAX_BASELINE_DEPTH = 50
MAX_YAML_NODES = 200_000  # nodes built per YAML file (aliases counted as copied)

# Lines and bytes of one file, by kind (FileKind value; a kind not listed gets the default).
# Checked before parsing, by counting newlines; a Python file's bytes bound the syntax tree built.
PYTHON_MAX_LINES = 50_000  # 3.3x the largest real file
PYTHON_MAX_BYTES = 4 * MIB  # 5.8x the largest real file
DOCKERFILE_MAX_LINES = 5_000  # 20x the largest real Dockerfile
YAML_MAX_LINES = 100_000  # 3.6x the longest real YAML file (a lock file; Kubernetes bundles come next)
DEFAULT_MAX_LINES = 20_000  # shell scripts, Procfiles, .env, requirements, INI, TOML...: 5x the largest
_MAX_LINES = {"py": PYTHON_MAX_LINES, "gunicorn.conf.py": PYTHON_MAX_LINES, "dockerfile": DOCKERFILE_MAX_LINES,
              "yaml": YAML_MAX_LINES, "compose": YAML_MAX_LINES, "workflow": YAML_MAX_LINES,
              "k8s": YAML_MAX_LINES}
_MAX_BYTES = {"py": PYTHON_MAX_BYTES, "gunicorn.conf.py": PYTHON_MAX_BYTES}
# Characters of one line, for the line-based kinds whose lines become shell commands (Dockerfile,
# Procfile, shell, .env, Makefile, systemd, supervisor...): the shell tokenizer (shlex) is quadratic
# in the length of one word. 43x the longest real line of these kinds (376 characters). Python,
# YAML, TOML and JSON platform files have no such limit (a JSON blob on one line is ordinary there).
MAX_LINE_CHARS = 16_384
_NO_LINE_LIMIT = frozenset({"py", "gunicorn.conf.py", "yaml", "compose", "workflow", "k8s", "platform", "pyproject",
                            "lockfile"})
# A shell command line longer than this (a YAML `command:` string, a joined RUN) is split at
# whitespace only, quotes not honoured: linear, where shlex would be quadratic. 13x the longest
# real one (a Dockerfile RUN joined over its continuation lines: 607 characters).
MAX_SHELL_CHARS = 8_192

# Facts the Python extractor keeps per file (calls, interesting string literals, assignments,
# functions, classes): the rules' work grows with them. 3.7x the most in a real file.
PYTHON_MAX_FACTS = 20_000
DOCKERFILE_MAX_STAGES = 200  # `FROM` instructions per Dockerfile: 28x the most in a real one


def max_lines(kind: str) -> int:
    """The line budget of a file kind (its FileKind value or declared name)."""
    return _MAX_LINES.get(kind, DEFAULT_MAX_LINES)


def max_line_chars(kind: str) -> int | None:
    """The longest line a file kind may hold, None for no limit."""
    return None if kind in _NO_LINE_LIMIT else MAX_LINE_CHARS


def max_bytes(kind: str) -> int:
    """The byte budget of a file kind (every file: at most MAX_FILE_BYTES)."""
    return _MAX_BYTES.get(kind, MAX_FILE_BYTES)


class OverBudget(Exception):
    """Raised by a parser or extractor that stops as soon as a file is over a budget."""


def too_large(what: str, count: int, limit: int) -> str:
    """The PC000 message of a file over a budget."""
    return (f"file too large to analyse: {count:,} {what}, more than the budget of {limit:,} per file "
            "(not checked; see Limits in the README)")
