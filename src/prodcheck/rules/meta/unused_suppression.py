"""PC001 unused-suppression. Emitted by the engine for pragmas that matched no finding."""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.model.finding import Severity
from prodcheck.rules.base import Draft, Rule, RuleMeta


class UnusedSuppression(Rule):
    meta = RuleMeta(code="PC001", name="unused-suppression", summary="A suppression comment that matched nothing",
                    severity=Severity.INFO, kinds=("all",))

    def check(self, project: object) -> Iterator[Draft]:
        return iter(())
