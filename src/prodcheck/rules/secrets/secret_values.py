"""Is a name secret-like, and is a value a real literal secret? Shared by the PC2xx/PC3xx secret rules.

Precision first: a name counts only when one of its words says password / secret / token / key
material and none says it is metadata about the secret (`_FILE`, `_URL`, `_ALGORITHM`, `_TTL`...);
a value counts only when it is a non-empty literal that is not a reference (`${VAR}`,
`${{ secrets.X }}`, `$(VAR)`), a file path, a boolean, or an obvious placeholder.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prodcheck.project import Project
    from prodcheck.project.sources import SourceFile

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")
# Words that on their own make a name secret-like.
_SECRET_WORDS = frozenset({"PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "SECRETS", "TOKEN", "APIKEY", "PRIVATEKEY",
                           "SECRETKEY", "ACCESSKEY", "AUTHTOKEN", "CLIENTSECRET"})
_SECRET_SUFFIXES = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "APIKEY", "SECRETKEY", "PRIVATEKEY")
# `<word> KEY` pairs that name key material.
_KEY_QUALIFIERS = frozenset({"API", "PRIVATE", "SECRET", "ACCESS", "SIGNING", "ENCRYPTION", "AUTH", "MASTER",
                             "FERNET", "JWT", "HMAC", "CRYPTO", "LICENSE", "WEBHOOK", "APP", "STRIPE",
                             "SENDGRID", "OPENAI", "ANTHROPIC", "SERVICE", "ACCOUNT"})
# Words that make the name metadata about a secret rather than the secret itself.
_METADATA_WORDS = frozenset({
    "FILE", "FILES", "PATH", "DIR", "URL", "URI", "URLS", "ENDPOINT", "ALGORITHM", "ALGORITHMS", "ALG", "ALGO",
    "TTL", "EXPIRE", "EXPIRES", "EXPIRY", "EXPIRATION", "LIFETIME", "TIMEOUT", "LENGTH", "LEN", "SIZE", "MIN",
    "MAX", "NAME", "HEADER", "TYPE", "PREFIX", "ENABLED", "ENABLE", "DISABLED", "REQUIRED", "ROUNDS", "SCHEME",
    "ID", "IDS", "MODE", "POLICY", "VERSION", "FIELD", "REGEX", "PATTERN",
    "LOCATION", "ARN", "REF", "SECONDS", "MINUTES", "HOURS", "DAYS", "COUNT", "LIMIT", "HASHER", "HASHERS",
    "STORE", "BACKEND", "PROVIDER", "CLASS", "FORMAT", "KEYRING", "AUDIENCE", "ISSUER", "COOKIE", "PARAM",
    "QUERY", "LABEL", "DESCRIPTION", "HINT", "HELP", "MESSAGE", "TEMPLATE", "RESET", "MANAGER", "MOUNT",
    "VOLUME", "REGION", "BUCKET", "KIND", "STRENGTH", "EXPIRATIONS",
})
_PLACEHOLDER = re.compile(
    r"^(?:change[-_ .]?(?:me|it|this)(?:[-_ .].*)?|replace[-_ .]?(?:me|this|with.*)|to[-_ ]?do|tbd|fixme|x{3,}|\*+|\.{2,}|"
    r"<[^>]*>|\[[^\]]*\]|\{[^}]*\}|your[-_ .].*|.*[-_ ]here|put[-_ .].*|insert[-_ .].*|enter[-_ .].*|"
    r"dummy|placeholder|redacted|not[-_ ]?set|unset|none|null|nil|undefined|empty|example|sample|"
    r"-+|_+|=+|\?+)$",
    re.I,
)
_REFERENCE = re.compile(r"\$\{|\$\(|\{\{|%\(|^\$[A-Za-z_]|^@(?:Microsoft\.KeyVault|secret)|^(?:arn|vault|op|sm|gcp|"
                        r"azure|awssm|secretsmanager|ssm|k8s|file|env|ref)\:", re.I)
# `smtp_password`, `your_secret_key`: an identifier that names the secret instead of holding it.
_NAMED_PLACEHOLDER = re.compile(r"^[a-z]+(?:_[a-z]+)+$")
_SECRET_WORD = re.compile(r"pass|secret|token|key|pwd", re.I)
_BOOLEANISH = frozenset({"true", "false", "yes", "no", "on", "off", "0", "1", "y", "n"})


def name_words(name: str) -> list[str]:
    """`jwtSecretKey` / `JWT-SECRET-KEY` / `jwt_secret_key` -> ["JWT", "SECRET", "KEY"]."""
    return [w.upper() for w in _SPLIT.split(_CAMEL.sub("_", name)) if w]


def is_secret_name(name: str) -> bool:
    words = name_words(name)
    if not words or any(w in _METADATA_WORDS for w in words):
        return False
    if len(words) == 1 and words[0] in {"PWD", "KEY", "TOKENS"}:
        return False  # $PWD is the working directory; a bare KEY is usually a lookup key
    for index, word in enumerate(words):
        if word in _SECRET_WORDS or (word.endswith(_SECRET_SUFFIXES) and not word.startswith("TOKENIZ")):
            return True
        if word in {"PWD", "PASS"} and len(words) > 1 and index == len(words) - 1:
            return True  # DB_PWD, SMTP_PASS
        if word == "KEY" and index > 0 and words[index - 1] in _KEY_QUALIFIERS:
            return True
        if word in {"CREDENTIALS", "CREDS"} and len(words) > 1:
            return True
    return False


def is_placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER.match(value.strip()))


def is_secret_value(value: object, name: str = "") -> bool:
    """A literal that holds a real value: not empty, not a reference, a path, a flag or a placeholder.

    Pass `name` for code, where `PASSWORD = "password"` is a key constant; configuration values
    equal to their name (`password: password`) are default credentials and stay secrets."""
    if not isinstance(value, str):
        return False
    text = value.strip().strip("'\"").strip()
    if len(text) < 2 or len(text) > 4096:
        return False
    if text.lower() in _BOOLEANISH or is_placeholder(text) or _REFERENCE.search(text):
        return False
    if _NAMED_PLACEHOLDER.match(text) and _SECRET_WORD.search(text):
        return False
    if text.startswith(("/", "./", "~/")) and " " not in text:
        return False  # a path to a mounted secret file
    if name:
        joined = "_".join(w.lower() for w in name_words(name))
        normal = re.sub(r"[-. ]", "_", text.lower())
        if normal == joined or normal.replace("_", "") == joined.replace("_", ""):
            return False  # `PASSWORD = "password"`: a field or key name, not a credential
    return True


# ---------------------------------------------------------------- .env files

TEMPLATE_MARKERS = (".example", ".sample", ".template", ".dist", ".tpl", ".defaults", ".default", ".skel")
_ENV_FILE = re.compile(r"^(?:\.env(?:\..+)?|.+\.env)$")


def is_env_file_name(name: str) -> bool:
    """`.env`, `.env.production`, `prod.env`; not `.env.example` and other templates."""
    lowered = name.lower()
    return bool(_ENV_FILE.match(lowered)) and not any(marker in lowered for marker in TEMPLATE_MARKERS)


def env_file_secrets(project: Project, source: SourceFile) -> list[tuple[int, str, str]]:
    """(line, name, value) of every secret an env file holds: secret-like names, database URLs with passwords."""
    from prodcheck.rules.helpers import database_urls

    found = []
    for entry in project.env_entries(source):
        if is_secret_name(entry.key) and is_secret_value(entry.value):
            found.append((entry.line, entry.key, entry.value))
        else:
            for url in database_urls(entry.value):
                found.append((entry.line, entry.key, url.password))
    return found
