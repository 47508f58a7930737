"""PC501 reach on patterns of real services no label covered: what a construction of a subclass says about how
the server builds its objects (rules/concurrency/hierarchy.py `_built`)."""
from __future__ import annotations

from pathlib import Path

from conftest import run_json

FIXTURES = Path(__file__).parent / "fixtures" / "precision"


def _pc501(name: str) -> list[tuple[str, int, str]]:
    _, report = run_json(FIXTURES / name, "--select", "PC501")
    return sorted((f["path"], f["line"], f["severity"]) for f in report["findings"])


def test_a_subclass_built_only_in_a_demo_or_a_test_does_not_hide_the_factory_s_others() -> None:
    """A factory imports the configured step class by name (`getattr(importlib.import_module(...), name)`) and a
    route awaits it; one step is also built by name in its module's `__main__` demo and in a test. Neither is
    how the server builds steps, so every step's implementation may run: the webhook step's `requests.post` is
    reported. A base whose production code builds one subclass by name still runs only that one: the mail
    notifier a test builds is not reported."""
    assert _pc501("PC501-subclass-built-in-a-demo") == [("app/steps/webhook.py", 8, "error")]
