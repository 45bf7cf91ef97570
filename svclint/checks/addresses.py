"""Service addresses: clusterIP/clusterIPs, ipFamilies and ipFamilyPolicy, externalIPs, and
loadBalancerSourceRanges (ValidateServiceClusterIPsRelatedFields and the allocator's
initIPFamilyFields in pkg/registry/core/service/storage/alloc.go).

The server first copies ``clusterIP`` into an empty ``clusterIPs`` (NormalizeClusterIPs), so
these checks read the *effective* list: what the user wrote in ``clusterIPs``, or else
``clusterIP`` alone.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

from ..k8svalidation import IPAddress, parse_ip, parse_source_range, special_ip_reason, strict_ips
from ..model import KubeObject, Path, get, is_placeholder, service_field, string_value
from ..parse import Mapping, Node, Scalar, Sequence
from ..schema import format_path
from . import Finding, ObjectContext, Params, object_check

SOURCE_RANGES_ANNOTATION = "service.beta.kubernetes.io/load-balancer-source-ranges"


@dataclass(slots=True)
class ClusterIP:
    node: Scalar
    path: Path
    value: str


def effective_cluster_ips(obj: KubeObject) -> tuple[list[ClusterIP], bool]:
    """The clusterIPs the server validates, and whether they came from ``clusterIPs`` itself."""
    listed = [ClusterIP(node, path, value) for node, value, path in obj.strings("spec.clusterIPs[]", skip_placeholders=False)]
    if listed:
        return listed, True
    single = [ClusterIP(node, path, value) for node, value, path in obj.strings("spec.clusterIP", skip_placeholders=False) if value]
    return single, False


def _family(ip: IPAddress) -> str:
    return "IPv4" if ip.version == 4 or (isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped) else "IPv6"


def _families(obj: KubeObject) -> list[tuple[Scalar, str]]:
    return [(node, value) for node, value, _ in obj.strings("spec.ipFamilies[]", skip_placeholders=False)]


def _key(obj: KubeObject, name: str) -> Node:
    return obj.key_node(f"spec.{name}") or obj.key_node("spec") or obj.node


def _headless_selectorless(obj: KubeObject) -> bool:
    """The allocator's special case: headless with no selector may take any families."""
    selector = obj.get("spec.selector")
    return obj.value("spec.clusterIP") == "None" and not (isinstance(selector, Mapping) and selector.pairs)


def _policy(obj: KubeObject) -> tuple[str, Node | None]:
    """ipFamilyPolicy as written, or the allocator's default for a new Service."""
    node = obj.get("spec.ipFamilyPolicy")
    value = string_value(node)
    if value is not None:
        return value, node
    return ("RequireDualStack" if _headless_selectorless(obj) else "SingleStack"), None


@object_check("cluster-ips", reads=lambda params: ["spec.clusterIP", "spec.clusterIPs", "spec.ipFamilies", "spec.ipFamilyPolicy"])
def cluster_ips(ctx: ObjectContext, params: Params) -> Iterator[Finding]:
    """The clusterIP/clusterIPs/ipFamilies/ipFamilyPolicy rules, one ``problem`` per rule."""
    obj = ctx.obj
    if service_field(obj, "type") == "ExternalName":
        return  # every one of these fields is forbidden there (external-name-forbidden-field)
    problem = params["problem"]
    strict = strict_ips(ctx.schema.version)
    ips, from_list = effective_cluster_ips(obj)
    if problem == "mismatch":
        single = string_value(obj.get("spec.clusterIP")) or ""
        if from_list and not single:
            yield Finding(_key(obj, "clusterIPs"), {
                "detail": f"`clusterIPs` is set but `clusterIP` is not; add `clusterIP: {ips[0].value}` "
                          "(it must equal the first entry) or remove `clusterIPs`"})
        elif from_list and single and ips[0].value != single:
            yield Finding(ips[0].node, {
                "detail": f"`{format_path(ips[0].path)}` is \"{ips[0].value}\" but `clusterIP` is \"{single}\"; "
                          "the first entry of `clusterIPs` must equal `clusterIP`"})
        return
    if problem == "list":
        for index, entry in enumerate(ips):
            if entry.value == "None" and (index > 0 or len(ips) > 1):
                yield Finding(entry.node, {"field": format_path(entry.path),
                                           "detail": "`None` (headless) must be the first and only value"})
        if len(ips) > 2:
            yield Finding(ips[2].node, {"field": format_path(ips[2].path),
                                        "detail": f"{len(ips)} values given; at most two (one IPv4 and one IPv6)"})
        parsed = [parse_ip(entry.value, strict=strict) for entry in ips]
        kinds = {_family(ip) for ip in parsed if ip is not None}
        if len(ips) > 1 and None not in parsed and len(kinds) == 1:
            yield Finding(ips[1].node, {"field": format_path(ips[1].path),
                                        "detail": f"all addresses are {kinds.pop()}; "
                                                  "give at most one IP of each family"})
        return
    if problem == "family-mismatch":
        if ips and ips[0].value == "None":
            return
        for (family_node, family), entry in zip(_families(obj), ips, strict=False):
            ip = parse_ip(entry.value, strict=strict)
            if ip is None or family not in ("IPv4", "IPv6") or _family(ip) == family:
                continue
            yield Finding(entry.node, {"field": format_path(entry.path), "value": entry.value,
                                       "family": family, "actual": _family(ip)},
                          related=[(obj.path, family_node.span, f"the matching `ipFamilies` entry says {family}")])
        return
    if problem == "duplicate-family":
        seen: dict[str, Scalar] = {}
        for node, family in _families(obj):
            if family in seen:
                yield Finding(node, {"value": family},
                              related=[(obj.path, seen[family].span, "first listed here")])
            seen.setdefault(family, node)
        return
    if problem == "single-stack":
        policy, policy_node = _policy(obj)
        if policy != "SingleStack":
            return
        families = _families(obj)
        how = "" if policy_node is not None else " (the default when `ipFamilyPolicy` is omitted)"
        if len(ips) == 2 or len(families) == 2:
            what = "two cluster IPs" if len(ips) == 2 else "two IP families"
            at = policy_node or _key(obj, "clusterIPs" if len(ips) == 2 and from_list else "ipFamilies")
            yield Finding(at, {"what": what, "how": how})
        return
    if problem == "family-not-configured":
        yield from _family_not_configured(ctx, ips, strict)


