"""A static, bounded evaluation of a Helm template over the chart's default values.

Never executes anything from the chart: only the template language is interpreted, over a
closed set of functions (`helm_funcs`). What cannot be known statically is UNKNOWN:
- an `if`/`with` whose condition is unknown renders its first branch, marked uncertain (findings
  there are reported one severity lower, as for any file whose use is ambiguous);
- an unknown block (an unknown `include`, a `range` over an unknown list) renders nothing and is
  marked opaque, so that a rule never reports the absence of something it might have produced;
- an unknown scalar renders as `$(helm-unknown)`, which no rule reads as a literal.
Work is bounded (output size, steps, include depth, loop length, indent width): a hostile chart cannot make it hang.
"""
from __future__ import annotations

from dataclasses import field
from typing import cast

from prodcheck.model.finding import Location, Span
from prodcheck.model.record import slotted
from prodcheck.parsing.gotemplate import Call, If, Node, Output, Pipe, Range, Term, Text
from prodcheck.parsing.yaml import YNode
from prodcheck.project.helm_values import PLACEHOLDER, UNKNOWN, UNKNOWN_BLOCK, Rich, Segment, Unknown, to_rich, truth
from prodcheck.lazy_pattern import lazy

MAX_OUTPUT = 2_000_000
MAX_DEPTH = 24
MAX_LOOP = 64
# Nodes visited and helpers entered per template: nested loops and helpers that include each other
# twice multiply work without writing output. The largest template of the real charts measured
# (airflow's scheduler deployment, onyx, prefect, skyvern) takes 530 steps: the budget is ~40x that.
MAX_STEPS = 20_000
MAX_INDENT = 1_000  # `indent N`/`nindent N` wider than any real manifest
_KEY_LINE = lazy(r"^\s*(?:-\s+)?([A-Za-z_][\w.-]*):")


class Budget(Exception):
    """The chart asked for more work than a static reading spends on it."""


class LongRange(Budget):
    """A `range` over more items than a static reading follows: real charts do this (a ConfigMap
    over a long values map), so the template is left unread quietly, as before rendering existed."""


@slotted
class Slot:
    """A block the defaults leave out (`with .Values.x.probe`): where the user would turn it on."""

    key: str  # the first YAML key the block would have written
    origin: Location  # the values.yaml node its condition reads
    at: int = 0  # index in the output segments where it would have gone


@slotted
class Emission:
    segments: list[Segment] = field(default_factory=list)
    uncertain: list[tuple[int, int]] = field(default_factory=list)  # segment index ranges
    opaque: list[tuple[int, int | None]] = field(default_factory=list)  # (segment index, indent) of unknown blocks
    slots: list[Slot] = field(default_factory=list)


