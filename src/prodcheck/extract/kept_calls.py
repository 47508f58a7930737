"""The calls of a test function whose arguments a reader of test files' facts takes (extract/test_bodies.py): a
test function that makes one is extracted whole."""
from __future__ import annotations

from functools import lru_cache

from prodcheck.knowledge import load
from prodcheck.knowledge.databases import engine_factory, is_async_session_factory
from prodcheck.knowledge.environment import env_getters
from prodcheck.knowledge.frameworks import app_kind, socket_servers
from prodcheck.knowledge.servers import reload_run_calls, server_run_calls


@lru_cache(maxsize=1)
def _kept_methods() -> frozenset[str]:
    frameworks = load("frameworks")
    endpoints = frameworks["endpoints"]
    return frozenset((*load("contexts")["test_functions"]["kept_methods"], *endpoints["adders"],
                      *endpoints["route_classes"], *endpoints["decorators"], *socket_servers()[1],
                      *(name.rsplit(".", 1)[-1] for name in server_run_calls()),  # startup_paths.py: by last name
                      "Middleware", "register_tortoise"))


@lru_cache(maxsize=1)
def _kept_names() -> frozenset[str]:
    frameworks = load("frameworks")
    return frozenset((*frameworks["middleware"]["cors"], *frameworks["middleware"]["wrappers"]))


@lru_cache(maxsize=4096)
def kept_call(text: str) -> bool:
    """Whether a reader of every file's calls takes the arguments of a call named `text` (resolved through the
    file's imports): applications and routers built (python_index.py start-up hooks, python_routes.py apps,
    debug_enabled.py), their methods above ([test_functions] kept_methods), engines and session factories
    (engines.py, async_session_expires_on_commit.py), environment getters (debug_enabled.py `debug_names`),
    servers run in process (reload_in_production.py, startup_paths.py), middleware (cors_wildcard.py), the
    Tortoise ORM's set-up (sqlite_in_production.py), and a call of a call's result (request_path.py)."""
    if not text or text.endswith(("()", "]")):
        return True
    last = text.rpartition(".")[2]
    return (last in _kept_methods() or text in _kept_names() or app_kind(text) is not None
            or engine_factory(text) is not None or is_async_session_factory(text) or text.endswith("Tortoise.init")
            or env_getters().match(text) is not None or server_run_calls().match(text) is not None
            or reload_run_calls().match(text) is not None or text.endswith(".add_middleware"))
