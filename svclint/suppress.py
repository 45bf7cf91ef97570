"""Suppression comments: ``# svclint: disable=SVC203`` and friends.

- ``# svclint: disable=ID[,ID]`` after YAML on a line: that line; alone on a line: the next line.
- ``# svclint: disable-line=...`` / ``# svclint: disable-next-line=...``: explicit forms.
- ``# svclint: disable-file=...`` anywhere: the whole file. No ``=...`` means every rule.
Rules are named by id or name. The object annotation ``svclint.io/ignore`` is applied by the
engine (rendered Helm output keeps annotations but loses comments).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .source import Source

ALL = "*"
_DIRECTIVE = re.compile(
    r"(?:^|(?<=\s))#\s*svclint:\s*(disable-file|disable-next-line|disable-line|disable)\b[ \t]*(?:=[ \t]*([A-Za-z0-9_, \t-]+))?",
    re.MULTILINE,
)


@dataclass
class Suppressions:
    file_rules: set[str] = field(default_factory=set)
    line_rules: dict[int, set[str]] = field(default_factory=dict)

    def suppressed(self, line: int, rule_id: str, rule_name: str) -> bool:
        for rules in (self.file_rules, self.line_rules.get(line, ())):
            if ALL in rules or rule_id in rules or rule_name in rules:
                return True
        return False

    def __bool__(self) -> bool:
        return bool(self.file_rules or self.line_rules)


def scan(source: Source, string_spans: Callable[[], list[tuple[int, int]]] = list) -> Suppressions:
    """Directives in ``source``; ``string_spans`` gives the quoted/block scalars, where a ``#``
    is text, not a comment (called only when the file mentions ``svclint:`` at all)."""
    found = Suppressions()
    text = source.text
    if "svclint:" not in text:
        return found
    inside = sorted(string_spans())
    starts = [start for start, _ in inside]
    for match in _DIRECTIVE.finditer(text):
        at = bisect.bisect_right(starts, match.start()) - 1
        if at >= 0 and inside[at][0] <= match.start() < inside[at][1]:
            continue
        rules = {part.strip().upper() if part.strip().upper().startswith("SVC") else part.strip()
                 for part in (match[2] or "").split(",") if part.strip()} or {ALL}
        position = source.position(match.start())
        directive = match[1]
        if directive == "disable-file":
            found.file_rules |= rules
            continue
        before = source.line_text(position.line)[: position.column]
        if directive == "disable-next-line" or (directive == "disable" and not before.strip()):
            line = position.line + 1
        else:
            line = position.line
        found.line_rules.setdefault(line, set()).update(rules)
    return found
