"""PC705 deploy-without-tests. Docs and tests: rules/PC705-deploy-without-tests.md"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.model.finding import Severity
from prodcheck.project import Project
from prodcheck.project.workflows import Job, Workflow
from prodcheck.rules.base import Draft, Rule, RuleMeta


class DeployWithoutTests(Rule):
    meta = RuleMeta(
        code="PC705", name="deploy-without-tests",
        summary="A deploy or migrate job that does not wait for the test job",
        severity=Severity.WARNING, kinds=("workflow",),
    )

    def check(self, project: Project) -> Iterator[Draft]:
        workflows = project.workflow_jobs
        for workflow in workflows:
            tests = workflow.test_jobs(workflows)
            for job, deploys in workflow.deploy_jobs(workflows):
                if job.key in tests or job.tests():
                    continue  # a job that runs the tests itself before deploying
                if any(other.key in tests for other in workflow.upstream(job)):
                    continue
                what = "migrates the database" if job.migrates() else "deploys"
                # what a failing commit still does: migrate, publish a package or image, or deploy
                outcome = ("still migrates the database" if job.migrates() else
                           "is still published" if any(w in deploys for w in ("publish", "upload", "push"))
                           else "is still deployed")
                if tests:
                    test_key = sorted(tests)[0]
                    yield self.draft(
                        f"job `{job.key}` {what} ({deploys}) but does not `needs:` the test job `{test_key}`: it "
                        f"runs in parallel with the tests, so a commit that fails them {outcome}; "
                        f"add `needs: {test_key}`",
                        job.location,
                    )
                    continue
                elsewhere = self._tests_elsewhere(workflow, workflows, job)
                if elsewhere and workflow.push_branches and "workflow_run" not in workflow.triggers:
                    yield self.draft(
                        f"job `{job.key}` {what} ({deploys}) on every push, while the tests run in a separate "
                        f"workflow (`{elsewhere}`) that nothing waits for: a commit that fails them {outcome};"
                        " move the job behind the tests with `needs:`, or trigger it with "
                        "`workflow_run` on a successful test run",
                        job.location,
                    )

    @staticmethod
    def _tests_elsewhere(workflow: Workflow, workflows: list[Workflow], job: Job) -> str | None:
        """The test workflow that runs on the same pushes, the one most likely to test what `job` ships first:
        one that names a folder the job works in (`working-directory: sdk/python` and a test workflow whose
        filters or steps say `sdk/`), then one whose push trigger has no `paths:` filter (it runs for every
        commit), then any other."""
        candidates = [other for other in workflows if other is not workflow and other.push_branches]
        testing = [other for other in candidates if any(j.tests() for j in other.jobs.values())] or \
                  [other for other in candidates if other.test_jobs(workflows)]
        folders = _folders(job)

        def rank(other: Workflow) -> tuple[bool, bool]:
            text = other.source.text or ""
            push = other.triggers.get("push")
            filtered = push is not None and push.is_map and push.get("paths") is not None
            return (not any(f"{folder}/" in text for folder in folders), filtered)

        return min(testing, key=rank).path if testing else None


def _folders(job: Job) -> set[str]:
    """The top folders a job's steps work in (`working-directory: sdk/python` -> `sdk`)."""
    nodes = [step.node.get("working-directory") for step in job.steps]
    defaults = job.node.path("defaults", "run", "working-directory")
    found = set()
    for node in [*nodes, defaults]:
        text = (node.as_str() if node is not None and node.is_scalar else None) or ""
        top = text.strip().removeprefix("./").split("/", 1)[0]
        if top and top not in {".", ".."} and "$" not in top:
            found.add(top)
    return found
