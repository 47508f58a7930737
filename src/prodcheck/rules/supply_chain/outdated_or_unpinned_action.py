"""PC704 outdated-or-unpinned-action. Docs and tests: rules/PC704-outdated-or-unpinned-action.md"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.fix.roundtrip import Slot, file_text, same_style
from prodcheck.fix.roundtrip import fix as roundtrip_fix
from prodcheck.knowledge.actions import action_majors, branch_refs
from prodcheck.model.finding import Fix, Location, Severity, Span
from prodcheck.parsing.yaml import YNode
from prodcheck.project import Project
from prodcheck.rules.base import Draft, FixAvailability, Rule, RuleMeta
from prodcheck.lazy_pattern import lazy

_SHA = lazy(r"^[0-9a-f]{40}$")
_MAJOR = lazy(r"^v?(\d+)(?:\.\d+)*$")


def _location(path: str, node: YNode, text: str) -> Location:
    span = node.span
    if not node.style and span.end_line == span.line:  # plain (libyaml says "" for plain)
        return Location(path, Span(span.line, span.column, span.line, span.column + len(text)))
    return Location(path, Span(span.line, span.column, span.line, span.column + 1))


class OutdatedOrUnpinnedAction(Rule):
    meta = RuleMeta(
        code="PC704", name="outdated-or-unpinned-action",
        summary="A workflow action on a deprecated major, a branch, or no ref at all",
        severity=Severity.WARNING, kinds=("workflow",), security=5.0, fix=FixAvailability.SOMETIMES,
        fix_safe=False,
    )

    def check(self, project: Project) -> Iterator[Draft]:
        for workflow in project.workflow_jobs:
            for job in workflow.jobs.values():
                if job.uses and job.uses_node is not None:
                    yield from self._check(project, workflow.path, job.uses, job.uses_node)
                for step in job.steps:
                    if step.uses and step.uses_node is not None:
                        yield from self._check(project, workflow.path, step.uses, step.uses_node)

    @staticmethod
    def _fix(project: Project, path: str, uses: str, node: YNode, name: str, major: int) -> Fix | None:
        """`uses:` moved to `name@vN` through ruamel.yaml's round trip; unsafe: a major can change inputs."""
        source = project.by_path.get(path)
        text = file_text(source) if source is not None else None
        if text is None:
            return None
        replacement = f"{name}@v{major}"

        def change(slot: Slot) -> bool:
            if not isinstance(slot.value, str) or slot.value.strip() != uses:
                return False
            slot.set(same_style(slot.value, replacement))
            return True

        line = node.span.line
        return roundtrip_fix(f"use `{replacement}` (read its release notes)", path, text, line, node.span.column,
                             change, line, line, safe=False)

    def _check(self, project: Project, path: str, uses: str, node: YNode) -> Iterator[Draft]:
        uses = uses.strip()
        if uses.startswith(("./", "docker://")) or "${{" in uses:
            return  # local actions and container images carry no ref
        name, at, ref = uses.partition("@")
        location = _location(path, node, uses)
        key = "/".join(name.lower().split("/")[:2])
        known = action_majors().get(key)
        fix = (lambda: self._fix(project, path, uses, node, name, known.current)) if known is not None else lambda: None
        if not at or not ref:
            yield self.draft(
                f"`{name}` has no `@ref`: GitHub refuses to run it; pin a release tag or a commit SHA", location,
                severity=Severity.ERROR, fix=fix(),
            )
            return
        if _SHA.match(ref):
            return
        if ref.lower() in branch_refs():
            own = _own_action(project, name)
            if own is not None:
                yield self.draft(
                    f"`{uses}` runs this repository's own action (`{own}`) from its `{ref}` branch: a run uses "
                    "whatever was merged there last rather than the version of the commit under test; use "
                    f"`./{own}` after the checkout to run the one beside the workflow",
                    location, severity=Severity.INFO,
                )
                return
            yield self.draft(
                f"`{uses}` follows a branch: every run executes whatever was pushed there last, with this "
                "workflow's secrets and token; pin a release tag or a commit SHA",
                location, fix=fix(),
            )
            return
        match = _MAJOR.match(ref)
        if known is None or match is None:
            return
        major = int(match.group(1))
        first, removed_below = known.supported, known.removed_below
        if major >= first:
            return
        if major < removed_below:
            yield self.draft(
                f"`{uses}` no longer works: GitHub turned off the service this major version calls, so the "
                f"step fails; use `{name}@v{known.current}`",
                location, severity=Severity.ERROR, fix=fix(),
            )
        else:
            yield self.draft(
                f"`{uses}` is a deprecated major that runs on a retired Node.js runtime and gets no fixes; "
                f"use `{name}@v{known.current}` or pin its commit SHA",
                location, fix=fix(),
            )


def _own_action(project: Project, name: str) -> str | None:
    """`owner/repo/.github/actions/prepare`: an action under a path of this repository that holds it
    (`.github/actions/prepare/action.yml`): the repository's own action, named through its slug."""
    parts = name.split("/")
    if len(parts) < 3:
        return None
    sub = "/".join(parts[2:]).strip("/")
    if any(f"{sub}/{manifest}" in project.by_path for manifest in ("action.yml", "action.yaml")):
        return sub
    return None
