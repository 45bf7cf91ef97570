"""Every rule's own examples, executed: the failing ones fire at the stated line:column, the
passing ones stay silent, and `fixed` shows the exact text after the rule's fixes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from svclint.checks import OBJECT_CHECKS
from svclint.config import Config
from svclint.engine import RuleSet
from svclint.fix import apply_edits, select_fixes
from svclint.registry import Rule, builtin_rules, parse_rule

from .conftest import config_of, lint_text, positions


def _cases() -> Iterator[Any]:
    for rule in builtin_rules():
        for index, manifest in enumerate(rule.examples["pass"]):
            yield pytest.param(rule, "pass", manifest, None, id=f"{rule.id}-pass{index}")
        for index, example in enumerate(rule.examples["fail"]):
            yield pytest.param(rule, "fail", example["manifest"], example, id=f"{rule.id}-fail{index}")


def _broken_check(ctx: object, params: object) -> Iterator[Any]:
    raise RuntimeError("deliberately broken check")


def _ruleset(rule: Rule, config: Config, outcome: str) -> RuleSet:
    ruleset = RuleSet.build(config)
    if rule.id == "SVC900" and outcome == "fail":
        # The internal-error rule reports a check that raises; bind one that does.
        OBJECT_CHECKS.setdefault("test-broken", _broken_check)
        broken = parse_rule({"id": "SVC999", "name": "test-broken", "severity": "error",
                             "check": "test-broken", "message": "x", "summary": "x", "rationale": "x",
                             "remediation": "x", "kinds": ["v1/Service"]}, "test")
        from svclint.engine import ActiveRule

        ruleset.object.append(ActiveRule(broken, broken.severity))
    return ruleset


@pytest.mark.parametrize(("rule", "outcome", "manifest", "example"), list(_cases()))
def test_rule_example(rule: Rule, outcome: str, manifest: str, example: dict[str, Any] | None) -> None:
    config = config_of((example or {}).get("config"))
    for backend in ("libyaml", "ruamel"):
        result = lint_text(manifest, config, backend=backend, rules=_ruleset(rule, config, outcome))
        found = positions(result, rule.id)
        if outcome == "pass":
            assert found == [], f"{rule.id} fired on its passing example ({backend}): {result.diagnostics}"
            continue
        assert example is not None
        assert found == example["expect"], f"{rule.id} ({backend}): {[d.message for d in result.diagnostics if d.rule_id == rule.id]}"
        for diagnostic in result.diagnostics:
            if diagnostic.rule_id == rule.id:
                assert not re.search(r"\{[a-z_]+\}", diagnostic.message), diagnostic.message
    if example is not None and "fixed" in example:
        own = [d for d in result.diagnostics if d.rule_id == rule.id]
        fixed = apply_edits(manifest, select_fixes(own, unsafe=True)[0])
        assert fixed == example["fixed"]
        again = positions(lint_text(fixed, config), rule.id)
        assert again == [], f"{rule.id} still fires after its fix"


def test_every_fixable_rule_offers_a_fix_on_some_example() -> None:
    for rule in builtin_rules():
        if not rule.fixable:
            continue
        offered = False
        for example in rule.examples["fail"]:
            result = lint_text(example["manifest"], config_of(example.get("config")))
            offered |= any(d.fix is not None for d in result.diagnostics if d.rule_id == rule.id)
        assert offered, f"{rule.id} says fixable but none of its failing examples has a fix"
