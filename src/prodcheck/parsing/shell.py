"""Commands, tokenised like a shell, whatever file they are written in.

Dockerfile CMD/ENTRYPOINT (shell or exec form), compose `command:` strings and lists, Kubernetes
`command` + `args`, Procfile lines and `*.sh` scripts all become a list of `SimpleCommand`s, with
`sh -c "..."`, `exec`, `env A=b`, `poetry run` and similar wrappers peeled off, so that every rule
sees `alembic upgrade head && gunicorn ...` the same way wherever it was written.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import replace
from functools import lru_cache
from typing import NamedTuple

from prodcheck.knowledge.commands import runners, shell_words, shells, user_switchers
from prodcheck.limits import MAX_SHELL_CHARS
from prodcheck.model.record import record
from prodcheck.parsing.shell_tokens import SHOW, substitutions, tokens
from prodcheck.lazy_pattern import lazy

SHELLS = shell_words()
_CONNECTORS = frozenset({"&&", "||", ";", "|", "&", ";;", "|&"})
_KEYWORDS_DROPPED = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "(", "time"})
_KEYWORDS_ENDING = frozenset({"fi", "done", "}", ")", "esac", "then", "else", "do"})
_ASSIGNMENT = lazy(r"^[A-Za-z_][A-Za-z0-9_]*=")


class Heredoc(NamedTuple):
    """The body of a here-document (`cmd <<'EOF'` ... `EOF`) and the line of the text its body starts on."""

    line: int
    text: str


@record  # a frozen dataclass to mypy, built faster (model/record.py)
class SimpleCommand:
    argv: tuple[str, ...]
    line: int  # 1-based line of the text the command came from
    operator: str = ""  # what joined it to the previous command: "", "&&", "||", ";", "|", "&", "\n"
    env: tuple[tuple[str, str], ...] = ()  # `FOO=bar cmd` assignments
    exec: bool = False  # run through `exec`: it replaces the shell (and becomes PID 1 of a container)
    background: bool = False  # followed by `&`: the shell starts it and goes on to the next command
    heredoc: Heredoc | None = None  # the here-document it reads on its standard input (`python <<'EOF'`)

    @property
    def program(self) -> str:
        return self.argv[0].rsplit("/", 1)[-1] if self.argv else ""

    def __str__(self) -> str:
        return " ".join(self.argv)


# `<<EOF`, `<<-EOF`, `<< 'EOF'`, `<<"EOF"`; not the here-string `<<<`
_HEREDOC = lazy(r"(?<!<)<<(?!<)-?\s*['\"]?([A-Za-z_][A-Za-z0-9_]*)['\"]?")


def _logical_lines(text: str) -> list[tuple[int, str, Heredoc | None]]:
    """Join backslash continuations and words quoted over several lines; keep the line number where each
    logical line starts, and the body of the here-document the line opens (its lines are no commands of
    the script)."""
    out: list[tuple[int, str, Heredoc | None]] = []
    buffer: list[str] = []
    start = 1
    heredoc_end: str | None = None
    body: list[str] = []
    lines = text.splitlines()
    number = 0
    while number < len(lines):
        raw = lines[number]
        number += 1
        if heredoc_end is not None:
            if raw.strip() == heredoc_end:
                heredoc_end = None
                first, line, _ = out[-1]
                out[-1] = (first, line, Heredoc(number - len(body), "\n".join(body)))
                body = []
            else:
                body.append(raw)
            continue
        if not buffer:
            start = number
        stripped = raw.rstrip()
        if stripped.endswith("\\") and not stripped.endswith("\\\\"):
            buffer.append(stripped[:-1])
            continue
        buffer.append(stripped)
        line = " ".join(buffer)
        buffer = []
        if open_quote(line):
            closed = _quoted_on(line, lines, number)
            if closed is not None:
                line, number = closed
        marker = _HEREDOC.search(line)
        if marker:
            heredoc_end = marker.group(1)
        out.append((start, line, None))
    if heredoc_end is not None and out:  # a body the text ends in (a Dockerfile heredoc comes without its end)
        first, line, _ = out[-1]
        out[-1] = (first, line, Heredoc(len(lines) - len(body) + 1, "\n".join(body)))
    if buffer:
        out.append((start, " ".join(buffer), None))
    return out


def _quoted_on(line: str, lines: list[str], after: int) -> tuple[str, int] | None:
    """`sh -c "alembic upgrade head &&` / `uvicorn app.main:app"`: a quoted word goes on over the line's end
    (a compose folded `command: >` keeps the newline of a more-indented line). The line joined with the next
    ones up to the one that closes the quote (the newlines are part of the word, and of the script `sh -c`
    runs) and the number of the last line joined; None when no line soon closes it (`echo don't`: each line
    then stands alone)."""
    joined = line
    for number in range(after, min(len(lines), after + _MAX_QUOTED_LINES)):
        joined += "\n" + lines[number].strip()
        if not open_quote(joined):
            return joined, number + 1
    return None


# A word quoted over several lines joins them up to this many (a quote left open by mistake, `echo don't`,
# must not swallow the rest of the script: past the limit, or at the end of the text, each line stands alone)
_MAX_QUOTED_LINES = 30
# a line ending in one goes on on the next (POSIX 2.10.2, the shell grammar): `alembic upgrade head &&` / `uvicorn`
_CONTINUING = frozenset({"&&", "||", "|"})
# a quoted word, an escaped character, a comment (a `#` that starts a word), or a quote that is not closed
_QUOTE_SCAN = lazy(r"""'[^']*'|"(?:[^"\\]|\\.)*"|\\.|(?:^|(?<=\s))#.*|['"]""", re.DOTALL)


