"""Each template function of the static Helm rendering (project/helm_funcs.py) against what Helm
(Go text/template, Sprig, Helm's own functions) renders for the same template and values: one
row per function and per clause of its behaviour, so a changed function fails here."""
from __future__ import annotations

import pytest
from prodcheck.parsing.gotemplate import parse
from prodcheck.parsing.yaml import load_documents
from prodcheck.project.helm_eval import Evaluator
from prodcheck.project.helm_values import PLACEHOLDER

VALUES = """\
on: true
off: false
zero: 0
n: 3
s: hello
e: ""
m: {a: 1, b: two}
l: [x, y, z]
empty: {}
nothing: null
helper: greeting
"""

CASES = [
    # default: the value when truthy, else the fallback; an unknown value stays unknown
    ('{{ .Values.s | default "d" }}', "hello"),
    ('{{ .Values.e | default "d" }}', "d"),
    ('{{ .Values.missing | default "d" }}', "d"),
    ('{{ .Values.zero | default 7 }}', "7"),
    ('{{ default "d" }}', "d"),  # a single argument is the value itself
    ('{{ tpl "x" . | default "d" }}', PLACEHOLDER),
    # and / or: the first falsy (and) or truthy (or) argument, else the last
    ("{{ and .Values.on .Values.n }}", "3"),
    ("{{ and .Values.on .Values.off .Values.n }}", "false"),
    ("{{ and .Values.n .Values.on }}", "true"),
    ("{{ if and .Values.on .Values.s }}yes{{ else }}no{{ end }}", "yes"),
    ("{{ if and .Values.on .Values.e }}yes{{ else }}no{{ end }}", "no"),
    ("{{ or .Values.off .Values.n }}", "3"),
    ("{{ or .Values.off .Values.zero }}", "0"),
    ("{{ or .Values.s .Values.n }}", "hello"),
    ("{{ if or .Values.off .Values.e }}yes{{ else }}no{{ end }}", "no"),
    ('{{ or .Values.off (tpl "x" .) }}', PLACEHOLDER),
    ('{{ or (tpl "x" .) .Values.off }}', PLACEHOLDER),  # an unknown before a falsy last argument
    ('{{ trimSuffix (tpl "x" .) "name-x" }}', PLACEHOLDER),  # an unknown parameter, not only the text
    ('{{ and .Values.on (tpl "x" .) }}', PLACEHOLDER),
    ('{{ not (tpl "x" .) }}', PLACEHOLDER),
    ('{{ coalesce .Values.e (tpl "x" .) }}', PLACEHOLDER),
    ('{{ ternary "a" "b" (tpl "x" .) }}', PLACEHOLDER),
    ('{{ if and .Values.off (tpl "x" .) }}yes{{ else }}no{{ end }}', "no"),
    ('{{ if or .Values.on (tpl "x" .) }}yes{{ else }}no{{ end }}', "yes"),
    # not / empty
    ("{{ not .Values.on }}", "false"),
    ("{{ not .Values.e }}", "true"),
    ("{{ empty .Values.empty }}", "true"),
    ("{{ empty .Values.m }}", "false"),
    ('{{ empty (tpl "x" .) }}', PLACEHOLDER),
    # coalesce: the first truthy argument
    ('{{ coalesce .Values.e .Values.zero .Values.s "z" }}', "hello"),
    ("{{ coalesce .Values.e .Values.off }}", ""),
    # ternary: first if the condition is true, else second
    ('{{ ternary "a" "b" .Values.on }}', "a"),
    ('{{ ternary "a" "b" .Values.off }}', "b"),
    ('{{ .Values.on | ternary "a" "b" }}', "a"),
    # quote / squote (escaping inside double quotes)
    ("{{ .Values.s | quote }}", '"hello"'),
    ('{{ quote "a\\"b" }}', '"a\\"b"'),
    ("{{ .Values.n | squote }}", "'3'"),
    # Sprig quotes each argument that is not nil and joins them with spaces: nothing for no argument
    ("{{ quote }}", ""),
    ("{{ squote }}", ""),
    ('{{ quote "a" .Values.s }}', '"a" "hello"'),
    ('{{ squote "a" .Values.n }}', "'a' '3'"),
    ("{{ .Values.missing | quote }}", ""),
    ("{{ .Values.nothing | quote }}", ""),  # `nothing: null`
    ('{{ quote "a" .Values.missing "b" }}', '"a" "b"'),
    ('{{ quote "a\\\\b" }}', '"a\\\\b"'),  # a backslash is escaped too
    ('{{ squote "a\\\\b" }}', "'a\\b'"),  # single quotes escape nothing
    ('{{ squote (tpl "x" .) }}', PLACEHOLDER),
    ('{{ quote "a" (tpl "x" .) }}', PLACEHOLDER),
    # indent / nindent; a width that is not a number, or an unknown text, is an unknown block (no text)
    ('{{ "a\\nb" | indent 2 }}', "  a\n  b"),
    ('{{ "a" | indent 0 }}', "a"),
    ('{{ .Values.s | indent .Values.s }}', ""),
    ('{{ "a" | indent true }}', ""),
    ('{{ "a" | indent 1000 }}', " " * 1000 + "a"),  # the widest indent followed (MAX_INDENT)
    ('x:{{ tpl "x" . | nindent 2 }}', "x:"),
    ('{{ "a\\nb" | nindent 2 }}', "\n  a\n  b"),
    # toYaml
    ("{{ toYaml .Values.m }}", "a: 1\nb: two"),
    ("{{ toYaml .Values.l }}", '- x\n- "y"\n- z'),  # yaml.v2 quotes YAML 1.1's boolean `y`
    # required: the value
    ('{{ required "need s" .Values.s }}', "hello"),
    # lookup: `helm template` has no cluster, so every lookup is an empty map (falsy)
    ('{{ if lookup "v1" "Secret" "default" "db" }}found{{ else }}none{{ end }}', "none"),
    ('{{ lookup "v1" "Secret" "default" "db" | default "fresh" }}', "fresh"),
    # printf / print
    ('{{ printf "%s-%d" .Values.s .Values.n }}', "hello-3"),
    ('{{ printf "%q" .Values.s }}', '"hello"'),
    ('{{ printf "100%%" }}', "100%"),
    ('{{ printf "%05d" .Values.n }}', PLACEHOLDER),
    ('{{ printf "x" (tpl "x" .) }}', PLACEHOLDER),  # an unknown argument, even one the format does not use
    ('{{ print .Values.s .Values.n }}', "hello3"),
    ('{{ print .Values.s (tpl "x" .) }}', PLACEHOLDER),
    # include by a name computed from the values
    ('{{ define "greeting" }}hi {{ .Values.s }}{{ end }}{{ include .Values.helper . }}', "hi hello"),
    ('{{ include (tpl "x" .) . }}', PLACEHOLDER),  # an unknown helper's name
    # get / index / first / hasKey
    ('{{ get .Values.m "b" }}', "two"),
    ('{{ index .Values.m "a" }}', "1"),
    ("{{ index .Values.l 1 }}", "y"),
    ("{{ index .Values.l 0 }}", "x"),
    ("{{ index .Values.l -1 }}", PLACEHOLDER),  # out of range (Helm fails): unknown, never counted from the end
    ('{{ hasKey .Values "nothing" }}', "true"),  # a key whose value is null is a key
    ('{{ hasKey .Values.l "x" }}', "false"),  # a list has no keys
    ("{{ first .Values.l }}", "x"),
    ('{{ hasKey .Values.m "a" }}', "true"),
    ('{{ hasKey .Values.m "q" }}', "false"),
    ('{{ hasKey (dict "k" 1) "k" }}', "true"),
    ('{{ hasKey (dict "k" 1) "j" }}', "false"),
    ('{{ get (dict "k" "v" "j" "w") "j" }}', "w"),
    ('{{ get .Values.m (tpl "x" .) }}', PLACEHOLDER),  # an unknown key of a known map
    ('{{ get "abc" "a" }}', PLACEHOLDER),  # not a map
    ('{{ get .Values.l "a" }}', ""),  # a list has no keys
    ('{{ hasKey (dict "k" 1 "j") "k" }}', "true"),  # an odd argument count keeps the complete pairs
    ('{{ len (list 1 (tpl "x" .)) }}', PLACEHOLDER),  # an unknown inside a list argument
    ('{{ trunc (tpl "x" .) "abc" }}', PLACEHOLDER),  # an unknown parameter of a string function
    ("{{ len (until 100000) }}", "1000"),  # `until` stops at 1,000 items
    ("{{ len (list 1 2 3) }}", "3"),
    # comparisons: numbers as numbers, else as text
    ("{{ eq .Values.n 3 }}", "true"),
    ("{{ ne .Values.n 3 }}", "false"),
    ('{{ eq .Values.s "hello" }}', "true"),
    ("{{ lt .Values.n 3 }}", "false"),
    ("{{ le .Values.n 3 }}", "true"),
    ("{{ gt .Values.n 3 }}", "false"),
    ("{{ ge .Values.n 3 }}", "true"),
    ("{{ lt 2 .Values.n }}", "true"),
    ("{{ gt 4 .Values.n }}", "true"),
    # int, strings
    ('{{ int "42" }}', "42"),
    ('{{ int "4.7" }}', "4"),
    ('{{ int "" }}', "0"),
    ('{{ int "x" }}', "0"),
    ("{{ int .Values.on }}", "1"),
    ("{{ toString .Values.n }}", "3"),
    ('{{ trim "  a b  " }}', "a b"),
    ('{{ lower "AbC" }}', "abc"),
    ('{{ upper "AbC" }}', "ABC"),
    ('{{ trimSuffix "-x" "name-x" }}', "name"),
    ('{{ trimSuffix "-y" "name-x" }}', "name-x"),
    ('{{ trimPrefix "v" "v1.2" }}', "1.2"),
    ('{{ trimPrefix "w" "v1.2" }}', "v1.2"),
    ('{{ trunc 3 "abcdef" }}', "abc"),
    ('{{ trunc -2 "abcdef" }}', "ef"),
    ('{{ "a-b-c" | replace "-" "_" }}', "a_b_c"),
    ('{{ b64enc "user" }}', "dXNlcg=="),
    ('{{ sha256sum "a" }}', "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"),
    ("{{ len .Values.s }}", "5"),
    ("{{ len .Values.l }}", "3"),
    ('{{ contains "ell" .Values.s }}', "true"),
    ('{{ contains "xyz" .Values.s }}', "false"),
    ('{{ hasPrefix "he" .Values.s }}', "true"),
    ('{{ hasPrefix "lo" .Values.s }}', "false"),
    ('{{ hasSuffix "lo" .Values.s }}', "true"),
    ('{{ hasSuffix "he" .Values.s }}', "false"),
    ('{{ kindIs "map" .Values.m }}', "true"),
    ('{{ kindIs "slice" .Values.m }}', "false"),
    ('{{ kindIs "slice" .Values.l }}', "true"),
    ('{{ kindIs "string" .Values.s }}', "true"),
    ('{{ kindIs "bool" .Values.on }}', "true"),
    ('{{ kindIs "invalid" .Values.missing }}', "true"),
    ('{{ kindIs "invalid" .Values.s }}', "false"),
    ('{{ join "," .Values.l }}', "x,y,z"),
    ('{{ join "," .Values.s }}', "hello"),
    ('{{ cat "a" .Values.missing "b" }}', "a b"),
    ("{{ add 1 2 .Values.n }}", "6"),
    ("{{ sub .Values.n 1 }}", "2"),
    ("{{ range until 3 }}{{ . }}{{ end }}", "012"),
    ("{{ range $i, $v := .Values.l }}{{ $i }}={{ $v }};{{ end }}", "0=x;1=y;2=z;"),
]


def _render(template: str) -> str:
    parsed = parse(template)
    root = {"Values": load_documents(VALUES)[0], "Release": {"Name": "r"}, "Chart": {"Name": "c"}}
    emission = Evaluator(parsed.defines, "values.yaml", "t.yaml").render(parsed.body, root, root)
    return "".join(s.text for s in emission.segments)


@pytest.mark.parametrize(("template", "expected"), CASES, ids=[c[0] for c in CASES])
def test_function_renders_as_helm_does(template: str, expected: str) -> None:
    assert _render(template) == expected
