"""Dockerfiles through dockerfile-parse, with stages, heredocs and exec-form commands understood."""
from __future__ import annotations

import io
import json
import re
from dataclasses import field
from functools import lru_cache

from prodcheck.model.record import record, slotted
from prodcheck.parsing import ParseError
from prodcheck.limits import DOCKERFILE_MAX_STAGES, MAX_EXEC_FORM_DEPTH, too_large
from prodcheck.parsing.nesting import check_depth
from prodcheck.parsing.shell import SimpleCommand, split_argv, split_script
from prodcheck.parsing.shell_tokens import split_words
from prodcheck.lazy_pattern import lazy

_HEREDOC = lazy(r"<<-?\s*['\"]?([A-Za-z_][A-Za-z0-9_]*)['\"]?")
_FLAG = lazy(r"^--[a-z-]+(=\S*)?$")
_VARIABLE = lazy(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_INHERITED = frozenset({"CMD", "ENTRYPOINT", "USER", "HEALTHCHECK", "WORKDIR"})
_HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})  # the instructions a here-document feeds


@record  # a frozen dataclass to mypy, built ~4x faster (model/record.py): 35,000 on the infra corpus
class Instruction:
    keyword: str
    value: str
    line: int  # 1-based first line
    end_line: int
    stage: int
    flags: tuple[str, ...] = ()
    heredoc: str = ""

    @property
    def args(self) -> str:
        """The value without leading `--flag=x` options."""
        return self.value


@slotted
class Stage:
    index: int
    name: str | None
    base: str
    line: int
    base_stage: int | None = None
    instructions: list[Instruction] = field(default_factory=list)
    # keyword -> the stage's last instruction of it (`last`), made when first asked, once the stage is parsed
    _last: dict[str, Instruction] | None = field(default=None, repr=False, compare=False)

    def last(self, keyword: str) -> Instruction | None:
        """The stage's own last instruction of that keyword."""
        last = self._last
        if last is None:
            last = self._last = {instruction.keyword: instruction for instruction in self.instructions}
        return last.get(keyword)


@slotted
class DockerfileView:
    path: str
    lines: list[str]
    instructions: list[Instruction]
    stages: list[Stage]
    global_args: dict[str, str]
    # (stage index, keyword) -> `effective`: asked ~15 times per Dockerfile by the models and rules.
    _effective: dict[tuple[int, str], Instruction | None] = field(default_factory=dict, repr=False, compare=False)
    # stage index -> `env`: asked by the process model twice per image and by rules again
    _env: dict[int, dict[str, tuple[str, Instruction]]] = field(default_factory=dict, repr=False, compare=False)

    def stage(self, target: str | None = None) -> Stage | None:
        """The stage that runs: the named build target, else the last one."""
        if not self.stages:
            return None
        if target:
            for stage in self.stages:
                if stage.name and stage.name.lower() == target.lower():
                    return stage
        return self.stages[-1]

    def lineage(self, stage: Stage) -> list[Stage]:
        """The stage and the earlier stages it is built `FROM`, nearest first."""
        chain = [stage]
        seen = {stage.index}
        while chain[-1].base_stage is not None and chain[-1].base_stage not in seen:
            parent = self.stages[chain[-1].base_stage]
            seen.add(parent.index)
            chain.append(parent)
        return chain

    def effective(self, stage: Stage, keyword: str) -> Instruction | None:
        """The instruction in force at run time, inherited through `FROM <stage>` chains."""
        if not (0 <= stage.index < len(self.stages) and self.stages[stage.index] is stage):
            return self._find_effective(stage, keyword)  # a stage of another view
        key = (stage.index, keyword)
        if key not in self._effective:
            self._effective[key] = self._find_effective(stage, keyword)
        return self._effective[key]

    def _find_effective(self, stage: Stage, keyword: str) -> Instruction | None:
        for member in self.lineage(stage):
            found = member.last(keyword)
            if found is not None:
                return found
            if keyword not in _INHERITED:
                break
        return None

    def env(self, stage: Stage) -> dict[str, tuple[str, Instruction]]:
        """The ENV and ARG values in force in the stage, by name (the caller's own dict)."""
        if not (0 <= stage.index < len(self.stages) and self.stages[stage.index] is stage):
            return self._find_env(stage)  # a stage of another view
        found = self._env.get(stage.index)
        if found is None:
            found = self._env[stage.index] = self._find_env(stage)
        return dict(found)

    def _find_env(self, stage: Stage) -> dict[str, tuple[str, Instruction]]:
        values: dict[str, tuple[str, Instruction]] = {}
        for member in reversed(self.lineage(stage)):
            for instruction in member.instructions:
                if instruction.keyword in {"ENV", "ARG"}:
                    for key, value in parse_assignments(instruction.value):
                        if instruction.keyword == "ARG" and key in values:
                            continue
                        values[key] = (value, instruction)
        return values

    def base_image(self, stage: Stage) -> str:
        root = self.lineage(stage)[-1]
        return substitute(root.base, self.global_args)