def open_quote(line: str) -> bool:
    """Whether a quote of the line is still open at its end (outside a comment)."""
    if "'" not in line and '"' not in line:
        return False
    for match in _QUOTE_SCAN.finditer(line):
        token = match.group()
        if token in ("'", '"'):
            return True
        if token.startswith("#"):
            return False
    return False


def split_script(text: str, first_line: int = 1) -> list[SimpleCommand]:
    """A shell script or shell-form command line, as simple commands in execution order."""
    # Each text is split once per run however many models and rules ask (a Dockerfile's CMD is
    # read by processes, images and several rules); callers get their own list.
    return list(_split_script(text, first_line))


@lru_cache(maxsize=8192)
def _split_script(text: str, first_line: int) -> tuple[SimpleCommand, ...]:
    commands: list[SimpleCommand] = []
    carried = "\n"  # the operator the next line's first command follows
    for offset, line, heredoc in _logical_lines(text):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        first = len(commands)
        operator, carried = carried, "\n"
        current: list[str] = []
        for token in tokens(line):
            if token in _CONNECTORS or token in {"(", ")"}:
                if current:
                    unwrapped = _command(current, first_line + offset - 1, operator)
                    if token == "&" and unwrapped:
                        unwrapped[-1] = replace(unwrapped[-1], background=True)
                    commands.extend(unwrapped)
                    current = []
                if token not in {"(", ")"}:
                    operator = token
                continue
            current.append(token.translate(SHOW))
        if current:
            commands.extend(_command(current, first_line + offset - 1, operator))
        elif operator in _CONTINUING and len(commands) > first:
            carried = operator
        if heredoc is not None:
            _attach(commands, first, Heredoc(first_line + heredoc.line - 1, heredoc.text))
    first_own = next((index for index, command in enumerate(commands) if command.operator != SUBSTITUTED), None)
    if first_own is not None and commands[first_own].operator == "\n":
        commands[first_own] = replace(commands[first_own], operator="")
    return tuple(commands)


# The operator of a command run by a command substitution (`PG=$(docker run -d postgres)`, `-w $(nproc)`): the shell
# runs it, before the command whose word holds it, to fill that word in; it is no command of the script's own sequence.
SUBSTITUTED = "$("


# A substitution that is one plain command (`nproc`, `date -u +%Y-%m-%d`, `basename $img`): its words are its blanks'
# runs, no script to read line by line (most are such)
_PLAIN_SCRIPT = lazy(r"(?:[^;&|()<>'\"\\`#\s]|[ \t])*")


