"""Where a database URL handed to an engine comes from: a literal, a module constant, the default of an
environment variable or of a settings field, or configuration (compose, Kubernetes, .env) by variable name.

Built on the Python index and the infra views of `Project`; nothing is re-read. Anything that transforms the
value on the way (`.replace(...)`, f-strings, validators on the settings class) makes it unresolvable, and
rules stay quiet about what they cannot see."""
from __future__ import annotations

import posixpath
import re

from prodcheck.knowledge.environment import is_env_getter
from prodcheck.model.facts import Function, PyFacts, Value
from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Location, Span
from prodcheck.project import Project
from prodcheck.model.record import record
from prodcheck.lazy_pattern import lazy

_SCHEME = lazy(r"^\s*([A-Za-z][A-Za-z0-9+._-]*)://")
_PASSWORD = lazy(r"(://[^:/@\s]*:)([^@\s]+)(@)")
URL_KEYS = lazy(r"^(?:[A-Z0-9_]*_)?(?:DATABASE|DB|SQLALCHEMY_DATABASE|POSTGRES|PG)_(?:URL|URI|DSN)$|^DSN$", re.I)


@record
class UrlSource:
    """A URL value and how sure we are that it is the one used."""

    url: str
    location: Location
    how: str  # "literal" (written at the call or in a constant) | "fallback" (env default) | "settings" (field default) | "config"
    variable: str | None = None  # the environment variable that overrides it / that it was read from

    @property
    def scheme(self) -> str:
        match = _SCHEME.match(self.url)
        return match.group(1).lower() if match else ""

    @property
    def masked(self) -> str:
        return _PASSWORD.sub(lambda m: m.group(1) + "****" + m.group(3), self.url)

    @property
    def password(self) -> str | None:
        match = _PASSWORD.search(self.url)
        return match.group(2) if match else None


@record
class EnvRead:
    """The URL is read from an environment variable (directly or through a settings field)."""

    variable: str
    settings_class: str | None = None  # qualname, when read through a pydantic settings class
    transformed: bool = False  # validators on the settings class may rewrite the value


def scheme_of(url: str) -> str:
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else ""


def mask_url(url: str) -> tuple[str, tuple[str, ...]]:
    match = _PASSWORD.search(url)
    if not match:
        return url, ()
    return _PASSWORD.sub(lambda m: m.group(1) + "****" + m.group(3), url), (match.group(2),)


