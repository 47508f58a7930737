"""Where a secret sits, for PC302: the settings models whose defaults are configuration, the checks that
refuse a placeholder default, and which datastore of a compose stack a password opens."""
from __future__ import annotations


from prodcheck.knowledge import load
from prodcheck.model.files import Context
from prodcheck.model.facts import PyFacts
from prodcheck.model.finding import Location
from prodcheck.project import Project
from prodcheck.project.infra import ComposeService
from prodcheck.project.images import image_repository, is_database_image, is_pooler_image
from prodcheck.rules.container.database_port_published import is_store_image, publishes_outside
from prodcheck.rules.secrets.secret_values import credential_role, name_words
from prodcheck.lazy_pattern import lazy

_STORE_WORDS = {image: frozenset(words) for image, words in load("images")["credential_words"].items()}
_DATASTORE_WORDS = frozenset(load("secrets")["names"]["datastore_words"])
# `PLACEHOLDER_SECRET_KEY = "fillmein"`: a module constant holding a literal (the value a check compares with)
_CONSTANT = lazy(rb"^[A-Za-z_][A-Za-z0-9_]*\s*(?::[^=]+)?=\s*[\"']")


def settings_groups(facts: PyFacts, settings_classes: set[str]) -> set[str]:
    """The settings classes and the models of this module nested in them as fields (`security: Security =
    Field(default_factory=Security)`, `database: Database = Database()`): pydantic-settings fills a nested
    model's fields from the environment too (`SECURITY__JWT_SECRET_KEY`), so their defaults are settings."""
    by_name = {c.qualname.rsplit(".", 1)[-1]: c.qualname for c in facts.classes}
    found = set(settings_classes)
    frontier = set(settings_classes)
    while frontier:
        nested = set()
        for assign in facts.assigns:
            value = assign.value
            if assign.scope not in frontier or value.kind != "call":
                continue
            built = (value.kwarg("default_factory") or value.kwarg("default")) if value.last == "Field" else value
            if built is None or not built.text:
                continue
            qualname = by_name.get(built.text.rsplit(".", 1)[-1])
            if qualname is not None and qualname not in found:
                nested.add(qualname)
        found |= nested
        frontier = nested
    return found


def refused(project: Project, name: str, text: str, default_at: Location) -> bool:
    """Production code mentions the placeholder again where it can only be the check that refuses it:
    on a line that names the setting (`if settings.SECRET_KEY == "changethis": raise ...`), or as a
    module constant of its own (`PLACEHOLDER_SECRET_KEY = "fillmein"`, compared at start-up)."""
    quoted = [q.encode("utf-8") for q in (f'"{text}"', f"'{text}'")]
    named = name.lower().encode("utf-8")
    for source in project.files:
        if source.path not in project.python_facts or source.context != Context.PROD:
            continue
        data = source.data or b""
        if not any(q in data for q in quoted):
            continue
        for number, line in enumerate(data.splitlines(), 1):
            if not any(q in line for q in quoted) or (source.path == default_at.path and number == default_at.span.line):
                continue
            if named in line.lower() or _CONSTANT.match(line) or _in_validator_of(data.splitlines(), number, named):
                return True
    return False


_VALIDATOR_REACH = 12  # lines from a comparison up to the `def` of the validator holding it


def _in_validator_of(lines: list[bytes], number: int, named: bytes) -> bool:
    """The line sits in a pydantic validator whose `def` line or decorators name the setting
    (`@field_validator("SECRET_KEY")` over `if value == "change-me": raise ValueError(...)`)."""
    text = lines[number - 1]
    indent = len(text) - len(text.lstrip())
    for above in range(number - 2, max(-1, number - 2 - _VALIDATOR_REACH), -1):
        line = lines[above]
        stripped = line.lstrip()
        if not stripped or len(line) - len(stripped) >= indent:
            continue
        if stripped.startswith((b"def ", b"async def ")):
            decorators = [lines[i] for i in range(above - 1, max(-1, above - 4), -1) if lines[i].lstrip().startswith(b"@")]
            # a validator (pydantic's `field_validator`, `validator`, `model_validator`) that runs when the settings
            # load; a function that only reports the default (a `check_secret_key()` audit script) refuses nothing
            return any(b"validator" in d for d in decorators) and any(named in part.lower() for part in [line, *decorators])
        if stripped.startswith(b"class ") or indent == 0:
            return False  # at class or module level: no function of its own
        indent = len(line) - len(stripped)  # an `if`, a loop or a `try` around it: the function is further up
    return False


def store_reach(service: ComposeService, name: str, stores: list[ComposeService]) -> str | None:
    """Which datastore of the compose file a secret of `service` opens, and whether it is reachable from
    outside the host: None when it publishes no port outside the host (or no datastore of the file does),
    its service name when it does, "" when the secret is no datastore's password or which one it opens is
    unknown. The datastore is the service itself (`POSTGRES_PASSWORD` of the `postgres` service,
    `MINIO_SECRET_KEY` of the `minio` one: `_own_store`), else the
    one the secret's name names (`FIDES__REDIS__PASSWORD` -> the Redis service, knowledge/images.toml
    `[credential_words]`)."""
    if is_store_image(service.image) or _own_store(service, name):
        target = service
    elif credential_role(name) != "datastore":
        return ""
    else:
        words = set(name_words(name))
        named = [s for s in stores if words & _credential_words(s.image)]
        if len(named) > 1:  # two PostgreSQL services: the one whose service name the secret's name shares
            named = [s for s in named if words & set(name_words(s.name))] or named
        if len(named) != 1:  # none named, or several: reachable when any candidate publishes
            published = [s for s in (named or stores) if publishes_outside(s)]
            return None if not published else ""
        target = named[0]
    return target.name if publishes_outside(target) else None


def _own_store(service: ComposeService, name: str) -> bool:
    """A datastore's credential set in that datastore's own service: `MINIO_SECRET_KEY` of a `minio/minio` service,
    `RABBITMQ_DEFAULT_PASS` of a `rabbitmq` one (a store that is no database, knowledge/secrets.toml
    [names] datastore_words): the service is the store the secret opens."""
    if not service.image or credential_role(name) != "datastore":
        return False
    return bool(set(name_words(image_repository(service.image))) & set(name_words(name)) & _DATASTORE_WORDS)


def _credential_words(image: str | None) -> frozenset[str]:
    repository = image_repository(image or "")
    if repository in _STORE_WORDS:
        return _STORE_WORDS[repository]
    return _STORE_WORDS["postgres"] if is_database_image(image) or is_pooler_image(image) else frozenset()
