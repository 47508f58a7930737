"""GitHub Actions workflows as jobs and steps: what each job runs, what it needs, whether it tests,
deploys or migrates. Built from the YAML views `Project.workflows` already holds; nothing is re-read."""
from __future__ import annotations

import posixpath
import re
from urllib.parse import urlsplit
from dataclasses import dataclass, field

from prodcheck.extract.servers import is_migration
from prodcheck.knowledge import load
from prodcheck.model.finding import Location, Span
from prodcheck.parsing.shell import SimpleCommand, split_script
from prodcheck.parsing.yaml import YNode
from prodcheck.project.sources import SourceFile
from prodcheck.project.workflow_commands import WorkflowStep, deploy_action, deploy_command, testing_command
from prodcheck.lazy_pattern import lazy

_KNOWN = load("workflows")
_TEST_ACTIONS = frozenset(_KNOWN["tests"]["actions"])
_RUN_TEST = lazy(r"\b(?:hatch|pdm|poetry|uv|pipenv|rye)\s+run\s+(?:python\s+-m\s+)?(?:test|tests|pytest)\b")
_TEST_NAME = lazy(r"(?:^|[-_ ])(?:tests?|pytest|unit|ci|check|checks)(?:$|[-_ ])", re.I)
# Events that run before a change is merged: a workflow on these alone deploys nothing.
_PRE_MERGE_TRIGGERS = frozenset(_KNOWN["triggers"]["pre_merge"])
_VALIDATE_WORD = lazy(r"\b(?:validat\w*|check\w*|verify\w*|lint\w*)\b", re.I)
_TEST_WORD = lazy(r"\b(?:tests?|pytest|unit[ -]?tests?)\b", re.I)
_PROD_ENVIRONMENT = lazy(r"prod|live|staging|release", re.I)
_UNASKED = "\0unasked"  # `Job.tests`/`Job.deploys` not answered yet (no answer holds a NUL)
_LOCAL_CLUSTERS = tuple(_KNOWN["actions"]["local_clusters"])


