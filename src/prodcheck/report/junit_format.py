"""JUnit XML: one test case per finding (a failure), or one passing case when there is none."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TextIO

from prodcheck.docs import doc_url
from prodcheck.engine import RunResult
from prodcheck.report.escape import visible
from prodcheck.report.paths import repository_base
from prodcheck.lazy_pattern import lazy

# Characters XML 1.0 cannot carry at all, even escaped (control characters, lone surrogates).
_INVALID_XML = lazy("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", visible(text))


def render(result: RunResult, out: TextIO, **_: object) -> None:
    _base, prefix = repository_base(result.root)
    findings = result.findings
    suites = ET.Element("testsuites", name="prodcheck", tests=str(max(1, len(findings))),
                        failures=str(len(findings)), errors="0")
    suite = ET.SubElement(suites, "testsuite", name="prodcheck", tests=str(max(1, len(findings))),
                          failures=str(len(findings)), errors="0", skipped="0")
    for finding in findings:
        path = clean(prefix + finding.path)
        span = finding.span
        case = ET.SubElement(suite, "testcase", classname=path,
                             name=clean(f"{finding.code} {finding.name} at {path}:{span.line}:{span.column}"),
                             file=path, line=str(span.line))
        failure = ET.SubElement(case, "failure", message=clean(finding.message),
                                type=f"{finding.code} {finding.severity.label}")
        related = "".join(f"\n  {r.path}:{r.span.line}: {r.label}" for r in finding.related if r.path)
        failure.text = clean(f"{path}:{span.line}:{span.column}: {finding.code} [{finding.severity.label}] "
                             f"{finding.message}{related}\n{doc_url(finding.code, finding.name)}")
    if not findings:
        ET.SubElement(suite, "testcase", classname="prodcheck", name=f"prodcheck: {result.files} files, no findings")
    ET.indent(suites)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(suites, encoding="unicode"))
    out.write("\n")
