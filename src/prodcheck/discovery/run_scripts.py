"""Python files a deployment runs as a script: read whatever words they hold.

The parse prefilter skips a Python file that holds no word of the knowledge (python_pass.py). A service's entry
script often holds none: `if __name__ == "__main__": start_app()`, with `start_app()` calling `uvicorn.run` in
another module (Ash1VT/food-delivery-backend's review service). The process model reads such a script to know
that `python src/main.py` starts the server, after the migration before it. The deployment files' text, as
discovery read it, names these scripts (`python src/main.py`, `python3 -u /app/run.py`, `python -m app.server`):
a Python file whose path ends with one of those is parsed.
"""
from __future__ import annotations

from prodcheck.discovery.named_scripts import NAMING_KINDS
from prodcheck.discovery.sources import SourceFile
from prodcheck.lazy_pattern import lazy

# `python src/main.py`, `python3.12 -u ./run.py`, `"python", "-m", "app.server"` (an exec form's words too)
_RUN = lazy(r"""\bpython[\d.]*["',\s]+(?:-[uOBEsI]+["',\s]+)*(?:(-m)["',\s]+)?([\w./-]+)""")


def run_scripts(sources: list[SourceFile]) -> frozenset[str]:
    """The path tails (`src/main.py`, `app/server.py`, `app/server/__main__.py`) of the Python scripts and modules
    the deployment files' commands run; an absolute path gives its tails of two or more parts."""
    found: set[str] = set()
    for source in sources:
        data = source.raw if source.kind in NAMING_KINDS else None
        if data is None or b"python" not in data:
            continue
        for module, target in _RUN.findall(data.decode("utf-8", "replace")):
            if module:
                stem = target.strip(".").replace(".", "/")
                if stem:
                    found.update({f"{stem}.py", f"{stem}/__main__.py"})
            elif target.endswith(".py"):
                parts = [part for part in target.split("/") if part not in {"", "."}]
                low = 2 if target.startswith("/") and len(parts) > 1 else 1
                found.update("/".join(parts[-n:]) for n in range(low, len(parts) + 1))
    return frozenset(found)


def is_run_script(path: str, tails: frozenset[str]) -> bool:
    """`review/src/main.py` is run as `src/main.py`: the path is one of the tails or ends with one."""
    if not tails:
        return False
    parts = path.split("/")
    return any("/".join(parts[-n:]) in tails for n in range(1, len(parts) + 1))
