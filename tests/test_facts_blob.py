"""A Python file's facts pickle to the same bytes whatever else the process extracted before them: the digest the
incremental run compares is the digest of the stored pickle (cache.LazyTable.put), which keeps which objects the
facts share, so that sharing must be the file's own. A comment edit then finds the digest of the run that primed the
cache, and the findings are reused without running a rule."""
from __future__ import annotations

import pickle
import uuid
from pathlib import Path

import pytest
from conftest import write_project
from prodcheck import engine
from prodcheck.python_pass import _python_work, plan_python
from prodcheck.settings import Settings


def _blob(path: str, source: str, reduced: bool = False) -> bytes:
    facts = _python_work((path, source.encode(), reduced))[1]
    assert not isinstance(facts, tuple), facts
    return pickle.dumps(facts, protocol=pickle.HIGHEST_PROTOCOL)


def _sources(url: str) -> dict[str, str]:
    """Files that hold the same URL literal, as a call's argument and as a plain constant (a literal is a Value's,
    and a URL literal is also kept on its own: two facts holding the same text)."""
    return {
        "app/db.py": (f"from sqlalchemy import create_engine\n\nURL = '{url}'\n"
                      f"engine = create_engine('{url}', pool_size=5)\n"),
        "app/other.py": f"import requests\n\n\ndef ping():\n    return requests.get('{url}', timeout=5)\n",
        "tests/test_db.py": f"def test_db():\n    assert connect('{url}')\n",
    }


@pytest.mark.parametrize("reduced", [False, True])
def test_a_files_facts_pickle_alike_after_other_files(reduced: bool) -> None:
    url = f"postgresql://app:{uuid.uuid4().hex}@db/app"  # a text no earlier test interned
    sources = _sources(url)
    alone = {path: _blob(path, source, reduced) for path, source in sources.items()}
    kept = [_python_work((path, source.encode(), reduced))[1] for path, source in sources.items()]  # alive
    for path, source in reversed(sources.items()):
        assert _blob(path, source, reduced) == alone[path], path
    assert kept


def test_a_comment_edit_to_any_file_keeps_its_facts_digest(tmp_path: Path) -> None:
    """The digests a run compares (`PythonPlan.digests`, the model key's and the Python rules' inputs): the priming
    run's, of files extracted one after another, and those of a run that extracts only the edited file."""
    url = f"postgresql://app:{uuid.uuid4().hex}@db/app"
    files = {**_sources(url), "app/__init__.py": "", "app/main.py": (
        "from fastapi import FastAPI\n\nfrom app.other import ping\n\napp = FastAPI()\n\n\n"
        "@app.get('/ping')\nasync def route():\n    return ping()\n")}
    root = write_project(tmp_path / "project", files).resolve()
    settings = Settings(use_cache=True, cache_dir=str(tmp_path / "cache"))
    plan = plan_python(root, engine.discover(root, settings), settings)
    plan.save()
    primed = dict(plan.digests)
    assert set(primed) == {"app/db.py", "app/other.py", "app/main.py", "tests/test_db.py"}
    del plan  # (the facts of the other files, and the strings they interned, are let go of)
    for path in sorted(primed):
        write_project(root, {path: files[path] + "# a comment: no fact moves\n"})
        plan = plan_python(root, engine.discover(root, settings), settings)
        assert set(plan.facts) == {path}  # extracted alone: the others' digests are the index's
        assert plan.digests == primed, path
        write_project(root, {path: files[path]})
        del plan


# A dict's one-letter key is its own str object in the facts, a one-letter name the interpreter's shared one: a pickle
# sent back from a worker and unpickled makes them one object (the unpickler hands out the shared one), so the
# parent must keep the worker's pickle, not pickle the facts it unpickled again (python_pass._pooled_work).
ONE_LETTER = "import fastapi\n\n\ndef bucket():\n    return {'n': 0}\n\n\ndef pick(n):\n    return choice(name=n)\n"


def test_a_file_extracted_in_a_worker_has_the_digest_it_has_alone(tmp_path: Path) -> None:
    files = {f"pkg/mod_{index}.py": f"import fastapi\nVALUE_{index} = {index}\n" for index in range(160)}
    files["pkg/one_letter.py"] = ONE_LETTER
    root = write_project(tmp_path / "project", files).resolve()
    digests = []
    for jobs in (1, 2):  # (2: the pool, whatever the machine's CPU count)
        settings = Settings(use_cache=True, cache_dir=str(tmp_path / f"cache{jobs}"), jobs=jobs)
        plan = plan_python(root, engine.discover(root, settings), settings)
        assert len(plan.digests) == len(files)
        digests.append(plan.digests)
    assert digests[0] == digests[1]
    facts = _python_work(("pkg/one_letter.py", ONE_LETTER.encode()))[1]
    assert pickle.dumps(pickle.loads(pickle.dumps(facts))) != pickle.dumps(facts)  # (why the worker's pickle is kept)
