"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

``::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=T::message`` (1-based), with the
escaping GitHub's toolkit applies to property values and messages.
"""

from __future__ import annotations

from typing import TextIO

from ..diagnostics import Severity
from ..engine import LintResult

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice", Severity.HINT: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: LintResult, out: TextIO, color: bool) -> None:
    for diagnostic in result.diagnostics:
        start, end = diagnostic.range.start, diagnostic.range.end
        properties = ",".join([
            f"file={escape_property(diagnostic.path)}",
            f"line={start.line + 1}", f"col={start.column + 1}",
            f"endLine={end.line + 1}", f"endColumn={end.column + 1}",
            f"title={escape_property(f'{diagnostic.rule_id} {diagnostic.rule_name}')}",
        ])
        out.write(f"::{COMMANDS[diagnostic.severity]} {properties}::{escape_data(diagnostic.message)}\n")
    errors, warnings = result.count(Severity.ERROR), result.count(Severity.WARNING)
    out.write(f"svclint: {_count(len(result.diagnostics), 'finding')} ({_count(errors, 'error')}, "
              f"{_count(warnings, 'warning')}) in {_count(result.files, 'file')}\n")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"
