"""PC704 outdated-or-unpinned-action. Docs and tests: rules/PC704-outdated-or-unpinned-action.md"""
from __future__ import annotations

import re
from collections.abc import Iterator

from prodcheck.model.finding import Location, Severity, Span
from prodcheck.parsing.yaml import YNode
from prodcheck.project import Project
from prodcheck.rules.base import Draft, Rule, RuleMeta

# action -> (first supported major, majors below this one no longer run at all)
# Majors below the first supported one run on Node 12 / Node 16, which GitHub's runners have retired.
SUPPORTED_MAJOR: dict[str, tuple[int, int]] = {
    "actions/checkout": (4, 0),
    "actions/setup-python": (5, 0),
    "actions/setup-node": (4, 0),
    "actions/setup-go": (5, 0),
    "actions/setup-java": (4, 0),
    "actions/cache": (4, 3),  # cache v1/v2 stopped working when the cache service moved (2025)
    "actions/upload-artifact": (4, 4),  # artifact v1-v3 stopped working on 30 January 2025
    "actions/download-artifact": (4, 4),
    "actions/github-script": (7, 0),
    "docker/build-push-action": (5, 0),
    "docker/login-action": (3, 0),
    "docker/setup-buildx-action": (3, 0),
    "docker/setup-qemu-action": (3, 0),
    "docker/metadata-action": (5, 0),
    "aws-actions/configure-aws-credentials": (4, 0),
    "google-github-actions/auth": (2, 0),
    "azure/login": (2, 0),
    "codecov/codecov-action": (4, 0),
}
_BRANCHES = frozenset({"main", "master", "develop", "dev", "trunk", "latest", "head", "stable", "release", "next"})
_SHA = re.compile(r"^[0-9a-f]{40}$")
_MAJOR = re.compile(r"^v?(\d+)(?:\.\d+)*$")


def _location(path: str, node: YNode, text: str) -> Location:
    span = node.span
    if node.style is None and span.end_line == span.line:
        return Location(path, Span(span.line, span.column, span.line, span.column + len(text)))
    return Location(path, Span(span.line, span.column, span.line, span.column + 1))


class OutdatedOrUnpinnedAction(Rule):
    meta = RuleMeta(
        code="PC704", name="outdated-or-unpinned-action",
        summary="A workflow action on a deprecated major, a branch, or no ref at all",
        severity=Severity.WARNING, kinds=("workflow",), security=5.0,
    )

    def check(self, project: Project) -> Iterator[Draft]:
        for workflow in project.workflow_jobs:
            for job in workflow.jobs.values():
                if job.uses and job.uses_node is not None:
                    yield from self._check(workflow.path, job.uses, job.uses_node)
                for step in job.steps:
                    if step.uses and step.uses_node is not None:
                        yield from self._check(workflow.path, step.uses, step.uses_node)

    def _check(self, path: str, uses: str, node: YNode) -> Iterator[Draft]:
        uses = uses.strip()
        if uses.startswith(("./", "docker://")) or "${{" in uses:
            return  # local actions and container images carry no ref
        name, at, ref = uses.partition("@")
        location = _location(path, node, uses)
        if not at or not ref:
            yield self.draft(
                f"`{name}` has no `@ref`: GitHub refuses to run it; pin a release tag or a commit SHA", location,
                severity=Severity.ERROR,
            )
            return
        if _SHA.match(ref):
            return
        if ref.lower() in _BRANCHES:
            yield self.draft(
                f"`{uses}` follows a branch: every run executes whatever was pushed there last, with this "
                "workflow's secrets and token; pin a release tag or a commit SHA",
                location,
            )
            return
        key = "/".join(name.lower().split("/")[:2])
        supported = SUPPORTED_MAJOR.get(key)
        match = _MAJOR.match(ref)
        if supported is None or match is None:
            return
        major = int(match.group(1))
        first, removed_below = supported
        if major >= first:
            return
        if major < removed_below:
            yield self.draft(
                f"`{uses}` no longer works: GitHub turned off the service this major version calls, so the "
                f"step fails; use `{name}@v{first}`",
                location, severity=Severity.ERROR,
            )
        else:
            yield self.draft(
                f"`{uses}` is a deprecated major that runs on a retired Node.js runtime and gets no fixes; "
                f"use `{name}@v{first}` or pin its commit SHA",
                location,
            )
