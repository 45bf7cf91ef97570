"""Structural validation of objects against the derived Kubernetes schemas.

A small walker rather than `jsonschema`: it must say *where* (the node's range), *what to write
instead* (the closest field, or where a misplaced field belongs), and run on every document of a
large repository. `tests/test_schema_walker.py` checks that it agrees with `jsonschema` itself.
"""

from __future__ import annotations

import difflib
import json
import math
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from .model import is_placeholder
from .parse import Mapping, Node, Scalar, Sequence

SchemaDict = dict[str, Any]
Path = tuple[str | int, ...]

_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_SKIP_SEARCH = frozenset({"status", "managedFields"})
# Unknown keys whose intended field is known from what users write in tutorials.
KNOWN_ALIASES = {"target": "targetPort", "target_port": "targetPort", "node_port": "nodePort",
                 "container_port": "containerPort", "containerport": "containerPort",
                 "matchlabels": "matchLabels", "match_labels": "matchLabels"}


@dataclass(frozen=True, slots=True)
class FieldDoc:
    type_text: str
    description: str
    enum: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class SchemaFinding:
    """``kind`` is one of: unknown-field, wrong-type, placeholder, missing-field."""

    kind: str
    node: Node
    path: Path
    message: str
    replacement: str | None = None
    safe: bool = True
    move_to: Path | None = None  # a misplaced field: the full path where it belongs


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def describe_value(node: Node) -> str:
    if isinstance(node, Mapping):
        return "a mapping"
    if isinstance(node, Sequence):
        return "a list"
    assert isinstance(node, Scalar)
    value = node.value
    if isinstance(value, bool):
        return f"the boolean `{node.text}`"
    if isinstance(value, (int, float)):
        return f"the number `{node.text}`"
    if value is None:
        return "null"
    return f'the string "{node.text}"'


@dataclass(slots=True)
class _Compiled:
    """One schema as validation reads it (see KubeSchema._compiled_of)."""

    source: SchemaDict  # as referenced (kept: its id is the cache key)
    schema: SchemaDict  # resolved
    label: str
    types: tuple[str, ...] | None
    format: str | None
    alternatives: tuple[_Compiled, ...]
    properties: dict[str, SchemaDict]
    extra: Any
    required: tuple[str, ...]
    items: SchemaDict | None
    # What passes without a closer look: value types of scalars (None, JSON null, always; and
    # what passes an alternative as it is) and node types. Integers get the closer look unless
    # ``integers`` holds their one range; collections that only an alternative takes always do.
    plain_values: frozenset[type]
    plain_nodes: frozenset[type]
    children: dict[str, _Compiled]  # compiled properties, filled in as fields are met
    integers: tuple[int, int] | None = None  # the range of a plain integer (an int, or int-or-string)

    def passes(self, node: Node) -> bool:
        """Whether a scalar passes without a closer look."""
        value = node.value  # type: ignore[attr-defined]
        value_type = type(value)
        if value_type in self.plain_values:
            return True
        integers = self.integers
        return value_type is int and integers is not None and integers[0] <= value <= integers[1]


_QUICK_VALUES: dict[str, tuple[type, ...]] = {"string": (str,), "boolean": (bool,)}
_QUICK_NODES: dict[str, type] = {"object": Mapping, "array": Sequence}
_ANY: frozenset[type] = frozenset({str, bool, int, float, type(None), Mapping, Sequence})
_Pending = tuple[_Compiled, Node, Path, "str | int | None", Node]  # see KubeSchema.validate


