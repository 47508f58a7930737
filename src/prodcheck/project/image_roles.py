"""Context decided inside one file: an image stage that is no long-running service (an AWS Lambda
function, a build step), a Python settings class named for tests or development."""
from __future__ import annotations


from prodcheck.model.facts import PyFacts
from prodcheck.model.files import Context
from prodcheck.parsing.dockerfile import DockerfileView, Stage, command_of
from prodcheck.project.ci_words import contexts_knowledge
from prodcheck.project.path_marks import Placement
from prodcheck.lazy_pattern import lazy

_CAMEL = lazy(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+")
_SETTINGS_CLASS = ("config", "settings", "configuration")


def image_purpose(view: DockerfileView, stage: Stage) -> str | None:
    """Why an image stage is not a long-running service, or None when it is one: an AWS Lambda
    function (the Lambda runtime runs it), or a build step whose command only copies or bundles."""
    images = contexts_knowledge()["images"]
    base = view.base_image(stage).lower()
    if base.startswith(tuple(images["function_bases"])):
        return f"an AWS Lambda function image (`FROM {base}`): the Lambda runtime runs it, not a container of its own"
    commands = [c for keyword in ("ENTRYPOINT", "CMD") if (i := view.effective(stage, keyword)) is not None
                for c in command_of(i) if c.argv]
    if commands and all(c.program in images["build_programs"] for c in commands):
        return f"a build step: its command only copies or bundles files (`{commands[0]}`)"
    return None


def settings_class_context(facts: PyFacts | None, line: int) -> Placement | None:
    """A line inside a settings class named for tests or development (`TestConfig`,
    `DevelopmentSettings`, `LocalConfig`): the environment that class configures is not production."""
    if facts is None:
        return None
    found = None
    for klass in facts.classes:
        span = klass.span
        if not span.line <= line <= max(span.end_line, span.line):
            continue
        name = klass.qualname.rsplit(".", 1)[-1]
        words = [w.lower() for w in _CAMEL.findall(name)]
        if not words or words[-1] not in _SETTINGS_CLASS:
            continue
        if any(w in {"test", "tests", "testing"} for w in words):
            found = Placement(Context.TEST, f"inside `{name}`, the settings of the test environment")
        elif any(w in {"dev", "development", "local", "debug"} for w in words):
            found = Placement(Context.DEV, f"inside `{name}`, the settings of a development environment")
    return found
