"""The static evaluator of Helm templates (project/helm_eval.py) and the values it computes with
(project/helm_values.py): what each statement renders, which output is uncertain or opaque,
where each piece of text came from, where a block the defaults leave out would go, and the
budgets that stop a hostile chart (each at its exact limit, so a changed limit fails here)."""
from __future__ import annotations

import pytest
from prodcheck.model.finding import Location, Span
from prodcheck.parsing.gotemplate import parse
from prodcheck.parsing.yaml import load_documents
from prodcheck.project.helm_eval import Budget, Emission, Evaluator, LongRange
from prodcheck.project.helm_values import PLACEHOLDER

VALUES = """\
on: true
s: hello
n: 3
l: [x, y]
m: {b: 2, a: 1}
probe: {}
nested:
  probe: {}
"""


def _emit(template: str, values: str = VALUES, helpers: str = "") -> tuple[Emission, Evaluator]:
    parsed = parse(template)
    defines = {**parse(helpers).defines, **parsed.defines} if helpers else parsed.defines
    root = {"Values": load_documents(values)[0], "Release": {"Name": "r", "IsUpgrade": False}}
    evaluator = Evaluator(defines, "values.yaml", "t.yaml")
    return evaluator.render(parsed.body, root, root), evaluator


def _text(template: str, values: str = VALUES, helpers: str = "") -> str:
    return "".join(s.text for s in _emit(template, values, helpers)[0].segments)


def _pieces(template: str, values: str = VALUES, helpers: str = "") -> list[tuple[str, str, int, bool]]:
    """Each emitted piece with the file and line it came from, and whether it is a value."""
    emission, _ = _emit(template, values, helpers)
    return [(s.text, s.origin.path, s.origin.span.line, s.value) for s in emission.segments if s.origin is not None]


# ---------------------------------------------------------------- statements


@pytest.mark.parametrize(("template", "expected"), [
    ("{{ $x := .Values.s }}{{ $x }}", "hello"),  # a declaration prints nothing
    ('{{ $x := "a" }}{{ if .Values.on }}{{ $x = "b" }}{{ end }}{{ $x }}', "b"),  # `=` sets the outer variable
    ('{{ $x := "a" }}{{ if .Values.on }}{{ $x := "c" }}{{ $x = "b" }}{{ end }}{{ $x }}', "a"),  # the innermost only
    ("{{ with $m := .Values.m }}{{ $m.a }}{{ end }}", "1"),
    ("{{ with .Values.m }}{{ .b }}{{ end }}", "2"),  # `with` rebinds the dot
    ("{{ if .Values.m }}{{ .Values.s }}{{ end }}", "hello"),  # `if` does not
    ("{{ range .Values.m }}{{ . }}{{ end }}", "12"),  # map values in key order
    ("{{ range $v := .Values.l }}{{ $v }}{{ end }}", "xy"),  # one variable: the item
    ("{{ range $k, $v := .Values.m }}{{ $k }}{{ $v }}{{ end }}", "a1b2"),
    ('{{ range $k, $v := dict "z" 1 "y" 2 }}{{ $k }}{{ end }}', "yz"),  # a dict built by the template, sorted
    ("{{ range 3 }}{{ . }}{{ end }}", "012"),  # a number: that many
    ("{{ range (sub 0 2) }}{{ . }}{{ else }}none{{ end }}", "none"),  # a negative count: none
    ("{{ range .Values.on }}x{{ else }}none{{ end }}", "none"),  # a bool is no list
    ("{{ range true }}x{{ else }}none{{ end }}", "none"),  # nor a computed one (a bool is no number)
    ("{{ range .Values.s }}x{{ else }}none{{ end }}", "none"),  # nor a string
    ("{{ range .Values.l }}{{ $.Values.s }}{{ end }}", "hellohello"),  # `$` is the root inside a loop
    ("{{ .Values.missing.x }}", ""),  # a field of nothing: nothing
    ("{{ .Values.l.x }}", ""),  # a field of a list: nothing
    ("{{ .Release.Name.x }}", PLACEHOLDER),  # a field of a string: unknown
    ("{{ .Values.n | .Values.s }}", PLACEHOLDER),  # a value given an argument (a method call): unknown
    ('{{ .Capabilities.APIVersions.Has "apps/v1" }}', PLACEHOLDER),
    ('{{ default "d" nil }}', "d"),
    ('{{ ternary "a" "b" true }}', "a"),
    ('{{ ternary "a" "b" false }}', "b"),
    ("{{ nosuchfunction 1 }}", PLACEHOLDER),
    ('{{ index .Values.l "x" }}', PLACEHOLDER),  # a function that fails on its arguments: unknown
])
def test_statement_renders(template: str, expected: str) -> None:
    assert _text(template) == expected


