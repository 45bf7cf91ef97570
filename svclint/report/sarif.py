"""SARIF 2.1.0 for code-scanning services (GitHub, GitLab, Azure DevOps).

Follows GitHub's documented requirements: every rule in ``tool.driver.rules`` with a help URI,
``ruleIndex`` on results, 1-based regions with UTF-16 columns, ``partialFingerprints`` that
survive lines moving (rule, file, the line's text and its occurrence), and each fix as
``fixes[].artifactChanges``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from .. import __version__
from ..diagnostics import Diagnostic, Range, Severity
from ..engine import LintResult
from ..registry import builtin_rules

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/svclint/svclint"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note", Severity.HINT: "note"}


def artifact(path: str) -> dict[str, Any]:
    """Relative paths against %SRCROOT% (the checkout, where CI runs svclint); others as file URIs."""
    if path == "-" or os.path.isabs(path) or path.startswith(".."):
        try:
            return {"uri": Path(os.path.realpath(path)).as_uri()} if path != "-" else {"uri": "stdin"}
        except ValueError:
            return {"uri": path}
    return {"uri": Path(os.path.normpath(path)).as_posix(), "uriBaseId": "%SRCROOT%"}


def region(value: Range) -> dict[str, int]:
    return {
        "startLine": value.start.line + 1,
        "startColumn": value.start.column_utf16 + 1,
        "endLine": value.end.line + 1,
        "endColumn": value.end.column_utf16 + 1,
    }


def _rule(rule: Any) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.rationale},
        "help": {"text": f"{rule.remediation}\n\n{rule.docs_url}",
                 "markdown": f"{rule.remediation}\n\n[{rule.id} {rule.name}]({rule.docs_url})"},
        "helpUri": rule.docs_url,
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": ["kubernetes"], "precision": "high"},
    }


def _fingerprint(diagnostic: Diagnostic, result: LintResult, seen: Counter[str]) -> str:
    source = result.sources.get(diagnostic.path)
    line_number = diagnostic.range.start.line
    line = source.line_text(line_number).strip() if source is not None and line_number < source.line_count else ""
    key = f"{diagnostic.rule_id}\0{diagnostic.path}\0{line}"
    seen[key] += 1
    return hashlib.sha256(f"{key}\0{seen[key]}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _result(diagnostic: Diagnostic, index: dict[str, int], fingerprint: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": diagnostic.rule_id,
        "ruleIndex": index[diagnostic.rule_id],
        "level": LEVELS[diagnostic.severity],
        "message": {"text": diagnostic.message},
        "locations": [{"physicalLocation": {"artifactLocation": artifact(diagnostic.path),
                                            "region": region(diagnostic.range)}}],
        "partialFingerprints": {"svclint/v1": fingerprint},
    }
    if diagnostic.related:
        out["relatedLocations"] = [
            {"id": number, "message": {"text": related.message},
             "physicalLocation": {"artifactLocation": artifact(related.path), "region": region(related.range)}}
            for number, related in enumerate(diagnostic.related, 1)
        ]
    if diagnostic.fix is not None:
        out["fixes"] = [{
            "description": {"text": diagnostic.fix.title + ("" if diagnostic.fix.safe else " (unsafe: review it)")},
            "artifactChanges": [{
                "artifactLocation": artifact(diagnostic.path),
                "replacements": [{"deletedRegion": region(edit.range), "insertedContent": {"text": edit.new_text}}
                                 for edit in diagnostic.fix.edits],
            }],
        }]
    return out


def document(result: LintResult) -> dict[str, Any]:
    rules = builtin_rules()
    index = {rule.id: number for number, rule in enumerate(rules)}
    seen: Counter[str] = Counter()
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "svclint", "version": __version__, "semanticVersion": __version__,
                                "informationUri": INFORMATION_URI, "rules": [_rule(rule) for rule in rules]}},
            "columnKind": "utf16CodeUnits",
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().as_uri() + "/"}},
            "invocations": [{"executionSuccessful": True}],
            "results": [_result(d, index, _fingerprint(d, result, seen)) for d in result.diagnostics],
        }],
    }


def render(result: LintResult, out: TextIO, color: bool) -> None:
    json.dump(document(result), out, indent=2, ensure_ascii=False)
    out.write("\n")
