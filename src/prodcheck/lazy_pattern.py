"""`lazy`: a regular expression compiled when first used, not when its module is imported.

Compiling a pattern runs `re`'s parser and compiler, written in Python: the patterns prodcheck's modules compile at
import cost ~0.1 G instructions of every run (a tenth of an empty project's), and a run uses a fraction of them (an
empty project 1 of 164, a Python-only one 62 of 179: the others read Dockerfiles, workflows, charts, scripts).

A `LazyPattern` has the methods of `re.Pattern` that prodcheck calls, as slots: the first use of any of them finds
its slot empty (`__getattr__`), compiles the pattern and fills every slot with the compiled pattern's own bound
method. A later call reads a slot and calls the compiled method, as fast as calling it on the compiled pattern.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, AnyStr, Generic

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

_METHODS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split")


class LazyPattern(Generic[AnyStr]):
    """`re.compile(pattern, flags)`, compiled by the first method called (see the module)."""

    __slots__ = ("pattern", "flags", *_METHODS)
    pattern: AnyStr
    flags: int

    def __init__(self, pattern: AnyStr, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags

    def __getattr__(self, name: str) -> Any:
        if name not in _METHODS:
            raise AttributeError(name)
        compiled = re.compile(self.pattern, self.flags)
        for method in _METHODS:
            setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)

    if TYPE_CHECKING:
        def search(self, string: AnyStr, pos: int = 0, endpos: int = ...) -> re.Match[AnyStr] | None: ...

        def match(self, string: AnyStr, pos: int = 0, endpos: int = ...) -> re.Match[AnyStr] | None: ...

        def fullmatch(self, string: AnyStr, pos: int = 0, endpos: int = ...) -> re.Match[AnyStr] | None: ...

        def finditer(self, string: AnyStr, pos: int = 0, endpos: int = ...) -> Iterator[re.Match[AnyStr]]: ...

        def findall(self, string: AnyStr, pos: int = 0, endpos: int = ...) -> list[Any]: ...

        def sub(self, repl: AnyStr | Callable[[re.Match[AnyStr]], AnyStr], string: AnyStr, count: int = 0) -> AnyStr: ...

        def subn(self, repl: AnyStr | Callable[[re.Match[AnyStr]], AnyStr], string: AnyStr,
                 count: int = 0) -> tuple[AnyStr, int]: ...

        def split(self, string: AnyStr, maxsplit: int = 0) -> list[AnyStr | Any]: ...


def lazy(pattern: AnyStr, flags: int = 0) -> LazyPattern[AnyStr]:
    """`re.compile(pattern, flags)`, compiled when first used: for a module-level pattern most runs never use."""
    return LazyPattern(pattern, flags)
