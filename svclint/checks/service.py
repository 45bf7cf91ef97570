"""Service rules from ValidateService (kubernetes pkg/apis/core/validation/validation.go).

Each check reads the Service as the server sees it after defaulting (type ClusterIP, protocol
TCP, sessionAffinity None), so an omitted field is never reported.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..k8svalidation import parse_ip
from ..model import (
    int_value,
    is_headless,
    is_placeholder,
    port_protocol,
    service_field,
    string_value,
)
from ..parse import Mapping, Node, Scalar
from ..schema import format_path
from . import Finding, ObjectContext, Params, object_check


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
        spec = obj.node.get("spec")
        where = (spec.key_node("ports") if isinstance(spec, Mapping) else None) or obj.node.key_node("spec") or obj.node.key_node("kind") or obj.node
        yield Finding(where, {"field": format_path((*obj.base, "spec", "ports"))})
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
        elif problem == "duplicate-port":
            number = int_value(port.get("port"))
            key = (port_protocol(port), number) if number is not None else None
            name = f"{number}/{port_protocol(port)}"
            at = port.get("port")
        else:  # duplicate-node-port
            number = int_value(port.get("nodePort"))
            key = (port_protocol(port), number) if number else None
            name = f"{number}/{port_protocol(port)}"
            at = port.get("nodePort")
        if not key or at is None:
            continue
        first = seen.get(key)
        if first is None:
            seen[key] = (at, path)
            continue
        yield Finding(at, {"field": format_path(path), "value": name, "first": format_path(first[1])},
                      related=[(obj.path, first[0].span, f"first use at `{format_path(first[1])}`")])


@object_check("session-affinity")
def session_affinity(ctx: ObjectContext, params: Params) -> Iterator[Finding]:
    """sessionAffinityConfig belongs with ClientIP only; its timeout is 1..86400 seconds."""
    obj = ctx.obj
    affinity = service_field(obj, "sessionAffinity")
    config = obj.get("spec.sessionAffinityConfig")
    if config is None or (isinstance(config, Scalar) and config.value is None):
        return
    if params["problem"] == "config-without-client-ip":
        if affinity == "None":
            spec = obj.node.get("spec")
            key = spec.key_node("sessionAffinityConfig") if isinstance(spec, Mapping) else None
            yield Finding(key or config, {"affinity": affinity})
        return
    if affinity != "ClientIP":
        return
    timeout = obj.get("spec.sessionAffinityConfig.clientIP.timeoutSeconds")
    value = int_value(timeout)
    if timeout is not None and value is not None and not 0 < value <= 86400:
        yield Finding(timeout, {"value": value})


@object_check("node-port-allowed")
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


@object_check("cluster-ip")
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
        address = parse_ip(value)
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
