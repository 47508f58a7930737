"""PC706 workflow-excessive-permissions. Docs and tests: rules/PC706-workflow-excessive-permissions.md"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.model.finding import Location, Severity, Span
from prodcheck.parsing.yaml import YNode
from prodcheck.project import Project
from prodcheck.rules.base import Draft, Rule, RuleMeta


def _is_write_all(node: YNode | None) -> bool:
    return node is not None and node.is_scalar and (node.as_str() or "").strip().lower() == "write-all"


def _scalar(path: str, node: YNode) -> Location:
    span = node.span
    return Location(path, Span(span.line, span.column, span.line, span.column + len(node.as_str() or "")))


class WorkflowExcessivePermissions(Rule):
    meta = RuleMeta(
        code="PC706", name="workflow-excessive-permissions",
        summary="`permissions: write-all`, or no `permissions:` on a workflow that deploys",
        severity=Severity.WARNING, kinds=("workflow",), security=6.0,
    )

    def check(self, project: Project) -> Iterator[Draft]:
        for workflow in project.workflow_jobs:
            if _is_write_all(workflow.permissions):
                yield self.draft(
                    "`permissions: write-all` gives every job's `GITHUB_TOKEN` write access to code, packages, "
                    "releases and deployments: one compromised step or action can push to the repository; "
                    "grant `contents: read` and add only the scopes each job needs",
                    _scalar(workflow.path, workflow.permissions),  # type: ignore[arg-type]  # write-all was read from this node
                )
            for job in workflow.jobs.values():
                if _is_write_all(job.permissions):
                    yield self.draft(
                        f"job `{job.key}` sets `permissions: write-all`: its `GITHUB_TOKEN` can push code, "
                        "publish packages and edit releases; list only the scopes the job needs",
                        _scalar(workflow.path, job.permissions),  # type: ignore[arg-type]  # write-all was read from this node
                    )
            if workflow.permissions is not None:
                continue
            if set(workflow.triggers) == {"workflow_call"}:
                continue  # a reusable workflow: its token's permissions are set (and capped) by each caller
            for job, deploys in workflow.deploy_jobs(project.workflow_jobs):
                if job.permissions is not None or job.uses:
                    continue
                yield self.draft(
                    f"workflow deploys (job `{job.key}` runs {deploys}) but declares no `permissions:`: its "
                    "`GITHUB_TOKEN` gets the repository default, read-write on every scope in older repositories "
                    "and organisations; set `permissions: contents: read` at the top and grant more per job",
                    job.location,
                )
                break
