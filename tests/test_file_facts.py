"""Per-file facts the project-wide scans read instead of every function's body (extract/file_facts.py)."""
from __future__ import annotations

from prodcheck.extract.python import extract
from prodcheck.model.facts import KEYWORD_LITERAL


def _names(source: str) -> set[str]:
    return set(extract("app/x.py", source.encode()).registry_names)


def test_registry_names_are_entries_of_literals_assigned_or_returned() -> None:
    source = (
        "from app.stores import SqlStore, FileStore, S3Store, Memo\n"
        "BACKENDS = {'sql': SqlStore, 'file': [FileStore]}\n"
        "ALONE = SqlStore\n"  # a global that is the class itself is no registry entry
        "def pick():\n"
        "    local = {'s3': S3Store}\n"
        "    run(local)\n"
        "    return Memo\n"
    )
    assert _names(source) == {"app.stores.SqlStore", "app.stores.FileStore", "app.stores.S3Store",
                              "app.stores.Memo"}


def test_registry_names_leave_out_calls_and_deep_nesting() -> None:
    source = (
        "HANDLERS = [make(Built)]\n"  # an argument of a call is not an entry
        "DEEP = [[[[[Far]]]]]\n"  # deeper than the registry reads
        "NEAR = [[[Near]]]\n"
        "def one():\n    x = Local\n    return None\n"
    )
    assert _names(source) == {"Near"}


def test_a_call_is_flagged_when_a_keyword_holds_a_str_literal() -> None:
    facts = extract("app/x.py", (
        b"connect(password='s3cr3t')\n"
        b"client(key=SecretStr('abc'))\n"
        b"post(headers={'auth': {'token': 'xyz'}})\n"
        b"plain(timeout=5, verbose=True, url=URL)\n"
        b"positional('literal')\n"
        b"nested(options={'depth': 3})\n"
        b"connect(password='again')\n"
    ))
    flagged = {call.name: bool(call.flags & KEYWORD_LITERAL) for call in facts.calls}
    assert flagged == {"connect": True, "client": True, "post": True, "plain": False, "positional": False,
                       "nested": False, "SecretStr": False}
    assert facts.literal_keywords == ("password", "key", "token")  # each once, nested keys too


def test_pc302_reads_the_keywords_of_a_file_where_one_is_named_like_a_secret(tmp_path) -> None:
    """Through the CLI: a literal secret passed as a keyword is found; the same literal under a plain name is not."""
    import json
    import subprocess
    import sys

    secret = "sk_live_9fQ2xLr7TbW4mZ8pK3vN6yH1"
    (tmp_path / "app.py").write_text(f"import stripe\nclient = stripe.Client(api_key='{secret}')\n"
                                     f"other = make(label='{secret}')\n")
    out = subprocess.run([sys.executable, "-m", "prodcheck", str(tmp_path), "--no-cache", "--format", "json"],
                         capture_output=True, text=True, check=False)
    lines = sorted(f["line"] for f in json.loads(out.stdout)["findings"] if f["code"] == "PC302")
    assert lines == [2]


def test_call_names_are_the_names_of_the_calls_each_once_in_their_order() -> None:
    """What the project's index of calls by name reads of a file (project/calls.CallIndex)."""
    from prodcheck.project.calls import CallIndex

    facts = extract("app/x.py", (
        b"import os\n"
        b"from app import db\n"
        b"def main():\n"
        b"    db.connect(os.getenv('URL'))\n"
        b"    db.connect(timeout=5)\n"
        b"    print(len([1]))\n"
        b"os.getenv('OTHER')\n"
    ))
    assert facts.call_names == tuple(dict.fromkeys(call.value.text for call in facts.calls))
    assert facts.call_names == ("app.db.connect", "os.getenv", "print", "len")
    index = CallIndex({facts.path: facts})
    assert set(index.names) == {call.value.text for call in facts.calls}
    assert index.paths_calling({"os.getenv"}) == {"app/x.py"}
