"""PC303 committed-env-file. Docs and tests: rules/PC303-committed-env-file.md"""
from __future__ import annotations

import posixpath
from collections.abc import Iterator
from pathlib import Path

from prodcheck.knowledge import load
from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Location, Severity, Span
from prodcheck.project import Project
from prodcheck.project.db_urls import env_file_paths
from prodcheck.project.infra import ComposeService
from prodcheck.project.images import is_third_party_image
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.rules.container.database_port_published import is_store_image, publishes_outside, service_image
from prodcheck.rules.secrets.secret_values import Evidence, env_file_secrets, is_env_file_name, name_words, secret_evidence

# `.env.test`, `ci.env`: the words that put a non-Python file in tests or CI (knowledge/contexts.toml).
_TEST_WORDS = frozenset(word.upper() for word in load("contexts")["path_words"]["test_words"])
GIT_TIMEOUT = 10


def git_tracked(root: Path, paths: list[str]) -> set[str] | None:
    """Which of `paths` (relative to root) git tracks; None when root is not in a work tree or git
    cannot answer. Through git.run_git: no shell, a timeout, and no configuration, hook or
    fsmonitor of the repository able to hook into it."""
    from prodcheck.git import GitError, run_git

    if not paths:
        return set()
    try:
        out = run_git(root, "ls-files", "-z", "--", *paths, timeout=GIT_TIMEOUT)
    except (GitError, ValueError):
        return None
    return {p for p in out.decode("utf-8", "replace").split("\0") if p}


class CommittedEnvFile(Rule):
    meta = RuleMeta(
        code="PC303", name="committed-env-file",
        summary="A .env file with secret values committed to the repository",
        severity=Severity.ERROR, kinds=("env",), dev="skip", security=7.5,
    )

    def check(self, project: Project) -> Iterator[Draft]:
        candidates = [(source, secrets) for source in project.of_kind(FileKind.ENV)
                      if is_env_file_name(posixpath.basename(source.path))
                      and (secrets := env_file_secrets(project, source))]
        if not candidates:
            return
        tracked = git_tracked(project.root, [source.path for source, _ in candidates])
        for source, secrets in candidates:
            if tracked is not None and source.path not in tracked:
                continue  # a local file git does not track: exactly where it belongs
            name = posixpath.basename(source.path)
            words = set(name_words(name))
            context = Context.TEST if words & _TEST_WORDS else None
            line, _key, value = secrets[0]
            text = source.line(line)
            start = text.find(value)
            span = (Span(line, start + 1, line, start + 1 + len(value)) if start >= 0
                    else Span(line, 1, line, len(text) + 1))
            names = ", ".join(f"`{k}`" for k in dict.fromkeys(k for _, k, _ in secrets))
            how = "tracked by git" if tracked is not None else "in the repository"
            count = len(secrets)
            them = "them" if count != 1 else "it"
            if max(secret_evidence(v) for _, _, v in secrets) < Evidence.RANDOM:
                stores = _stores_reading(project, source.path, {k for _, k, _ in secrets})
                if stores:
                    yield self._for_stores(name, how, names, count, stores, Location(source.path, span), context,
                                           tuple(v for _, _, v in secrets))
                    continue
                # `POSTGRES_PASSWORD=postgres`, `MINIO_ROOT_PASSWORD=minioadmin`: nothing generated leaks, but
                # a deployment that uses the file as it is runs with passwords everyone can read.
                yield self.draft(
                    f"`{name}` is {how} with {count} plain-word password{'s' if count != 1 else ''} ({names}), "
                    "default or development values rather than leaked keys: a deployment that uses this file as it "
                    f"is runs with {'passwords' if count != 1 else 'a password'} everyone with the repository knows; "
                    "commit a `.env.example` without values and set strong ones where the deployment runs",
                    Location(source.path, span), context=context, severity=Severity.WARNING,
                    secrets=tuple(v for _, _, v in secrets),
                )
                continue
            yield self.draft(
                f"`{name}` is {how} with {count} secret value{'s' if count != 1 else ''} ({names}): anyone with "
                f"the repository has {them}, and git history keeps {them}; commit a `.env.example` without values",
                Location(source.path, span), context=context,
                secrets=tuple(v for _, _, v in secrets),
            )

    def _for_stores(self, name: str, how: str, names: str, count: int, stores: list[ComposeService],
                    location: Location, context: Context | None, values: tuple[str, ...]) -> Draft:
        """Plain-word passwords of datastores the compose stack runs: whether anyone outside the host
        can use them is whether such a datastore publishes its port."""
        published = [s for s in stores if publishes_outside(s)]
        plural = "s" if count != 1 else ""
        if published:
            service = published[0]
            return self.draft(
                f"`{name}` is {how} with {count} plain-word password{plural} ({names}) of compose service "
                f"`{service.name}`, which publishes its port on every interface of the host: anyone who reaches "
                "the host logs in with a password everyone with the repository knows, in every deployment "
                "that uses this file as it is; set strong values where the deployment runs and commit a "
                "`.env.example` without them",
                location, context=context, severity=Severity.WARNING, secrets=values,
                related=(service.location.labelled("publishes its port"),))
        listed = ", ".join(f"`{s.name}`" for s in stores[:3])
        return self.draft(
            f"`{name}` is {how} with {count} plain-word password{plural} ({names}) of the compose stack's own "
            f"{listed}, which publish{'es' if len(stores) == 1 else ''} no port outside the host: only containers "
            f"beside them can use the password{plural}, but every deployment that uses this file as it is shares "
            f"{'them' if plural else 'it'}; set strong values where the deployment runs and commit a `.env.example` "
            "without them",
            location, context=context, severity=Severity.WARNING, secrets=values)


def _stores_reading(project: Project, path: str, keys: set[str]) -> list[ComposeService]:
    """Compose datastore (and other third-party service) containers that read the env file's passwords: through `env_file:`, or (the
    compose project's `.env`) by interpolating one of its keys in their `environment:`."""
    out = []
    for service in project.compose_services:
        folder = posixpath.dirname(service.file.path)
        files = {posixpath.normpath(posixpath.join(folder, p)) for p in env_file_paths(service.node.get("env_file"))}
        reads = path in files
        if not reads and path == posixpath.normpath(posixpath.join(folder, ".env")):
            environment = service.node.get("environment")
            text = " ".join(n.text or "" for n in environment.walk() if n.is_scalar) if environment is not None else ""
            reads = any(f"${{{key}" in text or f"${key}" in text for key in keys)
        image = service_image(project, service)
        if reads and image and (is_store_image(image) or is_third_party_image(image)):
            out.append(service)
    return out
