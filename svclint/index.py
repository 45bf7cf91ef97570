"""The manifests as a set: small summaries that cross-resource checks read.

Summaries hold values and spans, never parse trees, so an index can be built from files that
are only context (pre-commit passes a few files; the rest of the repository is context) and,
later, from cached summaries without parsing at all.
"""

from __future__ import annotations

import operator
import os
import re
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from .diagnostics import Span
from .model import (
    KubeObject,
    get,
    int_value,
    is_placeholder,
    pod_template_path,
    port_protocol,
    service_field,
    string_map,
    string_value,
)
from .parse import Mapping, Node, Scalar, Sequence
from .records import frozen_record, record

# Summary records keep offsets as plain (start, end) tuples and make Spans when asked: a run
# makes and pickles millions of summary records, and a tuple pickles in C where a record costs
# a Python call (see records.py).
Offsets = tuple[int, int]


def offsets(node: Node) -> Offsets:
    return (node.start, node.end)


class _SpanAt:
    """A record's Span property over one of its ``Offsets`` fields, made when asked."""

    def __init__(self, field_name: str) -> None:
        self._offsets = operator.attrgetter(field_name)

    def __get__(self, record: object, owner: type | None = None) -> Span:
        return Span(*self._offsets(record))


@frozen_record
class ValueRef:
    """A scalar in a file: its value, its span, and the span to edit (inside quotes)."""

    path: str
    at: Offsets
    edit_at: Offsets
    value: str

    span = _SpanAt("at")
    edit_span = _SpanAt("edit_at")

    @classmethod
    def of(cls, path: str, node: Scalar) -> ValueRef:
        quoted = node.style in ("'", '"')  # the edit goes inside the quotes (Scalar.content_span)
        return cls(path, (node.start, node.end), (node.start + quoted, node.end - quoted), str(node.value))


@frozen_record
class ObjectRef:
    path: str
    at: Offsets  # metadata.name (the object, when it has no name node)
    kind: str
    namespace: str
    name: str
    namespace_explicit: bool = True  # False: no metadata.namespace, so `kubectl apply -n` decides

    span = _SpanAt("at")

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.kind, self.namespace, self.name)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"

    @property
    def folder(self) -> str:
        return folder_of(self.path)

    def may_share_namespace_with(self, other: ObjectRef) -> bool:
        """Whether the two may land in one namespace: the same one, or one names none and
        `kubectl apply -n` (or kustomize's `namespace:`) decides."""
        return self.namespace == other.namespace or not (self.namespace_explicit and other.namespace_explicit)


def folder_of(path: str) -> str:
    return os.path.dirname(os.path.normpath(path))


@frozen_record
class PortClaim:
    """A value that must be unique across the cluster (a nodePort, a clusterIP)."""

    owner: ObjectRef
    value: str
    at: Offsets

    span = _SpanAt("at")


# Labels that controllers add to the pods they make, absent from the pod template. A Service may
# select them (a per-pod Service of a StatefulSet selects statefulset.kubernetes.io/pod-name).
# Value: a pattern the label value must match, with {name} the workload's name.
CONTROLLER_LABELS: dict[str, dict[str, str]] = {
    "Deployment": {"pod-template-hash": r"[a-z0-9]+"},
    "Rollout": {"rollouts-pod-template-hash": r"[a-z0-9]+"},
    "StatefulSet": {
        "controller-revision-hash": r".+",
        "statefulset.kubernetes.io/pod-name": r"{name}-[0-9]+",
        "apps.kubernetes.io/pod-index": r"[0-9]+",
    },
    "DaemonSet": {"controller-revision-hash": r".+", "pod-template-generation": r"[0-9]+"},
    "Job": {
        "controller-uid": r".+", "batch.kubernetes.io/controller-uid": r".+",
        "job-name": r"{name}", "batch.kubernetes.io/job-name": r"{name}",
        "batch.kubernetes.io/job-completion-index": r"[0-9]+",
    },
    "CronJob": {
        "controller-uid": r".+", "batch.kubernetes.io/controller-uid": r".+",
        "job-name": r"{name}-[0-9]+", "batch.kubernetes.io/job-name": r"{name}-[0-9]+",
        "batch.kubernetes.io/job-completion-index": r"[0-9]+",
    },
}
_NUMBER = re.compile(r"(?<![\w.])([0-9]{2,5})(?![\w.])")
CONTROLLER_LABEL_KEYS = frozenset(key for labels in CONTROLLER_LABELS.values() for key in labels)


