"""Kubernetes objects over parsed nodes: which documents are objects, and typed access to them.

Values are read through small path expressions (``spec.ports[].nodePort``) that yield the node
and its path, so every check can point at the exact range of what it complains about. The API
server's defaulting is applied here, once, so no check reports a field the server fills in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .parse import Document, Mapping, Node, Scalar, Sequence, json_key

Path = tuple[str | int, ...]

SERVICE_DEFAULTS = {"type": "ClusterIP", "sessionAffinity": "None"}
_UNASKED: Any = object()  # KubeObject.get's memo: not looked up yet (None is an answer)


@dataclass(slots=True)
class KubeObject:
    """One Kubernetes object: a document's root, or an item of a ``kind: List``."""

    path: str
    document: int
    node: Mapping
    base: Path
    api_version: str | None
    kind: str | None
    name: str | None
    namespace: str | None
    ignored_rules: frozenset[str] = field(default_factory=frozenset)
    # Dozens of rules ask each object the same few questions: each is answered once.
    _got: dict[str, Node | None] = field(default_factory=dict, repr=False, compare=False)
    _selected: dict[str, list[tuple[Node, Path]]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def type_key(self) -> str:
        return f"{self.api_version}/{self.kind}"

    def get(self, dotted: str) -> Node | None:
        found: Node | None = self._got.get(dotted, _UNASKED)
        if found is _UNASKED:
            found = self._got[dotted] = get(self.node, dotted)
        return found

    def value(self, dotted: str) -> object:
        node = self.get(dotted)
        return node.value if isinstance(node, Scalar) else None

    def select(self, expression: str) -> list[tuple[Node, Path]]:
        found = self._selected.get(expression)
        if found is None:
            found = self._selected[expression] = self._select(expression)
        return found

    def _select(self, expression: str) -> list[tuple[Node, Path]]:
        head, listed, tail = expression.rpartition("[].")
        if listed and "[]" not in tail:  # keys of each item of a list: from the list's own selection, which rules share
            keys = _keys(tail)
            found = []
            for item, path in self.select(head + "[]"):
                node = get(item, tail)
                if node is not None:
                    found.append((node, (*path, *keys)))
            return found
        if "[]" not in expression:  # a plain field path: the answer of get
            node = self.get(expression)
            if node is None:
                return []
            return [(node, (*self.base, *_keys(expression)) if self.base else _keys(expression))]
        if not self.base:  # a document's root (not an item of a List): paths need no prefix
            return select(self.node, expression)
        return [(node, (*self.base, *path)) for node, path in select(self.node, expression)]

    def key_node(self, dotted: str) -> Node | None:
        """The key of the field at a dotted path (``spec.ports`` -> the ``ports`` key), to point
        at a field as a whole; None if the field is absent."""
        parent, _, name = dotted.rpartition(".")
        holder = get(self.node, parent) if parent else self.node
        return holder.key_node(name) if isinstance(holder, Mapping) else None

    def strings(self, expression: str, *, skip_placeholders: bool = True) -> Iterator[tuple[Scalar, str, Path]]:
        """String values at ``expression``; envsubst/sed placeholders (``${NAME}``) left out."""
        for node, path in self.select(expression):
            value = string_value(node)
            if isinstance(node, Scalar) and value is not None and not (skip_placeholders and is_placeholder(value)):
                yield node, value, path


def get(node: Node | None, dotted: str) -> Node | None:
    """The node at a dotted path of mapping keys, or None if any step is missing."""
    for key in _keys(dotted):
        if not isinstance(node, Mapping):
            return None
        pair = node.fields.get(key)
        if pair is None:
            return None
        node = pair[1]
    return node


@cache
def _keys(dotted: str) -> tuple[str, ...]:
    return tuple(dotted.split("."))


def node_at(node: Node | None, parts: Path) -> Node | None:
    """The node at a path of mapping keys and list indexes, or None if any step is missing."""
    for part in parts:
        if isinstance(part, int):
            node = node.items[part] if isinstance(node, Sequence) and 0 <= part < len(node.items) else None
        else:
            node = node.get(part) if isinstance(node, Mapping) else None
    return node


def path_at(node: Node, offset: int) -> tuple[Path, Node] | None:
    """The path of the field at ``offset`` and its key node: the key itself, or the key whose
    value holds ``offset`` (hover help). None outside every field."""
    path: Path = ()
    found: tuple[Path, Node] | None = None
    while True:
        step: tuple[str | int, Node] | None = None
        if isinstance(node, Mapping):
            for key, value in node.pairs:
                name = json_key(key)
                if name is None:
                    continue
                if key.start <= offset <= key.end and key.end > key.start:
                    return (*path, name), key
                if value.start <= offset < value.end or (offset == value.end and isinstance(value, Scalar)):
                    step = (name, value)
                    found = ((*path, name), key)
                    break
        elif isinstance(node, Sequence):
            step = next(((index, item) for index, item in enumerate(node.items)
                         if item.start <= offset <= item.end), None)
        if step is None:
            return found
        path = (*path, step[0])
        node = step[1]


@cache
def _steps(expression: str) -> tuple[tuple[str, bool], ...]:
    return tuple((step[:-2], True) if step.endswith("[]") else (step, False) for step in expression.split("."))


def select(node: Node, expression: str) -> list[tuple[Node, Path]]:
    """Nodes matching ``a.b[].c``: ``[]`` walks every item of a list. Wrong shapes give nothing."""
    steps = _steps(expression)
    if "[]" not in expression:  # a plain field path (most rules' question): one node at most
        found = node
        for key, _ in steps:
            pair = found.fields.get(key) if isinstance(found, Mapping) else None
            if pair is None:
                return []
            found = pair[1]
        return [(found, _keys(expression))]
    current: list[tuple[Node, Path]] = [(node, ())]
    for key, each in steps:
        following: list[tuple[Node, Path]] = []
        for parent, path in current:
            pair = parent.fields.get(key) if isinstance(parent, Mapping) else None
            if pair is None:
                continue
            child = pair[1]
            if each:
                if isinstance(child, Sequence):
                    following.extend((item, (*path, key, index)) for index, item in enumerate(child.items))
            else:
                following.append((child, (*path, key)))
        if not following:
            return []
        current = following
    return current


_PLACEHOLDER = re.compile(r"\$\{[^}]*\}|\$\([A-Za-z_][A-Za-z0-9_]*\)|\$[A-Z_][A-Z0-9_]*|<[A-Za-z][A-Za-z0-9_ -]*>|__[A-Z][A-Z0-9_]*__")
_BARE_WORD = re.compile(r"[A-Z][A-Z0-9_]{2,}")


def is_placeholder(text: str, *, bare_words: bool = False) -> bool:
    """Text left for envsubst/sed to fill in: ``${PORT}``, ``$(NAME)``, ``<your-ip>``, ``__PORT__``.

    With ``bare_words`` an all-capitals word (``PORT``) counts too: only where a number belongs,
    since in a string field it is more likely a value in the wrong case (``HTTP``).
    """
    if ("$" in text or "<" in text or "__" in text) and _PLACEHOLDER.search(text) is not None:  # what each form starts with
        return True
    return bare_words and _BARE_WORD.fullmatch(text) is not None


def string_value(node: Node | None) -> str | None:
    if isinstance(node, Scalar) and isinstance(node.value, str):
        return node.value
    return None


def int_value(node: Node | None) -> int | None:
    if isinstance(node, Scalar) and not isinstance(node.value, bool):
        value = node.value
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    return None


def objects_of(path: str, document: Document) -> Iterator[KubeObject | Node]:
    """The objects of a document; a root that is not a mapping is yielded as a bare node."""
    root = document.root
    if root is None or (isinstance(root, Scalar) and root.value is None):
        return  # an empty document (`---` followed by nothing or comments): kubectl skips it
    if not isinstance(root, Mapping):
        yield root
        return
    kind = string_value(root.get("kind"))
    items = root.get("items")
    if kind is not None and kind.endswith("List") and isinstance(items, Sequence):
        for index, item in enumerate(items.items):
            if isinstance(item, Mapping):
                yield _object(path, document.index, item, ("items", index))
            else:
                yield item
        return
    yield _object(path, document.index, root, ())


def _object(path: str, document: int, node: Mapping, base: Path) -> KubeObject:
    metadata = node.get("metadata")
    annotations = get(metadata, "annotations")
    ignored = string_value(annotations.get("svclint.io/ignore")) if isinstance(annotations, Mapping) else None
    return KubeObject(
        path=path,
        document=document,
        node=node,
        base=base,
        api_version=string_value(node.get("apiVersion")),
        kind=string_value(node.get("kind")),
        name=string_value(get(metadata, "name")),
        namespace=string_value(get(metadata, "namespace")),
        ignored_rules=_rule_list(ignored),
    )


def _rule_list(text: str | None) -> frozenset[str]:
    """Rule ids (upper-cased) and names from a comma-separated annotation value."""
    if not text:
        return frozenset()
    parts = (part.strip() for part in text.split(","))
    return frozenset(part.upper() if part.upper().startswith("SVC") else part.lower() for part in parts if part)


# --- Service defaulting -----------------------------------------------------------------------


def service_field(obj: KubeObject, name: str) -> object:
    """``spec.<name>`` of a Service as the API server sees it after defaulting."""
    value = obj.value(f"spec.{name}")
    if value is None or (value == "" and name in SERVICE_DEFAULTS):
        return SERVICE_DEFAULTS.get(name)
    return value


def is_headless(obj: KubeObject) -> bool:
    return obj.value("spec.clusterIP") == "None"


def port_protocol(port: Node) -> str:
    protocol = string_value(get(port, "protocol"))
    return protocol or "TCP"


# --- Workloads: where each kind keeps the pods it makes -------------------------------------

# kind -> dotted path of its pod template ("" for a Pod, which is its own template). The group
# is checked by ``pod_template_path``: only the built-in groups (and Argo Rollouts, whose
# template is a plain pod template) make pods from these fields.
POD_TEMPLATES = {
    "Deployment": "spec.template",
    "StatefulSet": "spec.template",
    "DaemonSet": "spec.template",
    "ReplicaSet": "spec.template",
    "ReplicationController": "spec.template",
    "Job": "spec.template",
    "CronJob": "spec.jobTemplate.spec.template",
    "Pod": "",
    "Rollout": "spec.template",
}
WORKLOAD_GROUPS = {
    "Deployment": ("apps", "extensions"),
    "StatefulSet": ("apps",),
    "DaemonSet": ("apps", "extensions"),
    "ReplicaSet": ("apps", "extensions"),
    "ReplicationController": ("",),
    "Job": ("batch",),
    "CronJob": ("batch",),
    "Pod": ("",),
    "Rollout": ("argoproj.io",),
}


def api_group(api_version: str | None) -> str:
    """``apps/v1`` -> ``apps``; ``v1`` -> ``""`` (the core group)."""
    return api_version.rpartition("/")[0] if api_version else ""


def pod_template_path(obj: KubeObject) -> str | None:
    """The dotted path of the object's pod template, or None if it makes no pods."""
    kind = obj.kind or ""
    if kind not in POD_TEMPLATES or api_group(obj.api_version) not in WORKLOAD_GROUPS[kind]:
        return None
    return POD_TEMPLATES[kind]


def string_map(node: Node | None) -> dict[str, tuple[str, Scalar]] | None:
    """A mapping of string keys to scalar values (labels, a selector) with each value's node;
    values keep Kubernetes' reading as text (``true``, ``1.0`` stay as written). None if not a
    mapping."""
    if not isinstance(node, Mapping):
        return None
    out: dict[str, tuple[str, Scalar]] = {}
    for key, (_, value) in node.fields.items():
        if isinstance(value, Scalar) and value.value is not None:
            out[key] = (value.value if isinstance(value.value, str) else value.text, value)
    return out
