"""Which arm of a shell `case` statement each line of a script is in.

`case "$1" in migrate) dbmate migrate ;; *) exec "$@" ;; esac` runs one arm, chosen by the word: the commands of
two arms of one statement are alternatives, never one after the other (POSIX shell, "case Conditional Construct":
https://pubs.opengroup.org/onlinepublications/9699919799/utilities/V3_chap02.html#tag_02_09_04_05). The command
splitter reads a script as a flat list; this reads the arms from the text, by lines: `case ... in` opens a
statement, a `pattern)` at the start of an arm opens an arm, `;;` (or `;&`, `;;&`) closes it, `esac` closes the
statement. Nested statements are tracked; a line belongs to the innermost arm it is in."""
from __future__ import annotations

from prodcheck.lazy_pattern import lazy

_CASE = lazy(r"^\s*case\s.+\sin\s*(?:#.*)?$")
_ESAC = lazy(r"(?:^|[\s;])esac\s*(?:#.*)?$")
_ARM = lazy(r"^\s*\(?[^()#]+\)")
_END = lazy(r";;&?|;&")


def case_arms(text: str) -> dict[int, tuple[int, int]]:
    """1-based line -> (statement, arm) for the lines inside an arm of a `case` statement; other lines are absent."""
    arms: dict[int, tuple[int, int]] = {}
    stack: list[list[int]] = []  # per open statement: [its id, the open arm's id or -1]
    statements = arm_count = 0
    for number, line in enumerate(text.splitlines(), 1):
        if _CASE.match(line):
            statements += 1
            stack.append([statements, -1])
            continue
        if not stack:
            continue
        current = stack[-1]
        if current[1] < 0 and _ARM.match(line):
            arm_count += 1
            current[1] = arm_count
        if current[1] >= 0:
            arms[number] = (current[0], current[1])
        if _END.search(line):
            current[1] = -1
        if _ESAC.search(line):
            stack.pop()
    return arms


def other_arms(text: str, first: int, second: int) -> bool:
    """Lines `first` and `second` are in two different arms of one `case` statement: one runs, not both."""
    arms = case_arms(text)
    one, two = arms.get(first), arms.get(second)
    return one is not None and two is not None and one[0] == two[0] and one[1] != two[1]