def _command(words: list[str], line: int, operator: str) -> list[SimpleCommand]:
    """The commands of one simple command's words: those its command substitutions run, then itself (unwrapped)."""
    inner = [replace(command, operator=SUBSTITUTED) for word in words if "$(" in word or "`" in word
             for text in substitutions(word)
             for command in (_unwrap(text.split(), line, "") if _PLAIN_SCRIPT.fullmatch(text)
                             else _split_script(text, line))]
    return [*inner, *_unwrap(words, line, operator)]


def _attach(commands: list[SimpleCommand], first: int, heredoc: Heredoc) -> None:
    """Give a line's here-document to the command of the line that redirects it (`python - <<'EOF'`)."""
    for index in range(first, len(commands)):
        if any(word.startswith("<<") and not word.startswith("<<<") for word in commands[index].argv):
            commands[index] = replace(commands[index], heredoc=heredoc)
            return


def split_argv(argv: list[str] | tuple[str, ...], line: int = 1,
               lines: list[int] | tuple[int, ...] | None = None) -> list[SimpleCommand]:
    """An exec-form command (JSON array, YAML list): no shell unless it starts one. `lines`, when
    given, is the line each argument starts on: a `sh -c` script written over several lines (a YAML
    block scalar) then reports each of its commands at its own line."""
    words = [str(a) for a in argv]
    starts = tuple(lines) if lines is not None and len(lines) == len(words) else None
    return _unwrap(words, line, "", lines=starts)


def _unwrap(argv: list[str], line: int, operator: str, depth: int = 0,
            lines: tuple[int, ...] | None = None) -> list[SimpleCommand]:
    env: list[tuple[str, str]] = []
    while argv and argv[0] in _KEYWORDS_DROPPED:
        argv, lines = argv[1:], lines[1:] if lines else None
    while argv and _ASSIGNMENT.match(argv[0]):
        name, _, value = argv[0].partition("=")
        env.append((name, value))
        argv, lines = argv[1:], lines[1:] if lines else None
    if not argv or argv[0] in _KEYWORDS_ENDING:
        return []
    if depth > 8:
        return [SimpleCommand(tuple(argv), line, operator, tuple(env))]
    program = argv[0].rsplit("/", 1)[-1]
    if program == "env" or argv[0] == "/usr/bin/env":
        skip = 1
        while skip < len(argv) and (argv[skip].startswith("-") or _ASSIGNMENT.match(argv[skip])):
            if _ASSIGNMENT.match(argv[skip]):
                name, _, value = argv[skip].partition("=")
                env.append((name, value))
            skip += 1
        return _with_env(_unwrap(argv[skip:], line, operator, depth + 1, lines[skip:] if lines else None), env)
    if argv[0] in SHELLS or program in shells():
        flags = [a for a in argv[1:3] if a.startswith("-")]
        if any("c" in f.lstrip("-") for f in flags):
            script_index = 1 + len(flags)
            if script_index < len(argv):
                inner = split_script(argv[script_index], lines[script_index] if lines else line)
                if inner:
                    inner[0] = replace(inner[0], operator=operator)
                return _with_env(inner, env)
    runners_of = _runners_by_program().get(program, ())
    head = (program, *argv[1:max((len(prefix) for prefix, _ in runners_of), default=1)])
    for prefix, options in runners_of:
        if head[: len(prefix)] == prefix:
            skip = len(prefix)
            while skip < len(argv) and argv[skip].startswith("-") and options:
                skip += 1
            if skip < len(argv) and argv[skip] == "--":
                skip += 1
            unwrapped = _unwrap(argv[skip:], line, operator, depth + 1, lines[skip:] if lines else None)
            if prefix == ("exec",):
                unwrapped = [replace(c, exec=True) for c in unwrapped]
            return _with_env(unwrapped, env)
    if program in user_switchers() and len(argv) > 2:
        return _with_env(_unwrap(argv[2:], line, operator, depth + 1, lines[2:] if lines else None), env)
    return [SimpleCommand(tuple(argv), line, operator, tuple(env))]


