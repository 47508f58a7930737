"""PC705 deploy-without-tests. Docs and tests: rules/PC705-deploy-without-tests.md"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.model.finding import Severity
from prodcheck.project import Project
from prodcheck.project.workflows import Workflow
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
                elsewhere = self._tests_elsewhere(workflow, workflows)
                if elsewhere and workflow.push_branches and "workflow_run" not in workflow.triggers:
                    yield self.draft(
                        f"job `{job.key}` {what} ({deploys}) on every push, while the tests run in a separate "
                        f"workflow (`{elsewhere}`) that nothing waits for: a commit that fails them {outcome};"
                        " move the job behind the tests with `needs:`, or trigger it with "
                        "`workflow_run` on a successful test run",
                        job.location,
                    )

    @staticmethod
    def _tests_elsewhere(workflow: Workflow, workflows: list[Workflow]) -> str | None:
        candidates = [other for other in workflows if other is not workflow and other.push_branches]
        for other in candidates:
            if any(job.tests() for job in other.jobs.values()):
                return other.path
        for other in candidates:
            if other.test_jobs(workflows):
                return other.path
        return None