def parse_assignments(value: str) -> list[tuple[str, str]]:
    """`ENV A=1 B="two words"`, legacy `ENV A 1`, `ARG NAME[=default]`."""
    return list(_assignments(value))


@lru_cache(maxsize=4096)
def _assignments(value: str) -> tuple[tuple[str, str], ...]:
    # Split once per run: every model and rule that asks for a stage's environment re-reads its ENVs.
    return tuple(_parse_assignments(value))


def _parse_assignments(value: str) -> list[tuple[str, str]]:
    try:
        tokens = split_words(value)
    except ValueError:
        tokens = value.split()
    if not tokens:
        return []
    if "=" not in tokens[0]:
        if len(tokens) == 1:
            return [(tokens[0], "")]
        return [(tokens[0], " ".join(tokens[1:]))]
    pairs = []
    for token in tokens:
        key, _, val = token.partition("=")
        pairs.append((key, val))
    return pairs


def substitute(text: str, variables: dict[str, str]) -> str:
    if "$" not in text:
        return text  # no reference to replace (every one starts with `$`)

    def replace(match: re.Match[str]) -> str:
        value = variables.get(match.group(1) or match.group(3))
        return value if value else (match.group(2) or match.group(0))

    return _VARIABLE.sub(replace, text)


def exec_form(value: str) -> list[str] | None:
    """The argv of an exec-form value (`["uvicorn", "app:app"]`), or None for a shell form (the caller's own list)."""
    if not value.lstrip().startswith("["):
        return None
    argv = _exec_form(value)
    return list(argv) if argv is not None else None


@lru_cache(maxsize=8192)
def _exec_form(value: str) -> tuple[str, ...] | None:
    # Read once per run: the process model and several rules ask for the same CMD and ENTRYPOINT values.
    text = value.strip()
    try:
        check_depth(text, limit=MAX_EXEC_FORM_DEPTH, what="exec form")
        parsed = json.loads(text)
    except (ValueError, RecursionError, ParseError):
        return None  # not an exec form (a 100,000-deep one is read as a shell form)
    if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
        return tuple(parsed)
    return None


def copy_words(value: str) -> list[str]:
    """The words of a COPY / ADD (its sources, then its destination), exec form or shell form, split
    within the shell budget (`split_words`); unbalanced quotes fall back to whitespace."""
    return list(_copy_words(value))  # the caller's own list


@lru_cache(maxsize=8192)
def _copy_words(value: str) -> tuple[str, ...]:
    # Split once per run: the process model and several rules read the same COPY instructions.
    form = exec_form(value)
    if form is not None:
        return tuple(form)
    try:
        return tuple(split_words(value.strip()))
    except ValueError:
        return tuple(value.split())


def command_of(instruction: Instruction) -> list[SimpleCommand]:
    """CMD / ENTRYPOINT / RUN / HEALTHCHECK CMD value as simple commands."""
    # Split once per run: the process model and several rules ask for the same instructions.
    return list(_command_of(instruction.keyword, instruction.value, instruction.line, instruction.heredoc))


@lru_cache(maxsize=8192)
def _command_of(keyword: str, value: str, line: int, heredoc: str) -> tuple[SimpleCommand, ...]:
    if keyword == "HEALTHCHECK":
        match = re.search(r"(?:^|\s)CMD\s+(.*)$", value, re.S)
        if not match:
            return ()
        value = match.group(1)
    argv = exec_form(value)
    if argv is not None:
        return tuple(split_argv(argv, line))
    return tuple(split_script(value + ("\n" + heredoc if heredoc else ""), line))


