"""Ingress backends against the Services they name: the Service must exist in the Ingress's
namespace and expose the port (by its ``port`` number or its name, not its targetPort)."""

from __future__ import annotations

from collections.abc import Iterator

from ..index import Backend, Service
from . import Finding, Params, SetContext, set_check
from .names import close_name
from .selectors import custom_kinds, nearest_service


@set_check("ingress-backend")
def ingress_backend(ctx: SetContext, params: Params) -> Iterator[Finding]:
    """``problem``: ``unknown-service`` or ``unknown-port``."""
    problem = params["problem"]
    index = ctx.index
    for backend in index.backends:
        if not index.reported(backend.owner.path):
            continue
        namespace, name = backend.owner.namespace, backend.service.value
        if ctx.config.external_namespace(namespace):
            continue
        services = index.services_named(namespace, name)
        if not services:
            if problem == "unknown-service" and index.services.get(namespace) and not _maybe_elsewhere(ctx, backend):
                finding = _unknown_service(ctx, backend)
                if not custom_kinds(ctx, namespace) or finding.related:
                    yield finding  # operators make Services too: only a near miss is worth saying
            continue
        service = nearest_service(backend.owner, services)
        if problem == "unknown-port" and service.type != "ExternalName":
            yield from _unknown_port(backend, service)


def _maybe_elsewhere(ctx: SetContext, backend: Backend) -> bool:
    """A Service of that name in another namespace where one side names none: the set cannot tell."""
    return any(
        backend.owner.may_share_namespace_with(service.ref)
        for namespace, by_name in ctx.index.services.items() if namespace != backend.owner.namespace
        for service in by_name.get(backend.service.value, ())
    )


def _unknown_service(ctx: SetContext, backend: Backend) -> Finding:
    index = ctx.index
    namespace, name = backend.owner.namespace, backend.service.value
    suggestion = close_name(name, set(index.services.get(namespace, {})))
    elsewhere = sorted(other for other, by_name in index.services.items() if other != namespace and by_name.get(name))
    related = []
    if suggestion:
        hint = f"; did you mean `{suggestion}`?"
        related = [(s.ref.path, s.ref.span, f"Service {namespace}/{suggestion}") for s in index.services_named(namespace, suggestion)[:1]]
    elif elsewhere:
        hint = (f"; a Service `{name}` is in namespace {elsewhere[0]}, but an Ingress reaches only Services of its own "
                f"namespace: move one of them")
        related = [(s.ref.path, s.ref.span, f"Service {elsewhere[0]}/{name}") for s in index.services_named(elsewhere[0], name)[:1]]
    else:
        hint = ""
    return Finding(backend.service.span, {"name": name, "namespace": namespace, "hint": hint},
                   related=related, path=backend.owner.path)


def _unknown_port(backend: Backend, service: Service) -> Iterator[Finding]:
    if backend.port_span is None:
        return
    ports = service.ports
    exposed = ", ".join(f"{port.port}" + (f" ({port.name})" if port.name else "") for port in ports) or "no ports"
    related = [(service.ref.path, service.ref.span, f"Service {service.ref.name} exposes {exposed}")]
    if backend.port_number is not None:
        if any(port.port == backend.port_number for port in ports):
            return
        as_target = [port for port in ports if port.target == backend.port_number and port.port is not None]
        hint = (f"; {backend.port_number} is the targetPort of its port {as_target[0].port}: an Ingress names the "
                f"Service's port, write `number: {as_target[0].port}`") if as_target else ""
        yield Finding(backend.port_span, {"port": backend.port_number, "service": service.ref.name,
                                          "exposed": exposed, "hint": hint},
                      related=related, path=backend.owner.path)
    elif backend.port_name is not None:
        names = {port.name for port in ports if port.name}
        if backend.port_name in names:
            return
        suggestion = close_name(backend.port_name, names)
        hint = f"; did you mean `{suggestion}`?" if suggestion else ""
        yield Finding(backend.port_span, {"port": f"`{backend.port_name}`", "service": service.ref.name,
                                          "exposed": exposed, "hint": hint},
                      related=related, path=backend.owner.path)
