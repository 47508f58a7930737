"""Package installs in Dockerfile `RUN` instructions, shared by PC702 (cache) and PC703 (layer order)."""
from __future__ import annotations

from functools import lru_cache

from prodcheck.knowledge.packaging import install_verbs, managers, offline_pip
from prodcheck.parsing.dockerfile import DockerfileView, Instruction, Stage, command_of
from prodcheck.parsing.shell import SimpleCommand, split_script
from prodcheck.model.record import record
from prodcheck.lazy_pattern import lazy

_PIP = lazy(r"^pip(?:\d+(?:\.\d+)?)?$")
_PYTHON = lazy(r"^python(?:\d+(?:\.\d+)?)?$")


# `COPY --from=builder /app/.venv .venv`: an environment installed in another stage, whose packages an install
# later in the same stage finds already there (it adds only the project, or nothing).
_PREBUILT_ENV = lazy(r"(?:^|\s|/)(?:\.?venv|site-packages|\.local)(?:/|\s|$)")


def copies_prebuilt_env(instruction: Instruction) -> bool:
    """`COPY --from=<stage> .../.venv ...`: the stage receives an environment built elsewhere."""
    return instruction.keyword == "COPY" and any(f.startswith("--from=") for f in instruction.flags) \
        and bool(_PREBUILT_ENV.search(instruction.value))


_PROJECT_SYNCS = frozenset({"uv sync", "poetry install", "poetry sync", "pdm install", "pdm sync", "pipenv install",
                            "pipenv sync"})
_TARGET_OPTIONS = frozenset({"--python", "-p", "--prefix", "--target", "-t"})


def into_copied_env(install: Install, destinations: list[str]) -> bool:
    """The install writes into an environment copied in from another stage (`destinations`, as the COPYs
    wrote them): a project sync (`uv sync`) with no other interpreter named, an explicit `--python` /
    `--prefix` / `--target` under one of them, or a `pip` run from one of them (`/opt/venv/bin/pip`)."""
    roots = [d.rstrip("/").removeprefix("./") for d in destinations if d.strip("/.")]
    args = list(install.args)
    targets = [args[i + 1] for i, a in enumerate(args[:-1]) if a in _TARGET_OPTIONS]
    targets += [a.split("=", 1)[1] for a in args if a.split("=", 1)[0] in _TARGET_OPTIONS and "=" in a]

    def under(path: str) -> bool:
        path = path.strip("'\"").removeprefix("./")
        return any(path == root or path.startswith(f"{root}/") or path.endswith(f"/{root}")
                   or f"/{root}/" in path for root in roots)

    if targets:
        return all(under(t) for t in targets)
    if install.text in _PROJECT_SYNCS:
        return True
    return under(install.command.argv[0]) if install.command.argv else False


@record
class Install:
    instruction: Instruction
    command: SimpleCommand
    tool: str  # "pip" | "uv" | "poetry" | "pipenv" | "pdm" | "npm" | "yarn" | "pnpm"
    args: tuple[str, ...]  # argv after the install subcommand
    text: str  # how it reads: "pip install", "python -m pip install", "uv sync"

    @property
    def dependencies(self) -> bool:
        """Installs third-party dependencies (not just the project itself with `--no-deps`)."""
        args = set(self.args)
        if self.tool in {"pip", "uv"} and "--no-deps" in args:
            return False
        if self.tool == "poetry" and any(a.startswith("--only-root") or a == "--only=root" for a in args):
            return False
        return not (self.tool == "pip" and self.args and all(a in {"--upgrade", "-U", "pip", "setuptools", "wheel"}
                                                             for a in self.args))

    @property
    def offline(self) -> bool:
        """A pip install that downloads and builds nothing: `--no-index`, or only wheel files already on disk
        (`pip install /wheels/*.whl`), with no requirements file or source tree to read."""
        if self.tool != "pip":
            return False
        known = offline_pip()
        if any(a.split("=", 1)[0] in known.flags for a in self.args):
            return True
        packages = [a for i, a in enumerate(self.args)
                    if not a.startswith("-") and not (i and self.args[i - 1] in known.value_options)]
        if any(a.split("=", 1)[0] in known.source_options or (a.startswith(("-r", "-e")) and not a.startswith("--"))
               for a in self.args):
            return False  # `-r requirements.txt`, `-e .`: what they name may come from an index
        return bool(packages) and all("://" not in p and p.strip("'\"").endswith(known.archives) for p in packages)

    @property
    def manifest(self) -> bool:
        """Reads the project's dependency files (`-r requirements.txt`, `.`, a lock file), rather than
        installing named tools (`pip install poetry`)."""
        if self.tool not in {"pip", "uv"} or self.text.startswith("uv sync"):
            return not (self.tool == "pipenv" and any(not a.startswith("-") for a in self.args))
        for arg in self.args:
            if arg in {"-r", "--requirement", ".", "-e", "--editable"} or arg.startswith(("-r", "--requirement=")):
                return True
            if arg.startswith((".", "/", "~")) or arg.endswith((".whl", ".tar.gz", ".txt", ".zip")):
                return True
        return False


