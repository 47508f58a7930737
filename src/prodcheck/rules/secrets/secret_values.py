"""Is a name secret-like, and is a value a real literal secret? Shared by the PC2xx/PC3xx secret rules.

Precision first: a name counts only when one of its words says password / secret / token / key
material and none says it is metadata about the secret (`_FILE`, `_URL`, `_ALGORITHM`, `_TTL`...);
a value counts only when it is a non-empty literal that is not a reference (`${VAR}`,
`${{ secrets.X }}`, `$(VAR)`), a file path, a boolean, or an obvious placeholder.
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from collections import Counter
from enum import IntEnum
from typing import TYPE_CHECKING

from prodcheck.knowledge import load
from prodcheck.knowledge.templates import is_template_name
from prodcheck.model.finding import Severity
from prodcheck.lazy_pattern import lazy

if TYPE_CHECKING:
    from prodcheck.project import Project
    from prodcheck.project.sources import SourceFile

# camelCase word starts: after a lower-case letter, or after a digit when a capitalised word follows (`s3SecretKey`);
# a digit inside an upper-case word (`NEO4J_PASSWORD`, `K8S_TOKEN`) splits nothing
_CAMEL = lazy(r"(?<=[a-z])(?=[A-Z])|(?<=[0-9])(?=[A-Z][a-z])")
_SPLIT = lazy(r"[^A-Za-z0-9]+")
_NAMES = load("secrets")["names"]
_VALUES = load("secrets")["values"]
_SECRET_WORDS = frozenset(_NAMES["secret_words"])
_SECRET_SUFFIXES = tuple(_NAMES["secret_suffixes"])
_SHORT_WORDS = frozenset(_NAMES["short_words"])
_KEY_QUALIFIERS = frozenset(_NAMES["key_qualifiers"])
_CREDENTIAL_WORDS = frozenset(_NAMES["credential_words"])
_SALT_WORDS = frozenset(_NAMES["salt_words"])
_SIGNED_WORDS = frozenset(_NAMES["signed_words"])
_NEUTRAL_TAIL = frozenset(_NAMES["neutral_tail"])
_METADATA_WORDS = frozenset(_NAMES["metadata_words"])
_DATASTORE_WORDS = frozenset(_NAMES["datastore_words"])
_OUTBOUND_WORDS = frozenset(_NAMES["outbound_words"])
_THROWAWAY_WORDS = frozenset(_NAMES["throwaway_words"])
_APP_KEY_WORDS = frozenset(_NAMES["app_key_words"])
_KEYLESS = tuple(tuple(sequence) for sequence in _NAMES["keyless_services"])
_PUBLIC_KEY_SERVICES = frozenset(_NAMES["public_key_services"])
_PLACEHOLDER = lazy(_VALUES["placeholder"], re.I)
_PLACEHOLDER_WORDS = lazy(_VALUES["placeholder_words"], re.I)
_REFERENCE = lazy(_VALUES["reference"], re.I)
_FORMATS = tuple((entry["name"], re.compile(entry["pattern"])) for entry in load("secrets")["formats"])
_PUBLIC = tuple(re.compile(entry["pattern"]) for entry in load("secrets")["public"])
# `smtp_password`, `your_secret_key`: an identifier that names the secret instead of holding it.
_NAMED_PLACEHOLDER = lazy(r"^[a-z]+(?:_[a-z]+)+$")
_SECRET_WORD = lazy(r"pass|secret|token|key|pwd", re.I)
_BOOLEANISH = frozenset({"true", "false", "yes", "no", "on", "off", "0", "1", "y", "n"})
# Shapes of values that are names, not secrets.
_ENV_NAME = lazy(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")  # `PHOENIX_API_KEY`
_DOTTED = lazy(r"^\.?[A-Za-z_][\w-]*(?:\.[\w-]+)+$")  # `.types`, `ca.crt`, `auth.password_forgot`
_IDENTIFIER = lazy(r"^(?:[a-z][a-z0-9]*|[a-z]+(?:[A-Z][a-z0-9]*)+|[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+)$")
_SLUG_PART = lazy(r"^(?:[A-Za-z]+|[0-9]+|v[0-9]+)$")
_CODE = lazy(r"=>|[{}();]|\bfunction\b|document\.|\n")
# A regular expression (a detector's pattern for a token, `EAACEdEose0cBA[0-9A-Za-z]+`): a character
# class with a quantifier, a class escape, an escaped dot, a group extension.
_PATTERN = lazy(r"\[[^\]]+\][+*?{]|\\[dwsSWDb.]|\(\?[:=!<P]")


class Evidence(IntEnum):
    """How strongly a literal says it is a secret."""

    NONE = 0
    WEAK = 1  # a plain word or slug that could be a (weak) password: `postgres`, `super-secret-key`
    RANDOM = 2  # looks generated: long, mixed, high entropy
    FORMAT = 3  # a known credential format (AWS key, GitHub token, private key block...)


def name_words(name: str) -> list[str]:
    """`jwtSecretKey` / `JWT-SECRET-KEY` / `jwt_secret_key` -> ["JWT", "SECRET", "KEY"]."""
    return [w.upper() for w in _SPLIT.split(_CAMEL.sub("_", name)) if w]


def _is_secret_word(words: list[str], index: int) -> bool:
    word = words[index]
    if word in _SECRET_WORDS or (word.endswith(_SECRET_SUFFIXES) and not word.startswith("TOKENIZ")):
        return True
    if index > 0 and (word in _SHORT_WORDS or word in _CREDENTIAL_WORDS):
        return True
    if index > 0 and word == "KEY" and words[index - 1] in _KEY_QUALIFIERS:
        return True
    return index > 0 and word in _SALT_WORDS and _is_secret_word(words, index - 1)


@lru_cache(maxsize=8192)  # a pure function of the name; rules ask it for the same names again and again
def is_secret_name(name: str) -> bool:
    """The name's head (its last word, `DEFAULT`/`VALUE` aside) says it holds a secret, and no word says
    it is metadata about one: `DB_PASSWORD`, `jwtSecret`; not `PASSWORD_FILE`, `_TOKEN_ENV`,
    `CSRF_TOKEN_KEY` (a lookup key), `SECRET_VISUAL_MASK_ATTRIBUTE`."""
    words = name_words(name)
    while len(words) > 1 and (words[-1] in _NEUTRAL_TAIL or words[-1].isdigit()):
        words.pop()
    if not words or any(w in _METADATA_WORDS for w in words):
        return False
    if any(tuple(words[i:i + len(k)]) == k for k in _KEYLESS for i in range(len(words))):
        return False  # `LM_STUDIO_API_KEY`, `OLLAMA_API_KEY`: a local server that accepts any key
    if words[-1] == "KEY" and len(words) > 1 and (words[-2] in _PUBLIC_KEY_SERVICES or (
            words[-2] == "APP" and any(w in _PUBLIC_KEY_SERVICES for w in words[:-2]))):
        return False  # `PUSHER_APP_KEY`, `SOKETI_DEFAULT_APP_KEY`: a Pusher-protocol app key, public by design
    if len(words) == 1 and words[0] in {"PWD", "KEY", "TOKENS"}:
        return False  # $PWD is the working directory; a bare KEY is usually a lookup key
    if words[-2:] == ["SECRET", "KEY"] and words[-3:-2] != [] and words[-3] not in _SIGNED_WORDS \
            and any(_is_secret_word(words, i) for i in range(len(words) - 2)):
        return False  # `API_KEY_SECRET_KEY`, `PASSWORD_SECRET_KEY`: the key, in a Kubernetes Secret, of that credential
    return _is_secret_word(words, len(words) - 1)


def credential_role(name: str) -> str | None:
    """`"throwaway"` for a test double's or test account's secret (`TEST_USER_PASSWORD`), `"datastore"` for a datastore's password (`POSTGRES_PASSWORD`, `DB_PASS`), `"outbound"` for a
    credential presented to another company's service (`SMTP_PASSWORD`, `AWS_SECRET_ACCESS_KEY`), else
    None (a secret the application itself checks: `SECRET_KEY`, `JWT_SECRET`, an API token it accepts)."""
    words = set(name_words(name))
    if words & _THROWAWAY_WORDS:
        return "throwaway"
    if words & _DATASTORE_WORDS:
        return "datastore"
    if words & _OUTBOUND_WORDS:
        return "outbound"
    return None


def is_app_key(name: str) -> bool:
    """A key the application itself signs, encrypts or checks with (`JWT_SECRET_KEY`, `SECRET_KEY`,
    `ENCRYPTOR_AES_SECRET_KEY`), not a credential it presents elsewhere (`OPENAI_API_KEY`) or a datastore's
    password: whatever its value, the application trusts it."""
    return credential_role(name) is None and bool(set(name_words(name)) & _APP_KEY_WORDS)


def is_placeholder(value: str) -> bool:
    text = value.strip()
    return bool(_PLACEHOLDER.match(text) or _PLACEHOLDER_WORDS.search(text))


def is_refusable_placeholder(value: str) -> bool:
    """A placeholder long enough that a check refusing it is told from any short literal (`change-me`, not `x`): a
    settings default PC302 looks for such a check of (secret_places.refused)."""
    return is_placeholder(value) and len(value.strip()) >= 4


def token_format(value: str) -> str | None:
    """The name of the credential format `value` contains (`GitHub token`), or None."""
    for name, pattern in _FORMATS:
        if pattern.search(value):
            return name
    return None


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(c / len(text) * math.log2(c / len(text)) for c in counts.values())


def _looks_random(text: str) -> bool:
    if len(text) < 12 or any(c.isspace() for c in text):
        return False
    parts = [p for p in re.split(r"[-_.]", text) if p]
    random_chunk = any(len(p) >= 6 and re.search(r"[0-9]", p) and re.search(r"[A-Za-z]", p) for p in parts)
    if not random_chunk and (all(_SLUG_PART.match(p) for p in parts) or (
            len(parts) >= 3 and all(p.islower() or p.isdigit() for p in parts))):
        return False  # words joined: `skyvern-mcp-api-key-cache-v1`, `polar_cl_e2e_seed_checkout_link`
    classes = sum(bool(re.search(c, text)) for c in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]"))
    return classes >= 2 and _entropy(text) >= 3.0


def secret_evidence(value: object, name: str = "", code: bool = False) -> Evidence:
    """How much `value` looks like a secret.

    `code=True` for a constant in program code, where names, messages and slugs abound: a plain
    word, an identifier or a slug is not evidence there (`PK_TOKEN = "token"`,
    `api_key="copilot-agent"`), and only a generated-looking value or a known format counts.
    In configuration (settings defaults, compose, manifests) a plain word is a weak password."""
    if not is_secret_value(value, name):
        return Evidence.NONE
    text = str(value).strip().strip("'\"").strip()
    if any(p.match(text) for p in _PUBLIC) or _PATTERN.search(text):
        return Evidence.NONE  # a public demo value; a pattern that matches secrets, not one
    if token_format(text):
        return Evidence.FORMAT
    if _ENV_NAME.match(text) or _DOTTED.match(text) or _CODE.search(text):
        return Evidence.NONE  # the name of a variable, a module or a file; a code snippet
    if text.startswith(("http://", "https://")) and "@" not in text:
        return Evidence.NONE
    words = text.split()
    if len(words) >= 3 or (len(words) > 1 and text[-1] in ".!?:"):
        return Evidence.NONE  # prose: an error message, a label
    if _looks_random(text):
        return Evidence.RANDOM
    if code:
        return Evidence.NONE
    return Evidence.WEAK


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

_ENV_FILE = lazy(r"^(?:\.env(?:\..+)?|.+\.env)$")


def is_env_file_name(name: str) -> bool:
    """`.env`, `.env.production`, `prod.env`; not `.env.example` and other templates."""
    lowered = name.lower()
    return bool(_ENV_FILE.match(lowered)) and not is_template_name(lowered)


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


# The shortest generated key of a third-party service worth treating as possibly real (see fallback_severity).
_SHORTEST_SERVICE_KEY = 20


def fallback_severity(name: str, evidence: Evidence, value: str = "") -> Severity:
    """A plain-word default (`"postgres"`, `"password"`) of a datastore's password or of a credential for
    another company's service opens nothing by itself: the database must also be reachable and set to
    that password, the mail relay or cloud API rejects it. A secret the application checks itself
    (a signing key, an API token it accepts) is a warning whatever it looks like."""
    role = credential_role(name)
    if role is None or evidence >= Evidence.FORMAT:
        return Severity.WARNING
    if evidence == Evidence.WEAK or role == "throwaway":
        return Severity.INFO
    # A generated-looking value: a leaked credential if it could be one. Another company's API keys and
    # secrets are long generated tokens (AWS secret keys 40 characters, most API keys 32 or more): a
    # short one (`polar123456789`) is a local development value.
    return Severity.INFO if role == "outbound" and len(value) < _SHORTEST_SERVICE_KEY else Severity.WARNING


def role_note(name: str, evidence: Evidence, value: str = "") -> str:
    if fallback_severity(name, evidence, value) != Severity.INFO:
        return ""
    if credential_role(name) == "throwaway":
        return " (the secret of a test double or test account: it opens no production system)"
    if credential_role(name) == "outbound":
        return " (a credential for another service: a made-up default is rejected there, it opens nothing)"
    return " (a datastore's password: it opens only a database set to it and reachable)"
