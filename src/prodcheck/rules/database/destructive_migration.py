"""PC405 destructive-migration. Docs and tests: rules/PC405-destructive-migration.md"""
from __future__ import annotations

import re
from collections.abc import Iterator

from prodcheck.model.facts import Call, Function, PyFacts, Value
from prodcheck.model.finding import Location, Severity
from prodcheck.project import Project
from prodcheck.project.python_index import PythonIndex
from prodcheck.rules.base import Draft, Rule, RuleMeta
from prodcheck.lazy_pattern import lazy

_RAW_SQL = lazy(r"\b(?P<what>DROP\s+(?:TABLE|COLUMN)|RENAME\s+(?:COLUMN\s+\S+\s+)?TO|RENAME\s+COLUMN)\b", re.I)
_EXPAND_CONTRACT = ("; ship it as expand/contract: first a release whose code no longer uses it, then the "
                    "migration in a later release")


def is_revision(facts: PyFacts) -> bool:
    """An Alembic revision file: in a `versions/` folder with `revision = ...`, or using `alembic.op`."""
    if any(target.endswith(".op") and target.startswith("alembic") for _, target in facts.imports):
        return True
    if "/versions/" not in f"/{facts.path}":
        return False  # (the names below are read only for a file in such a folder)
    names = {a.target.rsplit(".", 1)[-1] for a in facts.assigns if not a.scope or a.scope == facts.module}
    return "revision" in names or "down_revision" in names


def _module_constant(facts: PyFacts, name: str) -> Value | None:
    for assign in facts.assigns:
        if assign.target == f"{facts.module}.{name}" and not assign.in_main:
            return assign.value
    return None


def _revision_id(facts: PyFacts) -> str | None:
    value = _module_constant(facts, "revision")
    return str(value.literal) if value is not None and value.is_str else None


def _superseded(revisions: list[PyFacts]) -> set[str]:
    """Revision ids some other revision names as `down_revision` (merge revisions name several)."""
    parents: set[str] = set()
    for facts in revisions:
        value = _module_constant(facts, "down_revision")
        if value is None:
            continue
        for item in (value.items if value.kind == "seq" else (value,)):
            if item.is_str:
                parents.add(str(item.literal))
    return parents


def _in_upgrade(call: Call, module: str) -> bool:
    if not call.scope.startswith(module + "."):
        return False
    top = call.scope[len(module) + 1:].split(".", 1)[0]
    return top == "upgrade" or top.startswith("upgrade_")


def _op_method(call: Call, function: Function | None) -> str | None:
    """`drop_column` for `op.drop_column(...)` and `batch_op.drop_column(...)` in a batch block."""
    head, _, method = call.name.rpartition(".")
    if head in {"alembic.op", "op"}:
        return method
    if call.receiver and head == call.receiver and function is not None:
        value = function.local(call.receiver)
        if value is not None:
            return method if value.kind == "call" and value.text.endswith("batch_alter_table") else None
    return None


def _text(value: Value | None) -> str | None:
    return str(value.literal) if value is not None and value.is_str else None


def _false(value: Value | None) -> bool:
    return value is not None and value.kind == "const" and value.literal is False


def _added_here(alter: Call, column: str, facts: PyFacts) -> bool:
    """`column` is added by an `add_column(..., Column(column, ...))` earlier in the same `upgrade()`."""
    for call in facts.calls:
        if call.scope != alter.scope or call.span.line >= alter.span.line or not call.name.endswith("add_column"):
            continue
        added = call.value.arg(1) if call.receiver == "" else call.value.arg(0)
        if added is not None and added.kind == "call" and _text(added.arg(0) or added.kwarg("name")) == column:
            return True
    return False


