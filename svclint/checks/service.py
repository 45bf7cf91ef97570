"""Service rules from ValidateService (kubernetes pkg/apis/core/validation/validation.go).

Each check reads the Service as the server sees it after defaulting (type ClusterIP, protocol
TCP, sessionAffinity None), so an omitted field is never reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..k8svalidation import dns1123_subdomain, parse_ip, strict_ips
from ..model import (
    KubeObject,
    Path,
    get,
    int_value,
    is_headless,
    is_placeholder,
    node_at,
    port_protocol,
    service_field,
    string_value,
)
from ..parse import Mapping, Node, Scalar, Sequence
from ..schema import format_path
from . import Edit, Finding, FixSpec, ObjectContext, Params, object_check


def _ports(ctx: ObjectContext) -> list[tuple[Node, tuple[str | int, ...]]]:
    return list(ctx.obj.select("spec.ports[]"))


@object_check("service-ports")
def service_ports(ctx: ObjectContext, params: Params) -> Iterator[Finding]:
    """The port list as a whole: required, names required and unique, no duplicate ports."""
    problem = params["problem"]
    obj = ctx.obj
    ports = _ports(ctx)
    if problem == "missing":
        if ports or is_headless(obj) or service_field(obj, "type") == "ExternalName":
            return
        where = obj.key_node("spec.ports") or obj.key_node("spec") or obj.key_node("kind") or obj.node
        yield Finding(where, {"field": format_path((*obj.base, "spec", "ports"))})
        return
    if problem == "duplicate-node-port":
        yield from _duplicate_node_ports(ctx)
        return
    seen: dict[object, tuple[Node, tuple[str | int, ...]]] = {}
    at: Node | None
    for port, path in ports:
        if not isinstance(port, Mapping):
            continue
        if problem == "name-required":
            if len(ports) > 1 and not string_value(port.get("name")):
                yield Finding(port.key_node("name") or port.key_node("port") or port,
                              {"field": format_path(path), "count": len(ports)})
            continue
        if problem == "duplicate-name":
            name = string_value(port.get("name"))
            key: object = name
            at = port.get("name")
        else:  # duplicate-port
            number = int_value(port.get("port"))
            key = (port_protocol(port), number) if number is not None else None
            name = f"{number}/{port_protocol(port)}"
            at = port.get("port")
        if not key or at is None:
            continue
        first = seen.get(key)
        if first is None:
            seen[key] = (at, path)
            continue
        yield Finding(at, {"field": format_path(path), "value": name, "first": format_path(first[1])},
                      related=[(obj.path, first[0].span, f"first use at `{format_path(first[1])}`")])


def _duplicate_node_ports(ctx: ObjectContext) -> Iterator[Finding]:
    """One nodePort requested twice in a Service.

    Validation rejects a repeated (protocol, nodePort); the allocator (initNodePorts) also
    rejects one nodePort on two different ``port`` numbers, since it allocates per port number.
    Only the same port number over TCP and UDP may share a nodePort. A healthCheckNodePort is
    allocated from the same range and may not reuse a port's nodePort either.
    """
    obj = ctx.obj
    claimed: list[tuple[int, str, int | None, Node, Path]] = []  # nodePort, protocol, port, node, path
    for port, path in _ports(ctx):
        node = get(port, "nodePort")
        number = int_value(node)
        if not isinstance(port, Mapping) or node is None or not number:
            continue
        claimed.append((number, port_protocol(port), int_value(port.get("port")), node, (*path, "nodePort")))
    if service_field(obj, "type") == "LoadBalancer" and service_field(obj, "externalTrafficPolicy") == "Local":
        node = obj.get("spec.healthCheckNodePort")
        number = int_value(node)
        if node is not None and number:
            claimed.append((number, "health", None, node, (*obj.base, "spec", "healthCheckNodePort")))
    allocates = service_field(obj, "type") in ("NodePort", "LoadBalancer")
    for index, (number, protocol, port_number, node, path) in enumerate(claimed):
        for other_number, other_protocol, other_port, other_node, other_path in claimed[:index]:
            if other_number != number:
                continue
            same_port = port_number is not None and port_number == other_port
            if protocol != other_protocol and (not allocates or same_port):
                continue  # e.g. DNS: port 53 over TCP and UDP on one nodePort
            yield Finding(node, {"field": format_path(path), "value": number, "first": format_path(other_path)},
                          related=[(obj.path, other_node.span, f"first use at `{format_path(other_path)}`")])
            break


@object_check("session-affinity", reads=lambda params: ["spec.sessionAffinityConfig"])
def session_affinity(ctx: ObjectContext, params: Params) -> Iterator[Finding]:
    """sessionAffinityConfig belongs with ClientIP only; its timeout is 1..86400 seconds."""
    obj = ctx.obj
    affinity = service_field(obj, "sessionAffinity")
    config = obj.get("spec.sessionAffinityConfig")
    if config is None or (isinstance(config, Scalar) and config.value is None):
        return
    if params["problem"] == "config-without-client-ip":
        if affinity == "None":
            yield Finding(obj.key_node("spec.sessionAffinityConfig") or config, {"affinity": affinity})
        return
    if affinity != "ClientIP":
        return
    timeout = obj.get("spec.sessionAffinityConfig.clientIP.timeoutSeconds")
    value = int_value(timeout)
    if timeout is not None and value is not None and not 0 < value <= 86400:
        yield Finding(timeout, {"value": value})


@object_check("node-port-allowed", reads=lambda params: ["spec.ports[].nodePort"])
def node_port_allowed(ctx: ObjectContext, params: Params) -> Iterator[Finding]:
    """A nodePort on a ClusterIP Service (type given or defaulted) is forbidden."""
    obj = ctx.obj
    if service_field(obj, "type") != "ClusterIP":
        return
    written = obj.value("spec.type") is not None
    for node, path in obj.select("spec.ports[].nodePort"):
        if int_value(node):
            yield Finding(node, {"field": format_path(path),
                                 "how": "" if written else " (the default, as `type` is omitted)"})


@object_check("cluster-ip", reads=lambda params: ["spec.clusterIP", "spec.clusterIPs"])
def cluster_ip(ctx: ObjectContext, params: Params) -> Iterator[Finding]:
    """clusterIP / clusterIPs values: valid IPs, headless rules, the service CIDR, explicit IPs."""
    obj = ctx.obj
    problem = params["problem"]
    service_type = service_field(obj, "type")
    if service_type == "ExternalName":
        return
    entries = [*obj.select("spec.clusterIP"), *obj.select("spec.clusterIPs[]")]
    for node, path in entries:
        value = string_value(node)
        if not value or is_placeholder(value):
            continue
        field = format_path(path)
        if value == "None":
            if problem == "headless-not-allowed" and service_type in ("NodePort", "LoadBalancer") and path[-1] == "clusterIP":
                yield Finding(node, {"field": field, "type": service_type})
            continue
        address = parse_ip(value, strict=strict_ips(ctx.schema.version))
        if problem == "invalid" and address is None:
            yield Finding(node, {"field": field, "value": value})
        if address is None:
            continue
        if problem == "outside-range":
            cidrs = [cidr for cidr in ctx.config.service_cidrs if cidr.version == address.version]
            if cidrs and not any(address in cidr for cidr in cidrs):
                yield Finding(node, {"field": field, "value": value, "ranges": ", ".join(str(c) for c in cidrs)})
        if problem == "explicit" and path[-1] == "clusterIP":
            yield Finding(node, {"field": field, "value": value})


# --- Fields that only some Services may set ----------------------------------------------------


def externally_accessible(obj: KubeObject) -> bool:
    """apiservice.ExternallyAccessible: NodePort, LoadBalancer, or ClusterIP with externalIPs."""
    service_type = service_field(obj, "type")
    external_ips = obj.get("spec.externalIPs")
    return service_type in ("NodePort", "LoadBalancer") or (
        service_type == "ClusterIP" and isinstance(external_ips, Sequence) and bool(external_ips.items))


CONDITIONS: dict[str, Callable[[KubeObject], bool]] = {
    "load-balancer": lambda obj: service_field(obj, "type") == "LoadBalancer",
    "externally-accessible": externally_accessible,
    "needs-health-check": lambda obj: service_field(obj, "type") == "LoadBalancer"
    and service_field(obj, "externalTrafficPolicy") == "Local",
    "external-name": lambda obj: service_field(obj, "type") == "ExternalName",
    "not-external-name": lambda obj: service_field(obj, "type") != "ExternalName",
    "not-headless": lambda obj: not is_headless(obj),
}


def is_set(node: Node | None, *, pointer: bool = False, default: object = None) -> bool:
    """Whether the server sees a field as set: Go zero values (``""``, 0, false, empty list) are
    unset, except for pointer fields, where anything but null counts (``loadBalancerClass: ""``)."""
    if node is None:
        return False
    if isinstance(node, Scalar):
        value = node.value
        if value is None or (default is not None and value == default):
            return False
        return pointer or value not in ("", 0)
    if isinstance(node, Sequence):
        return bool(node.items)
    return pointer or (isinstance(node, Mapping) and bool(node.pairs))


def _field(obj: KubeObject, path: str | list[str]) -> tuple[Node | None, Node | None, Path]:
    """The value at ``path`` (dotted, or a list of keys when a key holds dots), its key node."""
    keys = path.split(".") if isinstance(path, str) else list(path)
    parent = node_at(obj.node, tuple(keys[:-1]))
    if not isinstance(parent, Mapping):
        return None, None, ()
    return parent.get(keys[-1]), parent.key_node(keys[-1]), (*obj.base, *keys)


@object_check("field-condition", reads=lambda params: [entry["path"] for entry in params["fields"]])
def field_condition(ctx: ObjectContext, params: Params) -> Iterator[Finding]:
    """Fields the server accepts (or acts on) only under a condition on the Service's type or
    other fields. Each entry: ``path``, ``pointer`` (null-able field), ``default`` (a value that
    counts as unset), ``unless`` (another field whose being set exempts this one), ``when`` (a
    condition overriding the rule's) and ``note`` (text for the message)."""
    obj = ctx.obj
    for entry in params["fields"]:
        condition = CONDITIONS[entry.get("when", params.get("when", ""))]
        if condition(obj):
            continue
        unless = entry.get("unless")
        if unless and is_set(_field(obj, unless)[0]):
            continue
        value, key, path = _field(obj, entry["path"])
        if not is_set(value, pointer=entry.get("pointer", False), default=entry.get("default")):
            continue
        assert value is not None
        shown = value.value if isinstance(value, Scalar) else None
        yield Finding(key or value, {
            "field": format_path(path), "type": service_field(obj, "type"),
            "value": "" if shown is None else shown, "note": entry.get("note", ""),
        })


@object_check("external-name", reads=lambda params: ["spec.type"])  # only an ExternalName Service
def external_name(ctx: ObjectContext, params: Params) -> Iterator[Finding]:
    """An ExternalName Service needs a DNS name (one trailing dot allowed) in externalName."""
    obj = ctx.obj
    if service_field(obj, "type") != "ExternalName":
        return
    node = obj.get("spec.externalName")
    value = string_value(node)
    name = (value or "").removesuffix(".")
    if params["problem"] == "missing":
        wrong_type = isinstance(node, Scalar) and node.value is not None and value is None  # a wrong-type finding
        if not name and not wrong_type:
            yield Finding(obj.key_node("spec.externalName") or obj.get("spec.type") or obj.node, {})
        return
    if not name or value is None or not isinstance(node, Scalar) or is_placeholder(name):
        return
    reasons = dns1123_subdomain(name)
    if not reasons:
        return
    detail = "; ".join(reasons)
    fix = None
    if "://" in name or "/" in name:
        host = name.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        detail += f"; write the host name alone, e.g. `{host.lower()}`"
    elif not dns1123_subdomain(name.lower()):
        fix = FixSpec(f"Lower-case to {value.lower()}", [Edit(node.content_span, value.lower())], True)
        detail += f"; DNS names are case-insensitive: write `{name.lower()}`"
    yield Finding(node, {"value": value, "detail": detail}, fix)


TOPOLOGY_MODE = "service.kubernetes.io/topology-mode"
TOPOLOGY_HINTS = "service.kubernetes.io/topology-aware-hints"


@object_check("topology-annotations", reads=lambda params: [["metadata", "annotations", TOPOLOGY_MODE]])
def topology_annotations(ctx: ObjectContext, params: Params) -> Iterator[Finding]:
    """topology-mode and the deprecated topology-aware-hints must agree when both are set."""
    annotations = get(ctx.obj.node, "metadata.annotations")
    if not isinstance(annotations, Mapping):
        return
    mode, hints = annotations.get(TOPOLOGY_MODE), annotations.get(TOPOLOGY_HINTS)
    if not isinstance(mode, Scalar) or not isinstance(hints, Scalar) or mode.value == hints.value:
        return
    yield Finding(mode, {"mode": mode.value, "hints": hints.value},
                  related=[(ctx.obj.path, hints.span, f"`{TOPOLOGY_HINTS}` is \"{hints.value}\"")])
