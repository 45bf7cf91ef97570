"""Suppression comments, annotations and configuration."""

from __future__ import annotations

import pytest

from svclint.config import ConfigError

from .conftest import config_of, lint_text, positions

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: web{annotations}
spec:
  sessionAffinity: cluster{comment}
  ports:
    - port: 80
      protocol: HTTP
"""


def test_trailing_comment_disables_its_line() -> None:
    result = lint_text(SERVICE.format(annotations="", comment="  # svclint: disable=SVC203"))
    assert positions(result, "SVC203") == [] and positions(result, "SVC202") == ["9:17"]


def test_comment_line_disables_the_next_line_by_name() -> None:
    text = SERVICE.format(annotations="", comment="").replace("      protocol: HTTP", "      # svclint: disable=invalid-protocol\n      protocol: HTTP")
    result = lint_text(text)
    assert positions(result, "SVC202") == [] and positions(result, "SVC203") == ["6:20"]


def test_disable_file() -> None:
    result = lint_text("# svclint: disable-file=SVC202, SVC203\n" + SERVICE.format(annotations="", comment=""))
    assert result.diagnostics == []
    assert lint_text("# svclint: disable-file\n" + SERVICE.format(annotations="", comment="")).diagnostics == []


def test_a_comment_inside_a_string_is_not_a_directive() -> None:
    text = SERVICE.format(annotations="\n  annotations:\n    note: 'x # svclint: disable-file'", comment="")
    assert positions(lint_text(text), "SVC203") != []


def test_annotation_ignores_rules_in_its_object_only() -> None:
    annotated = SERVICE.format(annotations='\n  annotations:\n    svclint.io/ignore: "SVC203, invalid-protocol"', comment="")
    other = SERVICE.format(annotations="", comment="").replace("name: web", "name: api")
    result = lint_text(annotated + "---\n" + other)
    assert [d.rule_id for d in result.diagnostics] == ["SVC203", "SVC202"]
    assert all(d.range.start.line > 10 for d in result.diagnostics)


def test_config_node_port_range_and_cidr() -> None:
    text = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: NodePort\n  clusterIP: 10.0.0.5\n  ports: [{port: 80, nodePort: 8080}]\n"
    assert positions(lint_text(text), "SVC206") == ["7:32"]
    config = config_of({"service-node-port-range": "1-9000", "service-cluster-ip-range": "10.96.0.0/12"})
    result = lint_text(text, config)
    assert positions(result, "SVC206") == [] and positions(result, "SVC210") == ["6:14"]


def test_extra_namespaces_are_known() -> None:
    text = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: paymnts}\nspec:\n  ports: [{port: 80}]\n"
    assert positions(lint_text(text, config_of({"namespaces": ["payments"]})), "SVC302") == ["3:34"]
    assert positions(lint_text(text, config_of({"namespaces": ["payments", "paymnts"]})), "SVC302") == []


def test_per_file_ignores() -> None:
    config = config_of({"per-file-ignores": {"*.yaml": ["SVC203"]}})
    assert positions(lint_text(SERVICE.format(annotations="", comment=""), config), "SVC203") == []


@pytest.mark.parametrize("data", [
    {"unknown-key": 1}, {"severity": {"SVC203": "loud"}}, {"service-cluster-ip-range": "10.0.0.0/33"},
    {"service-node-port-range": "32767-30000"}, {"kubernetes-version": "1.20"}, {"fail-on": "never"},
])
def test_bad_config_is_a_clear_error(data: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        config_of(data)


def test_kube_version_changes_served_api_versions() -> None:
    text = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  trafficDistribution: PreferClose\n  ports: [{port: 80}]\n"
    for version in ("1.32", "1.37"):
        assert lint_text(text, config_of({"kubernetes-version": version})).diagnostics == []
