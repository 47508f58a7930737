"""Project files by the module names an import can spell: a file's full module name, or any dotted tail of
it that ends no other module (`services.actions` for `keep/api/services/actions.py`), with a `src/` or
`lib/` layout folder dropped (`src.config` is the module `config`). The parse's second round
(python_links.py) and the model's name resolution (project/python_names.py) look modules up the same way."""
from __future__ import annotations


class ModuleNames:
    """Module name (or tail) -> the value recorded for it (a path, a module name)."""

    __slots__ = ("full", "tails")

    def __init__(self) -> None:
        self.full: dict[str, str] = {}
        # Each dotted tail -> the one value it ends, or "" when several do (then the tail names none).
        self.tails: dict[str, str] = {}

    def add(self, module: str, value: str) -> None:
        self.full.setdefault(module, value)
        parts = module.split(".")
        tails = self.tails
        for start in range(len(parts)):
            tail = ".".join(parts[start:])
            if tails.setdefault(tail, value) != value:
                tails[tail] = ""

    def get(self, dotted: str) -> str | None:
        found = self.full.get(dotted) or self.tails.get(dotted)
        if found:
            return found
        head, _, rest = dotted.partition(".")
        # a project whose src/ is itself a package imports `src.config`, which is the module `config` here
        return self.get(rest) if head in {"src", "lib"} and rest else None

    def beside(self, dotted: str, importer: str) -> str | None:
        """What `dotted` names as written in the module or file `importer`, when a dotted tail of it ends several
        modules (two copies of an application: `api/chalicelib/...` and `ee/api/chalicelib/...`): the module under
        the importer's own folders (`api.chalicelib.core.signup` from `api.routers.core`), the one its interpreter
        imports when it runs from there. None when no tail of it is ambiguous or no copy sits beside the importer."""
        parts = dotted.split(".")
        if not importer or not any(self.tails.get(".".join(parts[:cut])) == "" for cut in range(1, len(parts) + 1)):
            return None
        folders = importer.removesuffix(".py").replace("/", ".").split(".")
        for cut in range(len(folders) - 1, 0, -1):
            found = self.full.get(".".join(folders[:cut]) + "." + dotted)
            if found:
                return found
        return None
