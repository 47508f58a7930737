"""project/dev_guards.py: a line is development-only when the nearest enclosing block (by indentation,
blank and comment lines skipped) is an `if`/`elif` whose condition names development, not negated and
not compared with `!=`; a file's lines are decoded once per file; and a guard notes only the lines it read."""
from __future__ import annotations

import textwrap

import pytest

from prodcheck.discovery.sources import SourceFile, recording
from prodcheck.model.files import Context, FileKind
from prodcheck.project.dev_guards import condition_of, dev_guarded, guarded


def _lines(text: str) -> list[str]:
    return textwrap.dedent(text).lstrip("\n").splitlines()


def _guarded_last(text: str) -> bool:
    lines = _lines(text)
    return dev_guarded(lines, len(lines))


@pytest.mark.parametrize("condition", ["settings.DEBUG", "settings.is_sqlite()", 'ENV == "development"',
                                       "config.testing", "LOCAL"])
def test_a_condition_naming_development_guards_the_last_line_of_its_block(condition: str) -> None:
    assert _guarded_last(f"""
        import db
        if {condition}:
            db.create_all()
        """)


def test_elif_guards_like_if() -> None:
    assert _guarded_last("""
        if settings.PRODUCTION:
            run()
        elif settings.DEBUG:
            db.create_all()
        """)


@pytest.mark.parametrize("condition", ["not settings.DEBUG", 'settings.ENV != "dev"', 'settings.ENV!="development"',
                                       "settings.PRODUCTION"])
def test_negated_compared_away_or_unrelated_conditions_guard_nothing(condition: str) -> None:
    assert not _guarded_last(f"""
        if {condition}:
            db.create_all()
        """)


def test_the_nearest_enclosing_block_decides_and_must_be_a_condition() -> None:
    assert not _guarded_last("""
        if settings.DEBUG:
            with debug_session():
                db.create_all()
        """)
    assert not _guarded_last("""
        def debug_setup():
            db.create_all()
        """)


def test_blank_lines_comments_siblings_and_deeper_lines_above_are_passed_over() -> None:
    assert _guarded_last("""
        if settings.DEBUG:
            configure()
            for name in names:
                register(name)

        # a comment at the left margin
            # and an indented one
            db.create_all()
        """)


def test_a_module_level_line_an_if_line_itself_and_lines_out_of_range_are_not_guarded() -> None:
    lines = _lines("""
        if settings.DEBUG:
            db.create_all()
        db.create_all()
        """)
    assert dev_guarded(lines, 2)
    assert not dev_guarded(lines, 3)  # nothing encloses it
    assert not dev_guarded(lines, 1)
    assert not dev_guarded(lines, 0)
    assert not dev_guarded(lines, 4)
    assert not dev_guarded(lines, 40)


def test_the_guard_is_looked_for_59_lines_up_at_most() -> None:
    def module(filler: int) -> list[str]:
        return ["if settings.DEBUG:", *(f"    step_{n} = {n}" for n in range(filler)), "    db.create_all()"]

    near, far = module(58), module(59)
    assert dev_guarded(near, len(near))
    assert not dev_guarded(far, len(far))


def test_a_text_file_gives_its_lines() -> None:
    source = SourceFile("start.sh", FileKind.SHELL, Context.PROD, text="if true\nthen\n")
    assert source.unnoted_lines() == ["if true", "then"]


def test_python_bytes_are_decoded_once_with_bad_bytes_replaced() -> None:
    source = SourceFile("app/main.py", FileKind.PYTHON, Context.PROD, data=b"if DEBUG:\n    x = '\xff'\n")
    lines = source.unnoted_lines()
    assert lines == ["if DEBUG:", "    x = '\ufffd'"]
    assert source.views["_decoded_lines"] is lines
    assert source.unnoted_lines() is lines  # the second call reads the view, not the bytes again
    empty = SourceFile("app/empty.py", FileKind.PYTHON, Context.PROD, data=None)
    assert empty.unnoted_lines() == []


def test_a_guard_notes_the_lines_it_read_not_the_file() -> None:
    """A cached re-run compares these lines only (incremental.Regions): from the line asked about up to the line
    that decided, or the whole window when none did."""
    text = "import db\n\n\nif settings.DEBUG:\n    # create the tables\n\n    db.create_all()\nx = 1\n"
    source = SourceFile("app/main.py", FileKind.PYTHON, Context.PROD, data=text.encode())
    with recording() as reads:
        assert guarded(source, 7)
        assert condition_of(source, 8) is None  # nothing encloses it: every line above it was read
    assert reads.regions == {"app/main.py": {(4, 7), (1, 8)}}
    assert reads.paths == set()


def test_the_walk_stops_at_the_first_line_and_never_wraps_to_the_last() -> None:
    lines = ["    x = 1", "    db.create_all()", "if settings.DEBUG: configure()"]
    assert not dev_guarded(lines, 2)  # nothing above encloses it: the last line is no block around it