class KubeSchema:
    """The schemas of one Kubernetes minor version."""

    def __init__(self, data: SchemaDict) -> None:
        self.version: str = data["x-kubernetes-version"]
        self.defs: dict[str, SchemaDict] = data["$defs"]
        self.kinds: dict[str, str] = data["x-kinds"]
        self.served: dict[str, list[str]] = data["x-served"]
        self.groups: frozenset[str] = frozenset(data["x-groups"])
        self.raw = data
        self._field_index: dict[str, dict[str, list[Path]]] = {}
        self._compiled: dict[int, _Compiled] = {}
        self._roots: dict[str, _Compiled] = {}

    def type_name(self, api_version: str, kind: str) -> str | None:
        return self.kinds.get(f"{api_version}/{kind}")

    def resolve(self, schema: SchemaDict) -> SchemaDict:
        ref = schema.get("$ref")
        while ref is not None:
            schema = self.defs[ref.rsplit("/", 1)[-1]]
            ref = schema.get("$ref")
        return schema

    def is_builtin_group(self, api_version: str) -> bool:
        group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
        return group in self.groups

    def field_index(self, type_name: str, depth: int = 5) -> dict[str, list[Path]]:
        """Every field name reachable from the root within ``depth`` levels, with its paths."""
        index = self._field_index.get(type_name)
        if index is not None:
            return index
        index = {}
        todo: list[tuple[SchemaDict, Path]] = [(self.defs[type_name], ())]
        while todo:
            schema, path = todo.pop()
            schema = self.resolve(schema)
            if schema.get("items") is not None:
                todo.append((schema["items"], (*path, 0)))
                continue
            if len(path) >= depth:
                continue
            for name, sub in (schema.get("properties") or {}).items():
                if name in _SKIP_SEARCH:
                    continue
                index.setdefault(name, []).append((*path, name))
                todo.append((sub, (*path, name)))
        for paths in index.values():
            paths.sort(key=len)
        self._field_index[type_name] = index
        return index

    def field_doc(self, type_name: str, path: Path) -> FieldDoc | None:
        """What the schema says of the field at ``path`` (keys and list indexes) below a kind's
        root, for hover help; None when the path leaves the schema (a typo, a custom field)."""
        schema = self.defs.get(type_name)
        if schema is None:
            return None
        description = str(schema.get("description", ""))
        for part in path:
            schema = self.resolve(schema)
            following = schema.get("items") if isinstance(part, int) else (schema.get("properties") or {}).get(part)
            if not isinstance(following, dict):
                return None
            description = str(following.get("description", "")) or description
            schema = following
        resolved = self.resolve(schema)
        return FieldDoc(self._type_text(schema), description, tuple(resolved.get("enum") or ()))

    def _type_text(self, schema: SchemaDict, depth: int = 0) -> str:
        """``integer or string``, ``list of ServicePort``, ``map of string``: a type as users read it."""
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.endswith("IntOrString"):
            return "integer or string"
        resolved = self.resolve(schema)
        kinds = resolved.get("type", "object")
        names = [kinds] if isinstance(kinds, str) else [kind for kind in kinds if kind != "null"]
        words = []
        for name in names:
            if name == "array" and isinstance(resolved.get("items"), dict) and depth < 2:
                words.append(f"list of {self._type_text(resolved['items'], depth + 1)}")
            elif name == "object" and isinstance(ref, str):
                words.append(_label_of(schema))
            elif name == "object" and isinstance(resolved.get("additionalProperties"), dict) and depth < 2:
                words.append(f"map of {self._type_text(resolved['additionalProperties'], depth + 1)}")
            else:
                words.append(name)
        return " or ".join(words) or "any"

    # --- validation -------------------------------------------------------------------------

    def validate(self, type_name: str, root: Mapping, base_path: Path = ()) -> list[SchemaFinding]:
        findings: list[SchemaFinding] = []
        # (schema, node, its parent's path, the step from there, where a missing field is reported);
        # a node's own path is made only when needed: most nodes are valid scalars.
        todo: list[_Pending] = [(self._root(type_name), root, base_path, None, root)]
        while todo:
            compiled, node, parent_path, step, owner = todo.pop()
            node_type = type(node)
            if node_type is Scalar:
                if compiled.passes(node):
                    continue
            elif node_type in compiled.plain_nodes:
                path = parent_path if step is None else (*parent_path, step)
                if node_type is Mapping:
                    self._fields(compiled, node, path, owner, type_name, base_path, todo, findings)  # type: ignore[arg-type]
                elif compiled.items is not None:
                    item_compiled = self._compiled_of(compiled.items)
                    for index, item in enumerate(node.items):  # type: ignore[attr-defined]
                        todo.append((item_compiled, item, path, index, item))
                continue
            # A closer look: integer ranges, alternatives (oneOf), wrong types.
            problem = self._type_problem(compiled, node)
            if problem is not None:
                path = parent_path if step is None else (*parent_path, step)
                findings.append(self._type_finding(problem, node, path, compiled.format))
            elif node_type is not Scalar:  # valid as one of the alternatives: walk it as such
                todo.append((replace(compiled, plain_nodes=frozenset({node_type})), node, parent_path, step, owner))
        findings.sort(key=lambda finding: finding.node.start)
        return findings

    def _fields(self, compiled: _Compiled, node: Mapping, path: Path, owner: Node, type_name: str, base_path: Path,
                todo: list[_Pending], findings: list[SchemaFinding]) -> None:
        """Queue a mapping's fields for validation; report unknown and missing ones."""
        properties = compiled.properties
        extra = compiled.extra
        if not properties and extra is None:
            return  # free-form object (RawExtension, JSON)
        children = compiled.children
        for name, (key, value) in node.fields.items():
            sub = children.get(name)
            if sub is None:
                schema = properties.get(name)
                if schema is None and isinstance(extra, dict):
                    schema = extra
                if schema is None:
                    if extra is not True:
                        findings.append(self._unknown_field(type_name, compiled.schema, compiled.label, name, key,
                                                            (*path, name), base_path))
                    continue
                sub = children[name] = self._compiled_of(schema)
            if type(value) is Scalar and sub.passes(value):
                continue  # most fields: a string, boolean or number where one belongs
            todo.append((sub, value, path, name, key))
        for name in compiled.required:
            if name not in node.fields:
                findings.append(SchemaFinding(
                    "missing-field", owner, path,
                    f"required field `{name}` is missing from {compiled.label} at `{format_path(path) or 'the document root'}`",
                ))

    def _root(self, type_name: str) -> _Compiled:
        root = self._roots.get(type_name)
        if root is None:
            root = self._roots[type_name] = self._compiled_of({"$ref": f"#/$defs/{type_name}"})
        return root

    def _compiled_of(self, schema: SchemaDict) -> _Compiled:
        """What validation asks of a (sub)schema, worked out once: schemas are shared by every
        object of a kind, and validation visits each of them per node."""
        found = self._compiled.get(id(schema))
        if found is None:
            resolved = self.resolve(schema)
            declared = resolved.get("type")
            types = None if declared is None else (
                (declared,) if isinstance(declared, str) else tuple(t for t in declared if t != "null"))
            alternatives = tuple(self._compiled_of(self.resolve(alternative)) for alternative in resolved.get("oneOf") or ())
            plain = _ANY if types is None and not alternatives else frozenset(
                [*(kind for name in types or () for kind in _QUICK_VALUES.get(name, ())),
                 *(_QUICK_NODES[name] for name in types or () if name in _QUICK_NODES)])
            found = _Compiled(
                schema, resolved, _label_of(schema), types, resolved.get("format"), alternatives,
                resolved.get("properties") or {}, resolved.get("additionalProperties"),
                tuple(resolved.get("required") or ()), resolved.get("items"),
                # a scalar that passes one alternative as it is passes them (IntOrString's strings)
                plain - {Mapping, Sequence} | {type(None)} | frozenset().union(*(alternative.plain_values for alternative in alternatives)),
                plain & {Mapping, Sequence}, {},
                _integers(types, resolved.get("format"), alternatives),
            )
            self._compiled[id(schema)] = found  # the entry holds ``schema``, so its id is not reused
        return found

    def _type_problem(self, compiled: _Compiled, node: Node) -> str | None:
        """None when ``node`` is a valid value for the schema, else the expected type's name."""
        if isinstance(node, Scalar) and node.value is None:
            return None  # JSON null: the field is left unset
        alternatives = compiled.alternatives
        if alternatives:
            if any(self._type_problem(alternative, node) is None for alternative in alternatives):
                return None
            return " or ".join(str(self._type_problem(alternative, node)) for alternative in alternatives)
        types = compiled.types
        if types is None:
            return None
        for expected in types:
            if _matches(expected, compiled.format, node):
                return None
        return " or ".join(_TYPE_WORDS.get(t, t) for t in types)

    def _type_finding(self, expected: str, node: Node, path: Path, fmt: str | None) -> SchemaFinding:
        where = format_path(path)
        got = describe_value(node)
        if isinstance(node, Scalar) and isinstance(node.value, str) and is_placeholder(node.text, bare_words=True):
            return SchemaFinding(
                "placeholder", node, path,
                f"`{where}` holds the placeholder \"{node.text}\" where {expected} belongs; "
                "substitute it (envsubst, kustomize, helm) before applying",
            )
        if isinstance(node, Scalar) and type(node.value) is int and "integer" in expected:
            return SchemaFinding("wrong-type", node, path, f"`{where}` is {got}, outside the range of {fmt or 'int64'} integers")
        replacement = None
        hint = ""
        if expected == "a string" and isinstance(node, Scalar) and node.plain and isinstance(node.value, (bool, int, float)):
            replacement = json.dumps(node.text)
            hint = f"; quote it: {replacement}"
        elif "integer" in expected and isinstance(node, Scalar) and node.style and isinstance(node.value, str) and node.value.strip().isdigit():
            replacement = node.value.strip()
            hint = f"; remove the quotes: {replacement}"
        return SchemaFinding("wrong-type", node, path, f"`{where}` must be {expected}, not {got}{hint}", replacement)

    def _unknown_field(
        self, type_name: str, schema: SchemaDict, type_label: str, name: str, key: Node, path: Path, base_path: Path
    ) -> SchemaFinding:
        where = f"`{format_path(path[:-1])}`" if path[:-1] else "the document root"
        properties = list((schema.get("properties") or {}).keys())
        lowered = {prop.lower(): prop for prop in properties}
        relative = path[len(base_path):]
        # 1. The same field exists elsewhere in this kind: it is misplaced.
        parent = relative[:-1]
        elsewhere = [
            candidate for candidate in self.field_index(type_name).get(name, ())
            if candidate != relative and _nearby(candidate[:-1], parent)
        ]
        if elsewhere:
            def rank(candidate: Path) -> tuple[int, int]:
                return (-_common_prefix(candidate, relative), len(candidate))

            best = min(elsewhere, key=rank)
            target = format_path((*base_path, *best))
            # Offer to move it only when the home is unambiguous and not inside a list.
            movable = sum(1 for c in elsewhere if rank(c) == rank(best)) == 1 and not any(isinstance(p, int) for p in best)
            return SchemaFinding(
                "unknown-field", key, path,
                f"`{name}` is not a field of {type_label} at {where}; it belongs at `{target}`",
                move_to=(*base_path, *best) if movable else None,
            )
        # 2. A wrong case or a known slip has exactly one right spelling.
        suggestion = lowered.get(name.lower()) or (KNOWN_ALIASES.get(name.lower()) if KNOWN_ALIASES.get(name.lower()) in properties else None)
        safe = suggestion is not None
        if suggestion is None:
            close = difflib.get_close_matches(name, properties, n=1, cutoff=0.75)
            if not close:
                close = [prop for prop in properties if len(name) >= 4 and prop.lower().startswith(name.lower())][:1]
            suggestion = close[0] if close else None
        if suggestion is not None:
            return SchemaFinding(
                "unknown-field", key, path,
                f"`{name}` is not a field of {type_label}; did you mean `{suggestion}`?",
                suggestion, safe,
            )
        known = ", ".join(f"`{prop}`" for prop in sorted(properties)[:12])
        more = ", ..." if len(properties) > 12 else ""
        return SchemaFinding(
            "unknown-field", key, path,
            f"`{name}` is not a field of {type_label} at {where} (known fields: {known}{more})",
        )


