"""parsing/yaml.py resolves a scalar's implicit tag as PyYAML's resolver does, with or without its walk."""
from __future__ import annotations

import pytest
import yaml

from prodcheck.parsing.yaml import _TAGGED_LENGTH, _scalar_tag, load_documents

_LONG = "x" * _TAGGED_LENGTH
VALUES = ["", "yes", "No", "~", "null", "12", "-3.5e+2", ".inf", "0x1F", "2024-01-01", "<<", "=", "hello",
          "http://example.com/" + _LONG, "123" + "4" * _TAGGED_LENGTH, "1.5" + "0" * _TAGGED_LENGTH,
          "true" + _LONG, "~" + _LONG, "-" + _LONG, "." + _LONG, "+" + _LONG, "é" + _LONG, " " + _LONG,
          "2024-01-01 10:00:00.000000000000000000000000000000000000000", "0b" + "1" * _TAGGED_LENGTH]


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("implicit", [(True, False), (False, True), (False, False), (True, True)])
def test_tag_is_the_resolvers(value: str, implicit: tuple[bool, bool]) -> None:
    assert _scalar_tag(value, implicit) == yaml.resolver.Resolver().resolve(yaml.ScalarNode, value, implicit)


def test_long_plain_and_quoted_scalars_in_a_document() -> None:
    number, text, quoted = "1" * 50, "a" * 50, "'" + "1" * 50 + "'"
    document = load_documents(f"a: {number}\nb: {text}\nc: {quoted}\n")[0]
    assert [document.get(key).tag for key in "abc"] == [  # type: ignore[union-attr]  # the keys are there
        "tag:yaml.org,2002:int", "tag:yaml.org,2002:str", "tag:yaml.org,2002:str"]


def test_a_python_only_scan_does_not_import_pyyaml(tmp_path) -> None:
    """parsing/yaml.py imports PyYAML when it first parses YAML: a scan of Python files alone never loads it."""
    import json
    import subprocess
    import sys

    (tmp_path / "app.py").write_text("from sqlalchemy import create_engine\n\nengine = create_engine(URL)\n")
    code = ("import json, sys\nfrom prodcheck.cli import main\n"
            "try:\n    main.main(['check', sys.argv[1], '--no-cache', '--format', 'json', '--output', sys.argv[2]])\n"
            "except SystemExit:\n    pass\n"
            "print(json.dumps('yaml' in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path), str(tmp_path / "report.json")],
                         capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) is False
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: app\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path), str(tmp_path / "report.json")],
                         capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) is True
