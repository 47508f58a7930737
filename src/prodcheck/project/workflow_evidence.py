"""What GitHub workflows build and deploy: each job that is not a test job, its `run` steps (in the folder
the step, the job's or the workflow's `defaults.run.working-directory` names, following their `cd` and the
repository scripts they run: script_runs.py) and its
docker/build-push-action steps, also in a workflow of the repository a job calls with `uses:` and inputs.
`WorkflowEvidence` extends the readers of commands (deploy_evidence.py)."""
from __future__ import annotations

import re

from prodcheck.knowledge import load
from prodcheck.parsing.yaml import YNode
from prodcheck.project.ci_words import EXPRESSION, contexts_knowledge, is_test_build, lower_words
from prodcheck.project.deploy_evidence import DeployEvidence, _join, _norm
from prodcheck.project.script_runs import follow
from prodcheck.lazy_pattern import lazy

_IMAGE_WORKFLOW_WORDS = frozenset(load("workflows")["docker_cli"]["image_workflow_words"])
_SHIPPING_WORDS = frozenset(load("workflows")["docker_cli"]["image_shipping_words"])
_LOCATION_WORDS = frozenset(load("workflows")["docker_cli"]["image_location_words"])
_INPUT = lazy(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}")
_MATRIX = lazy(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}")
_ENV = lazy(r"\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_MAX_COMBINATIONS = 64  # a matrix bigger than this (a test grid) builds no image worth reading one by one


class WorkflowEvidence(DeployEvidence):
    """The deploy paths of GitHub workflows."""

    def _from_workflows(self) -> None:
        for workflow in self.views.workflow_jobs:
            top_env = _env_map(workflow.document)
            top_directory = _run_directory(workflow.document)
            for job in workflow.jobs.values():
                if job.is_test_job():
                    continue
                deploy = job.deploys() is not None
                job_env = {**top_env, **_env_map(job.node)}
                job_directory = _run_directory(job.node)
                for step in job.steps:
                    working = step.node.get("working-directory") if step.node.is_map else None
                    base = _norm(working.as_str() or "") if working is not None else \
                        job_directory if job_directory is not None else top_directory or ""
                    line = step.run_node.span.line if step.run_node is not None else step.node.span.line
                    env = {**job_env, **_env_map(step.node)}
                    for run in follow(step.commands, base, self.views.by_path, self.views.script_steps):
                        where = f"{job.path}:{run.command.line if run.command.line > 1 else line}" if run.script is None \
                            else f"{run.script.path}:{run.command.line} (run by {job.path}:{line})"
                        self._read_command(run.command, run.base, where, deploy, env)
                    if step.uses and "/build-push-action" in step.uses:
                        combinations: list[dict[str, str] | None] = [*matrix_combinations(job.node)] or [None]
                        for combination in combinations:
                            self._build_push_action(step.node, job.path, matrix=combination, env=env)

        self._from_reusable_workflows()

    def _from_reusable_workflows(self) -> None:
        """A job that calls a workflow of the repository (`uses: ./.github/workflows/build.yml`) with inputs
        (`with: {dockerfile: docker/Dockerfile.api}`): the called workflow's docker/build-push-action builds
        what `${{ inputs.dockerfile }}` names for that call
        (https://docs.github.com/en/actions/sharing-automations/reusing-workflows)."""
        called = {workflow.path: workflow for workflow in self.views.workflow_jobs}
        for workflow in self.views.workflow_jobs:
            for job in workflow.jobs.values():
                if not job.uses or job.is_test_job():
                    continue
                inputs = _scalar_map(job.node, "with")
                callee = called.get(_norm(job.uses.split("@", 1)[0])) if job.uses.startswith("./") else None
                if callee is None and not job.pre_merge:
                    self._from_external_call(job.uses, inputs, f"{job.path}:{job.key_node.span.line}")
                if callee is None or callee is workflow:
                    continue
                where = f"{job.path}:{job.key_node.span.line}"
                callee_env = _env_map(callee.document)
                for callee_job in callee.jobs.values():
                    if inputs and callee_job.uses and not callee_job.uses.startswith("./") \
                            and not callee_job.is_test_job():
                        # build.yml -> ./build-one.yml (`service: backend`) -> org/actions/build-docker.yml
                        # (`SERVICE: ${{ inputs.service }}`): the external call, with this call's inputs
                        given = {key: _with_inputs(value, inputs)
                                 for key, value in _scalar_map(callee_job.node, "with").items()}
                        self._from_external_call(callee_job.uses, given, where)
                    for step in callee_job.steps:
                        if inputs and step.uses and "/build-push-action" in step.uses:
                            env = {**callee_env, **_env_map(callee_job.node), **_env_map(step.node)}
                            self._build_push_action(step.node, callee.path, inputs, where, env=env)

    def _from_external_call(self, uses: str, inputs: dict[str, str], where: str) -> None:
        """A reusable workflow of another repository (`uses: org/workflows/.github/workflows/image_build.yml@v3`),
        which this one cannot read, given a Dockerfile of this repository as an input (`dockerfile:
        scripts/docker/Dockerfile`), or, when its name says it builds images (`build-docker.yml`), a folder holding
        one (`service: backend`, a build context): it builds that Dockerfile, and an input named for a target (`build_target:
        prod`) is the stage it builds (hotosm's tasking-manager). A call that runs only for pull requests, or
        builds a stage named for CI or development, places nothing."""
        builds_images = bool(set(lower_words(uses.split("@", 1)[0].rsplit("/", 1)[-1])) & _IMAGE_WORKFLOW_WORDS)
        found = [(key, path) for key, value in inputs.items() if "$" not in value
                 and (path := self._dockerfile_at(_norm(value))
                      or (self._dockerfile_in(_norm(value)) if builds_images else None)) is not None]
        how = "its input `{}`"
        if not found and (root := self._default_dockerfile(uses, inputs)) is not None:
            # `uses: org/.github/.github/workflows/docker-release.yml` with only `image_base_name: api`: the called
            # workflow builds its default, the repository's root Dockerfile (build-push-action's `./Dockerfile`)
            found, how = [("", root)], "no input names a Dockerfile or a folder: its default, the root `Dockerfile`"
        if len(found) != 1:
            return  # none, or several images whose targets cannot be told apart
        key, dockerfile = found[0]
        targets = [value for name, value in inputs.items() if "target" in lower_words(name)]
        target = targets[0] if len(targets) == 1 else None
        if target and any(w in contexts_knowledge()["path_words"]["dev_stage_words"] for w in lower_words(target)):
            return  # `build_target: ci`, `debug`: the image CI or developers use, not what production runs
        self._mark_prod(dockerfile, f"built by the reusable workflow `{uses}` ({how.format(key)}) at {where}")
        self._add_target(dockerfile, target)

    def _default_dockerfile(self, uses: str, inputs: dict[str, str]) -> str | None:
        """The root Dockerfile, for a reusable workflow of another repository whose name says it builds and ships
        images (`docker-release.yml`, `build-push-image.yml`) called with no input that names a file, a folder or
        a build context: it builds what such workflows and docker/build-push-action default to."""
        name = set(lower_words(uses.split("@", 1)[0].rsplit("/", 1)[-1]))
        if not name & _IMAGE_WORKFLOW_WORDS or not name & _SHIPPING_WORDS:
            return None
        if any(set(lower_words(key)) & _LOCATION_WORDS for key in inputs):
            return None  # the call names the file or folder, in a way this cannot resolve (`${{ matrix.dir }}`)
        return self._dockerfile_at("Dockerfile")

    def _build_push_action(self, node: YNode, path: str, inputs: dict[str, str] | None = None,
                           caller: str | None = None, matrix: dict[str, str] | None = None,
                           env: dict[str, str] | None = None) -> None:
        """What one docker/build-push-action step builds: `file`, `context` and `target` with the call's
        inputs, the matrix combination and the plain `env:` values of the workflow, job and step put in
        (`file: ${{ env.DOCKERFILE }}` under a workflow-level `env: {DOCKERFILE: docker/Dockerfile.gpu}`)."""
        with_node = node.get("with")
        if with_node is None or not with_node.is_map:
            return

        def value(key: str) -> str | None:
            found = with_node.get(key)
            text = found.as_str() if found is not None and found.is_scalar else None
            if text and matrix is not None:
                # a key the combination does not give is empty (https://docs.github.com/en/actions/reference/
                # workflows-and-actions/contexts#matrix-context): `file: ""` is the context's Dockerfile
                text = _MATRIX.sub(lambda m: matrix.get(m.group(1), ""), text)
            if text and env:
                text = _ENV.sub(lambda m: env.get(m.group(1), m.group(0)), text)
            return _with_inputs(text, inputs or {}) if text else text or None

        file, context = value("file"), value("context") or "."
        if context.startswith(_DEFAULT_CONTEXT):
            # the Git context of the workflow's commit, or a folder of it after `:`
            # (https://github.com/docker/build-push-action#git-context)
            context = context[len(_DEFAULT_CONTEXT):].lstrip(":") or "."
        if "$" in context or "://" in context:
            context = "."
        where = f"{path}:{node.span.line}" + (f", called from {caller}" if caller else "")
        if file and "$" not in file:
            found = self._dockerfile_at(_norm(file))
        elif file:
            found = None
        else:
            found = self._dockerfile_at(_join(context, "Dockerfile"))
        tags_node = with_node.get("tags")
        tags = re.split(r"[\s,]+", EXPRESSION.sub("", tags_node.as_str() or "")) if tags_node is not None \
            and tags_node.is_scalar else \
            [t.as_str() or "" for t in tags_node.list()] if tags_node is not None and tags_node.is_seq else []
        if found is not None and not is_test_build(tags, found):
            self._mark_prod(found, f"built by docker/build-push-action at {where}")
            self._add_target(found, value("target"))


_DEFAULT_CONTEXT = "{{defaultContext}}"


def _run_directory(node: YNode) -> str | None:
    """The folder `run` steps start in, from `defaults: run: working-directory:` of a job or a workflow
    (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#defaultsrun)."""
    defaults = node.get("defaults") if node.is_map else None
    run = defaults.get("run") if defaults is not None and defaults.is_map else None
    directory = run.get("working-directory") if run is not None and run.is_map else None
    text = directory.as_str() if directory is not None and directory.is_scalar else None
    return _norm(text) if text and "${{" not in text else None


def _env_map(node: YNode | None) -> dict[str, str]:
    """The plain `env:` values of a workflow, job or step node."""
    return _scalar_map(node, "env")


def _scalar_map(node: YNode | None, key: str) -> dict[str, str]:
    """The plain values of the mapping under `key` of a node (`env:`, a reusable workflow call's `with:`)."""
    found = node.get(key) if node is not None else None  # None for a node that is no mapping
    if found is None or not found.is_map:
        return {}
    return {name.as_str() or "": value.as_str() or "" for name, value in found.items() if value.is_scalar}


def matrix_combinations(job: YNode) -> list[dict[str, str]]:
    """The combinations a job's `strategy.matrix` runs it with, each a mapping of the matrix's keys to plain values:
    the product of its lists less those an `exclude` entry matches, then each `include` entry added to every combination none of whose values it
    overwrites, or run as a combination of its own when it fits none
    (https://docs.github.com/en/actions/how-tos/write-workflows/choose-what-workflows-do/run-job-variations).
    Empty for a job without a matrix, one computed at run time (`${{ fromJSON(...) }}`), or one too big to read."""
    strategy = job.get("strategy") if job.is_map else None
    matrix = strategy.get("matrix") if strategy is not None and strategy.is_map else None
    if matrix is None or not matrix.is_map:
        return []
    combinations: list[dict[str, str]] = [{}]
    includes: list[dict[str, str]] = []
    excludes: list[dict[str, str]] = []
    for key_node, value in matrix.items():
        key = key_node.as_str() or ""
        if key in {"include", "exclude"} and value.is_seq:
            entries = [{k.as_str() or "": v.as_str() or "" for k, v in entry.items() if v.is_scalar}
                       for entry in value.list() if entry.is_map]
            if key == "include":
                includes = entries
            else:
                excludes = entries
        elif value.is_seq:
            values = [item.as_str() or "" for item in value.list() if item.is_scalar]
            combinations = [{**combination, key: item} for combination in combinations for item in values]
        if len(combinations) > _MAX_COMBINATIONS:
            return []
    combinations = [c for c in combinations
                    if not any(all(c.get(k) == v for k, v in entry.items()) for entry in excludes)]
    axes = set(combinations[0]) if combinations else set()
    originals = [c for c in combinations if c]  # none for a matrix of `include` entries alone
    added: list[dict[str, str]] = []
    for entry in includes:
        # an entry can't overwrite an original value, but can what an earlier entry added
        fits = [c for c in originals if all(c[k] == v for k, v in entry.items() if k in axes)]
        for combination in fits:
            combination.update(entry)
        if not fits:
            added.append(dict(entry))
    combinations = originals + added
    return combinations[:_MAX_COMBINATIONS]


def _with_inputs(text: str, inputs: dict[str, str]) -> str:
    """`${{ inputs.service }}` replaced by what the call gives `service` (left as written when it gives nothing)."""
    return _INPUT.sub(lambda m: inputs.get(m.group(1), m.group(0)), text)
