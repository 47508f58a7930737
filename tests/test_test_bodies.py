"""extract/test_bodies.py: a test file's test functions keep their calls' names and positions, not their arguments,
unless a reader of every file's calls takes them (then the function is extracted whole); python_pass.reducible says
which files are test files; the engine extracts a test file whole again when the model places it elsewhere."""
from __future__ import annotations

import textwrap
from pathlib import Path

from prodcheck import engine
from prodcheck.discovery.sources import SourceFile
from prodcheck.extract.python import extract
from prodcheck.model.facts import KEYWORD_LITERAL, PyFacts
from prodcheck.model.files import Context, FileKind
from prodcheck.python_pass import load_python, plan_python, reducible
from prodcheck.rules_pass import check
from prodcheck.settings import Settings

_TEST = '''
from app.main import app
from app.store import Store


@pytest.fixture
def client():
    return make_client(app, headers={"x": "1"})


def helper(client):
    return client.get("/items", params={"page": 1})


class TestItems:
    def test_create(self, client):
        response = client.post("/items", json={"name": "a", "tags": ["x"]})
        self.store = Store(name="kept", size=2)

        def fake(value):
            return Store(name=value)

        assert response.status_code == 201
        return response
'''


def _facts(source: str, reduced: bool, path: str = "tests/test_items.py") -> PyFacts:
    return extract(path, textwrap.dedent(source).encode(), reduced)


def test_a_test_function_keeps_its_calls_names_and_positions_not_their_arguments() -> None:
    whole, reduced = _facts(_TEST, False), _facts(_TEST, True)
    # the flags of the call's place; KEYWORD_LITERAL is one of its arguments, which a reduced call has not
    assert [(c.name, c.span, c.scope, c.flags & ~KEYWORD_LITERAL) for c in reduced.calls] == \
        [(c.name, c.span, c.scope, c.flags & ~KEYWORD_LITERAL) for c in whole.calls]
    post = next(c for c in reduced.calls if c.name == "client.post")
    assert not post.value.items and not post.value.flat_keywords and not post.flags & KEYWORD_LITERAL
    assert next(c for c in whole.calls if c.name == "client.post").value.flat_keywords
    test = next(f for f in reduced.functions if f.qualname.endswith("test_create"))
    assert test.local("response") == post.value  # a local holds the call as kept
    # what is read of any file stays whole: fixtures and helpers, an object's attributes, a nested function
    for kept in ("tests.test_items.client", "tests.test_items.helper", "tests.test_items.TestItems.test_create.fake"):
        assert next(f for f in reduced.functions if f.qualname == kept) == \
            next(f for f in whole.functions if f.qualname == kept)
    assert reduced.assigns == whole.assigns and reduced.assigns
    assert reduced.imports == whole.imports and reduced.classes == whole.classes


def test_a_call_whose_arguments_a_reader_takes_makes_the_test_function_whole() -> None:
    for call in ('app.add_middleware(CORSMiddleware, allow_origins=["*"])', "app.include_router(router, prefix='/v1')",
                 'create_engine(DSN, pool_size=size)', 'os.getenv("APP_DEBUG", "1")', 'settings("SERVICE_DEBUG")',
                 'uvicorn.run(app, reload=True)', 'app.get("/x")(handler)', 'FastAPI(lifespan=lifespan)'):
        source = f'''
            import os
            import uvicorn
            from fastapi import FastAPI
            from sqlalchemy import create_engine

            def test_app(client):
                size = int(os.environ.get("SIZE", "5"))
                client.get("/x", params={{"a": 1}})
                {call}
        '''
        assert _facts(source, True) == _facts(source, False), call


def test_the_files_extracted_reduced() -> None:
    def source(path: str, context: Context, kind: FileKind = FileKind.PYTHON) -> SourceFile:
        return SourceFile(path=path, kind=kind, context=context, data=b"")

    plain = b"def test_x(client):\n    client.get('/')\n"
    assert reducible(source("tests/test_x.py", Context.TEST), plain)
    assert not reducible(source("app/x.py", Context.PROD), plain)
    assert not reducible(source("tests/test_x.py", Context.DEV), plain)  # a configured glob moved it
    assert not reducible(source("tests/test_x.py", Context.TEST), plain + b"DSN = 'postgresql://u:p@db/x'\n")
    assert not reducible(source("tests/test_x.py", Context.TEST), plain + b"x = 1  # prodcheck: ignore[PC302]\n")
    assert not reducible(source("tests/gunicorn.conf.py", Context.TEST, FileKind.GUNICORN_CONF), plain)


def test_a_test_file_the_model_places_in_production_is_extracted_whole(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "", "app/routes/__init__.py": "",
        "app/routes/oauth_test.py": """
            from fastapi import APIRouter

            router = APIRouter()

            def test_token(client):
                return client.post("/token", data={"user": "a"})
        """,
        "app/main.py": """
            from fastapi import FastAPI

            from app.routes import oauth_test

            app = FastAPI()
            app.include_router(oauth_test.router)
        """,
    }
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(textwrap.dedent(text))
    settings = Settings(use_cache=False, jobs=1)
    sources = engine.discover(tmp_path, settings)
    plan = plan_python(tmp_path, sources, settings)
    python = load_python(plan)
    path = "app/routes/oauth_test.py"
    whole = extract(path, (tmp_path / path).read_bytes())
    assert path in plan.reduced and python[path] != whole
    check(tmp_path, sources, python, settings, None, plan.reduced)
    assert python[path] == whole
    assert next(s for s in sources if s.path == path).context == Context.PROD
