"""Rule gates (checks.gate): an object rule is skipped on objects that hold none of the fields
its check reads. A gate may only save time: with every gate open, every input must give the
same findings. Any difference means a check's ``reads`` leaves out a field it looks at."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
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
    rules._by_type.clear()
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
