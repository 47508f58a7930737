"""project/served_routes.py: a route module whose name says development or tests is production when a chain of
`include_router` / `mount` calls (also through a project helper) leads from its router to an app built in a
production file, none of the calls under a development guard or in a test file; at most eight includes deep."""
from __future__ import annotations

import itertools
from pathlib import Path

from conftest import project_model
from prodcheck.model.files import Context
from prodcheck.project.served_routes import served_by_production

_ROUTER = "from fastapi import APIRouter\n\nrouter = APIRouter()\n"
_PACKAGES = {"app/__init__.py": "", "app/routes/__init__.py": ""}


def _placed(tmp_path: Path, files: dict[str, str]) -> dict[str, tuple[Context, str]]:
    project = project_model(tmp_path, {**_PACKAGES, **files})
    return {path: (source.context, source.context_reason) for path, source in project.by_path.items()}


def test_include_router_and_mount_serve_a_debug_named_module(tmp_path: Path) -> None:
    placed = _placed(tmp_path, {
        "app/routes/admin_debug.py": _ROUTER, "app/routes/dev_tools.py": _ROUTER, "app/routes/oauth_test.py": _ROUTER,
        "app/routes/debug_stub.py": _ROUTER,
        "app/main.py": """
            from fastapi import FastAPI

            from app.routes import admin_debug, dev_tools, debug_stub, oauth_test

            app = FastAPI()
            app.include_router(admin_debug.router)
            app.mount("/tools", dev_tools.router)
            app.mount("/oauth", app=oauth_test.router)
            include_router(debug_stub.router)
            registry.include_router(debug_stub.router)
            app.include_router(unknown_router)
        """})
    assert placed["app/routes/admin_debug.py"] == (
        Context.PROD, "the production app `app.main.app` serves its routes (app/main.py:6 includes its router)")
    assert placed["app/routes/dev_tools.py"] == (
        Context.PROD, "the production app `app.main.app` serves its routes (app/main.py:7 includes its router)")
    assert placed["app/routes/oauth_test.py"] == (
        Context.PROD, "the production app `app.main.app` serves its routes (app/main.py:8 includes its router)")
    assert placed["app/routes/debug_stub.py"][0] == Context.DEV  # a bare call: no app includes it


def test_a_project_helper_that_includes_one_parameter_into_another(tmp_path: Path) -> None:
    placed = _placed(tmp_path, {
        "app/routes/oauth_test.py": _ROUTER, "app/routes/debug_panel.py": _ROUTER, "app/routes/dev_auth.py": _ROUTER,
        "app/main.py": """
            from fastapi import FastAPI

            from app.routes import debug_panel, dev_auth, oauth_test


            class Registry:
                def add(self, application, router):
                    application.include_router(router)


            def add_router(application: FastAPI, router, **kwargs) -> None:
                log(router)
                application.include_router(router, prefix="/v1", **kwargs)


            def add_twice(application, router, other):
                application.include_router(make_router())
                other.include_router(router)


            app = FastAPI()
            add_router(app, oauth_test.router)
            add_router(router=debug_panel.router, application=app)
            Registry().add(app, dev_auth.router)
        """})
    assert placed["app/routes/oauth_test.py"] == (
        Context.PROD, "the production app `app.main.app` serves its routes (app/main.py:22 includes its router)")
    assert placed["app/routes/debug_panel.py"] == (
        Context.PROD, "the production app `app.main.app` serves its routes (app/main.py:23 includes its router)")
    assert placed["app/routes/dev_auth.py"][0] == Context.DEV  # a method is no helper


def test_a_helper_found_after_the_first_includes_other_parameters(tmp_path: Path) -> None:
    placed = _placed(tmp_path, {
        "app/routes/debug_panel.py": _ROUTER,
        "app/main.py": """
            from fastapi import FastAPI

            from app.routes import debug_panel


            def attach(router, application, spare=None):
                application.include_router(get_router())
                application.include_router(router)
                spare.include_router(router)


            app = FastAPI()
            attach(debug_panel.router, app, unknown)
        """})
    assert placed["app/routes/debug_panel.py"] == (
        Context.PROD, "the production app `app.main.app` serves its routes (app/main.py:13 includes its router)")