def _family_not_configured(ctx: ObjectContext, ips: list[ClusterIP], strict: bool) -> Iterator[Finding]:
    """Families the cluster has no service CIDR for (only when the CIDRs are configured)."""
    obj = ctx.obj
    configured = {"IPv4" if cidr.version == 4 else "IPv6" for cidr in ctx.config.service_cidrs}
    if not configured or _headless_selectorless(obj):
        return
    names = " and ".join(sorted(configured))
    for node, family in _families(obj):
        if family in ("IPv4", "IPv6") and family not in configured:
            yield Finding(node, {"detail": f"{family} is not configured on this cluster (service CIDRs: {names})"})
    if not _families(obj):
        for entry in ips:
            ip = parse_ip(entry.value, strict=strict)
            if ip is not None and _family(ip) not in configured:
                yield Finding(entry.node, {"detail": f"`{entry.value}` is {_family(ip)}, which is not configured "
                                                     f"on this cluster (service CIDRs: {names})"})
    policy, policy_node = _policy(obj)
    if policy == "RequireDualStack" and policy_node is not None and len(configured) < 2:
        yield Finding(policy_node, {"detail": f"RequireDualStack needs a dual-stack cluster; this one has {names} "
                                                  "only (use PreferDualStack to get two families where available)"})


@object_check("external-ips", reads=lambda params: ["spec.externalIPs"])
def external_ips(ctx: ObjectContext, params: Params) -> Iterator[Finding]:
    """externalIPs: valid addresses, not unspecified, loopback or link-local (ValidateNonSpecialIP)."""
    strict = strict_ips(ctx.schema.version)
    for node, value, path in ctx.obj.strings("spec.externalIPs[]"):
        ip = parse_ip(value, strict=strict)
        reason = "must be a valid IP address (e.g. 10.9.8.7 or 2001:db8::ffff)" if ip is None else special_ip_reason(ip)
        if reason:
            yield Finding(node, {"field": format_path(path), "value": value, "detail": reason})


@object_check("source-ranges", reads=lambda params: ["spec.loadBalancerSourceRanges", ["metadata", "annotations", SOURCE_RANGES_ANNOTATION]])
def source_ranges(ctx: ObjectContext, params: Params) -> Iterator[Finding]:
    """loadBalancerSourceRanges (or, when that is empty, the legacy annotation) hold CIDRs."""
    obj = ctx.obj
    strict = strict_ips(ctx.schema.version)
    ranges = obj.get("spec.loadBalancerSourceRanges")
    if isinstance(ranges, Sequence) and ranges.items:
        for node, value, path in ctx.obj.strings("spec.loadBalancerSourceRanges[]"):
            if parse_source_range(value.strip(), strict=strict) is None:
                yield Finding(node, {"field": format_path(path), "value": value.strip()})
        return
    annotation = get(obj.node, "metadata.annotations")
    annotation_node = annotation.get(SOURCE_RANGES_ANNOTATION) if isinstance(annotation, Mapping) else None
    text = string_value(annotation_node)
    if annotation_node is None or not text or not text.strip() or is_placeholder(text):
        return
    for value in text.strip().split(","):
        if parse_source_range(value.strip(), strict=strict) is None:
            yield Finding(annotation_node, {"field": f"metadata.annotations[{SOURCE_RANGES_ANNOTATION}]", "value": value.strip()})
