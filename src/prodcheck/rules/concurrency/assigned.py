"""The assignments `Holds` reads across functions, collected once from every file's facts: application state
(`app.state.store = Store(...)`), entries stored in a module global's container (`worker_map[name] = worker`),
module globals assigned in a block at module level (which branch runs depends on the deployment's configuration)
and dotted locals (`request.state.db = session()`). Instance and class attributes are `attributes.py`'s."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from prodcheck.model.facts import Assign, PyFacts
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.concurrency.holding import HoldsBase
from prodcheck.rules.concurrency.written import app_state_name


class ModuleAssigns(HoldsBase):
    branches: dict[str, list[Assign]]  # module global -> its assignments in blocks at module level

    def _note_assigns(self, index: PythonIndex) -> None:
        self.dotted_locals = defaultdict(list)
        self.app_state = defaultdict(list)
        self.entries = defaultdict(list)
        # module globals assigned inside a block at module level (`if REDIS_HOST: cache = Redis(...)` then
        # `else: cache = SQLiteCache()`): which branch runs depends on the deployment's configuration
        self.branches = defaultdict(list)
        for facts in index.files.values():
            module = facts.module
            for assign in facts.assigns:
                target = assign.target
                # most assignments bind a function's plain local (`x = ...`), which none of these tables keeps
                if "." in target or "[" in target or assign.scope == module:
                    self._note_assign(assign, facts)

    def _note_assign(self, assign: Assign, facts: PyFacts) -> None:
        target, scope = assign.target, assign.scope
        name = app_state_name(target)
        if name:  # `app.state.store = Store(...)` (module level, a lifespan, an `__init__`): read by every request
            function = self.index.functions.get(scope)
            self.app_state[name].append((assign.value, function[0] if function else None))
        if target.endswith("[]"):  # `worker_map[name] = worker`: an entry of a module global's container
            function = self.index.functions.get(scope)
            owner = target[:-2]
            if owner.startswith("self.") and owner.count(".") == 1:
                # `self._engines[name] = engine` in a method: an entry of that class's attribute, by the class
                if function is None or not function[0].class_name:
                    return
                owner = f"{function[0].class_name}.{owner[5:]}"
            self.entries[owner].append((assign.value, function[0] if function else None))
            return
        if target.startswith("self.") and target.count(".") == 1:
            return  # an instance attribute (`attributes`)
        if scope == facts.module and assign.span.column > 1:
            self.branches[target].append(assign)
        if scope in self.index.classes and target.startswith(scope + ".") and target.count(".") == scope.count(".") + 1:
            return  # a class attribute (`attributes`)
        if "." in target and scope and scope != facts.module and scope in self.index.functions:
            self.dotted_locals[scope].append(assign)  # request.state.db = session()


def among(assign: Assign, branches: Sequence[Assign]) -> bool:
    """`assign` is one of `branches`, itself (apart: in `Holds._name`, the generator would make `assign` a cell)."""
    return any(branch is assign for branch in branches)