class UrlResolver:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.index = project.python

    # ------------------------------------------------------------ Python values

    def literal(self, value: Value | None, facts: PyFacts, function: Function | None = None,
                depth: int = 0) -> UrlSource | None:
        """The string a URL expression evaluates to when nothing overrides it, and how it is written."""
        if value is None or depth > 6:
            return None
        if value.is_str:
            return UrlSource(str(value.literal), Location(facts.path, value.span), "literal")
        if value.kind == "call":
            if is_env_getter(value.text, self.project.python.constructor_of):
                name = value.arg(0)
                default = value.arg(1) or value.kwarg("default")
                if default is not None and default.is_str:
                    variable = str(name.literal) if name is not None and name.is_str else None
                    return UrlSource(str(default.literal), Location(facts.path, default.span), "fallback", variable)
                return None
            if value.text in {"str", "sqlalchemy.engine.make_url", "sqlalchemy.make_url", "sqlalchemy.engine.url.make_url"}:
                return self.literal(value.arg(0), facts, function, depth + 1)
            return None
        if value.kind != "name":
            return None
        if function is not None and "." not in value.text:
            local = function.local(value.text)
            return self.literal(local, facts, function, depth + 1) if local is not None else None
        assigned = self._assignment(value.text, facts)
        if assigned is not None:
            found = self.literal(assigned[0], assigned[1], None, depth + 1)
            return found
        field = self._settings_field(value.text, facts)
        if field is not None:
            default, field_facts, variable, _ = field
            if default is not None and default.is_str:
                return UrlSource(str(default.literal), Location(field_facts.path, default.span), "settings", variable)
        return None

    def env_read(self, value: Value | None, facts: PyFacts, function: Function | None = None,
                 depth: int = 0) -> EnvRead | None:
        """The environment variable a URL expression reads, when it reads one without changing it."""
        if value is None or depth > 6:
            return None
        if value.kind == "subscript" and value.text in {"os.environ", "environ"} and value.items and value.items[0].is_str:
            return EnvRead(str(value.items[0].literal))
        if value.kind == "call":
            if is_env_getter(value.text, self.project.python.constructor_of):
                name = value.arg(0)
                return EnvRead(str(name.literal)) if name is not None and name.is_str else None
            if value.text == "str":
                return self.env_read(value.arg(0), facts, function, depth + 1)
            return None
        if value.kind != "name":
            return None
        if function is not None and "." not in value.text:
            local = function.local(value.text)
            return self.env_read(local, facts, function, depth + 1) if local is not None else None
        assigned = self._assignment(value.text, facts)
        if assigned is not None:
            return self.env_read(assigned[0], assigned[1], None, depth + 1)
        field = self._settings_field(value.text, facts)
        if field is not None:
            _, _, variable, class_name = field
            return EnvRead(variable, class_name, self._has_validators(class_name))
        return None

    def _assignment(self, dotted: str, facts: PyFacts) -> tuple[Value, PyFacts] | None:
        for name in (dotted, f"{facts.module}.{dotted}"):
            resolved = self.index.resolve(name)
            if resolved is not None and resolved.assign is not None:
                assign, assign_facts = resolved.assign
                if assign.value.kind == "call" and self._settings_class(assign.value.text, assign_facts):
                    return None  # `settings = Settings()`: the attribute is a field, handled below
                return assign.value, assign_facts
        return None

    def _settings_class(self, dotted: str, facts: PyFacts) -> str | None:
        for name in (dotted, f"{facts.module}.{dotted}"):
            resolved = self.index.resolve(name)
            if resolved is not None and resolved.cls:
                return resolved.qualname
        return None

    def _settings_field(self, dotted: str, facts: PyFacts) -> tuple[Value | None, PyFacts, str, str] | None:
        """`settings.DATABASE_URL` / `get_settings().DATABASE_URL` -> (default, facts, env variable, class)."""
        head, _, attribute = dotted.rpartition(".")
        if not head or not attribute:
            return None
        class_name = None
        if head.endswith("()"):
            target = self._function(head[:-2], facts)
            if target is not None:
                for returned in target[0].returns:
                    if returned.kind == "call":
                        class_name = self._settings_class(returned.text, target[1])
                        if class_name:
                            break
            if class_name is None and target is not None and target[0].annotation is not None:
                annotation = target[0].annotation  # `def get_settings() -> AppSettings: return config()`
                class_name = self._settings_class(annotation.text, target[1]) if annotation.kind == "name" else None
            if class_name is None:
                class_name = self._settings_class(head[:-2], facts)
        else:
            for name in (head, f"{facts.module}.{head}"):
                resolved = self.index.resolve(name)
                if resolved is not None and resolved.assign is not None and resolved.assign[0].value.kind == "call":
                    class_name = self._settings_class(resolved.assign[0].value.text, resolved.assign[1])
                    if class_name:
                        break
        if class_name is None:
            return None
        found = self._class_attribute(class_name, attribute)
        prefix = self._env_prefix(class_name)
        variable = f"{prefix}{attribute}".upper()
        if found is None:
            return None, facts, variable, class_name
        default = found[0].value
        if default.kind == "call" and default.last == "Field":
            alias = default.kwarg("validation_alias") or default.kwarg("alias") or default.kwarg("env")
            if alias is not None and alias.is_str:
                variable = str(alias.literal).upper()
            default = default.arg(0) or default.kwarg("default")
        return default, found[1], variable, class_name

    settings_field = _settings_field
    assignment = _assignment

    def _class_attribute(self, class_name: str, attribute: str, depth: int = 0):
        """A class attribute's assignment, on the class or (a settings base class) one it derives from."""
        found = self.index.assigns.get(f"{class_name}.{attribute}")
        if found is not None or depth > 4:
            return found
        entry = self.index.classes.get(class_name)
        for base in getattr(entry[0], "bases", ()) if entry else ():
            resolved = self.index.resolve(base)
            if resolved is not None and resolved.cls and resolved.qualname != class_name:
                inherited = self._class_attribute(resolved.qualname, attribute, depth + 1)
                if inherited is not None:
                    return inherited
        return None

    def _function(self, dotted: str, facts: PyFacts):
        for name in (dotted, f"{facts.module}.{dotted}", self.index.imports.get(facts.module, {}).get(dotted, "")):
            if name:
                target = self.index.function(name)
                if target is not None:
                    return target
        return None

    def _env_prefix(self, class_name: str) -> str:
        config = self.index.assigns.get(f"{class_name}.model_config")
        if config is not None:
            prefix = config[0].value.kwarg("env_prefix")
            if prefix is not None and prefix.is_str:
                return str(prefix.literal)
        legacy = self.index.assigns.get(f"{class_name}.Config.env_prefix")
        if legacy is not None and legacy[0].value.is_str:
            return str(legacy[0].value.literal)
        return ""

    def _has_validators(self, class_name: str) -> bool:
        for _qualname, (function, _) in self.index.functions.items():
            if function.class_name != class_name:
                continue
            if any("validator" in d.text or d.text.endswith(("computed_field", "property")) for d in function.decorators):
                return True
        return False

    def settings_env_files(self, class_name: str) -> list[str]:
        """The `env_file` a pydantic settings class reads, as written."""
        names = []
        config = self.index.assigns.get(f"{class_name}.model_config")
        if config is not None:
            value = config[0].value.kwarg("env_file")
            names.extend(_strings(value))
        legacy = self.index.assigns.get(f"{class_name}.Config.env_file")
        if legacy is not None:
            names.extend(_strings(legacy[0].value))
        return names

    # ------------------------------------------------------------ configuration

    def config_values(self, variable: str, app_ref_filter=None) -> list[UrlSource]:
        """Values production configuration gives `variable`: compose `environment:` and `env_file:`,
        Kubernetes `env:`, Dockerfile `ENV`, of the processes that run a server (filtered by app_ref_filter)."""
        out: list[UrlSource] = []
        seen: set[tuple[str, int]] = set()
        wanted = variable.upper()
        for process in self.project.processes:
            if process.context != Context.PROD or process.role not in {"web", "image", "worker"}:
                continue
            server = process.server
            if server is None:
                continue
            if app_ref_filter is not None and not app_ref_filter(server[1].app_ref):
                continue
            for key, (value, location) in process.env.items():
                if key.upper() == wanted and value and (location.path, location.span.line) not in seen:
                    seen.add((location.path, location.span.line))
                    out.append(UrlSource(value, location, "config", key))
            if process.kind == "compose" and process.node is not None and process.file is not None:
                for env_file in env_file_paths(process.node.get("env_file")):
                    path = posixpath.normpath(posixpath.join(posixpath.dirname(process.file.path), env_file))
                    out.extend(self._env_file_values(path, wanted, seen))
        return out

    def unset_in_production(self, variable: str, app_ref_filter=None) -> list[str] | None:
        """Compose services / Kubernetes containers that serve the app and demonstrably do not set `variable`
        (no value, no `valueFrom`, no `envFrom`, no `env_file` that is missing or sets it), so the code's
        default is what production runs. None when there are none, or when any could set it where we cannot see
        (a bare Dockerfile or Procfile: platforms inject the environment)."""
        wanted = variable.upper()
        names: list[str] = []
        for process in self.project.processes:
            if process.context != Context.PROD or process.role not in {"web", "image", "worker"}:
                continue
            server = process.server
            if server is None or (app_ref_filter is not None and not app_ref_filter(server[1].app_ref)):
                continue
            if process.kind not in {"compose", "k8s"} or process.node is None or process.file is None:
                if process.kind == "dockerfile" and process.role == "image":
                    continue  # the image of a compose service or workload checked on its own
                return None
            if any(key.upper() == wanted for key in process.env):
                return None
            node = process.node
            if process.kind == "k8s":
                if node.get("envFrom") is not None:
                    return None
                env = node.get("env")
                for item in env.list() if env is not None else []:
                    name = item.get("name")
                    if name is not None and (name.as_str() or "").upper() == wanted:
                        return None
            else:
                for env_file in env_file_paths(node.get("env_file")):
                    path = posixpath.normpath(posixpath.join(posixpath.dirname(process.file.path), env_file))
                    source = self.project.by_path.get(path)
                    if source is None or source.kind != FileKind.ENV:
                        return None
                    if any(e.key.upper() == wanted for e in self.project.env_entries(source)):
                        return None
            names.append(process.name)
        return names or None

    def env_file_values(self, path: str, variable: str) -> list[UrlSource]:
        return self._env_file_values(path, variable.upper(), set())

    def _env_file_values(self, path: str, wanted: str, seen: set[tuple[str, int]]) -> list[UrlSource]:
        source = self.project.by_path.get(path)
        if source is None or source.kind != FileKind.ENV or source.error is not None:
            return []
        out = []
        for entry in self.project.env_entries(source):
            if entry.key.upper() == wanted and entry.value and (path, entry.line) not in seen:
                seen.add((path, entry.line))
                line_text = source.line(entry.line)
                out.append(UrlSource(entry.value, Location(path, Span(entry.line, entry.column, entry.line,
                                                                       len(line_text.rstrip()) + 1)), "config", entry.key))
        return out


def _strings(value: Value | None) -> list[str]:
    if value is None:
        return []
    if value.is_str:
        return [str(value.literal)]
    return [str(item.literal) for item in value.items if item.is_str]


def env_file_paths(node) -> list[str]:
    """A compose `env_file:` (a string, a list, or a list of `{path: ...}`) as paths."""
    if node is None:
        return []
    if node.is_scalar:
        text = node.as_str()
        return [text] if text else []
    out = []
    for item in node.list():
        if item.is_scalar and item.as_str():
            out.append(item.as_str())
        elif item.is_map and item.get("path") is not None and item.get("path").as_str():
            out.append(item.get("path").as_str())
    return out
