"""Python a command runs from its own text: `python -c CODE`, or a here-document on its standard input
(`python - <<'EOF'` ... `EOF`, https://docs.python.org/3/using/cmdline.html#interface-options: with no
script, `-` or no argument, the interpreter reads the program from standard input). Parsed, never run."""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from prodcheck.extract.python import extract
from prodcheck.fix.memo import remembered_failure
from prodcheck.model.facts import PyFacts
from prodcheck.model.finding import Span
from prodcheck.parsing.shell import SimpleCommand
from prodcheck.lazy_pattern import lazy

_PYTHON = lazy(r"^python(?:\d+(?:\.\d+)*)?$")  # python, python3, python3.12
_VALUED = frozenset({"-W", "-X", "--check-hash-based-pycs"})  # interpreter options that take a value
# a redirection: `> log` (its target the next word), `>/dev/null`, `2>&1`, `< input`
_REDIRECT = lazy(r"^\d*(?:>>?|<(?!<))(?P<dup>&(?:\d+|-))?(?P<target>.*)$")


class InlinePython(NamedTuple):
    """The code's facts, and where its lines are in the file that holds the command."""

    facts: PyFacts
    line: int  # the file's line of the code's first line
    own_lines: bool  # a here-document: its lines and columns are the file's own
    head: str  # the words that hand it over, without the code: `python -c`, `python - <<EOF`

    def span(self, span: Span, command: Span) -> Span:
        """A span of the code as a span of the file (a `-c` string: the command's own)."""
        if not self.own_lines:
            return command
        offset = self.line - 1
        return Span(span.line + offset, span.column, span.end_line + offset, span.end_column)


def inline_python(command: SimpleCommand) -> InlinePython | None:
    """The Python program a command hands the interpreter in its own text, or None (a script, a module,
    an interactive interpreter, or code that does not parse)."""
    if not _PYTHON.match(command.program):
        return None
    args = command.argv[1:]
    index = 0
    while index < len(args):
        word = args[index]
        head = " ".join(command.argv[:index + 2])
        if word == "-c" and index + 1 < len(args):
            return _parsed(args[index + 1], command.line, False, head)
        if word.startswith("-c") and len(word) > 2:
            return _parsed(word[2:], command.line, False, " ".join((*command.argv[:index + 1], "-c")))
        if word == "-m" or word.startswith("-m"):
            return None  # a module runs; whatever standard input holds is its input
        if word.startswith("<<"):
            break
        if word == "-":
            index += 1
            continue
        redirect = _REDIRECT.match(word)
        if redirect:
            index += 0 if redirect.group("dup") or redirect.group("target") else 1
        elif word in _VALUED:
            index += 1
        elif not word.startswith("-"):
            return None  # a script: a here-document is its input, not the program
        index += 1
    heredoc = command.heredoc
    if heredoc is None:
        return None
    head = " ".join(command.argv[:index + 2]) if index < len(args) else " ".join(command.argv)
    return _parsed(heredoc.text, heredoc.line, True, head)


@lru_cache(maxsize=256)
def _parsed(code: str, line: int, own_lines: bool, head: str) -> InlinePython | None:
    data = code.encode("utf-8", "surrogateescape")
    try:
        # code no parser reads is remembered as such between runs: libcst, the last resort, is not imported again
        # to refuse it (only what depends on the text alone: not a RecursionError or a MemoryError)
        facts = remembered_failure(("inline_python",), data, lambda: extract("__inline__.py", data),
                                   (SyntaxError, ValueError))
    except (RecursionError, MemoryError):
        return None
    return InlinePython(facts, line, own_lines, head) if facts is not None else None