def test_text_lines_and_values_keep_their_origin() -> None:
    template = "a: 1\nb: {{ .Values.s }}\nc: {{ .Values.s | upper }}\n{{ .Values.n | quote }}\n"
    assert _pieces(template) == [
        ("a: 1\n", "t.yaml", 1, False), ("b: ", "t.yaml", 2, False), ("hello", "values.yaml", 2, True),
        ("\n", "t.yaml", 2, False), ("c: ", "t.yaml", 3, False), ("HELLO", "values.yaml", 2, True),
        ("\n", "t.yaml", 3, False), ('"', "t.yaml", 4, False), ("3", "values.yaml", 3, True),
        ('"', "t.yaml", 4, False), ("\n", "t.yaml", 4, False)]


def test_a_helper_keeps_the_origin_of_values_and_writes_its_text_at_the_include() -> None:
    helpers = '{{- define "name" -}}\nsvc-{{ .Values.s }}\n{{- end }}'
    assert _pieces('x\nname: {{ include "name" . }}\n', helpers=helpers) == [
        ("x\n", "t.yaml", 1, False), ("name: ", "t.yaml", 2, False), ("svc-", "t.yaml", 2, False),
        ("hello", "values.yaml", 2, True), ("\n", "t.yaml", 2, False)]


def test_unknown_conditions_render_their_first_branch_as_uncertain() -> None:
    emission, _ = _emit('a\n{{ if tpl "x" . }}b\nc\n{{ else }}d\n{{ end }}e\n')
    assert "".join(s.text for s in emission.segments) == "a\nb\nc\ne\n"
    assert emission.uncertain == [(1, 3)]  # b and c, not the lines around them
    emission, _ = _emit("{{ if .Values.on }}b\n{{ end }}")
    assert emission.uncertain == []


def test_unknown_blocks_are_opaque_with_their_width_and_unknown_scalars_are_placeholders() -> None:
    emission, _ = _emit('a:\n{{- tpl "x" . | nindent 6 }}\nb: {{ tpl "x" . }}\nc:\n{{- tpl "x" . }}\n')
    assert "".join(s.text for s in emission.segments) == f"a:\nb: {PLACEHOLDER}\nc:\n"
    assert emission.opaque == [(1, 6), (6, None)]  # segment index, width
    emission, _ = _emit('{{ range tpl "x" . }}x{{ end }}')
    assert (emission.segments, emission.opaque) == ([], [(0, None)])


@pytest.mark.parametrize(("helper", "expected", "opaque"), [
    ('{{- define "h" }}{{ tpl "x" . }}{{- end }}', f"k: {PLACEHOLDER}", False),  # nothing known: an unknown scalar
    ('{{- define "h" }}\n{{- tpl "x" . | nindent 2 }}{{- end }}', "k: ", True),  # only an unknown block
    ('{{- define "h" }}v-{{ tpl "x" . }}{{- end }}', f"k: v-{PLACEHOLDER}", False),  # one line, partly unknown
    ('{{- define "h" }}\na: 1\n{{ if tpl "x" . }}b: 2{{ end }}{{- end }}', "k: ", True),  # lines, partly unknown
    ('{{- define "h" }}\na: 1{{- end }}', "k: \na: 1", False),
])
def test_what_a_helper_with_unknown_parts_renders_as(helper: str, expected: str, opaque: bool) -> None:
    emission, _ = _emit('k: {{ include "h" . }}', helpers=helper)
    assert "".join(s.text for s in emission.segments) == expected
    assert bool(emission.opaque) is opaque