def run_commands(instruction: Instruction) -> list[SimpleCommand]:
    if instruction.keyword != "RUN":
        return []
    if instruction.heredoc:
        return split_script(instruction.heredoc, instruction.line + 1)
    return command_of(instruction)


@lru_cache(maxsize=4096)  # asked of every RUN command's program; bounded: a repository can name any number
def _installer_program(program: str) -> bool:
    """One of `install_of`'s installers is this program (pip, python, uv, a Python or Node package manager)."""
    known = managers()
    return bool(_PYTHON.match(program) or _PIP.match(program) or program == "uv" or program in known.python
                or program in known.node)


def install_of(instruction: Instruction, command: SimpleCommand) -> Install | None:
    argv = command.argv
    if not argv:
        return None
    if not _installer_program(argv[0].rsplit("/", 1)[-1]):
        return None  # no installer's program (most commands): its other words are not read
    known = managers()
    words = [a.rsplit("/", 1)[-1] for a in argv]
    verbs = install_verbs()
    if (_PYTHON.match(words[0]) and len(words) > 3 and words[1] == "-m" and _PIP.match(words[2])
            and words[3] in verbs["pip"]):
        return Install(instruction, command, "pip", tuple(argv[4:]), f"{words[0]} -m pip {words[3]}")
    if _PIP.match(words[0]) and len(words) > 1 and words[1] in verbs["pip"]:
        return Install(instruction, command, "pip", tuple(argv[2:]), f"{words[0]} {words[1]}")
    if words[0] == "uv":
        if len(words) > 2 and words[1] == "pip" and words[2] in verbs["uv pip"]:
            return Install(instruction, command, "uv", tuple(argv[3:]), f"uv pip {words[2]}")
        if len(words) > 1 and words[1] in verbs["uv"]:
            return Install(instruction, command, "uv", tuple(argv[2:]), f"uv {words[1]}")
    if words[0] in known.python and len(words) > 1 and words[1] in verbs[words[0]]:
        return Install(instruction, command, words[0], tuple(argv[2:]), f"{words[0]} {words[1]}")
    if words[0] in known.node and ((len(words) == 1 and words[0] == "yarn")
                                   or (len(words) > 1 and words[1] in verbs[words[0]])):
        rest = [a for i, a in enumerate(argv[2:]) if not (i and argv[2:][i - 1] in known.node_value_options)]
        if any(not a.startswith("-") for a in rest) or any(a in known.node_global_flags for a in rest):
            return None  # `npm install left-pad`, `npm install -g corepack@latest`: named packages, not the manifest
        return Install(instruction, command, words[0], tuple(argv[2:]), " ".join(words[:2]))
    return None


def installs(stage: Stage) -> list[Install]:
    found = []
    for instruction in stage.instructions:
        for command in run_commands(instruction):
            install = install_of(instruction, command)
            if install is not None:
                found.append(install)
    return found


def shipped_stages(view: DockerfileView, targets: set[str | None]) -> set[int]:
    """Indexes of the stages whose filesystem ends up in an image that runs: the build targets (the last
    stage when none is named), the stages they are built `FROM`, and stages copied into them wholesale."""
    shipped: set[int] = set()
    pending = [stage for target in targets if (stage := view.stage(target)) is not None]
    while pending:
        stage = pending.pop()
        for member in view.lineage(stage):
            if member.index in shipped:
                continue
            shipped.add(member.index)
            for instruction in member.instructions:
                source = _wholesale_copy_source(view, instruction)
                if source is not None and source.index not in shipped:
                    pending.append(source)
    return shipped


def _wholesale_copy_source(view: DockerfileView, instruction: Instruction) -> Stage | None:
    if instruction.keyword != "COPY":
        return None
    origin = next((f.split("=", 1)[1] for f in instruction.flags if f.startswith("--from=")), None)
    if origin is None:
        return None
    paths = instruction.value.split()
    if len(paths) < 2 or not any(p.rstrip("/") in {"", "/root", "/root/.cache", "~", "/home"} or p == "/"
                                 for p in paths[:-1]):
        return None
    for stage in view.stages:
        if (stage.name and stage.name.lower() == origin.lower()) or str(stage.index) == origin:
            return stage
    return None