class DestructiveMigration(Rule):
    meta = RuleMeta(
        code="PC405", name="destructive-migration",
        summary="A drop, rename or NOT NULL without default in an Alembic `upgrade()`",
        severity=Severity.WARNING, kinds=("py",), dev="skip",
    )

    def check(self, project: Project) -> Iterator[Draft]:
        index = project.python
        revisions = [facts for facts in project.python_facts.values() if is_revision(facts)]
        superseded = _superseded(revisions)
        for facts in revisions:
            # A revision another one builds on has already shipped: report it, but as history.
            severity = Severity.INFO if _revision_id(facts) in superseded else None
            for call in facts.calls:
                if not _in_upgrade(call, facts.module):
                    continue
                function = index.functions.get(call.scope, (None,))[0]
                method = _op_method(call, function)
                if method is None:
                    continue
                message = self._problem(method, call, index, facts)
                if message:
                    if severity is not None:
                        message += " (an older revision that later ones build on: likely applied already)"
                    yield self.draft(message, Location(facts.path, call.span), severity=severity)

    def _problem(self, method: str, call: Call, index: PythonIndex, facts: PyFacts) -> str | None:
        value = call.value
        batch = call.receiver != ""
        table = None if batch else _text(value.arg(0) or value.kwarg("table_name"))
        where = f" `{table}`" if table else ""
        column_arg = value.arg(0 if batch else 1)
        if method == "drop_column":
            column = _text(column_arg or value.kwarg("column_name"))
            return (f"`{method}({column!r})` drops a column in `upgrade()`: the release still running reads and "
                    f"writes it, so from the moment the migration commits until the last old process is gone its "
                    f"queries fail{_EXPAND_CONTRACT}") if column else (
                f"`{method}()` drops a column in `upgrade()`: the release still running fails on it{_EXPAND_CONTRACT}")
        if method == "drop_table":
            return (f"`drop_table()` drops{where or ' a table'} in `upgrade()`: the release still running queries "
                    f"it until it is replaced, and the data is gone for good{_EXPAND_CONTRACT}")
        if method == "rename_table":
            new = _text(value.arg(1) or value.kwarg("new_table_name"))
            return (f"`rename_table()` renames{where or ' a table'}{f' to `{new}`' if new else ''} in "
                    "`upgrade()`: the release still running uses the old name and fails until it is replaced; "
                    "create the new table (or a view under the old name), move the code, then drop the old one")
        if method == "alter_column":
            column = _text(column_arg or value.kwarg("column_name")) or "a column"
            new_name = _text(value.kwarg("new_column_name"))
            if new_name:
                return (f"`alter_column({column!r}, new_column_name={new_name!r})` renames a column in `upgrade()`: "
                        "the release still running uses the old name and fails until it is replaced; add the new "
                        "column, write both, backfill, switch reads, then drop the old one")
            if _false(value.kwarg("nullable")) and _added_here(call, column, facts):
                return (f"`alter_column({column!r}, nullable=False)` on the column this `upgrade()` adds: the release "
                        "still running does not know the column, so from the moment the migration commits its "
                        "inserts leave it NULL and fail until it is replaced; add the column nullable (or with a "
                        "`server_default`) now and set NOT NULL in a later release")
            if _false(value.kwarg("nullable")):
                return (f"`alter_column({column!r}, nullable=False)` in `upgrade()`: the migration fails if any row "
                        "is NULL, PostgreSQL scans the whole table under an ACCESS EXCLUSIVE lock, and inserts from "
                        "the release still running that leave it NULL start failing; backfill first, add a "
                        "`CHECK (... IS NOT NULL) NOT VALID` constraint and validate it, then set NOT NULL")
            return None
        if method == "add_column":
            column = column_arg if not batch else value.arg(0)
            if column is None or column.kind != "call" or not column.text.endswith("Column"):
                return None
            if not _false(column.kwarg("nullable")) or column.kwarg("server_default") is not None:
                return None
            name = _text(column.arg(0) or column.kwarg("name")) or "a column"
            return (f"`add_column()` adds {name!r} as NOT NULL without a `server_default` in `upgrade()`: it fails "
                    "on a table that has rows, and once it exists, inserts from the release still running (which "
                    "does not know the column) fail; add it nullable or with a `server_default`, backfill, and set "
                    "NOT NULL in a later release")
        if method == "execute":
            sql = _text(value.arg(0))
            if sql is None:
                inner = value.arg(0)
                sql = _text(inner.arg(0)) if inner is not None and inner.kind == "call" and inner.last == "text" else None
            match = _RAW_SQL.search(sql or "")
            if match:
                what = " ".join(match.group("what").upper().split()[:2])
                return (f"`op.execute()` runs `{what} ...` in `upgrade()`: the release still running uses what it "
                        f"drops or renames and fails until it is replaced{_EXPAND_CONTRACT}")
        return None
