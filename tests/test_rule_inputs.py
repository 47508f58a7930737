"""The rules that read only the project's Python side (rule_inputs.PYTHON_ONLY) re-run only when it moved:
an edit to a deployment file reuses their drafts, an edit to a fact or to a file's context runs them again,
and what is reported is what a run without the cache reports either way."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from prodcheck.cli import main
from prodcheck.project import Project
from prodcheck.rule_inputs import PYTHON_ONLY, PythonOnly
from prodcheck.rules import all_rules

SERVICE = {
    "app/__init__.py": "",
    "app/main.py": (
        "import bcrypt\nimport requests\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        "@app.get('/rates')\nasync def rates():\n    return requests.get('https://rates.example.com').json()\n\n\n"
        "@app.post('/users')\nasync def create_user(password: str):\n"
        "    return bcrypt.hashpw(password.encode(), bcrypt.gensalt())\n"
    ),
    "Dockerfile": 'FROM python:3.12-slim\nUSER app\nCOPY . .\nCMD ["uvicorn", "app.main:app", "--host", "0.0.0.0"]\n',
}


def _scan(root: Path, *args: str) -> dict:
    result = CliRunner().invoke(main, ["check", str(root), "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The codes of the PYTHON_ONLY rules each time one runs its check."""
    ran: list[str] = []
    for code in PYTHON_ONLY:
        rule_class = all_rules()[code]
        original = rule_class.check

        def check(self: object, project: Project, original: object = original, code: str = code) -> Iterator[object]:
            ran.append(code)
            yield from original(self, project)  # type: ignore[operator]  # the rule's own check

        monkeypatch.setattr(rule_class, "check", check)
    return ran


def test_a_deployment_edit_reuses_the_python_rules_drafts_and_a_fact_edit_does_not(
        tmp_path: Path, counted: list[str]) -> None:
    root = tmp_path / "project"
    for relative, text in SERVICE.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    cache_dir = tmp_path / "cache"
    first = _scan(root, "--cache-dir", str(cache_dir))
    assert {f["code"] for f in first["findings"]} >= {"PC501", "PC503"}
    assert sorted(counted) == sorted(PYTHON_ONLY)
    steps = [
        # a deployment file: the Python side is as it was, the drafts are reused
        ("Dockerfile", '"0.0.0.0"]', '"0.0.0.0", "--reload"]', False),
        # a fact of a Python file: the rules run again
        ("app/main.py", "rates.example.com", "rates.example.org", True),
        # the Python file's context moves, its facts do not (the configuration says it is development code)
        ("pyproject.toml", "", '[tool.prodcheck]\ndevelopment = ["app/main.py"]\n', True),
        # a comment in the configuration: nothing the rules read moved
        ("pyproject.toml", "[tool.prodcheck]", "# who runs what\n[tool.prodcheck]", False),
    ]
    for relative, old, new, runs in steps:
        counted.clear()
        edited = root / relative
        edited.write_text(edited.read_text().replace(old, new, 1) if edited.exists() else new)
        report = _scan(root, "--cache-dir", str(cache_dir))
        assert bool(counted) is runs, (relative, new, counted)
        assert report == _scan(root, "--no-cache"), (relative, new)


def test_a_python_only_rule_is_given_the_python_index_and_nothing_else() -> None:
    view = PythonOnly(object())  # type: ignore[arg-type]  # any index: only the attribute's presence matters
    with pytest.raises(AttributeError):
        view.views  # type: ignore[attr-defined]  # noqa: B018 - what a rule reading past its inputs meets
