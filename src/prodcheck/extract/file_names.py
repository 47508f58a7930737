"""The names a file binds and imports, and the dotted name of an expression resolved through them (`qualify`):
the first layer of the one `ast` pass (extract/python.py), under the Values (extract/values.py)."""
from __future__ import annotations

import ast
import sys
from typing import Any

from prodcheck.extract.scope import Scope

# The dotted names of values (`sqlalchemy.orm.Session`, `self.db.execute`), imported names and assignment targets
# repeat across a project's files: one string object each, not one per occurrence (extract/values.py).
_intern = sys.intern
_Name, _Attribute, _CallNode, _Tuple, _List = ast.Name, ast.Attribute, ast.Call, ast.Tuple, ast.List
_BinOp, _Div = ast.BinOp, ast.Div
_FunctionDef, _AsyncFunctionDef, _ClassDef = ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef
_AssignNode, _AnnAssignNode, _If, _Try = ast.Assign, ast.AnnAssign, ast.If, ast.Try


class FileNames(ast.NodeVisitor):
    """The names a file binds and imports, and the scopes being visited."""

    def __init__(self, module: str, path: str) -> None:
        self.module = module
        self.package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
        self.path = path
        self.imports: dict[str, str] = {}
        self.imported_modules: list[str] = []
        self.module_names: set[str] = set()
        self.module_functions: set[str] = set()  # the functions the module defines at its top level
        self.global_names: set[str] = set()  # names a module-level function or method declares `global`
        self.scopes: list[Scope] = [Scope(module, False)]
        self._globals: dict[str, str] = {}  # `_global_name`

    def qualify(self, dotted: str) -> str:
        head, _, rest = dotted.partition(".")
        scope = self.scopes[-1]
        if scope.is_function and head in scope.local_names:
            return dotted
        if head in self.imports:
            base = self.imports[head]
            return f"{base}.{rest}" if rest else base
        if head in self.module_names:
            return f"{self.module}.{dotted}"
        if head.endswith(("()", "[]")):  # `Path(p).write_text`, `CLIENTS[k].get`: qualified like any other name
            called = head.rstrip("()[]")
            qualified = self.qualify(called)
            if qualified != called:
                return f"{qualified}{head[len(called):]}.{rest}" if rest else f"{qualified}{head[len(called):]}"
        return dotted

    def _name_text(self, name: str) -> str:
        """`qualify` of a plain name, an identifier `ast` made (interned: no `intern` again)."""
        scope = self.scopes[-1]
        if scope.is_function and name in scope.local_names:
            return name
        imported = self.imports.get(name)
        if imported is not None:
            return imported  # (interned: `visit_Import`, `visit_ImportFrom`)
        return self._global_name(name) if name in self.module_names else name

    def _member_text(self, name: str, member: str) -> str:
        """`qualify` of a plain name's member (`db.execute`, `os.environ`), interned, without splitting it again."""
        scope = self.scopes[-1]
        if scope.is_function and name in scope.local_names:
            return _intern(f"{name}.{member}")
        imported = self.imports.get(name)
        if imported is not None:
            return _intern(f"{imported}.{member}")
        if name in self.module_names:
            return _intern(f"{self.module}.{name}.{member}")
        return _intern(f"{name}.{member}")

    def _global_name(self, name: str) -> str:
        """`qualify` of a name the module binds (and does not import): `module.name`, one string per name and file."""
        qualified = self._globals.get(name)
        if qualified is None:
            qualified = self._globals[name] = _intern(f"{self.module}.{name}")
        return qualified

    def dotted(self, node: ast.AST) -> str | None:
        current: Any = node  # dispatched on exact node types (the parser makes no subclasses)
        current_type = type(current)
        if current_type is _Name:
            return current.id
        if current_type is _Attribute:
            inner = current.value
            if type(inner) is _Name:  # `db.execute`, `self.session`: most dotted names, no list built
                return f"{inner.id}.{current.attr}"
        parts: list[str] = []
        while current_type is _Attribute:
            parts.append(current.attr)
            current = current.value
            current_type = type(current)
        if current_type is _Name:
            parts.append(current.id)
            return ".".join(reversed(parts))
        if current_type is _CallNode:
            inner = self.dotted(current.func)
            if inner is not None:
                parts.append(inner + "()")
                return ".".join(reversed(parts))
        elif current_type is _BinOp and type(current.op) is _Div and parts:
            # `(root / name).write_text(...)`: `a / b` is `a.joinpath(b)` for a path
            # (https://docs.python.org/3/library/pathlib.html#operators), named so, after the operand that is a name
            inner = self.dotted(current.left) or self.dotted(current.right)
            if inner is not None:
                parts.append(inner + ".joinpath()")
                return ".".join(reversed(parts))
        return None

    def _element_method(self, func: ast.AST) -> str | None:
        """`CLIENTS[kind].upload` as `CLIENTS[].upload`: a method called on an element of a container (the key
        is left out: what the entries hold is what a reader of the name needs); `HANDLERS[kind]` as `HANDLERS[]`,
        an element called."""
        parts: list[str] = []
        current: Any = func
        while type(current) is _Attribute:
            parts.append(current.attr)
            current = current.value
        built = ""
        if parts and type(current) is _CallNode and type(current.func) is ast.Subscript \
                and type(current.func.slice) is not ast.Constant:
            # `TOOLS[kind](url).run()` as `TOOLS[]().run`: a method of what an entry of a table gives, called
            built, current = "()", current.func
        if type(current) is not ast.Subscript:
            return None  # (no attribute at all: `HANDLERS[kind](data)`, an entry of a dispatch table called)
        inner = self.dotted(current.value)
        if inner is None or "()" in inner:
            return None  # `s3.get_object(...)["Body"].read()` is one call of the client's, named by its call
        parts.append(inner + "[]" + built)
        return ".".join(reversed(parts))

    # ------------------------------------------------------------ imports and module names

    def _import_base(self, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        parts = self.package.split(".") if self.package else []
        if node.level > 1:
            parts = parts[: len(parts) - (node.level - 1)] if len(parts) >= node.level - 1 else []
        base = ".".join(parts)
        if node.module:
            base = f"{base}.{node.module}" if base else node.module
        return base

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            name = _intern(alias.name)
            self.imported_modules.append(name)
            if alias.asname:
                self.imports[alias.asname] = name
            else:
                head = _intern(name.partition(".")[0])
                self.imports[head] = head

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = _intern(self._import_base(node))
        if base:
            self.imported_modules.append(base)
        for alias in node.names:
            if alias.name == "*":
                if base:  # `from .base_controllers import *`: "*" + the module, for names found nowhere else
                    self.imports[f"*{base}"] = base
                continue
            full = _intern(f"{base}.{alias.name}" if base else alias.name)
            self.imports[alias.asname or alias.name] = full
            self.imported_modules.append(full)

    def collect_module_names(self, tree: ast.Module, declares_globals: bool = True) -> None:
        """The names a module binds at its top level, in `if`/`try` blocks there too (`if __name__ ==
        "__main__": args, controller = create_controller()` sets the global its routes use). `declares_globals`:
        False when the source cannot hold a `global` statement (no such word in its text): the functions' bodies are
        not looked at."""
        statements = list(tree.body)
        while statements:  # (exact node types: the parser makes no subclasses)
            statement = statements.pop()
            kind = type(statement)
            if kind is _FunctionDef or kind is _AsyncFunctionDef or kind is _ClassDef:
                self.module_names.add(statement.name)  # type: ignore[attr-defined]  # a definition
                if kind is not _ClassDef:
                    self.module_functions.add(statement.name)  # type: ignore[attr-defined]  # a function
                if not declares_globals:
                    continue
                # `global store` at the top of a module-level function's (or method's) body: a module name
                # even when no module-level statement assigns it
                bodies = [statement.body] if kind is not _ClassDef else [  # type: ignore[attr-defined]  # a definition
                    m.body for m in statement.body if type(m) is _FunctionDef or type(m) is _AsyncFunctionDef]  # type: ignore[attr-defined]  # a class
                for body in bodies:
                    if ast.Global not in map(type, body):  # most bodies: no statement looked at in Python
                        continue
                    for inner in body:
                        if isinstance(inner, ast.Global):
                            self.global_names.update(inner.names)
                            self.module_names.update(inner.names)
            elif kind is _AssignNode:
                for target in statement.targets:  # type: ignore[attr-defined]  # an ast.Assign
                    elements = target.elts if type(target) is _Tuple or type(target) is _List else [target]
                    self.module_names.update(e.id for e in elements if type(e) is _Name)
            elif kind is _AnnAssignNode and type(statement.target) is _Name:  # type: ignore[attr-defined]  # an ast.AnnAssign
                self.module_names.add(statement.target.id)  # type: ignore[attr-defined]  # an ast.AnnAssign of a name
            elif kind is _If:
                statements.extend((*statement.body, *statement.orelse))  # type: ignore[attr-defined]  # an ast.If
            elif kind is _Try:
                statements.extend((*statement.body, *statement.orelse, *statement.finalbody,  # type: ignore[attr-defined]  # an ast.Try
                                   *(s for handler in statement.handlers for s in handler.body)))  # type: ignore[attr-defined]  # an ast.Try
