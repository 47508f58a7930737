"""PC205 secret-baked-into-image. Docs and tests: rules/PC205-secret-baked-into-image.md"""
from __future__ import annotations

import functools
import os
import posixpath
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from prodcheck.lazy_pattern import lazy
from prodcheck.knowledge import load
from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Location, Severity, Span
from prodcheck.parsing.dockerfile import DockerfileView, Instruction, copy_words, parse_assignments
from prodcheck.parsing.shell import split_script
from prodcheck.parsing.textfiles import parse_env
from prodcheck.project import Project
from prodcheck.project.sources import SourceFile, read_source
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.rules.helpers import mask
from prodcheck.rules.secrets.secret_values import (
    Evidence, credential_role, env_file_secrets, is_env_file_name, is_secret_name, is_secret_value, secret_evidence,
)

if TYPE_CHECKING:
    import pathspec

# Files that hold credentials by their name alone.
_CREDENTIAL_FILES = frozenset(load("images")["credential_files"]["names"])
_VARIABLE = lazy(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$")


def copy_sources(instruction: Instruction) -> list[str]:
    """The source paths of a COPY / ADD (the last word is the destination)."""
    words = [w for w in copy_words(instruction.value) if not w.startswith("--")]
    return words[:-1] if len(words) > 1 else []


class SecretBakedIntoImage(Rule):
    meta = RuleMeta(
        code="PC205", name="secret-baked-into-image",
        summary="A secret copied into an image layer or set with ENV / ARG",
        severity=Severity.ERROR, kinds=("dockerfile",), security=8.0,
    )
    _built_from: dict[str, set[str]]  # Dockerfile path -> compose build contexts, per project (`check`)

    def check(self, project: Project) -> Iterator[Draft]:
        self._built_from = self._compose_contexts(project)
        for source, view in project.dockerfiles:
            yield from self._copies(project, source, view)
            yield from self._renamed_env_files(project, source, view)
            yield from self._env_and_args(source, view, project.deployment.targets.get(source.path, set()))

    # ------------------------------------------------------------ COPY / ADD

    def _contexts(self, project: Project, source: SourceFile) -> set[str]:
        """Build context folders of a Dockerfile: from compose `build:`, else the Dockerfile's folder."""
        return set(self._built_from.get(source.path, ())) or {posixpath.dirname(source.path)}

    @staticmethod
    def _compose_contexts(project: Project) -> dict[str, set[str]]:
        """Dockerfile path -> the build context folders compose services build it with: one pass over the services
        (a pass per Dockerfile was every Dockerfile times every service: 27 of 30 s on 800 of each)."""
        contexts: dict[str, set[str]] = {}
        for service in project.compose_services:
            build = service.node.get("build")
            if build is None:
                continue
            base = posixpath.dirname(service.file.path)
            context_text = build.as_str() if build.is_scalar else (build.get("context").as_str()  # type: ignore[union-attr]  # get("context") checked on the next line
                                                                   if build.get("context") is not None else ".")
            dockerfile = None if build.is_scalar or build.get("dockerfile") is None else build.get("dockerfile").as_str()  # type: ignore[union-attr]  # get("dockerfile") checked first
            built = project.dockerfile_for(base, context_text, dockerfile)
            if built is not None:
                folder = posixpath.normpath(posixpath.join(base, context_text or "."))
                contexts.setdefault(built.path, set()).add("" if folder == "." else folder)
        return contexts

    def _ignored(self, project: Project, source: SourceFile, context: str) -> pathspec.PathSpec | None:
        candidates = [f"{source.path}.dockerignore", posixpath.join(context, ".dockerignore") if context else ".dockerignore"]
        for path in candidates:
            ignore = project.by_path.get(path)
            if ignore is not None and ignore.kind == FileKind.DOCKERIGNORE and ignore.text is not None:
                lines = [line.strip().lstrip("/") if not line.strip().startswith("!") else "!" + line.strip()[1:].lstrip("/")
                         for line in ignore.text.splitlines()]
                import pathspec  # (only with a .dockerignore)

                return pathspec.GitIgnoreSpec.from_lines([line for line in lines if line and not line.startswith("#")])
        return None

    def _copies(self, project: Project, source: SourceFile, view: DockerfileView) -> Iterator[Draft]:
        copies = [i for i in view.instructions if i.keyword in {"COPY", "ADD"} and not i.heredoc
                  and not any(f.startswith("--from") for f in i.flags)]
        if not copies:
            return
        env_files = [f for f in project.of_kind(FileKind.ENV) if is_env_file_name(posixpath.basename(f.path))]
        for context in sorted(self._contexts(project, source)):
            ignored = self._ignored(project, source, context)
            present: list[tuple[str, SourceFile, list[tuple[int, str, str]]]] = []
            for env_file in env_files:
                inside = env_file.path if not context else (env_file.path[len(context) + 1:]
                                                            if env_file.path.startswith(context + "/") else None)
                if inside is None or (ignored is not None and ignored.match_file(inside)):
                    continue
                secrets = env_file_secrets(project, env_file)
                if secrets:
                    present.append((inside, env_file, secrets))
            harmless = functools.partial(_committed_without_secret, project, context)
            for instruction in copies:
                for raw in copy_sources(instruction):
                    yield from self._copy_source(source, instruction, raw, present, ignored, harmless)

    def _copy_source(self, source: SourceFile, instruction: Instruction, raw: str,
                     present: list[tuple[str, SourceFile, list[tuple[int, str, str]]]],
                     ignored: pathspec.PathSpec | None,
                     harmless: Callable[[str], bool] = lambda _path: False) -> Iterator[Draft]:
        path = posixpath.normpath(raw.strip().lstrip("/")) if raw.strip() not in {".", "./", "/"} else "."
        name = posixpath.basename(path)
        if "$" in path:
            return
        if is_env_file_name(name) or name in _CREDENTIAL_FILES:
            if ignored is not None and ignored.match_file(path):
                return
            if harmless(path):
                return  # committed with settings only (`engine-strict=true`, `LOG_LEVEL=info`): what the repository shows
            yield self.draft(
                f"`{instruction.keyword} {raw}` puts `{name}` into an image layer: anyone who can pull the image "
                "reads it, and deleting it in a later layer does not remove it",
                _line_location(source, instruction.line, raw))
            return
        if any(ch in name for ch in "*?["):
            return
        for inside, env_file, secrets in present:
            if path == "." or inside.startswith(path.rstrip("/") + "/"):
                yield self.draft(
                    f"`{instruction.keyword} {raw}` copies `{env_file.path}` ({len(secrets)} secret value"
                    f"{'s' if len(secrets) != 1 else ''}) into the image: "
                    + ("no `.dockerignore` leaves it out" if ignored is None
                       else "the `.dockerignore` does not exclude it")
                    + f", so anyone who can pull the image reads it; add `{inside}` to the `.dockerignore`",
                    _line_location(source, instruction.line, raw), related=(
                        Location(env_file.path, Span(secrets[0][0])).labelled("the secret file"),),
                    secrets=tuple(value for _, _, value in secrets))
                return

    # ------------------------------------------------------------ RUN mv/cp X .env

    def _renamed_env_files(self, project: Project, source: SourceFile, view: DockerfileView) -> Iterator[Draft]:
        """`COPY . .` then `RUN mv env.default .env`: a file of the build context becomes the image's `.env`,
        which the app reads as its configuration (python-dotenv, python-decouple, pydantic-settings'
        `env_file`). A template by name (`env.default`, `.env.example`) is what a deployment is meant to copy
        and fill in; copied as it is inside the image, its credentials are the image's own."""
        contexts = sorted(self._contexts(project, source))
        for stage in view.stages:
            whole_context = False  # a COPY of the whole build context came before (`COPY . .`)
            for instruction in stage.instructions:
                if instruction.keyword in {"COPY", "ADD"} and not any(f.startswith("--from") for f in instruction.flags):
                    whole_context = whole_context or any(
                        raw.strip() in {".", "./"} for raw in copy_sources(instruction))
                if instruction.keyword != "RUN" or not whole_context or instruction.heredoc:
                    continue
                for command in split_script(instruction.value, instruction.line):
                    words = [w for w in command.argv[1:] if not w.startswith("-")]
                    if command.program not in {"mv", "cp"} or len(words) != 2 or any("$" in w or " " in w for w in words):
                        continue
                    origin, target = words
                    if not is_env_file_name(posixpath.basename(target)) or origin.startswith("/"):
                        continue
                    yield from self._renamed(project, source, instruction, contexts, f"{command.program} {origin} {target}")

    def _renamed(self, project: Project, source: SourceFile, instruction: Instruction, contexts: list[str],
                 written: str) -> Iterator[Draft]:
        """`written`: the command as the message quotes it (`mv env.default .env`)."""
        _program, origin, target = written.split(" ")
        for context in contexts:
            inside = posixpath.normpath(origin)
            ignored = self._ignored(project, source, context)
            if inside.startswith("..") or (ignored is not None and ignored.match_file(inside)):
                continue
            path = posixpath.join(context, inside) if context else inside
            text = _repository_text(project, path)
            secrets = [(entry.line, entry.key, entry.value) for entry in parse_env(text or "")
                       if is_secret_name(entry.key) and is_secret_value(entry.value)]
            if not secrets:
                continue
            keys = ", ".join(f"`{key}`" for _, key, _ in secrets[:3]) + (", ..." if len(secrets) > 3 else "")
            datastore_only = all(credential_role(key) == "datastore" for _, key, _ in secrets)
            yield self.draft(
                f"`{written}` makes `{path}` the image's `{target}` (holding {keys}): the "
                "app reads it as its configuration, so every container not given other values runs with credentials "
                "everyone with the repository knows, and anyone who pulls the image reads them; leave the file out of "
                "the image and pass the settings at run time",
                _line_location(source, instruction.line, origin, instruction.end_line),
                related=(Location(path, Span(secrets[0][0])).labelled("the values it bakes in"),),
                secrets=tuple(value for _, _, value in secrets),
                severity=Severity.WARNING if datastore_only else None)
            return

    # ------------------------------------------------------------ ENV / ARG

    def _env_and_args(self, source: SourceFile, view: DockerfileView, targets: set[str]) -> Iterator[Draft]:
        args: dict[str, bool] = {}  # ARG name -> has a default
        for instruction in view.instructions:
            if instruction.keyword == "ARG":
                for key, value in parse_assignments(instruction.value):
                    args.setdefault(key, bool(value))
        steps = _build_steps(view, targets)
        for stage in view.stages:
            runs = [i for i in stage.instructions if i.keyword == "RUN"]
            for instruction in stage.instructions:
                if instruction.keyword not in {"ENV", "ARG"}:
                    continue
                for key, value in parse_assignments(instruction.value):
                    if not is_secret_name(key):
                        continue
                    location = _line_location(source, instruction.line, key, instruction.end_line)
                    reference = _VARIABLE.match(value.strip())
                    if instruction.keyword == "ENV" and reference and reference.group(1) in args:
                        if stage.index in steps:
                            continue  # a build step's environment: only the files later stages copy ship
                        yield self.draft(
                            f"`ENV {key}=${reference.group(1)}` copies a build argument into the image's "
                            "environment: `docker inspect` on the image shows the secret", location)
                    elif is_secret_value(value) and secret_evidence(value) < Evidence.RANDOM \
                            and credential_role(key) == "datastore":
                        # `ENV POSTGRES_PASSWORD=letta`: a database default, no generated key leaks; what matters
                        # is that every container of the image runs with a password everyone can read. (A plain
                        # signing key, `SECRET_KEY=secret`, stays an error: anyone can forge with it.)
                        shows = "inspect" if instruction.keyword == "ENV" else "history"
                        yield self.draft(
                            f"`{instruction.keyword} {key}={mask(value, value)}`: a plain-word default password in "
                            f"every image built from this Dockerfile (`docker {shows}` shows it): every container "
                            "that is not given another one at run time uses a password everyone with the repository "
                            "knows; leave it unset in the image and require it at run time (`-e`, a secret)",
                            location, secrets=(value,), severity=Severity.WARNING)
                    elif is_secret_value(value):
                        yield self.draft(
                            f"`{instruction.keyword} {key}={mask(value, value)}`: a literal secret in the Dockerfile "
                            f"and in every image built from it (`docker {'inspect' if instruction.keyword == 'ENV' else 'history'}` shows it)",
                            location, secrets=(value,))
                    elif instruction.keyword == "ARG" and not value and any(
                            re.search(rf"\$\{{?{re.escape(key)}\b", run.value) for run in runs if run.line > instruction.line):
                        yield self.draft(
                            f"build argument `{key}` is used by `RUN`: build arguments are recorded in the image "
                            "history; pass secrets with `RUN --mount=type=secret`", location, severity=Severity.WARNING)


def _build_steps(view: DockerfileView, targets: set[str]) -> frozenset[int]:
    """The stages that only feed files to later ones (`COPY --from=ui-builder`): not the last stage, a deploy path's
    `--target`, or a stage either is built `FROM`. An image built from the Dockerfile has their files,
    never their `ENV` (https://docs.docker.com/build/building/multi-stage/)."""
    copied = {flag.partition("=")[2].lower() for i in view.instructions if i.keyword in {"COPY", "ADD"}
              for flag in i.flags if flag.startswith("--from=")}
    if not copied:
        return frozenset()
    runs = [view.stage(target) for target in (None, *sorted(targets))]
    shipped = {member.index for stage in runs if stage is not None for member in view.lineage(stage)}
    return frozenset(stage.index for stage in view.stages if stage.index not in shipped
                     and ((stage.name or "").lower() in copied or str(stage.index) in copied))


_NETRC_PASSWORD = lazy(r"\bpassword\s+(\S+)")


def _repository_text(project: Project, relative: str) -> str | None:
    """The text of a small regular file of the repository that discovery does not read (`.npmrc`);
    None for a link, a path leaving the root, or anything unreadable."""
    known = project.by_path.get(relative)
    if known is not None:
        return known.text
    if relative.startswith(("../", "/")) or relative == ".." or "/../" in relative:
        return None
    full = os.path.join(project.root, relative)
    if os.path.islink(full) or any(os.path.islink(os.path.join(project.root, *relative.split("/")[:i]))
                                   for i in range(1, relative.count("/") + 1)):
        return None
    source = read_source(project.root, relative, "text", Context.PROD)
    return source.text if source.error is None else None


def _committed_without_secret(project: Project, context: str, path: str) -> bool:
    """A file `_copy_source` names by its name that the repository holds with no secret in it: an env file
    (`_env_file_without_secret`) or a credential file."""
    if posixpath.basename(path) not in _CREDENTIAL_FILES:
        return _env_file_without_secret(project, context, path)
    return _credential_file_without_secret(project, context, path)


def _credential_file_without_secret(project: Project, context: str, path: str) -> bool:
    """A credential file by name (`.npmrc`, `.pypirc`, `.netrc`) that the repository holds, with no
    line that sets a secret-named key to a real value (`_authToken=${NPM_TOKEN}` is a reference)."""
    relative = posixpath.normpath(posixpath.join(context, path)) if context else posixpath.normpath(path)
    text = _repository_text(project, relative)
    if text is None:
        return False  # not in the repository: a developer's local file, the one that holds tokens
    for line in text.splitlines():
        netrc = _NETRC_PASSWORD.search(line)
        if netrc and is_secret_value(netrc.group(1)):
            return False
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        key, separator, value = stripped.partition("=") if "=" in stripped else stripped.partition(":")
        if not separator:
            continue
        key = key.rsplit(":", 1)[-1].strip().lstrip("_")  # `//registry.npmjs.org/:_authToken`
        if (is_secret_name(key) or key.lower() in load("images")["credential_files"]["keys"]) and is_secret_value(value.strip()):
            return False
    return True


def _env_file_without_secret(project: Project, context: str, path: str) -> bool:
    """An env file by name (`serge.env`, `.env.production`) that the repository holds and that sets no secret
    (env_file_secrets: a secret-named key with a real value, a database URL with a password): copying it
    bakes only what the repository already shows. One the repository does not hold is the developer's or
    the CI's own, the one that holds the credentials."""
    relative = posixpath.normpath(posixpath.join(context, path)) if context else posixpath.normpath(path)
    env_file = project.by_path.get(relative)
    return env_file is not None and env_file.kind == FileKind.ENV and not env_file_secrets(project, env_file)


def _line_location(source: SourceFile, line: int, token: str, end_line: int | None = None) -> Location:
    for number in range(line, (end_line or line) + 1):
        text = source.line(number)
        index = text.find(token)
        if index >= 0:
            return Location(source.path, Span(number, index + 1, number, index + 1 + len(token)))
    text = source.line(line)
    return Location(source.path, Span(line, 1, line, len(text) + 1))
