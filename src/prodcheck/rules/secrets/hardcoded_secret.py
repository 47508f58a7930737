"""PC302 hardcoded-secret. Docs and tests: rules/PC302-hardcoded-secret.md"""
from __future__ import annotations

import base64
import posixpath
import re
import binascii
from collections.abc import Iterator

from prodcheck.knowledge import load
from prodcheck.knowledge.names import names
from prodcheck.model.facts import KEYWORD_LITERAL, Call, PyFacts, Value
from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Location, Severity, Span
from prodcheck.parsing.dockerfile import command_of
from prodcheck.parsing.shell import SimpleCommand
from prodcheck.parsing.yaml import YNode
from prodcheck.project import Project
from prodcheck.project.chart_defaults import chart_values, default_secret
from prodcheck.project.infra import ComposeService, compose_env, scalar_location
from prodcheck.project.template_defaults import TemplateDefaults
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.rules.helpers import classes_based_on, database_urls
from prodcheck.rules.secrets.settings_urls import settings_url_passwords
from prodcheck.rules.container.database_port_published import is_store_image
from prodcheck.rules.secrets.secret_places import refused, settings_groups, store_reach
from prodcheck.rules.secrets.secret_values import (
    Evidence,
    credential_role,
    is_app_key,
    is_placeholder,
    is_secret_name,
    secret_evidence,
    token_format,
)

_CODE = load("secrets")["code"]
_WRAPPERS = frozenset(_CODE["wrappers"])
_JWT_CALLS = names("secrets", "code", "jwt_calls")
_SETTINGS_BASES = tuple(_CODE["settings_bases"])
_ENUM_BASES = tuple(_CODE["enum_bases"])
# `${VAR:-default}` / `${VAR-default}`: compose uses the default when the variable is unset (or empty)
# (https://docs.docker.com/reference/compose-file/interpolation/).
_INTERPOLATION_DEFAULT = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}$]+)\}$")
_ADVICE = "read it from the environment or a secret store"
# The shortest generated key of a third-party service worth treating as possibly real (see _fallback_severity).
_SHORTEST_SERVICE_KEY = 20


def _literal(value: Value) -> str | None:
    if value.is_str:
        return str(value.literal)
    if value.kind == "call" and value.last in _WRAPPERS and value.items and value.items[0].is_str:
        return str(value.items[0].literal)
    return None


