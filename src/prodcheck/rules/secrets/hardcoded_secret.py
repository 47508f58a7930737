"""PC302 hardcoded-secret. Docs and tests: rules/PC302-hardcoded-secret.md

The deployment side: compose services, Kubernetes manifests, workflows, commands and chart defaults. Python
code is read by the base class (code_secrets.py)."""
from __future__ import annotations

import base64
import posixpath
import binascii
from collections.abc import Iterator

from prodcheck.lazy_pattern import lazy
from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Location, Severity, Span
from prodcheck.parsing.dockerfile import command_of
from prodcheck.parsing.shell import SimpleCommand
from prodcheck.parsing.yaml import YNode
from prodcheck.project import Project
from prodcheck.project.chart_defaults import chart_values, default_secret
from prodcheck.project.infra import ComposeService, compose_env, scalar_location
from prodcheck.rules.base import Draft, RuleMeta
from prodcheck.rules.secrets.code_secrets import CodeSecrets
from prodcheck.rules.helpers import database_urls
from prodcheck.rules.container.database_port_published import is_store_image
from prodcheck.rules.secrets.secret_places import store_reach
from prodcheck.rules.secrets.secret_values import (
    Evidence,
    credential_role,
    is_secret_name,
    secret_evidence,
)

# `${VAR:-default}` / `${VAR-default}`: compose uses the default when the variable is unset (or empty)
# (https://docs.docker.com/reference/compose-file/interpolation/).
_INTERPOLATION_DEFAULT = lazy(r"^\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}$]+)\}$")


