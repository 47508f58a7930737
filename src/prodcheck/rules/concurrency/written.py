"""Names as the source writes them, where the extracted facts do not say what they hold by themselves:
a forward reference (an annotation written as a string) and an attribute of the application's state."""
from __future__ import annotations

from prodcheck.model.facts import PyFacts


def forward_name(text: str, facts: PyFacts) -> str | None:
    """The qualified name a forward reference spells (`"RESTfulAPI"`, `"Optional[Store]"`, `"Store | None"`, a
    class imported under `if TYPE_CHECKING:`), through the imports of the module it is written in, as the
    extractor qualifies a written name (https://peps.python.org/pep-0484/#forward-references). None for
    anything else (a generic, a union of two classes)."""
    text = text.strip()
    for wrapper in ("Optional[", "typing.Optional["):
        if text.startswith(wrapper) and text.endswith("]"):
            text = text[len(wrapper):-1].strip()
    members = [m.strip() for m in text.split("|") if m.strip() not in {"None", ""}]
    if len(members) != 1 or not all(part.isidentifier() for part in members[0].split(".")):
        return None
    head, _, rest = members[0].partition(".")
    base = dict(facts.imports).get(head) or f"{facts.module}.{head}"
    return f"{base}.{rest}" if rest else base


def app_state_name(dotted: str) -> str:
    """`NAME` of `request.app.state.NAME`, `app.state.NAME`, `self._app.state.NAME`: the application's state
    (https://www.starlette.io/applications/#storing-state-on-the-app-instance), one object for every request;
    not `request.state`, which is per request."""
    if ".state." not in dotted:  # asked for most names `Holds` follows: nearly none is one
        return ""
    parts = dotted.split(".")
    if len(parts) < 3 or parts[-2] != "state" or not parts[-3].endswith("app") or "()" in dotted:
        return ""
    return parts[-1]
