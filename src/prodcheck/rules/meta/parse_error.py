"""PC000 parse-error. Emitted by the engine for files it could not read or parse."""
from __future__ import annotations

from collections.abc import Iterator

from prodcheck.model.finding import Severity
from prodcheck.rules.base import Draft, Rule, RuleMeta


class ParseErrorRule(Rule):
    meta = RuleMeta(code="PC000", name="parse-error", summary="A file of a known kind could not be read or parsed",
                    severity=Severity.WARNING, kinds=("all",))

    def check(self, project: object) -> Iterator[Draft]:
        return iter(())
