"""Go `text/template` (as Helm uses it) parsed into a small tree, never executed.

Only the syntax is read here: text, actions with their whitespace trimming (`{{-`, `-}}`),
comments, `if`/`else if`/`else`, `with`, `range`, `define`, `template`, `block`, variables and
pipelines. What a pipeline means is decided by `prodcheck.project.helm_eval`; a construct this
parser does not know becomes an `Output` of a pipeline the evaluator cannot evaluate (unknown),
so a template is never rejected for using something new.
"""
from __future__ import annotations

import re
from dataclasses import field
from prodcheck.lazy_pattern import lazy
from prodcheck.model.record import slotted

# ---------------------------------------------------------------- tree


@slotted
class Text:
    text: str
    line: int  # template line of text[0]


@slotted
class Output:
    pipe: Pipe
    line: int
    trimmed_left: bool  # `{{-`: glued to the end of the previous line (a block emitted with nindent)


@slotted
class Branch:
    pipe: Pipe | None  # None: the final `else`
    body: list[Node]
    line: int


@slotted
class If:
    keyword: str  # if | with
    branches: list[Branch]
    line: int


@slotted
class Range:
    pipe: Pipe
    body: list[Node]
    otherwise: list[Node]
    line: int


@slotted
class Call:
    """`template "name" pipe` (include's statement form)."""

    name: str
    pipe: Pipe | None
    line: int


Node = Text | Output | If | Range | Call


@slotted
class Pipe:
    decl: list[str]  # variables declared (`$x :=`) or assigned (`$x =`)
    commands: list[list[Term]]
    assign: bool = False  # `=` rather than `:=`


@slotted
class Term:
    kind: str  # field | var | string | number | bool | nil | ident | pipe | dot
    value: object  # field: tuple of names; var: (name, fields); pipe: Pipe; others: the literal
    fields: tuple[str, ...] = ()  # `(pipe).a.b`


@slotted
class Template:
    body: list[Node]
    defines: dict[str, list[Node]] = field(default_factory=dict)


class TemplateSyntaxError(ValueError):
    pass


# ---------------------------------------------------------------- lexing actions

