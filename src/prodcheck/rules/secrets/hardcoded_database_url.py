"""PC301 hardcoded-database-url. Docs and tests: rules/PC301-hardcoded-database-url.md"""
from __future__ import annotations

import posixpath
from collections.abc import Collection, Iterator

from prodcheck.knowledge import load
from prodcheck.knowledge.templates import is_template_name
from prodcheck.model.facts import PyFacts
from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Location, Severity, Span
from prodcheck.parsing.yaml import YNode
from prodcheck.project import Project
from prodcheck.project.chart_defaults import chart_values, default_secret
from prodcheck.project.infra import scalar_location
from prodcheck.project.sources import SourceFile
from prodcheck.project.views import written_without
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.rules.secrets.settings_urls import settings_url_passwords
from prodcheck.rules.secrets.throwaway_databases import containers_started, internal_datastores, is_test_job, \
    published_datastores
from prodcheck.rules.helpers import DatabaseUrl, classes_based_on, database_urls, fallback_database_urls
from prodcheck.lazy_pattern import lazy

_DOC_KEYWORDS = frozenset(load("secrets")["documenting"]["keywords"])  # a URL there is an example
_WORD = lazy(r"[A-Za-z]{2,}")
# a value that is one `${VAR:-default}` (also `KEY=${VAR:-default}` of a list-form `environment:`)
_WHOLE_DEFAULT = lazy(r"^(?:[A-Za-z_][A-Za-z0-9_]*=)?\$\{([A-Za-z_][A-Za-z0-9_]*):?-([^}$]+)\}$")
_PROSE_WORDS = 4  # words around a URL that make its string a sentence, not a value


def _in_prose(text: str, url: DatabaseUrl) -> bool:
    """A URL inside a sentence (a help text, a console message, a docstring's example:
    "or pass --database-string 'postgresql://user:pass@host/db'"): it documents the shape of a
    connection string for a reader, nothing connects with it. A value is the URL alone, or with a
    key or a command word around it (`DATABASE_URL="postgresql://..."`, `psql postgresql://...`)."""
    rest = text[: url.start] + " " + text[url.start + len(url.text):]
    return len(_WORD.findall(rest)) >= _PROSE_WORDS and len(rest.split()) >= _PROSE_WORDS


def _message(url: DatabaseUrl, where: str) -> str:
    return (f"database URL with a literal password `{url.masked}` {where}: anyone with the repository "
            "has the database, and rotating it means a deploy")


def _local_message(url: DatabaseUrl, where: str, whose: str, read_from: str) -> str:
    """A URL pointing at this machine: production cannot reach it, so its password opens nothing there."""
    return (f"database URL with a literal password `{url.masked}` pointing at this machine, {where}: {whose}, which "
            f"production cannot reach, so the password opens nothing there; read the URL from {read_from} so no "
            "deploy ends up with it")


# Where a file's literals are defaults (`_defaults`): an environment getter's or a `Field`'s (their spans), a line of a
# settings class's field
_Defaults = tuple[set[Span], set[Span], set[int]]


def _defaults(facts: PyFacts, getters: Collection[str]) -> _Defaults:
    fallbacks = {
        item.span for call in facts.calls if call.name in getters
        for item in (*call.value.items[1:], *(v for k, v in call.value.keywords if k == "default"))
    }
    field_defaults = {
        item.span for call in facts.calls if call.name.endswith("Field")
        for item in (*call.value.items[:1], *(v for k, v in call.value.keywords if k == "default"))
    }
    settings_classes = classes_based_on(facts, ("Settings",))
    class_defaults = {line for a in facts.assigns if a.scope in settings_classes
                      for line in range(a.span.line, max(a.span.line, a.value.span.end_line) + 1)}
    return fallbacks, field_defaults, class_defaults


