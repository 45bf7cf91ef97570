"""Generic field checks that rule files instantiate with params: schema, enum, range, api-version."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from ..fix import block_entry_span, move_entry
from ..model import int_value, is_placeholder, node_at
from ..parse import Mapping, Scalar, to_data
from ..schema import format_path
from . import Edit, Finding, FixSpec, ObjectContext, Params, object_check

# Kinds that use a built-in apiVersion but are not API resources.
NON_RESOURCE_KINDS = frozenset({"List", "Config", "Status", "APIVersions", "Preferences"})


def scalar_edit(node: Scalar, new_text: str) -> Edit:
    """Replace a scalar's text, keeping its quotes."""
    return Edit(node.content_span, new_text)


def key_rename(key: Scalar, new_name: str, safe: bool) -> FixSpec:
    return FixSpec(f"Rename `{key.text}` to `{new_name}`", [scalar_edit(key, new_name)], safe)


@object_check("schema")
def schema_findings(ctx: ObjectContext, params: Params) -> Iterator[Finding]:
    """Findings of the structural walker of one kind (``params.finding``)."""
    wanted = params["finding"]
    for found in ctx.schema_findings():
        if found.kind != wanted:
            continue
        fix = None
        if found.move_to is not None:
            fix = _move_fix(ctx, found.path, found.move_to)
        elif found.replacement is not None and isinstance(found.node, Scalar) and found.node.plain:
            if found.kind == "unknown-field":
                fix = key_rename(found.node, found.replacement, found.safe)
            else:
                fix = FixSpec(f"Quote the value: {found.replacement}", [Edit(found.node.span, found.replacement)], True)
        yield Finding(found.node, {"detail": found.message, "field": format_path(found.path)}, fix)


def _move_fix(ctx: ObjectContext, path: tuple[str | int, ...], target: tuple[str | int, ...]) -> FixSpec | None:
    """Move a misplaced field (``selector`` beside ``spec``) to where it belongs; when the target
    already holds the same value, only delete the stray copy; when it holds another, no fix."""
    base = len(ctx.obj.base)
    parent, home = node_at(ctx.obj.node, path[base:-1]), node_at(ctx.obj.node, target[base:-1])
    name = path[-1]
    if not isinstance(parent, Mapping) or not isinstance(home, Mapping) or not isinstance(name, str) or not ctx.text:
        return None
    key, value = parent.key_node(name), parent.get(name)
    if key is None or value is None:
        return None
    where = format_path(target)
    existing = home.get(str(target[-1]))
    if existing is not None:
        span = block_entry_span(ctx.text, key, value)
        if span is None or to_data(existing) != to_data(value) or len(parent.pairs) < 2:
            return None
        return FixSpec(f"Remove the stray `{name}` (`{where}` already says the same)", [Edit(span, "")], True)
    edits = move_entry(ctx.text, parent, key, value, home)
    return FixSpec(f"Move `{name}` to `{where}`", edits, True) if edits else None


def suggest(value: str, allowed: list[str], aliases: dict[str, str], cutoff: float = 0.6) -> tuple[str | None, bool]:
    """The value the user most likely meant, and whether replacing it is safe (case-only)."""
    for candidate in allowed:
        if candidate.lower() == value.lower():
            return candidate, True
    alias = aliases.get(value.lower())
    if alias is not None:
        return alias, False
    close = difflib.get_close_matches(value, allowed, n=1, cutoff=cutoff)
    if not close:
        lowered = {candidate.lower(): candidate for candidate in allowed}
        close = [lowered[match] for match in difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=cutoff)]
    return (close[0], False) if close else (None, False)


def allowed_values(params: Params, version: str) -> list[str]:
    """``values``, minus those introduced after ``version`` (``since: {value: "1.33"}``)."""
    since: dict[str, str] = params.get("since") or {}
    if not since:
        values: list[str] = params["values"]
        return values
    current = tuple(int(part) for part in version.split("."))
    return [
        value for value in params["values"]
        if value not in since or tuple(int(part) for part in since[value].split(".")) <= current
    ]


