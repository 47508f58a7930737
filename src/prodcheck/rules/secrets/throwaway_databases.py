"""Where a database URL's host is a throw-away or internal database (PC301): the datastore services of a Compose
file, by whether they publish a port outside the host, and the containers a CI job starts itself (`docker run
--name postgres`), with whether a job is a test job."""
from __future__ import annotations

from prodcheck.parsing.shell import split_script
from prodcheck.parsing.yaml import YNode
from prodcheck.project import Project
from prodcheck.project.memo import per_project
from prodcheck.rules.container.database_port_published import is_store_image, publishes_outside


@per_project
def datastores(project: Project) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Compose file -> the names of its datastore services that publish no port outside the host, and of those
    that publish a port on every interface: one pass over the services, for the three scans that ask."""
    internal: dict[str, set[str]] = {}
    published: dict[str, set[str]] = {}
    for service in project.compose_services:
        if is_store_image(service.image):
            found = published if publishes_outside(service) else internal
            found.setdefault(service.file.path, set()).add(service.name.lower())
    return internal, published


def internal_datastores(project: Project) -> dict[str, set[str]]:
    """Compose file -> the names of its datastore services that publish no port outside the host."""
    return datastores(project)[0]


def published_datastores(project: Project) -> dict[str, set[str]]:
    """Compose file -> the names of its datastore services that publish a port on every interface."""
    return datastores(project)[1]


def containers_started(job: YNode) -> set[str]:
    """The names a job's own `run:` steps give the containers they start on the runner (`docker run
    --name postgres --network test-net ...`, also `--network-alias` / `--hostname`: the names other
    containers of that network reach it by, https://docs.docker.com/reference/cli/docker/container/run/),
    lower-cased: a throw-away database like a `services:` container."""
    names: set[str] = set()
    steps = job.get("steps")
    for step in steps.list() if steps is not None and steps.is_seq else []:
        run = step.get("run") if step.is_map else None
        text = run.as_str() if run is not None and run.is_scalar else None
        for command in split_script(text or ""):
            words = list(command.argv)
            if command.program != "docker" or (words[1:2] != ["run"] and words[1:3] != ["container", "run"]):
                continue
            for index, word in enumerate(words):
                option, _eq, value = word.partition("=")
                if option in _CONTAINER_NAMES:
                    value = value or (words[index + 1] if index + 1 < len(words) else "")
                    if value and "$" not in value:
                        names.add(value.lower())
    return names


_CONTAINER_NAMES = frozenset({"--name", "--network-alias", "--net-alias", "--hostname", "-h"})


def is_test_job(name: str, job: YNode) -> bool:
    text = " ".join(n.text or "" for n in job.walk() if n.is_scalar)
    return "test" in name.lower() or "pytest" in text