class HardcodedDatabaseUrl(Rule):
    meta = RuleMeta(
        code="PC301", name="hardcoded-database-url", core=True,
        summary="A database URL with literal credentials in code or config",
        severity=Severity.ERROR,
        kinds=("py", "dockerfile", "compose", "k8s", "workflow", "alembic.ini", "env", "procfile", "shell"),
        security=8.0,
    )

    def check(self, project: Project) -> Iterator[Draft]:
        yield from self._python(project)
        yield from self._yaml(project)
        yield from self._dockerfiles(project)
        yield from self._text_files(project)
        yield from self._chart_databases(project)

    # ------------------------------------------------------------ Helm chart defaults

    def _chart_databases(self, project: Project) -> Iterator[Draft]:
        """A bundled database dependency's literal password in the chart's default values: every
        default install's database URL carries it (project/chart_defaults.py)."""
        for value in chart_values(project):
            text = default_secret(value)
            if value.database is None or text is None or database_urls(text):
                continue
            yield self.draft(
                f"the bundled `{value.database}` database gets the literal password `****` from the chart's "
                f"default values (`{value.key}`): every install that keeps the defaults connects with a database "
                "URL whose password everyone with the chart knows; leave it empty and `required`, or point "
                "the chart at an existing Secret",
                scalar_location(value.values.path, value.node), severity=Severity.WARNING, secrets=(text,))

    # ------------------------------------------------------------ Python

    def _python(self, project: Project) -> Iterator[Draft]:
        getters = project.python.env_getter_names
        stack_stores = {name for names in internal_datastores(project).values() for name in names}
        for facts in project.python_facts.values():
            if not facts.strings:
                continue
            defaults: _Defaults | None = None  # made for the file's first URL: most files' literals hold none
            for literal in facts.strings:
                if literal.role.startswith("kwarg:") and literal.role[6:] in _DOC_KEYWORDS:
                    continue  # (docstrings never get here: the extractor keeps no bare string)
                for url in database_urls(literal.value):
                    if _in_prose(literal.value, url):
                        continue  # an example in a message or help text, not a configured connection
                    location = Location(facts.path, literal.span)
                    if defaults is None:
                        defaults = _defaults(facts, getters)
                    fallbacks, field_defaults, class_defaults = defaults
                    fallback = (literal.span in fallbacks or literal.span in field_defaults
                                or literal.span.line in class_defaults)
                    context = Context.DEV if literal.in_main else None
                    if fallback and url.is_local:
                        # The same finding as a local URL in an `or` fallback or in code: a warning.
                        yield self.draft(
                            f"database URL with a literal password `{url.masked}` as the fallback default when the "
                            "variable is unset: a deploy that forgets the variable runs against these credentials "
                            "(and a local address) instead of failing at startup; make the setting required",
                            location, severity=Severity.WARNING, secrets=(url.secret,), context=context)
                    elif fallback:
                        yield self.draft(
                            f"database URL with a literal password `{url.masked}` as the fallback when the "
                            "environment variable is unset: a deploy that forgets it silently uses these "
                            "credentials, and everyone with the repository has them", location,
                            severity=Severity.WARNING, secrets=(url.secret,), context=context)
                    elif url.is_local:
                        # Not a fallback: a developer's own database (an example request, a local
                        # default a branch returns). Production cannot reach localhost, so the
                        # password opens nothing there; no leak, at most a loud connection error.
                        yield self.draft(_local_message(url, "in code", "a developer's local database", "configuration"),
                                         location, secrets=(url.secret,), context=context, severity=Severity.INFO)
                    elif url.host.lower() in stack_stores:
                        # `postgres` is a compose service of the repository that publishes no port: the URL
                        # is the stack's (a setup tool writing it into the stack's .env), usable only beside it.
                        yield self.draft(
                            f"database URL with a literal password `{url.masked}` in code, for the compose stack's "
                            f"own `{url.host}` container (which publishes no port outside the host): everyone with "
                            "the repository knows the password of any deployment that keeps it; read it from an "
                            "environment variable or generate one per deployment",
                            location, secrets=(url.secret,), context=context, severity=Severity.WARNING)
                    else:
                        yield self.draft(_message(url, "in code"), location, secrets=(url.secret,), context=context)
            for password in settings_url_passwords(project, facts).values():
                field = password.field.rsplit(".", 1)[-1]
                yield self.draft(
                    f"the database URL `{password.builder}` builds takes its password from the literal default of "
                    f"`{field}` (`****`) when the variable is unset: a deploy that forgets it connects with a password "
                    "everyone with the repository knows; make the field required (no default) so a missing value "
                    "fails at startup", Location(facts.path, password.value.span), severity=Severity.WARNING,
                    secrets=(password.password,))

    # ------------------------------------------------------------ YAML files

    def _yaml(self, project: Project) -> Iterator[Draft]:
        internal = internal_datastores(project)
        published = published_datastores(project)
        for source, document in project.compose_files:
            if "://" not in (source.text or ""):
                continue  # a URL, literal or `${VAR:-default}`, is written with its scheme in the file itself
            if written_without(source, document, "@"):
                continue  # no URL with a password, literal or a fallback (both need the `@`)
            yield from self._scan_node(source, document, None, internal.get(source.path, set()),
                                       published.get(source.path, set()), interpolated=True)
        seen: set[int] = set()
        for source, document in project.k8s_documents:
            if id(document) in seen:
                continue
            seen.add(id(document))
            if written_without(source, document, "://") or written_without(source, document, "@"):
                continue  # no URL with a password in it (`database_urls` needs both)
            yield from self._scan_node(source, document, None)
        for source in project.of_kind(FileKind.PLATFORM):
            if source.path.endswith((".yaml", ".yml")):
                for document in project.yaml(source):
                    yield from self._scan_node(source, document, None)
        deploying = {(workflow.path, job.key) for workflow in project.workflow_jobs
                     for job, _ in workflow.deploy_jobs(project.workflow_jobs)}
        for source, document in project.workflows:
            jobs = document.get("jobs")
            for job_name, job in jobs.entries() if jobs is not None else []:
                service_hosts = set()
                services = job.get("services")
                for name, _ in services.entries() if services is not None else []:
                    service_hosts.add(name.lower())
                started = set() if (source.path, job_name) in deploying else containers_started(job)
                for node in job.scalars_with("://"):
                    for url in database_urls(node.text or ""):  # nothing in a text without `://`
                        if services is not None and (url.is_local or url.host.lower() in service_hosts):
                            continue  # a throw-away CI service container
                        if url.host.lower() in started:
                            continue  # a container the job starts itself (`docker run --name postgres`), gone with it
                        if url.is_local and (source.path, job_name) not in deploying:
                            continue  # a database on the runner itself (a compose stack it starts), gone with it
                        context = Context.TEST if is_test_job(job_name, job) else None
                        yield self.draft(_message(url, f"in workflow job `{job_name}`"),
                                         _scalar_location(source, node, url), secrets=(url.secret,),
                                         context=context)

    def _scan_node(self, source: SourceFile, document: YNode, context: Context | None,
                   internal: Collection[str] = frozenset(),
                   published: Collection[str] = frozenset(), interpolated: bool = False) -> Iterator[Draft]:
        """`interpolated`: the file's values go through compose interpolation, where `${VAR:-default}` is the
        default when VAR is unset."""
        # `POSTGRES_PASSWORD: ${DB_PASSWORD:-secret}` elsewhere in the file: the fallback is reported there, once, on
        # the line that sets the password (PC302); a URL that interpolates the same variable repeats it
        # Only an interpolated file has such defaults: the other documents are walked once, not twice.
        # Only values that hold `${` (a fallback) or `://` (a URL) can give a draft: the walk keeps those alone.
        nodes = document.scalars_with("${", "://") if interpolated else document.scalars_with("://")
        set_elsewhere = {match.group(1, 2) for node in nodes if node.text and "${" in node.text
                         and (match := _WHOLE_DEFAULT.match(node.text.strip())) is not None} if interpolated else set()
        for node in nodes:
            text = node.text
            if not text:
                continue
            if interpolated and "${" in text:
                for url in fallback_database_urls(text):
                    if (url.variable, url.password) in set_elsewhere:
                        continue
                    yield self.draft(
                        f"database URL falls back to a literal password `{url.masked}` when `{url.variable}` is unset: "
                        "a deploy that forgets the variable connects with a password everyone with the repository "
                        f"knows; write `${{{url.variable}:?{url.variable} is required}}` so compose refuses to start "
                        "without it", _scalar_location(source, node, url), secrets=(url.secret,), context=context,
                        severity=Severity.WARNING)
            if "://" in text:
                for url in database_urls(text):
                    if url.host.lower() in published:
                        yield self.draft(
                            f"database URL with a literal password `{url.masked}` in configuration, for the "
                            f"stack's own `{url.host}` container, which publishes its port on every interface of "
                            "the host: anyone who reaches the host logs in with a password everyone with the "
                            "repository knows; read it from an environment variable or a secret, and publish the "
                            "port on 127.0.0.1 at most", _scalar_location(source, node, url), secrets=(url.secret,),
                            context=context)
                        continue
                    if url.host.lower() in internal:
                        # The stack's own database container, reachable only from the stack's network:
                        # the password is still everyone's, but only a container beside it can use it.
                        yield self.draft(
                            f"database URL with a literal password `{url.masked}` in configuration, for the "
                            f"stack's own `{url.host}` container (which publishes no port outside the host): "
                            "everyone with the repository knows the password of any deployment that keeps "
                            "this file as it is; read it from an environment variable or a secret",
                            _scalar_location(source, node, url), secrets=(url.secret,), context=context,
                            severity=Severity.WARNING)
                    else:
                        yield self.draft(_message(url, "in configuration"), _scalar_location(source, node, url),
                                         secrets=(url.secret,), context=context)

    # ------------------------------------------------------------ Dockerfiles and text files

    def _dockerfiles(self, project: Project) -> Iterator[Draft]:
        for source, view in project.dockerfiles:
            for instruction in view.instructions:
                if instruction.keyword not in {"ENV", "ARG"}:
                    continue
                for url in database_urls(instruction.value):
                    yield self.draft(_message(url, f"in `{instruction.keyword}`, baked into every image layer"),
                                     _line_location(source.path, instruction.line, source.line(instruction.line), url),
                                     secrets=(url.secret,))

    def _text_files(self, project: Project) -> Iterator[Draft]:
        for source in project.of_kind(FileKind.ALEMBIC_INI):
            overridden = _env_py_sets_url(project, source)
            for _section, entry in project.ini_entries(source):
                for url in database_urls(entry.value):
                    location = _line_location(source.path, entry.line, source.line(entry.line), url)
                    if overridden:
                        # env.py replaces it before any migration connects: dead configuration, still committed
                        yield self.draft(f"database URL with a literal password `{url.masked}` in `alembic.ini` is "
                                         f"never used (`{overridden}` sets `sqlalchemy.url` before migrations "
                                         "connect), but its password is committed: remove it, or leave a "
                                         "placeholder without credentials",
                                         location, secrets=(url.secret,), severity=Severity.INFO)
                    elif url.is_local:
                        # A developer's database (what `alembic revision` runs against): production cannot
                        # reach it, so its password opens nothing there; a deploy that migrated with this
                        # file would fail to connect, loudly, rather than touch another database.
                        yield self.draft(
                            f"database URL with a literal password `{url.masked}` in `alembic.ini` points at this "
                            "machine: a developer's local database, which production cannot reach (a migration "
                            "run there with this file fails to connect); set `sqlalchemy.url` from the "
                            "environment in env.py so the deploy's database is the one migrated",
                            location, secrets=(url.secret,), severity=Severity.INFO)
                    else:
                        yield self.draft(_message(url, "in `alembic.ini`"), location, secrets=(url.secret,))
        stack_stores = {name for names in internal_datastores(project).values() for name in names}
        for source in project.of_kind(FileKind.ENV):
            name = source.path.rsplit("/", 1)[-1].lower()
            if is_template_name(name):
                continue  # templates document the variables; their values are placeholders
            for entry in project.env_entries(source):
                for url in database_urls(entry.value):
                    location = _line_location(source.path, entry.line, source.line(entry.line), url)
                    if url.host.lower() in stack_stores:
                        # an env file of a compose stack, pointing at the stack's own unpublished database
                        yield self.draft(
                            f"database URL with a literal password `{url.masked}` in `{name}`, for the compose "
                            f"stack's own `{url.host}` container (which publishes no port outside the host): "
                            "everyone with the repository knows the password of any deployment that keeps "
                            "this file as it is; read it from an environment variable or a secret",
                            location, secrets=(url.secret,), severity=Severity.WARNING)
                    else:
                        yield self.draft(_message(url, f"in `{name}`"), location, secrets=(url.secret,))
        for source in project.of_kind(FileKind.PROCFILE, FileKind.SHELL):
            for number, line in enumerate(source.lines, 1):
                if line.lstrip().startswith("#"):
                    continue
                for url in database_urls(line):
                    location = _line_location(source.path, number, line, url)
                    if url.is_local:
                        # A developer's database, or one the script starts itself (`docker run -p 3306:3306
                        # -e MYSQL_ROOT_PASSWORD=pass`) to generate migrations against: as with a local URL in
                        # code, production cannot reach it, so the password opens nothing there.
                        yield self.draft(_local_message(url, "in a command", "a developer's local database (or one "
                                                        "the script starts itself)", "the environment"),
                                         location, secrets=(url.secret,), severity=Severity.INFO)
                        continue
                    yield self.draft(_message(url, "in a command"), location, secrets=(url.secret,))


