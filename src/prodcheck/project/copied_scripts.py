"""Scripts a Dockerfile copies into the image under another name (`COPY ./docker/entry.sh /app/run.sh`): which
repository file a command's `/app/run.sh` is, so that `Processes` finds and inlines it."""
from __future__ import annotations

import posixpath

from prodcheck.knowledge.commands import shells
from prodcheck.parsing.dockerfile import DockerfileView, Stage, copy_words, substitute as docker_substitute
from prodcheck.project.sources import SourceFile


def renamed_copies(view: DockerfileView, stage: Stage, by_path: dict[str, SourceFile]) -> dict[str, str]:
    """Container path -> repository file, for the files the stage (and the stages it is built from)
    copies from the build context under another name (`COPY ./docker/entry.sh $APP_HOME/run.sh`):
    a script the image then runs as `/app/run.sh` is `docker/entry.sh`, which its name alone cannot find.
    The build context is taken as the Dockerfile's folder or the repository root, whichever holds the file."""
    variables = {key: value for key, (value, _) in view.env(stage).items()}
    variables = {**view.global_args, **variables}
    folder = posixpath.dirname(view.path)
    out: dict[str, str] = {}
    for member in reversed(view.lineage(stage)):
        for instruction in member.instructions:
            if instruction.keyword not in {"COPY", "ADD"} or any(f.startswith("--from") for f in instruction.flags):
                continue
            words = copy_words(docker_substitute(instruction.value, variables))
            if len(words) != 2 or words[1].endswith("/") or "$" in "".join(words) or "*" in words[0]:
                continue  # several sources go into a folder under their own names
            source, target = words
            if posixpath.basename(source) == posixpath.basename(target):
                continue  # the same name: resolve_script finds it by its name
            for base in (folder, ""):
                path = posixpath.normpath(posixpath.join(base, source)).lstrip("/")
                if path in by_path:
                    out[posixpath.normpath(target)] = path
                    break
    return out


def through_copies(argv: list[str], copies: dict[str, str], workdir: str) -> list[str]:
    """The argv with a renamed copied script (its program, or the script `sh`/`bash` runs) written
    as its repository path, so that the script is found and inlined."""
    if not copies or not argv:
        return argv
    at = 1 if posixpath.basename(argv[0]) in shells() and len(argv) > 1 else 0
    token = argv[at]
    if token.startswith("-"):
        return argv  # (a token with an unexpanded `$VAR` matches no key: renamed_copies skips such targets)
    path = posixpath.normpath(posixpath.join(workdir or "/", token))
    if path not in copies:
        return argv
    return [*argv[:at], "/" + copies[path], *argv[at + 1:]]