def test_a_block_the_defaults_leave_out_leaves_a_slot_at_its_values_line() -> None:
    template = ("spec:\n{{- with .Values.nested.probe }}\n  readinessProbe:\n    {{- toYaml . | nindent 4 }}\n{{- end }}\n"
                "{{- if .Values.probe }}{{ $x := 1 }}\n  livenessProbe: {}\n{{- end }}\n"
                "{{- if .Release.IsUpgrade }}\n  startupProbe: {}\n{{- end }}\n"
                "{{- if .Values.missing }}\n  - name: x\n{{- end }}\n")
    emission, _ = _emit(template)
    assert "".join(s.text for s in emission.segments) == "spec:\n"
    assert [(s.key, s.origin, s.at) for s in emission.slots] == [
        ("readinessProbe", Location("values.yaml", Span(8, 10, 8, 12)), 1),
        ("livenessProbe", Location("values.yaml", Span(6, 8, 6, 10)), 1)]  # not from a Release field


def test_a_slot_remembers_the_file_a_production_value_came_from() -> None:
    from prodcheck.project.helm_render import merged

    base = load_documents(VALUES)[0]
    over = load_documents("probe: false\n")[0]
    root = {"Values": merged(base, over, "values-prod.yaml")}
    parsed = parse("{{- with .Values.probe }}\nreadinessProbe: {}\n{{- end }}\n")
    emission = Evaluator({}, "values.yaml", "t.yaml").render(parsed.body, root, root)
    assert [(s.key, s.origin.path) for s in emission.slots] == [("readinessProbe", "values-prod.yaml")]


# ---------------------------------------------------------------- budgets, each at its limit


def test_a_range_of_64_items_is_followed_and_of_65_is_not() -> None:
    assert _text("{{ range until 64 }}x{{ end }}") == "x" * 64
    with pytest.raises(LongRange):
        _text("{{ range until 65 }}x{{ end }}")


def _chain(includes: int) -> str:
    """A helper that includes the next one, `includes` deep."""
    defines = "".join(f'{{{{- define "d{i}" }}}}{{{{ include "d{i + 1}" . }}}}{{{{- end }}}}' for i in range(includes - 1))
    return defines + f'{{{{- define "d{includes - 1}" }}}}end{{{{- end }}}}{{{{ include "d0" . }}}}'


def test_helpers_included_24_deep_render_and_25_deep_do_not() -> None:
    assert _text(_chain(24)) == "end"
    with pytest.raises(Budget):
        _text(_chain(25))


def test_includes_one_after_another_are_not_nested() -> None:
    assert _text('{{ define "h" }}.{{ end }}' + '{{ include "h" . }}' * 30) == "." * 30


def _steps(count: int) -> str:
    """A template whose rendering takes exactly `count` steps (a node visited, a helper entered)."""
    body = "{{ range until 50 }}{{ range until 50 }}{{ range until 6 }}x{{ end }}{{ end }}{{ end }}"  # 17,551 steps
    left = count - 17_551
    while left > 0:
        size = min(left, 65)
        body += f"{{{{ range until {size - 1} }}}}{{{{ 1 }}}}{{{{ end }}}}"  # the range and its items
        left -= size
    return body


def test_20000_steps_are_taken_and_one_more_is_not() -> None:
    _, evaluator = _emit(_steps(20_000))
    assert evaluator.steps == 20_000
    with pytest.raises(Budget, match="steps"):
        _emit(_steps(20_001))


def test_output_of_2_000_000_characters_is_written_and_one_more_is_not() -> None:
    block = "{{ range until 40 }}{{ range until 50 }}{{ indent 999 \"x\" }}{{ end }}{{ end }}"  # 40 * 50 * 1,000
    _, evaluator = _emit(block)
    assert evaluator.size == 2_000_000
    with pytest.raises(Budget, match="output"):
        _emit(block + "y")


