"""Ports of the string validators of k8s.io/apimachinery/pkg/util/validation.

Each returns the reasons a value is invalid (none when valid), worded as the API server words
them, so a finding can say exactly what the server will say. A repository names the same few
namespaces, label keys and port names thousands of times: answers for short values are kept.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_PORT_NAME_CHARS = re.compile(r"[-a-z0-9]+")
Reasons = tuple[str, ...]


def _remembered(validate: Callable[[str], list[str]]) -> Callable[[str], Reasons]:
    """``validate`` answering from memory for values up to a DNS subdomain's length."""
    cached = functools.lru_cache(maxsize=8192)(lambda value: tuple(validate(value)))

    @functools.wraps(validate)
    def reasons(value: str) -> Reasons:
        return cached(value) if len(value) <= 253 else tuple(validate(value))

    return reasons


@_remembered
def dns1123_label(value: str) -> list[str]:
    errors = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not _DNS1123_LABEL.fullmatch(value):
        errors.append("must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character")
    return errors


@_remembered
def dns1035_label(value: str) -> list[str]:
    errors = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not _DNS1035_LABEL.fullmatch(value):
        errors.append("must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character")
    return errors


@_remembered
def dns1123_subdomain(value: str) -> list[str]:
    errors = []
    if len(value) > 253:
        errors.append("must be no more than 253 characters")
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
        errors.append("must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character")
    return errors


@_remembered
def iana_svc_name(value: str) -> list[str]:
    """IsValidPortName: what a named port (and a string targetPort) must look like."""
    errors = []
    if len(value) > 15:
        errors.append("must be no more than 15 characters")
    if not _PORT_NAME_CHARS.fullmatch(value):
        errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search(r"[a-z]", value):
        errors.append("must contain at least one letter (a-z)")
    if "--" in value:
        errors.append("must not contain consecutive hyphens")
    if value[:1] == "-" or value[-1:] == "-":
        errors.append("must not begin or end with a hyphen")
    return errors


@_remembered
def qualified_name(value: str) -> list[str]:
    """IsQualifiedName: label and annotation keys, appProtocol."""
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
        errors = []
    elif len(parts) == 2:
        prefix, name = parts
        errors = [] if prefix else ["prefix part must be non-empty"]
        if prefix:
            errors += [f"prefix part {reason}" for reason in dns1123_subdomain(prefix)]
    else:
        return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', "
                "and must start and end with an alphanumeric character, with an optional DNS subdomain prefix and '/'"]
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > 63:
        errors.append("name part must be no more than 63 characters")
    if name and not _QUALIFIED_NAME.fullmatch(name):
        errors.append("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character")
    return errors


@_remembered
def label_value(value: str) -> list[str]:
    errors = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not _LABEL_VALUE.fullmatch(value):
        errors.append("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character")
    return errors


FORMATS = {
    "dns-1123-label": (dns1123_label, "DNS-1123 label"),
    "dns-1035-label": (dns1035_label, "DNS-1035 label"),
    "dns-1123-subdomain": (dns1123_subdomain, "DNS-1123 subdomain"),
    "iana-svc-name": (iana_svc_name, "port name (IANA service name)"),
    "qualified-name": (qualified_name, "qualified name"),
    "label-value": (label_value, "label value"),
}


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Kubernetes 1.36 turned on StrictIPCIDRValidation (KEP-4858): new objects may no longer use
# IPv4 octets with leading zeros or IPv4-mapped IPv6 addresses, which older servers accepted.
STRICT_IP_SINCE = (1, 36)
_SLOPPY_IPV4 = re.compile(r"(\d+)\.(\d+)\.(\d+)\.(\d+)")


def strict_ips(version: str) -> bool:
    """Whether the API server of ``version`` ("1.35") validates IPs and CIDRs strictly."""
    return tuple(int(part) for part in version.split(".")[:2]) >= STRICT_IP_SINCE


def parse_ip(value: str, *, strict: bool = True) -> IPAddress | None:
    """An IP as the API server accepts it: strictly (no leading zeros, no IPv4-mapped IPv6), or
    as Go's ParseIPSloppy did before 1.36 (``010.0.0.1`` is 10.0.0.1)."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        match = None if strict else _SLOPPY_IPV4.fullmatch(value)
        if match is None or any(int(octet) > 255 for octet in match.groups()):
            return None
        return ipaddress.IPv4Address(".".join(str(int(octet)) for octet in match.groups()))
    if strict and isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return None
    return address


def parse_source_range(value: str, *, strict: bool) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """A CIDR as ``loadBalancerSourceRanges`` takes it: host bits may be set (``10.0.0.1/8``),
    as Go's ParseCIDR allows; the address part follows :func:`parse_ip`."""
    address, slash, length = value.partition("/")
    if not slash or not length.isdigit() or (length != "0" and length.startswith("0")):
        return None
    ip = parse_ip(address, strict=strict)
    if ip is None or int(length) > ip.max_prefixlen:
        return None
    return ipaddress.ip_network(f"{ip}/{length}", strict=False)


def special_ip_reason(ip: IPAddress) -> str | None:
    """ValidateNonSpecialIP: why an address may not be an external IP, or None."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified:
        return "may not be unspecified (0.0.0.0 or ::)"
    if ip.is_loopback:
        return "may not be in the loopback range (127.0.0.0/8, ::1/128)"
    if ip.is_link_local:
        return "may not be in the link-local range (169.254.0.0/16, fe80::/10)"
    if isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.IPv4Network("224.0.0.0/24"):
        return "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"
    if isinstance(ip, ipaddress.IPv6Address) and ip.packed[0] == 0xFF and ip.packed[1] & 0x0F == 0x02:
        return "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"
    return None


def to_dns_label(value: str, *, letter_first: bool) -> str | None:
    """A valid label close to ``value`` (lower-cased, ``_`` and ``.`` as ``-``), if one exists."""
    candidate = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-")
    candidate = re.sub(r"-{2,}", "-", candidate)[:63].strip("-")
    if letter_first:
        candidate = candidate.lstrip("0123456789-")
    valid = dns1035_label if letter_first else dns1123_label
    return candidate if candidate and not valid(candidate) else None