def _env_py_sets_url(project: Project, ini: SourceFile) -> str | None:
    """The env.py of an alembic.ini's `script_location` when it sets `sqlalchemy.url` itself
    (`config.set_main_option("sqlalchemy.url", settings.DATABASE_URL)`), as its path."""
    folder = posixpath.dirname(ini.path)
    location = None
    for section, entry in project.ini_entries(ini):
        if section == "alembic" and entry.key == "script_location":
            location = entry.value.strip()
    candidates: list[str] = []
    if location and ":" in location:  # `package:alembic`: the package's folder, wherever it lives
        suffix = posixpath.join(location.replace(":", "/"), "env.py")
        candidates.extend(p for p in project.python_facts if p == suffix or p.endswith("/" + suffix))
    elif location:  # a folder beside alembic.ini (an absolute one is a path on the deploy host, not here)
        candidates.append(posixpath.normpath(posixpath.join(folder, location.replace("%(here)s", "."), "env.py")))
    for path in candidates:
        facts = project.python_facts.get(path)
        if facts is None:
            continue
        for call in facts.calls:
            first = call.value.arg(0)
            if call.name.endswith("set_main_option") and first is not None and first.is_str \
                    and first.literal == "sqlalchemy.url" and not (call.value.arg(1) or first).is_str:
                return path
    return None


