"""PC602 depends-on-not-healthy. Docs and tests: rules/PC602-depends-on-not-healthy.md"""
from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prodcheck.knowledge import load
from prodcheck.model.files import Context
from prodcheck.fix.roundtrip import Slot, file_text, find, same_style
from prodcheck.fix.roundtrip import fix as roundtrip_fix
from prodcheck.model.finding import Fix, Location, Severity
from prodcheck.parsing.yaml import YNode
from prodcheck.project import Project
from prodcheck.project.images import image_repository, is_database_image, is_pooler_image, is_third_party_image
from prodcheck.project.infra import ComposeService, scalar_location
from prodcheck.rules.base import Draft, FixAvailability, Rule, RuleMeta
from prodcheck.rules.health.probes import process_for_node

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedSeq

_OTHER_DATABASES = frozenset(load("images")["stores"]["databases"])  # besides PostgreSQL and its poolers
_WAITERS = tuple(load("commands")["waiters"]["words"])
_SERVERS = frozenset(load("images")["database_servers"]["programs"])


def is_database_service(service: ComposeService) -> bool:
    image = service.image
    if image is None:
        return False
    if not (is_database_image(image) or is_pooler_image(image) or image_repository(image) in _OTHER_DATABASES):
        return False
    return not _runs_a_job(service)


def _runs_a_job(service: ComposeService) -> bool:
    """A database image whose `command:` runs another program (`sh -c "createdb ..."`, `psql`): a one-shot
    client of the database, not the database."""
    command = service.node.get("command")
    if command is None:
        return False
    words = command.strings() if command.is_seq else (command.as_str() or "").split()
    if not words or words[0].startswith("-"):
        return False
    return words[0].rsplit("/", 1)[-1] not in _SERVERS


def _item_comment(entries: CommentedSeq, index: int) -> str:
    """The end-of-line comment of a list item (`- db  # first`), to keep on the entry that replaces it."""
    tokens = entries.ca.items.get(index) or []
    for token in tokens:
        value = getattr(token, "value", None)
        if isinstance(value, str) and value.strip().startswith("#") and "\n" not in value.strip():
            return value.strip()
    return ""


def _disabled(healthcheck: YNode | None) -> bool:
    """`healthcheck: {disable: true}` or `test: ["NONE"]`: no check a condition could wait for."""
    if healthcheck is None or not healthcheck.is_map:
        return True
    disable = healthcheck.get("disable")
    if disable is not None and disable.as_bool():
        return True
    test = healthcheck.get("test")
    words = test.strings() if test is not None else []
    return bool(words) and words[0].upper() == "NONE"


