"""PC703 copy-before-install. Docs and tests: rules/PC703-copy-before-install.md"""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.model.finding import Location, Severity, Span
from prodcheck.parsing.dockerfile import Instruction
from prodcheck.project import Project
from prodcheck.knowledge.packaging import manifests
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.rules.supply_chain.installs import Install, copies_prebuilt_env, install_of, run_commands

_WHOLE_CONTEXT = frozenset({".", "./", "*", "./*"})


def _copies_whole_context(instruction: Instruction) -> bool:
    if instruction.keyword not in {"COPY", "ADD"} or any(f.startswith("--from=") for f in instruction.flags):
        return False
    value = instruction.value.strip()
    if value.startswith("["):
        import json

        try:
            parts = [str(p) for p in json.loads(value)]
        except (ValueError, TypeError, RecursionError):  # not JSON, not a list, or nested 100,000 deep
            return False
    else:
        parts = value.split()
    return len(parts) >= 2 and any(p in _WHOLE_CONTEXT for p in parts[:-1])




def install_has_cache_mount(install: Install) -> bool:
    """`RUN --mount=type=cache,...`: the package cache survives between builds."""
    return any(flag.startswith("--mount=") and "type=cache" in flag for flag in install.instruction.flags)


class CopyBeforeInstall(Rule):
    meta = RuleMeta(
        code="PC703", name="copy-before-install",
        summary="`COPY . .` before the dependency install: every code change reinstalls every package",
        severity=Severity.WARNING, kinds=("dockerfile",),
    )

    def check(self, project: Project) -> Iterator[Draft]:
        for source, view in project.dockerfiles:
            for stage in view.stages:
                installed_before = prebuilt = False
                copy: Instruction | None = None
                for instruction in stage.instructions:
                    if copies_prebuilt_env(instruction):
                        prebuilt = True  # an environment built in a cached builder stage
                        continue
                    if copy is None and _copies_whole_context(instruction):
                        if installed_before:
                            break  # dependencies already sit in an earlier layer
                        copy = instruction
                        continue
                    install = self._dependency_install(instruction)
                    if install is None:
                        continue
                    if copy is None:
                        installed_before = True
                        continue
                    if prebuilt:
                        break  # the packages come with the builder's environment; this only adds the project
                    yield self._finding(source.path, source.line(copy.line), copy, install)
                    break

    @staticmethod
    def _dependency_install(instruction: Instruction) -> Install | None:
        for command in run_commands(instruction):
            install = install_of(instruction, command)
            if install is not None and install.dependencies and install.manifest:
                return install
        return None

    def _finding(self, path: str, line_text: str, copy: Instruction, install: Install) -> Draft:
        stripped = len(line_text) - len(line_text.lstrip())
        location = Location(path, Span(copy.line, stripped + 1, copy.line, len(line_text.rstrip()) + 1))
        what = f"{copy.keyword} {copy.value}".strip()
        files = manifests().get(install.tool, "the dependency manifests")
        if install_has_cache_mount(install):
            return self.draft(
                f"`{what}` comes before `{install.text}` (line {install.command.line}): any source change re-runs "
                "the install; its BuildKit cache mount spares the downloads, but every build still resolves and "
                f"installs all packages; copy {files} first, install, then copy the code",
                location, severity=Severity.INFO,
                related=(Location(path, Span(install.command.line)).labelled("dependency install"),),
            )
        return self.draft(
            f"`{what}` comes before `{install.text}` (line {install.command.line}): any source change invalidates "
            "the dependency layer, so every build downloads and installs all packages again; copy "
            f"{files} first, install, then copy the code",
            location, related=(Location(path, Span(install.command.line)).labelled("dependency install"),),
        )
