"""What extracting one Python file runs, in the main process or in a worker of the pool (python_pass.py
`_extract`): the extractor, the pickle a worker sends back, the syntax check of a file no rule reads (PC000),
and how many workers pay for themselves."""
from __future__ import annotations

import gc
import os
import pickle
import warnings
from collections.abc import Callable
from functools import lru_cache

from prodcheck.limits import OverBudget
from prodcheck.model.facts import PyFacts
from prodcheck.parsing import quiet_parser_warnings

MIN_POOL_CPUS = 4  # below this the pool costs more than it saves: see default_jobs


@lru_cache(maxsize=1)
def _extractor() -> Callable[[str, bytes, bool], PyFacts]:
    """The extractor, imported when a file is first extracted (a run whose facts are all cached never loads it);
    then a lookup, not an import statement per file."""
    from prodcheck.extract.python import extract

    return extract


def _python_work(item: tuple[str, bytes] | tuple[str, bytes, bool]) -> tuple[str, PyFacts | tuple[str, int, int]]:
    """Runs in worker processes: must stay a top-level function over picklable data. The item: path, bytes and
    whether the file is a test file to extract reduced (`reducible`)."""
    path, data = item[0], item[1]
    try:
        return path, _extractor()(path, data, len(item) > 2 and bool(item[2]))
    except OverBudget as error:  # the extractor stops at the first fact over the budget (and counts them all)
        return path, (str(error), 1, 1)
    except SyntaxError as error:
        return path, (f"Python syntax error: {error.msg}", error.lineno or 1, error.offset or 1)
    except (ValueError, RecursionError, MemoryError) as error:
        return path, (f"cannot parse Python: {type(error).__name__}", 1, 1)


def _pooled_work(item: tuple[str, bytes, bool]) -> tuple[str, bytes | PyFacts | tuple[str, int, int]]:
    """`_python_work` in a worker of the pool (`_extract`): the facts pickled here, as the cache stores them (the
    parent keeps these very bytes: `PythonPlan.record`). A pickle is a function of the facts and of which of their
    objects are one, and that sharing is the extraction's own, whatever else the process extracted (the digest a
    later run compares with a file extracted alone); a parent that pickled the facts again would write the
    sharing its own unpickling made (one-character strings are one object there, not in the worker's facts)."""
    path, result = _python_work(item)
    if isinstance(result, PyFacts):
        try:
            return path, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            pass  # (sent as objects: the pool's own pickle reports what fails)
    return path, result


def _worker_init() -> None:
    """A worker process of `_extract`: no cyclic collection (as in `_collector_paused`), no parser warnings."""
    gc.disable()
    quiet_parser_warnings()


def syntax_check(path: str, data: bytes) -> tuple[str, int, int] | None:
    """None when a file the prefilter skips parses; else its error as `_python_work` reports it.

    PC000 must not depend on the prefilter: a file no rule reads is still checked. `symtable` is the
    cheapest full check the interpreter offers: it runs the parser and the compiler's scope analysis
    on the parser's own C tree, builds no Python objects of that tree and generates no bytecode
    (~25 % less CPU than `compile`, ~40 % less than `ast.parse` on the corpus's skipped files). Its
    verdicts are a superset of the parser's (a `nonlocal` at module level), so a file it rejects
    goes through the extractor, whose verdict decides (and whose messages PC000 reports for every
    file): a file passes exactly when `ast.parse`, or the newer-syntax reader, accepts it."""
    import symtable

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes: not prodcheck's output
            symtable.symtable(data, path, "exec")  # type: ignore[arg-type]  # bytes: the source as read, like compile
        return None
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        result = _python_work((path, data))[1]
        return result if isinstance(result, tuple) else None


def default_jobs() -> int:
    """Parser processes when `--jobs` is not given: the pool only where it pays for itself.

    Measured on the real corpus (bench/real.py): workers cost ~1.45x the CPU of parsing in one
    process (start-up, imports, every fact pickled back), so with two CPUs the parallel part
    gains nothing once anything else runs; from four usable CPUs on it wins in wall time."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return cores if cores >= MIN_POOL_CPUS else 1
