"""Applying fixes to text: edits at recorded offsets, so every other byte stays as it was."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .diagnostics import Diagnostic, Span, TextEdit
from .parse import Mapping, Node


@dataclass(slots=True)
class Edit:
    """Replace the text at ``span`` with ``new_text`` (an insertion when the span is empty)."""

    span: Span
    new_text: str


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


def select_fixes(diagnostics: Iterable[Diagnostic], *, unsafe: bool = False) -> tuple[list[TextEdit], int]:
    """Whole fixes whose edits touch no edit already chosen, in file order: a fix is applied
    completely or not at all (a move is a cut and a paste; half of it would lose text)."""
    chosen: list[TextEdit] = []
    count = 0
    for diagnostic in diagnostics:
        fix = diagnostic.fix
        if fix is None or not fix.edits or (not fix.safe and not unsafe):
            continue
        if any(_overlap(edit.span, other.span) for edit in fix.edits for other in chosen):
            continue
        chosen.extend(fix.edits)
        count += 1
    return chosen, count


def _overlap(a: Span, b: Span) -> bool:
    """Whether two edits conflict: shared text, an insertion inside the other's range, or two
    insertions at one point (their order would be a guess)."""
    a_inserts, b_inserts = a.start == a.end, b.start == b.end
    if a_inserts and b_inserts:
        return a.start == b.start
    if a_inserts:
        return b.start < a.start < b.end
    if b_inserts:
        return a.start < b.start < a.end
    return a.start < b.end and b.start < a.end


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _line_end(text: str, offset: int) -> int:
    """The offset just past the line break of the line holding ``offset`` (or the text's end)."""
    end = text.find("\n", offset)
    return len(text) if end < 0 else end + 1


def block_entry_span(text: str, key: Node, value: Node) -> Span | None:
    """The whole lines of a block-mapping entry ``key: value``, or None when the entry shares a
    line with something else (flow style, ``a: {b: c}, ...``) and cannot be cut out cleanly."""
    start = _line_start(text, key.start)
    if text[start:key.start].strip():
        return None
    last = value.end if value.end > key.end else key.end
    while last > key.end and text[last - 1] in " \t\r\n":
        last -= 1
    end = _line_end(text, last)
    rest = text[last:end].strip()
    if rest and not rest.startswith("#"):
        return None
    return Span(start, end)


def move_entry(text: str, parent: Mapping, key: Node, value: Node, target: Mapping) -> list[Edit] | None:
    """Edits that cut ``key: value`` out of ``parent`` and paste it, re-indented, as the first
    entry of the block mapping ``target``. None when either side is not plain block style or
    the cut would leave ``parent`` empty."""
    if parent.flow or target.flow or not target.pairs or len(parent.pairs) < 2:
        return None
    cut = block_entry_span(text, key, value)
    first_key = target.pairs[0][0]
    insert_at = _line_start(text, first_key.start)
    if cut is None or text[insert_at:first_key.start].strip() or cut.start <= insert_at < cut.end:
        return None
    old_indent = key.start - cut.start
    new_indent = text[insert_at:first_key.start]
    lines = text[cut.start:cut.end].splitlines(keepends=True)
    if not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\r\n" if "\r\n" in text else "\n"
    moved = "".join(new_indent + line[old_indent:] if line[:old_indent].strip() == "" and line.strip() else line
                    for line in lines)
    return [Edit(cut, ""), Edit(Span(insert_at, insert_at), moved)]
