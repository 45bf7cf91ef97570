"""The manifests as a set: small summaries that cross-resource checks read.

Summaries hold values and spans, never parse trees, so an index can be built from files that
are only context (pre-commit passes a few files; the rest of the repository is context) and,
later, from cached summaries without parsing at all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .diagnostics import Span
from .model import KubeObject, get, int_value, service_field, string_value
from .parse import Node, Scalar


@dataclass(frozen=True, slots=True)
class ValueRef:
    """A scalar in a file: its value, its span, and the span to edit (inside quotes)."""

    path: str
    span: Span
    edit_span: Span
    value: str

    @classmethod
    def of(cls, path: str, node: Scalar) -> ValueRef:
        return cls(path, node.span, node.content_span, str(node.value))


@dataclass(frozen=True, slots=True)
class ObjectRef:
    path: str
    span: Span
    kind: str
    namespace: str
    name: str

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.kind, self.namespace, self.name)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class PortClaim:
    """A value that must be unique across the cluster (a nodePort, a clusterIP)."""

    owner: ObjectRef
    value: str
    span: Span


@dataclass(slots=True)
class Index:
    report_paths: frozenset[str] | None = None  # None: every file is reported
    namespaces: dict[str, ObjectRef] = field(default_factory=dict)
    namespace_uses: list[ValueRef] = field(default_factory=list)
    claims: dict[str, list[PortClaim]] = field(default_factory=lambda: defaultdict(list))

    def reported(self, path: str) -> bool:
        return self.report_paths is None or path in self.report_paths

    def add(self, obj: KubeObject, default_namespace: str) -> None:
        namespace_node = obj.get("metadata.namespace")
        if isinstance(namespace_node, Scalar) and isinstance(namespace_node.value, str) and namespace_node.value:
            self.namespace_uses.append(ValueRef.of(obj.path, namespace_node))
        if obj.kind is None or obj.name is None:
            return
        ref = ObjectRef(obj.path, obj.node.span, obj.kind, obj.namespace or default_namespace, obj.name)
        if obj.api_version == "v1" and obj.kind == "Namespace":
            self.namespaces.setdefault(obj.name, ref)
        elif obj.api_version == "v1" and obj.kind == "Service":
            self._add_service(obj, ref)

    def _add_service(self, obj: KubeObject, ref: ObjectRef) -> None:
        service_type = service_field(obj, "type")
        if service_type in ("NodePort", "LoadBalancer"):
            for port, _ in obj.select("spec.ports[]"):
                node_port = _scalar(port, "nodePort")
                number = int_value(node_port)
                if node_port is not None and number:
                    self.claims["nodePort"].append(PortClaim(ref, str(number), node_port.span))
        if service_type == "ExternalName":
            return
        for node, _ in [*obj.select("spec.clusterIP"), *obj.select("spec.clusterIPs[]")]:
            value = string_value(node)
            if value and value != "None":
                self.claims["clusterIP"].append(PortClaim(ref, value, node.span))


def _scalar(node: Node, key: str) -> Scalar | None:
    child = get(node, key)
    return child if isinstance(child, Scalar) else None
