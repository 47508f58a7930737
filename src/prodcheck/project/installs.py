"""Which requirements files the project's images install.

A platform engineer asks of a `requirements.txt` what installs it: a Dockerfile that copies it and runs
`pip install -r` (`COPY backend/requirements.txt .`, or `COPY . .` then `pip install -r requirements.txt`), another
requirements file that includes it (`-r base.txt`), a packaging file that reads it (setuptools' dynamic
`dependencies = {file = [...]}`, a setup.py), a platform that builds from its folder (a Procfile, heroku.yml,
render.yaml beside it: the buildpacks install the requirements of the folder they build). A requirements file none
of these reaches, while images install others, is the requirements of a script or a notebook (a dataset's
preparation, the maintainers' tooling), not what production installs. Where a Dockerfile names a requirements file
this reading cannot resolve (a build argument with no default), nothing is concluded.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from prodcheck.model.files import Context, FileKind
from prodcheck.parsing.dockerfile import DockerfileView, copy_words, parse_assignments, substitute
from prodcheck.project.sources import SourceFile
from prodcheck.lazy_pattern import lazy

_REQUIREMENT_FLAG = lazy(r"(?:^|\s)(?:-r|--requirement|-c|--constraint)(?:\s+|=)['\"]?([^\s'\"&;|]+)")
_INCLUDE = lazy(r"^\s*(?:-r|--requirement|-c|--constraint)(?:\s+|=)\s*(\S+)", re.M)
_PLATFORM_FILES = ("Procfile", "heroku.yml", "render.yaml", "app.json", "railway.json", "railway.toml", "fly.toml",
                   "runtime.txt", ".python-version", "app.yaml")


@dataclass
class Installs:
    """`installed`: requirements file -> what installs it; `unresolved`: a Dockerfile names one this cannot place;
    `image`: a Dockerfile production may build (not named for development or tests) that installs requirements."""

    installed: dict[str, str] = field(default_factory=dict)
    unresolved: str | None = None
    image: str | None = None

    def uninstalled(self, path: str) -> str | None:
        """Why the requirements file `path` is not what production installs, or None when it may be."""
        if self.unresolved is not None or self.image is None or path in self.installed:
            return None
        return (f"no image installs it (no Dockerfile copies it or runs `pip install -r` on it, no platform builds its "
                f"folder), while {self.image} installs requirements: a script's or a notebook's, not the service's")


def _ancestors(folder: str) -> list[str]:
    out = [folder]
    while folder:
        folder = posixpath.dirname(folder)
        out.append(folder)
    return out


def _join(*parts: str) -> str:
    path = posixpath.normpath(posixpath.join(*[p for p in parts if p])) if any(parts) else ""
    return "" if path == "." else path  # never `./x`: normpath drops `.` parts


def _variables(view: DockerfileView) -> dict[str, str]:
    """Build arguments with their defaults, global and per stage, each expanded with the earlier ones."""
    variables: dict[str, str] = {}
    for key, value in view.global_args.items():
        variables[key] = substitute(value, variables) if value else ""
    for instruction in view.instructions:
        if instruction.keyword == "ARG":
            for key, value in parse_assignments(instruction.value):
                if value:
                    variables[key] = substitute(value, variables)
                else:
                    variables.setdefault(key, "")
        elif instruction.keyword == "ENV":
            for key, value in parse_assignments(instruction.value):
                variables.setdefault(key, substitute(value, variables))
    return variables


def installed_requirements(files: list[SourceFile], dockerfiles: list[tuple[SourceFile, DockerfileView]]) -> Installs:
    requirements = {s.path for s in files if s.kind == FileKind.REQUIREMENTS}
    out = Installs()
    if not requirements:
        return out
    for source, view in dockerfiles:
        folder = posixpath.dirname(source.path)
        contexts = _ancestors(folder)
        variables = _variables(view)
        copied: list[str] = []  # what the Dockerfile copies, as written (resolved)
        for instruction in view.instructions:
            if instruction.keyword in {"COPY", "ADD"} and not any(f.startswith("--from") for f in instruction.flags):
                for token in copy_words(instruction.value)[:-1]:
                    copied.append(substitute(token, variables))
        prod_image = source.context == Context.PROD
        for token in copied:
            if "$" in token:
                if "requirements" in token or token.endswith((".txt", ".in")):
                    out.unresolved = out.unresolved or f"{source.path}: `{token}`"
                continue
            for context in contexts:
                path = _join(context, token)
                if path in requirements:
                    out.installed.setdefault(path, f"copied by {source.path}")
                    out.image = out.image or (source.path if prod_image else None)
        for instruction in view.instructions:
            if instruction.keyword != "RUN":
                continue
            for match in _REQUIREMENT_FLAG.finditer(substitute(instruction.value, variables)):
                name = match.group(1)
                out.image = out.image or (source.path if prod_image else None)
                if "$" in name:
                    out.unresolved = out.unresolved or f"{source.path}:{instruction.line}: `{name}`"
                    continue
                if any(posixpath.basename(token) == posixpath.basename(name) for token in copied
                       if "$" not in token):  # a folder (`src/`) has the empty name, which no file has
                    continue  # a file the Dockerfile copies by name: placed above
                candidates = {_join(context, folder_copied, name.lstrip("/")) for context in contexts
                              for folder_copied in ["", *copied] if "$" not in folder_copied}
                found = sorted(candidates & requirements)
                for path in found:
                    out.installed.setdefault(path, f"installed by {source.path}:{instruction.line}")
    by_path = {s.path: s for s in files}
    for source in files:
        folder = posixpath.dirname(source.path)
        if source.path in requirements and any(_join(folder, name) in by_path for name in _PLATFORM_FILES):
            out.installed.setdefault(source.path, "a platform builds its folder")
        if source.kind in {FileKind.PYPROJECT} or posixpath.basename(source.path) in {"setup.py", "setup.cfg"}:
            text = source.text or ""
            for path in requirements:
                if posixpath.dirname(path) == folder and posixpath.basename(path) in text:
                    out.installed.setdefault(path, f"read by {source.path}")
    changed = True
    while changed:  # `-r base.txt` inside an installed file installs base.txt
        changed = False
        for path in list(out.installed):
            text = by_path[path].text or "" if path in by_path else ""
            for match in _INCLUDE.finditer(text):
                included = _join(posixpath.dirname(path), match.group(1))
                if included in requirements and included not in out.installed:
                    out.installed[included] = f"included by {path}"
                    changed = True
    return out