@lru_cache(maxsize=4096)
def controller_labels(kind: str, name: str) -> dict[str, re.Pattern[str]]:
    """The labels a controller of ``kind`` adds to the pods of workload ``name``, as patterns."""
    return {key: re.compile(pattern.replace("{name}", re.escape(name))) for key, pattern in CONTROLLER_LABELS.get(kind, {}).items()}


@frozen_record
class Label:
    key: str
    value: str
    at: Offsets  # the value as written

    span = _SpanAt("at")


@frozen_record
class ContainerPort:
    container: str
    name: str | None
    number: int | None
    protocol: str
    at: Offsets  # the port entry

    span = _SpanAt("at")


@record
@dataclass(slots=True)
class Workload:
    """What a Service needs to know of an object that makes pods."""

    ref: ObjectRef
    pod_labels: dict[str, Label]
    template_at: Offsets  # the pod template's labels (or the template, when it has none)
    metadata_labels: dict[str, Label]
    ports: list[ContainerPort]
    declares_ports: bool  # some container lists ports; if none does, nothing is known of them
    service_name: ValueRef | None = None  # StatefulSet.spec.serviceName
    mentioned: frozenset[int] = frozenset()  # numbers in containers' command, args and env: ports set by flags

    template_span = _SpanAt("template_at")

    @property
    def loose(self) -> bool:
        """A template label is a placeholder (``${APP}``): it may hold any value."""
        return any(is_placeholder(label.value) for label in self.pod_labels.values())

    def has(self, key: str, value: str) -> bool:
        """Whether pods of this workload carry label ``key=value`` (template or controller)."""
        label = self.pod_labels.get(key)
        if label is not None:
            return label.value == value or is_placeholder(label.value)
        pattern = controller_labels(self.ref.kind, self.ref.name).get(key)
        return pattern is not None and pattern.fullmatch(value) is not None

    def selected_by(self, selector: dict[str, str]) -> bool:
        return all(self.has(key, value) for key, value in selector.items())

    def misses(self, selector: dict[str, str]) -> list[str]:
        return [key for key, value in selector.items() if not self.has(key, value)]


@frozen_record
class ServicePort:
    name: str | None
    port: int | None
    protocol: str
    target: int | str | None  # after defaulting: an absent or zero targetPort is the port
    target_at: Offsets  # the targetPort value, or the port entry when targetPort is defaulted
    explicit_target: bool

    target_span = _SpanAt("target_at")


@record
@dataclass(slots=True)
class Service:
    ref: ObjectRef
    type: str
    headless: bool
    selector: dict[str, Label] | None  # None: no selector (Endpoints are managed by hand)
    selector_at: Offsets
    ports: list[ServicePort]

    selector_span = _SpanAt("selector_at")

    @property
    def selector_values(self) -> dict[str, str]:
        return {key: label.value for key, label in (self.selector or {}).items()}


@frozen_record
class Backend:
    """An Ingress backend that names a Service."""

    owner: ObjectRef
    service: ValueRef
    port_number: int | None
    port_name: str | None
    port_at: Offsets | None

    @property
    def port_span(self) -> Span | None:
        return Span(*self.port_at) if self.port_at is not None else None


