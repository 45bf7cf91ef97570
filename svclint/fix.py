"""Applying fixes to text: edits at recorded offsets, so every other byte stays as it was."""

from __future__ import annotations

from collections.abc import Iterable

from .diagnostics import Diagnostic, TextEdit


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """Apply non-overlapping edits (an edit overlapping an earlier-applied one is skipped)."""
    ordered = sorted(edits, key=lambda edit: (edit.span.start, edit.span.end))
    pieces: list[str] = []
    cursor = 0
    for edit in ordered:
        if edit.span.start < cursor:
            continue
        pieces.append(text[cursor : edit.span.start])
        pieces.append(edit.new_text)
        cursor = edit.span.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def fixes_for(diagnostics: Iterable[Diagnostic], *, unsafe: bool = False) -> list[TextEdit]:
    return [
        edit
        for diagnostic in diagnostics
        if diagnostic.fix is not None and (diagnostic.fix.safe or unsafe)
        for edit in diagnostic.fix.edits
    ]
