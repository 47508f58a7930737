"""The words of the commands CI runs to build and push images: a GitHub expression the shell splitter cut at its
spaces put back together, image tags that name a test build or a platform's registry (`DeployEvidence`)."""
from __future__ import annotations

from functools import cache
from typing import Any

from prodcheck.knowledge import load
from prodcheck.lazy_pattern import lazy

_WORD = lazy(r"[A-Za-z0-9]+")


@cache
def contexts_knowledge() -> dict[str, Any]:
    """knowledge/contexts.toml."""
    return load("contexts")


def lower_words(text: str) -> list[str]:
    """The runs of letters and digits of `text`, lower-cased."""
    return [w.lower() for w in _WORD.findall(text)]


_ENV_REFERENCE = lazy(r"\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def expression_word(args: list[str], index: int) -> str:
    """The word at `index` with a GitHub expression the shell splitter cut at its spaces put back together
    (`${{`, `env.IMAGE`, `}}:latest` -> `${{ env.IMAGE }}:latest`); the other tokens are read as before."""
    word = args[index]
    if "${{" not in word or "}}" in word:
        return word
    parts = [word]
    for token in args[index + 1: index + 4]:
        parts.append(token)
        if "}}" in token:
            return " ".join(parts)
    return word


def whole_expressions(args: list[str]) -> list[str]:
    """A workflow expression split by the shell (`ROCM_VERSION=${{`, `inputs.rocm_version`, `}}`) as one word,
    so that none of its pieces reads as the build context."""
    out: list[str] = []
    pending: list[str] = []
    for arg in args:
        if pending:
            pending.append(arg)
            if "}}" in arg:
                out.append(" ".join(pending))
                pending = []
        elif "${{" in arg and "}}" not in arg.rsplit("${{", 1)[1]:
            pending = [arg]
        else:
            out.append(arg)
    return out + pending


EXPRESSION = lazy(r"\$\{\{.*?\}\}|\$\{[^}]*\}|\$[A-Za-z_]\w*")


def is_test_build(tags: list[str], dockerfile: str | None = None) -> bool:
    """Every tag of the image names it for tests or development (`app:integration-test-${{ github.run_id }}`,
    `app:ci`): what CI builds to test against, not what production pulls. With no tag to read (none, or
    only `${{ steps.set-image.outputs.image }}`), the Dockerfile's own name says it (`Dockerfile.ci`,
    `test.Dockerfile`: the image CI runs its tests in)."""
    words = set(contexts_knowledge()["path_words"]["dev"]) | set(contexts_knowledge()["path_words"]["test_words"]) \
        | set(contexts_knowledge()["names"]["test_stack_words"])
    tags = [t for t in tags if t.strip()]
    if not any(EXPRESSION.sub("", t).strip() for t in tags):
        test_words = contexts_knowledge()["path_words"]["test_words"]
        return dockerfile is not None and any(w in test_words for w in lower_words(dockerfile.rsplit("/", 1)[-1]))
    for tag in tags:
        name = EXPRESSION.sub("", tag)
        _, colon, version = name.rpartition(":")
        if not colon or "/" in version or not any(w in words for w in lower_words(version)):
            return False
    return True


def with_env(text: str, env: dict[str, str]) -> str:
    """`text` with the workflow's `env:` values put in for `${{ env.X }}`, `${X}` and `$X` (a variable the
    `env:` does not give stays as written)."""
    if not env or "$" not in text:
        return text
    for _ in range(3):  # an env value may name another (`registry.heroku.com/${APP}/web`)
        expanded = _ENV_REFERENCE.sub(lambda m: env.get(next(g for g in m.groups() if g), m.group(0)), text)
        if expanded == text:
            break
        text = expanded
    return text


def platform_of_tags(tags: list[str], env: dict[str, str]) -> str | None:
    """The platform whose registry an image tag names (`registry.heroku.com/app/web`), with the workflow's
    `env:` values put in for `${{ env.X }}` and `$X` (knowledge/contexts.toml [platforms.registries])."""
    registries: dict[str, str] = contexts_knowledge()["platforms"]["registries"]
    for tag in tags:
        tag = with_env(tag, env)
        host = tag.split("/", 1)[0].lower()
        if host in registries:
            return str(registries[host])
    return None
