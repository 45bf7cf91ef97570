#!/usr/bin/env python3
"""Derive svclint's Kubernetes schemas from the official ones bundled in `kubernetes-validate`.

Reproducible: `pip install kubernetes-validate==1.37.0 && python scripts/derive_schemas.py`
rewrites `schemas/kubernetes/v1.*.json` byte for byte. For each of the newest minor versions it
keeps the strict (additionalProperties: false) definitions reachable from the kinds svclint
reads, and a table of every built-in kind with the apiVersions that serve it, so that an
`extensions/v1beta1` Deployment can be told apart from a custom resource that is also called
`Service`.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

# The kinds whose fields svclint checks, as (apiVersion, kind).
KINDS = [
    ("v1", "Service"),
    ("v1", "Pod"),
    ("v1", "ReplicationController"),
    ("v1", "Namespace"),
    ("v1", "Endpoints"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("apps/v1", "ReplicaSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("networking.k8s.io/v1", "Ingress"),
    ("networking.k8s.io/v1", "IngressClass"),
    ("discovery.k8s.io/v1", "EndpointSlice"),
]
# Groups that older Kubernetes versions served and newer ones removed: an object in one of
# them is a built-in object of a retired API, not a custom resource.
RETIRED_GROUPS = ["extensions"]
MINOR_VERSIONS = 6
KEEP = {"type", "properties", "additionalProperties", "items", "$ref", "required", "oneOf",
        "format", "enum", "description"}


def package_dir() -> Path:
    import kubernetes_validate

    return Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"


def newest_versions(root: Path, count: int) -> list[tuple[int, int, Path]]:
    found = []
    for directory in root.iterdir():
        match = re.fullmatch(r"v(\d+)\.(\d+)\.\d+-local-strict", directory.name)
        if match:
            found.append((int(match[1]), int(match[2]), directory))
    found.sort()
    return found[-count:]


def api_version(gvk: dict[str, str]) -> str:
    return f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]


def trim(schema: Any) -> Any:
    """Keep only the keywords svclint and jsonschema need; drop x-kubernetes-* noise."""
    if isinstance(schema, list):
        return [trim(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key not in KEEP:
            continue
        if key == "properties":
            out[key] = {name: trim(sub) for name, sub in value.items()}
        else:
            out[key] = trim(value)
    return out


def refs(schema: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value.rsplit("/", 1)[-1])
            else:
                found |= refs(value)
    elif isinstance(schema, list):
        for item in schema:
            found |= refs(item)
    return found


def derive(directory: Path, package_version: str) -> dict[str, Any]:
    definitions = json.loads((directory / "_definitions.json").read_text())["$defs"]
    served: dict[str, set[str]] = {}
    by_gvk: dict[tuple[str, str], str] = {}
    groups: set[str] = set(RETIRED_GROUPS)
    for name, definition in definitions.items():
        gvks = definition.get("x-kubernetes-group-version-kind") or []
        properties = definition.get("properties", {})
        if "kind" not in properties or "metadata" not in properties:
            continue  # DeleteOptions, WatchEvent and friends are listed under every group
        for gvk in gvks:
            served.setdefault(gvk["kind"], set()).add(api_version(gvk))
            groups.add(gvk["group"])
            by_gvk[(api_version(gvk), gvk["kind"])] = name
    roots = {f"{version}/{kind}": by_gvk[(version, kind)] for version, kind in KINDS}
    keep: dict[str, Any] = {}
    todo = list(roots.values())
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep[name] = trim(definitions[name])
        todo.extend(refs(keep[name]) - keep.keys())
    match = re.fullmatch(r"v(\d+\.\d+)\.\d+-local-strict", directory.name)
    assert match
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": (
            f"Derived by scripts/derive_schemas.py from kubernetes-validate {package_version} "
            f"({directory.name}); do not edit by hand."
        ),
        "x-kubernetes-version": match[1],
        "x-kinds": dict(sorted(roots.items())),
        "x-served": {kind: sorted(versions) for kind, versions in sorted(served.items())},
        "x-groups": sorted(groups),
        "$defs": dict(sorted(keep.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "schemas" / "kubernetes")
    parser.add_argument("--versions", type=int, default=MINOR_VERSIONS)
    args = parser.parse_args()
    from importlib.metadata import version

    package_version = version("kubernetes-validate")
    args.out.mkdir(parents=True, exist_ok=True)
    written = []
    for major, minor, directory in newest_versions(package_dir(), args.versions):
        schema = derive(directory, package_version)
        target = args.out / f"v{major}.{minor}.json"
        target.write_text(json.dumps(schema, indent=None, separators=(",", ":"), sort_keys=False) + "\n")
        written.append(f"{major}.{minor}")
        print(f"{target}: {len(schema['$defs'])} definitions, {target.stat().st_size} bytes")
    (args.out / "versions.json").write_text(json.dumps({"versions": written, "source": f"kubernetes-validate {package_version}"}, indent=2) + "\n")


if __name__ == "__main__":
    main()
