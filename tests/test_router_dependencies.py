"""`PythonIndex.router_dependencies`: the dependencies an app or router (a project subclass of one too) is given
for every route it serves. With a project subclass of an app, only the names of calls given `dependencies=` are
asked whether they build one (`CallIndex.given_keyword`)."""
from __future__ import annotations

from pathlib import Path

from conftest import project_model
from prodcheck.extract.python import extract
from prodcheck.project.calls import CallIndex

_DEPS = """
from fastapi import Depends


def check_token():
    return "t"


def check_admin():
    return "a"


def audit():
    return None


def unrelated():
    return None
"""


def _dependencies(tmp_path: Path, routers: str) -> list[tuple[str, str]]:
    python = project_model(tmp_path, {"app/__init__.py": "", "app/deps.py": _DEPS, "app/main.py": routers}).python
    return [(function.qualname, given) for function, _facts, given in python.router_dependencies]


def test_a_subclassed_router_and_an_app_s_calls_give_their_dependencies(tmp_path: Path) -> None:
    found = _dependencies(tmp_path, """
from fastapi import APIRouter, Depends, FastAPI

from app.deps import audit, check_admin, check_token, unrelated


class VersionedRouter(APIRouter):
    pass


def configure(dependencies=None):
    return dependencies


router = VersionedRouter(prefix="/v1", dependencies=[Depends(check_token)])
plain = APIRouter()
app = FastAPI(dependencies=[Depends(audit)])
configure(dependencies=[Depends(unrelated)])  # no app: its dependencies run for no route
app.include_router(plain, dependencies=[Depends(check_admin)])
app.include_router(router)
""")
    assert found == [("app.deps.check_token", "VersionedRouter(dependencies=...)"),
                     ("app.deps.audit", "FastAPI(dependencies=...)"),
                     ("app.deps.check_admin", "include_router(dependencies=...)")]


def test_without_a_subclassed_app_every_call_name_is_judged_as_before(tmp_path: Path) -> None:
    found = _dependencies(tmp_path, """
from fastapi import APIRouter, Depends, FastAPI

from app.deps import audit, check_token, unrelated

router = APIRouter(dependencies=[Depends(check_token)])
app = FastAPI(dependencies=[Depends(audit)])
print(dependencies=[Depends(unrelated)])
app.include_router(router)
""")
    assert found == [("app.deps.check_token", "APIRouter(dependencies=...)"), ("app.deps.audit", "FastAPI(dependencies=...)")]


def test_the_names_of_the_calls_given_a_keyword() -> None:
    first = extract("app/a.py", b"import fastapi\nr = fastapi.APIRouter(dependencies=[])\nf(x, dependencies=1)\n"
                                b"g(dependencies_=1)\nh('dependencies')\n")
    second = extract("app/b.py", b"f(prefix='/a')\nk(**{'dependencies': 1})\nm(a=1, dependencies=2)\n")
    index = CallIndex({first.path: first, second.path: second})
    # `**{...}` of a literal dict: its keys are keywords as `Value.kwarg` reads them
    assert index.given_keyword("dependencies") == {"fastapi.APIRouter", "f", "k", "m"}
    assert index.given_keyword("prefix") == {"f"} and index.given_keyword("missing") == set()
