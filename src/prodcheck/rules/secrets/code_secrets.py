"""PC302 hardcoded-secret (rules/secrets/hardcoded_secret.py), its reading of Python code: a secret-named
module or class constant, a settings default, a dict entry or a keyword holding a literal secret, an
environment getter's default, a JWT signing key; and the draft every part of the rule makes. Docs and tests:
rules/PC302-hardcoded-secret.md"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.knowledge import load
from prodcheck.knowledge.names import names
from prodcheck.model.facts import KEYWORD_LITERAL, Assign, Call, PyFacts, Value
from prodcheck.model.files import Context
from prodcheck.model.finding import Location, Severity
from prodcheck.project import Project
from prodcheck.project.template_defaults import TemplateDefaults
from prodcheck.rules.base import Draft, Rule
from prodcheck.rules.helpers import classes_based_on
from prodcheck.rules.secrets.secret_places import refused, settings_groups
from prodcheck.rules.secrets.secret_values import (
    Evidence,
    fallback_severity,
    is_app_key,
    is_placeholder,
    is_refusable_placeholder,
    is_secret_name,
    role_note,
    secret_evidence,
    token_format,
)
from prodcheck.rules.secrets.settings_urls import settings_url_passwords

_CODE = load("secrets")["code"]
_WRAPPERS = frozenset(_CODE["wrappers"])
_JWT_CALLS = names("secrets", "code", "jwt_calls")
_SETTINGS_BASES = tuple(_CODE["settings_bases"])
_ENUM_BASES = tuple(_CODE["enum_bases"])
_ADVICE = "read it from the environment or a secret store"


def _literal(value: Value) -> str | None:
    if value.is_str:
        return str(value.literal)
    if value.kind == "call" and value.last in _WRAPPERS and value.items and value.items[0].is_str:
        return str(value.items[0].literal)
    return None


def _may_draft(assign: Assign) -> bool:
    """Only a dict (its secret-like keys), or a literal or a `Field` default given a secret-like name, can make a
    draft (`_python_value`, `_template_default`)."""
    value = assign.value
    if value.kind == "dict":
        return True
    return (value.is_str or (value.kind == "call" and (value.last == "Field" or _literal(value) is not None))) \
        and is_secret_name(assign.target.rsplit(".", 1)[-1])


def _template_default(defaults: TemplateDefaults, path: str, name: str, value: Value) -> tuple[str, str] | None:
    """(variable, default) when a secret-named constant of a generated file is one cookiecutter
    placeholder whose default is a literal, not itself a placeholder (`changeme`)."""
    if "{{" not in path or not is_secret_name(name):
        return None
    literal = _literal(value)
    filled = defaults.default(path, literal) if literal is not None else None
    return filled if filled is not None and not is_placeholder(filled[1]) else None


class CodeSecrets(Rule):
    """The Python side of PC302, and the draft of a literal secret every side makes (`_draft`)."""

    _project: Project

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

    def _python(self, project: Project) -> Iterator[Draft]:
        getters = project.python.env_getter_names
        jwt_calls = project.calls.entries_of(_JWT_CALLS)  # (exact names: one set intersection)
        read = getters | jwt_calls
        reading = project.calls.paths_calling(read)  # the files that call one of them: most call none
        defaults = TemplateDefaults(project.root)
        self._project = project
        for facts in project.python_facts.values():
            # most files assign nothing that can make a draft: their classes and settings are not read
            assigns = [assign for assign in facts.assigns if _may_draft(assign)]
            if assigns:
                yield from self._python_assigns(project, facts, assigns, defaults)
            # a call's keywords can hold a secret only in a file where a keyword holding a literal is named like one
            literal = KEYWORD_LITERAL if any(is_secret_name(name) for name in facts.literal_keywords) else 0
            for call in facts.calls if literal or facts.path in reading else ():
                if not (call.flags & literal or call.value.text in read) or call.in_main:
                    continue  # no secret-like keyword holding a literal, no variable read: nothing `_python_call` reads
                yield from self._python_call(project, facts, call, getters, jwt_calls)

    def _python_assigns(self, project: Project, facts: PyFacts, assigns: list[Assign],
                        defaults: TemplateDefaults) -> Iterator[Draft]:
        """The drafts of a file's module and class constants, settings defaults and dicts (`assigns`: those that can
        make one)."""
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
        for assign in assigns:
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
                                      severity=fallback_severity(role or name, evidence, literal), fallback=True,
                                      note=role_note(role or name, evidence, literal))
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
                                  severity=fallback_severity(role or name, secret_evidence(text, name), text),
                                  fallback=True, note=role_note(role or name, secret_evidence(text, name), text))
            elif not in_settings and secret_evidence(text, name, code=True) >= Evidence.RANDOM:
                # A field of a data model (an API schema), not configuration: code, where a plain
                # word (`termination_token = Field("DONE!")`) is no evidence.
                yield self._draft(name, text, "in code", Location(facts.path, default.span), severity=Severity.WARNING)

    def _unguarded_placeholder(self, name: str, text: str, value: Value, path: str) -> bool:
        """A placeholder (`change-me-...`) that no check refuses (`_refused`)."""
        if not is_refusable_placeholder(text):
            return False
        item = value.items[0] if value.kind == "call" and value.items else value
        return not refused(self._project, name, text, Location(path, item.span))

    def _placeholder(self, facts: PyFacts, name: str, text: str, value: Value, role: str = "",
                     where: str = "as a settings default") -> Draft:
        """A secret setting whose default is a placeholder: production runs with it whenever the variable
        is unset, and a placeholder is as public as any literal. A datastore's or another service's
        credential opens nothing by itself (`_fallback_severity`): info."""
        severity = fallback_severity(role or name, Evidence.WEAK, text)
        consequence = (role_note(role or name, Evidence.WEAK, text).strip(" ()") if severity == Severity.INFO else
                       "a deploy that does not set the variable runs with a key everyone with the repository knows")
        return self.draft(
            f"`{name}` defaults to a placeholder (`****`) {where}, and nothing in the code refuses "
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
            if text is not None and is_app_key(name) and self._unguarded_placeholder(name, text, default, facts.path):
                # `os.getenv("JWT_SECRET", "change-me")`: what production signs with when the variable is unset
                yield self._placeholder(facts, name, text, default, where="when the variable is unset")
                return
            if text is not None and is_secret_name(name) and secret_evidence(text, name) >= Evidence.WEAK:
                yield self._draft(name, text, "when the variable is unset", Location(facts.path, default.span),
                                  severity=fallback_severity(name, secret_evidence(text, name), text), fallback=True,
                                  note=role_note(name, secret_evidence(text, name), text))
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
