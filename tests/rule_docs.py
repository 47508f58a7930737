"""Reading `rules/*.md`: front matter, sections, and the example projects their code blocks form."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

RULES_DIR = Path(__file__).resolve().parents[1] / "rules"
REQUIRED_SECTIONS = ("What it flags", "Why it hurts in production", "Example", "Use instead", "Fix safety", "References")
_FENCE = re.compile(r"^```(?P<lang>[\w.+-]*)(?P<attrs>[^\n]*)\n(?P<body>.*?)^```\s*$", re.M | re.S)
_TITLE = re.compile(r'title="([^"]+)"')
DEFAULT_PATHS = {"python": "app/main.py", "py": "app/main.py", "dockerfile": "Dockerfile", "procfile": "Procfile",
                 "sh": "scripts/start.sh", "shell": "scripts/start.sh", "bash": "scripts/start.sh", "ini": "alembic.ini",
                 "dotenv": ".env", "env": ".env", "text": "requirements.txt", "toml": "prodcheck.toml"}


@dataclass
class Block:
    lang: str
    path: str
    body: str
    fixed: bool = False


@dataclass
class Example:
    doc: str
    section: str
    files: dict[str, str] = field(default_factory=dict)
    fixed: list[Block] = field(default_factory=list)


@dataclass
class RuleDoc:
    path: Path
    front: dict[str, object]
    text: str
    sections: dict[str, str]

    @property
    def code(self) -> str:
        return str(self.front.get("code"))

    def examples(self) -> list[Example]:
        out = []
        for title, content in self.sections.items():
            blocks = []
            for match in _FENCE.finditer(content):
                attrs = match.group("attrs")
                lang = match.group("lang").lower()
                title_match = _TITLE.search(attrs)
                path = title_match.group(1) if title_match else DEFAULT_PATHS.get(lang)
                if path is None:
                    continue
                blocks.append(Block(lang, path, match.group("body"), fixed=" fixed" in f" {attrs}"))
            if not blocks:
                continue
            example = Example(self.path.name, title)
            for block in blocks:
                if block.fixed:
                    example.fixed.append(block)
                else:
                    example.files[block.path] = block.body
            if example.files:
                out.append(example)
        return out


def parse_doc(path: Path) -> RuleDoc:
    import yaml

    text = path.read_text(encoding="utf-8")
    front: dict[str, object] = {}
    body = text
    if text.startswith("---\n"):
        end = text.index("\n---\n", 4)
        front = yaml.safe_load(text[4:end]) or {}
        body = text[end + 5:]
    sections: dict[str, str] = {}
    current = None
    buffer: list[str] = []
    in_fence = False
    for line in body.splitlines(keepends=True):
        if line.startswith("```"):
            in_fence = not in_fence
        if line.startswith("## ") and not in_fence:
            if current is not None:
                sections[current] = "".join(buffer)
            current, buffer = line[3:].strip(), []
            continue
        buffer.append(line)
    if current is not None:
        sections[current] = "".join(buffer)
    return RuleDoc(path, front, text, sections)


def all_docs() -> list[RuleDoc]:
    return [parse_doc(p) for p in sorted(RULES_DIR.glob("PC*.md"))]
