"""The structural walker agrees with jsonschema on the same derived schemas."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from svclint.parse import Mapping, parse
from svclint.schema import load, newest_version, versions

BASE: dict[str, Any] = {
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {"type": "NodePort", "selector": {"app": "web"},
             "ports": [{"name": "http", "port": 80, "targetPort": "http", "nodePort": 30080}],
             "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10}}},
}
PATHS = [("metadata",), ("metadata", "labels"), ("spec",), ("spec", "ports", 0), ("spec", "selector"),
         ("spec", "sessionAffinityConfig", "clientIP")]
VALUES = [1, "x", True, [1], {"a": 1}, 2.5]


def _validator(version: str) -> jsonschema.Draft202012Validator:
    schema = load(version)
    root = {**schema.raw, "$ref": "#/$defs/io.k8s.api.core.v1.Service"}
    return jsonschema.Draft202012Validator(root)


def _ours(data: dict[str, Any], version: str) -> set[tuple[str | int, ...]]:
    stream = parse(json.dumps(data))
    root = stream.documents[0].root
    assert isinstance(root, Mapping)
    return {f.path for f in load(version).validate("io.k8s.api.core.v1.Service", root) if f.kind != "missing-field"}


def _theirs(data: dict[str, Any], version: str) -> set[tuple[str | int, ...]]:
    paths = set()
    for error in _validator(version).iter_errors(data):
        if error.validator == "additionalProperties":
            for extra in set(error.instance) - set(error.schema.get("properties", {})):
                paths.add((*error.absolute_path, extra))
        elif error.validator in ("type", "oneOf"):
            paths.add(tuple(error.absolute_path))
    return paths


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(PATHS), st.sampled_from(["nodeport", "target", "x", "port", "name", "app"]),
       st.sampled_from(VALUES), st.sampled_from(["port", "nodePort", "name", "timeoutSeconds", "type", "labels"]))
def test_walker_agrees_with_jsonschema(where: tuple[str | int, ...], new_key: str, value: Any, retyped: str) -> None:
    data = copy.deepcopy(BASE)
    target: Any = data
    for part in where:
        target = target[part]
    target[new_key] = value
    if retyped in target:
        target[retyped] = value
    version = newest_version()
    assert _ours(data, version) == _theirs(data, version)


def test_base_manifest_is_clean_in_every_shipped_version() -> None:
    for version in versions():
        assert _ours(BASE, version) == set() == _theirs(BASE, version)


@pytest.mark.parametrize("version", versions())
def test_shipped_schemas_are_valid_json_schema(version: str) -> None:
    jsonschema.Draft202012Validator.check_schema(load(version).raw)
