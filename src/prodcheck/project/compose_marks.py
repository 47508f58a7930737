"""What a compose file says about itself: its project name, the images it runs, the usage its comments give.

The deployment model (deployment.py) reads these besides the marks of local use (bind-mounted source,
`develop: watch`, development databases):

- the top-level `name:` is the Compose project name (https://docs.docker.com/reference/compose-file/version-and-name/),
  which the maintainers pick for what the file brings up: `opal-callbacks-example`, `mem0-dev`,
  `app-integration-test` say a sample, a development stack or a test stack as plainly as a file name does;
- a service that runs an image tagged for local use (`app:local`, `app:dev`) without building it runs what a
  developer built on their machine: no registry production pulls from serves that tag;
- an overlay (no service has an `image` or a `build`: it only adds keys to services another file defines) whose
  own usage comment layers it onto development files (`docker compose -f docker-compose.dev.yml -f this.yml up`)
  changes the development stack, not the production one.
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping

from prodcheck.knowledge import load
from prodcheck.model.files import Context
from prodcheck.project.infra import ComposeService
from prodcheck.project.sources import SourceFile
from prodcheck.parsing.yaml import YNode

_PATH_WORDS = load("contexts")["path_words"]
_WORD = re.compile(r"[A-Za-z0-9]+")
_VARIABLE = re.compile(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*")
_FILE_FLAG = re.compile(r"(?:^|\s)(?:-f|--file)[\s=]+['\"]?([^\s'\"]+\.ya?ml)")


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def project_name_context(document: YNode) -> tuple[Context, str] | None:
    """The context the compose project `name:` gives the file, and the name, or None."""
    node = document.get("name") if document.is_map else None
    name = node.as_str() if node is not None and node.is_scalar else None
    if not name or "$" in name:
        return None
    words = _words(name)
    if any(w in _PATH_WORDS["dev"] or w in _PATH_WORDS["sample"] for w in words):
        return Context.DEV, name
    if any(w in _PATH_WORDS["test_words"] or w in load("contexts")["names"]["test_stack_words"] for w in words):
        return Context.TEST, name
    return None


def local_image(service: ComposeService) -> str | None:
    """The image of a service that runs, without building it, an image tagged for local use (`app:local`)."""
    image = service.image
    if not image or service.node.get("build") is not None:
        return None
    name = _VARIABLE.sub("", image.split("@", 1)[0])
    repository, colon, tag = name.rpartition(":")
    if not colon or "/" in tag or not repository:
        return None
    tags = set(load("contexts")["compose"]["local_image_tags"])
    return image if any(w in tags for w in _words(tag)) else None


def is_overlay(services: list[ComposeService]) -> bool:
    """Every service only adds keys to one another file defines: none has an `image` or a `build`."""
    return bool(services) and all(s.node.get("image") is None and s.node.get("build") is None
                                  and s.node.get("extends") is None for s in services)


def usage_bases(path: str, text: str) -> list[tuple[str, int]]:
    """The other compose files the comments of an overlay layer it onto (`-f base.yml -f this.yml`), with the line."""
    folder, name = posixpath.split(path)
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip()
        if not stripped.startswith("#"):
            continue
        files = [m.group(1) for m in _FILE_FLAG.finditer(stripped[1:])]
        if not any(posixpath.basename(f) == name for f in files):
            continue  # not a command that layers this file
        for file in files:
            other = posixpath.normpath(posixpath.join(folder, file)).removeprefix("./")
            if posixpath.basename(other) != name:
                out.append((other, number))
    return out


def development_base(source: SourceFile, services: list[ComposeService], files: Mapping[str, SourceFile],
                     context_of: Callable[[str], Context]) -> tuple[str, int] | None:
    """For an overlay whose usage comments layer it onto development or test compose files only, the first of
    them and the comment's line; None otherwise (not an overlay, no usage, or a production base)."""
    if not is_overlay(services):
        return None
    bases = [(p, line) for p, line in usage_bases(source.path, source.text or "") if p in files]
    if bases and all(context_of(p) in {Context.DEV, Context.TEST} for p, _ in bases):
        return bases[0]
    return None