def test_an_indent_of_1000_columns_is_written_and_1001_is_not() -> None:
    assert _text('{{ indent 1000 "x" }}') == " " * 1000 + "x"
    with pytest.raises(Budget):
        _text('{{ indent 1001 "x" }}')


# ---------------------------------------------------------------- values as Helm prints them

TYPED = """\
i: 42
f: 2.0
half: 0.5
big: 1.0e+6
tiny: 1.5e-5
neg: -2.5
t: yes
nul: null
q: "007"
hex: "0x1F"
word: "on"
dash: "-x"
dot: ".x"
sp: "a b"
s: plain
m: {b: [1, {c: d}], a: {}, z: []}
e: []
tagged: !!bool "yes"
"""


@pytest.mark.parametrize(("template", "expected"), [
    ("{{ .Values.i }}", "42"),
    ("{{ .Values.f }}", "2"),  # Go prints a whole float without a fraction
    ("{{ .Values.half }}", "0.5"),
    ("{{ .Values.big }}", "1e+06"),  # and a large or small one in exponent form
    ("{{ .Values.tiny }}", "1.5e-05"),
    ("{{ .Values.neg }}", "-2.5"),
    ("{{ .Values.t }}", "true"),  # YAML 1.1's `yes`
    ("{{ .Values.nul }}", ""),
    ("{{ .Values.q }}", "007"),
    ("{{ .Values.m }}", "map[a:map[] b:[1 map[c:d]] z:[]]"),
    ("{{ .Values.e }}", "[]"),
    ("{{ if .Values.e }}y{{ else }}n{{ end }}", "n"),  # an empty list is false
    ("{{ if .Values.m.a }}y{{ else }}n{{ end }}", "n"),  # an empty map is false
    ("{{ if .Values.m }}y{{ else }}n{{ end }}", "y"),
    ("{{ if .Values.nul }}y{{ else }}n{{ end }}", "n"),
    ("{{ if .Values.q }}y{{ else }}n{{ end }}", "y"),  # a non-empty string, whatever it says
    ('{{ if (printf "") }}y{{ else }}n{{ end }}', "n"),  # empty computed text is false
    ('{{ if (printf "x") }}y{{ else }}n{{ end }}', "y"),
    ("{{ toYaml .Values.m }}", "a: {}\nb:\n- 1\n- c: d\nz: []"),
    ('{{ toYaml (dict "k" (list 1 "two") "a" (dict)) }}', 'a: {}\nk:\n- 1\n- "two"'),  # keys sorted; text quoted
    ('{{ toYaml (list (dict "a" 1 "b" 2)) }}', "- a: 1\n  b: 2"),  # a map in a list starts on the dash
    ('{{ toYaml (list) }}', "[]"),
    ("{{ toYaml .Values.nul }}", "null"),
    ("{{ toYaml .Values.t }}", "true"),
    ("{{ toYaml .Values.tagged }}", "true"),  # a quoted scalar tagged a boolean is the boolean, not the text
    ('{{ toYaml (tpl "x" .) }}', ""),  # unknown: an unknown block
    ('{{ toYaml (list 1 (tpl "x" .)) }}', ""),
    ('{{ toYaml (dict "a" (tpl "x" .)) }}', ""),
    ('{{ toYaml (printf "%s" "a") }}', "a"),  # text is written as it is
])
def test_values_print_as_helm_prints_them(template: str, expected: str) -> None:
    assert _text(template, TYPED) == expected


@pytest.mark.parametrize("key", ["i", "f", "half", "t", "nul", "q", "hex", "word", "dash", "dot", "sp", "s", "neg"])
def test_to_yaml_of_a_value_reads_back_as_the_same_value(key: str) -> None:
    """What `toYaml` writes for a scalar parses back to the same typed value (a quoted "007" or
    "0x1F" stays a string, `yes` stays a boolean)."""
    from prodcheck.project.helm_values import typed_scalar

    written = _text(f"v: {{{{ toYaml .Values.{key} }}}}\n", TYPED)
    [original] = [v for k, v in load_documents(TYPED)[0].entries() if k == key]
    node = load_documents(written)[0].get("v")
    assert node is not None and typed_scalar(node) == typed_scalar(original), written


