"""The rule catalog: rule files from ``rules/`` bound to the checks that implement them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from . import DOCS_URL
from .diagnostics import Severity


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: Severity
    check: str
    message: str
    summary: str
    rationale: str
    remediation: str
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    kinds: tuple[str, ...] = ()
    fixable: bool = False
    patches: bool = False  # also runs on Kustomize patch files, which hold partial objects
    examples: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    reference: str = ""  # where the rule comes from (Kubernetes source)
    file: str = ""

    @property
    def docs_url(self) -> str:
        return f"{DOCS_URL}#{self.id.lower()}-{self.name}"

    def applies_to(self, type_key: str) -> bool:
        return not self.kinds or type_key in self.kinds

    def render(self, args: dict[str, Any]) -> str:
        return shorten_quoted(self.message.format_map(args))


QUOTED_LIMIT = 120
_QUOTED = re.compile(r"`([^`]*)`|\"([^\"\n]*)\"")  # every quoted run, in order, so quotes pair up


def shorten_quoted(message: str) -> str:
    """Messages quote the file's own values; a 1 MB scalar must not make a 1 MB message. Each
    quoted run past the limit keeps its start and says how long it was."""
    def cut(match: re.Match[str]) -> str:
        quote = match.group(0)[0]
        inner = match.group(1) if match.group(1) is not None else match.group(2)
        if len(inner) <= QUOTED_LIMIT:
            return match.group(0)
        return f"{quote}{inner[:QUOTED_LIMIT - 40]}...{quote} ({len(inner):,} characters)"

    return _QUOTED.sub(cut, message) if len(message) > QUOTED_LIMIT else message


class RuleError(Exception):
    """A rule file is malformed or names a check that does not exist."""


def _rule_files() -> Iterator[Traversable]:
    folder = resources.files("svclint.builtin_rules")
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".yaml"):
            yield entry


def load_yaml(text: str) -> Any:
    import yaml

    from .parse import PYYAML_C_LOCK

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with PYYAML_C_LOCK:  # see parse.py: the fast path lends PyYAML's C composer our node classes
        return yaml.load(text, Loader=loader)


def rule_schema() -> dict[str, Any]:
    text = resources.files("svclint.builtin_schemas").joinpath("rule.schema.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def parse_rule(data: dict[str, Any], file: str) -> Rule:
    return Rule(
        id=data["id"],
        name=data["name"],
        severity=Severity.parse(data["severity"]),
        check=data["check"],
        message=data["message"],
        summary=data["summary"],
        rationale=data["rationale"],
        remediation=data["remediation"],
        params=data.get("params") or {},
        kinds=tuple(data.get("kinds") or ()),
        fixable=bool(data.get("fixable", False)),
        patches=bool(data.get("patches", False)),
        examples=data.get("examples") or {},
        reference=data.get("source", ""),
        file=file,
    )


def validate_rule_data(data: Any, source: str) -> None:
    """Validate one rule file's data against ``schemas/rule.schema.json`` (tests, user rules)."""
    import jsonschema

    errors = sorted(jsonschema.Draft202012Validator(rule_schema()).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(part) for part in first.path) or "(root)"
        raise RuleError(f"{source}: {where}: {first.message}")


@cache
def builtin_rules() -> tuple[Rule, ...]:
    """All built-in rules, sorted by id. Validated by the test suite, not at every start."""
    from .checks import all_check_keys

    checks = all_check_keys()
    rules = []
    for entry in _rule_files():
        data = load_yaml(entry.read_text(encoding="utf-8"))
        rule = parse_rule(data, entry.name)
        if rule.check not in checks:
            raise RuleError(f"{entry.name}: unknown check `{rule.check}`")
        rules.append(rule)
    return tuple(sorted(rules, key=lambda rule: rule.id))


def find_rule(rules: Iterable[Rule], key: str) -> Rule | None:
    """A rule by id (case-insensitive) or by name."""
    lowered = key.lower()
    for rule in rules:
        if rule.id.lower() == lowered or rule.name == lowered:
            return rule
    return None
