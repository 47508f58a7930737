"""`exec` is remembered when the shell splitter peels it off (PC104 relies on it)."""
from __future__ import annotations

from prodcheck.parsing.shell import split_argv, split_script
from prodcheck.rules.runtime.shell_form_entrypoint import shell_script


def test_exec_is_recorded_and_survives_wrappers() -> None:
    commands = split_script("set -e\nalembic upgrade head\nexec env A=1 gunicorn app.main:app\n")
    assert [c.exec for c in commands] == [False, False, True]
    assert commands[-1].argv[0] == "gunicorn" and commands[-1].env == (("A", "1"),)
    assert split_argv(["sh", "-c", "alembic upgrade head && exec uvicorn app.main:app"])[-1].exec
    assert not split_argv(["gunicorn", "app.main:app"])[0].exec


def test_shell_script_finds_the_script_after_wrappers() -> None:
    assert shell_script(["tini", "--", "/bin/sh", "-ec", "a && b"]) == (4, "a && b")
    assert shell_script(["bash", "-l", "-c", "x"]) == (3, "x")
    assert shell_script(["gunicorn", "app:app"]) is None
    assert shell_script(["sh", "./start.sh"]) is None


def test_a_multi_line_sh_c_script_reports_each_command_at_its_own_line() -> None:
    from prodcheck.parsing.yaml import load_documents
    from prodcheck.project.infra import k8s_command

    container = load_documents('name: api\ncommand:\n  - "/bin/sh"\n  - "-c"\n  - |\n'
                               '    alembic upgrade head &&\n    exec uvicorn app:app\n')[0]
    commands, _, _, _ = k8s_command(container)
    assert [(c.line, c.argv[0]) for c in commands] == [(6, "alembic"), (7, "uvicorn")]
    # without per-argument lines (a one-line script, a folded scalar) every command keeps the anchor line
    assert [c.line for c in split_argv(["sh", "-c", "a && b"], 3)] == [3, 3]
    assert [c.line for c in split_argv(["env", "X=1", "sh", "-c", "a\nb"], 3, [3, 4, 5, 6, 7])] == [7, 8]


def test_a_quoted_or_escaped_operator_is_a_word_not_a_connector() -> None:
    """`find ... -exec rm {} ';'` (or `\\;`) is one command; `echo "|"` prints a bar and pipes nothing."""
    assert [c.argv for c in split_script("find /tmp -exec rm {} ';' && exec uvicorn app:app")] == [
        ("find", "/tmp", "-exec", "rm", "{}", ";"), ("exec", "uvicorn", "app:app")][:1] + [
        c.argv for c in split_script("exec uvicorn app:app")]
    assert [c.argv for c in split_script("find . -name x -exec rm {} \\; ; gunicorn app:app")] == [
        ("find", ".", "-name", "x", "-exec", "rm", "{}", ";"), ("gunicorn", "app:app")]
    assert [(c.argv, c.operator) for c in split_script('echo "|" | tee log; echo "(" "&&"')] == [
        (("echo", "|"), ""), (("tee", "log"), "|"), (("echo", "(", "&&"), ";")]
    assert [c.argv for c in split_script("echo 'a;b' && alembic upgrade head")] == [
        ("echo", "a;b"), ("alembic", "upgrade", "head")]


def test_a_command_followed_by_an_ampersand_runs_in_the_background() -> None:
    """`&` at the end of a line or between two commands backgrounds the command before it, not the one after;
    `&&` backgrounds nothing, and a quoted `&` is a word."""
    script = "uvicorn app:app &\nalembic upgrade head\ncelery worker & sleep 1 && echo '&'\n"
    assert [(c.program, c.background) for c in split_script(script)] == [
        ("uvicorn", True), ("alembic", False), ("celery", True), ("sleep", False), ("echo", False)]


def test_a_here_document_belongs_to_the_command_that_reads_it() -> None:
    from prodcheck.model.finding import Span
    from prodcheck.parsing.shell import Heredoc
    from prodcheck.project.inline_python import inline_python

    script = ("set -e\npython - <<'PY'\nfrom app.db import migrate\nmigrate()\nPY\n"
              "cat <<-EOF > /etc/app.conf && echo written\n\tport=8000\n\tEOF\n"
              "python3 <<< 'print(1)'\nexec gunicorn app:app\n")
    commands = split_script(script, 10)
    assert [(c.line, c.argv[0], c.heredoc) for c in commands] == [
        (10, "set", None), (11, "python", Heredoc(12, "from app.db import migrate\nmigrate()")),
        (15, "cat", Heredoc(16, "\tport=8000")), (15, "echo", None),
        (18, "python3", None),  # a here-string is no here-document: the script goes on after it
        (19, "gunicorn", None)]
    inline = inline_python(commands[1])
    assert inline is not None and inline.head == "python - <<PY" and inline.line == 12
    assert [call.name for call in inline.facts.calls] == ["app.db.migrate"]
    assert inline.span(inline.facts.calls[0].span, Span(11)) == Span(13, 1, 13, 10)  # the file's line and columns
    dash_c = inline_python(split_script('python -X dev -c "import app; app.init_db()"')[0])
    assert dash_c is not None and dash_c.head == "python -X dev -c" and not dash_c.own_lines
    # a script or a module reads the here-document as its input; a shell reads it as commands
    assert inline_python(split_script("python seed.py <<EOF\nmigrate()\nEOF\n")[0]) is None
    assert inline_python(split_script("python -m app.seed <<EOF\nmigrate()\nEOF\n")[0]) is None
    assert inline_python(split_script("sh <<EOF\nmigrate()\nEOF\n")[0]) is None


def test_a_list_goes_on_over_a_line_that_ends_in_an_operator() -> None:
    """`alembic upgrade head &&` then `uvicorn ...` on the next line is one AND list (POSIX 2.10.2); each
    command keeps its own line."""
    assert [(c.program, c.line, c.operator) for c in split_script("a &&\nb ||\nc\nd |\n\ne\n")] == [
        ("a", 1, ""), ("b", 2, "&&"), ("c", 3, "||"), ("d", 4, "\n"), ("e", 6, "|")]


def test_a_word_quoted_over_several_lines_is_one_word() -> None:
    """A compose folded `command: >` keeps the newline of a more-indented line inside `sh -c "..."`: the quoted
    script is one argument, and the commands it runs are found in it. A quote nothing closes soon (`don't`)
    leaves each line standing alone."""
    text = 'sh -c "alembic upgrade head &&\n       uvicorn app.main:app --port 8000"\n'
    assert [(c.argv, c.operator) for c in split_script(text)] == [
        (("alembic", "upgrade", "head"), ""), (("uvicorn", "app.main:app", "--port", "8000"), "&&")]
    assert [c.program for c in split_script("echo don't\nalembic upgrade head\nexec uvicorn app:app\n")] == [
        "echo", "alembic", "uvicorn"]
    assert [c.program for c in split_script("echo ok # it's fine\nalembic upgrade head\n")] == ["echo", "alembic"]