_TOKEN = lazy(r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<char>'(?:[^'\\]|\\.)+')
  | (?P<declare>:=)
  | (?P<punct>[()|,=])
  | (?P<var>\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
  | (?P<field>(?:\.[A-Za-z0-9_]+)+|\.)
  | (?P<number>[-+]?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?))
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<chain>(?<=\))(?:\.[A-Za-z0-9_]+)+)
""", re.X)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise TemplateSyntaxError(f"unexpected {text[position:position + 10]!r} in action")
        position = match.end()
        kind = match.lastgroup or ""
        if kind != "ws":
            out.append((kind, match.group()))
    return out


def _unquote(token: str) -> str:
    if token.startswith("`"):
        return token[1:-1]
    body = token[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


class _PipeParser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def pipe(self) -> Pipe:
        decl: list[str] = []
        assign = False
        # `$a, $b :=` / `$a :=` / `$a =`
        look = self.index
        names = []
        while look < len(self.tokens) and self.tokens[look][0] == "var":
            names.append(self.tokens[look][1])
            look += 1
            if look < len(self.tokens) and self.tokens[look] == ("punct", ","):
                look += 1
                continue
            break
        if names and look < len(self.tokens) and (self.tokens[look][0] == "declare" or self.tokens[look] == ("punct", "=")):
            assign = self.tokens[look][0] != "declare"
            decl, self.index = names, look + 1
        commands = [self.command()]
        while self.peek() == ("punct", "|"):
            self.index += 1
            commands.append(self.command())
        return Pipe(decl, commands, assign)

    def command(self) -> list[Term]:
        terms: list[Term] = []
        while (token := self.peek()) is not None and token not in (("punct", "|"), ("punct", ")")):
            terms.append(self.term())
        if not terms:
            raise TemplateSyntaxError("empty command")
        return terms

    def term(self) -> Term:
        kind, text = self.tokens[self.index]
        self.index += 1
        if kind == "punct" and text == "(":
            inner = self.pipe()
            if self.peek() != ("punct", ")"):
                raise TemplateSyntaxError("unclosed (")
            self.index += 1
            fields: tuple[str, ...] = ()
            if (token := self.peek()) is not None and token[0] == "chain":
                fields = tuple(token[1].split(".")[1:])
                self.index += 1
            return Term("pipe", inner, fields)
        if kind in ("string", "raw"):
            return Term("string", _unquote(text))
        if kind == "char":
            return Term("number", ord(_unquote(text)[0]))
        if kind == "number":
            if text.lower().lstrip("+-").startswith("0x"):
                return Term("number", int(text, 16))
            return Term("number", float(text) if any(c in text for c in ".eE") else int(text))
        if kind == "var":
            name, *rest = text.split(".")
            return Term("var", (name, tuple(rest)))
        if kind == "field":
            return Term("dot", ()) if text == "." else Term("field", tuple(text.split(".")[1:]))
        if kind == "ident":
            if text in ("true", "false"):
                return Term("bool", text == "true")
            if text == "nil":
                return Term("nil", None)
            return Term("ident", text)
        raise TemplateSyntaxError(f"unexpected {text!r}")


def parse_pipe(text: str) -> Pipe:
    parser = _PipeParser(_tokens(text))
    pipe = parser.pipe()
    if parser.peek() is not None:
        raise TemplateSyntaxError(f"unexpected {parser.peek()[1]!r}")  # type: ignore[index]  # peek() is not None here
    return pipe


# ---------------------------------------------------------------- lexing the template

_OPEN = "{{"


def _close(text: str, start: int) -> int:
    """Index of the `}}` that closes the action opened before `start` (quotes skipped), or -1."""
    index = start
    while index < len(text):
        char = text[index]
        if char in "\"`":
            end = index + 1
            while end < len(text) and text[end] != char:
                end += 2 if char == '"' and text[end] == "\\" else 1
            if end >= len(text):
                return -1
            index = end + 1
            continue
        if text.startswith("}}", index):
            return index
        index += 1
    return -1


def _items(text: str) -> list[tuple[str, str, int, bool]]:
    """(kind, content, line, trimmed_left) with kind "text" or "action"; trimming applied."""
    items: list[tuple[str, str, int, bool]] = []
    position, line = 0, 1
    trim_next = False
    while position <= len(text):
        opened = text.find(_OPEN, position)
        chunk = text[position:] if opened < 0 else text[position:opened]
        chunk_line = line
        if trim_next:
            stripped = chunk.lstrip()
            chunk_line += chunk[: len(chunk) - len(stripped)].count("\n")
            chunk = stripped
        if opened < 0:
            if chunk:
                items.append(("text", chunk, chunk_line, False))
            break
        closing = _close(text, opened + 2)
        if closing < 0:
            raise TemplateSyntaxError(f"unclosed action at line {line + text[position:opened].count(chr(10))}")
        action = text[opened + 2:closing]
        trim_left = action.startswith("-") and (len(action) == 1 or action[1] in " \t\r\n")
        trim_right = action.endswith("-") and len(action) > 1 and action[-2] in " \t\r\n"
        if trim_left:
            chunk = chunk.rstrip()
        if chunk:
            items.append(("text", chunk, chunk_line, False))
        action_line = line + text[position:opened].count("\n")
        body = action[1 if trim_left else 0: len(action) - (1 if trim_right else 0)].strip()
        items.append(("action", body, action_line, trim_left))
        line = action_line + action.count("\n")
        position = closing + 2
        trim_next = trim_right
    return items


_KEYWORD = lazy(r"^(if|else|end|with|range|define|template|block|break|continue)\b\s*(.*)$", re.S)


def parse(text: str) -> Template:
    """A template's tree and the templates it `define`s. TemplateSyntaxError when it is not one."""
    result = Template([])
    # stack of (node list being filled, the open construct or None, keyword)
    stack: list[tuple[list[Node], object, str]] = [(result.body, None, "root")]
    for kind, content, line, trimmed in _items(text):
        body = stack[-1][0]
        if kind == "text":
            body.append(Text(content, line))
            continue
        if content.startswith("/*"):
            continue
        match = _KEYWORD.match(content)
        if match is None:
            body.append(Output(parse_pipe(content), line, trimmed))
            continue
        keyword, rest = match.group(1), match.group(2).strip()
        if keyword in ("if", "with"):
            construct = If(keyword, [Branch(parse_pipe(rest), [], line)], line)
            body.append(construct)
            stack.append((construct.branches[0].body, construct, keyword))
        elif keyword == "range":
            loop = Range(parse_pipe(rest), [], [], line)
            body.append(loop)
            stack.append((loop.body, loop, "range"))
        elif keyword in ("define", "block"):
            name_match = re.match(r'^"((?:[^"\\]|\\.)*)"\s*(.*)$', rest, re.S)
            if name_match is None:
                raise TemplateSyntaxError(f"{keyword} without a name at line {line}")
            nodes: list[Node] = []
            result.defines[name_match.group(1)] = nodes
            if keyword == "block":
                body.append(Call(name_match.group(1), parse_pipe(name_match.group(2)) if name_match.group(2) else None, line))
            stack.append((nodes, None, keyword))
        elif keyword == "template":
            name_match = re.match(r'^"((?:[^"\\]|\\.)*)"\s*(.*)$', rest, re.S)
            if name_match is None:
                raise TemplateSyntaxError(f"template without a name at line {line}")
            body.append(Call(name_match.group(1), parse_pipe(name_match.group(2)) if name_match.group(2) else None, line))
        elif keyword == "else":
            _, construct, opened = stack[-1]
            if isinstance(construct, If):
                nested = re.match(r"^(if|with)\b\s*(.*)$", rest, re.S)
                branch = Branch(parse_pipe(nested.group(2)) if nested else None, [], line)
                construct.branches.append(branch)
                stack[-1] = (branch.body, construct, opened)
            elif isinstance(construct, Range):
                stack[-1] = (construct.otherwise, construct, opened)
            else:
                raise TemplateSyntaxError(f"else outside if/with/range at line {line}")
        elif keyword == "end":
            if len(stack) == 1:
                raise TemplateSyntaxError(f"unexpected end at line {line}")
            stack.pop()
        # break / continue: loops are rendered once at most, nothing to do
    if len(stack) != 1:
        raise TemplateSyntaxError(f"{stack[-1][2]} without end")
    return result

