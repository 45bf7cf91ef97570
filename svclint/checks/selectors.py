"""Services against the workloads they select: does the selector match any pod template, one
or several unrelated ones, and do the selected containers declare the target ports?

The linted set is rarely the whole cluster, so silence is the default when the set cannot know:
no workload in the Service's namespace at all, pods made by an operator from custom resources,
selectors or namespaces the config declares external, placeholders (``${APP}``).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..diagnostics import Span
from ..index import Index, ObjectRef, Service, ServicePort, Workload
from ..labels import LabelSelector
from ..model import is_placeholder
from ..parse import Mapping
from . import Finding, ObjectContext, Params, SetContext, object_check, set_check
from .names import close_name

# Labels that say which application, and which part of it, a pod belongs to: two workloads that
# agree on them are variants of one thing (stable and canary), not unrelated workloads.
APP_KEYS = ("app.kubernetes.io/name", "app", "k8s-app", "name")
PART_KEYS = ("app.kubernetes.io/component", "component", "tier")
# API groups of tool configuration, not of objects an operator turns into pods.
TOOL_GROUPS = ("kustomize.config.k8s.io", "config.kubernetes.io", "kpt.dev", "skaffold")


@dataclass(slots=True)
class Selection:
    """A reported Service with a selector and the workloads it selects: ``selected`` holds one
    copy of each (the nearest), ``matched`` only those nearest to the Service in the tree."""

    service: Service
    namespace: str
    selector: dict[str, str]
    selected: list[Workload]
    matched: list[Workload]


@dataclass(slots=True)
class Hint:
    text: str = ""
    related: list[tuple[str, Span, str]] = field(default_factory=list)
    strong: bool = False  # evidence of a slip (a one-label difference, the wrong namespace)


def selections(ctx: SetContext) -> list[Selection]:
    result: list[Selection] = ctx.memo("selections", lambda: list(_selections(ctx)))
    return result


def _selections(ctx: SetContext) -> Iterator[Selection]:
    index = ctx.index
    for namespace, by_name in index.services.items():
        for services in by_name.values():
            for service in services:
                if not index.reported(service.ref.path) or not service.selector or service.type == "ExternalName":
                    continue
                selector = service.selector_values
                if any(is_placeholder(value) or is_placeholder(key) for key, value in selector.items()):
                    continue
                if ctx.config.external(namespace, selector):
                    continue
                selected = one_copy_each(service.ref, index.selected(namespace, selector))
                yield Selection(service, namespace, selector, selected, nearest(service.ref, selected))


def one_copy_each(ref: ObjectRef, workloads: list[Workload]) -> list[Workload]:
    """Variants of an install define one workload in several files: keep the copy nearest ``ref``."""
    if len(workloads) < 2:
        return list(workloads)
    by_identity: dict[tuple[str, str, str], tuple[int, Workload]] = {}
    for workload in workloads:
        score = closeness(ref, workload.ref)
        known = by_identity.get(workload.ref.identity)
        if known is None or score > known[0]:
            by_identity[workload.ref.identity] = (score, workload)
    return [workload for _, workload in by_identity.values()]


def nearest(ref: ObjectRef, workloads: list[Workload]) -> list[Workload]:
    """The workloads nearest to ``ref``: what is defined together is deployed together, while a
    repository of examples shares a namespace by accident."""
    if len(workloads) < 2:
        return list(workloads)
    scores = [closeness(ref, workload.ref) for workload in workloads]
    best = max(scores)
    return [workload for workload, score in zip(workloads, scores, strict=True) if score == best]


def nearest_service(ref: ObjectRef, services: list[Service]) -> Service:
    """Of several definitions of one Service (install variants), the one nearest to ``ref``."""
    return max(services, key=lambda service: closeness(ref, service.ref))


_WORD = re.compile(r"[A-Za-z0-9]+")


def closeness(ref: ObjectRef, other: ObjectRef) -> int:
    """How many leading words (folder names, then words of the file name) two paths share; the
    same file is nearest of all. Words rather than folders, so that flattened layouts
    (``app__web-service.yaml``) and ``web-service.yaml`` beside ``web-deployment.yaml`` count too."""
    if ref.path == other.path:
        return 1_000_000
    shared = 0
    for a, b in zip(_words(ref.path), _words(other.path), strict=False):
        if a != b:
            break
        shared += 1
    return shared


@functools.lru_cache(maxsize=4096)
def _words(path: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(os.path.splitext(os.path.normpath(path))[0]))


def show(selector: dict[str, str]) -> str:
    return ",".join(f"{key}={value}" for key, value in selector.items())


def custom_kinds(ctx: SetContext, namespace: str) -> list[str]:
    """Kinds in ``namespace`` that are not built into Kubernetes: an operator may make pods of them."""
    return sorted({
        kind for api_version, kind in ctx.index.types.get(namespace, ())
        if not ctx.schema.is_builtin_group(api_version) and not api_version.split("/")[0].endswith(TOOL_GROUPS)
    })


@set_check("service-selector")
def service_selector(ctx: SetContext, params: Params) -> Iterator[Finding]:
    """``problem``: ``no-match`` (error), ``no-match-near-operator`` (a namespace with custom
    resources: only when a near miss shows a slip) or ``several`` (unrelated workloads)."""
    problem = params["problem"]
    index = ctx.index
    for selection in selections(ctx):
        service = selection.service
        if problem == "several":
            yield from _several(selection)
            continue
        if selection.selected or not index.workloads.get(selection.namespace):
            continue  # selects something, or the set holds no workload here: it is not complete
        if _maybe_elsewhere(index, selection) or service.ref.folder in index.unparsed_folders:
            continue  # the pods may be in another namespace, or in a file svclint could not read
        operators = custom_kinds(ctx, selection.namespace)
        hint = closest(index, selection)
        if (problem == "no-match" and not operators) or (problem == "no-match-near-operator" and operators and hint.strong):
            yield Finding(
                service.selector_span,
                {"selector": show(selection.selector), "namespace": selection.namespace,
                 "count": len({w.ref.identity for w in index.workloads[selection.namespace]}), "hint": hint.text,
                 "kinds": ", ".join(operators)},
                related=hint.related,
                path=service.ref.path,
            )


def _maybe_elsewhere(index: Index, selection: Selection) -> bool:
    """A match in another namespace where one side names none: the set cannot tell."""
    service = selection.service.ref
    return any(
        service.may_share_namespace_with(workload.ref)
        for namespace in index.workloads if namespace != selection.namespace
        for workload in index.selected(namespace, selection.selector)
    )


def _several(selection: Selection) -> Iterator[Finding]:
    service = selection.service
    if service.headless or len(selection.matched) < 2:
        return  # a headless Service often spans peers on purpose (discovery)
    groups: dict[tuple[str, str], list[Workload]] = {}
    for workload in selection.matched:
        groups.setdefault(_identity(workload), []).append(workload)
    groups.pop(("", ""), None)
    if len(groups) < 2:
        return
    names = [f"{group[0].ref.kind} {group[0].ref.name}" for group in groups.values()]
    yield Finding(
        service.selector_span,
        {"selector": show(selection.selector), "workloads": ", ".join(names), "count": len(names)},
        related=[(w.ref.path, w.template_span, f"{w.ref.kind} {w.ref.name}'s pods match") for w in selection.matched],
        path=service.ref.path,
    )


def _identity(workload: Workload) -> tuple[str, str]:
    labels = workload.pod_labels
    app = next((labels[key].value for key in APP_KEYS if key in labels), "")
    part = next((labels[key].value for key in PART_KEYS if key in labels), "")
    return (app, part)  # ("", ""): no identity labels, so nothing tells it apart


def closest(index: Index, selection: Selection) -> Hint:
    """The most likely intended workload of a selector that matches nothing, and why it missed."""
    selector, namespace = selection.selector, selection.namespace
    here = one_copy_each(selection.service.ref, index.workloads.get(namespace, []))
    own_labels = LabelSelector.of_labels(selector)
    for workload in here:
        metadata = {key: label.value for key, label in workload.metadata_labels.items()}
        if workload.ref.kind != "Pod" and own_labels.matches(metadata):
            first = workload.metadata_labels[next(iter(selector))]
            return Hint(
                f"; it matches the labels of {workload.ref.kind} {workload.ref.name} itself, but a Service selects "
                "pods: the pod template's labels (spec.template.metadata.labels) must carry them",
                [(workload.ref.path, first.span, f"{workload.ref.kind} {workload.ref.name}'s own labels")], True)
    for other in sorted(index.workloads):
        if other == namespace:
            continue
        elsewhere = one_copy_each(selection.service.ref, index.selected(other, selector))
        if elsewhere and not is_placeholder(other):
            workload = elsewhere[0]
            return Hint(
                f"; {workload.ref.kind} {workload.ref.name} in namespace {other} matches: "
                f"set `namespace: {other}` on the Service, or move the workload to {namespace}",
                [(workload.ref.path, workload.template_span, f"{workload.ref.kind} {workload.ref.name} in namespace {other}")],
                True)
    ref = selection.service.ref
    candidates = sorted(here, key=lambda workload: (len(workload.misses(selector)), -closeness(ref, workload.ref)))
    if candidates and len(candidates[0].misses(selector)) == 1:
        workload = candidates[0]
        key = workload.misses(selector)[0]
        label = workload.pod_labels.get(key)
        who = f"{workload.ref.kind} {workload.ref.name}"
        if label is not None:
            # A typo of the value is a slip; a wholly other value may be a sibling component.
            typo = close_name(selector[key], {label.value}) is not None
            return Hint(
                f"; closest: {who}, whose pods have `{key}: {label.value}` where the selector wants `{key}: {selector[key]}`",
                [(workload.ref.path, label.span, f"{who}: `{key}: {label.value}`")], typo)
        # The application's own label matches and this one is missing: it was forgotten there.
        same_app = any(app in selector and app != key for app in APP_KEYS)
        return Hint(
            f"; closest: {who}, whose pods lack the label `{key}: {selector[key]}`",
            [(workload.ref.path, workload.template_span, f"{who}'s pod labels")], same_app)
    return Hint("; the selector's labels must all appear in the pod template labels of the workload it serves")


@set_check("target-port")
def target_port(ctx: SetContext, params: Params) -> Iterator[Finding]:
    """``problem``: ``name-undeclared`` (no selected container has the named port),
    ``name-partial`` (some have it, some not) or ``number-undeclared`` (containers declare ports,
    none of them this number)."""
    found: dict[str, list[Finding]] = ctx.memo("target-ports", lambda: _target_port_findings(ctx))
    yield from found[params["problem"]]


def _target_port_findings(ctx: SetContext) -> dict[str, list[Finding]]:
    """The findings of every ``target-port`` problem, in one pass over the selections."""
    found: dict[str, list[Finding]] = {"name-undeclared": [], "name-partial": [], "number-undeclared": []}
    for selection in selections(ctx):
        if not selection.selected:
            continue
        for port in selection.service.ports:
            target = port.target
            if isinstance(target, str):
                if not is_placeholder(target, bare_words=True):
                    for problem in ("name-undeclared", "name-partial"):
                        found[problem].extend(_named_target(problem, selection, port, target))
            elif isinstance(target, int):
                found["number-undeclared"].extend(_numbered_target(selection, port, target))
    return found


def _declared(workloads: list[Workload]) -> str:
    ports = [f"{port.name or '(unnamed)'} {port.number}/{port.protocol}" for w in workloads for port in w.ports]
    return ", ".join(dict.fromkeys(ports)) or "no ports"


def _declares(workload: Workload, name: str, protocol: str) -> bool:
    return any(p.name == name and p.protocol == protocol for p in workload.ports)


def _named_target(problem: str, selection: Selection, port: ServicePort, target: str) -> Iterator[Finding]:
    """Partial: judged among the nearest workloads. Undeclared (an error): among every selected
    workload, so that no copy anywhere in the set declares the name."""
    path = selection.service.ref.path
    near = selection.matched
    declaring = [w for w in near if _declares(w, target, port.protocol)]
    if declaring and problem == "name-partial" and len(declaring) < len(near):
        lacking = [w for w in near if not _declares(w, target, port.protocol)]
        yield Finding(
            port.target_span,
            {"target": target, "protocol": port.protocol,
             "lacking": ", ".join(f"{w.ref.kind} {w.ref.name}" for w in lacking),
             "having": ", ".join(f"{w.ref.kind} {w.ref.name}" for w in declaring)},
            related=[(w.ref.path, w.template_span, f"{w.ref.kind} {w.ref.name} declares no port `{target}`") for w in lacking],
            path=path,
        )
    workloads = selection.selected
    if problem != "name-undeclared" or any(_declares(w, target, port.protocol) for w in workloads):
        return
    other_protocol = sorted({p.protocol for w in workloads for p in w.ports if p.name == target})
    names = {p.name for w in workloads for p in w.ports if p.name}
    if other_protocol:
        hint = f"; it is declared for {'/'.join(other_protocol)}: set `protocol: {other_protocol[0]}` on the Service port (or on the container port)"
    elif suggestion := close_name(target, names):
        hint = f"; did you mean `{suggestion}`?"
    else:
        hint = "; name the container port (ports[].name) or use its number"
    related = [(w.ref.path, p.span, f"{w.ref.kind} {w.ref.name}: container {p.container} port {p.name or '(unnamed)'} {p.number}/{p.protocol}")
               for w in workloads for p in w.ports]
    related = related or [(w.ref.path, w.template_span, f"{w.ref.kind} {w.ref.name} declares no ports") for w in workloads]
    yield Finding(
        port.target_span,
        {"target": target, "protocol": port.protocol,
         "workloads": ", ".join(f"{w.ref.kind} {w.ref.name}" for w in workloads),
         "declared": _declared(workloads), "hint": hint},
        related=related,
        path=path,
    )


def _numbered_target(selection: Selection, port: ServicePort, target: int) -> Iterator[Finding]:
    workloads = selection.selected
    if not all(w.declares_ports for w in workloads):
        return  # a container without a ports list may listen anywhere
    if any(p.number == target and p.protocol == port.protocol for w in workloads for p in w.ports):
        return
    if any(target in w.mentioned for w in workloads):
        return  # set by a flag or variable (`--port 18080`, PORT=18080): served, only not declared
    same_protocol = sorted({p.number for w in workloads for p in w.ports if p.protocol == port.protocol and p.number})
    if any(p.number == target for w in workloads for p in w.ports):
        hint = f"; it is declared with another protocol than {port.protocol}"
    elif len(same_protocol) == 1:
        hint = f"; write `targetPort: {same_protocol[0]}`"
    else:
        hint = ""
    what = f"targetPort {target}" if port.explicit_target else f"targetPort (defaulted to port {target})"
    yield Finding(
        port.target_span,
        {"what": what, "target": target, "protocol": port.protocol,
         "workloads": ", ".join(f"{w.ref.kind} {w.ref.name}" for w in workloads),
         "declared": _declared(workloads), "hint": hint},
        related=[(w.ref.path, p.span, f"{w.ref.kind} {w.ref.name}: container {p.container} port {p.number}/{p.protocol}")
                 for w in workloads for p in w.ports],
        path=selection.service.ref.path,
    )


@set_check("statefulset-service")
def statefulset_service(ctx: SetContext, params: Params) -> Iterator[Finding]:
    """A StatefulSet's serviceName must name a headless Service, which gives its pods their DNS names."""
    index = ctx.index
    for namespace, workloads in index.workloads.items():
        for workload in workloads:
            name = workload.service_name
            if name is None or not index.reported(workload.ref.path) or is_placeholder(name.value):
                continue
            services = index.services_named(namespace, name.value)
            services = [nearest_service(workload.ref, services)] if services else []
            if not services:
                known = set(index.services.get(namespace, {}))
                if not known:
                    continue  # no Service of this namespace in the set: it is not complete
                suggestion = close_name(name.value, known)
                problem = f"names no Service in namespace {namespace}" + (f"; did you mean `{suggestion}`?" if suggestion else "")
                yield Finding(name.span, {"name": name.value, "problem": problem}, path=name.path)
            elif not any(service.headless for service in services):
                service = services[0]
                yield Finding(
                    name.span,
                    {"name": name.value, "problem": "is not headless: set `clusterIP: None` on it (or add a headless Service "
                     "for the StatefulSet) so that each pod gets a stable DNS name"},
                    related=[(service.ref.path, service.ref.span, f"Service {service.ref.name} has a cluster IP")],
                    path=name.path,
                )


@object_check("empty-selector", reads=lambda params: ["spec.selector"])
def empty_selector(ctx: ObjectContext, params: Params) -> Iterator[Finding]:
    """``selector: {}`` on a Service selects no pods (unlike a NetworkPolicy's ``podSelector: {}``)."""
    node = ctx.obj.get("spec.selector")
    if isinstance(node, Mapping) and not node.pairs:
        yield Finding(node)
