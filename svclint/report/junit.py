"""JUnit XML for CI systems that show test reports (GitLab ``artifacts:reports:junit``, Jenkins,
Azure Pipelines, CircleCI).

One ``<testsuite>`` per linted file; each finding is a failed ``<testcase>`` named after its rule
and position, and a file without findings is one passing testcase, so the report lists every
file that was checked. Characters XML 1.0 cannot carry (control bytes from a broken file) are
replaced, never allowed to make the report unreadable.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import TextIO

from .. import __version__
from ..diagnostics import Diagnostic
from ..engine import LintResult

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _case(diagnostic: Diagnostic) -> ET.Element:
    start = diagnostic.range.start
    where = f"{diagnostic.path}:{start.line + 1}:{start.column + 1}"
    case = ET.Element("testcase", {
        "name": xml_text(f"{diagnostic.rule_id} {diagnostic.rule_name} at {where}"),
        "classname": xml_text(diagnostic.path),
        "file": xml_text(diagnostic.path),
        "line": str(start.line + 1),
    })
    failure = ET.SubElement(case, "failure", {
        "message": xml_text(diagnostic.message),
        "type": f"{diagnostic.severity.label}:{diagnostic.rule_id}",
    })
    body = f"{where}: {diagnostic.severity.label} {diagnostic.rule_id} {diagnostic.message}"
    if diagnostic.docs_url:
        body += f"\n{diagnostic.docs_url}"
    failure.text = xml_text(body)
    return case


def render(result: LintResult, out: TextIO, color: bool) -> None:
    by_path: dict[str, list[Diagnostic]] = defaultdict(list)
    for diagnostic in result.diagnostics:
        by_path[diagnostic.path].append(diagnostic)
    paths = list(dict.fromkeys([*result.reported_paths, *by_path]))
    root = ET.Element("testsuites", {
        "name": f"svclint {__version__}",
        "tests": str(sum(max(1, len(by_path[path])) for path in paths)),
        "failures": str(len(result.diagnostics)),
        "errors": "0",
    })
    for path in paths:
        found = by_path[path]
        suite = ET.SubElement(root, "testsuite", {
            "name": xml_text(path),
            "tests": str(max(1, len(found))),
            "failures": str(len(found)),
            "errors": "0",
            "skipped": "0",
        })
        if found:
            suite.extend(_case(diagnostic) for diagnostic in found)
        else:
            ET.SubElement(suite, "testcase", {"name": "svclint", "classname": xml_text(path), "file": xml_text(path)})
    ET.indent(root)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(root, encoding="unicode"))
    out.write("\n")
