"""Matchers several rules share."""
from __future__ import annotations

import re

from prodcheck.knowledge import load
from prodcheck.model.facts import PyFacts
from prodcheck.model.finding import Location, Span
from prodcheck.parsing.shell import locate
from prodcheck.model.record import record
from prodcheck.lazy_pattern import lazy

_DB_URL = lazy(
    r"(?P<scheme>(?:postgres(?:ql)?|pgsql|mysql|mariadb|mssql|oracle|cockroachdb|redshift|timescale|"
    r"mongodb(?:\+srv)?)(?:\+[A-Za-z0-9_]+)?)://(?P<user>[^:/@\s'\"`]*):(?P<password>[^@\s'\"`]+)@"
    r"(?P<host>[^/\s'\"`?:]*)"
)
# A URL whose password is a compose / shell interpolation with a literal default, `${DB_PASSWORD:-secret}`
# (https://docs.docker.com/reference/compose-file/interpolation/): the user and host may be interpolated too.
_REFERENCE = r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-[^}$]*)?\}"
_FALLBACK_URL = lazy(
    r"(?P<scheme>(?:postgres(?:ql)?|pgsql|mysql|mariadb|mssql|oracle|cockroachdb|redshift|timescale|"
    r"mongodb(?:\+srv)?)(?:\+[A-Za-z0-9_]+)?)://(?:" + _REFERENCE + r"|[^:/@\s'\"`$]*):"
    r"(?P<reference>\$\{(?P<variable>[A-Za-z_][A-Za-z0-9_]*):?-(?P<password>[^}$\s'\"`]+)\})@"
    r"(?:\$\{[A-Za-z_][A-Za-z0-9_]*:?-(?P<default_host>[^}$/:]*)\}|(?P<host>[^/\s'\"`?:$]*))"
)
# `mysql\+pymysql://(?P<username>[^:]+)(?::(?P<password>[^@]*))?@(?P<host>[^:]+)`: a regular expression that parses
# database URLs, not a URL; its "password" is a group or a character class (`(?P<`, `(?:`, `[^`, `\d`, `\S`).
_REGEX_SYNTAX = lazy(r"\(\?[P:<=!]|\[\^|\\[dDsSwW]")
_PLACEHOLDER = lazy(r"^(?:\$.*|\{.*\}|<.*>|%\(.*|\*+|x+|\.\.\.|\[.*\]|_+|-+)$|\$\{|\{\{|\{\}", re.I)
LOCAL_HOSTS = frozenset(load("databases")["hosts"]["local"])


@record
class DatabaseUrl:
    text: str
    start: int  # offset of the URL in the scanned string
    password: str
    host: str
    password_start: int = 0  # offset of the password within `text`
    variable: str = ""  # `${DB_PASSWORD:-secret}`: the variable whose default the password is

    @property
    def masked(self) -> str:
        end = self.password_start + len(self.password)
        return f"{self.text[: self.password_start]}****{self.text[end:]}"

    @property
    def secret(self) -> str:
        """What code frames must mask: the password with its delimiters, never a bare common word."""
        return f"-{self.password}}}" if self.variable else f":{self.password}@"

    @property
    def is_local(self) -> bool:
        return self.host.lower() in LOCAL_HOSTS


def _literal(password: str) -> bool:
    """A password written out, not blank and no placeholder (`<password>`, `changeme`...)."""
    return bool(password.strip()) and not _PLACEHOLDER.search(password)


# `postgresql://USER:PASSWORD@HOST:5432/DBNAME`: a URL whose parts are the names of what goes there, in capitals
# (or in the words of another language, `_native_word`), is the shape of a URL documented, not one to connect with (no
# host is named `HOST`); the example URLs of the SQLAlchemy and PostgreSQL documentation are written so
# (https://docs.sqlalchemy.org/en/20/core/engines.html)
_SPELLED_PART = lazy(r"[A-Z][A-Z0-9_]*")


def _spelled_template(match: re.Match[str]) -> bool:
    user, password, host = match.group("user"), match.group("password"), match.group("host")
    if _native_word(password) and _native_word(host):
        return True
    return bool(_SPELLED_PART.fullmatch(password) and _SPELLED_PART.fullmatch(host)
                and (not user or _SPELLED_PART.fullmatch(user)))


def _native_word(part: str) -> bool:
    """A part written as a word of a language other than English (`密码`, `主机地址`, `пароль`): documentation in that
    language names what goes there (`mysql+pymysql://用户名:密码@主机地址/数据库名称`, "user name:password@host
    address/database name"); a host name is ASCII (RFC 1123; an internationalised one is written `xn--...`, RFC 5891),
    so a host of such letters is never one a driver connects to."""
    return part.isalpha() and not part.isascii()


def database_urls(text: str) -> list[DatabaseUrl]:
    """Database URLs with a literal, non-placeholder password."""
    if "://" not in text or "@" not in text:
        return []
    found = []
    for match in _DB_URL.finditer(text):
        password = match.group("password")
        if not _literal(password) or _spelled_template(match) or _REGEX_SYNTAX.search(match.group(0)):
            continue
        found.append(DatabaseUrl(match.group(0), match.start(), password, match.group("host"),
                                 match.start("password") - match.start()))
    return found


def fallback_database_urls(text: str) -> list[DatabaseUrl]:
    """Database URLs whose password is an interpolation with a literal, non-placeholder default
    (`postgresql://${DB_USER:-app}:${DB_PASSWORD:-secret}@${DB_HOST:-db}/app`): the password a deploy
    that does not set the variable connects with. `host` is the host's default when it is interpolated."""
    if "${" not in text or "@" not in text:
        return []
    found = []
    for match in _FALLBACK_URL.finditer(text):
        password = match.group("password")
        if not _literal(password):
            continue
        host = match.group("default_host") if match.group("host") is None else match.group("host")
        found.append(DatabaseUrl(match.group(0), match.start(), password, host or "",
                                 match.start("password") - match.start(), match.group("variable")))
    return found


def mask(text: str, secret: str) -> str:
    from prodcheck.model.finding import mask_secret

    return mask_secret(text, secret)


def token_location(path: str, line: int, line_text: str, token: str) -> Location:
    """The exact columns of a token on a line, else the whole line."""
    found = locate(line_text, token)
    if found:
        return Location(path, Span(line, found[0], line, found[1]))
    stripped = len(line_text) - len(line_text.lstrip())
    return Location(path, Span(line, stripped + 1, line, len(line_text) + 1))


def find_token(path: str, lines: list[str], line: int, token: str) -> Location:
    """A token of a command that may continue over the next lines (`\\`, YAML flow lists)."""
    number = line
    while 0 < number <= len(lines):
        text = lines[number - 1]
        if locate(text, token):
            return token_location(path, number, text, token)
        stripped = text.split(" #", 1)[0].rstrip()
        if number - line >= 30 or not stripped.endswith(("\\", ",", "[", "(", "&&", "|")):
            break
        number += 1
    first = lines[line - 1] if 0 < line <= len(lines) else ""
    return token_location(path, line, first, token)


def classes_based_on(facts: PyFacts, bases: tuple[str, ...]) -> set[str]:
    """Classes of this module deriving, directly or through other classes of it, from one of `bases`."""
    found: set[str] = set()
    short: set[str] = set()
    changed = True
    while changed:
        changed = False
        for cls in facts.classes:
            if cls.qualname in found:
                continue
            if any(b.endswith(bases) or b.rsplit(".", 1)[-1] in short for b in cls.bases):
                found.add(cls.qualname)
                short.add(cls.qualname.rsplit(".", 1)[-1])
                changed = True
    return found
