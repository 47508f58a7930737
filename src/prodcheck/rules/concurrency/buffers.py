"""A project's own in-memory file object: a class over one of Python's I/O bases whose methods do no I/O.

`zipfile.ZipFile(sink, "w")` or `tarfile.open(fileobj=sink, mode="w|")` with `sink = _ChunkBuffer()`, where
`_ChunkBuffer(io.RawIOBase)` appends each `write` to a list a generator drains (a zip archive streamed to a
response without being held whole), writes memory as it would into an `io.BytesIO`: the archive calls the sink's
own methods, and those block only if they do. A class over one of knowledge/blocking.toml [family.file]
`buffer_bases` (directly or through project bases) whose project methods make no call PC501 counts as blocking is
such a buffer; one whose `write` writes a file or a socket is not.
"""
from __future__ import annotations

from prodcheck.knowledge.blocking import buffer_bases
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.concurrency.holds import Holds


def project_buffer(index: PythonIndex, text: str) -> bool:
    """`text` (a call's resolved name) builds a project class that is an in-memory file object."""
    memo: dict[str, bool] = index.__dict__.setdefault("_project_buffers", {})
    known = memo.get(text)
    if known is None:
        memo[text] = False  # (a method that builds one again is not asked about twice)
        known = memo[text] = _judged(index, text)
    return known


def _judged(index: PythonIndex, text: str) -> bool:
    resolved = index.resolve(text)
    if resolved is None or not resolved.cls:
        return False
    holds = Holds.of(index)
    owners = holds.mro(resolved.qualname)
    bases = buffer_bases()
    if not any(base in bases for owner in owners if (found := index.classes.get(owner)) is not None
               for base in getattr(found[0], "bases", ())):
        return False
    from prodcheck.rules.concurrency.blocking_calls import classify_blocking  # (it reads holds, which read this)
    for owner in owners:
        found = index.classes.get(owner)
        if found is None:
            continue
        for method in found[1].functions:
            if method.qualname.rpartition(".")[0] != owner:
                continue
            if any(classify_blocking(index, call, method) is not None
                   for call in index.calls_by_scope.get(method.qualname, ())):
                return False
    return True