@dataclass(slots=True, eq=False)
class Job:
    path: str
    key: str
    key_node: YNode
    node: YNode
    needs: tuple[str, ...]
    steps: tuple[WorkflowStep, ...]
    uses: str | None  # a reusable workflow called by the whole job
    uses_node: YNode | None
    permissions: YNode | None
    environment: str | None
    # Runs only for pull requests (and merge queues): before anything is merged, never a deploy.
    pre_merge: bool = False
    # `tests()` and `deploys()` as first answered: the model and rules ask each job again and again, and a job is
    # complete once `build_workflows` returns it
    _tests: str | None = field(default=_UNASKED, init=False, repr=False)
    _deploys: str | None = field(default=_UNASKED, init=False, repr=False)

    @property
    def location(self) -> Location:
        span = self.key_node.span
        return Location(self.path, Span(span.line, span.column, span.line, span.column + len(self.key)))

    @property
    def commands(self) -> list[tuple[WorkflowStep, SimpleCommand]]:
        return [(step, command) for step in self.steps for command in step.commands]

    @property
    def name(self) -> str:
        node = self.node.get("name")
        return (node.as_str() if node is not None else None) or ""

    @property
    def runner_labels(self) -> list[str]:
        node = self.node.get("runs-on")
        if node is None:
            return []
        if node.is_map:
            labels = node.get("labels")
            return labels.strings() if labels is not None else []
        return node.strings()

    @property
    def has_services(self) -> bool:
        return self.node.get("services") is not None

    def tests(self) -> str | None:
        """What makes this a test job (`pytest`, `tox` ...), or None."""
        if self._tests is _UNASKED:
            self._tests = self._test_evidence()
        return self._tests

    def _test_evidence(self) -> str | None:
        for _step, command in self.commands:
            why = testing_command(command)
            if why:
                return why
        for step in self.steps:
            match = _RUN_TEST.search(step.run or "")
            if match:
                return f"`{match.group(0)}`"
        if self.uses and _TEST_NAME.search(posixpath.basename(self.uses.split("@", 1)[0]).rsplit(".", 1)[0]):
            return f"the reusable workflow `{self.uses}`"
        for step in self.steps:
            if step.uses and step.uses.split("@", 1)[0].lower() in _TEST_ACTIONS:
                return f"the action `{step.uses.split('@', 1)[0]}`"
        return None

    def is_test_job(self) -> str | None:
        """`tests()`, or, for a job that deploys nothing, a name that says it tests (`Run tests`)."""
        why = self.tests()
        if why:
            return why
        if (self.steps or self.uses) and self.deploys() is None:
            names = [self.key, self.name, *(_step_name(step) for step in self.steps)]
            if any(_TEST_WORD.search(name) for name in names if name):
                return "its name"
        return None

    def deploys(self) -> str | None:
        """What makes this a deploy or migrate job, as a short phrase, or None.

        Migrations against a CI service container, and cluster commands against a throwaway kind/minikube
        cluster, are part of testing, not deploys.
        """
        if self._deploys is _UNASKED:
            self._deploys = self._deploy_evidence()
        return self._deploys

    def _deploy_evidence(self) -> str | None:
        local_cluster = any(any(m in (step.uses or "").lower() for m in _LOCAL_CLUSTERS) for step in self.steps)
        self_hosted = any(label.lower() == "self-hosted" for label in self.runner_labels)
        tests = None
        for _step, command in self.commands:
            kind, why = deploy_command(command, self_hosted)
            if kind is None:
                continue
            if kind == "migrate":
                if self.has_services or self.pre_merge:
                    continue  # a CI database: the workflow runs for pull requests only
                if _runner_database(self.node, _step):
                    continue  # `DATABASE_URL: postgresql://...@localhost:5433/app`: a database on the runner itself
                if _TEST_WORD.search(_step_name(_step) or "") or _VALIDATE_WORD.search(_step_name(_step) or ""):
                    continue  # `name: Test alembic migration`: the step checks the migrations
                tests = tests if tests is not None else (self.tests() or "")
                if tests:
                    continue
            if kind == "cluster" and local_cluster:
                continue
            return why
        for step in self.steps:
            if step.uses:
                why = deploy_action(step)
                if why:
                    return why
        if self.environment and _PROD_ENVIRONMENT.search(self.environment):
            return f"its `environment: {self.environment}`"
        prod_labels = [label for label in self.runner_labels if _PROD_ENVIRONMENT.search(label)]
        if self_hosted and prod_labels:
            return f"its `{prod_labels[0]}` self-hosted runner"
        return None

    def migrates(self) -> str | None:
        for _step, command in self.commands:
            if is_migration(command):
                return f"`{' '.join(command.argv[:3])}`"
        return None


@dataclass(slots=True, eq=False)
class Workflow:
    source: SourceFile
    document: YNode
    jobs: dict[str, Job] = field(default_factory=dict)
    permissions: YNode | None = None
    triggers: dict[str, YNode | None] = field(default_factory=dict)
    jobs_key: YNode | None = None

    @property
    def path(self) -> str:
        return self.source.path

    def upstream(self, job: Job) -> list[Job]:
        """Every job `job` waits for through `needs:`, transitively."""
        seen: dict[str, Job] = {}
        stack = list(job.needs)
        while stack:
            key = stack.pop()
            other = self.jobs.get(key)
            if other is None or key in seen or other is job:
                continue
            seen[key] = other
            stack.extend(other.needs)
        return list(seen.values())

    def test_jobs(self, workflows: list[Workflow] = ()) -> dict[str, str]:  # type: ignore[assignment]  # an empty tuple default, never mutated
        """job key -> why it is a test job; reusable workflows of this repository are looked into."""
        found = {}
        for key, job in self.jobs.items():
            why = job.is_test_job()
            if why is None and job.uses and job.uses.startswith("./"):
                called = posixpath.normpath(job.uses.split("@", 1)[0].removeprefix("./"))
                for other in workflows:
                    if other.path == called and any(j.tests() for j in other.jobs.values()):
                        why = f"the reusable workflow `{job.uses}`"
            if why:
                found[key] = why
        return found

    def deploy_jobs(self, workflows: list[Workflow] = ()) -> list[tuple[Job, str]]:  # type: ignore[assignment]  # an empty tuple default, never mutated
        """Jobs that deploy, publish or migrate, with what they run; jobs a test job waits for (building
        and pushing the image under test) are preparation, not deploys."""
        tests = self.test_jobs(workflows)
        feeding_tests = {up.key for key in tests for up in self.upstream(self.jobs[key])}
        out = []
        for key, job in self.jobs.items():
            if key in feeding_tests:
                continue
            why = job.deploys()
            if why:
                out.append((job, why))
        return out

    @property
    def push_branches(self) -> bool:
        """Triggered by pushes to branches (not only tags)."""
        if "push" not in self.triggers:
            return False
        node = self.triggers["push"]
        if node is None or not node.is_map:
            return True
        return node.get("branches") is not None or node.get("branches-ignore") is not None or node.get("tags") is None


