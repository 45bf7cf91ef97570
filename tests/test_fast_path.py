"""The fast parser (libyaml events) and ruamel.yaml must give identical findings: the same
rules, ranges, messages, related locations and fixes, on every test input and on generated
manifests. Any difference is a bug in the fast path."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from svclint.config import Config
from svclint.diagnostics import Diagnostic
from svclint.engine import InputFile, lint
from svclint.parse import Mapping, Node, ParsedStream, ParseLimits, Scalar, _fast_documents, parse
from svclint.parse import Sequence as SequenceNode
from svclint.registry import builtin_rules

from .test_conformance import _load
from .test_projects import PROJECTS, _manifests
from .test_source_and_parse import json_values

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))


def _comparable(diagnostic: Diagnostic) -> Diagnostic:
    """A syntax error's wording is the parser's own (libyaml's is the one kubectl's go-yaml
    prints); everything else, its position included, must match."""
    return replace(diagnostic, message="invalid YAML") if diagnostic.rule_id == "SVC001" else diagnostic


def _same(files: list[InputFile], config: Config | None = None) -> int:
    fast = lint(files, config=config or Config(), backend="libyaml")
    slow = lint(files, config=config or Config(), backend="ruamel")
    assert [_comparable(d) for d in fast.diagnostics] == [_comparable(d) for d in slow.diagnostics]
    assert (fast.documents, fast.objects) == (slow.documents, slow.objects)
    return len(fast.diagnostics)


def test_rule_examples_conformance_cases_and_examples() -> None:
    texts = [manifest for rule in builtin_rules() for manifest in rule.examples["pass"]]
    texts += [example["manifest"] for rule in builtin_rules() for example in rule.examples["fail"]]
    texts += [case.values[0]["manifest"] for name in ("accepted.yaml", "rejected.yaml") for case in _load(name)]
    texts += [path.read_text() for path in sorted((REPO / "examples").glob("*.yaml"))]
    found = sum(_same([InputFile(f"case-{index}.yaml", text.encode())]) for index, text in enumerate(texts))
    assert found > 100  # the inputs are full of mistakes: the comparison is not of empty lists


def test_projects() -> None:
    for root in sorted(path for path in PROJECTS.iterdir() if (path / "case.yaml").is_file()):
        _same([InputFile(path, (root / path).read_bytes()) for path in _manifests(root)])


def test_generated_benchmark_corpus(tmp_path: Path) -> None:
    from bench import generate  # type: ignore[import-not-found]

    files = generate(tmp_path, 400)
    assert _same([InputFile(str(path.relative_to(tmp_path)), path.read_bytes()) for path in files]) == 20


_key = st.sampled_from(["port", "targetPort", "nodePort", "name", "protocol", "selector", "type", "clusterIP",
                        "sessionAffinity", "ports", "app", "spec", "metadata", "ipFamilies", "externalName"])
_scalar = st.one_of(st.integers(-5, 70000), st.sampled_from(["TCP", "udp", "http", "None", "NodePort", "10.0.0.1",
                                                              "", "~", "yes", "0x1F", "1e3", "é😀", "${PORT}"]))
_value = st.recursive(_scalar, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_key, inner, max_size=4)),
                      max_leaves=12)


def _yaml(value: object, indent: int = 0, flow: bool = False) -> str:
    pad = " " * indent
    if isinstance(value, dict):
        if flow or not value:
            return "{" + ", ".join(f"{key}: {_yaml(item, 0, True)}" for key, item in value.items()) + "}"
        return "".join(f"\n{pad}{key}: {_yaml(item, indent + 2).lstrip(' ') if not isinstance(item, (dict, list)) or not item else _yaml(item, indent + 2)}"
                       for key, item in value.items())
    if isinstance(value, list):
        if flow or not value:
            return "[" + ", ".join(_yaml(item, 0, True) for item in value) + "]"
        return "".join(f"\n{pad}- {_yaml(item, indent + 2, True)}" for item in value)
    if isinstance(value, str) and (value in ("", "~", "yes") or "$" in value):
        return f'"{value}"'
    return str(value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=st.dictionaries(_key, _value, max_size=6), flow=st.booleans(), crlf=st.booleans())
def test_generated_services(spec: dict[str, object], flow: bool, crlf: bool) -> None:
    text = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:" + (" " + _yaml(spec, 2, True) if flow else _yaml(spec, 2) or " {}") + "\n"
    if crlf:
        text = text.replace("\n", "\r\n")
    _same([InputFile("generated.yaml", text.encode())])


@pytest.mark.parametrize("text", ["a: [1, 2\n", "a:\n\t- b\n", "{{ .Values }}\nkind: Service\n", "a: &x 1\nb: *x\nc: *y\n",
                                  "apiVersion: v1\nkind: Service\nmetadata: {name: a, name: b}\n"])
def test_broken_inputs(text: str) -> None:
    _same([InputFile("broken.yaml", text.encode())])


# --- libyaml's composer (parse.py's fast path) against the event composer ---------------------

def _tree(node: Node | None) -> object:
    """Everything a node records, recursively, for exact comparison."""
    if node is None:
        return None
    base = (type(node).__name__, node.start, node.end, node.tag, node.anchor)
    if isinstance(node, Scalar):
        return (*base, node.text, node.style, repr(node.value))
    if isinstance(node, Mapping):
        fields = [(name, key.start, value.start) for name, (key, value) in node.fields.items()]
        return (*base, node.flow, [(_tree(key), _tree(value)) for key, value in node.pairs], fields)
    assert isinstance(node, SequenceNode)
    return (*base, node.flow, [_tree(item) for item in node.items])


def _composed_alike(text: str) -> bool:
    """The fast path and the event composer parse ``text`` to the same trees and problems;
    True if the fast path took it (rather than leaving it to the events)."""
    fast, events = parse(text, backend="libyaml"), parse(text, backend="libyaml-events")
    assert [(document.index, _tree(document.root)) for document in fast.documents] == \
        [(document.index, _tree(document.root)) for document in events.documents]

    def problems(stream: ParsedStream) -> list[tuple[int, int, str, str]]:
        return sorted((problem.span.start, problem.span.end, problem.kind, problem.message) for problem in stream.problems)

    assert problems(fast) == problems(events)
    return _fast_documents(text, ParseLimits(), []) is not None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values, st.booleans(), st.sampled_from(["\n", "\r\n"]), st.integers(0, 3))
def test_fast_path_builds_the_event_composers_trees(value: object, flow: bool, newline: str, documents: int) -> None:
    text = yaml.safe_dump_all([{"v": value, "w": [value]}] * documents, default_flow_style=flow,
                              allow_unicode=True, explicit_start=documents > 1).replace("\n", newline)
    assert _composed_alike(text) or any(char in text for char in "*&!")


# Flow and block syntax, quotes, block scalars, duplicate keys, merge keys, errors; no `*&!`
# (those go to the event composer by design, tested below).
_yaml_soup = st.lists(st.sampled_from([*"ab:- \n{}[]'\"#|>0?,.<", "a: ", "- ", "\n  ", "---\n", "...\n",
                                        "<<: {a: 1}\n", "yes", "0x1F", "é"]), max_size=40).map("".join)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_yaml_soup)
def test_fast_path_agrees_on_arbitrary_text(text: str) -> None:
    _composed_alike(text)


@pytest.mark.parametrize(("text", "fast"), [
    ("apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 80}]\n", True),
    ("a: 1\na: 2\n<<: {b: 3, a: 4}\n'<<': 5\n---\n---\n# only a comment\n...\n", True),
    ("a: &x {b: 1}\nc: *x\n", False),  # aliases share nodes: the event composer counts expansions
    ("a: !!str 80\n", False),  # tags
    ("a: [1, 2\n", False),  # a syntax error: the event composer reports it and resumes
    ("a: 1\n...\nb: 2\n", False),  # a bare document after `...` (YAML 1.2): the event composer's rule
    ("a:" + " [" * 300 + " ]" * 300 + "\n", False),  # deeper than max-depth
    ("x: '*' \ny: \"a&b\"\nz: hello!\n", True),  # indicators inside scalars are not node properties
    ("cron: '*/5 * * * *'\n", False),  # ... though ` *` might start one: a cheap check errs on the safe side
])
def test_fast_path_takes_what_it_reproduces(text: str, fast: bool) -> None:
    assert _composed_alike(text) is fast


def test_pyyaml_c_loader_still_works_after_the_fast_path() -> None:
    """The fast path lends yaml._yaml our node classes only while it composes."""
    parse("a: {b: [1, 2]}\n", backend="libyaml")
    assert yaml.load("a: {b: [1, 2]}\n", Loader=yaml.CSafeLoader) == {"a": {"b": [1, 2]}}
    assert yaml.compose("a: 1\n", Loader=yaml.CSafeLoader).tag == "tag:yaml.org,2002:map"
