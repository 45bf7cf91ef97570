"""Values the cluster hands out once: a nodePort or a clusterIP claimed by two Services."""

from __future__ import annotations

from collections.abc import Iterator

from ..index import PortClaim
from . import Finding, Params, SetContext, set_check


@set_check("unique-claim")
def unique_claim(ctx: SetContext, params: Params) -> Iterator[Finding]:
    """Report every claim of a value that two *different* objects claim.

    The same kind/namespace/name defined in two files (install variants of one app) is one
    object defined twice, not a collision.
    """
    index = ctx.index
    by_value: dict[str, list[PortClaim]] = {}
    for claim in index.claims.get(params["claim"], ()):
        by_value.setdefault(claim.value, []).append(claim)
    for value, claims in by_value.items():
        if len({claim.owner.identity for claim in claims}) < 2:
            continue
        for claim in claims:
            if not index.reported(claim.owner.path):
                continue
            others = [other for other in claims if other.owner.identity != claim.owner.identity]
            yield Finding(
                claim.span,
                {"value": value, "other": others[0].owner.label, "field": params["claim"]},
                related=[(other.owner.path, other.span, f"{other.owner.label} claims {value} too") for other in others],
                path=claim.owner.path,
            )


@set_check("duplicate-object")
def duplicate_object(ctx: SetContext, params: Params) -> Iterator[Finding]:
    """The same kind/namespace/name defined twice, differently, in one file: applied together,
    the later definition silently replaces the earlier. Copies in different files are left
    alone: install variants, examples and kustomize patches name one object on purpose."""
    index = ctx.index
    for definitions in index.objects.values():
        if len(definitions) < 2:
            continue
        for position, (ref, digest) in enumerate(definitions):
            if not index.reported(ref.path):
                continue
            other = next(
                (other for number, (other, other_digest) in enumerate(definitions)
                 if number != position and other.path == ref.path and other_digest != digest),
                None,
            )
            if other is not None:
                yield Finding(
                    ref.span,
                    {"object": ref.label},
                    related=[(other.path, other.span, f"{other.label} defined again here")],
                    path=ref.path,
                )
