"""Rule documentation: the Markdown files in `rules/`, packaged as prodcheck/_rule_docs."""
from __future__ import annotations

from pathlib import Path
from typing import TextIO

from prodcheck.rules.base import RuleMeta


# The project's home: pyproject.toml's [project.urls] and the README's integration snippets name it.
REPOSITORY = "https://github.com/prodcheck/prodcheck"
# A rule's documentation is its Markdown file in the repository (GitHub renders it): the one
# address every format links to (JSON `url`, SARIF `helpUri`, annotations, `prodcheck rule`).
DOCS_BASE = f"{REPOSITORY}/blob/main/rules/"


def doc_url(code: str, name: str) -> str:
    """The stable address of a rule's documentation: `.../rules/PC101-reload-in-production.md`."""
    return f"{DOCS_BASE}{code}-{name}.md"


def docs_folder() -> Path | None:
    from importlib import resources  # here: every report imports this module, few read a rule's file (8 ms)

    packaged = resources.files("prodcheck") / "_rule_docs"
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "rules"
    return checkout if checkout.is_dir() else None


def doc_path(meta: RuleMeta) -> Path | None:
    folder = docs_folder()
    if folder is None:
        return None
    candidate = folder / f"{meta.code}-{meta.name}.md"
    return candidate if candidate.is_file() else None


def doc_text(meta: RuleMeta) -> str:
    path = doc_path(meta)
    if path is None:
        return f"# {meta.code} {meta.name}\n\n{meta.summary}\n"
    return path.read_text(encoding="utf-8")


def body(text: str) -> str:
    """The document without its front matter."""
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end >= 0:
            return text[end + 5:].lstrip("\n")
    return text


def section(text: str, heading: str) -> str:
    lines = body(text).splitlines()
    out: list[str] = []
    inside = False
    for line in lines:
        if line.startswith("## "):
            inside = line[3:].strip().lower() == heading.lower()
            continue
        if inside:
            out.append(line)
    return "\n".join(out).strip()


def fix_label(meta: RuleMeta) -> str:
    """`none`, or when fixes exist and whether they are safe: `sometimes (safe)`, `sometimes (unsafe)`."""
    if meta.fix.value == "none":
        return "none"
    return f"{meta.fix.value} ({'safe' if meta.fix_safe else 'unsafe'})"


def render_rule(meta: RuleMeta, out: TextIO) -> None:
    header = (f"{meta.code} {meta.name}  |  severity: {meta.severity.label}  |  kinds: {', '.join(meta.kinds)}"
              f"  |  fix: {fix_label(meta)}{'  |  core rule' if meta.core else ''}\n"
              f"{doc_url(meta.code, meta.name)}")
    text = body(doc_text(meta))
    if out.isatty():
        from rich.console import Console
        from rich.markdown import Markdown

        console = Console(file=out)
        console.print(header, style="bold", markup=False, highlight=False)
        console.print(Markdown(text))
    else:
        out.write(header + "\n\n" + text)
