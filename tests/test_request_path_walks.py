"""The request path is walked twice per run (with and without start-up, rules/concurrency/request_path.py) and
the second walk reads what the first kept per function (`_successors`): each walk's answer is the one it gives
on an index nothing was asked of before, whichever walk comes first."""
from __future__ import annotations

from pathlib import Path

from conftest import project_model

from prodcheck.project import Project
from prodcheck.rules.concurrency.request_path import request_path

FILES = {
    "app/__init__.py": "",
    "app/helpers.py": '''
        from apscheduler.schedulers.asyncio import AsyncIOScheduler


        async def cached(fn, key):
            return await fn(key)


        def schedule(tasks, job):
            tasks.add_task(job)


        def start_jobs():
            scheduler = AsyncIOScheduler()
            scheduler.add_job(refresh, "interval", minutes=5)


        async def refresh():
            return None
        ''',
    "app/main.py": '''
        import asyncio
        from contextlib import asynccontextmanager

        from fastapi import BackgroundTasks, FastAPI

        from app.helpers import cached, schedule, start_jobs


        async def watch_orders():
            await poll()


        async def poll():
            return None


        async def warm():
            return None


        @asynccontextmanager
        async def lifespan(app):
            await warm()
            asyncio.create_task(watch_orders())
            start_jobs()
            yield


        app = FastAPI(lifespan=lifespan)


        async def export(order_id):
            return order_id


        async def notify(order_id):
            return order_id


        @app.get("/orders/{order_id}")
        async def read_order(order_id: int, tasks: BackgroundTasks):
            async def _fetch(key):
                return await lookup(key)

            schedule(tasks, notify)
            tasks.add_task(export, order_id)
            asyncio.run(never_on_this_loop())
            return await cached(_fetch, order_id)


        async def lookup(key):
            return key


        async def never_on_this_loop():
            return None
        ''',
}


def _walk(project: Project, include_startup: bool) -> dict[str, str]:
    return {qualname: entry.why for qualname, entry in request_path(project.python, include_startup).items()}


def test_each_walk_is_the_same_whichever_comes_first(tmp_path: Path) -> None:
    alone = {flag: _walk(project_model(tmp_path / f"alone-{flag}", FILES), flag) for flag in (True, False)}
    after = project_model(tmp_path / "after", FILES)
    first_with, then_without = _walk(after, True), _walk(after, False)
    before = project_model(tmp_path / "before", FILES)
    first_without, then_with = _walk(before, False), _walk(before, True)
    assert first_with == then_with == alone[True]
    assert first_without == then_without == alone[False]
    # the walks differ, and reach through every kind of successor
    assert "app.main.warm" in alone[True] and "app.main.warm" not in alone[False]
    assert {"app.main.read_order._fetch", "app.main.lookup", "app.main.export", "app.main.notify",
            "app.main.watch_orders", "app.main.poll", "app.helpers.refresh"} <= set(alone[False])
    assert "app.main.never_on_this_loop" not in alone[True]


def test_a_coroutine_made_a_task_or_run_on_its_own_loop_is_named_so(tmp_path: Path) -> None:
    walked = _walk(project_model(tmp_path, FILES), True)
    assert walked["app.main.watch_orders"] == "a task `lifespan` starts, run on the event loop"
    assert walked["app.main.poll"] == "awaited from `watch_orders`"
    assert walked["app.main.warm"] == "awaited from `lifespan`"
    assert "app.main.never_on_this_loop" not in walked  # `asyncio.run(...)`: a loop of its own


UNTYPED = {
    "app/__init__.py": "",
    "app/repo.py": '''
        class Repo:
            async def reserve_seat(self, item):
                return item
        ''',
    "app/main.py": '''
        from fastapi import FastAPI

        from app.repo import Repo

        app = FastAPI()
        REPOS = [Repo]


        @app.post("/items")
        async def add(repo, item: dict):
            return await repo.reserve_seat(item)
        ''',
}


def test_pc503_reach_leaves_the_kept_walk_as_it_was(tmp_path: Path) -> None:
    """PC503 adds the async methods awaited on an object of unknown type to its own copy of the walk: the walk kept on
    the index (PC501 reads it too, before or after) stays the walk's answer."""
    from prodcheck.rules.concurrency.cpu_bound_call_in_async_route import CpuBoundCallInAsyncRoute

    project = project_model(tmp_path, UNTYPED)
    before = _walk(project, False)
    list(CpuBoundCallInAsyncRoute().check(project))
    assert "app.repo.Repo.reserve_seat" not in before  # the walk does not type `repo`
    assert _walk(project, False) == before