class HardcodedSecret(CodeSecrets):
    meta = RuleMeta(
        code="PC302", name="hardcoded-secret",
        summary="A literal secret key, password, token or API key in code or production configuration",
        severity=Severity.ERROR, kinds=("py", "dockerfile", "compose", "k8s", "workflow"), dev="skip", security=8.5,
    )

    def check(self, project: Project) -> Iterator[Draft]:
        yield from self._python(project)
        yield from self._compose(project)
        yield from self._kubernetes(project)
        yield from self._workflows(project)
        yield from self._commands(project)
        yield from self._chart_defaults(project)

    def _chart_defaults(self, project: Project) -> Iterator[Draft]:
        """A literal password or key in a chart's default values.yaml (project/chart_defaults.py);
        a bundled database's password is PC301's."""
        for value in chart_values(project):
            text = default_secret(value)
            if value.database is not None or text is None or database_urls(text):
                continue
            yield self.draft(
                f"`{value.key}` has a literal secret (`****`) in the chart's default values: every install that "
                "keeps the defaults uses a credential everyone with the chart knows; leave it empty and "
                "`required`, generate it, or read it from an existing Secret",
                scalar_location(value.values.path, value.node), severity=Severity.WARNING, secrets=(text,))

    # ------------------------------------------------------------ compose

    def _compose(self, project: Project) -> Iterator[Draft]:
        stores: dict[str, list[ComposeService]] = {}
        for candidate in project.compose_services:
            if is_store_image(candidate.image):
                stores.setdefault(candidate.file.path, []).append(candidate)
        for service in project.compose_services:
            path = service.file.path
            where = f"in compose service `{service.name}`"
            for name, node in service.environment.items():
                if not is_secret_name(name):
                    continue  # `_yaml_value` drafts nothing under any other name: no datastore to look for
                reach = store_reach(service, name, stores.get(path, []))
                label = reach and ("the service itself" if reach == service.name else f"`{reach}`")
                yield from self._yaml_value(path, name, node, where, interpolated=True, store=label)
            build = service.node.get("build")
            args = build.get("args") if build is not None and build.is_map else None
            for name, node in compose_env(args).items():
                yield from self._yaml_value(path, name, node, f"in the build arguments of `{service.name}`")

    def _yaml_value(self, path: str, name: str, node: YNode, where: str, context: Context | None = None,
                    interpolated: bool = False, store: str | None = "") -> Iterator[Draft]:
        """`store` (`_store_reach`): None when `name` is the password of a datastore that publishes no port
        outside the host (only the stack's own containers can reach it); what names that datastore's
        service (`` `db` ``, "the service itself") when it does publish; "" otherwise."""
        text = node.as_str()
        default = _INTERPOLATION_DEFAULT.match(text or "") if interpolated else None
        note = (" (the datastore is reachable only from the stack's own containers, which lowers the risk)"
                if store is None
                else f" (and {store} publishes its port outside the host)" if store and credential_role(name) == "datastore"
                else "")
        if default is not None and is_secret_name(name):
            value = default.group(1)
            if secret_evidence(value) >= Evidence.WEAK and not database_urls(value):
                yield self._draft(name, value, f"{where} (`${{VAR:-default}}`) when the variable is unset",
                                  scalar_location(path, node), fallback=True, context=context, note=note,
                                  severity=Severity.WARNING,
                                  fix="write `${VAR:?VAR is required}` so compose refuses to start without it")
            return
        if text is None or not is_secret_name(name) or secret_evidence(text) < Evidence.WEAK:
            return
        if database_urls(text):
            return  # PC301 hardcoded-database-url
        yield self._draft(name, text, where, scalar_location(path, node), context=context, note=note,
                          severity=Severity.WARNING if store is None else None)

    # ------------------------------------------------------------ Kubernetes Secret manifests

    def _kubernetes(self, project: Project) -> Iterator[Draft]:
        for source, document in project.k8s_documents:
            kind = document.get("kind")
            if kind is None or kind.as_str() != "Secret":
                continue
            name_node = document.path("metadata", "name")
            secret_name = (name_node.as_str() if name_node is not None else None) or "secret"
            for section, encoded in (("stringData", False), ("data", True)):
                data = document.get(section)
                for key, node in data.entries() if data is not None else []:
                    text = node.as_str()
                    if text is None:
                        continue
                    if encoded:
                        try:
                            text = base64.b64decode(text.strip(), validate=True).decode("utf-8")
                        except (binascii.Error, ValueError, UnicodeDecodeError):
                            continue
                    if not (is_secret_name(key) and secret_evidence(text) >= Evidence.WEAK and not database_urls(text)):
                        continue
                    location = scalar_location(source.path, node)
                    if secret_evidence(text) < Evidence.RANDOM and _in_chart(project, source.path):
                        # A chart's default values (`password: "postgres"`): a default every install that keeps
                        # it shares, not a leaked credential; the fix is in the chart, not a secret store.
                        yield self.draft(
                            f"the chart's default values give Secret `{secret_name}` the plain-word `{key}` `****`: "
                            "every install that keeps the defaults runs with a password everyone with the chart "
                            "knows; leave it empty and `required`, or point the chart at an existing Secret",
                            location, secrets=(node.as_str() or "", text), severity=Severity.WARNING)
                        continue
                    yield self.draft(
                        f"Secret `{secret_name}` commits `{key}` ({'base64, not encrypted' if encoded else 'plain text'}) "
                        "to the repository: anyone with it has the secret; use Sealed Secrets, SOPS or an "
                        "external secret store", location, secrets=(node.as_str() or "", text))

    # ------------------------------------------------------------ GitHub Actions

    def _workflows(self, project: Project) -> Iterator[Draft]:
        for workflow in project.workflow_jobs:
            path = workflow.path
            # CI jobs that build, lint or test get throw-away values; what deploys, and what is handed to
            # actions (registry logins, SSH deploys), is a real credential.
            deploying = [job for job, _ in workflow.deploy_jobs(project.workflow_jobs)]
            env = workflow.document.get("env")
            for name, node in env.entries() if deploying and env is not None and env.is_map else []:
                yield from self._yaml_value(path, name, node, "in the workflow's `env`")
            for job in workflow.jobs.values():
                deploys = job in deploying
                context = Context.TEST if job.is_test_job() and not deploys else None
                places: list[tuple[YNode | None, str]] = [
                    (job.node.get("with"), f"passed to `{job.uses}`"),
                    (job.node.get("secrets"), f"passed to `{job.uses}`"),
                ]
                if deploys:
                    places.append((job.node.get("env"), f"in job `{job.key}`"))
                    places.append((job.node.path("container", "env"), f"in job `{job.key}`'s container"))
                for step in job.steps:
                    if deploys:
                        places.append((step.node.get("env"), f"in a step of job `{job.key}`"))
                    places.append((step.node.get("with"), f"passed to `{step.uses}`" if step.uses else "in a step"))
                for node, where in places:
                    for name, value in node.entries() if node is not None and node.is_map else []:
                        yield from self._yaml_value(path, name, value, where, context)

    # ------------------------------------------------------------ commands

    def _commands(self, project: Project) -> Iterator[Draft]:
        """`SECRET=literal cmd` and `--password=literal` in commands written in Dockerfiles, compose and k8s."""
        seen: set[tuple[str, int]] = set()
        candidates: list[tuple[str, SimpleCommand]] = []
        for source, view in project.dockerfiles:
            for instruction in view.instructions:
                if instruction.keyword in {"RUN", "CMD", "ENTRYPOINT"} and _may_assign(instruction.value, instruction.heredoc):
                    candidates.extend((source.path, c) for c in command_of(instruction))
        for process in project.processes:
            for step in process.steps:
                source = project.by_path.get(step.location.path)
                if source is not None and source.kind in {FileKind.COMPOSE, FileKind.K8S}:
                    candidates.append((step.location.path, step.command))
        for path, command in candidates:
            if not command.env and "=" not in "".join(command.argv[1:]):
                continue  # neither `NAME=value` before it nor an `--option=value` in it
            pairs = list(command.env)
            for token in command.argv[1:]:
                if token.startswith("--") and "=" in token:
                    option, _, value = token[2:].partition("=")
                    pairs.append((option, value))
            for name, value in pairs:
                if not is_secret_name(name) or secret_evidence(value) < Evidence.WEAK or database_urls(value):
                    continue
                if (path, command.line) in seen:
                    continue
                seen.add((path, command.line))
                source = project.by_path.get(path)
                line_text = source.line(command.line) if source else ""
                start = line_text.find(value)
                span = (Span(command.line, start + 1, command.line, start + 1 + len(value)) if start >= 0
                        else Span(command.line, 1, command.line, len(line_text) + 1))
                yield self._draft(name, value, "in a command", Location(path, span))


def _may_assign(value: str, heredoc: str) -> bool:
    """A Dockerfile command written like this can hold a `NAME=value` or an `--option=value` (what `_commands`
    reads): its text or here-document holds an `=`, or a backslash (an exec form's JSON escape, `\\u003d`, writes
    one the text does not show). Most RUN lines have neither, and are not split into commands for it."""
    return "=" in value or "\\" in value or "=" in heredoc


def _in_chart(project: Project, path: str) -> bool:
    """The file is part of a Helm chart (a folder above it holds Chart.yaml): what it renders is the
    chart's default, which every install that keeps the defaults shares."""
    folder = posixpath.dirname(path)
    while folder:
        if posixpath.join(folder, "Chart.yaml") in project.by_path:
            return True
        folder = posixpath.dirname(folder)
    return "Chart.yaml" in project.by_path
