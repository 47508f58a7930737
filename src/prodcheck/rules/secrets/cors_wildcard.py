"""PC304 cors-wildcard. Docs and tests: rules/PC304-cors-wildcard.md"""
from __future__ import annotations

import re
from collections.abc import Iterator

from prodcheck.knowledge import load
from prodcheck.knowledge.frameworks import middleware_wrappers
from prodcheck.knowledge.names import names
from prodcheck.model.facts import Call, PyFacts, Value
from prodcheck.model.files import Context
from prodcheck.model.finding import Location, Severity, Span
from prodcheck.project import Project
from prodcheck.rules.base import Draft, Rule, RuleMeta

CORS_CLASSES = frozenset(load("frameworks")["middleware"]["cors"])
MIDDLEWARE_WRAPPERS = middleware_wrappers()
# Origins a wildcard regex lets in: if it fully matches all of these, it matches anyone.
_PROBES = ("https://attacker.example", "http://evil.test:8080", "https://x.y.z.example.net", "null")


COOKIES = names("frameworks", "cookies", "names")


def cookie_evidence(project: Project, facts: PyFacts) -> Location | None:
    """Where the application that configures CORS in `facts` sets or reads cookies (or HTTP Basic
    auth): the module itself, the modules that import it and everything they import. Without
    one, `allow_credentials=True` carries nothing a browser would send (knowledge: frameworks.toml [cookies])."""
    index = project.python
    roots = [facts.module, *(module for module, edges in index.import_graph.items() if facts.module in edges)]
    for module in sorted(index.imported_closure(roots)):
        found = index.modules.get(module)
        if found is None:
            continue
        for call in found.calls:
            if COOKIES.match(call.name):
                return Location(found.path, call.span)
        for _, qualified in found.imports:
            if COOKIES.match(qualified):
                return Location(found.path, Span(1, 1, 1, 1))
    return None


def _is_cors_class(value: Value | None) -> bool:
    return value is not None and value.kind == "name" and (value.text in CORS_CLASSES or value.last == "CORSMiddleware")


def regex_allows_any(pattern: str) -> bool:
    if len(pattern) > 500:
        return False
    try:
        compiled = re.compile(pattern)
    except (re.error, RecursionError):
        return False
    return all(compiled.fullmatch(origin) for origin in _PROBES[:3])


def _may_configure_cors(project: Project) -> frozenset[str]:
    """The project's call names that may configure CORSMiddleware (`_cors_options` reads their arguments): a method
    `add_middleware` or `Middleware` of anything, a wrapper, `Middleware`, a CORS class. By the call index's tables
    (names by their last part, and by name), not by judging every distinct call name."""
    calls = project.calls
    return calls.names_ending(("add_middleware", "Middleware"), dotted=True) \
        | calls.called((*MIDDLEWARE_WRAPPERS, "Middleware", *CORS_CLASSES))