def build_workflows(workflows: list[tuple[SourceFile, YNode]]) -> list[Workflow]:
    out = []
    for source, document in workflows:
        workflow = Workflow(source, document, permissions=document.get("permissions"))
        workflow.triggers = _triggers(document)
        workflow.jobs_key = document.key_node("jobs")
        jobs = document.get("jobs")
        for key_node, node in jobs.items() if jobs is not None else []:
            if not key_node.is_scalar or not node.is_map:
                continue
            workflow.jobs[str(key_node.value)] = _job(source.path, str(key_node.value), key_node, node)
        if workflow.triggers and set(workflow.triggers) <= _PRE_MERGE_TRIGGERS:
            for job in workflow.jobs.values():
                job.pre_merge = True
        out.append(workflow)
    return out


def _triggers(document: YNode) -> dict[str, YNode | None]:
    node = None
    for key, value in document.items():
        if key.is_scalar and str(key.value) in {"on", "True", "true"}:
            node = value
    if node is None:
        return {}
    if node.is_scalar:
        return {node.as_str() or "": None}
    if node.is_seq:
        return {text: None for text in node.strings()}
    return {key: value for key, value in node.entries()}


def _job(path: str, key: str, key_node: YNode, node: YNode) -> Job:
    needs_node = node.get("needs")
    needs = tuple(needs_node.strings()) if needs_node is not None else ()
    steps = []
    steps_node = node.get("steps")
    for item in steps_node.list() if steps_node is not None else []:
        if not item.is_map:
            continue
        uses_node, run_node = item.get("uses"), item.get("run")
        run = run_node.as_str() if run_node is not None else None
        commands: tuple[SimpleCommand, ...] = ()
        if run_node is not None and run:
            line = run_node.span.line + (1 if run_node.style in {"|", ">"} else 0)
            commands = tuple(split_script(run, line))
        steps.append(WorkflowStep(item, uses_node.as_str() if uses_node is not None else None, uses_node,
                                  run, run_node, commands))
    uses_node = node.get("uses")
    environment = node.get("environment")
    env_name = None
    if environment is not None:
        env_name = environment.as_str() if environment.is_scalar else (
            environment.get("name").as_str() if environment.get("name") is not None else None)  # type: ignore[union-attr]  # get("name") checked just above
    return Job(path, key, key_node, node, needs, tuple(steps), uses_node.as_str() if uses_node is not None else None,
               uses_node, node.get("permissions"), env_name)


# Hosts that reach only the machine itself (knowledge/databases.toml [hosts] local): on a CI runner, a database the
# job started (a compose stack, a `docker run`), gone when the job ends
_LOCAL_HOSTS = frozenset(load("databases")["hosts"]["local"])


def _runner_database(job: YNode, step: WorkflowStep) -> bool:
    """The step's (or its job's) environment points every URL it sets at the runner itself
    (`DATABASE_URL: postgresql://app:dev@localhost:5433/app`)."""
    urls = [value.as_str() or "" for node in (step.node, job) if node.is_map
            for env in [node.get("env")] if env is not None and env.is_map
            for _name, value in env.items() if value.is_scalar and "://" in (value.as_str() or "")]
    return bool(urls) and all(_host(url) in _LOCAL_HOSTS for url in urls)


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:  # a malformed port or bracket: no host to read
        return ""


def _step_name(step: WorkflowStep) -> str:
    node = step.node.get("name")
    return (node.as_str() if node is not None else None) or ""