def _integers(types: tuple[str, ...] | None, fmt: str | None, alternatives: tuple[_Compiled, ...]) -> tuple[int, int] | None:
    """The range of integers a schema takes as they are: its own, or its one integer alternative's
    (IntOrString); None when integers need the closer look (none, or several ranges)."""
    ranges = {_INT_RANGES.get(fmt or "int64", _INT_RANGES["int64"])} if types and "integer" in types else set()
    ranges |= {alternative.integers for alternative in alternatives if alternative.integers is not None}
    return ranges.pop() if len(ranges) == 1 else None


_TYPE_WORDS = {"string": "a string", "integer": "an integer", "number": "a number",
               "boolean": "a boolean (true or false)", "object": "a mapping", "array": "a list"}


def _label_of(schema: SchemaDict) -> str:
    """``ServicePort`` for a reference to io.k8s.api.core.v1.ServicePort; else a neutral word."""
    ref = schema.get("$ref")
    return ref.rsplit(".", 1)[-1] if isinstance(ref, str) else "this object"


def _nearby(candidate_parent: Path, parent: Path) -> bool:
    """Whether a field found at ``candidate_parent`` is a plausible home for a misplaced field:
    an ancestor or descendant of where it was written, or anywhere for top-level mistakes
    (`selector` under `metadata` instead of `spec`). A cousin (another volume type) is not."""
    def same(a: Path, b: Path) -> bool:
        return len(a) <= len(b) and all(x == y or (isinstance(x, int) and isinstance(y, int)) for x, y in zip(a, b, strict=False))

    return same(candidate_parent, parent) or same(parent, candidate_parent) or len(parent) <= 1


