"""Giving the C allocator's freed pages back to the system while a scan runs."""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache


@lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        import ctypes

        return ctypes.CDLL(None).malloc_trim  # glibc: int malloc_trim(size_t pad)
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to do
        return None


def release_freed() -> None:
    """Return the pages of freed C heap memory to the system (glibc's `malloc_trim`; elsewhere a no-op).

    A file's bytes are kept only until its facts are extracted, then compressed
    (`SourceFile.pack`); the freed buffers sit between live blocks of the heap, where the facts
    (small objects, in the interpreter's own arenas) never reuse them, so the process kept them
    resident: 44 MiB of a 7,574-file scan's peak. glibc gives such pages back only when asked."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
