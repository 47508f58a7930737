"""Every family of the blocking knowledge base is reached by a route of tests/fixtures/families.

knowledge/blocking.toml (PC501) and knowledge/cpu_bound.toml (PC503) are data: a family whose entry is
broken (a misspelt name, a lost table, a key the loader no longer reads) would find nothing without
failing a single example. The fixture marks one call per family with `# family: <topic>.<family>`; this
test checks, through the CLI's JSON, that the markers name every family of both files and that each
marked line, and no other, has that topic's finding.
"""
from __future__ import annotations

import re
from pathlib import Path

from conftest import run_json
from prodcheck.knowledge import load

FIXTURE = Path(__file__).parent / "fixtures" / "families"
MARKER = re.compile(r"#\s*family:\s*(?P<topic>\w+)\.(?P<family>[\w-]+)\s*$")
CODE = {"blocking": "PC501", "cpu_bound": "PC503"}
# cpu_bound.toml tables that are no family of their own: methods of the hashers, prefilter words, and
# where payloads come from (read by the compression and JSON families).
_CPU_NOT_FAMILIES = {"methods", "prefilter", "payloads"}


def _families() -> set[str]:
    blocking = {f"blocking.{key}" for key in load("blocking")["family"]} | {"blocking.sqlalchemy"}
    blocking |= {f"blocking.{key}" for key in load("blocking").get("orm", {})}  # [orm.peewee]: model classes
    cpu = {f"cpu_bound.{key}" for key in load("cpu_bound") if key not in _CPU_NOT_FAMILIES}
    if load("cpu_bound")["methods"].get("passlib_handler_modules"):
        cpu.add("cpu_bound.passlib_handlers")
    return blocking | cpu


def _code(family: str) -> str:
    """The rule a marked family's finding comes from: a blocking.toml family marked `cpu` (local model inference)
    computes, and is PC503's."""
    topic, _, key = family.partition(".")
    if topic == "blocking" and load("blocking")["family"].get(key, {}).get("cpu"):
        return CODE["cpu_bound"]
    return CODE[topic]


def _markers() -> dict[tuple[str, int], str]:
    found: dict[tuple[str, int], str] = {}
    for path in sorted(FIXTURE.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = MARKER.search(line)
            if match and not line.lstrip().startswith("#"):
                found[(path.relative_to(FIXTURE).as_posix(), number)] = f"{match['topic']}.{match['family']}"
    return found


def test_the_fixture_marks_every_family_of_both_knowledge_files() -> None:
    marked = set(_markers().values())
    assert marked == _families(), {"unmarked": _families() - marked, "unknown": marked - _families()}


def test_every_family_is_found_where_it_is_marked_and_nowhere_else() -> None:
    _, data = run_json(FIXTURE, "--select", "PC501,PC503")
    findings: dict[tuple[str, int], set[str]] = {}
    for finding in data["findings"]:
        assert finding["severity"] != "info", finding
        findings.setdefault((finding["path"], finding["line"]), set()).add(finding["code"])
    markers = _markers()
    missed = {family: where for where, family in markers.items() if _code(family) not in findings.get(where, set())}
    assert not missed, f"families not found at their marker: {missed}"
    assert set(findings) <= set(markers), {where: codes for where, codes in findings.items() if where not in markers}
