"""Properties (hypothesis) of the shell tokenizer, secret masking and fingerprints.

Crash-freedom of the parsers on hostile input is tested elsewhere; these state what must hold for
every input: a quoted command line reads back as the words it was made of, a secret never
survives masking in any output format, a fingerprint survives line shifts and unrelated edits.
"""
from __future__ import annotations

import io
import shlex
import string
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from prodcheck import engine
from prodcheck.model.finding import mask_secret
from prodcheck.knowledge.commands import runners, user_switchers
from prodcheck.parsing.shell import (
    _KEYWORDS_DROPPED,
    _KEYWORDS_ENDING,
    SHELLS,
    expand_default,
    split_argv,
    split_script,
)
from prodcheck.report import FORMATS, reporter
from prodcheck.settings import Settings

# Characters str.splitlines() breaks on: a command line never contains them.
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_SPECIAL_PROGRAMS = ({"env", "exec", "sh", "bash", "dash", "ash", "zsh"} | set(SHELLS) | user_switchers()
                     | _KEYWORDS_DROPPED | _KEYWORDS_ENDING | {prefix[0] for prefix, _ in runners()})

# Words include quoted operators (`find . -exec rm {} ';'`): a quoted `;` is an argument, not a connector.
_OPERATOR_WORDS = [";", "&&", "||", "|", "&", ";;", "|&", "(", ")", "\\;", "a;b", "(x)"]
words = st.text(st.characters(blacklist_characters=_LINE_BREAKS, blacklist_categories=("Cs",)), min_size=1,
                max_size=12) | st.sampled_from(_OPERATOR_WORDS)
programs = st.from_regex(r"\A[a-z][a-z0-9_.-]{0,10}\Z").filter(lambda p: p not in _SPECIAL_PROGRAMS)


@given(programs, st.lists(words, max_size=6))
def test_a_quoted_command_line_reads_back_as_its_words(program: str, arguments: list[str]) -> None:
    argv = [program, *arguments]
    commands = split_script(shlex.join(argv))
    assert [c.argv for c in commands] == [tuple(argv)]
    assert commands[0].operator == "" and commands[0].env == ()


@given(programs, st.lists(words, max_size=4), programs, st.lists(words, max_size=4), st.sampled_from(["&&", "||", ";", "|"]))
def test_connectors_split_commands_and_are_kept(first: str, first_args: list[str], second: str,
                                                second_args: list[str], connector: str) -> None:
    line = f"{shlex.join([first, *first_args])} {connector} {shlex.join([second, *second_args])}"
    commands = split_script(line)
    assert [c.argv for c in commands] == [(first, *first_args), (second, *second_args)]
    assert [c.operator for c in commands] == ["", connector]


@given(programs, st.lists(words, max_size=4), st.lists(st.integers(0, 3), min_size=1, max_size=4))
def test_each_command_keeps_the_line_it_starts_on(program: str, arguments: list[str], gaps: list[int]) -> None:
    lines: list[str] = []
    starts = []
    for gap in gaps:
        lines.extend([""] * gap)
        starts.append(len(lines) + 1)
        lines.append(shlex.join([program, *arguments]))
    commands = split_script("\n".join(lines), first_line=10)
    assert [c.line for c in commands] == [start + 9 for start in starts]


@given(programs, st.lists(words, max_size=4))
def test_sh_c_runs_the_quoted_script(program: str, arguments: list[str]) -> None:
    inner = shlex.join([program, *arguments])
    assert [c.argv for c in split_argv(["sh", "-c", inner])] == [(program, *arguments)]
    assert [c.argv for c in split_script(shlex.join(["exec", program, *arguments]))] == [(program, *arguments)]


def test_a_quoted_connector_is_an_argument() -> None:
    assert [c.argv for c in split_script("find . -exec rm {} ';'")] == [("find", ".", "-exec", "rm", "{}", ";")]


@given(programs, st.lists(st.text(max_size=12), max_size=6))
def test_exec_form_is_taken_verbatim(program: str, arguments: list[str]) -> None:
    assert [c.argv for c in split_argv([program, *arguments])] == [(program, *arguments)]


@given(st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,8}\Z"), st.text(st.characters(blacklist_characters="}"), max_size=10))
def test_expand_default_reads_the_fallback(name: str, default: str) -> None:
    assert expand_default(f"${{{name}:-{default}}}") == (default, name)
    assert expand_default(f"${{{name}:-{default}}}", {name: "set"}) == ("set", name)


