"""Configuration: `[tool.prodcheck]` in pyproject.toml, or prodcheck.toml / .prodcheck.toml; CLI wins."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from prodcheck.model.finding import Location, Severity, Span

CONFIG_FILES = ("prodcheck.toml", ".prodcheck.toml", "pyproject.toml")
_KEYS = {
    "select", "ignore", "severity", "per-file-ignores", "exclude", "fail-on", "database", "production",
    "development", "max-connections",
}
_SEVERITIES = ("error", "warning", "info")


class ConfigError(Exception):
    """Bad configuration or usage: exit code 2."""


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    fail_on: Severity = Severity.WARNING
    max_connections: int | None = None
    max_connections_origin: Location | None = None
    production: tuple[str, ...] = ()
    development: tuple[str, ...] = ()
    config_path: str | None = None
    use_cache: bool = True
    cache_dir: str | None = None  # --cache-dir; else $PRODCHECK_CACHE_DIR, else the user's cache folder
    jobs: int | None = None

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]  # overrides are the CLI's typed option values


def find_config(root: Path) -> Path | None:
    for directory in (root, *root.parents):
        for name in CONFIG_FILES:
            candidate = directory / name
            # Anything by that name but a folder: a FIFO or a link out of the project is then a clear
            # usage error when it is read, never a silent fallback to the defaults.
            if candidate.is_file() or (name != "pyproject.toml" and candidate.exists() and not candidate.is_dir()):
                if name == "pyproject.toml" and not _has_tool_table(candidate):
                    continue
                return candidate
        if (directory / ".git").exists():
            break
    return None


def read_config_text(path: Path, inside: Path | None = None) -> str:
    """A configuration file's text: a regular file only (a FIFO would block), size-capped, and
    when `inside` is given (a configuration found in the project) a file inside that folder."""
    from prodcheck.limits import MAX_FILE_BYTES
    from prodcheck.safe_read import read_text

    return read_text(path, MAX_FILE_BYTES, follow=True, inside=inside)


def _has_tool_table(path: Path) -> bool:
    from prodcheck.parsing import ParseError
    from prodcheck.parsing.toml import loads

    try:
        data = loads(read_config_text(path, path.parent))
    except (OSError, UnicodeDecodeError, ParseError):
        return False
    tool = data.get("tool", {})
    return isinstance(tool, dict) and "prodcheck" in tool


def _string_list(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ConfigError(f"{where} must be a list of strings")


def _severity(value: object, where: str) -> Severity:
    if isinstance(value, str) and value.lower() in _SEVERITIES:
        return Severity.parse(value)
    raise ConfigError(f"{where} must be one of: {', '.join(_SEVERITIES)} (got {value!r})")


def load(path: Path, inside: Path | None = None) -> Settings:
    """The settings of a configuration file (`inside`: the folder a found one must stay in)."""
    from prodcheck.parsing import ParseError
    from prodcheck.parsing.toml import loads

    try:
        data = loads(read_config_text(path, inside))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read configuration: {error}") from None
    except ParseError as error:
        raise ConfigError(f"{path}:{error.line}: {error}") from None
    tool = data.get("tool", {}) if path.name == "pyproject.toml" else {}
    table = (tool.get("prodcheck", {}) if isinstance(tool, dict) else None) if path.name == "pyproject.toml" else data
    prefix = "tool.prodcheck." if path.name == "pyproject.toml" else ""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: `tool.prodcheck` must be a table")
    return from_table(table, path, prefix)


def _suggest(key: str, allowed: set[str] | tuple[str, ...]) -> str:
    import difflib

    close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def from_table(table: dict[str, object], path: Path, prefix: str = "") -> Settings:
    from prodcheck.rules import is_known_selector

    where = lambda key: f"{path}: `{prefix}{key}`"
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigError(f"{where(unknown[0])}: unknown key{_suggest(unknown[0], _KEYS)}; "
                          f"allowed keys: {', '.join(sorted(_KEYS))}")
    settings: dict[str, object] = {"config_path": str(path)}
    for key in ("select", "ignore"):
        if key in table:
            values = _string_list(table[key], where(key))
            bad = [v for v in values if not is_known_selector(v)]
            if bad:
                raise ConfigError(f"{where(key)}: unknown rule {bad[0]!r}; use a code (PC101), a name or a prefix (PC1)")
            settings[key] = values
    if "severity" in table:
        overrides = table["severity"]
        if not isinstance(overrides, dict):
            raise ConfigError(f"{where('severity')} must be a table of rule = \"error\"|\"warning\"|\"info\"")
        from prodcheck.rules import by_code_or_name

        parsed: dict[str, Severity] = {}
        for rule_key, level in overrides.items():
            rule = by_code_or_name(rule_key)
            if rule is None:
                raise ConfigError(f"{where('severity.' + rule_key)}: unknown rule; use a rule code (PC101) or name (reload-in-production)")
            parsed[rule.meta.code] = _severity(level, where(f"severity.{rule_key}"))
        settings["severity"] = parsed
    if "per-file-ignores" in table:
        mapping = table["per-file-ignores"]
        if not isinstance(mapping, dict):
            raise ConfigError(f"{where('per-file-ignores')} must be a table of glob = [rules]")
        parsed_ignores: dict[str, tuple[str, ...]] = {}
        for glob, codes in mapping.items():
            values = _string_list(codes, where(f"per-file-ignores.{glob}"))
            bad = [v for v in values if not is_known_selector(v)]
            if bad:
                raise ConfigError(f"{where(f'per-file-ignores.{glob}')}: unknown rule {bad[0]!r}; "
                                  "use a code (PC101), a name or a prefix (PC1)")
            parsed_ignores[glob] = values
        settings["per_file_ignores"] = parsed_ignores
    if "exclude" in table:
        settings["exclude"] = _string_list(table["exclude"], where("exclude"))
    if "fail-on" in table:
        settings["fail_on"] = _severity(table["fail-on"], where("fail-on"))
    for key in ("production", "development"):
        if key in table:
            settings[key] = _string_list(table[key], where(key))
    database = table.get("database")
    if database is not None:
        if not isinstance(database, dict):
            raise ConfigError(f"{where('database')} must be a table")
        extra = sorted(set(database) - {"max_connections", "max-connections"})
        if extra:
            raise ConfigError(f"{where('database.' + extra[0])}: unknown key"
                              f"{_suggest(extra[0], ('max_connections',))}; allowed keys: max_connections")
        limit = database.get("max_connections", database.get("max-connections"))
        if limit is not None:
            if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
                raise ConfigError(f"{where('database.max_connections')} must be a positive integer")
            settings["max_connections"] = limit
            settings["max_connections_origin"] = Location(_display(path), Span(_line_of(path, "max_connections")))
    if "max-connections" in table:
        limit = table["max-connections"]
        if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
            raise ConfigError(f"{where('max-connections')} must be a positive integer")
        settings["max_connections"] = limit
    return Settings(**settings)  # type: ignore[arg-type]  # each value was type-checked above


def _display(path: Path) -> str:
    return path.name


def _line_of(path: Path, needle: str) -> int:
    try:
        for number, line in enumerate(read_config_text(path).splitlines(), 1):
            if needle in line:
                return number
    except (OSError, UnicodeDecodeError):
        pass
    return 1
