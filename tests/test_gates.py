"""Rule gates (checks.gate): an object rule is skipped on objects that hold none of the fields
its check reads. A gate may only save time: with every gate open, every input must give the
same findings. Any difference means a check's ``reads`` leaves out a field it looks at."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from svclint.checks import OBJECT_READS, gate
from svclint.config import Config
from svclint.discover import read, walk
from svclint.engine import InputFile, RuleSet, lint
from svclint.registry import builtin_rules

from .conftest import config_of
from .test_conformance import _load
from .test_fast_path import _yaml
from .test_projects import PROJECTS, _manifests

REPO = Path(__file__).resolve().parents[1]


def _open(rules: RuleSet) -> RuleSet:
    for active in rules.object:
        active.gate = ()
    rules.forget_plans()
    return rules


def _same(files: list[InputFile], config: Config | None = None) -> int:
    config = config or Config()
    gated = lint(files, config=config)
    open_ = lint(files, config=config, rules=_open(RuleSet.build(config)))
    assert gated.diagnostics == open_.diagnostics
    return len(gated.diagnostics)


def test_gated_rules_name_fields_below_the_root() -> None:
    gated = [rule for rule in builtin_rules() if rule.check in OBJECT_READS and gate(rule.check, rule.params)]
    assert len(gated) > 20  # most Service rules are about fields most Services leave out
    for rule in gated:
        for path in gate(rule.check, rule.params):
            assert path.split(".")[0] in ("spec", "metadata"), (rule.id, path)
            assert "[]" not in path and "" not in path.split("."), (rule.id, path)


def test_gates_are_cut_at_lists_and_dotted_keys() -> None:
    assert gate("enum", {"paths": ["spec.ports[].protocol", "spec.type"]}) == ("spec.ports", "spec.type")
    assert gate("field-condition", {"fields": [{"path": ["metadata", "annotations", "a.b/c"]}]}) == ("metadata.annotations",)
    assert gate("name-format", {"paths": ["metadata.name"], "required": ["metadata.name"]}) == ()  # reports absence
    assert gate("service-ports", {"problem": "missing"}) == ()  # no reads declared: always runs


def test_rule_examples_conformance_cases_and_examples() -> None:
    cases = [(manifest, None) for rule in builtin_rules() for manifest in rule.examples["pass"]]
    cases += [(example["manifest"], example.get("config")) for rule in builtin_rules() for example in rule.examples["fail"]]
    cases += [(case.values[0]["manifest"], case.values[0].get("config"))
              for name in ("accepted.yaml", "rejected.yaml") for case in _load(name)]
    cases += [(path.read_text(), None) for path in sorted((REPO / "examples").glob("*.yaml"))]
    found = sum(_same([InputFile(f"case-{index}.yaml", text.encode())], config_of(config))
                for index, (text, config) in enumerate(cases))
    assert found > 100


def test_projects() -> None:
    for root in sorted(path for path in PROJECTS.iterdir() if (path / "case.yaml").is_file()):
        _same([InputFile(path, (root / path).read_bytes()) for path in _manifests(root)])


def test_real_world_corpus(shared_dir: Path) -> None:
    config = Config()
    files = [read(path, explicit, config) for path, explicit in walk([str(shared_dir / "corpus" / "realworld")], config)]
    assert _same(files, config) > 50


_field = st.sampled_from([
    "type", "clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "externalIPs", "externalName",
    "loadBalancerSourceRanges", "loadBalancerClass", "allocateLoadBalancerNodePorts", "externalTrafficPolicy",
    "internalTrafficPolicy", "healthCheckNodePort", "sessionAffinity", "sessionAffinityConfig",
    "trafficDistribution", "publishNotReadyAddresses", "selector", "ports",
])
_scalar = st.sampled_from(["None", "", "10.0.0.1", "fd00::1", "10.0.0.0/8", "IPv4", "IPv6", "SingleStack",
                           "RequireDualStack", "LoadBalancer", "NodePort", "ExternalName", "ClusterIP", "Local",
                           "Cluster", "ClientIP", "PreferClose", "example.com", "${X}", "true", "30080", "0", "-1"])
_value = st.one_of(_scalar, st.lists(_scalar, max_size=3),
                   st.fixed_dictionaries({}, optional={"port": st.sampled_from(["80", "0"]), "nodePort": st.sampled_from(["30080", "1"]),
                                                      "clientIP": st.just({"timeoutSeconds": 0}), "app": st.just("web")}),
                   st.lists(st.fixed_dictionaries({"port": st.sampled_from(["80", "443"])},
                                                  optional={"nodePort": st.sampled_from(["30080", "99999"]),
                                                            "name": st.sampled_from(["http", "Web_1"])}), max_size=2))
_annotations = st.dictionaries(st.sampled_from([
    "service.beta.kubernetes.io/load-balancer-source-ranges", "service.kubernetes.io/topology-mode",
    "service.kubernetes.io/topology-aware-hints", "a_b/c"]), st.sampled_from(["Auto", "auto", "10.0.0.0/8", "bad"]), max_size=3)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=st.dictionaries(_field, _value, max_size=7), annotations=_annotations,
       cidrs=st.sampled_from([None, "10.96.0.0/12", "10.96.0.0/12,fd00::/108"]))
def test_generated_services(spec: dict[str, object], annotations: dict[str, str], cidrs: str | None) -> None:
    metadata = {"name": "web", **({"annotations": annotations} if annotations else {})}
    text = f"apiVersion: v1\nkind: Service\nmetadata: {_yaml(metadata, 0, True)}\nspec:{_yaml(spec, 2) or ' {}'}\n"
    _same([InputFile("generated.yaml", text.encode())], config_of({"service-cluster-ip-range": cidrs} if cidrs else None))


_key = st.sampled_from(["spec", "metadata", "ports", "selector", "labels", "type", "a.b", "template"])
_tree = st.recursive(st.one_of(st.just("x"), st.none(), st.integers(0, 3)),
                     lambda children: st.one_of(st.lists(children, max_size=2), st.dictionaries(_key, children, max_size=4)),
                     max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(root=st.dictionaries(_key, _tree, max_size=4),
       gates=st.lists(st.lists(st.lists(_key.filter(lambda key: "." not in key), min_size=1, max_size=3).map(".".join),
                               max_size=3).map(tuple), max_size=6))
def test_a_plan_masks_the_gate_paths_an_object_holds(root: dict[str, object], gates: list[tuple[str, ...]]) -> None:
    """DispatchPlan.mask reads in one walk what ``KubeObject.get`` answers path by path."""
    from svclint.engine import ActiveRule, DispatchPlan
    from svclint.model import objects_of
    from svclint.parse import parse

    rule = next(rule for rule in builtin_rules() if rule.check in OBJECT_READS)
    plan = DispatchPlan.of([ActiveRule(rule, rule.severity, gate_paths) for gate_paths in gates])
    document = parse(_yaml({"apiVersion": "v1", "kind": "Service", **root}, 0, True) + "\n").documents[0]
    obj = next(iter(objects_of("x.yaml", document)))
    mask = plan.mask(obj.node)  # type: ignore[union-attr]
    for gate_mask, active in plan.rules:
        held = [path for path in active.gate if obj.get(path) is not None]  # type: ignore[union-attr]
        assert bool(gate_mask & mask) == bool(held), (active.gate, held)
    ran = [active for active, _, _ in plan.runs(mask)]
    assert ran == [active for gate_mask, active in plan.rules if not gate_mask or gate_mask & mask]


@settings(max_examples=200, deadline=None)
@given(order=st.permutations(range(12)), left_out=st.sets(st.integers(0, 11)))
def test_reports_reach_the_index_in_input_order(order: list[int], left_out: set[int]) -> None:
    """Shares finish out of order; the index takes their reports in input order all the same."""
    from svclint.engine import FileReport, _InInputOrder
    from svclint.suppress import Suppressions

    consumed: list[str] = []
    in_order = _InInputOrder(lambda report: consumed.append(report.path))
    for position in order:
        report = None if position in left_out else FileReport(str(position), [], [], False, 0, 0, Suppressions(), [])
        in_order.arrived(position, report)
        assert consumed == [str(p) for p in range(in_order.next) if p not in left_out]
    assert in_order.complete(12)
    assert consumed == [str(position) for position in range(12) if position not in left_out]


_step = st.sampled_from(["a", "b", "c"])  # few keys, so that expressions often meet what the trees hold
_small_tree = st.recursive(st.sampled_from(["x", 1]), lambda children: st.one_of(
    st.lists(children, max_size=3), st.dictionaries(_step, children, max_size=3)), max_leaves=16)
_expression = st.lists(st.tuples(_step, st.booleans()), min_size=1, max_size=4).map(
    lambda steps: ".".join(key + ("[]" if each else "") for key, each in steps))


@settings(max_examples=300, deadline=None)
@example(root={"a": [{"b": ["x", 1]}, {"b": [{"c": 1}]}]}, expressions=["a[].b[]", "a[].b[].c", "a[].b"], listed=False)
@example(root={"a": [{"b": ["x", 1]}, {"b": [{"c": 1}]}]}, expressions=["a[].b[].c", "a[].b[]", "a[]"], listed=True)
@given(root=st.dictionaries(_step, _small_tree, max_size=3), expressions=st.lists(_expression, min_size=1, max_size=8),
       listed=st.booleans())
def test_an_objects_selections_match_a_fresh_walk(root: dict[str, object], expressions: list[str], listed: bool) -> None:
    """KubeObject.select answers from memory and from the selection of a shared list prefix;
    every answer equals a walk from the object's root, paths prefixed for an item of a List."""
    from svclint.model import KubeObject, objects_of, select
    from svclint.parse import parse

    body = {"apiVersion": "v1", "kind": "Service", **root}
    document = {"apiVersion": "v1", "kind": "List", "items": [body]} if listed else body
    obj = next(iter(objects_of("x.yaml", parse(_yaml(document, 0, True) + "\n").documents[0])))
    assert isinstance(obj, KubeObject)
    for expression in [*expressions, *reversed(expressions)]:
        fresh = [(node, (*obj.base, *path)) for node, path in select(obj.node, expression)]
        assert [(id(node), path) for node, path in obj.select(expression)] == [(id(node), path) for node, path in fresh], expression
