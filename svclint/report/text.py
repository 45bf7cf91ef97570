"""Human output: ``file:line:col: severity RULE name: message``, the source line, a marker.

Plain text unless writing to a colour terminal; `rich` is imported only then, so pre-commit and
CI runs do not pay for it.
"""

from __future__ import annotations

from typing import TextIO

from ..diagnostics import Diagnostic, Severity
from ..engine import LintResult
from ..source import Source

_STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan", Severity.HINT: "dim"}


def _marker(source: Source | None, diagnostic: Diagnostic) -> tuple[str, str] | None:
    """The finding's line and a ``^^^`` under its range; found from the finding's offset alone,
    since a run that reports every file of a repository should not index every line of it."""
    if source is None or not source.text:
        return None
    start, end = diagnostic.range.start, diagnostic.range.end
    text = source.text
    if start.offset > len(text) or start.column > start.offset:
        return None
    line_start = start.offset - start.column
    line_end = text.find("\n", start.offset)
    line = text[line_start:len(text) if line_end == -1 else line_end].split("\r", 1)[0]
    if len(line) > 200:
        return None
    width = (end.column if end.line == start.line else len(line)) - start.column
    prefix = "".join("\t" if char == "\t" else " " for char in line[: start.column])
    return line.expandtabs(4), prefix.expandtabs(4) + "^" * max(1, width)


def render(result: LintResult, out: TextIO, color: bool) -> None:
    lines: list[tuple[str, str | None]] = []
    for diagnostic in result.diagnostics:
        start = diagnostic.range.start
        head = f"{diagnostic.path}:{start.line + 1}:{start.column + 1}"
        lines.append((f"{head}: {diagnostic.severity.label} {diagnostic.rule_id} {diagnostic.rule_name}: {diagnostic.message}",
                      _STYLES[diagnostic.severity]))
        marker = _marker(result.sources.get(diagnostic.path), diagnostic)
        if marker is not None:
            number = f"{start.line + 1:>5} | "
            lines.append((number + marker[0], None))
            lines.append((" " * (len(number) - 2) + "| " + marker[1], _STYLES[diagnostic.severity]))
        for related in diagnostic.related:
            where = related.range.start
            lines.append((f"      note: {related.path}:{where.line + 1}:{where.column + 1}: {related.message}", "dim"))
    errors, warnings = result.count(Severity.ERROR), result.count(Severity.WARNING)
    others = len(result.diagnostics) - errors - warnings
    if result.diagnostics:
        counts = [f"{errors} error{'s' * (errors != 1)}", f"{warnings} warning{'s' * (warnings != 1)}"]
        if others:
            counts.append(f"{others} other")
        safe = sum(1 for diagnostic in result.diagnostics if diagnostic.fix is not None and diagnostic.fix.safe)
        unsafe = sum(1 for diagnostic in result.diagnostics if diagnostic.fix is not None and not diagnostic.fix.safe)
        summary = f"Found {len(result.diagnostics)} problem{'s' * (len(result.diagnostics) != 1)} ({', '.join(counts)}) in {result.files} file{'s' * (result.files != 1)}."
        if safe:
            summary += f" {safe} fixable with --fix"
            summary += f" ({unsafe} more with --unsafe-fixes)." if unsafe else "."
        elif unsafe:
            summary += f" {unsafe} fixable with --fix --unsafe-fixes."
        if safe or unsafe:
            summary += " Preview with --diff."
        lines.append((summary, "bold"))
    else:
        lines.append((f"All checks passed: {result.files} file{'s' * (result.files != 1)}, {result.objects} object{'s' * (result.objects != 1)}.", "bold green"))
    if not color:
        out.write("".join(text + "\n" for text, _ in lines))
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=out, highlight=False, soft_wrap=True, force_terminal=True)
    for text, style in lines:
        console.print(Text(text, style=style or ""))