def _line_location(path: str, line: int, line_text: str, url: DatabaseUrl) -> Location:
    index = line_text.find(url.text)
    if index < 0:
        return Location(path, Span(line, 1, line, len(line_text) + 1))
    return Location(path, Span(line, index + 1, line, index + 1 + len(url.text)))


def _scalar_location(source: SourceFile, node: YNode, url: DatabaseUrl) -> Location:
    """The URL's own columns: a plain one-line scalar maps its text to the line directly; a quoted or
    block scalar (escapes, folded lines) is searched for in the lines it spans, so two URLs in one
    scalar are two locations, not one at the scalar's first column."""
    span = node.span
    if span.end_line == span.line and not node.style:  # plain (libyaml says "" for plain)
        start = span.column + url.start
        return Location(source.path, Span(span.line, start, span.line, start + len(url.text)))
    skip = (node.text or "").count(url.text, 0, url.start)  # the same URL earlier in the scalar
    for number in range(span.line, span.end_line + 1):
        text = source.line(number)
        index = text.find(url.text, span.column - 1 if number == span.line else 0)
        while index >= 0 and skip:
            skip -= 1
            index = text.find(url.text, index + len(url.text))
        if index >= 0:
            return Location(source.path, Span(number, index + 1, number, index + 1 + len(url.text)))
    return Location(source.path, Span(span.line, span.column, span.line, span.column + 1))