class HardcodedSecret(Rule):
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

    def _draft(self, name: str, value: str, where: str, location: Location, severity: Severity | None = None,
               fallback: bool = False, context: Context | None = None, fix: str = "", note: str = "") -> Draft:
        kind = token_format(value)
        what = f"a {kind}" if kind else "a literal secret (`****`)"
        if kind:
            severity = Severity.ERROR  # a real credential format: leaked whatever the code does with it
        if fallback and severity == Severity.INFO and note:
            message = (f"`{name}` falls back to {what} {where}{note}; "
                       f"{fix or 'make the setting required (no default) so a missing value fails at startup'}")
        elif fallback:
            message = (f"`{name}` falls back to {what} {where}: a deploy that forgets the variable runs with a "
                       f"{'password' if note else 'key'} everyone with the repository knows{note}; "
                       f"{fix or 'make the setting required (no default) so a missing value fails at startup'}")
        else:
            message = (f"`{name}` has {what} {where}: anyone with the repository (and its history) has it{note}; "
                       f"{_ADVICE}{', and rotate it' if kind else ''}")
        return self.draft(message, location, severity=severity, secrets=(value,), context=context)

    # ------------------------------------------------------------ Python

    def _python(self, project: Project) -> Iterator[Draft]:
        getters = project.python.env_getter_names
        jwt_calls = frozenset(name for name in project.calls.names if name in _JWT_CALLS)
        defaults = TemplateDefaults(project.root)
        self._project = project
        for facts in project.python_facts.values():
            functions = {f.qualname for f in facts.functions}
            settings_classes = settings_groups(facts, classes_based_on(facts, _SETTINGS_BASES))
            enums = classes_based_on(facts, _ENUM_BASES)
            classes = {c.qualname for c in facts.classes}
            test_classes = {q for q in classes if q.rsplit(".", 1)[-1].startswith("Test")}
            url_passwords = settings_url_passwords(project, facts) if settings_classes else {}
            # `REDACTED: ClassVar[str] = "****"`: a class constant, never a field read from the environment
            # (https://docs.pydantic.dev/latest/concepts/models/#class-vars)
            class_vars = {name for name, annotation in facts.annotations
                          if "ClassVar" in annotation.text} if settings_classes else set()
            for assign in facts.assigns:
                if assign.in_main or assign.scope in functions or assign.scope in test_classes or assign.scope in enums:
                    continue
                if assign.target in url_passwords:
                    continue  # the password of a database URL the settings build: PC301 hardcoded-database-url
                name = assign.target.rsplit(".", 1)[-1]
                # pydantic keeps `_name` as a private attribute, never read from the environment: a constant
                in_settings = assign.scope in settings_classes and not name.startswith("_") \
                    and assign.target not in class_vars
                if assign.scope not in classes and assign.scope not in {"", facts.module}:
                    continue
                filled = _template_default(defaults, facts.path, name, assign.value)
                if filled is not None:
                    variable, default = filled
                    yield self.draft(
                        f"`{name}` is filled from the template's default `****` (`{variable}` in cookiecutter.json): "
                        "every project generated with the defaults holds this same secret in its code; have the "
                        "template generate one per project or read it from the environment",
                        Location(facts.path, assign.value.span), severity=Severity.WARNING, secrets=(default,))
                    continue
                # a nested settings model's field (`Database.password`, read as `DATABASE__PASSWORD`):
                # the model's name says what the credential opens
                role = f"{assign.scope.rsplit('.', 1)[-1]}_{name}" if in_settings else name
                yield from self._python_value(facts, name, assign.value, in_settings, role)
            # a call's keywords can hold a secret only in a file where a keyword holding a literal is named like one
            literal = KEYWORD_LITERAL if any(is_secret_name(name) for name in facts.literal_keywords) else 0
            for call in facts.calls:
                if not (call.flags & literal or call.name in getters or call.name in jwt_calls) or call.in_main:
                    continue  # no secret-like keyword holding a literal, no variable read: nothing `_python_call` reads
                yield from self._python_call(project, facts, call, getters, jwt_calls)

    def _python_value(self, facts: PyFacts, name: str, value: Value, in_settings: bool,
                      role: str = "") -> Iterator[Draft]:
        """Settings defaults are configuration (a plain word is a weak password there); other constants
        are code, where only a generated-looking value or a known token format is evidence."""
        literal = _literal(value)
        if literal is not None:
            if not is_secret_name(name):
                return
            if in_settings and is_app_key(role or name) and self._unguarded_placeholder(name, literal, value, facts.path):
                yield self._placeholder(facts, name, literal, value, role)
                return
            if in_settings:
                evidence = secret_evidence(literal, name)
                if evidence >= Evidence.WEAK:
                    yield self._draft(name, literal, "as a settings default", Location(facts.path, value.span),
                                      severity=_fallback_severity(role or name, evidence, literal), fallback=True,
                                      note=_role_note(role or name, evidence, literal))
            elif secret_evidence(literal, name, code=True) >= Evidence.RANDOM:
                yield self._draft(name, literal, "in code", Location(facts.path, value.span), severity=Severity.WARNING)
            return
        if value.kind == "dict":
            yield from self._python_dict(facts, value)
        elif value.kind == "call" and value.last == "Field" and is_secret_name(name):
            default = value.arg(0) or value.kwarg("default")
            text = _literal(default) if default is not None else None
            if default is None or text is None:
                return
            if in_settings and is_app_key(role or name) and self._unguarded_placeholder(name, text, default, facts.path):
                yield self._placeholder(facts, name, text, default, role)
            elif in_settings and secret_evidence(text, name) >= Evidence.WEAK:
                yield self._draft(name, text, "as a settings default", Location(facts.path, default.span),
                                  severity=_fallback_severity(role or name, secret_evidence(text, name), text),
                                  fallback=True, note=_role_note(role or name, secret_evidence(text, name), text))
            elif not in_settings and secret_evidence(text, name, code=True) >= Evidence.RANDOM:
                # A field of a data model (an API schema), not configuration: code, where a plain
                # word (`termination_token = Field("DONE!")`) is no evidence.
                yield self._draft(name, text, "in code", Location(facts.path, default.span), severity=Severity.WARNING)

    def _unguarded_placeholder(self, name: str, text: str, value: Value, path: str) -> bool:
        """A placeholder (`change-me-...`) that no check refuses (`_refused`)."""
        if not is_placeholder(text) or len(text.strip()) < 4:
            return False
        item = value.items[0] if value.kind == "call" and value.items else value
        return not refused(self._project, name, text, Location(path, item.span))

    def _placeholder(self, facts: PyFacts, name: str, text: str, value: Value, role: str = "") -> Draft:
        """A secret setting whose default is a placeholder: production runs with it whenever the variable
        is unset, and a placeholder is as public as any literal. A datastore's or another service's
        credential opens nothing by itself (`_fallback_severity`): info."""
        severity = _fallback_severity(role or name, Evidence.WEAK, text)
        consequence = (_role_note(role or name, Evidence.WEAK, text).strip(" ()") if severity == Severity.INFO else
                       "a deploy that does not set the variable runs with a key everyone with the repository knows")
        return self.draft(
            f"`{name}` defaults to a placeholder (`****`) as a settings default, and nothing in the code refuses "
            f"it: {consequence}; make the setting required (no default) so a missing value fails at startup, "
            "or reject the placeholder when the settings load",
            Location(facts.path, (value.items[0] if value.kind == "call" and value.items else value).span),
            severity=severity, secrets=(text,))

    def _python_dict(self, facts: PyFacts, value: Value, depth: int = 0) -> Iterator[Draft]:
        for key, item in value.keywords:
            text = _literal(item)
            if text is not None and is_secret_name(key) and secret_evidence(text, key, code=True) >= Evidence.RANDOM:
                yield self._draft(key, text, "in code", Location(facts.path, item.span), severity=Severity.WARNING)
            elif item.kind == "dict" and depth < 4:
                yield from self._python_dict(facts, item, depth + 1)

    def _python_call(self, project: Project, facts: PyFacts, call: Call, getters: frozenset[str],
                     jwt_calls: frozenset[str]) -> Iterator[Draft]:
        value = call.value
        if call.name in getters:  # reads an environment variable (`is_env_getter`)
            variable = value.arg(0)
            default = value.arg(1) or value.kwarg("default")
            if variable is None or not variable.is_str or default is None:
                return
            text = _literal(default)
            name = str(variable.literal)
            if text is not None and is_secret_name(name) and secret_evidence(text, name) >= Evidence.WEAK:
                yield self._draft(name, text, "when the variable is unset", Location(facts.path, default.span),
                                  severity=_fallback_severity(name, secret_evidence(text, name), text), fallback=True,
                                  note=_role_note(name, secret_evidence(text, name), text))
            return
        if call.name in jwt_calls:
            key = value.arg(1) or value.kwarg("key")
            text = _literal(key) if key is not None else None
            if key is not None and text is not None and secret_evidence(text) >= Evidence.WEAK:
                yield self._draft("JWT signing key", text, f"in `{call.name}()`", Location(facts.path, key.span))
            return
        if value.last == "Field":
            return  # settings fields are handled with their assignment
        for keyword, item in value.keywords:
            text = _literal(item)
            if text is not None and is_secret_name(keyword) and secret_evidence(text, keyword, code=True) >= Evidence.RANDOM:
                yield self._draft(keyword, text, f"passed to `{value.last}()`", Location(facts.path, item.span))
            elif item.kind == "dict":
                yield from self._python_dict(facts, item)

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
                if instruction.keyword in {"RUN", "CMD", "ENTRYPOINT"}:
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


