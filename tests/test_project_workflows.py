"""The workflow model (project/workflows.py): what a GitHub Actions job tests, deploys or migrates.

Each job below is one way a real workflow ships or tests something, written as a user would; the
expected phrase is what PC7xx/PC4xx messages quote. One workflow per question keeps a failure readable.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_project
from prodcheck import engine
from prodcheck.project import Project
from prodcheck.project.workflows import Workflow
from prodcheck.settings import Settings


def workflows_of(root: Path, files: dict[str, str]) -> list[Workflow]:
    write_project(root, files)
    settings = Settings().with_overrides(use_cache=False)
    discovered = engine.discover(root, settings)
    project = Project(root, discovered, engine.parse_python(root, discovered, settings), settings)
    return project.workflow_jobs


def one_job_per_command(commands: list[str], runs_on: str = "ubuntu-latest") -> str:
    lines = ["on:", "  push:", "    branches: [main]", "jobs:"]
    for number, command in enumerate(commands):
        lines += [f"  j{number}:", f"    runs-on: {runs_on}", "    steps:", f"      - run: {command}"]
    return "\n".join(lines) + "\n"


# (command, what `Job.deploys()` says) on a GitHub-hosted runner; None: ships nothing.
DEPLOY_COMMANDS = [
    ("kubectl apply -f k8s/", "`kubectl apply`"),
    ("kubectl set image deployment/api api=img:1", "`kubectl set`"),
    ("kubectl get pods", None),
    ("kubectl -n prod rollout restart deployment/api", "`kubectl rollout`"),  # -n takes a value
    ("kubectl --context prod-cluster apply -f k8s/", "`kubectl apply`"),
    ("kubectl -n apply get pods", None),  # a namespace named like a verb is still a namespace
    ("helm -n prod upgrade --install api ./chart", "`helm upgrade`"),
    ("kubectl kustomize overlays/prod", None),  # prints the manifests
    ("kubectl kustomize overlays/prod | kubectl apply -f -", "`kubectl apply`"),
    ("kubectl apply -k overlays/prod", "`kubectl apply`"),
    ("helm upgrade --install api ./chart", "`helm upgrade`"),
    ("helm install api ./chart", "`helm install`"),
    ("helm lint ./chart", None),
    ("skaffold run", "`skaffold run`"),
    ("skaffold deploy", "`skaffold deploy`"),
    ("skaffold build", None),
    ("docker push registry.example/api:1", "`docker push`"),
    ("podman push registry.example/api:1", "`podman push`"),
    ("docker buildx build --push -t registry.example/api:1 .", "`docker buildx --push`"),
    ("docker build --push -t registry.example/api:1 .", "`docker build --push`"),
    ("docker build -t api .", None),
    ("docker stack deploy -c stack.yml api", "`docker stack deploy`"),
    ("docker stack ls", None),
    ("docker compose up -d", None),  # a throwaway compose on a hosted runner
    ("docker-compose up -d", None),
    ("flyctl deploy --remote-only", "`flyctl deploy`"),
    ("fly deploy", "`fly deploy`"),
    ("fastapi deploy", "`fastapi deploy`"),
    ("fly status", None),
    ("heroku container:release web", "`heroku container:release`"),
    ("heroku ps", None),
    ("git push heroku main", "`git push` to a PaaS remote"),
    ("git push dokku@apps.example:api main", "`git push` to a PaaS remote"),
    ("git push origin main", None),
    ("git push", None),
    ("gcloud run deploy api --image img", "`gcloud run deploy`"),
    ("gcloud app deploy", "`gcloud app deploy`"),
    ("gcloud auth configure-docker", None),
    ("aws ecs update-service --cluster c --service api", "`aws ecs update-service`"),
    ("aws deploy create-deployment --application-name api", "`aws deploy create-deployment`"),
    ("aws s3 cp dist s3://bucket", None),
    ("aws ecs", None),
    ("eb deploy", "`eb deploy`"),
    ("serverless deploy", "`serverless deploy`"),
    ("sls deploy", "`sls deploy`"),
    ("kamal deploy", "`kamal deploy`"),
    ("vercel deploy", "`vercel deploy`"),
    ("netlify deploy", "`netlify deploy`"),
    ("kamal setup", None),
    ("railway up", "`railway up`"),
    ("railway status", None),
    ("az webapp deploy --src-path app.zip", "`az webapp deploy app.zip`"),
    ("az containerapp update --name api --image img", "`az containerapp update api`"),
    ("az webapp up --name api", "`az webapp up api`"),
    ("az webapp list", None),
    ("terraform apply -auto-approve", "`terraform apply`"),
    ("tofu apply", "`tofu apply`"),
    ("terraform plan", None),
    ("pulumi up --yes", "`pulumi up`"),
    ("pulumi preview", None),
    ("twine upload dist/*", "`twine upload`"),
    ("flit publish", "`flit publish`"),
    ("poetry publish --build", "`poetry publish`"),
    ("uv publish", "`uv publish`"),
    ("hatch publish", "`hatch publish`"),
    ("pdm publish", "`pdm publish`"),
    ("poetry build", None),
    ("twine check dist/*", None),
    ("alembic upgrade head", "`alembic upgrade head`"),
    ("/usr/local/bin/helm upgrade api ./chart", "`helm upgrade`"),  # a program named by its path
]


def test_what_each_command_deploys_on_a_hosted_runner(tmp_path: Path) -> None:
    commands = [command for command, _ in DEPLOY_COMMANDS]
    [workflow] = workflows_of(tmp_path, {".github/workflows/ship.yml": one_job_per_command(commands)})
    found = {command: workflow.jobs[f"j{n}"].deploys() for n, command in enumerate(commands)}
    assert found == dict(DEPLOY_COMMANDS)


def test_compose_up_deploys_only_on_a_self_hosted_runner(tmp_path: Path) -> None:
    commands = ["docker compose up -d", "docker-compose up -d", "docker compose pull", "docker-compose pull"]
    text = one_job_per_command(commands, runs_on="[self-hosted, linux]")
    [workflow] = workflows_of(tmp_path, {".github/workflows/ship.yml": text})
    assert [workflow.jobs[f"j{n}"].deploys() for n in range(4)] == [
        "`docker compose up` on a self-hosted runner", "`docker-compose up` on a self-hosted runner", None, None]


# (`uses:` of a step, what `Job.deploys()` says)
DEPLOY_ACTIONS = [
    "azure/webapps-deploy@v3", "google-github-actions/deploy-cloudrun@v2", "google-github-actions/deploy-appengine@v2",
    "aws-actions/amazon-ecs-deploy-task-definition@v2", "akhileshns/heroku-deploy@v3.13.15",
    "superfly/flyctl-actions/setup-flyctl@master", "azure/k8s-deploy@v5", "google-github-actions/deploy-cloud-functions@v3",
    "azure/containerapps-deploy-action@v1", "Azure/functions-action@v1", "johnbeynon/render-deploy-action@v0.0.8",
    "digitalocean/app_action@v1", "easingthemes/ssh-deploy@v5", "pypa/gh-action-pypi-publish@release/v1",
    "aws-actions/aws-cloudformation-github-deploy@v1",
]


def test_deploy_actions(tmp_path: Path) -> None:
    lines = ["on: [push]", "jobs:"]
    others = ["actions/checkout@v4", "actions/deploy-pages@v4", "peaceiris/actions-gh-pages@v4"]
    for number, uses in enumerate(DEPLOY_ACTIONS + others):
        lines += [f"  j{number}:", "    runs-on: ubuntu-latest", "    steps:", f"      - uses: {uses}"]
    [workflow] = workflows_of(tmp_path, {".github/workflows/ship.yml": "\n".join(lines) + "\n"})
    found = [workflow.jobs[f"j{n}"].deploys() for n in range(len(DEPLOY_ACTIONS) + len(others))]
    assert found == [f"`{uses}`" for uses in DEPLOY_ACTIONS] + [None, None, None]


def test_build_push_action_deploys_when_it_pushes(tmp_path: Path) -> None:
    text = """
        on: [push]
        jobs:
          pushes:
            runs-on: ubuntu-latest
            steps:
              - uses: docker/build-push-action@v6
                with:
                  push: true
          expression:
            runs-on: ubuntu-latest
            steps:
              - uses: docker/build-push-action@v6
                with:
                  push: ${{ github.event_name != 'pull_request' }}
          builds:
            runs-on: ubuntu-latest
            steps:
              - uses: docker/build-push-action@v6
                with:
                  push: false
          default:
            runs-on: ubuntu-latest
            steps:
              - uses: docker/build-push-action@v6
    """
    [workflow] = workflows_of(tmp_path, {".github/workflows/image.yml": text})
    assert {key: job.deploys() for key, job in workflow.jobs.items()} == {
        "pushes": "`docker/build-push-action@v6` with `push: true`", "expression": None, "builds": None,
        "default": None}


# (command, what `Job.tests()` says); None: not a test command.
TEST_COMMANDS = [
    ("pytest -q", "`pytest`"), ("py.test", "`py.test`"), ("tox -e py312", "`tox`"), ("nox -s tests", "`nox`"),
    (".venv/bin/pytest", "`pytest`"),
    ("./scripts/test.sh", "`./scripts/test.sh`"), ("scripts/run-tests", "`scripts/run-tests`"),
    ("./scripts/build.sh", None), ("test.sh", None),
    ("bash scripts/tests_unit.sh", "`bash scripts/tests_unit.sh`"), ("sh run_test.sh", "`sh run_test.sh`"),
    ("bash deploy.sh", None), ("bash", None),  # a shell reading its script from stdin (`run: curl ... | bash`)
    ("python -m pytest tests", "`python -m pytest`"), ("python3 -m unittest discover", "`python -m unittest`"),
    ("python -m tox", "`python -m tox`"), ("python -m nox", "`python -m nox`"), ("python -m build", None),
    ("make test", "`make test`"), ("make -j2 unit-tests", "`make unit-tests`"), ("just ci", "`just ci`"),
    ("task check", "`task check`"), ("npm run test:unit", "`npm test:unit`"), ("yarn coverage", "`yarn coverage`"),
    ("pnpm tests", "`pnpm tests`"), ("inv unit", "`inv unit`"), ("invoke cov", "`invoke cov`"),
    ("hatch run test", "`hatch run test`"), ("pdm run tests", "`pdm run tests`"), ("make build", None), ("make", None),
    ("npm run lint", None),
    ("python manage.py test", "`manage.py test`"), ("python3 app/manage.py test api", "`manage.py test`"),
    ("python manage.py check", None), ("python manage.py", None),
    ("docker compose run api pytest", "`pytest`"), ("docker-compose run --rm api pytest", "`pytest`"),
    ("coverage run pytest", "`pytest`"), ("echo pytest", None),
    ("poetry run pytest", "`pytest`"),  # the runner prefix is unwrapped: the command is pytest
    ("poetry run -- ./scripts/test.sh", "`./scripts/test.sh`"), ("uv run python -m pytest", "`python -m pytest`"),
    ("rye run test", "`rye run test`"), ("pipenv run tests", "`pipenv run tests`"), ("poetry run black .", None),
]


def test_what_each_command_tests(tmp_path: Path) -> None:
    commands = [command for command, _ in TEST_COMMANDS]
    [workflow] = workflows_of(tmp_path, {".github/workflows/ci.yml": one_job_per_command(commands)})
    found = {command: workflow.jobs[f"j{n}"].tests() for n, command in enumerate(commands)}
    assert found == dict(TEST_COMMANDS)


def test_a_reusable_workflow_named_for_tests_is_a_test_job(tmp_path: Path) -> None:
    text = """
        on: [push]
        jobs:
          remote:
            uses: acme/ci/.github/workflows/run-tests.yml@main
          build:
            uses: acme/ci/.github/workflows/build.yml@main
          local:
            uses: ./.github/workflows/quality.yml
          local-build:
            uses: ./.github/workflows/release.yml
    """
    called = """
        on: workflow_call
        jobs:
          run:
            runs-on: ubuntu-latest
            steps:
              - run: python -m pytest
    """
    release = """
        on: workflow_call
        jobs:
          run:
            runs-on: ubuntu-latest
            steps:
              - run: twine upload dist/*
    """
    workflows = workflows_of(tmp_path, {".github/workflows/ci.yml": text, ".github/workflows/quality.yml": called,
                                        ".github/workflows/release.yml": release})
    ci = next(w for w in workflows if w.path.endswith("ci.yml"))
    assert ci.jobs["remote"].tests() == "the reusable workflow `acme/ci/.github/workflows/run-tests.yml@main`"
    assert ci.jobs["build"].tests() is None and ci.jobs["local"].tests() is None
    assert ci.test_jobs(workflows) == {
        "remote": "the reusable workflow `acme/ci/.github/workflows/run-tests.yml@main`",
        "local": "the reusable workflow `./.github/workflows/quality.yml`"}
    assert ci.test_jobs() == {"remote": "the reusable workflow `acme/ci/.github/workflows/run-tests.yml@main`"}


def test_a_job_named_for_tests(tmp_path: Path) -> None:
    text = """
        on: [push]
        jobs:
          unit-tests:
            runs-on: ubuntu-latest
            steps:
              - run: ./ci.sh
          lint:
            name: Run tests
            runs-on: ubuntu-latest
            steps:
              - run: ./ci.sh
          steps-say-so:
            runs-on: ubuntu-latest
            steps:
              - name: Unit test suite
                run: ./ci.sh
          build:
            runs-on: ubuntu-latest
            steps:
              - name: Build
                run: ./ci.sh
          testing-ships:
            runs-on: ubuntu-latest
            steps:
              - name: Test and deploy
                run: flyctl deploy
          no-steps-test:
            runs-on: ubuntu-latest
          contest:
            runs-on: ubuntu-latest
            steps:
              - run: ./ci.sh
    """
    [workflow] = workflows_of(tmp_path, {".github/workflows/ci.yml": text})
    assert {key: job.is_test_job() for key, job in workflow.jobs.items()} == {
        "unit-tests": "its name", "lint": "its name", "steps-say-so": "its name", "build": None,
        "testing-ships": None, "no-steps-test": None, "contest": None}
    assert workflow.jobs["lint"].name == "Run tests" and workflow.jobs["build"].name == ""


def test_when_a_migration_is_a_deploy(tmp_path: Path) -> None:
    text = """
        on:
          push:
            branches: [main]
        jobs:
          migrate:
            runs-on: ubuntu-latest
            environment: production
            steps:
              - run: alembic upgrade head
          with-service:
            runs-on: ubuntu-latest
            services:
              postgres:
                image: postgres:16
            steps:
              - run: alembic upgrade head
          check-step:
            runs-on: ubuntu-latest
            steps:
              - name: Check migrations apply
                run: alembic upgrade head
          test-step:
            runs-on: ubuntu-latest
            steps:
              - name: Test alembic migration
                run: alembic upgrade head
          then-tests:
            runs-on: ubuntu-latest
            steps:
              - run: alembic upgrade head
              - run: pytest
          then-ships:
            runs-on: ubuntu-latest
            steps:
              - run: alembic upgrade head
              - run: flyctl deploy
          test-step-then-ships:
            runs-on: ubuntu-latest
            steps:
              - name: Test alembic migration
                run: alembic upgrade head
              - run: flyctl deploy
    """
    [workflow] = workflows_of(tmp_path, {".github/workflows/db.yml": text})
    assert {key: job.deploys() for key, job in workflow.jobs.items()} == {
        "migrate": "`alembic upgrade head`", "with-service": None, "check-step": None, "test-step": None,
        "then-tests": None, "then-ships": "`alembic upgrade head`",  # the first command that ships
        "test-step-then-ships": "`flyctl deploy`"}  # a migration step that checks is skipped, not the end
    assert {key: job.migrates() for key, job in workflow.jobs.items()} == {
        key: "`alembic upgrade head`" for key in workflow.jobs}


def test_pull_request_workflows_deploy_no_migration(tmp_path: Path) -> None:
    job = "jobs:\n  migrate:\n    runs-on: ubuntu-latest\n    steps:\n      - run: alembic upgrade head\n"
    workflows = workflows_of(tmp_path, {
        ".github/workflows/pr.yml": "on: [pull_request, merge_group]\n" + job,
        ".github/workflows/target.yml": "on: pull_request_target\n" + job,
        ".github/workflows/both.yml": "on: [pull_request, push]\n" + job,
    })
    by_name = {w.path.rsplit("/", 1)[-1]: w for w in workflows}
    assert by_name["pr.yml"].jobs["migrate"].pre_merge and by_name["pr.yml"].jobs["migrate"].deploys() is None
    assert by_name["target.yml"].jobs["migrate"].deploys() is None
    assert not by_name["both.yml"].jobs["migrate"].pre_merge
    assert by_name["both.yml"].jobs["migrate"].deploys() == "`alembic upgrade head`"


def test_cluster_commands_against_a_local_cluster_are_tests(tmp_path: Path) -> None:
    lines = ["on: [push]", "jobs:"]
    actions = ["helm/kind-action@v1", "medyagh/setup-minikube@latest", "AbsaOSS/k3d-action@v2", "nolar/setup-k3d-k3s@v1",
               "actions/checkout@v4"]
    commands = ["kubectl apply -f k8s/", "helm install api ./chart", "skaffold run"]
    for number, action in enumerate(actions):
        for command in commands:
            lines += [f"  j{number}-{command[:4]}:", "    runs-on: ubuntu-latest", "    steps:", f"      - uses: {action}",
                      f"      - run: {command}"]
    [workflow] = workflows_of(tmp_path, {".github/workflows/e2e.yml": "\n".join(lines) + "\n"})
    found = [job.deploys() for job in workflow.jobs.values()]
    assert found == [None] * 12 + ["`kubectl apply`", "`helm install`", "`skaffold run`"]


def test_environments_and_runners_that_say_production(tmp_path: Path) -> None:
    text = """
        on: [push]
        jobs:
          prod:
            runs-on: ubuntu-latest
            environment: production
            steps:
              - run: ./release.sh
          staging:
            runs-on: ubuntu-latest
            environment:
              name: staging
              url: https://staging.example
            steps:
              - run: ./release.sh
          preview:
            runs-on: ubuntu-latest
            environment: preview
            steps:
              - run: ./release.sh
          unnamed:
            runs-on: ubuntu-latest
            environment:
              url: https://x.example
            steps:
              - run: ./release.sh
          box:
            runs-on: [self-hosted, prod-box]
            steps:
              - run: ./release.sh
          box-group:
            runs-on:
              group: deployers
              labels: [self-hosted, live]
            steps:
              - run: ./release.sh
          hosted-prod-label:
            runs-on: [ubuntu-latest, prod]
            steps:
              - run: ./release.sh
          self-hosted-ci:
            runs-on: [self-hosted, ci]
            steps:
              - run: ./release.sh
    """
    [workflow] = workflows_of(tmp_path, {".github/workflows/release.yml": text})
    jobs = workflow.jobs
    assert {key: job.deploys() for key, job in jobs.items()} == {
        "prod": "its `environment: production`", "staging": "its `environment: staging`", "preview": None,
        "unnamed": None, "box": "its `prod-box` self-hosted runner", "box-group": "its `live` self-hosted runner",
        "hosted-prod-label": None, "self-hosted-ci": None}
    assert jobs["box-group"].runner_labels == ["self-hosted", "live"]
    assert jobs["prod"].runner_labels == ["ubuntu-latest"]
    assert jobs["staging"].environment == "staging" and jobs["unnamed"].environment is None


def test_upstream_and_deploy_jobs(tmp_path: Path) -> None:
    text = """
        on:
          push:
            branches: [main]
        jobs:
          image:
            runs-on: ubuntu-latest
            steps:
              - run: docker push registry.example/api:${{ github.sha }}
          base:
            needs: image
            runs-on: ubuntu-latest
            steps:
              - run: echo base
          test:
            needs: [base, missing]
            runs-on: ubuntu-latest
            steps:
              - run: pytest
          ship:
            needs: test
            runs-on: ubuntu-latest
            steps:
              - run: flyctl deploy
          docs:
            needs: [docs]
            runs-on: ubuntu-latest
            steps:
              - run: twine upload dist/*
    """
    [workflow] = workflows_of(tmp_path, {".github/workflows/ci.yml": text})
    jobs = workflow.jobs
    assert [job.key for job in workflow.upstream(jobs["ship"])] == ["test", "base", "image"]
    assert workflow.upstream(jobs["docs"]) == []  # a job that needs itself
    assert workflow.upstream(jobs["image"]) == []
    assert [(job.key, why) for job, why in workflow.deploy_jobs()] == [("ship", "`flyctl deploy`"),
                                                                        ("docs", "`twine upload`")]
    location = jobs["ship"].location
    assert (location.path, location.span.line, location.span.column, location.span.end_column) == (
        ".github/workflows/ci.yml", 19, 3, 7)


@pytest.mark.parametrize(("on", "push_branches", "triggers"), [
    ("on: push", True, ["push"]),
    ("on: [push, pull_request]", True, ["push", "pull_request"]),
    ("on:\n  push:\n    branches: [main]", True, ["push"]),
    ("on:\n  push:\n    branches-ignore: [wip]", True, ["push"]),
    ("on:\n  push:\n    tags: ['v*']", False, ["push"]),
    ("on:\n  push:\n    tags: ['v*']\n    branches: [main]", True, ["push"]),
    ("on:\n  push:\n    paths: ['src/**']", True, ["push"]),
    ("on:\n  push:\n  workflow_dispatch:", True, ["push", "workflow_dispatch"]),
    ("on: [pull_request]", False, ["pull_request"]),
    ("'on': release", False, ["release"]),
    ("name: no triggers", False, []),
])
def test_triggers_and_push_branches(tmp_path: Path, on: str, push_branches: bool, triggers: list[str]) -> None:
    text = on + "\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest\n"
    [workflow] = workflows_of(tmp_path, {".github/workflows/ci.yml": text})
    assert list(workflow.triggers) == triggers
    assert workflow.push_branches is push_branches


def test_steps_commands_and_their_lines(tmp_path: Path) -> None:
    text = """
        on: [push]
        jobs:
          build:
            runs-on: ubuntu-latest
            needs: lint
            steps:
              - uses: actions/checkout@v4
              - run: pip install -e .
              - run: |
                  alembic upgrade head
                  pytest -q
              - just a string
              - run: ""
          lint:
            runs-on: ubuntu-latest
            steps:
              - run: ruff check .
          not-a-job: [1, 2]
    """
    [workflow] = workflows_of(tmp_path, {".github/workflows/ci.yml": text})
    assert list(workflow.jobs) == ["build", "lint"]
    build = workflow.jobs["build"]
    assert build.needs == ("lint",)
    assert [step.uses for step in build.steps] == ["actions/checkout@v4", None, None, None]
    assert [(list(command.argv), command.line) for _, command in build.commands] == [
        (["pip", "install", "-e", "."], 8), (["alembic", "upgrade", "head"], 10), (["pytest", "-q"], 11)]
    assert workflow.jobs_key is not None and workflow.jobs_key.span.line == 2