# ----------------------------------------------------------------------------------- masking

# A secret is not made of the mask's own `*`: masking "x*" inside "xx*" leaves "x****".
secrets = st.text(st.characters(blacklist_characters="*", blacklist_categories=("Cs",)), min_size=1, max_size=16)


@given(secrets, st.lists(st.text(max_size=10), min_size=1, max_size=5))
def test_a_masked_text_never_contains_the_secret(secret: str, pieces: list[str]) -> None:
    text = secret.join(pieces)
    masked = mask_secret(text, secret)
    assert secret not in masked
    assert mask_secret(masked, secret) == masked  # idempotent


@given(st.text(st.characters(blacklist_characters="*:@", blacklist_categories=("Cs",)), min_size=1, max_size=12),
       st.text(max_size=10), st.text(max_size=10))
def test_a_url_password_keeps_its_delimiters(password: str, before: str, after: str) -> None:
    assume(f":{password}@" not in before + after)
    masked = mask_secret(f"{before}:{password}@{after}", f":{password}@")
    assert masked == f"{before}:****@{after}"


@given(st.text(st.characters(blacklist_characters="*-}", blacklist_categories=("Cs",)), min_size=1, max_size=12),
       st.text(max_size=10), st.text(max_size=10))
def test_an_interpolated_default_password_keeps_its_delimiters(password: str, before: str, after: str) -> None:
    # `${DB_PASSWORD:-secret}` (PC301 fallback_database_urls): the variable stays readable, the default is masked
    assume(f"-{password}}}" not in before + after)
    masked = mask_secret(f"{before}${{DB_PASSWORD:-{password}}}@{after}", f"-{password}}}")
    assert masked == f"{before}${{DB_PASSWORD:-****}}@{after}"


passwords = st.text(string.ascii_letters + string.digits, min_size=10, max_size=24).filter(
    lambda p: any(c.isdigit() for c in p) and any(c.isalpha() for c in p))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(passwords)
def test_a_secret_never_survives_in_any_output_format(password: str) -> None:
    files = {
        "app/db.py": f'DATABASE_URL = "postgresql://app:{password}@db.internal:5432/app"\n',
        # a settings default: configuration, where any non-placeholder literal is a (weak) secret
        "app/settings.py": f'from pydantic_settings import BaseSettings\n\n\nclass Settings(BaseSettings):\n'
                           f'    SECRET_KEY: str = "{password}"\n',
        ".env": f"API_TOKEN={password}\n",
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for path, text in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text)
        result = engine.run(root, Settings(use_cache=False))
        assert {f.code for f in result.findings} >= {"PC301", "PC302"}
        for name in FORMATS:
            out = io.StringIO()
            reporter(name)(result, out, color=False, frames=True, quiet=False, statistics=True, changed=None)
            assert password not in out.getvalue(), name


# ------------------------------------------------------------------------------ fingerprints

def _fingerprints(files: dict[str, str], code: str) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for path, text in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text)
        result = engine.run(root, Settings(select=(code,), use_cache=False))
        return [f.fingerprint() for f in sorted(result.findings, key=lambda f: f.sort_key())]


unrelated_lines = st.lists(st.sampled_from(["", "# a comment", "import os", "x = 1", "def helper():\n    return 2"]),
                           max_size=6)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unrelated_lines, unrelated_lines)
def test_fingerprints_survive_line_shifts_and_unrelated_edits(above: list[str], below: list[str]) -> None:
    flagged = 'DATABASE_URL = "postgresql://app:Zq8pLm2xW@db.internal/app"'
    other = 'REPLICA_URL = "postgresql://app:Kd93hsPq1@replica.internal/app"'
    original = _fingerprints({"app/db.py": f"{flagged}\n{other}\n"}, "PC301")
    edited = _fingerprints({"app/db.py": "\n".join([*above, flagged, *below, other, ""])}, "PC301")
    assert len(original) == 2
    assert original == edited


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(passwords, min_size=2, max_size=4, unique=True))
def test_distinct_findings_have_distinct_fingerprints(passwords_: list[str]) -> None:
    lines = [f'URL_{i} = "postgresql://app:{p}@db{i}.internal/app"' for i, p in enumerate(passwords_)]
    prints = _fingerprints({"app/db.py": "\n".join(lines) + "\n", "app/copy.py": lines[0] + "\n"}, "PC301")
    assert len(prints) == len(passwords_) + 1
    assert len(set(prints)) == len(prints)  # the same line in another file is another finding