def _fallback_severity(name: str, evidence: Evidence, value: str = "") -> Severity:
    """A plain-word default (`"postgres"`, `"password"`) of a datastore's password or of a credential for
    another company's service opens nothing by itself: the database must also be reachable and set to
    that password, the mail relay or cloud API rejects it. A secret the application checks itself
    (a signing key, an API token it accepts) is a warning whatever it looks like."""
    role = credential_role(name)
    if role is None or evidence >= Evidence.FORMAT:
        return Severity.WARNING
    if evidence == Evidence.WEAK or role == "throwaway":
        return Severity.INFO
    # A generated-looking value: a leaked credential if it could be one. Another company's API keys and
    # secrets are long generated tokens (AWS secret keys 40 characters, most API keys 32 or more): a
    # short one (`polar123456789`) is a local development value.
    return Severity.INFO if role == "outbound" and len(value) < _SHORTEST_SERVICE_KEY else Severity.WARNING


def _role_note(name: str, evidence: Evidence, value: str = "") -> str:
    if _fallback_severity(name, evidence, value) != Severity.INFO:
        return ""
    if credential_role(name) == "throwaway":
        return " (the secret of a test double or test account: it opens no production system)"
    if credential_role(name) == "outbound":
        return " (a credential for another service: a made-up default is rejected there, it opens nothing)"
    return " (a datastore's password: it opens only a database set to it and reachable)"


def _template_default(defaults: TemplateDefaults, path: str, name: str, value: Value) -> tuple[str, str] | None:
    """(variable, default) when a secret-named constant of a generated file is one cookiecutter
    placeholder whose default is a literal, not itself a placeholder (`changeme`)."""
    if "{{" not in path or not is_secret_name(name):
        return None
    literal = _literal(value)
    filled = defaults.default(path, literal) if literal is not None else None
    return filled if filled is not None and not is_placeholder(filled[1]) else None


def _in_chart(project: Project, path: str) -> bool:
    """The file is part of a Helm chart (a folder above it holds Chart.yaml): what it renders is the
    chart's default, which every install that keeps the defaults shares."""
    folder = posixpath.dirname(path)
    while folder:
        if posixpath.join(folder, "Chart.yaml") in project.by_path:
            return True
        folder = posixpath.dirname(folder)
    return "Chart.yaml" in project.by_path