class Evaluator:
    def __init__(self, defines: dict[str, list[Node]], values_path: str, template_path: str) -> None:
        from prodcheck.project import helm_funcs

        self.defines = defines
        self.values_path = values_path
        self.template_path = template_path
        self.functions = helm_funcs.FUNCTIONS
        self.size = 0
        self.depth = 0
        self.steps = 0
        self.touched: list[YNode] = []  # values nodes read while evaluating a condition

    # ---------------------------------------------------------------- statements

    def render(self, nodes: list[Node], dot: object, root: object) -> Emission:
        emission = Emission()
        self._nodes(nodes, dot, [{"$": root}], emission, False)
        return emission

    def _emit(self, emission: Emission, segment: Segment) -> None:
        self.size += len(segment.text)
        if self.size > MAX_OUTPUT:
            raise Budget("rendered output too large")
        emission.segments.append(segment)

    def _nodes(self, nodes: list[Node], dot: object, scopes: list[dict[str, object]], emission: Emission,
               uncertain: bool) -> None:
        for node in nodes:
            self.steps += 1
            if self.steps > MAX_STEPS:
                raise Budget(f"more than {MAX_STEPS} steps")
            start = len(emission.segments)
            if isinstance(node, Text):
                line = node.line
                for piece in node.text.splitlines(keepends=True):
                    self._emit(emission, Segment(piece, Location(self.template_path, Span(line))))
                    line += piece.count("\n")
            elif isinstance(node, Output):
                self._output(node, dot, scopes, emission)
            elif isinstance(node, If):
                self._if(node, dot, scopes, emission, uncertain)
            elif isinstance(node, Range):
                self._range(node, dot, scopes, emission, uncertain)
            elif isinstance(node, Call):
                argument = self.pipe(node.pipe, dot, scopes) if node.pipe is not None else None
                self._put(self.include(node.name, argument), node.line, True, emission)
            if uncertain and len(emission.segments) > start:
                emission.uncertain.append((start, len(emission.segments)))

    def _output(self, node: Output, dot: object, scopes: list[dict[str, object]], emission: Emission) -> None:
        value = self.pipe(node.pipe, dot, scopes)
        if node.pipe.decl:
            return  # `$x := ...` prints nothing
        self._put(to_rich(value, self.values_path), node.line, node.trimmed_left, emission)

    def _put(self, value: Rich | Unknown, line: int, block_position: bool, emission: Emission) -> None:
        if isinstance(value, Unknown):
            if value.block or block_position:
                emission.opaque.append((len(emission.segments), value.width))
                return
            self._emit(emission, Segment(PLACEHOLDER, Location(self.template_path, Span(line))))
            return
        for segment in value.segments:
            origin = segment.origin or Location(self.template_path, Span(line))
            self._emit(emission, Segment(segment.text, origin, segment.value))

    def _if(self, node: If, dot: object, scopes: list[dict[str, object]], emission: Emission, uncertain: bool) -> None:
        for branch in node.branches:
            if branch.pipe is None:
                self._nodes(branch.body, dot, [*scopes, {}], emission, uncertain)
                return
            self.touched = []
            inner = [*scopes, {}]  # `if $x := ...`: the variable lives until the branch's end, as in Go
            value = self.pipe(branch.pipe, dot, inner)
            touched = self.touched
            verdict = truth(value)
            if verdict is False:
                self._slot(branch.body, touched, emission)
                continue
            inner_dot = value if node.keyword == "with" else dot
            self._nodes(branch.body, inner_dot, inner, emission, uncertain or verdict is None)
            return

    def _slot(self, body: list[Node], touched: list[YNode], emission: Emission) -> None:
        if not touched:
            return
        for node in body:
            if isinstance(node, Text):
                match = _KEY_LINE.match(node.text)
                if match:
                    emission.slots.append(Slot(match.group(1), Location(touched[0].origin or self.values_path, touched[0].span),
                                               len(emission.segments)))
                return
            if not isinstance(node, Output):
                return

    def _range(self, node: Range, dot: object, scopes: list[dict[str, object]], emission: Emission,
               uncertain: bool) -> None:
        value = self.pipe(node.pipe, dot, [*scopes, {}])  # its variables are the body's, set per item below
        items: list[tuple[object, object]]
        if isinstance(value, Unknown):
            emission.opaque.append((len(emission.segments), None))
            return
        if isinstance(value, YNode):
            items = sorted(value.entries(), key=lambda entry: str(entry[0])) if value.is_map else list(enumerate(value.list()))  # Go sorts map keys
        elif isinstance(value, dict):
            items = sorted(value.items())
        elif isinstance(value, list):
            items = list(enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            items = [(i, i) for i in range(max(0, value))]
        else:
            items = []
        if len(items) > MAX_LOOP:
            raise LongRange("range too long")
        if not items:
            self._nodes(node.otherwise, dot, [*scopes, {}], emission, uncertain)
            return
        for key, item in items:
            scope: dict[str, object] = {}
            if len(node.pipe.decl) == 1:
                scope[node.pipe.decl[0]] = item
            elif len(node.pipe.decl) >= 2:
                scope[node.pipe.decl[0]], scope[node.pipe.decl[1]] = key, item
            self._nodes(node.body, item, [*scopes, scope], emission, uncertain)

    def include(self, name: object, argument: object) -> Rich | Unknown:
        text = name.text if isinstance(name, Rich) else name
        body = self.defines.get(text) if isinstance(text, str) else None
        if body is None:
            return UNKNOWN
        if self.depth >= MAX_DEPTH:
            raise Budget("include too deep")
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise Budget(f"more than {MAX_STEPS} steps")
        self.depth += 1
        try:
            inner = Emission()
            self._nodes(body, argument, [{"$": argument}], inner, False)
        finally:
            self.depth -= 1
        if inner.opaque and not "".join(s.text for s in inner.segments).strip():
            return UNKNOWN_BLOCK
        if inner.opaque or inner.uncertain:
            return UNKNOWN_BLOCK if any("\n" in s.text for s in inner.segments) else UNKNOWN
        return Rich([Segment(s.text, s.origin if s.value else None, s.value) for s in inner.segments])

    # ---------------------------------------------------------------- pipelines

    def pipe(self, pipe: Pipe | None, dot: object, scopes: list[dict[str, object]]) -> object:
        if pipe is None:
            return dot
        value: object = None
        first = True
        for command in pipe.commands:
            value = self.command(command, dot, scopes, None if first else (value,))
            first = False
        if pipe.decl:
            if pipe.assign:
                for scope in reversed(scopes):  # `$x = ...` sets the innermost `$x` declared
                    if pipe.decl[0] in scope:
                        scope[pipe.decl[0]] = value
                        break
            else:
                scopes[-1][pipe.decl[0]] = value
        return value

    def command(self, terms: list[Term], dot: object, scopes: list[dict[str, object]],
                piped: tuple[object, ...] | None) -> object:
        head = terms[0]
        if head.kind == "ident":
            function = self.functions.get(str(head.value))
            arguments = [self.term(t, dot, scopes) for t in terms[1:]] + list(piped or ())
            if function is None:
                return UNKNOWN
            try:
                return function(self, *arguments)
            except (TypeError, ValueError, ArithmeticError, IndexError, KeyError):
                return UNKNOWN
        if len(terms) > 1 or piped:
            return UNKNOWN  # a method call (`.Capabilities.APIVersions.Has "x"`)
        return self.term(head, dot, scopes)

    def term(self, term: Term, dot: object, scopes: list[dict[str, object]]) -> object:
        if term.kind in ("string", "number", "bool", "nil"):
            return term.value
        if term.kind == "dot":
            return dot
        if term.kind == "field":
            return self.fields(dot, term.value)  # type: ignore[arg-type]  # a field term's value is its names
        if term.kind == "var":
            name, names = cast("tuple[str, tuple[str, ...]]", term.value)
            for scope in reversed(scopes):
                if name in scope:
                    return self.fields(scope[name], names)
            return UNKNOWN
        if term.kind == "pipe":
            return self.fields(self.pipe(term.value, dot, scopes), term.fields)  # type: ignore[arg-type]  # a pipe term holds a Pipe
        return UNKNOWN  # a bare function name as an argument

    def fields(self, value: object, names: tuple[str, ...]) -> object:
        for name in names:
            if isinstance(value, Unknown):
                return value
            if isinstance(value, YNode):
                if not value.is_map:
                    return None
                value = value.get(name)
            elif isinstance(value, dict):
                value = value.get(name)
            else:
                return None if value is None else UNKNOWN
        if names and isinstance(value, YNode):
            self.touched.append(value)
        return value
