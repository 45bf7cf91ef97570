"""Check implementations, registered by key; rule files in ``rules/`` bind to them with params.

Two shapes of check exist. An *object check* sees one object and yields findings inside it. A
*set check* sees the :class:`~svclint.index.Index` of every object in the lint context (for
collisions and cross-references) and yields findings that name their file.
Input problems (YAML errors, non-objects) are produced by the engine itself and bound to rules
whose check is ``input``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..diagnostics import Span
from ..fix import Edit as Edit  # re-exported: checks build fixes from edits
from ..parse import Node

if TYPE_CHECKING:
    from ..config import Config
    from ..index import Index
    from ..model import KubeObject
    from ..schema import KubeSchema, SchemaFinding

Params = dict[str, Any]


@dataclass(slots=True)
class FixSpec:
    title: str
    edits: list[Edit]
    safe: bool = True


@dataclass(slots=True)
class Finding:
    """What a check reports: where (a node or span), the message's arguments, extras."""

    at: Node | Span
    args: dict[str, Any] = field(default_factory=dict)
    fix: FixSpec | None = None
    related: list[tuple[str, Span, str]] = field(default_factory=list)
    path: str | None = None  # the file, for set checks; None means the object's own file

    @property
    def span(self) -> Span:
        return self.at if isinstance(self.at, Span) else Span(self.at.start, self.at.end)


@dataclass(slots=True)
class ObjectContext:
    obj: KubeObject
    schema: KubeSchema
    config: Config
    text: str = ""  # the whole file, for fixes that move text (re-indenting a block)
    _schema_findings: list[SchemaFinding] | None = None

    def schema_findings(self) -> list[SchemaFinding]:
        """Structural findings for the object, computed once and shared by the schema rules."""
        if self._schema_findings is None:
            type_name = self.schema.type_name(self.obj.api_version or "", self.obj.kind or "")
            self._schema_findings = (
                self.schema.validate(type_name, self.obj.node, self.obj.base) if type_name else []
            )
        return self._schema_findings


@dataclass(slots=True)
class SetContext:
    index: Index
    schema: KubeSchema
    config: Config
    _memo: dict[str, Any] = field(default_factory=dict)

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """A result several rules share (each Service's selection), computed once per lint."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


ObjectCheck = Callable[[ObjectContext, Params], Iterable[Finding]]
SetCheck = Callable[[SetContext, Params], Iterable[Finding]]
Reads = Callable[[Params], Iterable["str | list[str]"]]

OBJECT_CHECKS: dict[str, ObjectCheck] = {}
OBJECT_READS: dict[str, Reads] = {}
SET_CHECKS: dict[str, SetCheck] = {}
INPUT_CHECK = "input"


def object_check(key: str, *, reads: Reads | None = None) -> Callable[[ObjectCheck], ObjectCheck]:
    """Register an object check. ``reads(params)``, when given, lists the fields (dotted paths,
    ``[]`` for each item of a list, or lists of keys) outside which the check finds nothing for
    those params: the engine skips it on objects that hold none of them (see ``gate``)."""
    def register(function: ObjectCheck) -> ObjectCheck:
        assert key not in OBJECT_CHECKS, key
        OBJECT_CHECKS[key] = function
        if reads is not None:
            OBJECT_READS[key] = reads
        return function

    return register


def gate(check: str, params: Params) -> tuple[str, ...]:
    """The dotted paths of which an object must hold at least one for the check to find anything
    with ``params``; () when it must always run. A Service without ``externalIPs`` is not asked
    about them: most rules are about fields most objects leave out."""
    reads = OBJECT_READS.get(check)
    if reads is None:
        return ()
    paths = []
    for field_path in reads(params):
        keys = field_path.split(".") if isinstance(field_path, str) else list(field_path)
        prefix = []
        for key in keys:  # up to the first list or key with a dot, which dotted paths cannot name
            name = key.removesuffix("[]")
            if "." in name or not name:
                break
            prefix.append(name)
            if name != key:
                break
        if not prefix:
            return ()  # reads from the root: nothing to gate on
        paths.append(".".join(prefix))
    return tuple(dict.fromkeys(paths))


def set_check(key: str) -> Callable[[SetCheck], SetCheck]:
    def register(function: SetCheck) -> SetCheck:
        assert key not in SET_CHECKS, key
        SET_CHECKS[key] = function
        return function

    return register


def all_check_keys() -> set[str]:
    _load()
    return set(OBJECT_CHECKS) | set(SET_CHECKS) | {INPUT_CHECK}


def _load() -> None:
    """Import the modules that register checks (an explicit list, not discovery)."""
    from . import addresses, collisions, fields, ingress, names, selectors, service, workloads  # noqa: F401


_load()
