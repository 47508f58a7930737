"""Typed access to `servers.toml`: web server programs and their options."""
from __future__ import annotations

from functools import cache

from prodcheck.knowledge import load
from prodcheck.knowledge.names import Names, names


@cache
def servers() -> frozenset[str]:
    """Programs that serve a Python web app: uvicorn, gunicorn, hypercorn, granian, fastapi, daphne."""
    return frozenset(load("servers")["servers"])


@cache
def flag_options(server: str) -> frozenset[str]:
    """Options of a server that take no value."""
    return frozenset(load("servers")["servers"].get(server, {}).get("flags", ()))


@cache
def worker_options(server: str) -> tuple[str, ...]:
    """Options of a server that set its number of worker processes."""
    return tuple(load("servers")["servers"].get(server, {}).get("workers", ()))


@cache
def cpu_count_calls() -> frozenset[str]:
    """Calls that return the machine's CPU count (`multiprocessing.cpu_count()`)."""
    return frozenset(load("servers")["cpu"]["count_calls"])


def assumed_host_cores() -> int:
    """How many cores a production host is assumed to have when workers scale with them."""
    return int(load("servers")["cpu"]["assumed_host_cores"])


@cache
def async_worker_markers() -> tuple[str, ...]:
    return tuple(load("servers")["gunicorn"]["async_worker_markers"])


@cache
def wsgi_workers() -> frozenset[str]:
    return frozenset(load("servers")["gunicorn"]["wsgi_workers"])


def reload_run_calls() -> Names:
    """Run functions that take `reload=` (`uvicorn.run(app, reload=True)`)."""
    return names("servers", "run_calls", "reload_keyword")


def server_run_calls() -> Names:
    """Calls that start a web server inside the Python process (`uvicorn.run(app)`)."""
    return names("servers", "run_calls", "names")


@cache
def server_app_calls() -> Names:
    """Calls of `[run_calls]` that are given the application itself (first argument, `app=` or
    `target=`): the run functions (`uvicorn.run(app)`, `hypercorn.asyncio.serve(app, config)`) and
    the constructors of the server objects (`granian.Granian("main:app").serve()`), derived from
    the one list."""
    entries = server_run_calls().entries
    return Names(dict.fromkeys(entry.partition("()")[0] for entry in entries))


@cache
def base_image_start(image: str) -> tuple[str, tuple[str, ...]] | None:
    """(prestart script path, server argv) of a base image that runs an app's prestart hook and
    then its server (`tiangolo/uvicorn-gunicorn-fastapi:python3.11`), or None."""
    name = image.split("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    name = name.lower().removeprefix("docker.io/").removeprefix("index.docker.io/")
    entry = load("servers")["base_images"].get(name)
    if entry is None:
        return None
    return entry["prestart"], tuple(entry["command"])


@cache
def gunicorn_start_hooks() -> dict[str, str]:
    """gunicorn server hooks that run at start-up, each with where: "server" (once) or "worker" (per worker)."""
    table = load("servers")["gunicorn"]["start_hooks"]
    return {hook: where for where, hooks in table.items() for hook in hooks}
