"""Name and identifier checks: object names, namespaces, port names, and namespace spelling."""

from __future__ import annotations

from collections.abc import Iterator

from ..k8svalidation import FORMATS, label_value, qualified_name, to_dns_label
from ..model import is_placeholder
from ..parse import Mapping, Scalar
from ..schema import format_path
from . import Edit, Finding, FixSpec, ObjectContext, Params, SetContext, object_check, set_check

BUILTIN_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


# Values already found valid, by what they were checked as (a name format, a label part): a
# repository repeats the same few names and labels, and a set answers before any validator is
# asked (a label map whose keys are all known, in one inclusion, in C). Bounded: past the bound,
# values are checked one by one.
_KNOWN_VALID: dict[str, set[object]] = {}
_KNOWN_VALID_MAX = 65_536


def _known_valid(checked_as: str) -> set[object]:
    return _KNOWN_VALID.setdefault(checked_as, set())


def _remember_valid(known: set[object], value: str) -> None:
    if len(known) < _KNOWN_VALID_MAX:
        known.add(value)


@object_check("name-format", reads=lambda params: () if params.get("required") else params["paths"])
def name_format(ctx: ObjectContext, params: Params) -> Iterator[Finding]:
    """String fields that must match one of the apimachinery name formats."""
    validate, label = FORMATS[params["format"]]
    known_valid = _known_valid("format:" + params["format"])
    for expression in params["paths"]:
        for node, path in ctx.obj.select(expression):  # ctx.obj.strings, with known values let through first
            if not isinstance(node, Scalar):
                continue
            value = node.value
            if value in known_valid or type(value) is not str or is_placeholder(value):
                continue
            if value == "" and params.get("empty_ok", True):
                continue
            reasons = validate(value)
            if not reasons:
                _remember_valid(known_valid, value)
                continue
            detail = "; ".join(reasons)
            fix = None
            if params["format"] == "iana-svc-name" and value.isdigit():
                detail += f"; for a port number, remove the quotes: {value}"
                fix = FixSpec(f"Use the number {value}", [Edit(node.span, node.text)], True)
            elif params["format"] in ("dns-1035-label", "dns-1123-label"):
                better = to_dns_label(value, letter_first=params["format"] == "dns-1035-label")
                if better and better != value:
                    detail += f"; for example `{better}`"
            yield Finding(node, {"field": format_path(path), "value": value, "format": label, "detail": detail}, fix)
    required = params.get("required")
    if required:
        present = [ctx.obj.get(alternative) for alternative in required]
        if not any(isinstance(node, Scalar) and node.value not in (None, "") for node in present):
            metadata = ctx.obj.node.key_node("metadata") or ctx.obj.node
            yield Finding(metadata, {"field": required[0], "value": "", "format": label,
                                     "detail": f"`{required[0]}` is required (or `{required[-1]}`)"})


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent transpositions)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = char_a != char_b
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def close_name(name: str, known: set[str]) -> str | None:
    """A known name that ``name`` is most likely a slip of, or None."""
    if name in known:
        return None
    limit = 1 if len(name) <= 8 else 2
    best = None
    for candidate in sorted(known):
        if abs(len(candidate) - len(name)) > limit:
            continue
        if [c for c in candidate if c.isdigit()] != [c for c in name if c.isdigit()]:
            continue  # prod1 / prod2: numbered variants, not typos
        distance = _distance(name, candidate)
        if 0 < distance <= limit and (best is None or distance < best[0]):
            best = (distance, candidate)
    return best[1] if best else None


@set_check("namespace-spelling")
def namespace_spelling(ctx: SetContext, params: Params) -> Iterator[Finding]:
    """A namespace one slip away from a known namespace (``deafult``)."""
    index = ctx.index
    known = set(BUILTIN_NAMESPACES) | set(ctx.config.namespaces) | set(index.namespaces)
    matches: dict[str, str | None] = {}  # a repository names a few namespaces many times
    for use in index.namespace_uses:
        if not index.reported(use.path):
            continue
        if use.value not in matches:
            matches[use.value] = close_name(use.value, known)
        match = matches[use.value]
        if match is None:
            continue
        fix = FixSpec(f"Use namespace {match}", [Edit(use.edit_span, match)], safe=False)
        yield Finding(use.span, {"value": use.value, "known": match}, fix, path=use.path)


ANNOTATIONS_MAX_BYTES = 256 * 1024


def _label_maps(ctx: ObjectContext, params: Params) -> Iterator[tuple[Mapping, tuple[str | int, ...]]]:
    """The label maps the rule reads on this kind: ``paths`` maps a type key (or ``*``) to paths."""
    table: dict[str, list[str]] = params["paths"]
    for expression in [*table.get("*", []), *table.get(ctx.obj.type_key, [])]:
        for node, path in ctx.obj.select(expression):
            if isinstance(node, Mapping):
                yield node, path


@object_check("label-syntax", reads=lambda params: [path for paths in params["paths"].values() for path in paths])
def label_syntax(ctx: ObjectContext, params: Params) -> Iterator[Finding]:
    """Label keys (qualified names), label values, and annotation keys, as ValidateLabels and
    ValidateAnnotations check them (annotation keys are lower-cased first)."""
    part = params["part"]
    known_valid = _known_valid("label:" + part)
    for mapping, path in _label_maps(ctx, params):
        fields = mapping.fields
        if part == "key" and fields.keys() <= known_valid:
            continue
        if part == "value" and known_valid.issuperset([node.value if type(node) is Scalar else node for _, node in fields.values()]):
            continue
        total = 0
        for key, (key_node, value_node) in fields.items():
            value = value_node.value if isinstance(value_node, Scalar) else None
            if part == "annotation-key":
                total += len(key) + (len(value) if isinstance(value, str) else 0)
                if key in known_valid:
                    continue
                reasons = qualified_name(key.lower())
                checked: str = key
                node = key_node
            elif part == "key":
                reasons = qualified_name(key)
                checked = key
                node = key_node
            else:
                if not isinstance(value, str) or is_placeholder(value):
                    continue
                reasons = label_value(value)
                checked = value
                node = value_node
            if not reasons:
                _remember_valid(known_valid, checked)
            elif not is_placeholder(key):
                yield Finding(node, {"field": format_path((*path, key)), "value": key if part != "value" else value,
                                     "detail": "; ".join(reasons)})
        if part == "annotation-key" and total > ANNOTATIONS_MAX_BYTES:
            yield Finding(ctx.obj.key_node("metadata.annotations") or mapping, {"field": format_path(path), "value": "",
                                          "detail": f"annotations total {total} bytes; the limit is {ANNOTATIONS_MAX_BYTES}"})
