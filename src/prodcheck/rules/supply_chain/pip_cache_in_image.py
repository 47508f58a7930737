"""PC702 pip-cache-in-image. Docs and tests: rules/PC702-pip-cache-in-image.md"""
from __future__ import annotations

import re
from collections.abc import Iterator

from prodcheck.lazy_pattern import lazy
from prodcheck.knowledge import load
from prodcheck.knowledge.packaging import cache_switches
from prodcheck.model.files import Context
from prodcheck.model.finding import Edit, Fix, Severity, Span
from prodcheck.parsing.dockerfile import DockerfileView, Instruction, Stage, parse_assignments
from prodcheck.project import Project
from prodcheck.rules.base import Draft, FixAvailability, Rule, RuleMeta
from prodcheck.rules.helpers import find_token
from prodcheck.rules.supply_chain.installs import Install, copies_prebuilt_env, install_of, into_copied_env, run_commands, \
    shipped_stages

_DEV_STAGE = lazy(r"(?:^|[-_.])(?:" + "|".join(map(re.escape, load("contexts")["path_words"]["dev_stage_words"]))
                        + r")(?:$|[-_.])", re.I)
_CLEANUP = lazy(r"(?:rm\s+-[a-zA-Z]*r[a-zA-Z]*f?\s+[^;&|]*(?:\.cache|/pip|/uv)|pip[\d.]*\s+cache\s+purge|"
                      r"uv\s+cache\s+(?:clean|prune))")


def _disabled_by_env(view: DockerfileView, stage: Stage, before: Instruction, variable: str) -> bool:
    """An `ENV`/`ARG` that turns the cache off, in the stage (or its bases) before this instruction."""
    for member in reversed(view.lineage(stage)):
        for instruction in member.instructions:
            if member is stage and instruction.line >= before.line:
                break
            if instruction.keyword in {"ENV", "ARG"}:
                for key, value in parse_assignments(instruction.value):
                    if key == variable and value.strip().strip("'\""):
                        return True
    return False


class PipCacheInImage(Rule):
    meta = RuleMeta(
        code="PC702", name="pip-cache-in-image",
        summary="`pip install` without `--no-cache-dir` or a cache mount in an image that ships",
        severity=Severity.WARNING, kinds=("dockerfile",), fix=FixAvailability.SOMETIMES, dev="skip",
    )

    def check(self, project: Project) -> Iterator[Draft]:
        for source, view in project.dockerfiles:
            targets: set[str | None] = {p.target for p in project.processes_of_dockerfile(source.path)
                                        if p.target and p.context == Context.PROD}
            last = view.stages[-1] if view.stages else None
            if not (targets and last is not None and last.name and _DEV_STAGE.search(last.name)):
                targets.add(None)  # the default build, unless it is a dev stage and prod builds a named target
            shipped = shipped_stages(view, targets)
            for stage in view.stages:
                if stage.index not in shipped:
                    continue  # a builder stage: its cache is thrown away with it
                # environments copied in from another stage, here or in the stages this one is built FROM:
                # installs into them find the packages there and add little
                copied = [i.value.split()[-1] for member in view.lineage(stage) if member is not stage
                          for i in member.instructions if copies_prebuilt_env(i) and i.value.split()]
                for instruction in stage.instructions:
                    if copies_prebuilt_env(instruction):
                        copied.append(instruction.value.split()[-1] if instruction.value.split() else "")
                    if instruction.keyword != "RUN" or any(f.startswith("--mount=") and "type=cache" in f
                                                           for f in instruction.flags):
                        continue
                    whole = instruction.value + "\n" + instruction.heredoc
                    cleaned = bool(_CLEANUP.search(whole))
                    for command in run_commands(instruction):
                        install = install_of(instruction, command)
                        if install is None or install.tool not in cache_switches() or cleaned:
                            continue
                        if not install.dependencies:
                            continue  # `pip install --upgrade pip setuptools wheel`: a few MB of its own wheels
                        if install.offline:
                            continue  # `pip install /wheels/*.whl`, `--no-index`: nothing downloaded or built to cache
                        if copied and into_copied_env(install, copied):
                            continue  # the packages are there already: the project at most is added
                        if self._cache_off(install, view, stage, whole):
                            continue
                        yield self._finding(source.path, source.lines, install)
                        break  # one finding per RUN

    @staticmethod
    def _cache_off(install: Install, view: DockerfileView, stage: Stage, whole: str) -> bool:
        variable, flags = cache_switches()[install.tool]
        if any(a.split("=", 1)[0] in flags for a in install.args):
            return True
        if any(key == variable and value for key, value in install.command.env):
            return True
        if re.search(rf"\bexport\s+{variable}=\S", whole):
            return True
        return _disabled_by_env(view, stage, install.instruction, variable)

    def _finding(self, path: str, lines: list[str], install: Install) -> Draft:
        token = install.text.split(" ", 1)[0] if install.tool == "pip" and "-m" not in install.text else install.text
        location = find_token(path, lines, install.command.line, install.text)
        if location.span.end_column - location.span.column != len(install.text):
            location = find_token(path, lines, install.command.line, token)
        if install.tool == "pip":
            flag = "--no-cache-dir"
            advice = "add `--no-cache-dir` (or `ENV PIP_NO_CACHE_DIR=1`), or use a BuildKit cache mount"
        else:
            flag = "--no-cache"
            advice = "add `--no-cache` (or `ENV UV_NO_CACHE=1`), or use a BuildKit cache mount"
        fix = None
        span = location.span
        if span.end_column - span.column == len(install.text):
            fix = Fix(f"add `{flag}`", (Edit(path, Span(span.line, span.end_column, span.line, span.end_column),
                                              f" {flag}"),))
        return self.draft(
            f"`{install.text}` keeps its download cache in the image layer (often tens to hundreds of MB "
            f"that nothing at run time reads): bigger images, slower pulls on every deploy and scale-up; {advice}",
            location, fix=fix,
        )
