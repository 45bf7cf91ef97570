"""Kustomize patch files: which inputs hold partial objects.

A strategic-merge patch names a Service or a Deployment but carries only the fields it changes,
so rules that judge what is absent (no ports, no selector, type ClusterIP by default) would be
wrong about it, and it is not an object of its own for the cross-checks. A file is a patch when a
kustomization in the same run lists it under ``patches``, ``patchesStrategicMerge`` or
``patchesJson6902``: reading kustomizations is cheap, guessing from a file's shape is not safe.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from .parse import Mapping, Scalar, Sequence, parse

KUSTOMIZATION_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})


def is_kustomization(path: str) -> bool:
    return os.path.basename(path) in KUSTOMIZATION_NAMES


def patch_paths(files: Iterable[tuple[str, str]]) -> set[str]:
    """Normalised paths of the patch files that the kustomizations among ``files`` ((path,
    text) pairs; other files are ignored) refer to."""
    out: set[str] = set()
    for path, text in files:
        if not is_kustomization(path):
            continue
        folder = os.path.dirname(path)
        for reference in _patch_references(text):
            out.add(os.path.normpath(os.path.join(folder, reference)))
    return out


def _patch_references(text: str) -> Iterator[str]:
    stream = parse(text)
    for document in stream.documents:
        root = document.root
        if not isinstance(root, Mapping):
            continue
        for field in ("patches", "patchesJson6902"):
            for entry in _items(root.get(field)):
                if isinstance(entry, Mapping):
                    yield from _file_name(entry.get("path"))
        for entry in _items(root.get("patchesStrategicMerge")):
            yield from _file_name(entry)  # a file name, or an inline patch (which has a newline)


def _items(node: object) -> list[object]:
    return list(node.items) if isinstance(node, Sequence) else []


def _file_name(node: object) -> Iterator[str]:
    if isinstance(node, Scalar) and isinstance(node.value, str) and node.value and "\n" not in node.value:
        yield node.value
