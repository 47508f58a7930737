"""Project files by the module names an import can spell: a file's full module name, or any dotted tail of
it that ends no other module (`services.actions` for `keep/api/services/actions.py`), with a `src/` or
`lib/` layout folder dropped (`src.config` is the module `config`). The parse's second round
(python_links.py) and the model's name resolution (project/python_names.py) look modules up the same way."""
from __future__ import annotations

from collections.abc import Iterator


class ModuleNames:
    """Module name (or tail) -> the value recorded for it (a path, a module name)."""

    __slots__ = ("full", "tails")

    def __init__(self) -> None:
        self.full: dict[str, str] = {}
        # Each dotted tail -> the one value it ends, or "" when several do (then the tail names none).
        self.tails: dict[str, str] = {}

    def add(self, module: str, value: str) -> None:
        self.full.setdefault(module, value)
        tails = self.tails
        tail = module
        while True:  # the module, then each dotted tail of it (cut after each dot)
            if tails.setdefault(tail, value) != value:
                tails[tail] = ""
            dot = tail.find(".")
            if dot < 0:
                return
            tail = tail[dot + 1:]

    def get(self, dotted: str) -> str | None:
        found = self.full.get(dotted) or self.tails.get(dotted)
        if found:
            return found
        head, _, rest = dotted.partition(".")
        # a project whose src/ is itself a package imports `src.config`, which is the module `config` here
        return self.get(rest) if head in {"src", "lib"} and rest else None

    def ambiguous(self, dotted: str) -> bool:
        """Whether `dotted` or a leading part of it is the dotted tail of several modules (two copies of an
        application in one repository: `api/chalicelib/...` and `ee/api/chalicelib/...`)."""
        tails = self.tails  # each leading part cut off at its dot: no split, join or generator (cells) per question
        at = dotted.find(".")
        while at != -1:
            if tails.get(dotted[:at]) == "":
                return True
            at = dotted.find(".", at + 1)
        return tails.get(dotted) == ""

    @staticmethod
    def under_folders(dotted: str, importer: str) -> Iterator[str]:
        """`dotted` under each folder of the module or file `importer`, nearest first (`api.chalicelib.core` for
        `chalicelib.core` written in `api/routers/core.py`): where its interpreter looks when it runs from there."""
        folders = importer.removesuffix(".py").replace("/", ".").split(".")
        for cut in range(len(folders) - 1, 0, -1):
            yield ".".join(folders[:cut]) + "." + dotted

    def beside(self, dotted: str, importer: str) -> str | None:
        """What `dotted` names as written in the module or file `importer`, when a dotted tail of it ends several
        modules: the module under the importer's own folders (`api.chalicelib.core.signup` from
        `api.routers.core`). None when no tail of it is ambiguous or no copy sits beside the importer."""
        if not importer or not self.ambiguous(dotted):
            return None
        return self.nearest(dotted, importer)

    def nearest(self, dotted: str, importer: str) -> str | None:
        """The module `dotted` names under the folders of `importer`, nearest first (`under_folders`)."""
        return next((found for candidate in self.under_folders(dotted, importer)
                     if (found := self.full.get(candidate))), None)


def module_name_for(path: str) -> str:
    """A file's module name: its path's parts, without a `src/` or `lib/` layout folder (`__root__` for none)."""
    if "{{" in path:  # `{{cookiecutter.project_name}}/web/app.py`: the package a template generates
        from prodcheck.extract.jinja import render_placeholders

        path = render_placeholders(path)
    parts = path.removesuffix(".py").split("/")
    if parts and parts[-1] == "__init__":
        parts.pop()
    if parts and parts[0] in {"src", "lib"} and len(parts) > 1:
        parts = parts[1:]
    return ".".join(filter(None, parts)) or "__root__"
