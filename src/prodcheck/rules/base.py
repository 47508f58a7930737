"""What a rule is: metadata plus one `check(project)` hook that yields findings."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import field
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

from prodcheck.model.files import Context, FileKind
from prodcheck.model.finding import Confidence, Finding, Fix, Location, Severity
from prodcheck.model.record import record, slotted

if TYPE_CHECKING:
    from prodcheck.project import Project


class FixAvailability(StrEnum):
    NONE = "none"
    SOMETIMES = "sometimes"
    ALWAYS = "always"


@record
class RuleMeta:
    code: str
    name: str
    summary: str
    severity: Severity
    kinds: tuple[str, ...]  # FileKind values, or ("cross-file",)
    core: bool = False
    fix: FixAvailability = FixAvailability.NONE
    fix_safe: bool = True  # whether the fixes it offers keep behaviour (each Fix.safe must agree)
    dev: str = "downgrade"  # dev/test context: "downgrade" to info, or "skip"
    security: float | None = None  # SARIF security-severity, for security rules


@slotted
class Draft:
    """A finding before the engine applies context, configuration and suppressions."""

    message: str
    location: Location
    severity: Severity | None = None
    related: tuple[Location, ...] = ()
    confidence: Confidence = Confidence.HIGH
    context: Context | None = None
    fix: Fix | None = None
    secrets: tuple[str, ...] = field(default=())
    context_reason: str = ""  # why, when the rule sets `context` itself


_REGISTRY: dict[str, type[Rule]] = {}


class Rule:
    meta: ClassVar[RuleMeta]
    # The analyses the project keeps for the rules that share them (`PythonIndex.ANALYSES`) this rule reads:
    # the engine drops each one once the last selected rule reading it has run (it is built again if asked for).
    analyses: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        meta = cls.__dict__.get("meta")
        if meta is not None:
            if meta.code in _REGISTRY and _REGISTRY[meta.code] is not cls:
                raise RuntimeError(f"duplicate rule code {meta.code}")
            _REGISTRY[meta.code] = cls

    def check(self, project: Project) -> Iterable[Draft]:
        raise NotImplementedError

    def draft(self, message: str, location: Location, **kwargs: object) -> Draft:
        return Draft(message, location, **kwargs)  # type: ignore[arg-type]  # kwargs are Draft's optional fields


def registered() -> dict[str, type[Rule]]:
    return _REGISTRY


def build_finding(meta: RuleMeta, draft: Draft, context: Context, anchor: str, context_reason: str = "") -> Finding:
    return Finding(
        code=meta.code, name=meta.name, message=draft.message, location=draft.location,
        severity=draft.severity or meta.severity, related=draft.related, confidence=draft.confidence,
        context=context, fix=draft.fix, secrets=draft.secrets, anchor=anchor, context_reason=context_reason,
    )


def iter_kinds(meta: RuleMeta) -> Iterator[str]:
    yield from meta.kinds


__all__ = ["Draft", "FileKind", "FixAvailability", "Rule", "RuleMeta", "Severity", "registered"]