@object_check("enum", reads=lambda params: params["paths"])
def enum(ctx: ObjectContext, params: Params) -> Iterator[Finding]:
    """A string field that takes one of a fixed set of values (case-sensitive, as the server)."""
    allowed = allowed_values(params, ctx.schema.version)
    for expression in params["paths"]:
        for node, path in ctx.obj.select(expression):
            if not isinstance(node, Scalar) or not isinstance(node.value, str):
                continue
            value = node.value
            if value in allowed or (value == "" and params.get("empty_means_default")) or is_placeholder(value):
                continue
            aliases = {key.lower(): meant for key, meant in (params.get("aliases") or {}).items()}
            hints = {key.lower(): hint for key, hint in (params.get("hints") or {}).items()}
            suggestion, safe = suggest(value, allowed, aliases)
            detail = ""
            fix = None
            if suggestion is not None:
                detail = f"; did you mean `{suggestion}`?"
                fix = FixSpec(f"Replace \"{value}\" with \"{suggestion}\"", [scalar_edit(node, suggestion)], safe)
            hint = hints.get(value.lower())
            if hint:
                detail += f" ({hint})"
            if value in params["values"] and value not in allowed:
                detail = f"; `{value}` needs Kubernetes {params['since'][value]} or newer (linting for {ctx.schema.version})"
                fix = None
            yield Finding(node, {
                "field": format_path(path), "value": value,
                "allowed": ", ".join(f"`{choice}`" for choice in allowed), "detail": detail,
            }, fix)


def _bounds(ctx: ObjectContext, params: Params) -> tuple[int, int]:
    configured = params.get("config")
    if configured == "node-port-range":
        return ctx.config.node_port_range
    return int(params["min"]), int(params["max"])


@object_check("range", reads=lambda params: params["paths"])
def number_range(ctx: ObjectContext, params: Params) -> Iterator[Finding]:
    """An integer field with bounds (fixed, or from config such as the node port range)."""
    low, high = _bounds(ctx, params)
    unset_zero = params.get("zero_means_unset", False)  # true, or the paths where 0 is "unset"
    for expression in params["paths"]:
        zero_ok = unset_zero is True or (isinstance(unset_zero, list) and expression in unset_zero)
        for node, path in ctx.obj.select(expression):
            value = int_value(node)
            if value is None or (value == 0 and zero_ok):
                continue
            if low <= value <= high:
                continue
            # a number past 64 bits is a float by now: say it as written, not as rounded
            shown = node.text if isinstance(node, Scalar) and isinstance(node.value, float) else value
            yield Finding(node, {"field": format_path(path), "value": shown, "min": low, "max": high})


@object_check("api-version")
def api_version(ctx: ObjectContext, params: Params) -> Iterator[Finding]:
    """A built-in kind under an apiVersion this Kubernetes version does not serve, or a kind
    that no built-in API group has (``Servce``)."""
    obj = ctx.obj
    schema = ctx.schema
    version_node = obj.node.get("apiVersion")
    kind_node = obj.node.get("kind")
    if obj.api_version is None or obj.kind is None or not isinstance(version_node, Scalar) or not isinstance(kind_node, Scalar):
        return
    if obj.kind in NON_RESOURCE_KINDS or not schema.is_builtin_group(obj.api_version):
        return
    served = schema.served.get(obj.kind)
    if served is None:
        group = obj.api_version.rsplit("/", 1)[0] if "/" in obj.api_version else ""
        same_group = sorted({kind for kind, versions in schema.served.items() if not kind.endswith("List")
                             and any((v.rsplit("/", 1)[0] if "/" in v else "") == group for v in versions)})
        match, safe = suggest(obj.kind, same_group, {}, cutoff=0.8)
        if match is None:
            if group == "":  # core v1 holds many kinds; anything else may be an aggregated API
                yield Finding(kind_node, {"detail": f"`{obj.kind}` is not a kind of the core API (`{obj.api_version}`)"})
            return
        yield Finding(
            kind_node, {"detail": f"`{obj.kind}` is not a kind of `{obj.api_version}`; did you mean `{match}`?"},
            FixSpec(f"Replace kind with {match}", [scalar_edit(kind_node, match)], safe),
        )
        return
    if obj.api_version in served:
        return
    stable = [version for version in served if "alpha" not in version and "beta" not in version] or served
    suggestion = stable[-1]
    yield Finding(
        version_node,
        {"detail": f"Kubernetes {schema.version} does not serve {obj.kind} as `{obj.api_version}`; use `{suggestion}`"
                   + (" (check the fields: they changed between API versions)" if obj.api_version.split("/")[0] != suggestion.split("/")[0] else "")},
        FixSpec(f"Use apiVersion {suggestion}", [scalar_edit(version_node, suggestion)], False),
    )