def test_an_app_built_inside_a_factory_and_one_a_factory_returns(tmp_path: Path) -> None:
    placed = _placed(tmp_path, {
        "app/routes/admin_debug.py": _ROUTER, "app/routes/dev_tools.py": _ROUTER,
        "app/routes/test_hooks.py": _ROUTER, "app/routes/dev_only.py": _ROUTER, "app/routes/debug_made.py": _ROUTER,
        "app/factory.py": """
            from fastapi import APIRouter, FastAPI

            from app.routes import admin_debug, debug_made, dev_tools, dev_only, test_hooks


            def create_app() -> FastAPI:
                application = FastAPI()
                application.include_router(admin_debug.router)
                return application


            def configure():
                print("configured")


            def main():
                application = create_app()
                application.include_router(dev_tools.router)
                helper = configure()
                helper.include_router(test_hooks.router)
                api = APIRouter()
                api.include_router(dev_only.router)


            def wire():
                registry.include_router(dev_only.router)
                plugins = load_plugins()
                plugins.include_router(dev_only.router)


            def make_app():
                return FastAPI()


            def serve():
                application = make_app()
                application.include_router(debug_made.router)
        """})
    assert placed["app/routes/debug_made.py"] == (
        Context.PROD, "the production app `app.factory.serve.application` serves its routes "
        "(app/factory.py:37 includes its router)")
    assert placed["app/routes/admin_debug.py"] == (
        Context.PROD, "the production app `app.factory.create_app.application` serves its routes "
        "(app/factory.py:8 includes its router)")
    assert placed["app/routes/dev_tools.py"] == (
        Context.PROD, "the production app `app.factory.main.application` serves its routes "
        "(app/factory.py:18 includes its router)")
    assert placed["app/routes/test_hooks.py"][0] == Context.TEST  # what `configure()` returns is no app
    assert placed["app/routes/dev_only.py"][0] == Context.DEV  # a local router nothing includes, what an unknown call returns


def test_an_include_under_a_development_guard_or_in_a_test_file_serves_nothing(tmp_path: Path) -> None:
    placed = _placed(tmp_path, {
        "app/routes/debug_tools.py": _ROUTER, "app/routes/dev_panel.py": _ROUTER, "app/routes/debug_both.py": _ROUTER,
        "app/main.py": """
            from fastapi import FastAPI

            from app.config import settings
            from app.routes import debug_both, debug_tools

            app = FastAPI()
            if settings.DEBUG:
                app.include_router(debug_tools.router)
                app.include_router(debug_both.router)
            app.include_router(debug_both.router)
        """,
        "tests/test_app.py": """
            from app.main import app
            from app.routes import dev_panel

            app.include_router(dev_panel.router)
        """})
    assert placed["app/routes/debug_tools.py"][0] == Context.DEV
    assert placed["app/routes/dev_panel.py"][0] == Context.DEV
    assert placed["app/routes/debug_both.py"] == (
        Context.PROD, "the production app `app.main.app` serves its routes (app/main.py:10 includes its router)")


def test_an_app_built_in_a_development_file_serves_nothing(tmp_path: Path) -> None:
    placed = _placed(tmp_path, {
        "app/routes/debug_tools.py": _ROUTER,
        "app/dev_server.py": """
            from fastapi import FastAPI

            from app.routes import debug_tools

            app = FastAPI()
            app.include_router(debug_tools.router)
        """})
    assert placed["app/routes/debug_tools.py"][0] == Context.DEV
    assert placed["app/dev_server.py"][0] == Context.DEV


def test_a_router_under_a_test_folder_keeps_its_context(tmp_path: Path) -> None:
    placed = _placed(tmp_path, {
        "tests/__init__.py": "", "tests/routes.py": _ROUTER,
        "app/main.py": "from fastapi import FastAPI\n\nfrom tests import routes\n\napp = FastAPI()\napp.include_router(routes.router)\n"})
    assert placed["tests/routes.py"][0] == Context.TEST


def _chain(edges: int) -> dict[str, str]:
    """`app/routes/debug_tools.py`'s router reached from the app through `edges` include calls."""
    lines = ["from fastapi import APIRouter, FastAPI", "", "from app.routes import debug_tools", "", "app = FastAPI()"]
    lines += [f"r{n} = APIRouter()" for n in range(1, edges)]
    names = ["debug_tools.router", *(f"r{n}" for n in range(1, edges)), "app"]
    lines += [f"{parent}.include_router({child})" for child, parent in itertools.pairwise(names)]
    return {"app/routes/debug_tools.py": _ROUTER, "app/main.py": "\n".join(lines) + "\n"}