_EXEC_FORM_KEYWORDS = frozenset({"CMD", "ENTRYPOINT", "RUN", "HEALTHCHECK", "SHELL", "COPY", "ADD", "VOLUME"})
MAX_JOIN_WORK = 200_000_000  # characters copied while continuation lines are joined
_ESCAPE_DIRECTIVE = lazy(r"^\s*#\s*escape\s*=\s*`", re.I | re.M)


def _check_continuations(lines: list[str], text: str) -> None:
    """dockerfile-parse joins continuation lines by repeated concatenation, quadratic in the lines
    of one instruction: a RUN continued over 850,000 lines took minutes. Such a file is a PC000
    long before that; real Dockerfiles stay many orders of magnitude below the budget."""
    escape = "`" if _ESCAPE_DIRECTIVE.search("\n".join(lines[:20])) else "\\"
    # Each continued line adds at most the whole text (and its line ends) to the work: a text with
    # few escape characters cannot reach the budget, and most Dockerfiles need no pass over their lines.
    # (The lines are the text's, split at line ends: the escapes in them are the text's, their lengths
    # and ends at most the text's length plus one.)
    if text.count(escape) * (len(text) + 1) <= MAX_JOIN_WORK:
        return
    start, size, work = 1, 0, 0
    for number, line in enumerate(lines, 1):
        if not size:
            start = number
        size += len(line) + 1
        if line.rstrip().endswith(escape):
            work += size
            if work > MAX_JOIN_WORK:
                raise ParseError("Dockerfile instruction continued over too many lines, not checked", start)
        else:
            size = 0


def parse(path: str, text: str) -> DockerfileView:
    from dockerfile_parse import DockerfileParser

    lines = text.splitlines()
    _check_continuations(lines, text)
    try:
        parser = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8")), env_replace=False)
        structure = parser.structure
    except Exception as error:  # dockerfile-parse raises assorted errors on malformed input
        raise ParseError(f"invalid Dockerfile: {error}") from None
    instructions: list[Instruction] = []
    stages: list[Stage] = []
    global_args: dict[str, str] = {}
    skip_until = -1
    stage_names: dict[str, int] = {}
    for item in structure:
        start, end = item["startline"], item["endline"]
        if start <= skip_until:
            continue
        keyword = item["instruction"].upper()
        if keyword == "COMMENT":
            continue
        value = item["value"]
        heredoc = ""
        marker = _HEREDOC.search(value) if keyword in _HEREDOC_KEYWORDS and "<<" in value else None
        if marker:
            terminator = marker.group(1)
            body: list[str] = []
            for index in range(end + 1, len(lines)):
                if lines[index].strip() == terminator:
                    skip_until = index
                    break
                body.append(lines[index])
            else:
                skip_until = len(lines)
            heredoc = "\n".join(body)
            end = skip_until
        flags: list[str] = []
        rest = value
        while rest.lstrip().startswith("--"):  # (the first word of most instructions is no flag)
            head, _, tail = rest.strip().partition(" ")
            if not _FLAG.match(head):
                break
            flags.append(head)
            rest = tail
        if keyword == "FROM":
            if len(stages) >= DOCKERFILE_MAX_STAGES:
                raise ParseError(too_large("stages (FROM)", sum(1 for i in structure if i["instruction"].upper()
                                                                 == "FROM"), DOCKERFILE_MAX_STAGES), start + 1)
            words = rest.split()
            base = words[0] if words else ""
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            base_stage = stage_names.get(base.lower())
            stages.append(Stage(len(stages), name, base, start + 1, base_stage))
            if name:
                stage_names.setdefault(name.lower(), len(stages) - 1)
        elif rest.lstrip().startswith("[") and keyword in _EXEC_FORM_KEYWORDS:
            try:
                check_depth(rest, limit=MAX_EXEC_FORM_DEPTH, what="exec form")
            except ParseError as error:
                raise ParseError(f"{keyword} {error}, not checked", start + error.line) from None
        elif keyword == "ARG" and not stages:
            for key, default in parse_assignments(value):
                global_args[key] = default
        instruction = Instruction(
            keyword, rest.strip() if keyword != "FROM" else value, start + 1, end + 1,
            len(stages) - 1, tuple(flags), heredoc,
        )
        instructions.append(instruction)
        if stages:
            stages[-1].instructions.append(instruction)
    if not stages and any(i.keyword not in {"ARG"} for i in instructions):
        raise ParseError("Dockerfile has no FROM instruction")
    return DockerfileView(path, lines, instructions, stages, global_args)
