"""What the engine produces: diagnostics with exact ranges, related locations and fixes.

A diagnostic is self-contained (positions already resolved against its source), so reporters,
the language server and a result cache can all use it without the text it came from.
"""

from __future__ import annotations

import enum

from .records import frozen_record
from .source import Position, Source


class Severity(enum.IntEnum):
    """Numbered as LSP's DiagnosticSeverity, so JSON output can use the value directly."""

    ERROR = 1
    WARNING = 2
    INFO = 3
    HINT = 4

    @classmethod
    def parse(cls, name: str) -> Severity:
        return cls[name.upper()]

    @property
    def label(self) -> str:
        return self.name.lower()


@frozen_record
class Span:
    """A half-open range of offsets ``[start, end)`` in one source."""

    start: int
    end: int


@frozen_record
class Range:
    start: Position
    end: Position

    @classmethod
    def of(cls, source: Source, span: Span) -> Range:
        return cls(source.position(span.start), source.position(span.end))


@frozen_record
class TextEdit:
    """Replace ``span`` (offsets; ``range`` is the same as positions) of the file with ``new_text``."""

    span: Span
    range: Range
    new_text: str


@frozen_record
class Fix:
    """A repair for a finding. ``safe`` fixes keep the manifest's meaning apart from the mistake."""

    title: str
    edits: tuple[TextEdit, ...]
    safe: bool = True


@frozen_record
class Related:
    """Another place that explains a finding (the other Service of a collision, say)."""

    path: str
    range: Range
    message: str


@frozen_record
class Diagnostic:
    rule_id: str
    rule_name: str
    severity: Severity
    message: str
    path: str
    range: Range
    related: tuple[Related, ...] = ()
    fix: Fix | None = None
    docs_url: str = ""

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.range.start.offset, self.range.end.offset, self.rule_id)
