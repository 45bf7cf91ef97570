"""Label selectors as Kubernetes evaluates them: ``matchLabels`` + ``matchExpressions`` of a
workload, and the ``kubectl -l`` string syntax that users write in svclint's config."""

from __future__ import annotations

import re
from collections.abc import Mapping

from .records import frozen_record

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


@frozen_record
class Requirement:
    key: str
    operator: str  # In, NotIn, Exists, DoesNotExist
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator == "Exists":
            return present
        if self.operator == "DoesNotExist":
            return not present
        if self.operator == "In":
            return present and labels[self.key] in self.values
        return not present or labels[self.key] not in self.values  # NotIn


@frozen_record
class LabelSelector:
    """All requirements must hold. An empty selector matches everything (as for workloads)."""

    requirements: tuple[Requirement, ...]
    text: str = ""

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(requirement.matches(labels) for requirement in self.requirements)

    @classmethod
    def of_labels(cls, labels: Mapping[str, str]) -> LabelSelector:
        return cls(tuple(Requirement(key, "In", (value,)) for key, value in labels.items()))


_TERM = re.compile(
    r"\s*(?:(?P<not>!)\s*(?P<absent>[^\s,!=()]+)"
    r"|(?P<key>[^\s,!=()]+)\s*(?:(?P<op>==|=|!=)\s*(?P<value>[^\s,!=()]*)"
    r"|\s(?P<setop>in|notin)\s*\((?P<values>[^)]*)\))?)\s*(?:,|$)"
)


def parse_selector(text: str) -> LabelSelector:
    """Parse ``app=web,tier!=db,env in (a,b),!legacy,managed`` (kubectl's syntax); ValueError if
    it is not one."""
    requirements = []
    position = 0
    stripped = text.strip()
    if not stripped:
        raise ValueError("empty label selector")
    while position < len(stripped):
        match = _TERM.match(stripped, position)
        if match is None or match.end() == position:
            raise ValueError(f"cannot read label selector {text!r} at {stripped[position:]!r}")
        position = match.end()
        if match["absent"]:
            requirements.append(Requirement(match["absent"], "DoesNotExist"))
        elif match["op"] == "!=":
            requirements.append(Requirement(match["key"], "NotIn", (match["value"],)))
        elif match["op"]:
            requirements.append(Requirement(match["key"], "In", (match["value"],)))
        elif match["setop"]:
            values = tuple(value.strip() for value in match["values"].split(",") if value.strip())
            requirements.append(Requirement(match["key"], "In" if match["setop"] == "in" else "NotIn", values))
        else:
            requirements.append(Requirement(match["key"], "Exists"))
    return LabelSelector(tuple(requirements), text)