@lru_cache(maxsize=1)
def _runners_by_program() -> dict[str, tuple[tuple[tuple[str, ...], bool], ...]]:
    """The runners (`poetry run`, `exec`...) by their first word, each program's in knowledge order."""
    grouped: dict[str, list[tuple[tuple[str, ...], bool]]] = {}
    for prefix, options in runners():
        grouped.setdefault(prefix[0], []).append((prefix, options))
    return {program: tuple(entries) for program, entries in grouped.items()}


def _with_env(commands: list[SimpleCommand], env: list[tuple[str, str]]) -> list[SimpleCommand]:
    if not env:
        return commands
    return [replace(c, env=tuple(env) + c.env) for c in commands]


_VAR = lazy(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::?[-=]([^}]*))?\}?$")


def expand_default(token: str, env: dict[str, str] | None = None) -> tuple[str | None, str | None]:
    """`${WORKERS:-4}` -> ("4", "WORKERS"); `$PORT` -> (env value or None, "PORT"); `4` -> ("4", None)."""
    match = _VAR.match(token)
    if not match:
        return token, None
    name, default = match.group(1), match.group(2)
    if env and name in env:
        return env[name], name
    return default, name


_SCRIPT_ASSIGNMENT = lazy(r"^\s*(?:(?:export|readonly|declare|local)\s+(?:-\w+\s+)*)?([A-Za-z_][A-Za-z0-9_]*)=(\S.*)?$")
_REFERENCE = lazy(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-=]((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def script_variables(text: str) -> list[tuple[int, str, str]]:
    """`NAME=value` / `export NAME=value` lines of a script, in order: (line, name, value as the shell
    reads the word, quotes removed)."""
    found: list[tuple[int, str, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if "=" not in line:
            continue
        match = _SCRIPT_ASSIGNMENT.match(line)
        if not match or len(line) > MAX_SHELL_CHARS:  # shlex is quadratic in a word's length
            continue
        try:
            words = shlex.split(match.group(2) or "", comments=True)
        except ValueError:
            continue
        if len(words) <= 1:
            found.append((number, match.group(1), words[0] if words else ""))
    return found


def with_script_variables(commands: list[SimpleCommand], text: str, *,
                          literal_only: bool = False) -> list[SimpleCommand]:
    """A script's commands (of `text`) with the variables it assigned before each one substituted into its words
    (`gunicorn -c "$GUNICORN_CONF" "$APP_MODULE"` after `APP_MODULE=${APP_MODULE:-src.main:app}`). With
    `literal_only`, only plain values (`destination="_alerts"` then `cd ../${destination}`): a value assigned from a
    command or the environment stays a reference."""
    if "$" not in text:
        return commands
    assignments = script_variables(text)
    if not assignments:
        return commands
    out = []
    for command in commands:
        variables = {name: value for line, name, value in assignments
                     if line < command.line and not (literal_only and "$" in value)}
        if variables and any("$" in word for word in command.argv):
            command = replace(command, argv=tuple(substitute(word, variables) for word in command.argv))
        out.append(command)
    return out


def substitute(token: str, variables: dict[str, str], depth: int = 0, keep: bool = True) -> str:
    """`$NAME` / `${NAME:-default}` in a token replaced by what the script assigned NAME. A variable
    the script defaults from the environment (`X=${X:-4}`) stays a reference with that default,
    `${X:-4}`, so readers still know the environment can override it."""
    if "$" not in token or depth > 6:
        return token

    def one(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        if name not in variables:
            return match.group(0)
        value = variables[name]
        own = _REFERENCE.fullmatch(value)
        if own and (own.group(1) or own.group(3)) == name:  # X=${X:-default}
            default = substitute(own.group(2) or "", {k: v for k, v in variables.items() if k != name}, depth + 1, False)
            return "${" + name + ":-" + default + "}" if keep else default
        return substitute(value, {k: v for k, v in variables.items() if k != name}, depth + 1, keep)

    return _REFERENCE.sub(one, token)


def locate(line_text: str, needle: str) -> tuple[int, int] | None:
    """1-based start and exclusive end column of `needle` in a source line, if present."""
    index = line_text.find(needle)
    if index < 0:
        return None
    return index + 1, index + 1 + len(needle)
