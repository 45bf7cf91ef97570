"""The rule catalog is consistent: files validate, ids and names unique, checks exist and are used."""

from __future__ import annotations

from importlib import resources

from svclint.checks import INPUT_CHECK, OBJECT_CHECKS, SET_CHECKS, all_check_keys
from svclint.registry import builtin_rules, load_yaml, validate_rule_data


def test_rule_files_validate_against_the_rule_schema() -> None:
    folder = resources.files("svclint.builtin_rules")
    files = [entry for entry in folder.iterdir() if entry.name.endswith(".yaml")]
    assert len(files) == len(builtin_rules())
    for entry in files:
        data = load_yaml(entry.read_text(encoding="utf-8"))
        validate_rule_data(data, entry.name)
        assert entry.name == f"{data['id']}-{data['name']}.yaml"


def test_ids_and_names_are_unique() -> None:
    rules = builtin_rules()
    assert len({rule.id for rule in rules}) == len(rules)
    assert len({rule.name for rule in rules}) == len(rules)


def test_every_check_exists_and_is_used() -> None:
    rules = builtin_rules()
    used = {rule.check for rule in rules}
    assert used <= all_check_keys()
    assert set(OBJECT_CHECKS) - {"test-broken"} <= used
    assert set(SET_CHECKS) <= used
    assert INPUT_CHECK in used


def test_every_parse_problem_kind_has_a_rule() -> None:
    problems = {rule.params["problem"] for rule in builtin_rules() if rule.check == INPUT_CHECK}
    for kind in ("syntax", "duplicate-key", "tab-indentation", "template", "unreadable", "limit", "key-type",
                 "not-an-object", "missing-type-meta", "internal"):
        assert kind in problems, kind


def test_messages_format_with_their_checks_arguments() -> None:
    # Every {placeholder} of a message is one the engine or its check provides (tested through
    # the examples); here: no message is left without any text of its own.
    for rule in builtin_rules():
        assert rule.message.strip()
        assert rule.summary.endswith((".", ")", "`")), rule.id


def test_the_rules_page_every_finding_links_to_is_generated_from_the_rules() -> None:
    """docs/rules.md is what scripts/gen_docs.py makes of rules/, and it holds the anchor of every
    rule's docs link (GitHub makes `## SVC203 invalid-session-affinity` #svc203-invalid-session-affinity)."""
    import re
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from gen_docs import OUTPUT, render  # type: ignore[import-not-found]

    text = OUTPUT.read_text(encoding="utf-8")
    assert text == render(builtin_rules()), "docs/rules.md is stale: run python scripts/gen_docs.py"
    anchors = {re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")
               for heading in re.findall(r"^## (.+)$", text, re.MULTILINE)}
    for rule in builtin_rules():
        assert rule.docs_url.endswith("/docs/rules.md#" + f"{rule.id.lower()}-{rule.name}")
        assert rule.docs_url.rsplit("#", 1)[1] in anchors
