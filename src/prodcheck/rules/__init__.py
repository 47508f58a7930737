"""Rule registry: every module under this package is imported once; rules register themselves."""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from prodcheck.rules.base import Rule, RuleMeta, registered


@lru_cache(maxsize=1)
def all_rules() -> dict[str, type[Rule]]:
    for module in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        if module.name.rsplit(".", 1)[-1] not in {"base", "helpers"}:
            importlib.import_module(module.name)
    return dict(sorted(registered().items()))


def by_code_or_name(key: str) -> type[Rule] | None:
    wanted = key.strip()
    for code, rule in all_rules().items():
        if code.lower() == wanted.lower() or rule.meta.name == wanted.lower():
            return rule
    return None


def matches(meta: RuleMeta, selector: str) -> bool:
    """A code, a name, or a code prefix (`PC4`, `PC40`)."""
    selector = selector.strip()
    if not selector:
        return False
    if selector.upper() == "ALL":
        return True
    if selector.lower() == meta.name:
        return True
    return meta.code.upper().startswith(selector.upper())


def is_known_selector(selector: str) -> bool:
    return any(matches(rule.meta, selector) for rule in all_rules().values())
