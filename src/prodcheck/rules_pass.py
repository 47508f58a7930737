"""The rules' pass of a run: the project model, every selected rule, pragmas, policy (engine.py runs it when no
cached result stands). Imported only then: a run that reuses its findings loads neither the model nor a rule."""
from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

from prodcheck.discovery.encodings import ENCODING_ERROR
from prodcheck.discovery.sources import SourceFile
from prodcheck.finishing import Staged, finish
from prodcheck.incremental import Secrets
from prodcheck.model.files import Context
from prodcheck.model.finding import Finding
from prodcheck.python_pass import _python_work
from prodcheck.settings import Settings

if TYPE_CHECKING:
    from prodcheck.model.facts import PyFacts
    from prodcheck.project import Project
    from prodcheck.rule_inputs import RuleInputs
    from prodcheck.rules.base import RuleMeta


def check(root: Path, files: list[SourceFile], python: dict[str, PyFacts], settings: Settings,
           inputs: RuleInputs | None = None, reduced: Collection[str] = ()
           ) -> tuple[list[Finding], int, Secrets, list[str], list[str], dict[str, RuleMeta], Staged]:
    """The project model, every selected rule, pragmas: (findings, suppressed, secrets, notes, internal
    errors, metas, and the findings as the rules made them with the model's contexts, to be finished again:
    finishing.py). `inputs`: the drafts kept from the last run of the rules that read only its Python
    side (rule_inputs.py). `reduced`: the test files whose facts were extracted reduced (python_pass.reducible)."""
    import traceback

    from prodcheck.memory import release_freed
    from prodcheck.model.facts import PyFacts
    from prodcheck.model.finding import Location, Severity, Span
    from prodcheck.parsing import ParseError
    from prodcheck.policy import _finalise, _note_secrets, _selected
    from prodcheck.project import Project
    from prodcheck.project.helm_render import remap
    from prodcheck.rule_inputs import RuleInputs
    from prodcheck.rules import all_rules
    from prodcheck.rules.base import Rule

    placed = [(source, source.context, source.context_reason) for source in files]
    project = Project(root, files, python, settings)
    moved = placed_elsewhere(project, python, reduced)
    while moved:
        # The model placed a test file elsewhere (a deploy path runs it, the production app serves its router):
        # its facts are extracted whole and the model is built again from the contexts the paths gave.
        for source, context, reason in placed:
            source.context, source.context_reason = context, reason
        for path in moved:
            data = project.by_path[path].raw
            if data is None:
                continue  # changed or gone since it was read (SourceFile.pack): its reduced facts stand
            result = _python_work((path, data))[1]
            assert isinstance(result, PyFacts)  # the same bytes parsed, and counted, when extracted reduced
            python[path] = result
        reduced = set(reduced) - set(moved)
        inputs = None  # the digests the kept drafts go by are the reduced facts'
        project = Project(root, files, python, settings)
        moved = placed_elsewhere(project, python, reduced)
    inputs = inputs or RuleInputs(None, {})
    rules = all_rules()
    findings: list[Finding] = []
    internal: list[str] = []
    secret_lines: dict[tuple[str, int], set[str]] = {}
    try:
        project.parse_all()  # every parse error is known before any rule, whatever is selected
    except Exception:  # a model bug must not abort the run; the rules parse lazily then
        internal.append(f"parsing: internal error\n{traceback.format_exc()}")
    metas = {code: rule.meta for code, rule in rules.items()}
    selected = {code: rule_class for code, rule_class in rules.items()
                if code not in {"PC000", "PC001"} and _selected(rule_class.meta, settings)}
    # The last selected rule reading each shared analysis: after it, the analysis is let go of.
    last_reader = {analysis: code for code, rule_class in selected.items() for analysis in rule_class.analyses}
    for code, rule_class in selected.items():
        rule: Rule = rule_class()
        try:
            for draft in inputs.drafts(code, rule, project):
                draft = remap(project.views.helm, draft)  # a rendered chart line -> values.yaml/template
                if draft.secrets:
                    _note_secrets(secret_lines, draft.location, draft.secrets)
                finding = _finalise(project, rule_class.meta, draft, settings)
                if finding is not None:
                    findings.append(finding)
        except Exception:  # one broken rule must not abort the run
            internal.append(f"{code}: internal error\n{traceback.format_exc()}")
        for analysis in [analysis for analysis, last in last_reader.items() if last == code]:
            project.python.drop(analysis)
        # What the rule built and let go (its analysis, the dicts its caches outgrew) sits in freed pages of the
        # C heap that the next rule's small objects never reuse: given back, they do not add to the peak the
        # next rules reach (4.5 MiB of the 7,574-file cold scan's, at the end of PC503).
        release_freed()
    inputs.save()
    if _selected(metas["PC000"], settings):
        # A Python file the parser read but the interpreter would refuse (not UTF-8, no declared
        # encoding) is analysed like any other and reported too.
        undeclared = [(source, source.views[ENCODING_ERROR]) for source in project.files
                      if source.error is None and ENCODING_ERROR in source.views]
        for source, error in [*((source, source.error) for source in project.parse_errors), *undeclared]:
            if "{{" in source.path or "{%" in source.path:
                continue  # cookiecutter/copier templates are rendered before they are valid files
            assert isinstance(error, ParseError)
            from prodcheck.rules.base import Draft

            text = source.text if source.text is not None else (source.data or b"").decode("utf-8", "replace")
            # A file holding template markers is a template rendered before anything reads it (a Helm
            # chart's disabled templates, a code generator's Jinja): its parse error is no defect.
            templated = any(marker in text for marker in ("{{", "{%"))
            draft = Draft(str(error) + (" (it holds template markers `{{ }}`/`{% %}`: a template, rendered "
                                        "before use)" if templated else ""),
                          Location(source.path, Span(error.line, error.column, error.line, error.column)),
                          severity=Severity.INFO if templated else None)
            finding = _finalise(project, metas["PC000"], draft, settings)
            if finding is not None:
                findings.append(finding)
    # the context the model gave each file whose context is not discovery's: kept to finish the findings again
    contexts = {source.path: (source.context, source.context_reason) for source, context, reason in placed
                if (source.context, source.context_reason) != (context, reason)}
    staged: Staged = (list(findings), contexts)
    kept, suppressed = finish(findings, files, project, settings, root, lambda: metas, python.keys())
    secrets = {where: frozenset(values) for where, values in secret_lines.items() if values}
    notes = project.views.helm.notes()  # how Helm charts were read (helm template, or statically)
    return kept, suppressed, secrets, notes, internal, metas, staged


def placed_elsewhere(project: Project, python: dict[str, PyFacts], reduced: Collection[str]) -> list[str]:
    """The test files extracted reduced that the project model does not place in tests."""
    return sorted(path for path in reduced if path in python and project.context_of(path) != Context.TEST)