class CorsWildcard(Rule):
    meta = RuleMeta(
        code="PC304", name="cors-wildcard",
        summary="CORS allows every origin (an error together with credentials and cookies)",
        severity=Severity.WARNING, kinds=("py",), security=6.0,
    )

    def check(self, project: Project) -> Iterator[Draft]:
        for facts, call in project.calls.among(_may_configure_cors(project)):
            options = self._cors_options(call)
            if options is not None:
                yield from self._check_options(project, facts, call, options)

    @staticmethod
    def _cors_options(call: Call) -> Value | None:
        """The call whose keywords configure CORSMiddleware, if this is one."""
        value = call.value
        if call.name.endswith(".add_middleware") or value.text in MIDDLEWARE_WRAPPERS or value.last == "Middleware":
            return value if _is_cors_class(value.arg(0)) or _is_cors_class(value.kwarg("middleware_class")) else None
        if value.text in CORS_CLASSES:
            return value
        return None

    def _resolve(self, project: Project, facts: PyFacts, value: Value) -> tuple[Value, Location | None]:
        """A module constant's value (and where it is set), else the value itself."""
        if value.kind != "name":
            return value, None
        resolved = project.python.resolve(value.text) or project.python.resolve(f"{facts.module}.{value.text}")
        if resolved is None or resolved.assign is None:
            return value, None
        assign, owner = resolved.assign
        if assign.scope not in {"", owner.module}:
            return value, None  # a settings field: the environment decides
        return assign.value, Location(owner.path, assign.span)

    def _check_options(self, project: Project, facts: PyFacts, call: Call, options: Value) -> Iterator[Draft]:
        credentials = options.kwarg("allow_credentials")
        with_credentials = credentials is not None and self._resolve(project, facts, credentials)[0].is_true
        cookies = cookie_evidence(project, facts) if with_credentials else None
        context = Context.DEV if call.in_main else None
        origins = options.kwarg("allow_origins")
        if origins is not None and with_credentials and not call.in_main:
            yield from self._settings_default(project, facts, call, origins, cookies)
        if origins is not None:
            resolved, origin = self._resolve(project, facts, origins)
            wildcard = (resolved.is_str and str(resolved.literal).strip() == "*") or (
                resolved.kind == "seq" and any(item.is_str and str(item.literal).strip() == "*" for item in resolved.items))
            if wildcard:
                written = '"*"' if resolved.is_str else '["*"]'
                via = f" (through `{origins.text}`)" if origins.kind == "name" else ""
                yield self._draft(f"`allow_origins={written}`{via}", with_credentials, cookies,
                                  Location(facts.path, origins.span), origin, context)
        regex = options.kwarg("allow_origin_regex")
        if regex is not None:
            resolved, origin = self._resolve(project, facts, regex)
            if resolved.is_str and regex_allows_any(str(resolved.literal)):
                yield self._draft(f"`allow_origin_regex=\"{resolved.literal}\"` matches every origin", with_credentials,
                                  cookies, Location(facts.path, regex.span), origin, context)

    def _settings_default(self, project: Project, facts: PyFacts, call: Call, origins: Value,
                          cookies: Location | None) -> Iterator[Draft]:
        """`allow_origins=settings.CORS_ORIGINS` with credentials, where the settings field defaults to
        `["*"]` and no production configuration sets the variable: what a deploy runs unless it does."""
        if origins.kind != "name" or "." not in origins.text:
            return
        from prodcheck.project.db_urls import UrlResolver

        resolver = UrlResolver(project)
        dotted = origins.text
        head, _, attribute = dotted.partition(".")
        function = project.python.functions.get(call.scope)
        local = function[0].local(head) if function is not None else None
        if local is not None and local.kind == "call" and not local.items and not local.keywords:
            dotted = f"{local.text}().{attribute}"  # settings = get_settings(); settings.CORS_ORIGINS
        field = resolver.settings_field(dotted, facts)
        if field is None:
            return
        default, field_facts, variable, _ = field
        if default is None or not (
                (default.kind == "seq" and any(i.is_str and str(i.literal).strip() == "*" for i in default.items))
                or (default.is_str and str(default.literal).strip() == "*")):
            return
        if resolver.config_values(variable):
            return  # production configuration sets it
        harm = ("lets any website send your users' cookies and read the answers"
                if cookies is not None else
                "lets any website read the answers, and call the API as its users once a session or auth "
                "cookie is added (the application sets none today)")
        yield self.draft(
            f"settings field `{variable}` defaults to allow every origin and is passed as `allow_origins` with "
            f"`allow_credentials=True`: a deploy that does not set it {harm}; default to no origins and list the "
            "trusted ones in the deployment",
            Location(field_facts.path, default.span), severity=Severity.WARNING,
            related=(Location(facts.path, origins.span).labelled("passed to CORSMiddleware"),))

    def _draft(self, what: str, credentials: bool, cookies: Location | None, location: Location,
               origin: Location | None, context: Context | None) -> Draft:
        related = (origin.labelled("the origins"),) if origin is not None else ()
        if credentials and cookies is not None:
            return self.draft(
                f"{what} with `allow_credentials=True`: Starlette then echoes the caller's origin, so any website can "
                "send your users' cookies and read the answers; list the origins you trust",
                location, severity=Severity.ERROR, related=(*related, cookies.labelled("the app uses cookies")),
                context=context)
        if credentials:
            # Nothing in the application sets or reads a cookie (or HTTP Basic auth): today a
            # browser has no credential of this API to send, and Starlette answers `*` as without
            # credentials; the first session cookie added makes it the error above.
            return self.draft(
                f"{what} with `allow_credentials=True`: the application sets no cookie today, so browsers have "
                "nothing of it to send, but with the first session or auth cookie added any website can call the "
                "API as its users and read the answers; list the origins you trust, or drop `allow_credentials`",
                location, severity=Severity.WARNING, related=related, context=context)
        # Without credentials a browser sends no cookie: any page can read only what needs no login
        # (or what the network position of the user's browser reaches).
        return self.draft(
            f"{what} without credentials: any website can call this API from a browser and read what needs no "
            "login, including what only the user's network can reach; list the origins you trust if the API is "
            "internal", location, related=related, context=context, severity=Severity.INFO)
