"""What a workflow step's command line or action does: run the tests, or ship something (a deploy, a cluster
change, a migration). The words are knowledge (knowledge/workflows.toml); project/workflows.py asks per job."""
from __future__ import annotations


from prodcheck.extract.servers import is_migration
from prodcheck.knowledge import load
from prodcheck.parsing.shell import SimpleCommand
from prodcheck.parsing.yaml import YNode
from prodcheck.model.record import record
from prodcheck.lazy_pattern import lazy

_KNOWN = load("workflows")
_TEST_PROGRAMS = frozenset(_KNOWN["tests"]["programs"])
_TEST_TASK_RUNNERS = frozenset(_KNOWN["tests"]["task_runners"])
_TEST_TASKS = lazy(r"^(?:test|tests|unittest|unit|check|ci|coverage|cov)(?:[-_:].*)?$")
_TEST_SCRIPT = lazy(r"^(?:run[-_])?tests?(?:[-_](?:start|all|unit|ci))?(?:\.sh)?$")
_DEPLOY_ACTIONS = tuple(_KNOWN["actions"]["deploy"])
# (programs, first subcommands, "cluster" | "deploy") of the command lines that ship something.
_DEPLOY_COMMANDS = tuple((frozenset(entry["programs"]), frozenset(entry["subcommands"]), entry["kind"])
                         for entry in _KNOWN["deploy_commands"])
# program -> the options that make its deploy command a rehearsal (`helm install --dry-run`): it ships nothing.
_REHEARSALS: dict[str, frozenset[str]] = {}
for _entry in _KNOWN["deploy_commands"]:
    for _program in _entry["programs"]:
        _REHEARSALS[_program] = _REHEARSALS.get(_program, frozenset()) | frozenset(_entry.get("rehearsal", ()))
# program -> its global options that take the next word as their value.
_OPTION_VALUES = {program: frozenset(options) for program, options in _KNOWN["option_values"].items()}


@record
class WorkflowStep:
    node: YNode
    uses: str | None
    uses_node: YNode | None
    run: str | None
    run_node: YNode | None
    commands: tuple[SimpleCommand, ...] = ()


def testing_command(command: SimpleCommand) -> str | None:
    words = [a.rsplit("/", 1)[-1] for a in command.argv]
    if not words:
        return None
    if words[0] in _TEST_PROGRAMS:
        return f"`{words[0]}`"
    if "/" in command.argv[0] and _TEST_SCRIPT.match(words[0]):
        return f"`{command.argv[0]}`"
    if words[0] in {"sh", "bash"} and len(words) > 1 and _TEST_SCRIPT.match(words[1]):
        return f"`{' '.join(command.argv[:2])}`"
    for index, word in enumerate(words[:-1]):
        if word == "-m" and words[index + 1] in {"pytest", "unittest", "tox", "nox"}:
            return f"`python -m {words[index + 1]}`"
    if words[0] in _TEST_TASK_RUNNERS:
        rest = [w for w in words[1:] if not w.startswith("-") and w != "run"]
        if rest and _TEST_TASKS.match(rest[0]):
            return f"`{words[0]} {rest[0]}`"
    if words[0].startswith("python") and len(words) > 2 and words[1].endswith("manage.py") and words[2] == "test":
        return "`manage.py test`"
    if "pytest" in words[1:] and words[0] in {"docker", "docker-compose", "coverage"}:
        return "`pytest`"
    return None


def rehearsal(command: SimpleCommand) -> str | None:
    """The option (`--dry-run`, `--dry-run=server`) that makes a deploy command only render, validate or print
    what it would change, or None; `--dry-run=none` is the real run."""
    program = command.program.rsplit("/", 1)[-1]
    flags = _REHEARSALS.get(program)
    if not flags:
        return None
    for word in command.argv[1:]:
        option, _eq, value = word.partition("=")
        if option in flags and value.lower() not in {"none", "false"}:
            return word
    return None


def deploy_command(command: SimpleCommand, self_hosted: bool = False) -> tuple[str | None, str]:
    """("migrate" | "cluster" | "deploy", phrase) when a command ships something, else (None, "")."""
    argv = command.argv
    words = [a.rsplit("/", 1)[-1] for a in argv]
    if not words or rehearsal(command) is not None:
        return None, ""
    program = words[0]
    takes_value = _OPTION_VALUES.get(program, frozenset())
    rest = [w for i, w in enumerate(words[1:], 1)
            if not w.startswith("-") and words[i - 1] not in takes_value]
    sub = rest[0] if rest else ""

    def phrase(count: int) -> str:
        return f"`{' '.join([program, *rest[:count - 1]])}`"

    if is_migration(command):
        return "migrate", f"`{' '.join(argv[:3])}`"
    for programs, subcommands, kind in _DEPLOY_COMMANDS:
        if program in programs and sub in subcommands:
            return kind, phrase(2)
    if program in {"docker", "podman"}:
        if sub == "push" or (sub in {"buildx", "build"} and "--push" in words):
            return "deploy", f"`{program} {'push' if sub == 'push' else sub + ' --push'}`"
        if sub == "stack" and "deploy" in rest:
            return "deploy", "`docker stack deploy`"
        if self_hosted and sub == "compose" and "up" in rest:
            return "deploy", "`docker compose up` on a self-hosted runner"
    if program == "docker-compose" and self_hosted and sub == "up":
        return "deploy", "`docker-compose up` on a self-hosted runner"
    if program == "heroku" and sub.startswith("container:release"):
        return "deploy", phrase(2)
    if program == "git" and sub == "push" and len(rest) > 1 and ("heroku" in rest[1] or "dokku" in rest[1]):
        return "deploy", "`git push` to a PaaS remote"
    if program == "gcloud" and "deploy" in rest[:4]:
        return "deploy", f"`gcloud {' '.join(rest[:rest.index('deploy') + 1])}`"
    if program == "aws" and len(rest) > 1 and (rest[1] in {"update-service", "create-deployment"} or rest[0] == "deploy"):
        return "deploy", f"`aws {' '.join(rest[:2])}`"
    if program == "az" and ("deploy" in rest[:4] or (len(rest) > 2 and rest[0] in {"webapp", "containerapp"}
                                                     and rest[1] in {"update", "up", "create"})):
        return "deploy", f"`az {' '.join(rest[:3])}`"
    return None, ""


def deploy_action(step: WorkflowStep) -> str | None:
    uses = (step.uses or "").lower()
    name = uses.split("@", 1)[0]
    if "pages" in name:
        return None  # documentation sites
    if name.startswith("docker/build-push-action"):
        push = step.node.path("with", "push")
        if push is not None and (push.as_bool() is True or "${{" in (push.as_str() or "")):
            return f"`{step.uses}` with `push: true`" if push.as_bool() else None
        return None
    if any(marker in name for marker in _DEPLOY_ACTIONS):
        return f"`{step.uses}`"
    return None
