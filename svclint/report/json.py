"""Editor output: LSP-shaped diagnostics (0-based lines, UTF-16 columns), per file.

The contract is `schemas/output.schema.json`; editor plugins may rely on it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, TextIO

from .. import __version__
from ..diagnostics import Diagnostic, Range, Severity
from ..engine import LintResult

SCHEMA_VERSION = 1


def uri(path: str) -> str:
    if path == "-" or path.startswith("<"):
        return path
    try:
        return Path(os.path.realpath(path)).as_uri()  # not Path.resolve: it raises on a symlink loop
    except ValueError:
        return path


def lsp_range(value: Range) -> dict[str, Any]:
    return {
        "start": {"line": value.start.line, "character": value.start.column_utf16},
        "end": {"line": value.end.line, "character": value.end.column_utf16},
    }


def diagnostic_json(diagnostic: Diagnostic) -> dict[str, Any]:
    """One diagnostic as an LSP ``Diagnostic`` (the language server sends the same shape)."""
    data: dict[str, Any] = {"ruleName": diagnostic.rule_name}
    if diagnostic.fix is not None:
        data["fix"] = {
            "title": diagnostic.fix.title,
            "safe": diagnostic.fix.safe,
            "edits": [
                {"range": lsp_range(edit.range), "newText": edit.new_text}
                for edit in diagnostic.fix.edits
            ],
        }
    out: dict[str, Any] = {
        "range": lsp_range(diagnostic.range),
        "severity": int(diagnostic.severity),
        "code": diagnostic.rule_id,
        "codeDescription": {"href": diagnostic.docs_url},
        "source": "svclint",
        "message": diagnostic.message,
        "data": data,
    }
    if diagnostic.related:
        out["relatedInformation"] = [
            {"location": {"uri": uri(related.path), "range": lsp_range(related.range)}, "message": related.message}
            for related in diagnostic.related
        ]
    return out


def document(result: LintResult) -> dict[str, Any]:
    files: dict[str, list[dict[str, Any]]] = {}
    for diagnostic in result.diagnostics:
        files.setdefault(diagnostic.path, []).append(diagnostic_json(diagnostic))
    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": "svclint", "version": __version__},
        "positionEncoding": "utf-16",
        "files": [{"path": path, "uri": uri(path), "diagnostics": items} for path, items in files.items()],
        "summary": {
            "files": result.files,
            "objects": result.objects,
            "errors": result.count(Severity.ERROR),
            "warnings": result.count(Severity.WARNING),
            "infos": result.count(Severity.INFO) + result.count(Severity.HINT),
        },
    }


def render(result: LintResult, out: TextIO, color: bool) -> None:
    json.dump(document(result), out, indent=2, ensure_ascii=False)
    out.write("\n")