def test_entering_a_helper_is_a_step_too() -> None:
    empty = '{{ define "e" }}{{ end }}'
    _, evaluator = _emit(empty + _steps(19_998) + '{{ include "e" . }}')  # the include is the 20,000th step
    assert evaluator.steps == 20_000
    with pytest.raises(Budget, match="steps"):
        _emit(empty + _steps(19_999) + '{{ include "e" . }}')


@pytest.mark.parametrize(("value", "printed"), [
    (float("nan"), "NaN"), (float("inf"), "+Inf"), (float("-inf"), "-Inf"), (0.0, "0"), (-0.25, "-0.25"),
    (2500.0, "2500")])
def test_floats_go_cannot_write_as_digits_print_as_go_prints_them(value: float, printed: str) -> None:
    """Go's `%v` of a float64 that is no number or infinite (fmt: NaN, +Inf, -Inf)."""
    from prodcheck.project.helm_values import go_string

    assert go_string(value) == printed


RESERVED = ["true", "False", "yes", "No", "on", "OFF", "null", "y", "N", "~"]


def test_to_yaml_quotes_a_key_yaml_would_read_as_a_boolean_or_null() -> None:
    """A map key that YAML 1.1 (Helm's yaml.v2) reads as a boolean or null, whatever its case, is written
    quoted, so the rendered manifest keeps it a string; a plain word or a number-like key as needed."""
    values = "k:\n" + "".join(f"  '{word}': 1\n" for word in [*RESERVED, "plain", "1.5", "yesterday"])
    written = _text("{{ toYaml .Values.k }}", values)
    assert written.splitlines() == sorted([*(f'"{word}": 1' for word in RESERVED), "plain: 1", '"1.5": 1',
                                           "yesterday: 1"], key=lambda line: line.strip('"'))
    assert _text('{{ toYaml (dict "on" 1 "n" 2 "off" 3) }}') == '"n": 2\n"off": 3\n"on": 1'


def test_a_template_statement_whose_output_is_unknown_is_an_opaque_block() -> None:
    """`{{ template "h" . }}` stands where its text goes, like a block: a helper whose output is unknown
    there (or a helper the chart does not define) leaves an opaque block, never a placeholder scalar
    (the same helper through `include` in a value is an unknown scalar)."""
    helper = '{{- define "h" }}v-{{ if tpl "x" . }}a{{ end }}{{- end }}'
    for template in ('k: {{ template "h" . }}', 'k: {{ template "missing" . }}'):
        emission, _ = _emit(template, helpers=helper)
        assert ([s.text for s in emission.segments], emission.opaque) == (["k: "], [(1, None)])
    emission, _ = _emit('k: {{ include "h" . }}', helpers=helper)
    assert ([s.text for s in emission.segments], emission.opaque) == (["k: ", PLACEHOLDER], [])


def test_a_map_or_list_printed_keeps_the_values_file_it_came_from() -> None:
    """`{{ .Values.m }}` of a map or a list is a value, located in the values file that set it (the
    production override's, merged over the chart's), else in the chart's values.yaml."""
    from prodcheck.project.helm_render import merged

    root = {"Values": merged(load_documents("m: {a: 1}\nl: [1]\n")[0], load_documents("m: {b: 2}\nl: [3]\n")[0],
                             "values-prod.yaml")}
    emission = Evaluator({}, "values.yaml", "t.yaml").render(parse("m: {{ .Values.m }}\nl: {{ .Values.l }}\n").body,
                                                             root, root)
    assert [(s.text, s.origin.path, s.value) for s in emission.segments if s.origin is not None] == [
        ("m: ", "t.yaml", False), ("map[a:1 b:2]", "values.yaml", True), ("\n", "t.yaml", False),
        ("l: ", "t.yaml", False), ("[3]", "values-prod.yaml", True), ("\n", "t.yaml", False)]