def _common_prefix(a: Path, b: Path) -> int:
    count = 0
    for left, right in zip(a, b, strict=False):
        if left != right and not (isinstance(left, int) and isinstance(right, int)):
            break
        count += 1
    return count


def _matches(expected: str, fmt: str | None, node: Node) -> bool:
    if expected == "object":
        return isinstance(node, Mapping)
    if expected == "array":
        return isinstance(node, Sequence)
    if not isinstance(node, Scalar):
        return False
    value = node.value
    if expected == "string":
        return isinstance(value, str)
    if expected == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if expected == "number":
        return not (isinstance(value, float) and not math.isfinite(value))
    if expected == "integer":
        if isinstance(value, float):
            # sigs.k8s.io/yaml writes a whole float (80.0) as the JSON number 80.
            if not (math.isfinite(value) and value.is_integer()):
                return False
            value = int(value)
        low, high = _INT_RANGES.get(fmt or "int64", _INT_RANGES["int64"])
        return low <= value <= high
    return True


@cache
def load(version: str) -> KubeSchema:
    """The schema of Kubernetes ``version`` ("1.37"), from the package data."""
    folder = resources.files("svclint.builtin_schemas.kubernetes")
    data = json.loads(folder.joinpath(f"v{version}.json").read_text(encoding="utf-8"))
    return KubeSchema(data)


@cache
def versions() -> tuple[str, ...]:
    folder = resources.files("svclint.builtin_schemas.kubernetes")
    listed: list[str] = json.loads(folder.joinpath("versions.json").read_text(encoding="utf-8"))["versions"]
    return tuple(listed)


def newest_version() -> str:
    return versions()[-1]