@dataclass(slots=True)
class Index:
    report_paths: frozenset[str] | None = None  # None: every file is reported
    namespaces: dict[str, ObjectRef] = field(default_factory=dict)
    namespace_uses: list[ValueRef] = field(default_factory=list)
    claims: dict[str, list[PortClaim]] = field(default_factory=lambda: defaultdict(list))
    objects: dict[tuple[str, str, str], list[tuple[ObjectRef, int]]] = field(default_factory=lambda: defaultdict(list))  # identity -> (ref, content digest)
    types: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))  # namespace -> (apiVersion, kind)
    workloads: dict[str, list[Workload]] = field(default_factory=lambda: defaultdict(list))  # by namespace
    services: dict[str, dict[str, list[Service]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    backends: list[Backend] = field(default_factory=list)
    unparsed_folders: set[str] = field(default_factory=set)  # holding a template or broken YAML
    _by_label: dict[tuple[str, str, str], list[Workload]] = field(default_factory=lambda: defaultdict(list))
    _loose: dict[str, list[Workload]] = field(default_factory=lambda: defaultdict(list))

    def reported(self, path: str) -> bool:
        return self.report_paths is None or path in self.report_paths

    def add_unparsed(self, path: str) -> None:
        """A file whose objects could not all be read (a Helm template, a YAML error): what a
        Service beside it selects may be in there, so the folder's set is not complete."""
        self.unparsed_folders.add(folder_of(path))

    def add_summary(self, summary: Summary) -> None:
        if summary.namespace_use is not None:
            self.namespace_uses.append(summary.namespace_use)
        ref = summary.ref
        if ref is None:
            return
        self.objects[ref.identity].append((ref, summary.digest))
        self.types[ref.namespace].add(summary.type)
        if summary.type == ("v1", "Namespace"):
            self.namespaces.setdefault(ref.name, ref)
        for kind, claim in summary.claims:
            self.claims[kind].append(claim)
        if summary.service is not None:
            self.services[ref.namespace][ref.name].append(summary.service)
        self.backends.extend(summary.backends)
        workload = summary.workload
        if workload is not None:
            self.workloads[ref.namespace].append(workload)
            if workload.loose:
                self._loose[ref.namespace].append(workload)
            for key, label in workload.pod_labels.items():
                self._by_label[(ref.namespace, key, label.value)].append(workload)

    # --- queries ----------------------------------------------------------------------------

    def selected(self, namespace: str, selector: dict[str, str]) -> list[Workload]:
        """Workloads in ``namespace`` whose pods the selector matches, without a scan of the
        namespace when some selector label is one that templates carry."""
        keys = [key for key in selector if key not in CONTROLLER_LABEL_KEYS]
        if keys:
            bucket = min((self._by_label.get((namespace, key, selector[key]), []) for key in keys), key=len)
            candidates = [*bucket, *self._loose.get(namespace, ())]
        else:
            candidates = self.workloads.get(namespace, [])
        seen: set[int] = set()
        out = []
        for workload in candidates:
            if id(workload) not in seen and workload.selected_by(selector):
                seen.add(id(workload))
                out.append(workload)
        return out

    def services_named(self, namespace: str, name: str) -> list[Service]:
        by_name = self.services.get(namespace)
        return by_name.get(name, []) if by_name else []

@frozen_record
class Summary:
    """What one object adds to the index: values and spans, no parse tree, so summaries can be
    cached and sent between processes."""

    namespace_use: ValueRef | None
    ref: ObjectRef | None  # None: not a complete object (no kind, name or apiVersion)
    digest: int = 0  # of the object's text: tells copies from conflicting definitions
    type: tuple[str, str] = ("", "")  # (apiVersion, kind)
    claims: tuple[tuple[str, PortClaim], ...] = ()
    service: Service | None = None
    workload: Workload | None = None
    backends: tuple[Backend, ...] = ()


# --- what a file's summaries mean to other files' cross-checks ---------------------------------
#
# A run that reports a few files (pre-commit) needs from the rest of the repository only the
# summaries its cross-checks can read: those of the same namespaces, workloads whose pod labels
# its selectors name, Services of the names its Ingresses and StatefulSets name, claims of the
# same values, and the few things every run reads. The report cache stores each file's
# ``offers`` and loads only the files that offer something the reported files ``need``; a test
# runs every project both ways (tests/test_cache.py) to keep the two lists true to the checks.

ALWAYS_NEEDED = frozenset({"namespaces", "loose", "unparsed"})


def offers(summary: Summary) -> set[str]:
    """The keys under which this summary may matter to another file's cross-checks."""
    ref = summary.ref
    if ref is None:
        return set()
    keys = {f"ns:{ref.namespace}"}
    if summary.type == ("v1", "Namespace"):
        keys.add("namespaces")
    keys.update(f"claim:{kind}:{claim.value}" for kind, claim in summary.claims)
    if summary.service is not None:
        keys.add(f"service:{ref.name}")
    workload = summary.workload
    if workload is not None:
        keys.add("workloads")
        keys.update(f"label:{key}={label.value}" for key, label in workload.pod_labels.items())
        if workload.loose:
            keys.add("loose")
    return keys


def needs(summary: Summary) -> set[str]:
    """The keys of the summaries that cross-checks of this (reported) summary may read, besides
    ALWAYS_NEEDED (which every run reads)."""
    ref = summary.ref
    if ref is None:
        return set()
    keys = {f"ns:{ref.namespace}"}
    keys.update(f"claim:{kind}:{claim.value}" for kind, claim in summary.claims)
    service = summary.service
    if service is not None and service.selector:
        labels = [f"label:{key}={label.value}" for key, label in service.selector.items() if key not in CONTROLLER_LABEL_KEYS]
        keys.update(labels or ["workloads"])  # a selector of controller labels alone may match any workload
    keys.update(f"service:{backend.service.value}" for backend in summary.backends)
    if summary.workload is not None and summary.workload.service_name is not None:
        keys.add(f"service:{summary.workload.service_name.value}")
    return keys


def summarize(obj: KubeObject, default_namespace: str, text: str = "") -> Summary:
    """Summarise one object; ``text`` (its file) lets duplicates be told apart by content."""
    namespace_node = obj.get("metadata.namespace")
    namespace_use = None
    if isinstance(namespace_node, Scalar) and isinstance(namespace_node.value, str) and namespace_node.value:
        namespace_use = ValueRef.of(obj.path, namespace_node)
    if obj.kind is None or obj.name is None or obj.api_version is None:
        return Summary(namespace_use, None)
    name_node = obj.get("metadata.name")
    ref = ObjectRef(obj.path, offsets(name_node or obj.node), obj.kind, obj.namespace or default_namespace, obj.name,
                    bool(obj.namespace))
    digest = zlib.crc32(text[obj.node.start:obj.node.end].encode("utf-8", "replace"))
    type_ = (obj.api_version, obj.kind)
    if obj.api_version == "v1" and obj.kind == "Service":
        service, claims = _service(obj, ref)
        return Summary(namespace_use, ref, digest, type_, claims=claims, service=service)
    if obj.kind == "Ingress" and obj.api_version.startswith(("networking.k8s.io/", "extensions/")):
        return Summary(namespace_use, ref, digest, type_, backends=_backends(obj, ref))
    template = pod_template_path(obj) if obj.kind != "Namespace" else None
    if template is not None:
        return Summary(namespace_use, ref, digest, type_, workload=_workload(obj, ref, template))
    return Summary(namespace_use, ref, digest, type_)


def _service(obj: KubeObject, ref: ObjectRef) -> tuple[Service, tuple[tuple[str, PortClaim], ...]]:
    claims: list[tuple[str, PortClaim]] = []
    service_type = str(service_field(obj, "type"))
    if service_type in ("NodePort", "LoadBalancer"):
        for port, _ in obj.select("spec.ports[]"):
            node_port = _scalar(port, "nodePort")
            number = int_value(node_port)
            if node_port is not None and number:
                claims.append(("nodePort", PortClaim(ref, str(number), offsets(node_port))))
    selector_node = obj.get("spec.selector")
    selector = _labels(selector_node)
    service = Service(
        ref, service_type, obj.value("spec.clusterIP") == "None",
        selector if selector_node is not None else None,
        offsets(selector_node or obj.node),
        [_service_port(port) for port, _ in obj.select("spec.ports[]") if isinstance(port, Mapping)],
    )
    if service_type != "ExternalName":
        for node, _ in [*obj.select("spec.clusterIP"), *obj.select("spec.clusterIPs[]")]:
            value = string_value(node)
            if value and value != "None":
                claims.append(("clusterIP", PortClaim(ref, value, offsets(node))))
    return service, tuple(claims)


def _workload(obj: KubeObject, ref: ObjectRef, template_path: str) -> Workload | None:
    template = obj.get(template_path) if template_path else obj.node
    if not isinstance(template, Mapping):
        return None  # a partial object (a kustomize patch): nothing to match against
    labels_node = get(template, "metadata.labels")
    spec = template.get("spec")
    ports: list[ContainerPort] = []
    declares = False
    containers = _items(spec, "containers")
    # a sidecar (an init container that keeps running) serves ports too
    containers += [init for init in _items(spec, "initContainers") if string_value(get(init, "restartPolicy")) == "Always"]
    mentioned: set[int] = set()
    for container in containers:
        if not isinstance(container, Mapping):
            continue
        texts: list[Node | None] = [*_items(container, "command"), *_items(container, "args")]
        texts += [get(variable, "value") for variable in _items(container, "env")]
        for node in texts:
            text = string_value(node)
            if text:
                mentioned.update(map(int, _NUMBER.findall(text)))
        container_name = string_value(container.get("name")) or "?"
        entries = container.get("ports")
        if isinstance(entries, Sequence):
            declares = True
            for entry in entries.items:
                ports.append(ContainerPort(
                    container_name, string_value(get(entry, "name")), int_value(get(entry, "containerPort")),
                    port_protocol(entry), offsets(entry)))
    service_name = obj.get("spec.serviceName") if obj.kind == "StatefulSet" else None
    return Workload(
        ref, _labels(labels_node), offsets(labels_node or template), _labels(obj.get("metadata.labels")),
        ports, declares,
        ValueRef.of(obj.path, service_name) if isinstance(service_name, Scalar) and string_value(service_name) else None,
        frozenset(mentioned),
    )


def _backends(obj: KubeObject, ref: ObjectRef) -> tuple[Backend, ...]:
    found = []
    backends = [node for node, _ in obj.select("spec.defaultBackend")]
    backends += [node for node, _ in obj.select("spec.backend")]  # v1beta1
    backends += [node for node, _ in obj.select("spec.rules[].http.paths[].backend")]
    for backend in backends:
        service = get(backend, "service")
        if isinstance(service, Mapping):  # networking.k8s.io/v1
            name, port = service.get("name"), get(service, "port")
            number_node, name_node = get(port, "number"), get(port, "name")
        else:  # v1beta1: serviceName / servicePort (a number or a port name)
            name, number_node = get(backend, "serviceName"), get(backend, "servicePort")
            name_node = number_node if string_value(number_node) is not None else None
        if not isinstance(name, Scalar) or not string_value(name) or is_placeholder(str(name.value)):
            continue
        port_node = number_node if int_value(number_node) is not None else name_node
        found.append(Backend(
            ref, ValueRef.of(obj.path, name), int_value(number_node), string_value(name_node),
            offsets(port_node) if port_node is not None else None))
    return tuple(found)


def _items(node: Node | None, key: str) -> list[Node]:
    """The items of the list at ``key`` of a mapping (none if either is something else)."""
    found = node.get(key) if isinstance(node, Mapping) else None
    return list(found.items) if isinstance(found, Sequence) else []


def _labels(node: Node | None) -> dict[str, Label]:
    return {key: Label(key, value, (scalar.start, scalar.end)) for key, (value, scalar) in (string_map(node) or {}).items()}


def _service_port(port: Mapping) -> ServicePort:
    number = int_value(port.get("port"))
    target_node = port.get("targetPort")
    target: int | str | None = int_value(target_node)
    if target is None:
        target = string_value(target_node) or None
    explicit = target not in (None, 0)
    return ServicePort(
        string_value(port.get("name")), number, port_protocol(port), target if explicit else number,
        offsets(target_node if explicit and target_node is not None else port), explicit,
    )


def _scalar(node: Node, key: str) -> Scalar | None:
    child = get(node, key)
    return child if isinstance(child, Scalar) else None
