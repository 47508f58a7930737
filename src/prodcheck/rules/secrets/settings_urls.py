"""A database URL a settings class builds from its own fields (PC301, PC302):

    class Settings(BaseSettings):
        db_password: SecretStr = SecretStr("open-wearables")

        @property
        def db_uri(self) -> str:
            return f"postgresql+psycopg://{self.db_user}:{self.db_password.get_secret_value()}@{self.db_host}/app"

A deploy that does not set DB_PASSWORD connects with the field's literal default: the same fallback as
`os.getenv("DATABASE_URL", "postgresql://app:secret@db/app")`, assembled. The f-string is read from the source
text of the URL's literal (the facts keep `postgresql+psycopg://{}:{}@...` without what fills the gaps):
its pieces, implicitly concatenated over lines, are joined and the password's placeholder named.
"""
from __future__ import annotations

import re

from prodcheck.model.facts import PyFacts, Value
from prodcheck.project import Project
from prodcheck.rules.helpers import classes_based_on
from prodcheck.model.record import record
from prodcheck.lazy_pattern import lazy

_SCHEMES = r"(?:postgres(?:ql)?|pgsql|mysql|mariadb|mssql|oracle|cockroachdb|redshift|timescale|mongodb(?:\+srv)?)"
_URL = lazy(_SCHEMES + r"(?:\+[A-Za-z0-9_]+)?://(?:\{[^{}]+\}|[^:@/{}\s]*):\{(?P<password>[^{}]+)\}@")
_PIECE = lazy(r"""\b[rRfFbBuU]{0,2}(?P<quote>"|')(?P<text>(?:\\.|(?!(?P=quote)).)*)(?P=quote)""")
_FIELD = lazy(r"^self\.([A-Za-z_][A-Za-z0-9_]*)(?:\.get_secret_value\(\))?$")
_WRAPPERS = frozenset({"SecretStr", "SecretBytes"})  # pydantic's secret types: the value is the first argument
_PLACEHOLDER = lazy(r"^(?:\$.*|\{.*\}|<.*>|\*+|x+|\.\.\.|_+|-+|changeme|change[-_]?me)$", re.I)


@record
class UrlPassword:
    """A settings field whose literal default is the password of a URL the class builds."""

    field: str  # qualified: `app.config.Settings.db_password`
    builder: str  # the method that builds the URL: `db_uri`
    password: str
    value: Value  # the literal (inside `SecretStr(...)` when wrapped)


def settings_url_passwords(project: Project, facts: PyFacts) -> dict[str, UrlPassword]:
    """Field qualname -> the URL password it defaults, for every settings class of the module."""
    classes = classes_based_on(facts, ("Settings",))
    if not classes or not facts.strings:
        return {}
    methods = {f.qualname: f.class_name for f in facts.functions if f.class_name in classes}
    defaults = {a.target: a.value for a in facts.assigns if a.scope in classes}
    source = project.by_path.get(facts.path)
    found: dict[str, UrlPassword] = {}
    for literal in facts.strings:
        cls = methods.get(literal.scope)
        if cls is None or "://" not in literal.value or source is None:
            continue
        lines = source.unnoted_lines()[literal.span.line - 1: literal.span.end_line]
        source.note_lines(literal.span.line, literal.span.end_line)
        text = "".join(piece.group("text") for line in lines for piece in _PIECE.finditer(line))
        for url in _URL.finditer(text):
            field = _FIELD.match(url.group("password").strip())
            value = defaults.get(f"{cls}.{field.group(1)}") if field else None
            literal_value = _literal(value) if value is not None else None
            if field is None or value is None or literal_value is None or not literal_value.strip() \
                    or _PLACEHOLDER.match(literal_value):
                continue
            qualname = f"{cls}.{field.group(1)}"
            found.setdefault(qualname, UrlPassword(qualname, literal.scope.rsplit(".", 1)[-1], literal_value,
                                                   _literal_node(value)))
    return found


def _literal(value: Value) -> str | None:
    node = _literal_node(value)
    return str(node.literal) if node.is_str else None


def _literal_node(value: Value) -> Value:
    """`"secret"`, or the `"secret"` of `SecretStr("secret")`."""
    if value.kind == "call" and value.text.rsplit(".", 1)[-1] in _WRAPPERS and value.items:
        return value.items[0]
    return value
