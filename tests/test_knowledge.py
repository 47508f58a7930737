"""The knowledge layer: one copy of each fact, one matcher, a prefilter derived from the data.

The fixture projects under tests/fixtures/knowledge are regressions for facts that used to exist in
several differing copies: each folder is named `<CODE>-<case>` and `# expect: CODE` markers name
exactly where that rule must fire (only that rule is checked).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from expectations import markers
from prodcheck import engine
from prodcheck.cli import main
from prodcheck.knowledge import load, needle, qualified_names, topics
from prodcheck.knowledge.migrations import migration_command
from prodcheck.knowledge.names import Names
from prodcheck.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "knowledge"
PROJECTS = sorted(p for p in FIXTURES.iterdir() if p.is_dir())


def _files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("root", PROJECTS, ids=[p.name for p in PROJECTS])
def test_knowledge_fixture(root: Path) -> None:
    code = root.name.split("-", 1)[0]
    expected = {where for where, found in markers(_files(root)).items() if any(m.code == code for m in found)}
    result = engine.run(root, Settings(select=(code,), use_cache=False))
    found = {(f.path, f.span.line) for f in result.findings if f.code == code}
    assert found == expected, f"{root.name}: expected {sorted(expected)}, found {sorted(found)}"


# ---------------------------------------------------------------- the matcher


def test_names_exact_prefix_suffix_and_bare() -> None:
    names = Names(["os.getenv", "sqlalchemy.orm.*", "*.metadata.create_all", "getenv"])
    assert names.match("os.getenv") == "os.getenv"
    assert names.match("os.getenvb") is None and names.match("xos.getenv") is None
    assert names.match("sqlalchemy.orm.Session") == "sqlalchemy.orm.*"
    assert names.match("sqlalchemy.ormx") is None
    assert names.match("app.models.Base.metadata.create_all") == "*.metadata.create_all"
    assert names.match("metadata.create_all") == "*.metadata.create_all"
    assert names.match("app.notmetadata.create_all") is None
    assert names.match("getenv") == "getenv"
    assert "os.getenv" in names and "os.environ" not in names


def test_names_method_on_instance() -> None:
    names = Names(["environs.Env().str", "environ.Env()"])
    built = {"app.settings.env": "environs.Env", "app.settings.denv": "environ.Env"}.get
    assert names.match("environs.Env().str") == "environs.Env().str"  # chained call
    assert names.match("app.settings.env.str", built) == "environs.Env().str"
    assert names.match("app.settings.env.int", built) is None
    assert names.match("app.settings.denv", built) == "environ.Env()"
    assert names.match("app.settings.env.str") is None  # nothing says what `env` is
    assert names.match("app.settings.other.str", built) is None
    assert names.constructors() == {"environs.Env", "environ.Env"}


# ---------------------------------------------------------------- the data


def test_every_topic_parses_and_cites_its_sources() -> None:
    assert topics()
    for topic in topics():
        assert load(topic)
        text = (Path(engine.__file__).parent / "knowledge" / f"{topic}.toml").read_text(encoding="utf-8")
        assert re.search(r"https?://|man \d", text), f"{topic}.toml cites no source"


def test_migration_commands() -> None:
    assert migration_command(["alembic", "upgrade", "head"]) == "alembic upgrade"
    assert migration_command(["/usr/local/bin/python3", "-m", "alembic", "upgrade", "head"]) == "alembic upgrade"
    assert migration_command(["npx", "prisma", "migrate", "deploy"]) == "prisma migrate deploy"
    assert migration_command(["prisma", "generate"]) is None
    assert migration_command(["alembic", "downgrade", "-1"]) is None
    assert migration_command([]) is None


# ---------------------------------------------------------------- the prefilter


def test_prefilter_keeps_every_file_that_names_a_knowledge_entry() -> None:
    """A file whose only reference to the outside world is one knowledge name is still parsed."""
    names = list(qualified_names())
    assert names
    for topic, name in names:
        written = name.replace("*.", "x.").replace("()", "").replace(".*", ".thing")
        top = written.partition(".")[0]
        source = f"import {top}\n\ndef helper():\n    return {written}()\n".encode()
        assert engine._needs_parse(source), f"{topic}: {name} (needle {needle(name)!r})"


def test_prefilter_reads_a_name_by_its_last_part_not_its_package() -> None:
    """`django.contrib.auth.hashers.make_password` needs no `django` needle: every file that names it
    writes `make_password`, which holds the word `password`. A file that only imports Django is not read."""
    assert not engine._needs_parse(b"from django.db import models\n\nclass Book(models.Model):\n    pass\n")
    assert engine._needs_parse(b"from app.auth import make_password\n\nhashed = make_password(raw)\n")
    assert b"django" not in engine.python_needles()


def test_prefilter_reads_a_name_by_another_names_needle_in_its_last_part() -> None:
    """`*.metadata.drop_all` needs no `metadata` needle (its longest part, tied with `drop_all`): every file that
    calls it writes `drop_all`, the needle `*.meta.drop_all` brings. A file that only holds the word `metadata`
    (a model's metadata field) is not read; one that drops every table still is, whatever it names the object."""
    assert b"metadata" not in engine.python_needles()
    assert b"drop_all" in engine.python_needles()
    assert not engine._needs_parse(b"class Product:\n    metadata = {}\n\ndef tags(product):\n    return product.metadata\n")
    assert engine._needs_parse(b"from app.models import Base\n\ndef reset(engine):\n    Base.metadata.drop_all(engine)\n")
    assert engine._needs_parse(b"from app.models import schema\n\ndef reset(engine):\n    schema.drop_all(engine)\n")
    # a package's needle stays though its names end in a covered word (`stripe.StripeClient`, `hvac.Client`): the
    # family matches any resource class of the module by its name
    assert engine._needs_parse(b"import stripe\n\ndef pay(pm):\n    stripe.PaymentMethod.attach(pm, customer='c')\n")


def test_prefilter_reads_file_io_only_beside_async_code() -> None:
    """File I/O, sockets and the project's own router are in too many files to parse each: a helper
    module that uses them is read only when it also holds `async def` (where they can block a loop)."""
    helper = b"import shutil\n\ndef archive(path):\n    shutil.copy(path, '/srv/archive')\n"
    assert not engine._needs_parse(helper)
    assert engine._needs_parse(helper.replace(b"def archive", b"async def archive"))
    routes = b"from app.web import router\n\n@router.get('/items')\nasync def items():\n    return []\n"
    assert engine._needs_parse(routes)
    assert not engine._needs_parse(routes.replace(b"async def", b"def"))


def test_needle_is_never_a_tiny_package_name() -> None:
    assert needle("os.system") == "system"
    assert needle("time.sleep") == "sleep"
    assert needle("elasticsearch.Elasticsearch") == "elasticsearch"
    assert needle("*.metadata.create_all") == "create_all"


def test_a_four_letter_package_outside_the_standard_library_is_its_own_needle() -> None:
    """`paho`, `hvac`, `zeep` are rarer than any part of their names (`client`, `Client`, `multiple`: words of a fifth
    of a project's files); a standard-library module of four letters (`time`, `json`) is in most files."""
    assert needle("paho.mqtt.client.Client") == "paho"
    assert needle("paho.mqtt.publish.multiple") == "paho"
    assert needle("hvac.Client") == "hvac"
    assert needle("time.sleep") == "sleep"
    assert b"client" not in engine.python_needles() and b"Client" not in engine.python_needles()
    assert not engine._needs_parse(b"from app.api import client\n\ndef fetch():\n    return client.get_items()\n")
    assert engine._needs_parse(b"import paho.mqtt.publish as publish\n\ndef send():\n    publish.single('t', 'x')\n")


# ---------------------------------------------------------------- parse up front


def test_select_pc000_reports_every_unparsable_file(project) -> None:
    """Every file of a known kind that cannot be read is a PC000, whichever rules are selected: broken
    YAML (compose, Kubernetes, workflow), a Dockerfile without FROM, broken TOML (fly.toml,
    pyproject.toml), a Python syntax error in a module rules read, and bytes that are not UTF-8 in a
    YAML file, a Dockerfile and an env file."""
    from conftest import run_json

    root = project({
        "compose.yaml": "services:\n  web:\n    image: [unclosed\n",
        "Dockerfile": "RUN echo no FROM here\n",
        "deploy/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: [x\n",
        ".github/workflows/ci.yml": "on: push\njobs:\n  test: {runs-on: [\n",
        "fly.toml": "app = \n",
        "pyproject.toml": '[project]\nname = "shop"\ndependencies = [\n',
        "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI(\n",
    })
    (root / "k8s").mkdir()
    (root / "k8s" / "config.yaml").write_bytes(b"apiVersion: v1\nkind: ConfigMap\ndata:\n  note: caf\xe9\n")
    (root / "worker").mkdir()
    (root / "worker" / "Dockerfile").write_bytes(b"FROM python:3.12-slim\nRUN echo caf\xe9\n")
    (root / ".env").write_bytes(b"DATABASE_URL=\xff\xfe\n")
    expected = {"compose.yaml", "Dockerfile", "deploy/app.yaml", ".github/workflows/ci.yml", "fly.toml",
                "pyproject.toml", "app/main.py", "k8s/config.yaml", "worker/Dockerfile", ".env"}
    for selection in (["--select", "PC000"], []):
        _, report = run_json(root, *selection)
        found = {f["path"] for f in report["findings"] if f["code"] == "PC000"}
        assert found == expected, (selection, found)


# ---------------------------------------------------------------- every table is well-formed


def _lists(node: object, where: str):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _lists(value, f"{where}.{key}")
    elif isinstance(node, list):
        yield where, node
        for position, value in enumerate(node):
            if isinstance(value, (dict, list)):
                yield from _lists(value, f"{where}[{position}]")


@pytest.mark.parametrize("topic", topics())
def test_every_list_of_every_topic_is_well_formed(topic: str) -> None:
    """No empty or blank entry, no duplicate, no stray whitespace: a typo here changes findings silently."""
    for where, entries in _lists(load(topic), topic):
        strings = [e for e in entries if isinstance(e, str)]
        assert all(s and s == s.strip() for s in strings), f"{where}: blank or padded entry"
        assert len(strings) == len(set(strings)), f"{where}: duplicate {[s for s in strings if strings.count(s) > 1]}"


def test_typed_accessors_load_every_table() -> None:
    """Each typed loader reads its table and returns what its callers expect."""
    from prodcheck.knowledge import actions, commands, frameworks, packaging, servers

    assert "main" in actions.branch_refs() and all(r == r.lower() for r in actions.branch_refs())
    assert set(packaging.cache_switches()) == {"pip", "uv"}
    assert all(s.env.isupper() and all(f.startswith("-") for f in s.flags) for s in packaging.cache_switches().values())
    assert set(packaging.manifests()) >= {"pip", "uv", "poetry", "pipenv", "pdm"}
    assert {"test", "docs", "dev"} <= packaging.side_requirement_words()
    drop = commands.privilege_drop()
    for script in ("exec gosu app uvicorn", "su-exec app x", "chpst  -u app x", "s6-setuidgid app x", "su -c 'x' app",
                   "runuser -u app -- x", "setpriv --reuid=1000 x"):
        assert drop.search(script), script
    assert not drop.search("subprocess consume gosumi") and not drop.search("sudo apt-get install")
    assert frameworks.route_get_methods() <= frameworks.route_methods()
    assert frameworks.route_classes() == {"Route", "APIRoute"}
    assert dict(frameworks.fastapi_default_routes())["docs_url"] == "/docs"
    # `[run_calls]` is one list; the calls given the app are derived from it.
    assert {"uvicorn.run", "granian.Granian", "hypercorn.asyncio.serve"} <= set(servers.server_app_calls().entries)
    assert not any("()" in entry for entry in servers.server_app_calls().entries)
    kinds = load("kubernetes")["workloads"]
    assert set(kinds["long_running"]) < set(kinds["kinds"])
    assert "Secret" in load("secrets")["code"]["wrappers"]


def test_select_pc000_reports_a_syntax_error_the_prefilter_skips(project, tmp_path) -> None:
    """A module naming nothing a rule reads is not analysed, but its syntax error is a PC000 whatever
    is selected, at the extractor's line; a file only newer Python accepts is no error (the
    extractor's reader decides); with the cache, a second run reports the same from the index."""
    from conftest import run_json

    root = project({
        "tools/helper.py": "x = 1\n\ndef helper(:\n    return 1\n",
        "tools/aliases.py": "type Pair = tuple[int, int]\n\ndef first[T](items: list[T]) -> T:\n    return items[0]\n",
        "tools/outside.py": "return 1\n",  # `compile` rejects it, `ast` (what every rule reads) accepts it
    })
    for name in ("helper.py", "aliases.py", "outside.py"):
        assert not engine._needs_parse((root / "tools" / name).read_bytes())  # the prefilter skips each of them
    for selection in (["--select", "PC000"], []):
        _, report = run_json(root, *selection)
        found = [(f["path"], f["line"]) for f in report["findings"] if f["code"] == "PC000"]
        assert found == [("tools/helper.py", 3)], selection
    cache = ["--cache-dir", str(tmp_path / "cache")]
    for _ in range(2):  # the first run fills the index, the second reads the verdicts from it
        result = CliRunner().invoke(main, ["check", str(root), "--format", "json", "--select", "PC000", *cache])
        assert [f["path"] for f in json.loads(result.output)["findings"]] == ["tools/helper.py"], result.output


def test_prefilter_does_not_read_a_django_migration_for_its_import() -> None:
    """`migrat` and the DDL statements find start-up helpers (`run_migrations()`, `conn.execute("CREATE TABLE ...")`,
    PC401); a Django migration module holds the word through `from django.db import migrations`, its statements in
    `RunSQL`, and runs only when `manage.py migrate` applies it."""
    migration = (b"from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
                 b"    dependencies = [('shop', '0001_initial')]\n"
                 b"    operations = [migrations.AddField('order', 'note', models.TextField(default=''))]\n")
    assert not engine._needs_parse(migration)
    assert engine._needs_parse(migration.replace(b"default=''", b"default='password'"))  # another word still counts
    helper = b"from app.db import run_migrations\n\n\ndef start():\n    run_migrations()\n"
    assert engine._needs_parse(helper)
    # ... nor for the raw SQL it hands `manage.py migrate` (`[ddl] statements`, words of PC401's start-up DDL)
    raw = migration.replace(b"migrations.AddField('order', 'note', models.TextField(default=''))",
                            b"migrations.RunSQL('ALTER TABLE shop_order DROP COLUMN note')")
    assert not engine._needs_parse(raw) and not engine._needs_parse(raw.lower())
    assert engine._needs_parse(b"def start(conn):\n    conn.execute('ALTER TABLE shop_order DROP COLUMN note')\n")
    # an Alembic revision is read for its `down_revision` (PC405 reads its `op.execute("DROP TABLE ...")`)
    assert engine._needs_parse(b"from django.db import migrations\ndown_revision = 'a1'\n"
                               b"def upgrade():\n    op.execute('DROP TABLE t')\n")


def test_prefilter_reads_a_url_only_beside_a_database_scheme() -> None:
    """`://` finds the database URLs rules read (PC301's credentials, PC502's sync drivers, PC403's connectionless
    dialects): a file whose only URLs are web addresses is not read for them. Every scheme those rules know holds
    one of the texts that make the word count (knowledge/databases.toml [prefilter.with])."""
    import re

    from prodcheck.knowledge import load
    from prodcheck.prefilter import needle_with
    from prodcheck.rules import helpers
    from prodcheck.rules.secrets import settings_urls

    texts = needle_with()[b"://"]
    databases = load("databases")
    schemes = {*databases["sync_schemes"], *databases["connectionless_schemes"]["schemes"],
               *re.findall(r"[a-z]+", helpers._DB_URL.pattern.split("://")[0].split("?P<scheme>")[1].split(")(?:")[0]),
               *re.findall(r"[a-z]+", settings_urls._SCHEMES)}
    schemes -= {"ql", "srv"}  # `postgres(?:ql)?`, `mongodb(?:\+srv)?`: pieces of the patterns, not schemes
    assert {"postgresql", "mongodb", "cockroachdb", "bigquery", "sqlite"} <= schemes
    for scheme in schemes:
        assert any(text.decode() in scheme.lower() for text in texts), scheme
    assert not engine._needs_parse(b"def test_home(client):\n    assert client.get('https://example.com/').ok\n")
    assert engine._needs_parse(b"DATABASE_URL = 'postgresql://app:secret@db/app'\n")
    assert engine._needs_parse(b"DATABASE_URL = 'sqlite+aiosqlite:///./app.db'\n")


def test_prefilter_does_not_read_a_settings_decorator() -> None:
    """`settings(` finds settings accessors (`def get_settings() -> Settings`) and their callers (PC304, PC402); a
    test decorated `@override_settings(...)` (Django) or `@settings(...)` (Hypothesis) names none."""
    test = b"from django.test import override_settings\n\n\n@override_settings(DEBUG=False)\ndef test_a():\n    pass\n"
    assert not engine._needs_parse(test)
    assert not engine._needs_parse(b"class T:\n    @hypothesis.settings(max_examples=5)\n    def test_b(self): pass\n")
    assert engine._needs_parse(test + b"\n\nconfig = get_settings()\n")
    assert engine._needs_parse(b"@lru_cache\ndef get_settings() -> Settings:\n    return Settings()\n")


def test_prefilter_reads_a_package_by_its_own_name() -> None:
    """A file that names `together.Together` writes `together` as a name of its own (in its import, or before the dot);
    Django's `unique_together` or a helper `run_concurrently` holds the package's name inside a longer one and names
    nothing of it. A needle another name needs inside longer names (`*.` method parts, `[prefilter] words` such as
    `password`) still counts there, and a longer package (`slack_sdk` beside `slack`) keeps a needle of its own."""
    from prodcheck.prefilter import whole_word_needles

    whole = whole_word_needles()
    assert {b"together", b"concurrent", b"sqlalchemy", b"on_event"} <= whole
    assert not {b"password", b"_token", b"://", b"migrat"} & whole
    assert b"slack_sdk" in engine.python_needles() and b"slack" in whole
    assert not engine._needs_parse(b"class Meta:\n    unique_together = (('a', 'b'),)\n")
    assert not engine._needs_parse(b"def run_concurrently(jobs):\n    return [job() for job in jobs]\n")
    assert not engine._needs_parse(b"def make_transaction_event(order):\n    return {'order': order}\n")
    assert engine._needs_parse(b"from together import Together\n\nclient = Together()\n")
    assert engine._needs_parse(b"import concurrent.futures\n")
    assert engine._needs_parse(b"@app.on_event('startup')\nasync def start():\n    pass\n")
    assert engine._needs_parse(b"from slack_sdk import WebClient\n")


def test_prefilter_does_not_read_a_test_for_its_asyncio_marker() -> None:
    """`asyncio` finds `asyncio.run`, `asyncio.to_thread` ...; pytest-asyncio's `@pytest.mark.asyncio` names none."""
    test = b"import pytest\n\n\n@pytest.mark.asyncio\nasync def test_a(client):\n    assert await client.ping()\n"
    assert not engine._needs_parse(test)
    assert engine._needs_parse(test + b"\n\ndef test_b():\n    asyncio.run(main())\n")


def _searched(data: bytes) -> bool:
    """The prefilter's answer as its definition states it: some needle counts in the bytes, or async code holds
    one of the async words. A needle counts where it is, unless the file holds one of its `unless` texts, or lacks
    all of its `with` texts (in any case), or only writes it in a decorator's name, or, one of `needle_valued`, where
    no string literal can be what a secret's name holding it names (and the file holds none of its `anywhere` texts)."""
    import re

    from prodcheck.prefilter import (async_needles, needle_not_in_decorators, needle_unless, needle_valued,
                                     needle_with, whole_word_needles)
    from prodcheck.prefilter_values import Judges, valued_at
    from prodcheck.rules.secrets.secret_values import is_refusable_placeholder, is_secret_name

    unless, beside, decorators, whole = needle_unless(), needle_with(), needle_not_in_decorators(), whole_word_needles()
    valued = needle_valued()

    def counts(needle: bytes) -> bool:
        text = data
        if needle in decorators:  # `@override_settings(`: the decorator's name is no occurrence
            text = re.sub(rb"(?m)^([ \t]*@)[A-Za-z0-9_.]*" + re.escape(needle), rb"\1", text)
        if needle in valued and not any(t in data for t in valued[needle].anywhere):
            found = any(valued_at(data, m.start(), m.end(), valued[needle].calls,
                                  Judges(is_secret_name, is_refusable_placeholder))
                        for m in re.finditer(re.escape(needle), data))
        else:
            found = (re.search(rb"(?<![A-Za-z0-9_])" + re.escape(needle) + rb"(?![A-Za-z0-9_])", text) is not None
                     if needle in whole else needle in text)
        return (found and not any(t in data for t in unless.get(needle, ()))
                and (needle not in beside or any(t in data.lower() for t in beside[needle])))

    return any(counts(n) for n in engine.python_needles()) or (
        b"async def" in data and any(n in data for n in async_needles()))


@pytest.mark.parametrize("tried_first", [0, 32])
def test_prefilter_on_a_files_words_answers_as_a_search_of_its_bytes(monkeypatch: pytest.MonkeyPatch,
                                                                     tried_first: int) -> None:
    """Past the needles tried first, the prefilter searches a file's distinct words (prefilter._word_needles):
    a needle inside a longer name, after digits or non-ASCII letters, one spanning punctuation or spaces, one
    holding no identifier (`://`) and one a django import cancels give the answer a search of the bytes gives."""
    from prodcheck import prefilter

    monkeypatch.setattr(prefilter, "_FIRST_TRIED", tried_first)
    monkeypatch.setattr(prefilter, "_needle_order", [])
    sources = [
        b"hashed = make_password(raw)\n", b"x = 3sqlalchemy\n", "v = \u00e9password\n".encode(),
        b"rows = db.session.query(User)\n", b"rows = db.session .query(User)\n", b"query = session\n",
        b"URL = 'https://example.com'\n", b"op.execute('CREATE TABLE t (id int)')\n", b"CREATE\nTABLE = 1\n",
        b"from django.db import migrations\nclass Migration(migrations.Migration): pass\n",
        b"from django.db import migrations\nrun_migrations()\n", b"import os\nos.wait()\n", b"os. wait\n",
        b"def f():\n    return 1\n", b"", b"async def f():\n    open(path)\n", b"x_token_2 = '1'\n", b"_TOKEN = '1'\n",
        b"x_token_y = '1'\n", b"x_token_2 = 1\n", b"_TOKEN == y\n",
        b"URL = 'postgresql+asyncpg://app@db/app'\n", b"URL = 'SQLITE:///app.db'\n",
        b"@override_settings(DEBUG=True)\ndef test_a(): pass\n", b"    @hypothesis.settings(max_examples=5)\n",
        b"@override_settings(A=get_settings())\n", b"settings = get_settings()\n", b"x = a @settings(b)\n",
        b"unique_together = ('a', 'b')\n", b"from together import Together\n", b"x = transaction_event\n",
        b"@app.on_event('startup')\n", b"import sqlalchemy_utils\n", b"import sqlalchemy.orm\n", b"x = 1sqlalchemy\n",
        b"@pytest.mark.asyncio\nasync def test(): await asyncio.sleep(1)\n",
    ]
    answers = [prefilter._needs_parse(source) for source in sources]
    assert answers == [_searched(source) for source in sources]
    assert [answers[i] for i in (0, 3, 4, 5, 6, 7, 9, 10)] == [True, True, False, False, False, True, False, False]
    # a secret's name counts beside a literal only; a name that only holds the word is none
    assert answers[16:21] == [True, True, False, False, False]
    assert answers[-15:-8] == [True, True, False, False, True, True, True]
    assert answers[-8:] == [False, True, False, True, False, True, False, True]


def test_prefilter_finds_every_needle_of_other_bytes_wherever_it_is_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """A needle holding a byte other than an identifier's (`session.query(`, `CREATE TABLE`) is searched in the bytes
    only when the file's words hold one of its parts (prefilter._part_of_runs): written alone, inside longer names on
    either side, or between other bytes, each is found as a search of the bytes finds it."""
    from prodcheck import prefilter

    monkeypatch.setattr(prefilter, "_FIRST_TRIED", 0)
    monkeypatch.setattr(prefilter, "_needle_order", [])
    # (a needle of `[prefilter.unless]` counts in each source below, none of which holds its texts)
    others = [n for n in engine.python_needles() if not set(n) <= prefilter.IDENTIFIER_BYTES
              and n not in prefilter.needle_with() and n not in prefilter.needle_not_in_decorators()]
    assert b"session.query(" in others and b"CREATE TABLE" in others and prefilter._needle_patterns()[3] is not None
    assert prefilter._part_of_runs(b"session.query(") == b"\0query\0"
    assert prefilter._part_of_runs(b"CREATE TABLE") == b"\0TABLE"
    for word in others:
        for source in (word, b"x_" + word + b"_y", b"(" + word + b")", b"a = '" + word + b"'\n"):
            assert prefilter._needs_parse(source) == _searched(source), source
            assert prefilter._needs_parse(source), source
    assert not prefilter._needs_parse(b"query = 1\nTABLE = 2\n")


def test_a_resource_class_method_blocks_unless_it_sends_nothing() -> None:
    """`resources` (knowledge/blocking.toml): every public class method of a module's resource class makes a
    request, a custom action too; the family's `safe` methods, `_async` twins and private ones do not, and a
    lower-case module attribute (`stripe.error`) is no resource class."""
    from prodcheck.knowledge.blocking import blocking

    kb = blocking()
    for name in ("stripe.PaymentMethod.attach", "stripe.Customer.create_balance_transaction",
                 "stripe.checkout.Session.expire", "stripe.test_helpers.TestClock.advance"):
        family = kb.function(name)
        assert family is not None and family.key == "stripe", name
    for name in ("stripe.Webhook.construct_event", "stripe.Event.construct_from", "stripe.Customer.retrieve_async",
                 "stripe.Customer._cls_request", "stripe.error.CardError", "stripe.util.convert_to_stripe_object",
                 "stripe.PaymentMethod.attach.extra", "stripe.PaymentMethod"):
        assert kb.function(name) is None, name


def test_a_package_named_with_a_common_word_is_read_by_how_its_calls_are_written() -> None:
    """Modal's package name is a word of user-interface code (a Slack or HTML modal): no needle; a file that looks a
    Modal function up by name is still read."""
    assert b"modal" not in engine.python_needles()
    assert not engine._needs_parse(b"def open_modal(view):\n    return {'type': 'modal', 'view': view}\n")
    assert engine._needs_parse(b"import modal\n\ndef render(x):\n    return modal.Function.from_name('a', 'f').remote(x)\n")


def test_a_module_whose_listed_functions_all_block_in_one_family() -> None:
    """`getattr(requests, method)` picks one of requests' functions, each [family.requests]; `os` lists functions
    of several families (file I/O, subprocess), and a module with fewer than three listed functions says too
    little."""
    from prodcheck.knowledge.blocking import blocking

    kb = blocking()
    family = kb.module_family("requests")
    assert family is not None and family.key == "requests"
    assert kb.module_family("os") is None
    assert kb.module_family("time") is None
    assert kb.module_family("string") is None