class DependsOnNotHealthy(Rule):
    meta = RuleMeta(
        code="PC602", name="depends-on-not-healthy",
        summary="Compose `depends_on` a database without waiting for it to be healthy",
        severity=Severity.WARNING, kinds=("compose",), dev="skip", fix=FixAvailability.SOMETIMES,
    )

    def check(self, project: Project) -> Iterator[Draft]:
        by_folder: dict[str, dict[str, ComposeService]] = {}
        for service in project.compose_services:
            by_folder.setdefault(posixpath.dirname(service.file.path), {}).setdefault(service.name, service)
            if service.image is not None:
                by_folder[posixpath.dirname(service.file.path)][service.name] = service
        for service in project.compose_services:
            if service.file.context != Context.PROD or is_third_party_image(service.image):
                continue
            depends = service.node.get("depends_on")
            if depends is None:
                continue
            siblings = by_folder.get(posixpath.dirname(service.file.path), {})
            for name, node, condition_node in self._entries(depends):
                target = siblings.get(name)
                if target is None or not is_database_service(target):
                    continue
                condition = condition_node.as_str() if condition_node is not None else None
                if condition in {"service_healthy", "service_completed_successfully"}:
                    continue
                if self._waits(project, service):
                    continue
                has_check = target.node.get("healthcheck") is not None
                healthy = has_check and not _disabled(target.node.get("healthcheck"))
                fix = "`condition: service_healthy`" + ("" if has_check else f" and a `healthcheck:` on `{name}`")
                what = f"`condition: {condition}`" if condition else "no `condition`"
                yield self.draft(
                    f"`{service.name}` depends on database `{name}` with {what}: Compose starts it as soon as the "
                    f"database container exists, not when it accepts connections, and the app fails its first "
                    f"queries or crashes on boot; use {fix}",
                    scalar_location(service.file.path, condition_node if condition_node is not None else node),
                    related=(target.location.labelled(f"database service `{name}`"),),
                    fix=self._fix(project, service, depends, name) if healthy else None,
                )

    @staticmethod
    def _fix(project: Project, service: ComposeService, depends: YNode, name: str) -> Fix | None:
        """`condition: service_healthy` on the entry, through ruamel.yaml's round trip.

        The short list form becomes the long form, every other entry with `condition: service_started`
        (what the short form means), so only the database's start changes.
        """
        from ruamel.yaml.comments import CommentedMap, CommentedSeq  # only when a fix is offered (fix/roundtrip.py)

        text = file_text(service.file)
        if text is None:
            return None
        key = service.key.span
        span = depends.span
        last = span.end_line - 1 if span.end_column == 1 and span.end_line > span.line else span.end_line

        def locate(documents: list[Any]) -> Slot | None:
            found = find(documents, key.line, key.column)
            if found is None or not isinstance(found.value, CommentedMap) or "depends_on" not in found.value:
                return None
            return Slot(found.value, "depends_on")

        def change(slot: Slot) -> bool:
            entries = slot.value
            if isinstance(entries, CommentedSeq):
                names = [str(item) for item in entries]
                if names.count(name) != 1 or len(set(names)) != len(names):
                    return False
                long_form = CommentedMap()
                for index, other in enumerate(entries):  # the names as written: quoted stays quoted
                    long_form[other] = CommentedMap(
                        [("condition", "service_healthy" if str(other) == name else "service_started")])
                    comment = _item_comment(entries, index)
                    if comment:
                        long_form.yaml_add_eol_comment(comment, other)
                long_form.fa.set_block_style()
                slot.set(long_form)
                return True
            if isinstance(entries, CommentedMap) and name in entries:
                entry = entries[name]
                if entry is None:
                    entries[name] = CommentedMap([("condition", "service_healthy")])
                elif isinstance(entry, CommentedMap):
                    condition = entry.get("condition")
                    entry["condition"] = same_style(condition, "service_healthy") if condition is not None \
                        else "service_healthy"
                else:
                    return False
                return True
            return False

        return roundtrip_fix(f"wait for `{name}` with `condition: service_healthy`", service.file.path, text,
                             span.line, span.column, change, span.line, last, locate=locate)

    @staticmethod
    def _entries(depends):
        """(service name, node to report, condition node) for the short and the long form."""
        if depends.is_seq:
            for item in depends.list():
                if item.as_str():
                    yield item.as_str(), item, None
        elif depends.is_map:
            for key, value in depends.items():
                if key.is_scalar and key.value is not None:
                    yield str(key.value), key, value.get("condition") if value.is_map else None

    @staticmethod
    def _waits(project: Project, service: ComposeService) -> bool:
        """The service's command waits for the database itself (wait-for-it, dockerize, a pg_isready loop)."""
        process = process_for_node(project, service.node)
        lines = set()
        for key in ("command", "entrypoint"):
            node = service.node.get(key)
            if node is not None:
                lines.update(" ".join(node.strings()).split("\n"))
        if process is not None:
            for step in process.steps:
                source = project.by_path.get(step.location.path)
                if source is not None:
                    lines.add(source.line(step.location.span.line))
                    for script in step.via:
                        script_source = project.by_path.get(script)
                        if script_source is not None:
                            lines.update(script_source.lines)
        return any(waiter in line for line in lines for waiter in _WAITERS)


__all__ = ["DependsOnNotHealthy", "Location"]