def test_a_chain_of_eight_includes_is_followed_and_nine_is_not(tmp_path: Path) -> None:
    assert _placed(tmp_path / "eight", _chain(8))["app/routes/debug_tools.py"] == (
        Context.PROD, "the production app `app.main.app` serves its routes (app/main.py:13 includes its router)")
    assert _placed(tmp_path / "nine", _chain(9))["app/routes/debug_tools.py"][0] == Context.DEV


def test_include_cycles_and_second_routers_of_a_module(tmp_path: Path) -> None:
    placed = _placed(tmp_path, {
        "app/routes/debug_tools.py": """
            from fastapi import APIRouter

            admin = APIRouter()
            router = APIRouter()
            admin.include_router(router)
            router.include_router(admin)
        """,
        "app/main.py": """
            from fastapi import FastAPI

            from app.routes import debug_tools

            app = FastAPI()
            app.include_router(debug_tools.router)
        """})
    assert placed["app/routes/debug_tools.py"] == (
        Context.PROD, "the production app `app.main.app` serves its routes (app/routes/debug_tools.py:6 includes its router)")


def test_a_pinned_file_keeps_its_context(tmp_path: Path) -> None:
    project = project_model(tmp_path, {**_PACKAGES, "app/routes/admin_debug.py": _ROUTER, "app/main.py": """
        from fastapi import FastAPI

        from app.routes import admin_debug

        app = FastAPI()
        app.include_router(admin_debug.router)
    """})
    project.by_path["app/routes/admin_debug.py"].context = Context.DEV
    assert served_by_production(project.views, frozenset({"app/routes/admin_debug.py"})) == {}
    assert list(served_by_production(project.views, frozenset())) == ["app/routes/admin_debug.py"]


def test_a_development_app_on_the_way_does_not_end_the_search(tmp_path: Path) -> None:
    include = "from fastapi import FastAPI\n\nfrom app.routes import debug_tools\n\napp = FastAPI()\napp.include_router(debug_tools.router)\n"
    placed = _placed(tmp_path, {"app/routes/debug_tools.py": _ROUTER, "app/main.py": include,
                                "scripts/dev_server.py": include})
    assert placed["app/routes/debug_tools.py"] == (
        Context.PROD, "the production app `app.main.app` serves its routes (app/main.py:6 includes its router)")


def test_an_include_in_a_test_file_read_first_does_not_hide_the_production_one(tmp_path: Path) -> None:
    """The router is included twice: first (in the order files are read) by a test file's conftest, then by the
    production app. The test file's include is skipped and the app's own one still serves the routes."""
    placed = _placed(tmp_path, {
        "app/routes/debug_tools.py": _ROUTER,
        "app/conftest.py": "from app.main import app\nfrom app.routes import debug_tools\n\napp.include_router(debug_tools.router)\n",
        "app/main.py": "from fastapi import FastAPI\n\nfrom app.routes import debug_tools\n\napp = FastAPI()\napp.include_router(debug_tools.router)\n"})
    assert placed["app/conftest.py"][0] == Context.TEST
    assert placed["app/routes/debug_tools.py"] == (
        Context.PROD, "the production app `app.main.app` serves its routes (app/main.py:6 includes its router)")


def test_a_chain_cut_at_eight_includes_does_not_end_the_search(tmp_path: Path) -> None:
    """The router is included straight by the app and, in a file read later, by a chain of eight routers that no app
    includes: the long chain (followed first) is cut at eight includes and the app's own include still serves it."""
    chain = ["from fastapi import APIRouter", "", "from app.routes import debug_tools", ""]
    chain += [f"r{n} = APIRouter()" for n in range(1, 10)]
    chain += [f"r{n}.include_router({'debug_tools.router' if n == 1 else f'r{n - 1}'})" for n in range(1, 10)]
    placed = _placed(tmp_path, {
        "app/routes/debug_tools.py": _ROUTER, "app/routes/zz_chain.py": "\n".join(chain) + "\n",
        "app/main.py": "from fastapi import FastAPI\n\nfrom app.routes import debug_tools\n\napp = FastAPI()\napp.include_router(debug_tools.router)\n"})
    assert placed["app/routes/debug_tools.py"] == (
        Context.PROD, "the production app `app.main.app` serves its routes (app/main.py:6 includes its router)")
